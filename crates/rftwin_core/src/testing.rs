//! Assertions for tests that compare a computed value with an independent reference
//! (closed form, finite difference, golden data): one rule, and a failure message that
//! shows the value, the reference and their ratio.

/// Asserts `|got − reference| ≤ rel · max(|got|, |reference|) + abs`.
///
/// # Panics
/// When the values differ by more, or either is not finite; the message names `what`
/// and prints both values and their ratio.
#[track_caller]
pub fn assert_close(what: &str, got: f64, reference: f64, rel: f64, abs: f64) {
    let scale = got.abs().max(reference.abs());
    assert!(
        got.is_finite() && reference.is_finite() && (got - reference).abs() <= rel * scale + abs,
        "{what}: got {got:.9e}, reference {reference:.9e}, ratio {:.6} (allowed: rel {rel:e}, abs {abs:e})",
        got / reference
    );
}

/// Asserts `max |got − reference| ≤ rel · max |reference|` over two slices of equal
/// length with a non-zero reference.
///
/// # Panics
/// When the lengths differ, the reference is all zero, or the largest difference is too
/// large; the message names `what` and the worst index.
#[track_caller]
pub fn assert_all_close(what: &str, got: &[f64], reference: &[f64], rel: f64) {
    assert_eq!(got.len(), reference.len(), "{what}: {} values vs {} in the reference", got.len(), reference.len());
    let scale = reference.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let (worst, err) = got.iter().zip(reference).map(|(a, b)| (a - b).abs()).enumerate().fold((0, 0.0f64), |m, (i, e)| if e > m.1 || e.is_nan() { (i, e) } else { m });
    assert!(
        scale > 0.0 && err <= rel * scale,
        "{what}: largest difference {err:e} at {worst} (got {:e}, reference {:e}), reference scale {scale:e}, allowed rel {rel:e}",
        got.get(worst).copied().unwrap_or(f64::NAN),
        reference.get(worst).copied().unwrap_or(f64::NAN)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_values_pass_and_far_ones_fail() {
        assert_close("equal", 1.0, 1.0, 0.0, 0.0);
        assert_close("1e-4 apart", 1.0001, 1.0, 2e-4, 0.0);
        assert!(std::panic::catch_unwind(|| assert_close("1e-2 apart", 1.01, 1.0, 1e-3, 0.0)).is_err());
        assert!(std::panic::catch_unwind(|| assert_close("nan", f64::NAN, 1.0, 1.0, 1.0)).is_err());
        assert_all_close("slices", &[1.0, 2.0], &[1.0, 2.0001], 1e-4);
        assert!(std::panic::catch_unwind(|| assert_all_close("slices", &[1.0, 2.1], &[1.0, 2.0], 1e-3)).is_err());
        assert!(std::panic::catch_unwind(|| assert_all_close("zero reference", &[0.0], &[0.0], 1e-3)).is_err());
    }
}
