//! The conic layer over clarabel: closed-form optima, infeasibility, the R2
//! normalisation at channel-gain scales (spec `mf_ris_isac.md` §7, test M10), bad data.
#![allow(clippy::unwrap_used)]

use nalgebra::{DMatrix, DVector};
use rftwin_isac::conic::{ConicProblem, ConicStatus};

#[test]
fn a_linear_objective_over_a_ball_reaches_the_closed_form_optimum() {
    // min x₁ + x₂ s.t. ‖x‖ ≤ 2 → x = −√2·(1, 1), value −2√2.
    let mut cp = ConicProblem::new(2);
    cp.add_objective(&DMatrix::zeros(2, 2), &DVector::from_vec(vec![1.0, 1.0])).unwrap();
    cp.add_norm_bound("ball", &DMatrix::identity(2, 2), 2.0).unwrap();
    let sol = cp.solve().unwrap();
    assert_eq!(sol.status, ConicStatus::Solved);
    assert!((sol.objective + 2.0 * 2f64.sqrt()).abs() < 1e-7, "{}", sol.objective);
    assert!((sol.x[0] + 2f64.sqrt()).abs() < 1e-6);
}

#[test]
fn a_quadratic_objective_with_an_equality_matches_its_lagrange_solution() {
    // min ½‖x − (1, 2, 3)‖² s.t. x₁ + x₂ + x₃ = 0 → x = (1, 2, 3) − 2.
    let mut cp = ConicProblem::new(3);
    cp.add_objective(&DMatrix::identity(3, 3), &DVector::from_vec(vec![-1.0, -2.0, -3.0])).unwrap();
    cp.add_equality("sum", &DVector::from_element(3, 1.0), 0.0).unwrap();
    let sol = cp.solve().unwrap();
    assert!(sol.is_solved());
    for (i, want) in [-1.0, 0.0, 1.0].iter().enumerate() {
        assert!((sol.x[i] - want).abs() < 1e-7, "x{i} = {}", sol.x[i]);
    }
}

#[test]
fn contradictory_cones_are_reported_infeasible_not_solved() {
    let mut cp = ConicProblem::new(2);
    cp.add_norm_bound("ball", &DMatrix::identity(2, 2), 1.0).unwrap();
    // ‖0‖ ≤ x₁ − 2, i.e. x₁ ≥ 2: outside the unit ball.
    cp.add_soc("x1 ≥ 2", &DVector::from_vec(vec![1.0, 0.0]), -2.0, &DMatrix::zeros(1, 2), &DVector::zeros(1)).unwrap();
    let sol = cp.solve().unwrap();
    assert!(matches!(sol.status, ConicStatus::Infeasible(_)), "{:?}", sol.status);
}

/// max x s.t. (a x)² ≤ ℓ₀ with a² and ℓ₀ at channel-gain scale (1e-11): x* = 2.
fn tiny_quadratic_bound(eta: f64, condition: bool) -> (ConicStatus, f64, f64) {
    let a = 1e-11f64.sqrt();
    let l0 = 4e-11;
    let mut cp = ConicProblem::new(1);
    cp.add_objective(&DMatrix::zeros(1, 1), &DVector::from_element(1, -1.0)).unwrap();
    cp.add_quadratic_bound("tiny", &DMatrix::from_element(1, 1, a), &DVector::zeros(1), l0, eta).unwrap();
    cp.add_norm_bound("box", &DMatrix::identity(1, 1), 100.0).unwrap();
    let cp = if condition { cp } else { cp.without_conditioning() };
    let sol = cp.solve().unwrap();
    let violation = (a * sol.x[0]).powi(2) / l0 - 1.0;
    (sol.status, sol.x[0], violation)
}

#[test]
fn the_normalised_rotated_cone_keeps_a_tiny_quadratic_bound_exact() {
    let (status, x, violation) = tiny_quadratic_bound(4e-11, true);
    assert_eq!(status, ConicStatus::Solved);
    assert!((x - 2.0).abs() < 1e-6 && violation < 1e-6, "x = {x}, violation {violation}");
    // M10: the same problem without any conditioning (no η, no block scaling) solves to
    // the same optimum here because clarabel equilibrates the data itself, but less
    // exactly; the spec's prototype lost the constraint outright. Record, do not rely on it.
    let (status_raw, x_raw, violation_raw) = tiny_quadratic_bound(1.0, false);
    eprintln!("unconditioned: {status_raw:?}, x = {x_raw}, relative violation {violation_raw:.2e}; conditioned: {violation:.2e}");
    assert!(status_raw != ConicStatus::Solved || violation_raw > violation, "conditioning should not make the bound less exact");
    if status_raw == ConicStatus::Solved {
        assert!((x_raw - x).abs() < 1e-4 * x, "the two scalings disagree: {x_raw} vs {x}");
    }
}

#[test]
fn non_finite_data_is_an_error_naming_the_block() {
    let mut cp = ConicProblem::new(2);
    cp.add_norm_bound("channel gain", &DMatrix::from_element(2, 2, f64::NAN), 1.0).unwrap();
    let err = cp.solve().unwrap_err().to_string();
    assert!(err.contains("channel gain"), "{err}");
    assert!(ConicProblem::new(2).add_norm_bound("negative", &DMatrix::identity(2, 2), -1.0).is_err());
    assert!(ConicProblem::new(2).add_quadratic_bound("η", &DMatrix::identity(2, 2), &DVector::zeros(2), 0.0, 0.0).is_err());
}
