//! FT and CS imagers on the RIS-imaging channel (paper 000, Table IV): with only the
//! TX–ROI–RIS–RX term, one TX antenna and the full DFT codebook (`K = N_s`), the sensing
//! channel is paper 001's UE–ROI–RIS–AP model (TX = UE, RX antennas = AP antennas), so its
//! ECR recovery, SAA (Algorithm 1) and ISTA (Algorithm 2) run on the same measurements as
//! the INR.
//!
//! Paper 001 puts the RIS at `x = D > 0` and the ROI at `x < D`; paper 000 puts the RIS at
//! the origin and the ROI in front of it. [`TableIvView`] maps one onto the other by the
//! mirror `x' = x_max − x` (`x_max` the farthest ROI slice), which keeps every distance,
//! every `y, z` and so the RIS element order and codebook.

use super::{RisImagingConfig, RisMode, SensingPaths};
use crate::codebook::Codebook;
use crate::error::{invalid, Result};
use crate::ft::ecr::{EcrRecovery, Recovery};
use crate::ft::ista::{ista, stack, SensingMatrix};
use crate::ft::measurement::Measurements;
use crate::ft::saa::{SaaGrid, SaaImager};
use crate::ft::sparse::SparseOptions;
use crate::ft::FtSetup;
use crate::geometry::Ris;
use glam::DVec3;
use rftwin_core::Complex;

/// A baseline image on the ROI grid.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineImage {
    /// `|σ̂|` normalised to a maximum of 1, in the ROI's voxel order.
    pub image: Vec<f64>,
    /// The largest single buffer the imager allocated \[bytes\].
    pub largest_allocation_bytes: u128,
    /// Iterations run (1 for the FT imager).
    pub iterations: usize,
}

/// A Table IV configuration seen as paper 001's imaging system.
#[derive(Debug, Clone)]
pub struct TableIvView {
    config: RisImagingConfig,
    setup: FtSetup,
    codebook: Codebook,
    mirror: f64,
}

impl TableIvView {
    /// Checks that `config` is a Table IV channel (only TX–ROI–RIS–RX, one TX antenna,
    /// DFT phases with `K = N_s`, no direct path, the ROI in front of the RIS) and builds
    /// the mirrored setup.
    pub fn new(config: &RisImagingConfig) -> Result<Self> {
        config.validate()?;
        if config.paths != SensingPaths::roi_ris_only() || config.direct_path {
            return Err(invalid("paths", "the FT and CS baselines model only the TX–ROI–RIS–RX term (set paths to roi_ris_only, no direct path)"));
        }
        if config.tx.elements != 1 {
            return Err(invalid("tx.elements", format!("{}: the FT model has one illuminating antenna", config.tx.elements)));
        }
        if config.ris_mode != RisMode::Dft || config.configurations != config.ris.count() {
            return Err(invalid("configurations", format!("the baselines invert the full DFT codebook: need DFT phases with K = N_s = {} (got {:?}, K = {})", config.ris.count(), config.ris_mode, config.configurations)));
        }
        let positions = config.roi.positions();
        let mirror = positions.iter().map(|p| p.x).fold(f64::NEG_INFINITY, f64::max);
        let nearest = positions.iter().map(|p| p.x).fold(f64::INFINITY, f64::min);
        if nearest <= config.ris.centre.x {
            return Err(invalid("roi", format!("the ROI (nearest slice x = {nearest}) must lie in front of the RIS (x = {})", config.ris.centre.x)));
        }
        let flip = |p: DVec3| DVec3::new(mirror - p.x, p.y, p.z);
        let ris = Ris { centre: flip(config.ris.centre), ..config.ris.clone() };
        let setup = FtSetup { ris, ue: flip(config.tx.positions()[0]), ap: config.rx.positions().into_iter().map(flip).collect(), band: config.band.clone(), gain: 1.0 };
        let mut codebook = Codebook::dft(&setup.ris, config.configurations)?;
        if let Some(bits) = config.phase_bits {
            codebook = codebook.quantized(bits)?;
        }
        Ok(TableIvView { config: config.clone(), setup, codebook, mirror })
    }

    /// The mirrored setup (RIS at `x' = D > 0`, ROI slices at `0 ≤ x' < D`).
    pub fn setup(&self) -> &FtSetup {
        &self.setup
    }

    /// The codebook the configurations came from.
    pub fn codebook(&self) -> &Codebook {
        &self.codebook
    }

    /// The ROI's voxel centres in the mirrored frame, in the ROI's voxel order.
    pub fn voxel_positions(&self) -> Vec<DVec3> {
        self.config.roi.positions().into_iter().map(|p| DVec3::new(self.mirror - p.x, p.y, p.z)).collect()
    }

