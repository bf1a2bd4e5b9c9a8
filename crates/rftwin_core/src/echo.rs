//! Radar echoes: scattering points with complex amplitudes.

use crate::constants::SPEED_OF_LIGHT;
use crate::Complex;
use glam::DVec3;

/// One echo: a scattering point with complex amplitude `a` (Sionna convention: without
/// the propagation phase). The delay of channel (tx, rx) is
/// `(|p − tx| + |p − rx| + extra_path_m) / c`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Echo {
    /// Scattering point \[m\].
    pub point: DVec3,
    /// Complex amplitude.
    pub a: Complex,
    /// Path length added to the two legs (multi-bounce echoes) \[m\].
    pub extra_path_m: f64,
}

impl Echo {
    /// Round-trip delay \[s\] for the channel (tx, rx).
    pub fn delay(&self, tx: DVec3, rx: DVec3) -> f64 {
        ((self.point - tx).length() + (self.point - rx).length() + self.extra_path_m) / SPEED_OF_LIGHT
    }
}

