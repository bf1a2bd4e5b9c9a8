//! Antenna patterns and polarisation through the solver, against closed forms for the
//! line-of-sight path: `a = λ/(4πL) · C_R(−k)·C_T(k)`.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin::{Antenna, ItuMaterial, PathSolver, Polarization, Radio, Scene, SolverOptions};
use std::f64::consts::PI;

fn los_coefficient(tx: Antenna, rx: Antenna) -> (num_complex::Complex64, f64, DVec3) {
    let scene = Scene::canyon(ItuMaterial::Metal);
    let (a, b) = (DVec3::new(-22.0, 1.0, 9.0), DVec3::new(24.0, -2.0, 1.5));
    let opts = SolverOptions { backend: rftwin::BackendChoice::Cpu, max_depth: 0, ..Default::default() };
    let paths = PathSolver::new(opts)
        .solve_scene(&scene, &Radio { position: a, antenna: tx }, &Radio { position: b, antenna: rx })
        .unwrap();
    assert_eq!(paths.num_paths(), 1);
    let l = (b - a).length();
    (paths.a[0], 299792458.0 / 28e9 / (4.0 * PI * l), (b - a) / l)
}

#[test]
fn vertical_isotropic_los_is_lambda_over_4_pi_l() {
    let (a, free, _) = los_coefficient(Antenna::default(), Antenna::default());
    assert!((a.re - free).abs() < 1e-12 * free && a.im == 0.0);
}

#[test]
fn horizontal_isotropic_los_flips_sign_and_cross_polarisation_vanishes() {
    let h = Antenna::isotropic(Polarization::H);
    let (a, free, _) = los_coefficient(h, h);
    // φ̂(k) · φ̂(−k) = −1
    assert!((a.re + free).abs() < 1e-12 * free, "{a} vs {}", -free);
    let (a, free, _) = los_coefficient(Antenna::default(), h);
    assert!(a.norm() < 1e-12 * free, "{a}");
}

#[test]
fn short_dipoles_scale_by_their_patterns() {
    let d = Antenna::short_dipole(Polarization::V);
    let (a, free, k) = los_coefficient(d, d);
    let sin_t = (1.0 - k.z * k.z).sqrt(); // sin θ at both ends (θ_r = π − θ_t)
    let expected = free * 1.5 * sin_t * sin_t;
    assert!((a.re - expected).abs() < 1e-12 * expected, "{} vs {expected}", a.re);
}

#[test]
fn slanted_polarisation_mixes_by_cos_of_the_angle_difference() {
    let (z1, z2) = (0.3, 1.1);
    let (a, free, _) = los_coefficient(Antenna::isotropic(Polarization::Slant(z1)), Antenna::isotropic(Polarization::Slant(z2)));
    // C_T = cos z1 θ̂ + sin z1 φ̂ ; C_R(−k) = cos z2 θ̂ + sin z2 φ̂(−k) with φ̂(−k) = −φ̂(k)
    let expected = free * (z1.cos() * z2.cos() - z1.sin() * z2.sin());
    assert!((a.re - expected).abs() < 1e-12 * free, "{} vs {expected}", a.re);
}

#[test]
fn bad_solver_input_is_an_error_not_a_panic() {
    let scene = Scene::canyon(ItuMaterial::Metal);
    let ok = Radio::isotropic(DVec3::new(0.0, 0.0, 5.0));
    let nan = Radio::isotropic(DVec3::new(f64::NAN, 0.0, 5.0));
    let solve = |o: SolverOptions, tx: &Radio| PathSolver::new(o).solve_scene(&scene, tx, &ok).map(|_| ()).unwrap_err().to_string();
    let o = SolverOptions { backend: rftwin::BackendChoice::Cpu, samples: 1000, ..Default::default() };
    assert!(solve(o, &nan).contains("tx.position"));
    assert!(solve(SolverOptions { backend: rftwin::BackendChoice::Cpu, frequency_hz: 0.0, ..o }, &ok).contains("frequency"));
    assert!(solve(SolverOptions { backend: rftwin::BackendChoice::Cpu, samples: 0, ..o }, &ok).contains("samples"));
    // ITU concrete (the ground) is tabulated for 1–100 GHz only
    let e = solve(SolverOptions { backend: rftwin::BackendChoice::Cpu, frequency_hz: 300e9, ..o }, &ok);
    assert!(e.contains("itu_concrete") && e.contains("300 GHz"), "{e}");
}
