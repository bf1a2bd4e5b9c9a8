//! The forward operator `y = c + Mσ` kept in its factors instead of as the dense `M`:
//! per block `b` (subcarrier `i`, configuration `k`)
//!
//! `Y_b = Σ_m σ_m [L_b[m] ⊗ R_i[m] + T_i[m] ⊗ Q_b[m]]`, `L_b = s g_vox (H_TO + G_k)ᵀ`,
//! `T_i = s g_vox H_TOᵀ`, `R_i = H_OR`,
//!
//! the same `M_k[(t,r), m] = g_vox [(H_TO + G_k)[t,m] H_OR[m,r] + H_TO[t,m] Q_k[m,r]]` as
//! [`AffineOperator`](super::operator::AffineOperator) (spec §3). It holds
//! `(K + 1)·N_v·(N_t + N_r)` complex numbers per subcarrier against the dense operator's
//! `2K·N_t·N_r·N_v` reals — about a quarter at the paper's 8 × 8 antennas and K = 40 — and
//! its products read that much less memory: at that size the dense products are bound by
//! memory bandwidth.
//!
//! Each block's products are small real GEMMs with the voxels as the long dimension
//! (complex numbers as `[Re; Im]` pairs): forward `P = L_b R̃_i + T̃_i Q_b` (`2N_t × 2N_r`,
//! `R̃ = diag(σ) R`, `T̃ = T diag(σ)`), backward `W = Ρ_b R_iᵀ` (`2N_t × N_v`) and a dot
//! product per voxel with `L_b`'s column. Blocks run on the rayon pool and their partial
//! sums are added in block order, so results do not depend on the thread count.

use super::operator::{check_configurations, SensingOperator, SubcarrierFactors};
use super::RisImagingConfig;
use super::configurations::ris_configurations;
use crate::error::{invalid, Result};
use nalgebra::{DMatrix, DMatrixView, Dyn, MatrixView, RealField};
use rayon::prelude::*;
use rftwin_core::Complex;

/// `y = c + Mσ` in factors, over one real type (`f64` reference, `f32` for training).
/// Complex factors are stored as real matrices (column-major): `L_b` and `T_i` as
/// `2N_t × N_v` (column `m` = `[Re, Im]` of each TX antenna in turn), `R_i` and `Q_b` as
/// `N_v × 2N_r` (columns: the `N_r` real parts, then the `N_r` imaginary parts).
#[derive(Debug, Clone)]
pub struct FactoredOperator<T> {
    nt: usize,
    nr: usize,
    nv: usize,
    /// Configurations `K` (blocks are subcarrier-major: `b = i·K + k`).
    configurations: usize,
    blocks: usize,
    /// `L_b`, one `2N_t × N_v` matrix per block.
    left: Vec<T>,
    /// `T_i`, one `2N_t × N_v` matrix per subcarrier.
    tx_roi: Vec<T>,
    /// `R_i`, one `N_v × 2N_r` matrix per subcarrier.
    right: Vec<T>,
    /// `Q_b`, one `N_v × 2N_r` matrix per block; empty without the TX–ROI–RIS–RX term.
    q: Vec<T>,
    /// `c`, the σ-independent measurements.
    offset: Vec<T>,
}

impl FactoredOperator<f64> {
    /// The factors for `config` (its configurations from [`ris_configurations`]).
    pub fn new(config: &RisImagingConfig) -> Result<Self> {
        let omega = ris_configurations(config)?;
        Self::with_configurations(config, omega.as_deref())
    }

    /// The factors for explicit configurations `omega` (`K × N_s`; `None`: no RIS).
    pub fn with_configurations(config: &RisImagingConfig, omega: Option<&[Vec<Complex>]>) -> Result<Self> {
        check_configurations(config, omega)?;
        let (nt, nr, nv, k) = (config.tx.elements, config.rx.elements, config.roi.count(), config.configurations);
        let subcarriers = config.band.subcarriers;
        let blocks = subcarriers * k;
        let block = config.block_len();
        let with_q = omega.is_some() && config.paths.tx_roi_ris_rx;
        let mut op = FactoredOperator {
            nt,
            nr,
            nv,
            configurations: k,
            blocks,
            left: Vec::with_capacity(blocks * nv * 2 * nt),
            tx_roi: Vec::with_capacity(subcarriers * nv * 2 * nt),
            right: Vec::with_capacity(subcarriers * nv * 2 * nr),
            q: Vec::with_capacity(if with_q { blocks * nv * 2 * nr } else { 0 }),
            offset: vec![0.0; config.measurement_len()],
        };
        // `2N_t × N_v`: [Re, Im] of each TX antenna per voxel column
        let columns = |entry: &dyn Fn(usize, usize) -> Complex| -> Vec<f64> { (0..nv).flat_map(|m| (0..nt).map(move |t| (t, m))).flat_map(|(t, m)| pair(entry(t, m))).collect() };
        // `N_v × 2N_r`: the real parts of every RX antenna's column, then the imaginary parts
        let rows = |entry: &dyn Fn(usize, usize) -> Complex| -> Vec<f64> { (0..2 * nr).flat_map(|j| (0..nv).map(move |m| (j, m))).map(|(j, m)| pair(entry(m, j % nr))[usize::from(j >= nr)]).collect() };
        for (i, &wavenumber) in config.band.wavenumbers().iter().enumerate() {
            let f = SubcarrierFactors::new(config, omega, wavenumber);
            let weight = f.g_vox * config.scale;
            op.tx_roi.extend(columns(&|t, m| f.hops.tx_roi[(t, m)] * weight));
            op.right.extend(rows(&|m, r| f.hops.roi_rx[(m, r)]));
            for kk in 0..k {
                op.left.extend(columns(&|t, m| f.left(config, kk, t, m) * weight));
                if with_q {
                    op.q.extend(rows(&|m, r| f.q_at(kk, m, r)));
                }
                let row0 = (i * k + kk) * block;
                f.write_offset(config, kk, &mut op.offset[row0..row0 + block]);
            }
        }
        Ok(op)
    }

