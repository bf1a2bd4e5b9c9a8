//! What ISTA (Algorithm 2) and FT–CS (Algorithm 3) share: options, the sparsity
//! threshold (eqs. 35–36) and the result.

use crate::error::{invalid, Result};
use rftwin_core::Complex;

/// Thresholding of the sparse iterations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Threshold {
    /// Complex soft threshold `(r/|r|) max(|r| − τ, 0)` with `τ` the `(K+1)`-th largest
    /// magnitude (keeps exactly `K` non-zeros).
    #[default]
    Soft,
    /// Keep the `K` largest entries unchanged.
    Hard,
}

/// Options of the sparse iterations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SparseOptions {
    /// Sparsity `K` (non-zeros kept per iteration).
    pub sparsity: usize,
    /// `T_max`.
    pub iterations: usize,
    /// Stop when `‖σ⁽ᵗ⁾ − σ⁽ᵗ⁻¹⁾‖ / ‖σ⁽ᵗ⁻¹⁾‖` falls below this.
    pub tolerance: f64,
    /// Soft or hard thresholding.
    pub threshold: Threshold,
}

impl Default for SparseOptions {
    /// `K = 18`, 50 iterations, tolerance 1e-4, soft threshold.
    fn default() -> Self {
        SparseOptions { sparsity: 18, iterations: 50, tolerance: 1e-4, threshold: Threshold::Soft }
    }
}

impl SparseOptions {
    /// Checks `1 ≤ K ≤ voxels` and at least one iteration.
    pub fn validate(&self, voxels: usize) -> Result<()> {
        if self.sparsity == 0 || self.sparsity > voxels {
            return Err(invalid("sparsity", format!("K = {} for {voxels} voxels: need 1 ≤ K ≤ N_v", self.sparsity)));
        }
        if self.iterations == 0 {
            return Err(invalid("iterations", "need at least one iteration"));
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(invalid("tolerance", format!("{} must be ≥ 0 and finite", self.tolerance)));
        }
        Ok(())
    }
}

/// A sparse reconstruction.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseImage {
    /// `σ̂` in the imager's voxel order.
    pub image: Vec<Complex>,
    /// Iterations run.
    pub iterations: usize,
    /// The largest single buffer the algorithm allocated \[bytes\].
    pub largest_allocation_bytes: u128,
}

/// `T_τ(r)` with `τ` from the `(K+1)`-th largest magnitude (soft), or the `K` largest
/// kept (hard).
pub fn threshold(r: &[Complex], sparsity: usize, kind: Threshold) -> Vec<Complex> {
    let mut mags: Vec<f64> = r.iter().map(|v| v.norm()).collect();
    mags.sort_by(|a, b| b.total_cmp(a));
    let tau = mags.get(sparsity).copied().unwrap_or(0.0);
    r.iter()
        .map(|&v| {
            let m = v.norm();
            match kind {
                Threshold::Soft if m > tau => v * ((m - tau) / m),
                Threshold::Hard if m > tau => v,
                _ => Complex::new(0.0, 0.0),
            }
        })
        .collect()
}

/// `‖a‖²`.
pub fn norm_sqr(a: &[Complex]) -> f64 {
    a.iter().map(|v| v.norm_sqr()).sum()
}

/// `‖a − b‖ / ‖b‖` (infinite for `b = 0`, `a ≠ 0`; 0 when both vanish).
pub fn relative_change(a: &[Complex], b: &[Complex]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).norm_sqr()).sum();
    let den = norm_sqr(b);
    if den > 0.0 {
        (num / den).sqrt()
    } else if num > 0.0 {
        f64::INFINITY
    } else {
        0.0
    }
}
