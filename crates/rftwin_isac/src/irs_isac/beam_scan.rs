//! B: the IRS as a stand-alone anchor (spec §B). A target beams toward the IRS and
//! measures the echo power while the IRS sweeps a codebook; the strongest codeword gives
//! the direction. The round trip doubles the phase slope (effective spacing 2d), so
//! `d ≤ λ/4` scans `s ∈ [−1, 1]` without aliasing.

use super::ula_steering;
use nalgebra::DVector;
use rand::Rng;
use rand_pcg::Pcg64;
use rand_distr::{Distribution, StandardNormal};
use rftwin_core::Complex;
use std::f64::consts::TAU;

/// `s(v) = (1/M) Σ_m v_m e^{j2κ d m s}`: the round-trip response of configuration `v`.
pub fn response(v: &DVector<Complex>, d_over_lambda: f64, s: f64) -> Complex {
    v.dot(&ula_steering(v.len(), 2.0 * d_over_lambda, s)) / v.len() as f64
}

/// One noisy power measurement `|√SNR s(v) + n|²`, `n ~ CN(0, 1)`.
pub fn measure(v: &DVector<Complex>, d_over_lambda: f64, s: f64, snr: f64, rng: &mut impl Rng) -> f64 {
    let n = Complex::new(StandardNormal.sample(rng), StandardNormal.sample(rng)) * std::f64::consts::FRAC_1_SQRT_2;
    (response(v, d_over_lambda, s) * snr.sqrt() + n).norm_sqr()
}

/// Codeword steering the round trip to `s_c`: `v_m = e^{−j2κ d m s_c}`.
pub fn codeword(m: usize, d_over_lambda: f64, s_c: f64) -> DVector<Complex> {
    ula_steering(m, 2.0 * d_over_lambda, s_c).map(|c| c.conj())
}

/// A wide beam over `[u_c − w/2, u_c + w/2]` with every element on: the quadratic "chirp"
/// `v_m = exp(−j2π(2d/λ)[u_c m + (w/(2(M−1)))(m − (M−1)/2)²])`.
pub fn wide_beam(m: usize, d_over_lambda: f64, centre: f64, width: f64) -> DVector<Complex> {
    let half = (m as f64 - 1.0) / 2.0;
    let curvature = if m > 1 { width / (2.0 * (m as f64 - 1.0)) } else { 0.0 };
    DVector::from_fn(m, |i, _| {
        let i = i as f64;
        Complex::from_polar(1.0, -TAU * 2.0 * d_over_lambda * (centre * i + curvature * (i - half).powi(2)))
    })
}

/// Exhaustive scan over `M` codewords centred at `s_c = −1 + (2c + 1)/M`: the estimate and
/// the number of measurements.
pub fn exhaustive_scan(m: usize, d_over_lambda: f64, s: f64, snr: f64, rng: &mut impl Rng) -> (f64, usize) {
    let centres: Vec<f64> = (0..m).map(|c| -1.0 + (2.0 * c as f64 + 1.0) / m as f64).collect();
    let powers: Vec<f64> = centres.iter().map(|&sc| measure(&codeword(m, d_over_lambda, sc), d_over_lambda, s, snr, rng)).collect();
    let best = (0..m).max_by(|&a, &b| powers[a].total_cmp(&powers[b])).unwrap_or(0);
    (centres[best], m)
}

/// Hierarchical scan: `log₂M` levels, each measuring both halves of the current sector
/// with wide beams and keeping the stronger (`2 log₂M` measurements).
pub fn hierarchical_scan(m: usize, d_over_lambda: f64, s: f64, snr: f64, rng: &mut impl Rng) -> (f64, usize) {
    let (mut lo, mut hi) = (-1.0f64, 1.0f64);
    let mut count = 0;
    while hi - lo > 2.0 / m as f64 + 1e-12 {
        let mid = 0.5 * (lo + hi);
        let w = mid - lo;
        let p_lo = measure(&wide_beam(m, d_over_lambda, lo + w / 2.0, w), d_over_lambda, s, snr, rng);
        let p_hi = measure(&wide_beam(m, d_over_lambda, mid + w / 2.0, w), d_over_lambda, s, snr, rng);
        count += 2;
        if p_lo >= p_hi {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (0.5 * (lo + hi), count)
}

/// Fraction of `trials` targets (uniform in `s` on `|s| ≤ 0.95`) located within one step
/// (`|ŝ − s| ≤ 2/M`) by `scan`, and the measurements per trial.
pub fn success_rate(m: usize, d_over_lambda: f64, snr_db: f64, trials: usize, rng: &mut Pcg64, scan: fn(usize, f64, f64, f64, &mut Pcg64) -> (f64, usize)) -> (f64, usize) {
    let snr = 10f64.powf(snr_db / 10.0);
    let mut hits = 0;
    let mut count = 0;
    for _ in 0..trials {
        let s = rng.gen_range(-0.95..0.95);
        let (estimate, n) = scan(m, d_over_lambda, s, snr, rng);
        count = n;
        if (estimate - s).abs() <= 2.0 / m as f64 {
            hits += 1;
        }
    }
    (hits as f64 / trials.max(1) as f64, count)
}
