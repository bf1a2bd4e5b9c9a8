//! Multipath from the ROI's surroundings (paper 000, Sec. IV-A; spec §6): background
//! scatterers that couple into the ROI, the interference matrix `A` with
//! `vec(H_roi-bg) = Aσ` (eq. 26), background calibration (eq. 24), the signal-to-
//! interference ratio (eq. 34) and the interference reconstruction accuracy (eq. 35).
//!
//! `A` is written here in measurement units: its rows are the `N_t N_r` antenna pairs
//! (`t·N_r + r`) and it already carries the data scale `s`, so `s·vec(H_roi-bg) = Aσ` is
//! added to every configuration's block of `y`.

use super::RisImagingConfig;
use crate::channel::hop;
use crate::error::{invalid, Result};
use glam::DVec3;
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use rftwin_core::Complex;

/// Point scatterers outside the ROI with reflectivities `ρ_p` (each scatters `ρ_p g_vox`).
#[derive(Debug, Clone, PartialEq)]
pub struct Background {
    /// Positions `b_p` \[m\].
    pub points: Vec<DVec3>,
    /// `ρ_p`.
    pub reflectivity: Vec<f64>,
}

impl Background {
    /// `count` scatterers seeded uniform in `x ∈ [2, 6]` m, `|y|, |z| ≤ 3` m, redrawn while
    /// `|y| ≤ 1.2` and `|z| ≤ 1.2` m (outside the default ROI), reflectivity 1 (spec §6).
    pub fn draw(count: usize, seed: u64) -> Result<Self> {
        if count == 0 {
            return Err(invalid("background", "no scatterer"));
        }
        let mut rng = Pcg64::seed_from_u64(seed);
        let mut points = Vec::with_capacity(count);
        while points.len() < count {
            let p = DVec3::new(rng.gen_range(2.0..6.0), rng.gen_range(-3.0..3.0), rng.gen_range(-3.0..3.0));
            if !(p.y.abs() <= 1.2 && p.z.abs() <= 1.2) {
                points.push(p);
            }
        }
        Ok(Background { reflectivity: vec![1.0; count], points })
    }

    /// The interference matrix of `config` at its centre wavelength, in measurement units:
    /// `A[(t,r), m] = s g_vox² Σ_p ρ_p [h(p_t, b_p) h(b_p, v_m) h(v_m, p_r) + h(p_t, v_m) h(v_m, b_p) h(b_p, p_r)]`.
    pub fn interference(&self, config: &RisImagingConfig) -> Result<DMatrix<Complex>> {
        config.validate()?;
        if self.points.len() != self.reflectivity.len() || self.points.iter().any(|p| !p.is_finite()) || self.reflectivity.iter().any(|r| !r.is_finite()) {
            return Err(invalid("background", "one finite reflectivity per finite point is needed"));
        }
        let k = config.band.centre_wavenumber();
        let g = config.voxel_gain(config.wavelength());
        let (tx, rx, voxels) = (config.tx.positions(), config.rx.positions(), config.roi.positions());
        let nr = rx.len();
        Ok(DMatrix::from_fn(tx.len() * nr, voxels.len(), |pair, m| {
            let (pt, pr, v) = (tx[pair / nr], rx[pair % nr], voxels[m]);
            let sum: Complex = self
                .points
                .iter()
                .zip(&self.reflectivity)
                .map(|(&b, &rho)| (hop(pt, b, k) * hop(b, v, k) * hop(v, pr, k) + hop(pt, v, k) * hop(v, b, k) * hop(b, pr, k)) * rho)
                .sum();
            sum * (config.scale * g * g)
        }))
    }
}

