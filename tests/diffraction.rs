//! First-order UTD diffraction: properties that hold for any correct implementation.
//!
//! The defining property of the uniform theory of diffraction is that geometrical
//! optics plus the diffracted field is continuous across the shadow boundary of the
//! incident field (where the line of sight disappears behind an edge) and across the
//! reflection boundary of each face (where the specular reflection runs off the face):
//! the diffracted field jumps by exactly the lost ray, through the transition function
//! and — on a lossy face — through the face's reflection coefficient (Luebbers). These
//! tests move a receiver across such boundaries of a lossy box and compare the total
//! channel on both sides.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin::core::{Antenna, Complex, InteractionType, ItuMaterial, Mesh, Polarization, RadioMaterial};
use rftwin::{BackendChoice, PathSolver, Paths, Radio, Scene, SolverOptions};
use std::f64::consts::PI;

const F: f64 = 3.0e9;

/// A 4 m × 4 m × 10 m lossy block (x, y ∈ [0, 4], z ∈ [−5, 5]) in free space; its
/// vertical edge at (4, 0) is the diffracting wedge.
fn block() -> Scene {
    let mut s = Scene::new();
    s.add_material(RadioMaterial::custom("lossy", 5.24, 0.3, 0.3).unwrap()).unwrap();
    s.add_object("block", Mesh::cuboid(DVec3::new(0.0, 0.0, -5.0), DVec3::new(4.0, 4.0, 5.0)), "lossy").unwrap();
    s
}

fn solve(scene: &Scene, tx: DVec3, rx: DVec3, diffraction: bool, pol: Polarization) -> Paths {
    let o = SolverOptions {
        backend: BackendChoice::Cpu,
        frequency_hz: F,
        max_depth: 1,
        samples: 20_000,
        refraction: false,
        diffraction,
        ..Default::default()
    };
    let radio = |position| Radio { position, antenna: Antenna::isotropic(pol) };
    PathSolver::new(o).solve_scene(scene, &radio(tx), &radio(rx)).unwrap()
}

/// Channel at the carrier, `Σ a e^{−j2πfτ}`, of the paths `keep` selects.
fn channel(p: &Paths, keep: impl Fn(&[InteractionType]) -> bool) -> Complex {
    (0..p.num_paths())
        .filter(|&i| keep(p.path(i).interactions))
        .map(|i| p.a[i] * Complex::from_polar(1.0, -2.0 * PI * F * p.tau[i]))
        .sum()
}

/// Total and geometrical-optics channels at a receiver 6 m from the edge at azimuth
/// `psi` (around the edge, from +x), height 0.
fn at(scene: &Scene, tx: DVec3, psi: f64, pol: Polarization) -> (Complex, Complex) {
    let p = solve(scene, tx, receiver(psi), true, pol);
    let go = channel(&p, |t| !t.contains(&InteractionType::Diffraction));
    (channel(&p, |_| true), go)
}

fn receiver(psi: f64) -> DVec3 {
    DVec3::new(4.0, 0.0, 0.0) + 6.0 * DVec3::new(psi.cos(), psi.sin(), 0.0)
}

/// Left and right limits at `psi` of the total and GO channels, each extrapolated
/// linearly from two samples on its side (removes the smooth variation).
fn jumps(scene: &Scene, tx: DVec3, psi: f64, pol: Polarization) -> (f64, f64) {
    let d = 1e-4; // 0.6 mm at 6 m
    let (t1, g1) = at(scene, tx, psi - 3.0 * d, pol);
    let (t2, g2) = at(scene, tx, psi - d, pol);
    let (t3, g3) = at(scene, tx, psi + d, pol);
    let (t4, g4) = at(scene, tx, psi + 3.0 * d, pol);
    let left = |a: Complex, b: Complex| b + (b - a) * 0.5;
    let right = |a: Complex, b: Complex| a - (b - a) * 0.5;
    ((left(t1, t2) - right(t3, t4)).norm(), (left(g1, g2) - right(g3, g4)).norm())
}

const POLARIZATIONS: [Polarization; 3] = [Polarization::V, Polarization::H, Polarization::Slant(0.7)];

