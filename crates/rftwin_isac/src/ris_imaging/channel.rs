//! The point-to-point hop matrices and the sensing channel's terms, summed directly
//! (eqs. 4 and 10–12; spec §§2.1–2.3): the reference the affine operator is tested
//! against.

use super::RisImagingConfig;
use crate::channel::hop;
use crate::error::{invalid, Result};
use glam::DVec3;
use nalgebra::DMatrix;
use rftwin_core::Complex;

/// Hop matrices `h(row point, column point)` at one wavenumber.
#[derive(Debug, Clone)]
pub struct Hops {
    /// TX → RIS, `N_t × N_s`.
    pub tx_ris: DMatrix<Complex>,
    /// TX → ROI, `N_t × N_v`.
    pub tx_roi: DMatrix<Complex>,
    /// RIS → RX, `N_s × N_r`.
    pub ris_rx: DMatrix<Complex>,
    /// ROI → RX, `N_v × N_r`.
    pub roi_rx: DMatrix<Complex>,
    /// ROI → RIS, `N_v × N_s` (RIS → ROI is its plain transpose).
    pub roi_ris: DMatrix<Complex>,
    /// TX → RX, `N_t × N_r` (the direct path).
    pub tx_rx: DMatrix<Complex>,
}

/// `H[i, j] = h(rows[i], cols[j])`.
pub(crate) fn hop_matrix(rows: &[DVec3], cols: &[DVec3], k: f64) -> DMatrix<Complex> {
    DMatrix::from_fn(rows.len(), cols.len(), |i, j| hop(rows[i], cols[j], k))
}

impl Hops {
    /// All hops of `config` at wavenumber `k`.
    pub fn new(config: &RisImagingConfig, k: f64) -> Self {
        let (tx, rx, ris, roi) = (config.tx.positions(), config.rx.positions(), config.ris.positions(), config.roi.positions());
        Hops {
            tx_ris: hop_matrix(&tx, &ris, k),
            tx_roi: hop_matrix(&tx, &roi, k),
            ris_rx: hop_matrix(&ris, &rx, k),
            roi_rx: hop_matrix(&roi, &rx, k),
            roi_ris: hop_matrix(&roi, &ris, k),
            tx_rx: hop_matrix(&tx, &rx, k),
        }
    }
}

/// The sensing channel of one configuration, term by term (`N_t × N_r` each).
#[derive(Debug, Clone)]
pub struct SensingTerms {
    /// `H_TO diag(g_vox σ) H_OR`.
    pub tx_roi_rx: DMatrix<Complex>,
    /// `H_TI diag(g_ris ω) H_IR` (σ-independent).
    pub tx_ris_rx: DMatrix<Complex>,
    /// `H_TI diag(g_ris ω) H_OIᵀ diag(g_vox σ) H_OR`.
    pub tx_ris_roi_rx: DMatrix<Complex>,
    /// `H_TO diag(g_vox σ) H_OI diag(g_ris ω) H_IR`.
    pub tx_roi_ris_rx: DMatrix<Complex>,
    /// `H_TR` when the direct path is on, else zero.
    pub direct: DMatrix<Complex>,
}

impl SensingTerms {
    /// Their sum, `Y_k`.
    pub fn total(&self) -> DMatrix<Complex> {
        &self.tx_roi_rx + &self.tx_ris_rx + &self.tx_ris_roi_rx + &self.tx_roi_ris_rx + &self.direct
    }
}

/// The four terms (and the direct path; terms `config.paths` leaves out are zero) for image `sigma` (reflectivity per voxel, in
/// voxel order) and configuration `omega` (`None`: no RIS, its terms zero).
pub fn sensing_terms(config: &RisImagingConfig, hops: &Hops, lambda: f64, sigma: &[f64], omega: Option<&[Complex]>) -> Result<SensingTerms> {
    let (nt, nr, nv, ns) = (hops.tx_roi.nrows(), hops.roi_rx.ncols(), hops.tx_roi.ncols(), hops.tx_ris.ncols());
    if sigma.len() != nv || omega.is_some_and(|w| w.len() != ns) {
        return Err(invalid("image", format!("{} voxels and {} RIS phases for a channel of {nv} voxels and {ns} elements", sigma.len(), omega.map_or(0, |w| w.len()))));
    }
    let g_vox = config.voxel_gain(lambda);
    let scaled_sigma = DMatrix::from_fn(nv, nr, |m, r| hops.roi_rx[(m, r)] * (g_vox * sigma[m]));
    let tx_roi_rx = &hops.tx_roi * &scaled_sigma;
    let zero = DMatrix::from_element(nt, nr, Complex::new(0.0, 0.0));
    let direct = if config.direct_path { hops.tx_rx.clone() } else { zero.clone() };
    let (tx_ris_rx, tx_ris_roi_rx, tx_roi_ris_rx) = match omega {
        None => (zero.clone(), zero.clone(), zero.clone()),
        Some(omega) => {
            let g_ris = config.ris_gain(lambda);
            let tx_ris_w = DMatrix::from_fn(nt, ns, |t, n| hops.tx_ris[(t, n)] * omega[n] * g_ris);
            let w_ris_rx = DMatrix::from_fn(ns, nr, |n, r| hops.ris_rx[(n, r)] * omega[n] * g_ris);
            let tx_roi_sigma = DMatrix::from_fn(nt, nv, |t, m| hops.tx_roi[(t, m)] * (g_vox * sigma[m]));
            (&tx_ris_w * &hops.ris_rx, (&tx_ris_w * hops.roi_ris.transpose()) * &scaled_sigma, &tx_roi_sigma * (&hops.roi_ris * &w_ris_rx))
        }
    };
    let paths = config.paths;
    let keep = |on: bool, term: DMatrix<Complex>| if on { term } else { zero.clone() };
    Ok(SensingTerms {
        tx_roi_rx: keep(paths.tx_roi_rx, tx_roi_rx),
        tx_ris_rx: keep(paths.tx_ris_rx, tx_ris_rx),
        tx_ris_roi_rx: keep(paths.tx_ris_roi_rx, tx_ris_roi_rx),
        tx_roi_ris_rx: keep(paths.tx_roi_ris_rx, tx_roi_ris_rx),
        direct,
    })
}

/// `s [Re vec Y; Im vec Y]`, `vec` row-major (`t·N_r + r`).
pub fn stack(y: &DMatrix<Complex>, scale: f64) -> Vec<f64> {
    let (nt, nr) = y.shape();
    let re = (0..nt).flat_map(|t| (0..nr).map(move |r| (t, r))).map(|(t, r)| y[(t, r)].re * scale);
    let im = (0..nt).flat_map(|t| (0..nr).map(move |r| (t, r))).map(|(t, r)| y[(t, r)].im * scale);
    re.chain(im).collect()
}