    /// The stacked real measurements `y` of the RIS-imaging operator (ordered subcarrier,
    /// configuration, Re|Im, t, r; scaled by `s`) as paper 001's channels `ĥ[l][i][t]`.
    pub fn measurements(&self, y: &[f64]) -> Result<Measurements> {
        let config = &self.config;
        if y.len() != config.measurement_len() {
            return Err(invalid("measurements", format!("{} values for a configuration of {}", y.len(), config.measurement_len())));
        }
        if y.iter().any(|v| !v.is_finite()) {
            return Err(invalid("measurements", "not finite"));
        }
        let (nr, k, block) = (config.rx.elements, config.configurations, config.block_len());
        let h = (0..nr)
            .map(|r| {
                (0..config.band.subcarriers)
                    .map(|i| (0..k).map(|t| Complex::new(y[(i * k + t) * block + r], y[(i * k + t) * block + nr + r]) / config.scale).collect())
                    .collect()
            })
            .collect();
        Ok(Measurements { h, scale: 1.0, noise_variance: config.noise_variance() })
    }

    /// The FT imager: DFT-codebook ECR recovery, then the SAA back-propagated to the ROI's
    /// slices with cross-range spacing `ξ_s / O`, `O = ⌈ξ_s / ξ_v⌉`, bilinearly resampled
    /// (magnitude) onto the ROI's voxel centres.
    pub fn ft_image(&self, y: &[f64]) -> Result<BaselineImage> {
        let recovery = EcrRecovery::new(&self.setup, &self.codebook, Recovery::Fast)?;
        let ecr = recovery.recover_all(&self.measurements(y)?)?;
        let voxels = self.voxel_positions();
        let mut slices: Vec<f64> = voxels.iter().map(|p| p.x).collect();
        slices.sort_by(f64::total_cmp);
        slices.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        let spacing = self.setup.ris.element_size[0].min(self.setup.ris.element_size[1]);
        let oversampling = (spacing / self.config.roi.voxel - 1e-9).ceil().max(1.0) as usize;
        let margin = spacing;
        let span = |f: fn(&DVec3) -> f64| {
            let lo = voxels.iter().map(f).fold(f64::INFINITY, f64::min);
            let hi = voxels.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
            [lo - margin, hi + margin]
        };
        let grid = SaaGrid { slices: slices.clone(), cross_range: [span(|p| p.y), span(|p| p.z)], padded: None, oversampling, evanescent_mask: true };
        let imager = SaaImager::new(recovery.aperture(), self.setup.ue, &self.setup.band.wavenumbers(), &grid)?;
        let image = imager.image(&ecr)?;
        let [_, ys, zs] = imager.axes();
        let magnitude: Vec<f64> = image.iter().map(|v| v.norm()).collect();
        let [_, ny, nz] = imager.dims();
        let resampled = voxels
            .iter()
            .map(|p| {
                let ix = slices.iter().position(|x| (x - p.x).abs() < 1e-9).unwrap_or(0);
                bilinear(&magnitude[ix * ny * nz..(ix + 1) * ny * nz], &ys, &zs, p.y, p.z)
            })
            .collect();
        Ok(BaselineImage { image: normalise(resampled)?, largest_allocation_bytes: imager.largest_buffer_bytes(), iterations: 1 })
    }

    /// The CS imager: ISTA (Algorithm 2) on the explicit sensing matrix of the ROI's voxels,
    /// keeping `options.sparsity` voxels, step `0.9/‖A‖²`; an error naming the bytes when
    /// the matrix exceeds `budget_bytes`.
    pub fn cs_image(&self, y: &[f64], options: &SparseOptions, budget_bytes: u128) -> Result<BaselineImage> {
        let meas = self.measurements(y)?;
        let a = SensingMatrix::new(&self.setup, &self.codebook, &self.voxel_positions(), budget_bytes)?;
        let result = ista(&a, &stack(&meas), options, 0.9)?;
        Ok(BaselineImage { image: normalise(result.image.iter().map(|v| v.norm()).collect())?, largest_allocation_bytes: result.largest_allocation_bytes, iterations: result.iterations })
    }
}

/// `values / max`, an error for an all-zero image.
fn normalise(values: Vec<f64>) -> Result<Vec<f64>> {
    let max = values.iter().copied().fold(0.0, f64::max);
    if !(max > 0.0 && max.is_finite()) {
        return Err(invalid("image", format!("the reconstruction has peak magnitude {max}: nothing imaged")));
    }
    Ok(values.into_iter().map(|v| v / max).collect())
}

/// Bilinear interpolation of `grid` (`ys.len() × zs.len()`, z fastest; both axes
/// ascending and uniform) at `(y, z)`, clamped to the grid's span.
fn bilinear(grid: &[f64], ys: &[f64], zs: &[f64], y: f64, z: f64) -> f64 {
    let locate = |axis: &[f64], v: f64| -> (usize, f64) {
        if axis.len() < 2 {
            return (0, 0.0);
        }
        let step = axis[1] - axis[0];
        let f = ((v - axis[0]) / step).clamp(0.0, (axis.len() - 1) as f64);
        let i = (f.floor() as usize).min(axis.len() - 2);
        (i, f - i as f64)
    };
    let ((iy, fy), (iz, fz)) = (locate(ys, y), locate(zs, z));
    let nz = zs.len();
    let at = |a: usize, b: usize| grid[(a.min(ys.len() - 1)) * nz + b.min(nz - 1)];
    (1.0 - fy) * ((1.0 - fz) * at(iy, iz) + fz * at(iy, iz + 1)) + fy * ((1.0 - fz) * at(iy + 1, iz) + fz * at(iy + 1, iz + 1))
}
