//! Solver (B) boundary term: a plate partly hidden behind an occluder. Moving either
//! object moves the shadow edge on the plate; the interior term alone misses that
//! (fails the finite-difference check), interior + boundary passes it (within 5 %).
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin::trace::boundary::{boundary_samples, boundary_vertex_gradients, BoundaryOptions};
use rftwin::trace::scattering::{surface_scattering, ScatteringOptions};
use rftwin::trace::scattering_grad::{object_gradient, vertex_gradients, EchoCotangent};
use rftwin::{BackendChoice, GradientParam, Mesh, Scene, SceneGeometry};

fn scene(occluder_x: f64, plate_x: f64) -> Scene {
    let mut s = Scene::new();
    s.add_object("plate", Mesh::oriented_box(DVec3::new(plate_x, 1.1, 0.0), DVec3::new(0.2, 0.005, 0.2), [DVec3::X, DVec3::Y, DVec3::Z]), "itu_metal").unwrap();
    s.add_object("occluder", Mesh::oriented_box(DVec3::new(occluder_x - 0.125, 0.6, 0.0), DVec3::new(0.125, 0.005, 0.4), [DVec3::X, DVec3::Y, DVec3::Z]), "itu_concrete").unwrap();
    s
}

/// The loss's cotangent field: L = Σ c(x_i) a_i.
fn cot(x: DVec3) -> f64 {
    1.0 + 4.0 * x.x + 2.0 * x.z * x.z
}
fn cot_grad(x: DVec3) -> DVec3 {
    DVec3::new(4.0, 0.0, 4.0 * x.z)
}

const CENTER: DVec3 = DVec3::new(0.02, 0.0, 0.01);

fn opts(samples: usize) -> ScatteringOptions {
    ScatteringOptions { samples, targets: vec!["plate".into()], backend: BackendChoice::Cpu, seed: 11, ..Default::default() }
}

fn loss(s: &Scene, samples: usize) -> f64 {
    let geom = SceneGeometry::new(s);
    let r = surface_scattering(s, &geom, CENTER, &opts(samples)).unwrap();
    r.samples.iter().map(|x| cot(x.point) * x.amplitude.re).sum()
}

#[test]
fn boundary_term_recovers_the_gradient_of_a_moving_shadow_edge() {
    let (ox, px) = (-0.04, 0.0);
    let s0 = scene(ox, px);
    let geom = SceneGeometry::new(&s0);
    let o = opts(200_000);
    let res = surface_scattering(&s0, &geom, CENTER, &o).unwrap();
    assert!(res.occluded > 1000, "the occluder must hide part of the plate");
    let cots: Vec<EchoCotangent> = res.samples.iter().map(|x| EchoCotangent { point: cot_grad(x.point) * x.amplitude.re, amplitude: rftwin::Complex::new(cot(x.point), 0.0) }).collect();
    let interior = vertex_gradients(&s0, &geom, &res, CENTER, &o, &cots).unwrap();
    let b = boundary_samples(&s0, &geom, CENTER, &o, &BoundaryOptions { samples: 20_000, seed: 3 }).unwrap();
    assert!(b.silhouette_edges > 0 && b.samples.len() > 100, "{} silhouette edges, {} samples", b.silhouette_edges, b.samples.len());
    let bc: Vec<f64> = b.samples.iter().map(|s| cot(s.point)).collect();
    let boundary = boundary_vertex_gradients(&s0, &b, &bc).unwrap();
    let h = 0.004;
    for (object, shift) in [("occluder", DVec3::X), ("plate", DVec3::X)] {
        let param = GradientParam::ObjectTranslation(object.into());
        let gi = object_gradient(&s0, &interior, &param).unwrap()[0];
        let gb = object_gradient(&s0, &boundary, &param).unwrap()[0];
        let at = |d: f64| {
            let (dox, dpx) = if object == "occluder" { (shift.x * d, 0.0) } else { (0.0, shift.x * d) };
            loss(&scene(ox + dox, px + dpx), 1_000_000)
        };
        let fd = (at(h) - at(-h)) / (2.0 * h);
        println!("{object}: FD {fd:.6e}, interior {gi:.6e}, boundary {gb:.6e}, sum {:.6e}", gi + gb);
        assert!((gi - fd).abs() > 0.2 * fd.abs(), "{object}: interior alone should miss the boundary term");
        assert!((gi + gb - fd).abs() <= 0.05 * fd.abs(), "{object}: interior + boundary {} vs FD {fd}", gi + gb);
    }
}

/// The edge-sampling estimate is unbiased: at a budget of a few points, the mean over
/// independent seeds matches a large-budget reference, and the RMS error falls at least
/// as fast as 1/√N (stratification makes it faster).
#[test]
fn boundary_estimate_is_unbiased_and_converges() {
    let s0 = scene(-0.04, 0.0);
    let geom = SceneGeometry::new(&s0);
    let o = opts(1000);
    let param = GradientParam::ObjectTranslation("occluder".into());
    let estimate = |budget: usize, seed: u64| {
        let b = boundary_samples(&s0, &geom, CENTER, &o, &BoundaryOptions { samples: budget, seed }).unwrap();
        let bc: Vec<f64> = b.samples.iter().map(|s| cot(s.point)).collect();
        object_gradient(&s0, &boundary_vertex_gradients(&s0, &b, &bc).unwrap(), &param).unwrap()[0]
    };
    let reference = estimate(400_000, 99);
    let mut rms = Vec::new();
    for budget in [24, 96, 384] {
        let runs: Vec<f64> = (0..40).map(|seed| estimate(budget, 1000 + seed)).collect();
        let mean = runs.iter().sum::<f64>() / runs.len() as f64;
        let var = runs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (runs.len() - 1) as f64;
        let stderr = (var / runs.len() as f64).sqrt();
        let e = (runs.iter().map(|x| (x - reference).powi(2)).sum::<f64>() / runs.len() as f64).sqrt();
        println!("budget {budget}: mean {mean:.6e} (ref {reference:.6e}, stderr {stderr:.2e}), rms error {e:.3e}");
        assert!((mean - reference).abs() <= 4.0 * stderr + 1e-9 * reference.abs(), "biased at budget {budget}");
        rms.push(e);
    }
    assert!(rms[0] > 0.0, "the estimate must vary with the seed");
    for w in rms.windows(2) {
        assert!(w[1] <= w[0] / 1.8, "error must fall at least like 1/√N: {rms:?}");
    }
}
