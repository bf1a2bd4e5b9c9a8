//! FMCW waveform and TDM-MIMO array.

use crate::error::{RadarError, Result};
use glam::DVec3;
use rftwin_core::constants::SPEED_OF_LIGHT;

/// A linear FMCW chirp sampled by the ADC.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FmcwConfig {
    /// Start (carrier) frequency `f0` \[Hz\].
    pub carrier_hz: f64,
    /// Swept bandwidth `B` \[Hz\] over `chirp_s`.
    pub bandwidth_hz: f64,
    /// Chirp duration `T` \[s\].
    pub chirp_s: f64,
    /// ADC samples per chirp `N`.
    pub samples: usize,
    /// ADC sample rate `f_s` \[Hz\] (complex baseband).
    pub sample_rate_hz: f64,
}

impl Default for FmcwConfig {
    /// 77 GHz, 4 GHz sweep, 256 complex samples at 5 MHz (T = 51.2 µs): 3.75 cm range
    /// bins up to 9.6 m.
    fn default() -> Self {
        FmcwConfig { carrier_hz: 77e9, bandwidth_hz: 4e9, chirp_s: 256.0 / 5e6, samples: 256, sample_rate_hz: 5e6 }
    }
}

impl FmcwConfig {
    /// Checks that every value is positive and finite and that the ADC window fits in the chirp.
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &'static str, message: String| Err(RadarError::InvalidSetting { name, message });
        for (name, v) in [
            ("carrier_hz", self.carrier_hz),
            ("bandwidth_hz", self.bandwidth_hz),
            ("chirp_s", self.chirp_s),
            ("sample_rate_hz", self.sample_rate_hz),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(name, format!("must be > 0, got {v}"));
            }
        }
        if self.samples < 2 {
            return bad("samples", format!("need at least 2, got {}", self.samples));
        }
        let window = self.samples as f64 / self.sample_rate_hz;
        if window > self.chirp_s * (1.0 + 1e-9) {
            return bad("samples", format!("{} samples at {} Hz last {window} s, longer than the chirp ({} s)", self.samples, self.sample_rate_hz, self.chirp_s));
        }
        Ok(())
    }

    /// Chirp slope `S = B / T` [Hz/s].
    pub fn slope(&self) -> f64 {
        self.bandwidth_hz / self.chirp_s
    }

    /// Carrier wavelength \[m\].
    pub fn wavelength(&self) -> f64 {
        SPEED_OF_LIGHT / self.carrier_hz
    }

    /// Range of FFT bin `k`, `D = c f_k / (2 S)` with `f_k = k f_s / N` \[m\]
    /// (range = half the round-trip path length).
    pub fn bin_range(&self, k: usize) -> f64 {
        SPEED_OF_LIGHT * (k as f64 * self.sample_rate_hz / self.samples as f64) / (2.0 * self.slope())
    }

    /// Ranges of all `N` bins \[m\].
    pub fn bin_ranges(&self) -> Vec<f64> {
        (0..self.samples).map(|k| self.bin_range(k)).collect()
    }

    /// Spacing of range bins \[m\] (`c / (2 B_adc)` with the sampled bandwidth).
    pub fn range_resolution(&self) -> f64 {
        self.bin_range(1)
    }
}

/// A TDM-MIMO array: every (Tx, Rx) pair is one virtual channel.
#[derive(Debug, Clone, PartialEq)]
pub struct MimoArray {
    /// Transmit element positions \[m\] (world frame).
    pub tx: Vec<DVec3>,
    /// Receive element positions \[m\] (world frame).
    pub rx: Vec<DVec3>,
}

