//! A: sensing a blocked target over the IRS's virtual line of sight (spec §A).
//!
//! Four-hop monostatic echo `Y = α Gᵀ diag(v) a(θ) a(θ)ᵀ diag(v) G X + Z` (BS with N
//! antennas, IRS ULA of M elements at λ/2, pilots `X = I_N`). With a rank-one `G = g bᵀ`
//! every echo lies along `b b ᵀ` and only `ζ = α (a(θ)ᵀ diag(v) g)²` is observable, so
//! `(α, θ)` are not identifiable from one configuration.

use super::ula_steering;
use nalgebra::{DMatrix, DVector, Matrix3};
use rftwin_core::Complex;

/// The noiseless echo for target coefficient `alpha` at `s = sin θ`, one per configuration
/// in `configs`, stacked.
pub fn echo(g: &DMatrix<Complex>, configs: &[DVector<Complex>], alpha: Complex, s: f64) -> Vec<Complex> {
    let a = ula_steering(g.nrows(), 0.5, s);
    let mut out = Vec::new();
    for v in configs {
        let av = a.component_mul(v);
        let left = g.transpose() * &av; // Gᵀ diag(v) a
        let y = &left * left.transpose() * alpha; // X = I
        out.extend(y.iter().copied());
    }
    out
}

/// The 3×3 Fisher information of `(Re α, Im α, θ)` for noise variance `noise`:
/// `F = (2/σ²) Re{JᴴJ}` with central-difference Jacobians of the echo.
pub fn fisher_information(g: &DMatrix<Complex>, configs: &[DVector<Complex>], alpha: Complex, theta: f64, noise: f64) -> Matrix3<f64> {
    let h = 1e-6;
    let f = |a: Complex, t: f64| echo(g, configs, a, t.sin());
    let cols = [
        (f(alpha + h, theta), f(alpha - h, theta)),
        (f(alpha + Complex::new(0.0, h), theta), f(alpha - Complex::new(0.0, h), theta)),
        (f(alpha, theta + h), f(alpha, theta - h)),
    ];
    let jac: Vec<Vec<Complex>> = cols.iter().map(|(p, m)| p.iter().zip(m).map(|(a, b)| (a - b) / (2.0 * h)).collect()).collect();
    Matrix3::from_fn(|i, j| 2.0 / noise * jac[i].iter().zip(&jac[j]).map(|(a, b)| (a.conj() * b).re).sum::<f64>())
}

/// `λ_min/λ_max` of a Fisher matrix: below ~1e-12 the parameters are not identifiable.
pub fn conditioning(fisher: &Matrix3<f64>) -> f64 {
    let e = fisher.symmetric_eigenvalues();
    e.min() / e.max()
}

/// Passive beamforming toward the target for a single-antenna BS: `v_m =
/// e^{−j(∠g_m + ∠a_m)}`, which makes every term of `Σ_m v_m g_m a_m` real and positive.
pub fn aligned_phases(g: &DVector<Complex>, a: &DVector<Complex>) -> DVector<Complex> {
    DVector::from_fn(g.len(), |m, _| Complex::from_polar(1.0, -(g[m].arg() + a[m].arg())))
}

/// Echo power `|α|²|Σ_m v_m g_m a_m|⁴` of the single-antenna four-hop link.
pub fn echo_power(g: &DVector<Complex>, a: &DVector<Complex>, v: &DVector<Complex>, alpha: Complex) -> f64 {
    alpha.norm_sqr() * v.component_mul(g).component_mul(a).sum().norm_sqr().powi(2)
}
