//! OFDM radar: per-subcarrier channel samples and the range profile by inverse FFT.
//!
//! Subcarrier `k` sits at `f_k = f_c + k Δf`, `k = 0..N`; the channel is
//! `H_k = Σ a_i e^{−j2π f_k τ_i}` (the CFR of the paths in the Sionna convention), and
//! the range profile is the Hamming-windowed inverse DFT, bin `n` at range
//! `c n / (2 N Δf)`.

use crate::error::{RadarError, Result};
use crate::signal::hamming;
use rftwin_core::constants::SPEED_OF_LIGHT;
use rftwin_core::Complex;
use rustfft::FftPlanner;
use std::f64::consts::PI;

/// An OFDM waveform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OfdmConfig {
    /// Frequency of subcarrier 0 \[Hz\].
    pub carrier_hz: f64,
    /// Number of subcarriers `N`.
    pub subcarriers: usize,
    /// Subcarrier spacing `Δf` \[Hz\].
    pub spacing_hz: f64,
}

impl Default for OfdmConfig {
    /// 77 GHz, 512 subcarriers spaced 7.8125 MHz (4 GHz, the FMCW default's bandwidth).
    fn default() -> Self {
        OfdmConfig { carrier_hz: 77e9, subcarriers: 512, spacing_hz: 4e9 / 512.0 }
    }
}

impl OfdmConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if !(self.carrier_hz > 0.0 && self.spacing_hz > 0.0 && self.carrier_hz.is_finite() && self.spacing_hz.is_finite()) || self.subcarriers < 2 {
            return Err(RadarError::InvalidSetting { name: "ofdm", message: format!("need f_c > 0, Δf > 0, N ≥ 2; got {self:?}") });
        }
        Ok(())
    }

    /// Range of bin `n` \[m\] (half the round-trip length).
    pub fn bin_range(&self, n: usize) -> f64 {
        SPEED_OF_LIGHT * n as f64 / (2.0 * self.subcarriers as f64 * self.spacing_hz)
    }

    /// `H_k = Σ a_i e^{−j2π f_k τ_i}` for `(τ_i, a_i)`.
    pub fn channel(&self, returns: &[(f64, Complex)]) -> Vec<Complex> {
        (0..self.subcarriers)
            .map(|k| {
                let f = self.carrier_hz + k as f64 * self.spacing_hz;
                returns.iter().map(|&(tau, a)| a * Complex::from_polar(1.0, -2.0 * PI * (f * tau).fract())).sum()
            })
            .collect()
    }

    /// Hamming-windowed inverse DFT of the subcarrier samples (unnormalised).
    pub fn range_profile(&self, channel: &[Complex]) -> Result<Vec<Complex>> {
        self.validate()?;
        if channel.len() != self.subcarriers {
            return Err(RadarError::Shape(format!("{} channel samples for {} subcarriers", channel.len(), self.subcarriers)));
        }
        let w = hamming(self.subcarriers);
        let mut buf: Vec<Complex> = channel.iter().zip(&w).map(|(h, w)| h * w).collect();
        FftPlanner::new().plan_fft_inverse(self.subcarriers).process(&mut buf);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_target_peaks_in_its_range_bin() {
        let cfg = OfdmConfig::default();
        for r in [0.4, 1.7, 5.3] {
            let h = cfg.channel(&[(2.0 * r / SPEED_OF_LIGHT, Complex::new(1.0, 0.0))]);
            let p = cfg.range_profile(&h).unwrap();
            let k = (0..p.len()).max_by(|&a, &b| p[a].norm().total_cmp(&p[b].norm())).unwrap();
            assert!((cfg.bin_range(k) - r).abs() <= cfg.bin_range(1) / 2.0 + 1e-12, "r {r} peak {}", cfg.bin_range(k));
        }
        assert!(cfg.range_profile(&[Complex::new(0.0, 0.0)]).is_err());
    }
}
