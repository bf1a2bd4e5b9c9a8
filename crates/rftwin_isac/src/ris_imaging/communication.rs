//! Imaging-augmented communication (paper 000 Sec. V and Appendix A; spec
//! `ris_inr_imaging.md` §8): the RIS phases that maximise a user's spectral efficiency
//! `SE = log₂(1 + P_t‖Bω + c‖²/σ²_com)` (eq. 28), with `B, c` built from what imaging
//! found — the located user inside the ROI (eq. 29), or the imaged ROI's multipaths for
//! a user outside it (eq. 30) — solved by semidefinite relaxation and Gaussian
//! randomisation ([`crate::sdr`]). Physical units: every path carries the antenna gain
//! `g_com = λ√G_com/√(4π)` once.

use super::channel::hop_matrix;
use super::RisImagingConfig;
use crate::channel::hop;
use crate::error::{invalid, Result};
use glam::DVec3;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use rftwin_core::Complex;
use std::f64::consts::{PI, TAU};

/// The communication antenna gain G_com of the paper (linear).
pub const ANTENNA_GAIN: f64 = 4.0;

/// The affine channel `h_com(ω) = Bω + c` of one user (`B`: N_t × N_s, `c`: N_t).
#[derive(Debug, Clone)]
pub struct AffineChannel {
    /// RIS-dependent part.
    pub b: DMatrix<Complex>,
    /// RIS-independent part.
    pub c: DVector<Complex>,
}

impl AffineChannel {
    /// `‖Bω + c‖²`.
    pub fn gain(&self, omega: &DVector<Complex>) -> f64 {
        (&self.b * omega + &self.c).norm_squared()
    }

    /// `R = [B c]ᴴ[B c]`, so that `‖Bω + c‖² = zᴴRz` with `z = [ω; 1]`.
    pub fn quadratic_form(&self) -> DMatrix<Complex> {
        let mut bc = DMatrix::zeros(self.b.nrows(), self.b.ncols() + 1);
        bc.columns_mut(0, self.b.ncols()).copy_from(&self.b);
        bc.set_column(self.b.ncols(), &self.c);
        bc.adjoint() * bc
    }
}

/// Builds `B, c` for a user at `user` through the RIS of `config` (its TX array is the
/// base station). `roi = None`: eq. 29 (direct path and TX–RIS–user only); `Some(σ)`:
/// eq. 30, the ROI's reflectivity image σ ∈ [0, 1] (one value per voxel of
/// `config.roi`) adding TX–ROI–user, TX–RIS–ROI–user and TX–ROI–RIS–user.
pub fn affine_channel(config: &RisImagingConfig, user: DVec3, roi: Option<&[f64]>) -> Result<AffineChannel> {
    config.validate()?;
    if !user.is_finite() {
        return Err(invalid("user", format!("{user:?} is not finite")));
    }
    let lambda = config.wavelength();
    let k = 2.0 * PI / lambda;
    let g_com = lambda * ANTENNA_GAIN.sqrt() / (4.0 * PI).sqrt();
    let g_ris = config.ris_gain(lambda);
    let tx = config.tx.positions();
    let ris = config.ris.positions();
    let h_tx_ue = DVector::from_iterator(tx.len(), tx.iter().map(|p| hop(*p, user, k)));
    let h_ris_ue = DVector::from_iterator(ris.len(), ris.iter().map(|p| hop(*p, user, k)));
    let tx_ris = hop_matrix(&tx, &ris, k);
    let cg = |v: f64| Complex::new(v, 0.0);
    let Some(sigma) = roi else {
        let b = &tx_ris * DMatrix::from_diagonal(&h_ris_ue) * cg(g_com * g_ris);
        return Ok(AffineChannel { b, c: h_tx_ue * cg(g_com) });
    };
    if sigma.len() != config.roi.count() || !sigma.iter().all(|s| s.is_finite()) {
        return Err(invalid("roi image", format!("{} values (need {}, all finite)", sigma.len(), config.roi.count())));
    }
    let voxels = config.roi.positions();
    let (tx_roi, roi_ris) = (hop_matrix(&tx, &voxels, k), hop_matrix(&voxels, &ris, k));
    let g_vox = config.voxel_gain(lambda);
    let scaled = DVector::from_iterator(sigma.len(), sigma.iter().map(|s| cg(g_vox * s)));
    let h_roi_ue = DVector::from_iterator(voxels.len(), voxels.iter().map(|p| hop(*p, user, k)));
    let weighted_ue = scaled.component_mul(&h_roi_ue); // diag(σ̃) h_roi-ue
    let h1 = &h_ris_ue + roi_ris.transpose() * &weighted_ue;
    let tx_roi_weighted = DMatrix::from_fn(tx.len(), voxels.len(), |t, m| tx_roi[(t, m)] * scaled[m]);
    let big_h1 = &tx_roi_weighted * &roi_ris;
    let b = (&tx_ris * DMatrix::from_diagonal(&h1) + big_h1 * DMatrix::from_diagonal(&h_ris_ue)) * cg(g_com * g_ris);
    let c = (h_tx_ue + &tx_roi * &weighted_ue) * cg(g_com);
    Ok(AffineChannel { b, c })
}

/// `SE = log₂(1 + P_t‖h‖²/σ²)` \[bit/s/Hz\] (P_t, σ² in W).
pub fn spectral_efficiency(gain: f64, transmit_power: f64, noise_power: f64) -> f64 {
    (1.0 + transmit_power * gain / noise_power).log2()
}

/// Mean `‖Bω + c‖²` over `draws` i.i.d. uniform RIS phases (case 3).
pub fn random_phase_gains(channel: &AffineChannel, draws: usize, seed: u64) -> Vec<f64> {
    let mut rng = Pcg64::seed_from_u64(seed);
    (0..draws)
        .map(|_| {
            let omega = DVector::from_fn(channel.b.ncols(), |_, _| Complex::from_polar(1.0, rng.gen::<f64>() * TAU));
            channel.gain(&omega)
        })
        .collect()
}

/// RIS phases maximising `‖Bω + c‖²` (P6–P8): the relaxation, then the best of `draws`
/// Gaussian randomisations, normalised so that the constant's coefficient is 1.
#[cfg(feature = "sdp")]
pub fn optimise_phases(channel: &AffineChannel, solver: crate::sdr::RelaxationSolver, draws: usize, seed: u64) -> Result<PhaseSolution> {
    let r = channel.quadratic_form();
    let relaxation = crate::sdr::relax(&r, solver, seed)?;
    let (z, _) = crate::sdr::randomize(&r, &relaxation, draws, seed);
    let n = channel.b.ncols();
    let last = z[n];
    let omega = DVector::from_fn(n, |i, _| z[i] / last);
    Ok(PhaseSolution { gain: channel.gain(&omega), omega, relaxation_bound: relaxation.value, rank: relaxation.rank })
}

/// Optimised RIS phases.
#[derive(Debug, Clone)]
pub struct PhaseSolution {
    /// `ω` (unit modulus).
    pub omega: DVector<Complex>,
    /// `‖Bω + c‖²` on the channel it was optimised for.
    pub gain: f64,
    /// The relaxation's value, an upper bound on any unit-modulus `ω`.
    pub relaxation_bound: f64,
    /// Rank of the relaxed solution (1: the relaxation is tight).
    pub rank: usize,
}
