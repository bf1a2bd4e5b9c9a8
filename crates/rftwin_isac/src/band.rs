//! OFDM subcarriers used for sensing.

use crate::error::{invalid, Result};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// `I` subcarriers `f_i = f_c + (i − (I−1)/2) Δf`, `i = 0..I−1`, in a medium of wave speed
/// `c`. Frequencies and the speed may be in SI units or normalised (`f_c = c = 1`, so
/// lengths are in centre wavelengths), as long as lengths use the same unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Centre frequency `f_c`.
    pub centre: f64,
    /// Subcarrier spacing `Δf`.
    pub spacing: f64,
    /// Number of subcarriers `I`.
    pub subcarriers: usize,
    /// Wave speed `c` (length unit per time unit).
    pub wave_speed: f64,
}

impl Default for Band {
    /// Normalised units: `f_c = c = 1`, `Δf = 0.01`, `I = 11` (`B = 0.1 f_c`).
    fn default() -> Self {
        Band { centre: 1.0, spacing: 0.01, subcarriers: 11, wave_speed: 1.0 }
    }
}

impl Band {
    /// SI units: `centre_hz`, `spacing_hz`, `subcarriers`, the speed of light.
    pub fn si(centre_hz: f64, spacing_hz: f64, subcarriers: usize) -> Self {
        Band { centre: centre_hz, spacing: spacing_hz, subcarriers, wave_speed: rftwin_core::constants::SPEED_OF_LIGHT }
    }

    /// Checks `I ≥ 1`, positive finite speed and frequencies, `Δf ≥ 0`.
    pub fn validate(&self) -> Result<()> {
        if self.subcarriers == 0 {
            return Err(invalid("band.subcarriers", "zero subcarriers: at least one is needed"));
        }
        if !(self.wave_speed.is_finite() && self.wave_speed > 0.0) {
            return Err(invalid("band.wave_speed", format!("{} must be positive and finite", self.wave_speed)));
        }
        if !(self.spacing.is_finite() && self.spacing >= 0.0) {
            return Err(invalid("band.spacing", format!("{} must be ≥ 0 and finite", self.spacing)));
        }
        if !(self.centre.is_finite() && self.min_frequency() > 0.0) {
            return Err(invalid("band.centre", format!("the lowest subcarrier {} must be positive", self.min_frequency())));
        }
        Ok(())
    }

    /// `f_i`.
    pub fn frequencies(&self) -> Vec<f64> {
        (0..self.subcarriers).map(|i| self.centre + (i as f64 - (self.subcarriers as f64 - 1.0) / 2.0) * self.spacing).collect()
    }

    /// `k_i = 2π f_i / c`.
    pub fn wavenumbers(&self) -> Vec<f64> {
        self.frequencies().into_iter().map(|f| 2.0 * PI * f / self.wave_speed).collect()
    }

    /// `B = (I − 1) Δf`.
    pub fn bandwidth(&self) -> f64 {
        (self.subcarriers as f64 - 1.0) * self.spacing
    }

    /// `f_min`.
    pub fn min_frequency(&self) -> f64 {
        self.centre - self.bandwidth() / 2.0
    }

    /// `λ_c = c / f_c`.
    pub fn centre_wavelength(&self) -> f64 {
        self.wave_speed / self.centre
    }

    /// `k_c = 2π f_c / c`.
    pub fn centre_wavenumber(&self) -> f64 {
        2.0 * PI / self.centre_wavelength()
    }
}
