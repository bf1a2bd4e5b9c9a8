//! Channel responses from paths: CIR, CFR and discrete-time taps.
//!
//! With `a_i` in the Sionna convention (no propagation phase):
//! CFR `H(f) = Σ a_i e^{−j2π f τ_i}` at absolute frequency `f`;
//! baseband CIR `h(τ) = Σ a_i e^{−j2π f_c τ_i} δ(τ − τ_i)`;
//! taps `h_l = Σ a_i e^{−j2π f_c τ_i} sinc(l − W τ_i)` for bandwidth `W`.

use crate::error::{Result, TraceError};
use rftwin_core::{Complex, Paths};
use std::f64::consts::PI;

pub use rftwin_core::paths::propagation_phasor;

/// Baseband CIR `(τ_i, a_i e^{−j2π f_c τ_i})`: the ordinary paths as they are sorted,
/// then every RIS term (`a = Γ_m b_m`, `Γ_m Γ_n b` through two RIS) of every RIS path family.
pub fn cir(paths: &Paths) -> Vec<(f64, Complex)> {
    let fc = paths.frequency_hz;
    let ordinary = paths.tau.iter().zip(&paths.a).map(|(&t, &a)| (t, a * propagation_phasor(fc, t)));
    let ris = paths.ris_paths.iter().flat_map(|p| p.terms.iter().map(move |t| (t.tau, t.b * p.term_gamma(t, &paths.ris_gamma) * propagation_phasor(fc, t.tau))));
    ordinary.chain(ris).collect()
}

/// CFR `H(f)` at absolute frequencies `frequencies_hz`, RIS paths included (each
/// element term with its own delay: exact across the band).
pub fn cfr(paths: &Paths, frequencies_hz: &[f64]) -> Vec<Complex> {
    frequencies_hz
        .iter()
        .map(|&f| paths.tau.iter().zip(&paths.a).map(|(&t, &a)| a * propagation_phasor(f, t)).sum::<Complex>() + paths.ris_paths.iter().map(|p| paths.ris_response(p, f)).sum::<Complex>())
        .collect()
}

/// Derivatives of the CFR with respect to one parameter component `c`:
/// `∂H(f)/∂θ = Σ (∂a_i/∂θ − j2π f a_i ∂τ_i/∂θ) e^{−j2π f τ_i}` (complex, `∂Re + j ∂Im`),
/// plus the same over the RIS terms with `a = Γ_m b`.
pub fn cfr_gradient(paths: &Paths, grads: &crate::paths::gradients::PathGradients, component: usize, frequencies_hz: &[f64]) -> Vec<Complex> {
    let j = Complex::new(0.0, 1.0);
    frequencies_hz
        .iter()
        .map(|&f| {
            let ordinary: Complex = (0..paths.num_paths())
                .map(|i| (grads.a[i][component] - j * 2.0 * PI * f * paths.a[i] * grads.tau[i][component]) * propagation_phasor(f, paths.tau[i]))
                .sum();
            let ris: Complex = paths.ris_paths.iter().zip(&grads.ris).map(|(family, g)| crate::paths::ris::family_derivative(paths, family, g, component, f)).sum();
            ordinary + ris
        })
        .collect()
}

/// Normalised sinc, `sin(πx)/(πx)`.
pub fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    }
}

/// Most taps [`taps`] returns in one call (10⁸ complex values, 1.6 GB).
pub const MAX_TAPS: u64 = 100_000_000;

/// Discrete-time taps `h_l`, `l = l_min..=l_max`, for bandwidth `bandwidth_hz`
/// (sampling period 1/W), as Sionna's `cir_to_time_channel` without normalisation.
/// An empty, reversed or too long range ([`MAX_TAPS`]) or a non-positive bandwidth is an
/// error.
pub fn taps(paths: &Paths, bandwidth_hz: f64, l_min: i64, l_max: i64) -> Result<Vec<Complex>> {
    let count = (l_max as i128 - l_min as i128 + 1).max(0) as u128;
    if count == 0 || count > MAX_TAPS as u128 {
        return Err(TraceError::InvalidInput { name: "tap range", message: format!("{l_min}..={l_max} holds {count} taps; between 1 and {MAX_TAPS} are supported") });
    }
    if !(bandwidth_hz.is_finite() && bandwidth_hz > 0.0) {
        return Err(TraceError::InvalidInput { name: "bandwidth_hz", message: format!("must be finite and > 0, got {bandwidth_hz}") });
    }
    let c = cir(paths);
    Ok((l_min..=l_max).map(|l| c.iter().map(|&(t, a)| a * sinc(l as f64 - bandwidth_hz * t)).sum()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::DVec3;

    fn two_paths() -> Paths {
        let mut p = Paths::new(28e9, 1, vec![]);
        p.push(rftwin_core::paths::PathRef { tau: 100e-9, a: Complex::new(1e-5, 0.0), k_tx: DVec3::X, k_rx: -DVec3::X, interactions: &[], objects: &[], primitives: &[], vertices: &[] });
        p.push(rftwin_core::paths::PathRef { tau: 130e-9, a: Complex::new(0.0, -2e-6), k_tx: DVec3::X, k_rx: -DVec3::X, interactions: &[], objects: &[], primitives: &[], vertices: &[] });
        p
    }

    #[test]
    fn cfr_at_the_carrier_equals_the_sum_of_the_cir() {
        let p = two_paths();
        let h = cfr(&p, &[28e9])[0];
        let s: Complex = cir(&p).iter().map(|x| x.1).sum();
        assert!((h - s).norm() < 1e-18);
    }

    #[test]
    fn taps_on_integer_delays_pick_single_paths() {
        let p = two_paths();
        // W = 100 MHz: τ W = 10 and 13 exactly, so tap 10 holds path 0 alone.
        let t = taps(&p, 100e6, 0, 20).unwrap();
        assert!(taps(&p, 100e6, i64::MIN, i64::MAX).is_err() && taps(&p, 100e6, 5, 4).is_err() && taps(&p, 0.0, 0, 4).is_err());
        let c = cir(&p);
        assert!((t[10] - c[0].1).norm() < 1e-12 * c[0].1.norm() + 1e-20);
        assert!((t[13] - c[1].1).norm() < 1e-12);
        assert!(t[5].norm() < 1e-18);
    }
}