impl MimoArray {
    /// The default array at `center`, facing +y, in the x–z plane: a 4 × 4 Rx grid at
    /// λ/2 and a 4 × 4 Tx grid at 2λ, whose virtual array is a filled 16 × 16 uniform
    /// planar array at λ/2 (aperture 8 λ ≈ 3.1 cm at 77 GHz).
    pub fn default_upa(center: DVec3, wavelength: f64) -> Self {
        let half = wavelength / 2.0;
        let grid = |n: usize, pitch: f64| -> Vec<DVec3> {
            let off = (n as f64 - 1.0) / 2.0;
            let mut v = Vec::with_capacity(n * n);
            for iz in 0..n {
                for ix in 0..n {
                    v.push(DVec3::new((ix as f64 - off) * pitch, 0.0, (iz as f64 - off) * pitch));
                }
            }
            v
        };
        // Virtual offset q = (tx − c) + (rx − c): Rx pitch λ/2 and Tx pitch 4·λ/2 give 16
        // distinct offsets per axis at λ/2, the spacing free of grating lobes.
        let rx = grid(4, half).into_iter().map(|p| center + p).collect();
        let tx = grid(4, 4.0 * half).into_iter().map(|p| center + p).collect();
        MimoArray { tx, rx }
    }

    /// Number of virtual channels.
    pub fn num_channels(&self) -> usize {
        self.tx.len() * self.rx.len()
    }

    /// `(tx, rx)` positions of virtual channel `v` (Tx-major order); `None` if there is
    /// no channel `v` (`v ≥ num_channels()`, e.g. an array without receivers).
    pub fn pair(&self, v: usize) -> Option<(DVec3, DVec3)> {
        (v < self.num_channels()).then(|| (self.tx[v / self.rx.len()], self.rx[v % self.rx.len()]))
    }

    /// `(tx, rx)` positions of every virtual channel, Tx-major.
    pub fn pairs(&self) -> impl Iterator<Item = (DVec3, DVec3)> + '_ {
        self.tx.iter().flat_map(move |&t| self.rx.iter().map(move |&r| (t, r)))
    }

    /// Phase centre: the mean of all Tx and Rx element positions.
    pub fn center(&self) -> DVec3 {
        let n = (self.tx.len() + self.rx.len()).max(1) as f64;
        (self.tx.iter().sum::<DVec3>() + self.rx.iter().sum::<DVec3>()) / n
    }

    /// Virtual element offsets `q_v = tx + rx − 2c` \[m\]: the far-field round-trip path
    /// difference of channel `v` towards direction `u` is `−u · q_v`.
    pub fn virtual_offsets(&self) -> Vec<DVec3> {
        let c = self.center();
        self.pairs().map(|(t, r)| t + r - 2.0 * c).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_virtual_array_is_a_filled_16x16_grid_at_half_wavelength() {
        let lambda = FmcwConfig::default().wavelength();
        let a = MimoArray::default_upa(DVec3::new(1.0, 2.0, 3.0), lambda);
        assert_eq!(a.num_channels(), 256);
        let q = a.virtual_offsets();
        let mut xs: Vec<i64> = q.iter().map(|p| (2.0 * p.x / (lambda / 2.0)).round() as i64).collect();
        let mut zs: Vec<i64> = q.iter().map(|p| (2.0 * p.z / (lambda / 2.0)).round() as i64).collect();
        xs.sort_unstable();
        xs.dedup();
        zs.sort_unstable();
        zs.dedup();
        assert_eq!(xs.len(), 16);
        assert_eq!(zs.len(), 16);
        // all 256 (x, z) combinations are distinct: the virtual array is filled
        let mut cells: Vec<(i64, i64)> = q.iter().map(|p| ((2.0 * p.x / (lambda / 2.0)).round() as i64, (2.0 * p.z / (lambda / 2.0)).round() as i64)).collect();
        cells.sort_unstable();
        cells.dedup();
        assert_eq!(cells.len(), 256);
        assert!(q.iter().all(|p| p.y.abs() < 1e-15));
    }

    #[test]
    fn default_range_bins_are_3_75_cm() {
        let c = FmcwConfig::default();
        c.validate().unwrap();
        assert!((c.range_resolution() - 0.0374740573).abs() < 1e-9);
        assert!(FmcwConfig { samples: 1000, ..c }.validate().is_err());
        assert!(FmcwConfig { carrier_hz: -1.0, ..c }.validate().is_err());
    }
}
