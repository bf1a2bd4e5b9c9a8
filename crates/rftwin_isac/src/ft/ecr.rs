//! Equivalent channel response (ECR) recovery from the measured channels (spec §3), and
//! its inverse, the measurement a recovered ECR implies (the last steps of Algorithm 3's
//! forward operator).

use super::measurement::{steering, Measurements};
use super::FtSetup;
use crate::codebook::{walsh_hadamard, Codebook, CodebookKind};
use crate::error::{invalid, Result};
use crate::fft::dft;
use crate::geometry::Ris;
use nalgebra::{DMatrix, DVector};
use rftwin_core::Complex;

/// How the ECR is recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Recovery {
    /// The codebook's fast inverse: IDFT (zero-filled past `T` pilots: the DFT
    /// pseudo-inverse), fast Walsh–Hadamard, or the block IDFT — always with the
    /// unquantised matrix, as the paper does (eqs. 9–10).
    #[default]
    Fast,
    /// `W⁻¹ ĥ` with the actual (possibly quantised) `W` (eq. 8): exact, `O(M³)` once; an
    /// error for a rank-deficient codebook.
    Inverse,
}

#[derive(Debug, Clone)]
enum Mode {
    Dft { pilots: usize },
    Hadamard,
    Block,
    Inverse { w: DMatrix<Complex>, w_inv: DMatrix<Complex> },
}

/// ECR recovery for one setup and codebook: per AP antenna `l` and subcarrier `i`,
/// `ê = W⁺ ĥ ⊘ (C Q b)` on the aperture the codebook resolves (the RIS, or its block grid).
#[derive(Debug, Clone)]
pub struct EcrRecovery {
    mode: Mode,
    aperture: Ris,
    /// `C Q b_{l,i}` per antenna and subcarrier, over the aperture.
    weights: Vec<Vec<Vec<Complex>>>,
}

impl EcrRecovery {
    /// Prepares the recovery (the matrix inverse for [`Recovery::Inverse`]).
    pub fn new(setup: &FtSetup, codebook: &Codebook, recovery: Recovery) -> Result<Self> {
        setup.validate()?;
        if codebook.elements != setup.ris.elements {
            return Err(invalid("codebook", format!("drives a {:?} RIS, the setup's is {:?}", codebook.elements, setup.ris.elements)));
        }
        let (mode, aperture, q) = match (recovery, &codebook.kind) {
            (Recovery::Inverse, _) => {
                codebook.check_invertible()?;
                let w = codebook.matrix();
                let w_inv = w.clone().try_inverse().ok_or_else(|| invalid("codebook", "the matrix inverse failed although the rank is full"))?;
                (Mode::Inverse { w, w_inv }, setup.ris.clone(), 1)
            }
            (Recovery::Fast, CodebookKind::Dft) => (Mode::Dft { pilots: codebook.pilots }, setup.ris.clone(), 1),
            (Recovery::Fast, CodebookKind::Hadamard) => (Mode::Hadamard, setup.ris.clone(), 1),
            (Recovery::Fast, CodebookKind::Block { q, .. }) => (Mode::Block, setup.ris.blocks(*q)?, q[0] * q[1]),
        };
        let ks = setup.band.wavenumbers();
        let weights = setup
            .ap
            .iter()
            .map(|&ap| ks.iter().map(|&k| steering(&aperture, ap, k).into_iter().map(|b| b * setup.gain * q as f64).collect()).collect())
            .collect();
        Ok(EcrRecovery { mode, aperture, weights })
    }

    /// The aperture whose samples the ECR lives on.
    pub fn aperture(&self) -> &Ris {
        &self.aperture
    }

    /// Pilots per subcarrier this recovery expects.
    pub fn pilots(&self) -> usize {
        match &self.mode {
            Mode::Dft { pilots } => *pilots,
            Mode::Hadamard | Mode::Block => self.aperture.count(),
            Mode::Inverse { w, .. } => w.nrows(),
        }
    }

    /// `ê_{l,i}` from the `T` pilots `h` of antenna `l`, subcarrier `i`.
    pub fn recover(&self, l: usize, i: usize, h: &[Complex]) -> Vec<Complex> {
        let m = self.aperture.count();
        let x = match &self.mode {
            Mode::Dft { .. } => {
                let mut padded = vec![Complex::new(0.0, 0.0); m];
                padded[..h.len()].copy_from_slice(h);
                dft(&padded, true)
            }
            Mode::Block => dft(h, true),
            Mode::Hadamard => walsh_hadamard(h).into_iter().map(|v| v / m as f64).collect(),
            Mode::Inverse { w_inv, .. } => (w_inv * DVector::from_column_slice(h)).iter().copied().collect(),
        };
        x.iter().zip(&self.weights[l][i]).map(|(x, w)| x / w).collect()
    }

    /// The pilots an aperture ECR `e` implies for antenna `l`, subcarrier `i` — the
    /// recovery's own model, so `recover(remeasure(e)) = e` where the recovery is exact.
    pub fn remeasure(&self, l: usize, i: usize, e: &[Complex]) -> Vec<Complex> {
        let x: Vec<Complex> = e.iter().zip(&self.weights[l][i]).map(|(e, w)| e * w).collect();
        match &self.mode {
            Mode::Dft { pilots } => dft(&x, false)[..*pilots].to_vec(),
            Mode::Block => dft(&x, false),
            Mode::Hadamard => walsh_hadamard(&x),
            Mode::Inverse { w, .. } => (w * DVector::from_column_slice(&x)).iter().copied().collect(),
        }
    }

    /// `ê_i = (1/N_a) Σ_l ê_{l,i}` for every subcarrier.
    pub fn recover_all(&self, meas: &Measurements) -> Result<Vec<Vec<Complex>>> {
        self.check_shape(&meas.h)?;
        let n_a = meas.h.len() as f64;
        let subcarriers = meas.h[0].len();
        Ok((0..subcarriers)
            .map(|i| {
                let mut acc = vec![Complex::new(0.0, 0.0); self.aperture.count()];
                for (l, per_antenna) in meas.h.iter().enumerate() {
                    for (a, v) in acc.iter_mut().zip(self.recover(l, i, &per_antenna[i])) {
                        *a += v / n_a;
                    }
                }
                acc
            })
            .collect())
    }

    /// An error unless `h` has this recovery's antennas, subcarriers and pilots.
    pub fn check_shape(&self, h: &[Vec<Vec<Complex>>]) -> Result<()> {
        let (na, ni) = (self.weights.len(), self.weights[0].len());
        let ok = h.len() == na && h.iter().all(|a| a.len() == ni && a.iter().all(|p| p.len() == self.pilots()));
        if !ok {
            return Err(invalid("measurements", format!("expected {na} antennas × {ni} subcarriers × {} pilots", self.pilots())));
        }
        Ok(())
    }
}