#[test]
fn total_field_is_continuous_across_the_incident_shadow_boundary() {
    let scene = block();
    // Transmitter south-west of the block: the line of sight to receivers beyond azimuth
    // atan(2/10) (seen from the edge) passes through the block. At the edge's height
    // (β₀ = 90°) and 3 m above it (oblique incidence on the edge).
    let isb = (2.0f64).atan2(10.0);
    for (tx, pol) in [DVec3::new(-6.0, -2.0, 0.0), DVec3::new(-6.0, -2.0, 3.0)].into_iter().flat_map(|t| POLARIZATIONS.map(|p| (t, p))) {
        let (total, go) = jumps(&scene, tx, isb, pol);
        let los = solve(&scene, tx, receiver(isb - 0.01), false, pol);
        let a_los = los.a[0].norm();
        println!("ISB {pol:?} tx {tx}: GO jump {go:.3e}, total jump {total:.3e}, |a_LOS| {a_los:.3e}");
        assert!((go - a_los).abs() < 0.05 * a_los, "the line of sight must disappear across the boundary");
        assert!(total < 0.01 * a_los, "{pol:?}: total field jumps by {:.2} % of the lost ray", 100.0 * total / a_los);
    }
}

#[test]
fn total_field_is_continuous_across_a_lossy_face_reflection_boundary() {
    let scene = block();
    // The south face (y = 0) reflects into azimuths below −atan(2/10) as seen from the
    // edge. Luebbers' coefficient is exact at β₀ = 90° (both polarisations).
    let tx = DVec3::new(-6.0, -2.0, 0.0);
    let rsb = -(2.0f64).atan2(10.0);
    for pol in POLARIZATIONS {
        let (total, go) = jumps(&scene, tx, rsb, pol);
        let refl = solve(&scene, tx, receiver(rsb - 0.01), false, pol);
        let a_refl = (0..refl.num_paths()).filter(|&i| refl.path(i).interactions == [InteractionType::Specular]).map(|i| refl.a[i].norm()).sum::<f64>();
        println!("RSB {pol:?}: GO jump {go:.3e}, total jump {total:.3e}, |a_refl| {a_refl:.3e}");
        assert!((go - a_refl).abs() < 0.05 * a_refl, "the reflection must disappear across the boundary");
        assert!(total < 0.01 * go, "{pol:?}: total field jumps by {:.2} % of the lost reflection", 100.0 * total / go);
    }
}

/// A block 40 m tall (z ∈ [−20, 20]) of `material`, so that the diffraction point of a
/// transmitter high above the receiver still lies on the edge.
fn tall_block(material: RadioMaterial) -> Scene {
    let mut s = Scene::new();
    let name = material.name.clone();
    s.add_material(material).unwrap();
    s.add_object("block", Mesh::cuboid(DVec3::new(0.0, 0.0, -20.0), DVec3::new(4.0, 4.0, 20.0)), &name).unwrap();
    s
}

/// Oblique incidence on the edge, β₀ from 90° down to 45°, on a lossy and a metal wedge:
/// the total field stays continuous across the face's reflection boundary and the
/// incident shadow boundary to < 1 % of the lost ray. With Luebbers' face angles
/// (|sin φ'|, exact only at β₀ = 90°) the lossy face's reflection boundary jumped by
/// ≈ 3 % at β₀ = 60°.
#[test]
fn total_field_is_continuous_at_oblique_incidence_on_lossy_and_metal_wedges() {
    let materials = [RadioMaterial::custom("wood_like", 1.99, 0.0047, 0.3).unwrap(), RadioMaterial::custom("lossy", 5.24, 0.3, 0.3).unwrap(), RadioMaterial::itu(ItuMaterial::Metal)];
    let tx_xy = DVec3::new(-6.0, -2.0, 0.0);
    // horizontal distances of the transmitter and the receivers from the edge: the
    // diffraction point divides the height in their ratio, cot β₀ = h / (ρ_t + ρ_r)
    let rho = (tx_xy - DVec3::new(4.0, 0.0, 0.0)).length() + 6.0;
    let boundary = (2.0f64).atan2(10.0);
    for material in materials {
        let scene = tall_block(material.clone());
        for beta_deg in [90.0f64, 75.0, 60.0, 45.0] {
            let tx = tx_xy + DVec3::Z * rho / beta_deg.to_radians().tan();
            for pol in [Polarization::V, Polarization::H] {
                // the face's reflection boundary (lost: the reflection off the south face)
                let (total_r, go_r) = jumps(&scene, tx, -boundary, pol);
                assert!(go_r > 0.0);
                assert!(total_r < 0.01 * go_r, "{} β₀ = {beta_deg}° {pol:?}: reflection boundary jump {:.3} % of the lost field", material.name, 100.0 * total_r / go_r);
                // the incident shadow boundary (lost: the line of sight)
                let (total_s, go_s) = jumps(&scene, tx, boundary, pol);
                assert!(total_s < 0.01 * go_s, "{} β₀ = {beta_deg}° {pol:?}: shadow boundary jump {:.3} % of the lost field", material.name, 100.0 * total_s / go_s);
                println!("{} β₀ = {beta_deg}° {pol:?}: jumps {:.4} % (reflection), {:.4} % (shadow) of the lost field", material.name, 100.0 * total_r / go_r, 100.0 * total_s / go_s);
            }
        }
    }
}

