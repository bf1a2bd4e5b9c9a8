//! Interference learnt with the network. The matrix `Â` of paper 000's P3 (eq. 27; spec
//! §6): the measurements gain `Âσ̂` in every configuration's block, and `Â` is trained
//! with the network; or the per-leg coupling of `rftwin_isac::ris_imaging::legs`, which
//! follows the configuration. Both are [`LearnedTerm`]s. `Â` is stored as flat f32 parameters `[Re Â; Im Â]`, each `pairs × voxels`
//! row-major, in measurement units (the data scale `s` included).
//!
//! A block of `y` is `[Re of the pairs; Im of the pairs]` (`2·pairs` values), the blocks
//! following each other over configurations and subcarriers.

use crate::error::{InverseError, Result};
use rftwin_core::Complex;
use rftwin_isac::ris_imaging::legs::SensingLegs;

/// A term of the measurement model learnt jointly with the network: its parameters start
/// at 0 and take the network's Adam steps and learning rate, without weight decay.
pub trait LearnedTerm: Sync {
    /// Learnable values.
    fn parameter_count(&self) -> usize;
    /// What it is, for checkpoints' fingerprints.
    fn describe(&self) -> String;
    /// `y_hat += term(params, σ)`.
    fn add(&self, params: &[f32], sigma: &[f32], y_hat: &mut [f32]) -> Result<()>;
    /// For `g = ∂L/∂ŷ`: adds `∂L/∂σ` to `grad_sigma`, returns `∂L/∂params`.
    fn backward(&self, params: &[f32], sigma: &[f32], g: &[f32], grad_sigma: &mut [f32]) -> Result<Vec<f32>>;
}

/// Paper 000's `Â` (P3): the same `Âσ` in every block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterferenceMatrix {
    /// Antenna pairs `N_t N_r`.
    pub pairs: usize,
    /// Voxels `N_v`.
    pub voxels: usize,
}

impl LearnedTerm for InterferenceMatrix {
    fn parameter_count(&self) -> usize {
        2 * self.pairs * self.voxels
    }

    fn describe(&self) -> String {
        format!("matrix of {} pairs", self.pairs)
    }

    fn add(&self, params: &[f32], sigma: &[f32], y_hat: &mut [f32]) -> Result<()> {
        add_to_blocks(y_hat, &block(params, self.pairs, sigma));
        Ok(())
    }

    fn backward(&self, params: &[f32], sigma: &[f32], g: &[f32], grad_sigma: &mut [f32]) -> Result<Vec<f32>> {
        let folded = fold_blocks(g, self.pairs);
        add_sigma_gradient(params, &folded, grad_sigma);
        Ok(parameter_gradient(&folded, sigma))
    }
}

/// The per-leg wall coupling of [`SensingLegs`], which follows the RIS configuration.
impl LearnedTerm for SensingLegs {
    fn parameter_count(&self) -> usize {
        SensingLegs::parameter_count(self)
    }

    fn describe(&self) -> String {
        format!("leg coupling of {} values", SensingLegs::parameter_count(self))
    }

    fn add(&self, params: &[f32], sigma: &[f32], y_hat: &mut [f32]) -> Result<()> {
        self.add_response(params, sigma, y_hat).map_err(|e| InverseError::invalid("leg coupling", e.to_string()))
    }

    fn backward(&self, params: &[f32], sigma: &[f32], g: &[f32], grad_sigma: &mut [f32]) -> Result<Vec<f32>> {
        SensingLegs::backward(self, params, sigma, g, grad_sigma).map_err(|e| InverseError::invalid("leg coupling", e.to_string()))
    }
}

/// `Âσ` as one block `[Re; Im]` (`2·pairs` values).
pub fn block(a: &[f32], pairs: usize, sigma: &[f32]) -> Vec<f32> {
    let voxels = sigma.len();
    (0..2 * pairs).map(|row| a[row * voxels..(row + 1) * voxels].iter().zip(sigma).map(|(x, s)| x * s).sum()).collect()
}

/// `y[b] += block` for every block `b` of `y`.
pub fn add_to_blocks(y: &mut [f32], block: &[f32]) {
    for chunk in y.chunks_exact_mut(block.len()) {
        chunk.iter_mut().zip(block).for_each(|(v, b)| *v += b);
    }
}

/// The blocks of `g = ∂L/∂ŷ` summed: the interference sees the same `Âσ` in each.
pub fn fold_blocks(g: &[f32], pairs: usize) -> Vec<f32> {
    let mut sum = vec![0.0f32; 2 * pairs];
    for chunk in g.chunks_exact(2 * pairs) {
        sum.iter_mut().zip(chunk).for_each(|(s, v)| *s += v);
    }
    sum
}

/// `∂L/∂σ_m += Σ_j (G_re,j Re Â_jm + G_im,j Im Â_jm)` for the folded gradient `folded`.
pub fn add_sigma_gradient(a: &[f32], folded: &[f32], grad_sigma: &mut [f32]) {
    let voxels = grad_sigma.len();
    for (row, &g) in folded.iter().enumerate() {
        grad_sigma.iter_mut().zip(&a[row * voxels..(row + 1) * voxels]).for_each(|(d, x)| *d += g * x);
    }
}

/// `∂L/∂Â`: `G_j σ_m` for the real and the imaginary rows.
pub fn parameter_gradient(folded: &[f32], sigma: &[f32]) -> Vec<f32> {
    folded.iter().flat_map(|&g| sigma.iter().map(move |&s| g * s)).collect()
}

/// The least-norm `Â` with `Âσ = r̄`, the mean over blocks of `y − ŷ` (`ŷ` without
/// interference): `Â = r̄ σᵀ/‖σ‖²`, the closed-form optimum of P3's `Â` for image `σ`.
pub fn solve(y_hat: &[f32], y: &[f32], pairs: usize, sigma: &[f32]) -> Vec<f32> {
    let blocks = (y.len() / (2 * pairs)).max(1) as f32;
    let mean: Vec<f32> = fold_blocks(&y.iter().zip(y_hat).map(|(a, b)| a - b).collect::<Vec<_>>(), pairs).iter().map(|v| v / blocks).collect();
    let norm: f32 = sigma.iter().map(|s| s * s).sum::<f32>().max(f32::MIN_POSITIVE);
    mean.iter().flat_map(|&r| sigma.iter().map(move |&s| r * s / norm)).collect()
}

/// `Âσ` as complex values, one per antenna pair (for the IRA of eq. 35).
pub fn response(a: &[f32], pairs: usize, sigma: &[f64]) -> Vec<Complex> {
    let sigma32: Vec<f32> = sigma.iter().map(|&v| v as f32).collect();
    let b = block(a, pairs, &sigma32);
    (0..pairs).map(|j| Complex::new(b[j] as f64, b[pairs + j] as f64)).collect()
}
