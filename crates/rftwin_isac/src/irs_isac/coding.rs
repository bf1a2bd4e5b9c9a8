//! E: several targets over one shared IRS–BS link, told apart by coded IRS
//! configurations (spec §E). After the BS combines toward the IRS, slot t observes
//! `y_t = Σ_j α_j c_j(t) + n_t` with `c_j(t) = (a(s_j)ᵀ diag(g) v_t)² / M²` (the IRS is used
//! twice); stacking T slots gives `y = Cα + n`. Identical configurations make `C` rank
//! one: the targets cannot be separated, and that is an error, not an estimate.

use super::ula_steering;
use crate::error::{IsacError, Result};
use nalgebra::{DMatrix, DVector};
use rftwin_core::Complex;

/// The code column `c(s)` of a target at `s = sin θ` over the configurations `codes`
/// (rows of `T × M`), with BS→IRS steering `g`.
pub fn code_column(codes: &DMatrix<Complex>, g: &DVector<Complex>, s: f64) -> DVector<Complex> {
    let m = g.len();
    let a = ula_steering(m, 0.5, s).component_mul(g);
    DVector::from_fn(codes.nrows(), |t, _| {
        let x: Complex = (0..m).map(|i| a[i] * codes[(t, i)]).sum();
        x * x / (m * m) as f64
    })
}

/// Numerical rank (singular values above `1e-9` of the largest).
pub fn rank(c: &DMatrix<Complex>) -> usize {
    let sv = c.clone().svd(false, false).singular_values;
    let top = sv.iter().fold(0.0f64, |a, b| a.max(*b));
    sv.iter().filter(|&&v| v > 1e-9 * top).count()
}

/// Condition number σ_max/σ_min of `C` (∞ when rank-deficient).
pub fn condition_number(c: &DMatrix<Complex>) -> f64 {
    let sv = c.clone().svd(false, false).singular_values;
    let (lo, hi) = sv.iter().fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(*v), h.max(*v)));
    if lo <= 1e-12 * hi { f64::INFINITY } else { hi / lo }
}

/// The design criterion `max_{i≠j} |c_iᴴc_j| / (‖c_i‖‖c_j‖)` (smaller separates better).
pub fn max_coherence(c: &DMatrix<Complex>) -> f64 {
    let mut worst = 0.0f64;
    for i in 0..c.ncols() {
        for j in 0..i {
            let (a, b) = (c.column(i), c.column(j));
            worst = worst.max(a.dotc(&b).norm() / (a.norm() * b.norm()));
        }
    }
    worst
}

/// Directions (`sin θ`) and coefficients of `count` targets by orthogonal matching pursuit
/// over `grid` (sin-space), refusing a code whose dictionary has rank below `count`.
pub fn locate_targets(codes: &DMatrix<Complex>, g: &DVector<Complex>, y: &DVector<Complex>, grid: &[f64], count: usize) -> Result<Vec<(f64, Complex)>> {
    let dict = DMatrix::from_columns(&grid.iter().map(|&s| code_column(codes, g, s)).collect::<Vec<_>>());
    let r = rank(&dict);
    if r < count {
        return Err(IsacError::RankDeficient { what: format!("code dictionary of {} IRS configurations", codes.nrows()), rank: r, size: count, advice: "; vary the IRS configuration from slot to slot" });
    }
    let norms: Vec<f64> = dict.column_iter().map(|c| c.norm()).collect();
    let mut chosen: Vec<usize> = Vec::new();
    let mut residual = y.clone();
    let mut coef = DVector::zeros(0);
    for _ in 0..count {
        let best = (0..grid.len()).filter(|i| !chosen.contains(i)).max_by(|&a, &b| (dict.column(a).dotc(&residual).norm() / norms[a]).total_cmp(&(dict.column(b).dotc(&residual).norm() / norms[b])));
        let Some(best) = best else { break };
        chosen.push(best);
        let sub = DMatrix::from_columns(&chosen.iter().map(|&i| dict.column(i).into_owned()).collect::<Vec<_>>());
        coef = sub.clone().svd(true, true).solve(y, 1e-12).map_err(|e| crate::error::invalid("least squares", e.to_string()))?;
        residual = y - sub * &coef;
    }
    Ok(chosen.iter().enumerate().map(|(i, &c)| (grid[c], coef[i])).collect())
}
