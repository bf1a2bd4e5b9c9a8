//! The largest value of a monotone feasibility test (max–min SINR problems: a common
//! SINR γ is reachable or not, and every smaller one is too).

use crate::error::Result;

/// Geometric bisection for the largest `γ ∈ (0, upper]` at which `test` returns a
/// witness: the first trial is `upper/1000`, then `√(lo·hi)`; stops when `hi/lo < ratio`
/// or after `iterations` trials. Returns the largest feasible `γ` found (0 if none) and
/// its witness.
pub fn largest_feasible<T>(upper: f64, ratio: f64, iterations: usize, mut test: impl FnMut(f64) -> Result<Option<T>>) -> Result<(f64, Option<T>)> {
    let (mut lo, mut hi, mut best) = (0.0f64, upper, None);
    for _ in 0..iterations {
        let mid = if lo > 0.0 { (lo * hi).sqrt() } else { hi / 1e3 };
        match test(mid)? {
            Some(witness) => {
                lo = mid;
                best = Some(witness);
            }
            None => hi = mid,
        }
        if lo > 0.0 && hi / lo < ratio {
            break;
        }
    }
    Ok((lo, best))
}
