//! Solver (B) against closed forms: the surface integral of a plate, occlusion, counts.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin_core::{Mesh, Scene};
use rftwin_trace::physics::field::slab_coefficients;
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

#[test]
fn dihedral_second_bounce_paths_have_the_corner_length() {
    // Two metal plates meeting at a vertical edge 1 m in front of the radar, opening
    // towards it at 90° (a dihedral corner): the first bounce is a mirror reflection, so
    // the first two legs unfold into the straight line from the radar's mirror image in
    // the first plate to the second point.
    let mut scene = Scene::new();
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let edge = DVec3::new(0.0, 1.0, 0.0);
    for (name, along) in [("left", DVec3::new(-s, -s, 0.0)), ("right", DVec3::new(s, -s, 0.0))] {
        let normal = DVec3::Z.cross(along).normalize();
        let c = edge + along * 0.15;
        scene.add_object(name, Mesh::oriented_box(c, DVec3::new(0.15, 0.001, 0.15), [along, normal, DVec3::Z]), "itu_metal").unwrap();
    }
    let geom = SceneGeometry::new(&scene);
    let opts = ScatteringOptions { samples: 20_000, second_bounce: true, ..Default::default() };
    let res = surface_scattering(&scene, &geom, DVec3::ZERO, &opts).unwrap();
    assert!(res.second_bounce.len() > 100, "{} two-bounce echoes", res.second_bounce.len());
    for b in &res.second_bounce {
        let n1 = geom.normals[b.first_triangle as usize];
        let mirror = -2.0 * n1.dot(-b.first_point) * n1; // image of the origin in the first plate's plane
        let unfolded = (b.point - mirror).length();
        let legs = b.first_point.length() + (b.point - b.first_point).length();
        assert!((unfolded - legs).abs() < 1e-9, "legs {legs} vs unfolded {unfolded}");
        assert_ne!(geom.object[b.first_triangle as usize], geom.object[b.triangle as usize], "the second bounce is on the other plate");
        assert!((b.extra_path_m - (b.first_point.length() + (b.point - b.first_point).length() - b.point.length())).abs() < 1e-12);
    }
    assert_eq!(res.echoes().len(), res.samples.len() + res.second_bounce.len());
    // gradients refuse two-bounce results instead of ignoring them
    let cot = vec![rftwin_trace::scattering::grad::EchoCotangent::default(); res.samples.len()];
    let e = rftwin_trace::scattering::grad::vertex_gradients(&scene, &geom, &res, DVec3::ZERO, &opts, &cot).unwrap_err().to_string();
    assert!(e.contains("two-bounce"), "{e}");
}

#[test]
fn per_element_visibility_drops_and_counts_samples_behind_an_occluder_edge() {
    // A plate half hidden behind a thin wall whose edge is close to the array: elements
    // on either side of the array see different parts of the plate.
    let mut scene = plate_scene(1.0, 0.2);
    let mut wall = Mesh::quad_xy(-0.5, 0.0, -0.5, 0.5, 0.0);
    for v in &mut wall.vertices {
        *v = DVec3::new(v.x, 0.05, v.y);
    }
    scene.add_object("wall", wall, "itu_concrete").unwrap();
    let geom = SceneGeometry::new(&scene);
    let elements = vec![DVec3::new(-0.01, 0.0, 0.0), DVec3::new(0.01, 0.0, 0.0)];
    let base = ScatteringOptions { samples: 20_000, targets: vec!["plate".into()], ..Default::default() };
    let centre_only = surface_scattering(&scene, &geom, DVec3::ZERO, &base).unwrap();
    let per_element = surface_scattering(&scene, &geom, DVec3::ZERO, &ScatteringOptions { elements, ..base }).unwrap();
    assert!(per_element.partially_visible > 0, "the edge's parallax must drop some samples");
    assert_eq!(per_element.samples.len() as u64 + per_element.partially_visible + per_element.element_occluded, centre_only.samples.len() as u64);
    // The element at x = −1 cm sees the plate (y = 1) only beyond x = 0.19 m behind the
    // wall edge at (0, 0.05): every kept sample lies there, every partial one short of it.
    for s in &per_element.samples {
        assert!(s.point.x > 0.19 - 1e-9, "kept sample at x = {}", s.point.x);
    }
    let short = centre_only.samples.iter().filter(|s| s.point.x < 0.19).count() as u64;
    assert_eq!(per_element.partially_visible, short);
}

#[test]
fn sample_tangents_are_the_forward_mode_of_the_reparameterised_samples() {
    use rftwin_trace::scattering::grad::{reevaluate_samples, sample_tangents, vertex_gradients, EchoCotangent};
    let mut scene = Scene::new();
    scene.add_object("ball", Mesh::icosphere(DVec3::new(0.1, 1.0, -0.05), 0.2, 2), "itu_metal").unwrap();
    let geom = SceneGeometry::new(&scene);
    let opts = ScatteringOptions { samples: 3000, diffuse: 0.3, backend: rftwin_trace::BackendChoice::Cpu, ..Default::default() };
    let res = surface_scattering(&scene, &geom, DVec3::ZERO, &opts).unwrap();
    assert!(res.samples.len() > 500);
    // a non-rigid velocity field: translation plus a vertex-dependent part
    let nv = scene.objects()[0].mesh.vertices.len();
    let vel: Vec<DVec3> = (0..nv).map(|i| DVec3::new(0.3, -0.2, 0.1) + 0.05 * DVec3::new((i as f64).sin(), (i as f64 * 0.3).cos(), 0.0)).collect();
    let t = sample_tangents(&scene, &geom, &res, DVec3::ZERO, &opts, std::slice::from_ref(&vel)).unwrap();
    let moved = |h: f64| {
        let mut s = scene.clone();
        for (v, d) in s.object_mut("ball").unwrap().mesh.vertices.iter_mut().zip(&vel) {
            *v += *d * h;
        }
        reevaluate_samples(&s, &geom, &res, DVec3::ZERO, &opts).unwrap()
    };
    let h = 1e-6;
    let (p, m) = (moved(h), moved(-h));
    for ((tk, a), b) in t.iter().zip(&p).zip(&m) {
        let dx = (a.point - b.point) / (2.0 * h);
        let da = (a.a.re - b.a.re) / (2.0 * h);
        assert!((tk.0 - dx).length() < 1e-6 * (1.0 + dx.length()), "{} vs {dx}", tk.0);
        assert!((tk.1 - da).abs() < 1e-5 * (1e-12 + da.abs()) + 1e-12, "{} vs {da}", tk.1);
    }
    // the same derivative through reverse mode: ⟨cot, tangent⟩ = ⟨vertex gradient, velocity⟩
    let cot: Vec<EchoCotangent> = (0..res.samples.len()).map(|i| EchoCotangent { point: DVec3::new(1.0, (i % 3) as f64, -0.5), amplitude: rftwin_core::Complex::new(1e3 * (i % 5) as f64, 0.0) }).collect();
    let g = vertex_gradients(&scene, &geom, &res, DVec3::ZERO, &opts, &cot).unwrap();
    let lhs: f64 = cot.iter().zip(&t).map(|(c, t)| c.point.dot(t.0) + c.amplitude.re * t.1).sum();
    let rhs: f64 = g[0].iter().zip(&vel).map(|(a, b)| a.dot(*b)).sum();
    assert!((lhs - rhs).abs() < 1e-9 * lhs.abs(), "{lhs} vs {rhs}");
    assert!(sample_tangents(&scene, &geom, &res, DVec3::ZERO, &opts, &[vel[1..].to_vec()]).is_err());
}
