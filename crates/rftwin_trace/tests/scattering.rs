//! Solver (B) against closed forms: the surface integral of a plate, occlusion, counts.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin_core::{Mesh, Scene};
use rftwin_trace::field::slab_coefficients;
use rftwin_trace::scattering::{scattering_density, surface_scattering, ScatteringOptions};
use rftwin_trace::SceneGeometry;

fn plate_scene(y: f64, half: f64) -> Scene {
    let mut s = Scene::new();
    let mut m = Mesh::quad_xy(-half, half, -half, half, 0.0);
    // into the x–z plane at distance y, facing the origin
    for v in &mut m.vertices {
        *v = DVec3::new(v.x, y, v.y);
    }
    s.add_object("plate", m, "itu_metal").unwrap();
    s
}

#[test]
fn monte_carlo_sum_converges_to_the_surface_integral() {
    let (y, half) = (1.0, 0.1);
    let scene = plate_scene(y, half);
    let geom = SceneGeometry::new(&scene);
    let f = 77e9;
    let lambda = 299792458.0 / f;
    // Reference: midpoint quadrature of ∫ f(x) dA over the plate (independent of sampling).
    let eta = scene.materials()[0].complex_permittivity(f).unwrap();
    let n = 400;
    let mut reference = 0.0;
    for i in 0..n {
        for j in 0..n {
            let x = DVec3::new(-half + (i as f64 + 0.5) * 2.0 * half / n as f64, y, -half + (j as f64 + 0.5) * 2.0 * half / n as f64);
            let d = x.length();
            let cos_t = y / d;
            let c = slab_coefficients(eta, 0.1, lambda, cos_t);
            let r = 0.5 * (c.r_te.norm() + c.r_tm.norm());
            reference += scattering_density(lambda, d, cos_t, r, 0.1) * (2.0 * half / n as f64).powi(2);
        }
    }
    let mut errors = Vec::new();
    for seed in 0..4 {
        let opts = ScatteringOptions { frequency_hz: f, samples: 50_000, seed, ..Default::default() };
        let res = surface_scattering(&scene, &geom, DVec3::ZERO, &opts).unwrap();
        assert_eq!(res.samples.len() as u64 + res.missed + res.occluded + res.grazing_dropped, res.rays);
        let total: f64 = res.samples.iter().map(|s| s.amplitude.re).sum();
        let area: f64 = res.samples.iter().map(|s| s.area_weight).sum();
        assert!((area - 4.0 * half * half).abs() < 0.02 * 4.0 * half * half, "area estimate {area}");
        errors.push((total - reference) / reference);
    }
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    assert!(mean.abs() < 0.01, "relative errors {errors:?}");
}

#[test]
fn occluded_targets_return_no_samples_and_counts_say_why() {
    let mut scene = plate_scene(1.0, 0.1);
    let mut blocker = Mesh::quad_xy(-0.5, 0.5, -0.5, 0.5, 0.0);
    for v in &mut blocker.vertices {
        *v = DVec3::new(v.x, 0.5, v.y);
    }
    scene.add_object("wall", blocker, "itu_concrete").unwrap();
    let geom = SceneGeometry::new(&scene);
    let opts = ScatteringOptions { samples: 2000, targets: vec!["plate".into()], ..Default::default() };
    let res = surface_scattering(&scene, &geom, DVec3::ZERO, &opts).unwrap();
    assert!(res.samples.is_empty());
    assert_eq!(res.occluded, 2000);
    let bad = ScatteringOptions { targets: vec!["nope".into()], ..opts.clone() };
    assert!(surface_scattering(&scene, &geom, DVec3::ZERO, &bad).unwrap_err().to_string().contains("nope"));
    assert!(surface_scattering(&scene, &geom, DVec3::ZERO, &ScatteringOptions { samples: 0, ..opts }).is_err());
}

#[test]
fn samples_lie_on_their_triangles_at_their_barycentric_coordinates() {
    let mut scene = Scene::new();
    scene.add_object("a", Mesh::letter_a(DVec3::new(0.0, 1.0, -0.25), 0.5, 0.4, 0.08, 0.05), "itu_metal").unwrap();
    let geom = SceneGeometry::new(&scene);
    let res = surface_scattering(&scene, &geom, DVec3::ZERO, &ScatteringOptions { samples: 5000, ..Default::default() }).unwrap();
    assert!(res.samples.len() > 1000, "{} samples", res.samples.len());
    for s in &res.samples {
        let [v0, v1, v2] = geom.triangles[s.triangle as usize];
        let [b1, b2] = s.barycentric;
        let p = v0 * (1.0 - b1 - b2) + v1 * b1 + v2 * b2;
        assert!((p - s.point).length() < 1e-9);
        assert!(b1 >= -1e-9 && b2 >= -1e-9 && b1 + b2 <= 1.0 + 1e-9);
    }
}
