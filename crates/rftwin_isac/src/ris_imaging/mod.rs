//! RIS-aided ISAC imaging of paper 000 (spec `ris_inr_imaging.md`): TX and RX ULAs, a RIS
//! that takes `K` configurations, a region of interest (ROI) of voxels, the sensing
//! channel's four terms and the affine forward operator `y = c + Mσ` that an imager (the
//! INR of `rftwin_inverse`, or any other) inverts.
//!
//! Conventions: time factor `e^{+jωt}`; RIS→ROI is the plain transpose of ROI→RIS;
//! measurements are real-stacked, `y_k = s [Re vec Y_k; Im vec Y_k]` with `vec` row-major
//! (`t·N_r + r`), ordered (subcarrier, configuration, Re|Im, t, r).

pub mod baselines;
pub mod channel;
pub mod communication;
pub mod configurations;
pub mod factored;
pub mod legs;
pub mod multipath;
pub mod operator;
#[cfg(feature = "trace")]
pub mod traced;

use crate::band::Band;
use crate::error::{invalid, Result};
use crate::geometry::{Ris, Ula, UlaAnchor, VoxelGrid};
use glam::DVec3;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// How the RIS is configured over the `K` measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RisMode {
    /// i.i.d. uniform phases, seeded (the reference implementation).
    #[default]
    Random,
    /// Rows `⌊k N_s / K⌋` of the `N_s`-point DFT.
    Dft,
    /// No RIS: every term through the RIS is dropped.
    None,
}

/// Which sensing terms the model contains (all four by default). Paper 000's Table IV
/// keeps only TX–ROI–RIS–RX to compare the INR with FT and CS imagers on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SensingPaths {
    /// TX → ROI → RX.
    pub tx_roi_rx: bool,
    /// TX → RIS → RX (σ-independent).
    pub tx_ris_rx: bool,
    /// TX → RIS → ROI → RX.
    pub tx_ris_roi_rx: bool,
    /// TX → ROI → RIS → RX.
    pub tx_roi_ris_rx: bool,
}

impl Default for SensingPaths {
    fn default() -> Self {
        SensingPaths { tx_roi_rx: true, tx_ris_rx: true, tx_ris_roi_rx: true, tx_roi_ris_rx: true }
    }
}

impl SensingPaths {
    /// Only TX → ROI → RIS → RX (paper 000, Table IV).
    pub fn roi_ris_only() -> Self {
        SensingPaths { tx_roi_rx: false, tx_ris_rx: false, tx_ris_roi_rx: false, tx_roi_ris_rx: true }
    }
}

/// The imaging system, with the paper's defaults (Sec. VI-A); loadable from JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RisImagingConfig {
    /// Subcarriers (sizes stay fixed in metres; hops use each `λ_i`).
    pub band: Band,
    /// Configurations `K`.
    pub configurations: usize,
    /// The RIS.
    pub ris: Ris,
    /// The region of interest.
    pub roi: VoxelGrid,
    /// Transmit array.
    pub tx: Ula,
    /// Receive array.
    pub rx: Ula,
    /// RIS configuration family.
    pub ris_mode: RisMode,
    /// Phase quantisation (1 or 2 bits), `None` continuous.
    pub phase_bits: Option<u32>,
    /// Add the direct TX–RX path (σ-independent).
    pub direct_path: bool,
    /// The sensing terms modelled.
    pub paths: SensingPaths,
    /// Data scale `s` applied to every measurement (reference: 110).
    pub scale: f64,
    /// Transmit power \[dBm\].
    pub transmit_power_dbm: f64,
    /// Noise power of the LS channel estimate \[dBm\]; `None`: noise-free.
    pub noise_power_dbm: Option<f64>,
    /// Sensing antenna gain `G_sen` (linear).
    pub sensing_gain: f64,
    /// Seed of the random configurations and the noise.
    pub seed: u64,
}

