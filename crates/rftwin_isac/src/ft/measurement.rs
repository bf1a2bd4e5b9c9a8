//! The UE–ROI–RIS–AP measurements `ĥ_{l,i} = C W (b_{l,i} ⊙ e_i) + n` (eqs. 2–7) with the
//! paper's normalisation: the noise-free channel scaled to mean power 1, then
//! `CN(0, σ_n²)` noise.

use super::{point_ecr, FtSetup, PointTarget};
use crate::channel::spherical_wave;
use crate::codebook::Codebook;
use crate::error::{invalid, Result};
use crate::geometry::Ris;
use glam::DVec3;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64;
use rayon::prelude::*;
use rftwin_core::Complex;

/// Measured (estimated) channels of the UE–ROI–RIS–AP path.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurements {
    /// `ĥ[l][i]`: the `T` pilots of AP antenna `l`, subcarrier `i`.
    pub h: Vec<Vec<Vec<Complex>>>,
    /// The factor that brought the noise-free channel to mean power 1.
    pub scale: f64,
    /// `σ_n²` added after scaling.
    pub noise_variance: f64,
}

/// `b_{l,i}`: spherical waves from the aperture's samples to AP antenna `ap` (eq. 5).
pub fn steering(aperture: &Ris, ap: DVec3, k: f64) -> Vec<Complex> {
    aperture.positions().iter().map(|&r| spherical_wave(r, ap, k)).collect()
}

/// Simulates the measurements of `targets` through `codebook`, with noise variance
/// `noise_variance` relative to the unit mean channel power, seeded.
pub fn measure(setup: &FtSetup, codebook: &Codebook, targets: &[PointTarget], noise_variance: f64, seed: u64) -> Result<Measurements> {
    setup.validate()?;
    if codebook.elements != setup.ris.elements {
        return Err(invalid("codebook", format!("drives a {:?} RIS, the setup's is {:?}", codebook.elements, setup.ris.elements)));
    }
    if !(noise_variance.is_finite() && noise_variance >= 0.0) {
        return Err(invalid("noise_variance", format!("{noise_variance}: a variance must be ≥ 0 and finite")));
    }
    if targets.is_empty() || targets.iter().any(|t| !t.position.is_finite() || !t.amplitude.is_finite()) {
        return Err(invalid("targets", "need at least one target, with finite positions and amplitudes"));
    }
    if let Some(t) = targets.iter().find(|t| t.position.x >= setup.distance()) {
        return Err(invalid("targets", format!("{:?} is not in front of the RIS plane x = {}", t.position, setup.distance())));
    }
    let ks = setup.band.wavenumbers();
    let ecr: Vec<Vec<Complex>> = ks.par_iter().map(|&k| point_ecr(&setup.ris, setup.ue, targets, k)).collect();
    let mut h: Vec<Vec<Vec<Complex>>> = setup
        .ap
        .iter()
        .map(|&ap| {
            ks.par_iter()
                .zip(&ecr)
                .map(|(&k, e)| {
                    let x: Vec<Complex> = steering(&setup.ris, ap, k).iter().zip(e).map(|(b, e)| b * e * setup.gain).collect();
                    codebook.apply(&x)
                })
                .collect()
        })
        .collect();
    let (sum, count) = h.iter().flatten().flatten().fold((0.0, 0usize), |(s, n), v| (s + v.norm_sqr(), n + 1));
    let mean_power = sum / count as f64;
    if !(mean_power > 0.0 && mean_power.is_finite()) {
        return Err(invalid("targets", format!("the noise-free channel has mean power {mean_power}: nothing to image")));
    }
    let scale = 1.0 / mean_power.sqrt();
    let normal = Normal::new(0.0, (noise_variance / 2.0).sqrt()).map_err(|e| invalid("noise_variance", e.to_string()))?;
    let mut rng = Pcg64::seed_from_u64(seed);
    for v in h.iter_mut().flatten().flatten() {
        *v = *v * scale + Complex::new(normal.sample(&mut rng), normal.sample(&mut rng));
    }
    Ok(Measurements { h, scale, noise_variance })
}
