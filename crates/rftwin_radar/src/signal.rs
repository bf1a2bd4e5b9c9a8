//! IF signal synthesis (eq. 15) and the windowed range FFT (eq. 16).

use crate::config::{FmcwConfig, MimoArray};
use glam::DVec3;
use crate::error::{RadarError, Result};
use rayon::prelude::*;
pub use rftwin_core::Echo;
use rftwin_core::Complex;
use rustfft::FftPlanner;
use std::f64::consts::PI;

/// Eq. (15): `S_IF[n] = Σ_i a_i exp(2πj (S τ_i t_n + f0 τ_i − S τ_i² / 2))`, `t_n = n / f_s`,
/// for one channel's `(τ_i, a_i)`. Phases are reduced in cycles before the exponential.
pub fn if_signal(cfg: &FmcwConfig, returns: &[(f64, Complex)]) -> Result<Vec<Complex>> {
    cfg.validate()?;
    if let Some((tau, a)) = returns.iter().find(|(tau, a)| !(tau.is_finite() && a.re.is_finite() && a.im.is_finite())) {
        return Err(RadarError::InvalidSetting { name: "returns", message: format!("delay {tau} s with amplitude {a} is not finite") });
    }
    let s = cfg.slope();
    let mut out = vec![Complex::new(0.0, 0.0); cfg.samples];
    for &(tau, a) in returns {
        let base = (cfg.carrier_hz * tau - 0.5 * s * tau * tau).fract();
        let step = s * tau / cfg.sample_rate_hz; // cycles per sample
        for (n, o) in out.iter_mut().enumerate() {
            let cycles = (base + step * n as f64).fract();
            *o += a * Complex::from_polar(1.0, 2.0 * PI * cycles);
        }
    }
    Ok(out)
}

/// IF signals of every virtual channel of `array` for `echoes` (channels × samples).
pub fn if_signals(cfg: &FmcwConfig, array: &MimoArray, echoes: &[Echo]) -> Result<Vec<Vec<Complex>>> {
    cfg.validate()?;
    let pairs: Vec<(DVec3, DVec3)> = array.pairs().collect();
    pairs
        .into_par_iter()
        .map(|(tx, rx)| {
            let returns: Vec<(f64, Complex)> = echoes.iter().map(|e| (e.delay(tx, rx), e.a)).collect();
            if_signal(cfg, &returns)
        })
        .collect()
}

/// Hamming window `w[n] = 0.54 − 0.46 cos(2π n / (N − 1))`.
pub fn hamming(n: usize) -> Vec<f64> {
    if n < 2 {
        return vec![1.0; n];
    }
    (0..n).map(|k| 0.54 - 0.46 * (2.0 * PI * k as f64 / (n - 1) as f64).cos()).collect()
}

/// Eq. (16): `R[k] = Σ_n S_IF[n] w[n] e^{−j2π k n / N}` (rustfft), bin `k` at range
/// `cfg.bin_range(k)`.
pub fn range_profile(cfg: &FmcwConfig, if_signal: &[Complex]) -> Result<Vec<Complex>> {
    cfg.validate()?;
    if if_signal.len() != cfg.samples {
        return Err(RadarError::Shape(format!("IF signal has {} samples, the chirp {}", if_signal.len(), cfg.samples)));
    }
    let w = hamming(cfg.samples);
    let mut buf: Vec<Complex> = if_signal.iter().zip(&w).map(|(s, w)| s * w).collect();
    FftPlanner::new().plan_fft_forward(cfg.samples).process(&mut buf);
    Ok(buf)
}

/// Range profiles of every channel (channels × bins).
pub fn range_profiles(cfg: &FmcwConfig, signals: &[Vec<Complex>]) -> Result<Vec<Vec<Complex>>> {
    signals.par_iter().map(|s| range_profile(cfg, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rftwin_core::constants::SPEED_OF_LIGHT;

    #[test]
    fn a_point_target_peaks_in_its_range_bin() {
        let cfg = FmcwConfig::default();
        for r in [0.5, 1.234, 3.0, 7.7] {
            let tau = 2.0 * r / SPEED_OF_LIGHT;
            let prof = range_profile(&cfg, &if_signal(&cfg, &[(tau, Complex::new(1.0, 0.0))]).unwrap()).unwrap();
            let k = (0..cfg.samples).max_by(|&a, &b| prof[a].norm().total_cmp(&prof[b].norm())).unwrap();
            assert!((cfg.bin_range(k) - r).abs() <= cfg.range_resolution() / 2.0 + 1e-12, "r {r}: peak bin {k} at {}", cfg.bin_range(k));
        }
    }

    #[test]
    fn if_phase_at_t0_is_the_carrier_phase() {
        let cfg = FmcwConfig::default();
        let tau = 13.3e-9;
        let s = if_signal(&cfg, &[(tau, Complex::new(2.0, 0.0))]).unwrap();
        let expected = 2.0 * PI * (cfg.carrier_hz * tau - 0.5 * cfg.slope() * tau * tau);
        assert!((s[0] - Complex::from_polar(2.0, expected)).norm() < 1e-9);
    }
}