impl Default for RisImagingConfig {
    /// f_c = 3 GHz (c = 3·10⁸ m/s, λ = 0.1 m), K = 40, a 50×50 RIS of λ/2 at the origin,
    /// a 100×100 ROI of λ/5 at D = 40λ, 8-element ULAs of λ/2 starting at
    /// (10λ, ±10λ, 0), random phases, s = 110, P_t = 20 dBm, P_n = −110 dBm, G_sen = 4.
    fn default() -> Self {
        let lambda = 0.1;
        RisImagingConfig {
            band: Band { centre: 3e9, spacing: 0.0, subcarriers: 1, wave_speed: 3e8 },
            configurations: 40,
            ris: Ris { centre: DVec3::ZERO, elements: [50, 50], element_size: [lambda / 2.0; 2] },
            roi: VoxelGrid { centre: DVec3::new(40.0 * lambda, 0.0, 0.0), dims: [1, 100, 100], voxel: lambda / 5.0 },
            tx: Ula { position: DVec3::new(10.0 * lambda, 10.0 * lambda, 0.0), elements: 8, spacing: lambda / 2.0, anchor: UlaAnchor::Start },
            rx: Ula { position: DVec3::new(10.0 * lambda, -10.0 * lambda, 0.0), elements: 8, spacing: lambda / 2.0, anchor: UlaAnchor::Start },
            ris_mode: RisMode::Random,
            phase_bits: None,
            direct_path: false,
            paths: SensingPaths::default(),
            scale: 110.0,
            transmit_power_dbm: 20.0,
            noise_power_dbm: Some(-110.0),
            sensing_gain: 4.0,
            seed: 1,
        }
    }
}

impl RisImagingConfig {
    /// Checks every part; errors name the value.
    pub fn validate(&self) -> Result<()> {
        self.band.validate()?;
        self.ris.validate()?;
        self.roi.validate()?;
        self.tx.validate("tx")?;
        self.rx.validate("rx")?;
        if self.configurations == 0 {
            return Err(invalid("configurations", "K = 0: at least one RIS configuration is needed"));
        }
        if let Some(b) = self.phase_bits {
            if !(1..=8).contains(&b) {
                return Err(invalid("phase_bits", format!("{b}: 1 to 8 bits")));
            }
        }
        if !(self.paths.tx_roi_rx || self.paths.tx_ris_roi_rx || self.paths.tx_roi_ris_rx) {
            return Err(invalid("paths", "no σ-dependent sensing term is on: the image would not be observed"));
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(invalid("scale", format!("{} must be positive and finite", self.scale)));
        }
        let powers_ok = self.sensing_gain.is_finite() && self.sensing_gain > 0.0 && self.transmit_power_dbm.is_finite() && self.noise_power_dbm.is_none_or(f64::is_finite);
        if !powers_ok {
            return Err(invalid("powers", "gains and powers must be finite (gain > 0)"));
        }
        Ok(())
    }

    /// Parses a JSON configuration (missing fields take the defaults).
    pub fn from_json(text: &str) -> Result<Self> {
        let config: RisImagingConfig = serde_json::from_str(text).map_err(|e| invalid("configuration JSON", e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// `λ_c`.
    pub fn wavelength(&self) -> f64 {
        self.band.centre_wavelength()
    }

    /// RIS element gain `g_ris = √(4π) ξ_y ξ_z / λ` at wavelength `lambda` (√RCS of a plate).
    pub fn ris_gain(&self, lambda: f64) -> f64 {
        (4.0 * PI).sqrt() * self.ris.element_size[0] * self.ris.element_size[1] / lambda
    }

    /// Voxel gain `g_vox = √(4π) ξ_v² / λ`.
    pub fn voxel_gain(&self, lambda: f64) -> f64 {
        (4.0 * PI).sqrt() * self.roi.voxel * self.roi.voxel / lambda
    }

    /// Measurements per subcarrier and configuration, `2 N_t N_r`.
    pub fn block_len(&self) -> usize {
        2 * self.tx.elements * self.rx.elements
    }

    /// Total measurements `N_m = 2 I K N_t N_r`.
    pub fn measurement_len(&self) -> usize {
        self.band.subcarriers * self.configurations * self.block_len()
    }

    /// LS channel-estimation noise variance in reference units (before `s`):
    /// `σ² = 4π P_n / (P_t λ² G_sen)`; 0 without noise.
    pub fn noise_variance(&self) -> f64 {
        let Some(pn) = self.noise_power_dbm else { return 0.0 };
        let lambda = self.wavelength();
        4.0 * PI * 10f64.powf((pn - self.transmit_power_dbm) / 10.0) / (lambda * lambda * self.sensing_gain)
    }
}
