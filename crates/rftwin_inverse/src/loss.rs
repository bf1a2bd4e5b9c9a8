//! Channel losses: the CSI/CFR misfit of channel-measurement problems (material, pose
//! or geometry from measured channels).

use crate::error::{InverseError, Result};
use rftwin_core::Complex;

/// `L = Σ_k |h_k − o_k|² / Σ_k |o_k|²` over all receivers and subcarriers, with
/// `∂L/∂h_k` in the complex-gradient convention `∂L/∂Re h + j ∂L/∂Im h`
/// (`= 2 (h_k − o_k) / Σ|o|²`), so that `∂L/∂θ = Re Σ conj(∂L/∂h_k) ∂h_k/∂θ` for the
/// CFR derivatives of `rftwin_trace::paths::channel::cfr_gradient`.
pub fn cfr_misfit(simulated: &[Vec<Complex>], observed: &[Vec<Complex>]) -> Result<(f64, Vec<Vec<Complex>>)> {
    if simulated.len() != observed.len() || simulated.iter().zip(observed).any(|(a, b)| a.len() != b.len()) {
        return Err(InverseError::invalid("CFR", "simulated and observed responses differ in shape"));
    }
    let norm: f64 = observed.iter().flatten().map(|o| o.norm_sqr()).sum();
    if norm.is_nan() || norm <= 0.0 {
        return Err(InverseError::invalid("CFR", "the observed response is zero"));
    }
    let mut loss = 0.0;
    let grad = simulated
        .iter()
        .zip(observed)
        .map(|(h, o)| {
            h.iter()
                .zip(o)
                .map(|(h, o)| {
                    let r = *h - *o;
                    loss += r.norm_sqr() / norm;
                    r * (2.0 / norm)
                })
                .collect()
        })
        .collect();
    Ok((loss, grad))
}

/// `∂L/∂θ` from the misfit's gradient and the CFR derivatives `∂h/∂θ` (same shape).
pub fn chain(grad: &[Vec<Complex>], dh: &[Vec<Complex>]) -> f64 {
    grad.iter().zip(dh).flat_map(|(g, d)| g.iter().zip(d)).map(|(g, d)| (g.conj() * d).re).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfr_misfit_gradient_matches_finite_differences() {
        let obs = vec![vec![Complex::new(1.0, 0.5), Complex::new(-0.3, 0.2)], vec![Complex::new(0.1, -0.7)]];
        // h(θ) = h0 + θ d
        let h0 = vec![vec![Complex::new(0.8, 0.4), Complex::new(-0.1, 0.3)], vec![Complex::new(0.3, -0.5)]];
        let d = vec![vec![Complex::new(0.2, -1.0), Complex::new(0.5, 0.1)], vec![Complex::new(-0.4, 0.3)]];
        let at = |t: f64| -> Vec<Vec<Complex>> { h0.iter().zip(&d).map(|(a, b)| a.iter().zip(b).map(|(x, y)| *x + *y * t).collect()).collect() };
        let (l, g) = cfr_misfit(&h0, &obs).unwrap();
        let fd = (cfr_misfit(&at(1e-6), &obs).unwrap().0 - cfr_misfit(&at(-1e-6), &obs).unwrap().0) / 2e-6;
        assert!((chain(&g, &d) - fd).abs() < 1e-8, "{} vs {fd}", chain(&g, &d));
        // closed form: Σ|h − o|² / Σ|o|²
        let num = 0.2f64.powi(2) + 0.1f64.powi(2) + 0.2f64.powi(2) + 0.1f64.powi(2) + 0.2f64.powi(2) + 0.2f64.powi(2);
        let den = 1.25 + 0.13 + 0.5;
        assert!((l - num / den).abs() < 1e-12);
        assert!(cfr_misfit(&h0, &obs[..1]).is_err());
        assert!(cfr_misfit(&h0, &[vec![Complex::new(0.0, 0.0); 2], vec![Complex::new(0.0, 0.0)]]).is_err());
    }
}