/// `Aσ` added to every block of `y` (one per subcarrier and configuration), stacked as
/// the operator's rows (`[Re; Im]` per block).
pub fn interference_measurements(config: &RisImagingConfig, a: &DMatrix<Complex>, sigma: &[f64]) -> Result<Vec<f64>> {
    let response = response(a, sigma)?;
    let blocks = config.band.subcarriers * config.configurations;
    if response.len() * 2 != config.block_len() {
        return Err(invalid("interference", format!("{} antenna pairs for a configuration with {}", response.len(), config.block_len() / 2)));
    }
    let block: Vec<f64> = response.iter().map(|v| v.re).chain(response.iter().map(|v| v.im)).collect();
    Ok((0..blocks).flat_map(|_| block.iter().copied()).collect())
}

/// `Aσ` (one value per antenna pair).
pub fn response(a: &DMatrix<Complex>, sigma: &[f64]) -> Result<Vec<Complex>> {
    if sigma.len() != a.ncols() {
        return Err(invalid("image", format!("{} voxels for an interference matrix of {}", sigma.len(), a.ncols())));
    }
    let sigma = nalgebra::DVector::from_iterator(sigma.len(), sigma.iter().map(|&v| Complex::new(v, 0.0)));
    Ok((a * sigma).as_slice().to_vec())
}

/// SIR (eq. 34, aggregated over configurations and subcarriers) \[dB\]:
/// `Σ_k ‖modelled σ-terms_k‖² / (K ‖Aσ‖²)`, the modelled terms being `signal`, the
/// operator's `Mσ` (dense or factored).
pub fn sir_db(signal: &[f64], config: &RisImagingConfig, a: &DMatrix<Complex>, sigma: &[f64]) -> Result<f64> {
    if signal.len() != config.measurement_len() {
        return Err(invalid("signal", format!("{} values for {} measurements", signal.len(), config.measurement_len())));
    }
    let signal: f64 = signal.iter().map(|v| v * v).sum();
    let blocks = (config.band.subcarriers * config.configurations) as f64;
    let interference: f64 = response(a, sigma)?.iter().map(|v| v.norm_sqr()).sum::<f64>() * blocks;
    if !(interference > 0.0 && signal > 0.0) {
        return Err(invalid("image", "the SIR needs a non-zero signal and interference"));
    }
    Ok(10.0 * (signal / interference).log10())
}

/// The matrix scaled so that [`sir_db`] equals `target_db`.
pub fn scaled_to_sir(signal: &[f64], config: &RisImagingConfig, a: &DMatrix<Complex>, sigma: &[f64], target_db: f64) -> Result<DMatrix<Complex>> {
    if !target_db.is_finite() {
        return Err(invalid("sir", format!("{target_db} dB")));
    }
    let now = sir_db(signal, config, a, sigma)?;
    Ok(a * Complex::new(10f64.powf((now - target_db) / 20.0), 0.0))
}

/// Background calibration (eq. 24): the measurements of the empty ROI, averaged over
/// `repeats` noisy acquisitions, subtracted. What remains is `Mσ + interference + n`
/// with the noise variance grown by the factor `1 + 1/repeats`; the returned standard
/// deviation per real value is that of the calibrated data.
pub fn calibrated_noise_std(config: &RisImagingConfig, repeats: usize) -> Result<f64> {
    if repeats == 0 {
        return Err(invalid("calibration repeats", "at least one empty-ROI measurement"));
    }
    Ok((config.noise_variance() / 2.0 * (1.0 + 1.0 / repeats as f64)).sqrt() * config.scale)
}

/// IRA (eq. 35): `‖Âσ̂ − Aσ‖² / ‖Aσ‖²` \[dB\] (lower is better).
pub fn ira_db(learned: &[Complex], truth: &[Complex]) -> Result<f64> {
    if learned.len() != truth.len() || truth.is_empty() {
        return Err(invalid("interference", format!("{} learned and {} true responses", learned.len(), truth.len())));
    }
    let error: f64 = learned.iter().zip(truth).map(|(a, b)| (a - b).norm_sqr()).sum();
    let reference: f64 = truth.iter().map(|v| v.norm_sqr()).sum();
    if reference <= 0.0 {
        return Err(invalid("interference", "the true response is zero"));
    }
    Ok(10.0 * (error / reference).log10())
}