/// Channel `Σ a e^{−j2πfτ}` and its derivative along `object/block/translation` x from
/// the interior gradients of every path.
fn channel_and_derivative(scene: &Scene, tx: DVec3, rx: DVec3, diffraction: bool) -> (Complex, Complex) {
    let p = solve(scene, tx, rx, diffraction, Polarization::V);
    let geom = rftwin::SceneGeometry::new(scene);
    let g = rftwin::path_gradients(scene, &geom, &p, &Radio::isotropic(tx), &Radio::isotropic(rx), &rftwin::GradientParam::parse("object/block/translation").unwrap()).unwrap();
    let w = 2.0 * PI * F;
    let mut h = Complex::new(0.0, 0.0);
    let mut dh = Complex::new(0.0, 0.0);
    for i in 0..p.num_paths() {
        let e = Complex::from_polar(1.0, -w * p.tau[i]);
        h += p.a[i] * e;
        dh += (g.a[i][0] - Complex::new(0.0, w) * p.a[i] * g.tau[i][0]) * e;
    }
    (h, dh)
}

/// Item 2 of the boundary-term issue, through diffraction: sliding the block along x
/// moves the south face's reflection boundary across a fixed receiver (the specular
/// point runs off the face at θ = 0). With diffraction the interior gradient of all
/// paths integrates to the actual change of the channel over the crossing; without it
/// the change misses the reflected ray that appears (the boundary term).
#[test]
fn interior_gradients_with_diffraction_integrate_across_a_reflection_boundary() {
    let tx = DVec3::new(-6.0, -2.0, 0.0);
    let rsb = -(2.0f64).atan2(10.0);
    let rx = receiver(rsb);
    let moved = |theta: f64| {
        let mut s = block();
        s.translate_object("block", DVec3::new(theta, 0.0, 0.0)).unwrap();
        s
    };
    let (half, steps) = (0.02, 40);
    let dt = 2.0 * half / steps as f64;
    for diffraction in [true, false] {
        let change = channel_and_derivative(&moved(half), tx, rx, diffraction).0 - channel_and_derivative(&moved(-half), tx, rx, diffraction).0;
        // midpoint rule: no sample falls on the boundary itself
        let integral: Complex = (0..steps).map(|k| channel_and_derivative(&moved(-half + (k as f64 + 0.5) * dt), tx, rx, diffraction).1 * dt).sum();
        let refl = solve(&moved(half), tx, rx, false, Polarization::V);
        let a_refl = (0..refl.num_paths()).filter(|&i| refl.path(i).interactions == [InteractionType::Specular]).map(|i| refl.a[i].norm()).sum::<f64>();
        let miss = (change - integral).norm();
        println!("diffraction {diffraction}: |ΔH| {:.3e}, |ΔH − ∫ dH/dθ| {miss:.3e}, |a_refl| {a_refl:.3e}", change.norm());
        if diffraction {
            assert!(miss < 0.01 * a_refl, "interior gradients miss {:.2} % of the reflected ray", 100.0 * miss / a_refl);
        } else {
            assert!((miss - a_refl).abs() < 0.05 * a_refl, "without diffraction the change must miss the appearing ray");
        }
    }
}