    /// The same operator in f32.
    pub fn to_f32(&self) -> FactoredOperator<f32> {
        let narrow = |v: &[f64]| v.iter().map(|&x| x as f32).collect();
        FactoredOperator {
            nt: self.nt,
            nr: self.nr,
            nv: self.nv,
            configurations: self.configurations,
            blocks: self.blocks,
            left: narrow(&self.left),
            tx_roi: narrow(&self.tx_roi),
            right: narrow(&self.right),
            q: narrow(&self.q),
            offset: narrow(&self.offset),
        }
    }
}

/// `[Re, Im]` of a complex number.
fn pair(c: Complex) -> [f64; 2] {
    [c.re, c.im]
}

impl<T: RealField + Copy> FactoredOperator<T> {
    /// `c + Mσ`.
    pub fn apply(&self, sigma: &[T]) -> Result<Vec<T>> {
        let mut y = self.apply_linear(sigma)?;
        y.iter_mut().zip(&self.offset).for_each(|(y, c)| *y += *c);
        Ok(y)
    }

    /// Matrix `index` of `data` (each `rows × cols`, column-major).
    fn view(data: &[T], index: usize, rows: usize, cols: usize) -> DMatrixView<'_, T> {
        DMatrixView::from_slice(&data[index * rows * cols..(index + 1) * rows * cols], rows, cols)
    }

    /// The transpose of [`Self::view`], without a copy.
    fn transposed_view(data: &[T], index: usize, rows: usize, cols: usize) -> MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn> {
        let slice = &data[index * rows * cols..(index + 1) * rows * cols];
        MatrixView::from_slice_with_strides_generic(slice, Dyn(cols), Dyn(rows), Dyn(rows), Dyn(1))
    }

    /// `Mσ`: per block `P = L_b R̃_i + T̃_i Q_b`, whose `[Re; Im]` pairs give `Y_b`.
    pub fn apply_linear(&self, sigma: &[T]) -> Result<Vec<T>> {
        let (nt, nr, nv) = (self.nt, self.nr, self.nv);
        if sigma.len() != nv {
            return Err(invalid("image", format!("{} voxels for an operator of {nv}", sigma.len())));
        }
        let subcarriers = self.blocks / self.configurations;
        // R̃_i = diag(σ) R_i and T̃_i = T_i diag(σ), once per subcarrier
        let scaled: Vec<(DMatrix<T>, DMatrix<T>)> = (0..subcarriers)
            .into_par_iter()
            .map(|i| {
                let mut r = Self::view(&self.right, i, nv, 2 * nr).into_owned();
                r.column_iter_mut().for_each(|mut c| c.iter_mut().zip(sigma).for_each(|(v, s)| *v *= *s));
                let mut t = Self::view(&self.tx_roi, i, 2 * nt, nv).into_owned();
                t.column_iter_mut().zip(sigma).for_each(|(mut c, s)| c.iter_mut().for_each(|v| *v *= *s));
                (r, t)
            })
            .collect();
        let mut y = vec![T::zero(); self.rows()];
        y.par_chunks_mut(2 * nt * nr).enumerate().for_each(|(b, out)| {
            let (r_scaled, t_scaled) = &scaled[b / self.configurations];
            let mut p = DMatrix::<T>::zeros(2 * nt, 2 * nr);
            p.gemm(T::one(), &Self::view(&self.left, b, 2 * nt, nv), r_scaled, T::zero());
            if !self.q.is_empty() {
                p.gemm(T::one(), t_scaled, &Self::view(&self.q, b, nv, 2 * nr), T::one());
            }
            let (re, im) = out.split_at_mut(nt * nr);
            for t in 0..nt {
                for r in 0..nr {
                    re[t * nr + r] = p[(2 * t, r)] - p[(2 * t + 1, nr + r)];
                    im[t * nr + r] = p[(2 * t, nr + r)] + p[(2 * t + 1, r)];
                }
            }
        });
        Ok(y)
    }

    /// `Mᵀ r`: per block `W = Ρ_b R_iᵀ` with `Ρ_b` the block's residual arranged so that
    /// `∂⟨r, Y_b⟩/∂σ_m = L_b[:, m] · W[:, m]` (and likewise `T_i` with `Ρ_b Q_bᵀ`).
    pub fn adjoint(&self, r: &[T]) -> Result<Vec<T>> {
        let (nt, nr, nv) = (self.nt, self.nr, self.nv);
        if r.len() != self.rows() {
            return Err(invalid("residual", format!("{} values for an operator of {} rows", r.len(), self.rows())));
        }
        // a block's partial gradient; blocks in groups per task, added in block order
        let block_gradient = |b: usize, g: &mut [T]| {
            let rho = &r[b * 2 * nt * nr..(b + 1) * 2 * nt * nr];
            let (rho_re, rho_im) = rho.split_at(nt * nr);
            // Ρ (2N_t × 2N_r): row 2t gives Re u_t, row 2t + 1 gives −Im u_t, with
            // u_t = Σ_r ρ̄[t, r] R[m, r], so that Re(L u) = Σ_j L[j] W[j]
            let rho_matrix = DMatrix::from_fn(2 * nt, 2 * nr, |row, j| {
                let (t, r) = (row / 2, j % nr);
                let (re, im) = (rho_re[t * nr + r], rho_im[t * nr + r]);
                match (row % 2, j < nr) {
                    (0, true) => re,
                    (0, false) => im,
                    (_, true) => im,
                    (_, false) => -re,
                }
            });
            let transposed = |data, index| Self::transposed_view(data, index, nv, 2 * nr);
            let i = b / self.configurations;
            let mut w = DMatrix::<T>::zeros(2 * nt, nv);
            w.gemm(T::one(), &rho_matrix, &transposed(&self.right, i), T::zero());
            let left = &self.left[b * 2 * nt * nv..(b + 1) * 2 * nt * nv];
            for ((g, l), w) in g.iter_mut().zip(left.chunks(2 * nt)).zip(w.as_slice().chunks(2 * nt)) {
                *g += l.iter().zip(w).fold(T::zero(), |s, (a, b)| s + *a * *b);
            }
            if !self.q.is_empty() {
                w.gemm(T::one(), &rho_matrix, &transposed(&self.q, b), T::zero());
                let tx_roi = &self.tx_roi[i * 2 * nt * nv..(i + 1) * 2 * nt * nv];
                for ((g, t), w) in g.iter_mut().zip(tx_roi.chunks(2 * nt)).zip(w.as_slice().chunks(2 * nt)) {
                    *g += t.iter().zip(w).fold(T::zero(), |s, (a, b)| s + *a * *b);
                }
            }
        };
        const BLOCKS_PER_TASK: usize = 4;
        let partials: Vec<Vec<T>> = (0..self.blocks.div_ceil(BLOCKS_PER_TASK))
            .into_par_iter()
            .map(|task| {
                let mut g = vec![T::zero(); nv];
                for b in task * BLOCKS_PER_TASK..((task + 1) * BLOCKS_PER_TASK).min(self.blocks) {
                    block_gradient(b, &mut g);
                }
                g
            })
            .collect();
        let mut g = vec![T::zero(); nv];
        for partial in partials {
            g.iter_mut().zip(partial).for_each(|(g, p)| *g += p);
        }
        Ok(g)
    }

    /// The operator of background-calibrated data (eq. 24): `c` is subtracted.
    pub fn without_offset(mut self) -> Self {
        self.offset.fill(T::zero());
        self
    }

    /// Measurements `N_m`.
    pub fn rows(&self) -> usize {
        self.offset.len()
    }

    /// Voxels `N_v`.
    pub fn voxels(&self) -> usize {
        self.nv
    }

    /// Bytes its factors and offset hold.
    pub fn bytes(&self) -> usize {
        (self.left.len() + self.tx_roi.len() + self.right.len() + self.q.len() + self.offset.len()) * std::mem::size_of::<T>()
    }
}

impl SensingOperator for FactoredOperator<f32> {
    fn rows(&self) -> usize {
        FactoredOperator::rows(self)
    }

    fn voxels(&self) -> usize {
        FactoredOperator::voxels(self)
    }

    fn apply(&self, sigma: &[f32]) -> Result<Vec<f32>> {
        FactoredOperator::apply(self, sigma)
    }

    fn adjoint(&self, r: &[f32]) -> Result<Vec<f32>> {
        FactoredOperator::adjoint(self, r)
    }

    fn bytes(&self) -> usize {
        FactoredOperator::bytes(self)
    }
}
