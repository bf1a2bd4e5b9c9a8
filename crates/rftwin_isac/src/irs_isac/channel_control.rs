//! F: channel-control objectives (spec §F). When the IRS makes the users' channels
//! orthogonal, maximum-ratio transmission (MRT) is optimal: it coincides with
//! zero-forcing (ZF) and with the max–min-SINR beamformer. Users receive `y_k = h_k x`
//! (row k of `H`, K × N).

use crate::conic::embed::from_real;
use crate::conic::{largest_feasible, ConicProblem};
use crate::error::Result;
use nalgebra::DMatrix;
use rftwin_core::Complex;

/// MRT: unit columns `w_k = h_kᴴ/‖h_k‖`.
pub fn mrt(h: &DMatrix<Complex>) -> DMatrix<Complex> {
    let mut w = h.adjoint();
    for mut c in w.column_iter_mut() {
        let n = c.norm();
        c /= Complex::new(n, 0.0);
    }
    w
}

/// ZF: unit columns of `Hᴴ(HHᴴ)⁻¹` (`None` when `HHᴴ` is singular).
pub fn zf(h: &DMatrix<Complex>) -> Option<DMatrix<Complex>> {
    let mut w = h.adjoint() * (h * h.adjoint()).try_inverse()?;
    for mut c in w.column_iter_mut() {
        let n = c.norm();
        c /= Complex::new(n, 0.0);
    }
    Some(w)
}

/// SINRs `|h_k w_k|² / (Σ_{j≠k} |h_k w_j|² + σ²)`.
pub fn sinrs(h: &DMatrix<Complex>, w: &DMatrix<Complex>, noise: f64) -> Vec<f64> {
    let g = h * w;
    (0..h.nrows())
        .map(|k| {
            let own = g[(k, k)].norm_sqr();
            let all: f64 = g.row(k).iter().map(|v| v.norm_sqr()).sum();
            own / (all - own + noise)
        })
        .collect()
}

/// The beamformer (N × K) with the largest common SINR under `‖W‖_F² ≤ P`: bisection on
/// the exact second-order cone `√(1 + 1/γ) Re{h_k w_k} ≥ ‖(h_k W, σ)‖`, `Im{h_k w_k} = 0`
/// (every SINR is invariant to a column phase). Returns it and the SINR reached.
pub fn max_min_beamformer(h: &DMatrix<Complex>, power: f64, noise: f64) -> Result<(DMatrix<Complex>, f64)> {
    let (k, n) = h.shape();
    let feasible = |gamma: f64| -> Result<Option<DMatrix<Complex>>> {
        let dim = 2 * n * k;
        let mut cp = ConicProblem::new(dim);
        cp.set_variable_scale(power.sqrt())?;
        cp.add_norm_bound("power", &DMatrix::identity(dim, dim), power.sqrt())?;
        for user in 0..k {
            // row·vec W = h_user w_col for each column (vec stacks columns)
            let rows = DMatrix::from_fn(k, n * k, |col, idx| if idx / n == col { h[(user, idx % n)] } else { Complex::new(0.0, 0.0) });
            let own: Vec<Complex> = rows.row(user).iter().copied().collect();
            cp.add_sinr_cone(&format!("user {user}"), &own, &rows, noise, gamma)?;
        }
        let sol = cp.solve()?;
        Ok(sol.is_solved().then(|| DMatrix::from_column_slice(n, k, &from_real(sol.x.as_slice()))))
    };
    let upper = (0..k).map(|u| power * h.row(u).norm_squared() / noise).fold(f64::INFINITY, f64::min);
    let (gamma, best) = largest_feasible(upper, 1.0 + 1e-6, 60, feasible)?;
    Ok((best.unwrap_or_else(|| mrt(h) * Complex::new((power / k as f64).sqrt(), 0.0)), gamma))
}