#[test]
fn diffraction_works_without_reflections_and_at_knife_edges_only_when_asked() {
    // specular reflection off: the direct diffracted paths remain (the search then
    // shoots its own rays from the transmitter)
    let scene = block();
    let tx = DVec3::new(-6.0, -2.0, 0.0);
    let rx = receiver(0.6);
    let o = SolverOptions { backend: BackendChoice::Cpu, frequency_hz: F, max_depth: 2, samples: 20_000, refraction: false, specular_reflection: false, diffraction: true, ..Default::default() };
    let p = PathSolver::new(o).solve_scene(&scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap();
    let kinds: Vec<&[InteractionType]> = (0..p.num_paths()).map(|i| p.path(i).interactions).collect();
    assert!(kinds.iter().all(|k| !k.contains(&InteractionType::Specular)), "{kinds:?}");
    assert!(kinds.iter().any(|k| *k == [InteractionType::Diffraction]), "{kinds:?}");
    assert_eq!(p.stats.wedges, 12);
    // an open plate: its borders diffract only with edge_diffraction
    let mut plate = Scene::new();
    plate.add_material(RadioMaterial::custom("lossy", 5.24, 0.3, 0.3).unwrap()).unwrap();
    plate.add_object("plate", Mesh::quad_xy(-1.0, 1.0, -1.0, 1.0, 0.0), "lossy").unwrap();
    let (tx, rx) = (DVec3::new(-0.5, 0.2, 3.0), DVec3::new(0.3, -0.1, -2.0));
    let solve = |edge_diffraction| {
        let o = SolverOptions { backend: BackendChoice::Cpu, frequency_hz: F, max_depth: 1, samples: 20_000, refraction: false, diffraction: true, edge_diffraction, ..Default::default() };
        PathSolver::new(o).solve_scene(&plate, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap()
    };
    let (without, with) = (solve(false), solve(true));
    let diffracted = |p: &Paths| (0..p.num_paths()).filter(|&i| p.path(i).interactions == [InteractionType::Diffraction]).count();
    assert_eq!((without.stats.wedges, diffracted(&without)), (0, 0));
    // four borders, each seen by both ends (the line of sight is blocked by the plate)
    assert_eq!((with.stats.wedges, diffracted(&with)), (4, 4));
}

#[test]
fn inconsistent_diffraction_settings_are_errors() {
    let scene = block();
    let (tx, rx) = (Radio::isotropic(DVec3::new(-6.0, -2.0, 0.0)), Radio::isotropic(receiver(0.5)));
    let solve = |o: SolverOptions| PathSolver::new(SolverOptions { backend: BackendChoice::Cpu, samples: 1000, ..o }).solve_scene(&scene, &tx, &rx).map(|_| ()).unwrap_err().to_string();
    assert!(solve(SolverOptions { diffraction: true, max_depth: 0, ..Default::default() }).contains("max_depth"));
    assert!(solve(SolverOptions { edge_diffraction: true, diffraction: false, ..Default::default() }).contains("edge_diffraction"));
}

#[test]
fn shadow_only_diffraction_keeps_the_shadow_region() {
    // diffraction_lit_region = false keeps a diffracted path only where the edge hides
    // the transmitter from the receiver (|φ − φ'| > π), as Sionna's option does
    let scene = block();
    let tx = DVec3::new(-6.0, -2.0, 0.0);
    let isb = (2.0f64).atan2(10.0);
    let count = |psi: f64, lit: bool| {
        let o = SolverOptions { backend: BackendChoice::Cpu, frequency_hz: F, max_depth: 1, samples: 20_000, refraction: false, diffraction: true, diffraction_lit_region: lit, ..Default::default() };
        let p = PathSolver::new(o).solve_scene(&scene, &Radio::isotropic(tx), &Radio::isotropic(receiver(psi))).unwrap();
        (0..p.num_paths()).filter(|&i| p.path(i).interactions == [InteractionType::Diffraction] && (p.path(i).vertices[0] - DVec3::new(4.0, 0.0, 0.0)).length() < 1e-6).count()
    };
    assert_eq!((count(isb - 0.05, true), count(isb - 0.05, false)), (1, 0), "lit side");
    assert_eq!((count(isb + 0.05, true), count(isb + 0.05, false)), (1, 1), "shadow side");
}
