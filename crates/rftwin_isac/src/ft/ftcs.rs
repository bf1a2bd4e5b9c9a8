//! Algorithm 3: compressed sensing whose observation operators are the SAA's — backward
//! `B = Σ_i B_i` (ECR recovery then Algorithm 1) and forward `F = [F_i]` (its steps
//! inverted) — so no `T·I × N_v` matrix is ever formed (eqs. 37–46).
//!
//! The normalised-IHT step (46) `μ = ‖g_Γ‖² / ‖F g_Γ‖²` is the exact line search only
//! when `B = Fᴴ`; here `B ≈ a Fᴴ` with `a ≠ 1`, so the step is either calibrated once
//! (`a = Re⟨x, B F x⟩ / ‖F x‖²` for random `x`) or found by an exact line search along
//! `g_Γ` (spec §9, our finding).

use super::ecr::EcrRecovery;
use super::measurement::Measurements;
use super::saa::SaaImager;
use super::sparse::{norm_sqr, relative_change, threshold, SparseImage, SparseOptions};
use crate::error::{invalid, Result};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64;
use rayon::prelude::*;
use rftwin_core::Complex;

/// How the step of each iteration is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepRule {
    /// `μ = Re⟨F g_Γ, res⟩ / ‖F g_Γ‖²`.
    #[default]
    LineSearch,
    /// (46) with `B / a`, `a` calibrated once on a random image.
    Calibrated,
}

/// Measurements indexed `[antenna][subcarrier][pilot]`.
pub type Channels = Vec<Vec<Vec<Complex>>>;

/// The FT–CS operators of one setup.
#[derive(Debug, Clone)]
pub struct FtCs {
    imager: SaaImager,
    recovery: EcrRecovery,
    antennas: usize,
}

impl FtCs {
    /// Pairs an imager with the ECR recovery whose aperture it images.
    pub fn new(imager: SaaImager, recovery: EcrRecovery, antennas: usize) -> Result<Self> {
        if antennas == 0 {
            return Err(invalid("antennas", "need at least one AP antenna"));
        }
        Ok(FtCs { imager, recovery, antennas })
    }

    /// The imager (voxel grid).
    pub fn imager(&self) -> &SaaImager {
        &self.imager
    }

    /// `B(h) = Σ_i B_i((1/N_a) Σ_l ê_{l,i})`.
    pub fn backward(&self, h: &Channels) -> Result<Vec<Complex>> {
        self.recovery.check_shape(h)?;
        let meas = Measurements { h: h.clone(), scale: 1.0, noise_variance: 0.0 };
        self.imager.image(&self.recovery.recover_all(&meas)?)
    }

    /// `F(σ) = [F_{l,i}(σ)]`: every subcarrier's ECR from the same image, then the
    /// pilots each antenna would measure.
    pub fn forward(&self, sigma: &[Complex]) -> Channels {
        let per_subcarrier: Vec<Vec<Complex>> = (0..self.imager.subcarriers()).into_par_iter().map(|i| self.imager.forward(i, sigma)).collect();
        (0..self.antennas).map(|l| per_subcarrier.iter().enumerate().map(|(i, e)| self.recovery.remeasure(l, i, e)).collect()).collect()
    }

    /// `a = Re⟨x, B F x⟩ / ‖F x‖²` for `x ~ CN(0, I)` (seeded).
    pub fn calibration(&self, seed: u64) -> Result<f64> {
        let mut rng = Pcg64::seed_from_u64(seed);
        let x: Vec<Complex> = (0..self.imager.voxel_count()).map(|_| Complex::new(StandardNormal.sample(&mut rng), StandardNormal.sample(&mut rng))).collect();
        let fx = self.forward(&x);
        let bfx = self.backward(&fx)?;
        let num: f64 = x.iter().zip(&bfx).map(|(a, b)| (a.conj() * b).re).sum();
        Ok(num / channels_norm_sqr(&fx))
    }

    /// Algorithm 3 on measurements `h`.
    pub fn reconstruct(&self, h: &Channels, options: &SparseOptions, step: StepRule) -> Result<SparseImage> {
        let n_v = self.imager.voxel_count();
        options.validate(n_v)?;
        self.recovery.check_shape(h)?;
        let scale = match step {
            StepRule::Calibrated => 1.0 / self.calibration(7)?,
            StepRule::LineSearch => 1.0,
        };
        let mut sigma = vec![Complex::new(0.0, 0.0); n_v];
        let mut residual = h.clone();
        let mut iterations = 0;
        for _ in 0..options.iterations {
            iterations += 1;
            let g: Vec<Complex> = self.backward(&residual)?.into_iter().map(|v| v * scale).collect();
            let support: Vec<bool> = if sigma.iter().all(|v| v.norm_sqr() == 0.0) {
                let kept = threshold(&g, options.sparsity, super::sparse::Threshold::Hard);
                kept.iter().map(|v| v.norm_sqr() > 0.0).collect()
            } else {
                sigma.iter().map(|v| v.norm_sqr() > 0.0).collect()
            };
            let g_support: Vec<Complex> = g.iter().zip(&support).map(|(&v, &s)| if s { v } else { Complex::new(0.0, 0.0) }).collect();
            let f_g = self.forward(&g_support);
            let denom = channels_norm_sqr(&f_g);
            if denom.is_nan() || denom <= 0.0 {
                break;
            }
            let mu = match step {
                StepRule::Calibrated => norm_sqr(&g_support) / denom,
                StepRule::LineSearch => channels_dot(&f_g, &residual) / denom,
            };
            let r: Vec<Complex> = sigma.iter().zip(&g).map(|(s, g)| s + g * mu).collect();
            let next = threshold(&r, options.sparsity, options.threshold);
            let change = relative_change(&next, &sigma);
            sigma = next;
            let model = self.forward(&sigma);
            for ((res, y), m) in residual.iter_mut().flatten().flatten().zip(h.iter().flatten().flatten()).zip(model.iter().flatten().flatten()) {
                *res = y - m;
            }
            if change < options.tolerance {
                break;
            }
        }
        let pilots: usize = h.iter().flatten().map(|p| p.len()).sum();
        let largest = self.imager.largest_buffer_bytes().max(16 * pilots as u128);
        Ok(SparseImage { image: sigma, iterations, largest_allocation_bytes: largest })
    }
}

fn channels_norm_sqr(h: &Channels) -> f64 {
    h.iter().flatten().map(|p| norm_sqr(p)).sum()
}

fn channels_dot(a: &Channels, b: &Channels) -> f64 {
    a.iter().flatten().flatten().zip(b.iter().flatten().flatten()).map(|(x, y)| (x.conj() * y).re).sum()
}
