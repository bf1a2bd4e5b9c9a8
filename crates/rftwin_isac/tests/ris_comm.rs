//! Imaging-augmented communication (paper 000 Sec. V; spec `ris_inr_imaging.md` §8,
//! test T10) and the unit-modulus relaxation behind it.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use nalgebra::{DMatrix, DVector};
use rftwin_core::Complex;
use rftwin_isac::geometry::Ris;
use rftwin_isac::ris_imaging::communication::{affine_channel, optimise_phases, random_phase_gains};
use rftwin_isac::ris_imaging::RisImagingConfig;
use rftwin_isac::sdr::{randomize, relax, RelaxationSolver};

const LAMBDA: f64 = 0.1;

fn config(side: usize) -> RisImagingConfig {
    let mut c = RisImagingConfig { ris: Ris::new(DVec3::ZERO, [side, side], [LAMBDA / 2.0; 2]).unwrap(), ..Default::default() };
    c.tx.elements = 2;
    c
}

fn disk() -> Vec<f64> {
    (0..100 * 100).map(|m| if ((m / 100) as f64 - 49.5).powi(2) + ((m % 100) as f64 - 49.5).powi(2) <= 400.0 { 1.0 } else { 0.0 }).collect()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn t10_inside_the_roi_the_located_user_gains_over_random_and_rough_phases() {
    let cfg = config(10);
    let hand = DVec3::new(40.0 * LAMBDA, 10.0 * LAMBDA, 10.0 * LAMBDA);
    let rough = DVec3::new(40.0 * LAMBDA, 0.0, 0.0);
    let truth = affine_channel(&cfg, hand, None).unwrap();
    let case1 = optimise_phases(&truth, RelaxationSolver::Auto, 1000, 1).unwrap();
    let case2 = optimise_phases(&affine_channel(&cfg, rough, None).unwrap(), RelaxationSolver::Auto, 1000, 1).unwrap();
    let case3 = random_phase_gains(&truth, 1000, 7).iter().sum::<f64>() / 1000.0;
    let g2 = truth.gain(&case2.omega);
    assert!(rel(case1.gain, 1.9585e-4) < 1e-3, "case 1 {:e} (spec 1.9585e-4)", case1.gain);
    assert!(rel(case1.relaxation_bound, 1.9585e-4) < 1e-3, "SDP value {:e}", case1.relaxation_bound);
    assert!(rel(g2, 4.918e-5) < 1e-3, "case 2 {g2:e} (spec 4.918e-5)");
    assert!(rel(case3, 5.166e-5) < 0.05, "case 3 {case3:e} (spec 5.166e-5 ± 5 %)");
    assert!(g2 < case3, "inside the ROI, phases aimed at the rough position fall below random (paper and spec)");
    // Invariants of the randomisation.
    assert!(case1.gain <= case1.relaxation_bound * (1.0 + 1e-6) && case1.gain >= std::f64::consts::FRAC_PI_4 * case1.relaxation_bound);
}

#[test]
fn t10_outside_the_roi_the_imaged_multipaths_help_little() {
    let cfg = config(10);
    let user = DVec3::new(30.0 * LAMBDA, -20.0 * LAMBDA, 20.0 * LAMBDA);
    let sigma = disk();
    let truth = affine_channel(&cfg, user, Some(&sigma)).unwrap();
    let case1 = optimise_phases(&truth, RelaxationSolver::Auto, 1000, 1).unwrap();
    let case2 = optimise_phases(&affine_channel(&cfg, user, None).unwrap(), RelaxationSolver::Auto, 1000, 1).unwrap();
    let g2 = truth.gain(&case2.omega);
    let case3 = random_phase_gains(&truth, 1000, 7).iter().sum::<f64>() / 1000.0;
    assert!(rel(case1.gain, 2.25737e-4) < 1e-3, "case 1 {:e} (spec 2.25737e-4)", case1.gain);
    assert!(rel(g2, 2.25624e-4) < 1e-3, "case 2 {g2:e} (spec 2.25624e-4)");
    assert!(rel(case3, 3.19e-5) < 0.05, "case 3 {case3:e} (spec 3.19e-5 ± 5 %)");
    assert!(case1.gain >= g2);
}

#[test]
fn clarabel_and_the_mixing_method_agree() {
    let hand = DVec3::new(40.0 * LAMBDA, 10.0 * LAMBDA, 10.0 * LAMBDA);
    // 6×6 RIS: the spec's value (its prototype: clarabel = mixing = 8.30207e-5). clarabel
    // takes over a minute there (dense PSD block of order 74), so it is compared on 4×4.
    let r6 = affine_channel(&config(6), hand, None).unwrap().quadratic_form();
    let mixing6 = relax(&r6, RelaxationSolver::Mixing, 0).unwrap();
    assert!(rel(mixing6.value, 8.30207e-5) < 1e-3, "mixing {:e} (spec 8.30207e-5)", mixing6.value);
    let r4 = affine_channel(&config(4), hand, None).unwrap().quadratic_form();
    let a = relax(&r4, RelaxationSolver::Clarabel, 0).unwrap();
    let b = relax(&r4, RelaxationSolver::Mixing, 0).unwrap();
    assert!(rel(b.value, a.value) < 1e-6, "mixing {:e} vs clarabel {:e}", b.value, a.value);
}

#[test]
fn the_relaxation_bounds_the_exhaustive_optimum_of_a_small_form() {
    // 4 unit-modulus entries, phases on a 64-step grid: the grid optimum ≤ SDP value,
    // and the randomised solution is within the grid's resolution of it.
    let r0 = DMatrix::from_fn(4, 3, |i, j| Complex::new((i as f64 * 1.3 + j as f64).sin(), (i as f64 - 0.7 * j as f64).cos()));
    let r = &r0 * r0.adjoint();
    let relaxed = relax(&r, RelaxationSolver::Clarabel, 0).unwrap();
    let (_, best_random) = randomize(&r, &relaxed, 2000, 3);
    let mut grid_best = f64::NEG_INFINITY;
    for code in 0..64usize.pow(3) {
        let z = DVector::from_fn(4, |i, _| if i == 0 { Complex::new(1.0, 0.0) } else { Complex::from_polar(1.0, std::f64::consts::TAU * ((code >> (6 * (i - 1))) & 63) as f64 / 64.0) });
        grid_best = grid_best.max(z.dotc(&(&r * &z)).re);
    }
    assert!(grid_best <= relaxed.value * (1.0 + 1e-7), "grid {grid_best} above the relaxation {}", relaxed.value);
    assert!(best_random >= 0.99 * grid_best, "randomised {best_random} vs grid {grid_best}");
}

#[test]
fn bad_input_is_refused() {
    let cfg = config(4);
    assert!(affine_channel(&cfg, DVec3::new(f64::NAN, 0.0, 0.0), None).is_err());
    assert!(affine_channel(&cfg, DVec3::new(4.0, 0.0, 0.0), Some(&[0.5; 3])).unwrap_err().to_string().contains("need 10000"));
    let not_hermitian = DMatrix::from_fn(2, 2, |i, j| Complex::new(i as f64, j as f64 + 1.0));
    assert!(relax(&not_hermitian, RelaxationSolver::Mixing, 0).unwrap_err().to_string().contains("Hermitian"));
    let big = DMatrix::<Complex>::identity(41, 41);
    assert!(relax(&big, RelaxationSolver::Clarabel, 0).unwrap_err().to_string().contains("mixing"));
}
