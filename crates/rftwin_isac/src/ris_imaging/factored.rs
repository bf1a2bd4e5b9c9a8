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
//! The products are real GEMMs over the voxels with all `K` configurations of a
//! subcarrier stacked (complex numbers as `[Re; Im]` pairs; `R̃ = diag(σ) R`,
//! `T̃ = T diag(σ)`): forward `P = L_i R̃_i` (`2N_tK × 2N_r`, `L_i` the `L_b` stacked) and
//! `P' = T̃_i Q_i` (`2N_t × 2N_rK`, `Q_i` the `Q_b` side by side); backward
//! `V = L_iᵀ Ρ_i` (`N_v × 2N_r`) and `W' = Ρ'_i Q_iᵀ` (`2N_t × N_v`, the residual arranged
//! to match) and one short dot product per voxel with `R_i`'s rows and `T_i`'s columns.
//! Each product reads its large factor once and writes a small result, so the operator
//! costs four passes over `L` and `Q` per epoch. Stacking gives the GEMMs a long dimension
//! besides the voxels (per-block `2N_t × 2N_r` products did not scale past one core).

use super::operator::{check_configurations, SensingOperator, SubcarrierFactors};
use super::RisImagingConfig;
use super::configurations::ris_configurations;
use crate::error::{invalid, Result};
use nalgebra::{DMatrix, DMatrixView, Dyn, MatrixView, RealField};
use rftwin_core::Complex;

/// `y = c + Mσ` in factors, over one real type (`f64` reference, `f32` for training).
/// Complex factors are stored as real matrices (column-major): `T_i` as `2N_t × N_v`
/// (column `m` = `[Re, Im]` of each TX antenna in turn) and `L_i` as `2N_tK × N_v` (the
/// same for configuration 0, 1, …); `R_i` as `N_v × 2N_r` (columns: the `N_r` real parts,
/// then the `N_r` imaginary parts) and `Q_i` as `N_v × 2N_rK` (the same per configuration).
#[derive(Debug, Clone)]
pub struct FactoredOperator<T> {
    nt: usize,
    nr: usize,
    nv: usize,
    /// Configurations `K` (blocks are subcarrier-major: `b = i·K + k`).
    configurations: usize,
    /// `L_i`, one `2N_tK × N_v` matrix per subcarrier.
    left: Vec<T>,
    /// `T_i`, one `2N_t × N_v` matrix per subcarrier.
    tx_roi: Vec<T>,
    /// `R_i`, one `N_v × 2N_r` matrix per subcarrier.
    right: Vec<T>,
    /// `Q_i`, one `N_v × 2N_rK` matrix per subcarrier; empty without the TX–ROI–RIS–RX term.
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
        let block = config.block_len();
        let with_q = omega.is_some() && config.paths.tx_roi_ris_rx;
        let mut op = FactoredOperator {
            nt,
            nr,
            nv,
            configurations: k,
            left: Vec::with_capacity(subcarriers * k * nv * 2 * nt),
            tx_roi: Vec::with_capacity(subcarriers * nv * 2 * nt),
            right: Vec::with_capacity(subcarriers * nv * 2 * nr),
            q: Vec::with_capacity(if with_q { subcarriers * k * nv * 2 * nr } else { 0 }),
            offset: vec![0.0; config.measurement_len()],
        };
        // `2N_t·stack × N_v`: per voxel column, [Re, Im] of each TX antenna of configuration
        // 0, 1, … (`entry(k, t, m)`)
        let columns = |stack: usize, entry: &dyn Fn(usize, usize, usize) -> Complex| -> Vec<f64> {
            (0..nv).flat_map(|m| (0..stack).flat_map(move |kk| (0..nt).map(move |t| (kk, t, m)))).flat_map(|(kk, t, m)| pair(entry(kk, t, m))).collect()
        };
        // `N_v × 2N_r`: the real parts of every RX antenna's column, then the imaginary parts
        let rows = |entry: &dyn Fn(usize, usize) -> Complex| -> Vec<f64> { (0..2 * nr).flat_map(|j| (0..nv).map(move |m| (j, m))).map(|(j, m)| pair(entry(m, j % nr))[usize::from(j >= nr)]).collect() };
        for (i, &wavenumber) in config.band.wavenumbers().iter().enumerate() {
            let f = SubcarrierFactors::new(config, omega, wavenumber);
            let weight = f.g_vox * config.scale;
            op.tx_roi.extend(columns(1, &|_, t, m| f.hops.tx_roi[(t, m)] * weight));
            op.right.extend(rows(&|m, r| f.hops.roi_rx[(m, r)]));
            op.left.extend(columns(k, &|kk, t, m| f.left(config, kk, t, m) * weight));
            for kk in 0..k {
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

    /// `Mσ`: per subcarrier `P = L_i R̃_i` and `P' = T̃_i Q_i`, whose `[Re; Im]` pairs give
    /// every configuration's `Y_b`.
    pub fn apply_linear(&self, sigma: &[T]) -> Result<Vec<T>> {
        let (nt, nr, nv, k) = (self.nt, self.nr, self.nv, self.configurations);
        if sigma.len() != nv {
            return Err(invalid("image", format!("{} voxels for an operator of {nv}", sigma.len())));
        }
        let mut y = vec![T::zero(); self.rows()];
        for (i, y_i) in y.chunks_mut(k * 2 * nt * nr).enumerate() {
            let mut r_scaled = Self::view(&self.right, i, nv, 2 * nr).into_owned();
            r_scaled.column_iter_mut().for_each(|mut c| c.iter_mut().zip(sigma).for_each(|(v, s)| *v *= *s));
            let mut p = DMatrix::<T>::zeros(2 * nt * k, 2 * nr);
            p.gemm(T::one(), &Self::view(&self.left, i, 2 * nt * k, nv), &r_scaled, T::zero());
            let p_q = (!self.q.is_empty()).then(|| {
                let mut t_scaled = Self::view(&self.tx_roi, i, 2 * nt, nv).into_owned();
                t_scaled.column_iter_mut().zip(sigma).for_each(|(mut c, s)| c.iter_mut().for_each(|v| *v *= *s));
                &t_scaled * Self::view(&self.q, i, nv, 2 * nr * k)
            });
            for (kk, out) in y_i.chunks_mut(2 * nt * nr).enumerate() {
                let (re, im) = out.split_at_mut(nt * nr);
                for t in 0..nt {
                    let (a, b) = (kk * 2 * nt + 2 * t, kk * 2 * nt + 2 * t + 1);
                    for r in 0..nr {
                        re[t * nr + r] = p[(a, r)] - p[(b, nr + r)];
                        im[t * nr + r] = p[(a, nr + r)] + p[(b, r)];
                        if let Some(p_q) = &p_q {
                            let (cr, ci) = (kk * 2 * nr + r, kk * 2 * nr + nr + r);
                            re[t * nr + r] += p_q[(2 * t, cr)] - p_q[(2 * t + 1, ci)];
                            im[t * nr + r] += p_q[(2 * t, ci)] + p_q[(2 * t + 1, cr)];
                        }
                    }
                }
            }
        }
        Ok(y)
    }

    /// `Mᵀ r`: per subcarrier `V = L_iᵀ Ρ_i` and `W' = Ρ'_i Q_iᵀ`, with the residual
    /// arranged so that `∂⟨r, y⟩/∂σ_m = R_i[m, :]·V[m, :] + T_i[:, m]·W'[:, m]`.
    pub fn adjoint(&self, r: &[T]) -> Result<Vec<T>> {
        let (nt, nr, nv, k) = (self.nt, self.nr, self.nv, self.configurations);
        if r.len() != self.rows() {
            return Err(invalid("residual", format!("{} values for an operator of {} rows", r.len(), self.rows())));
        }
        // The entry of a block's residual for output row `2t + part` and input column `j`
        // of R or Q: row 2t gives Re u_t, row 2t + 1 gives −Im u_t, with
        // u_t = Σ_r ρ̄[t, r] R[m, r], so that Re(L u) = Σ rows L·W.
        let entry = |rho: &[T], row: usize, j: usize| -> T {
            let (t, col) = (row / 2, j % nr);
            let (re, im) = (rho[t * nr + col], rho[nt * nr + t * nr + col]);
            match (row % 2, j < nr) {
                (0, true) => re,
                (0, false) => im,
                (_, true) => im,
                (_, false) => -re,
            }
        };
        let mut g = vec![T::zero(); nv];
        for (i, r_i) in r.chunks(k * 2 * nt * nr).enumerate() {
            let block = |kk: usize| &r_i[kk * 2 * nt * nr..(kk + 1) * 2 * nt * nr];
            // configurations stacked by rows (with R) and side by side (with Q)
            let rho = DMatrix::from_fn(2 * nt * k, 2 * nr, |row, j| entry(block(row / (2 * nt)), row % (2 * nt), j));
            // Σ_row L[row, m] (ρ Rᵀ)[row, m] = Σ_j R[m, j] (Lᵀρ)[m, j]: the `N_v × 2N_r`
            // product instead of the `2N_tK × N_v` one reads L once and writes little.
            let v = Self::transposed_view(&self.left, i, 2 * nt * k, nv) * &rho;
            let right = Self::view(&self.right, i, nv, 2 * nr);
            for (v_j, r_j) in v.column_iter().zip(right.column_iter()) {
                g.iter_mut().zip(v_j.iter().zip(r_j.iter())).for_each(|(g, (v, r))| *g += *v * *r);
            }
            if !self.q.is_empty() {
                let rho_q = DMatrix::from_fn(2 * nt, 2 * nr * k, |row, j| entry(block(j / (2 * nr)), row, j % (2 * nr)));
                let w_q = rho_q * Self::transposed_view(&self.q, i, nv, 2 * nr * k);
                let tx_roi = Self::view(&self.tx_roi, i, 2 * nt, nv);
                for ((g, w), t) in g.iter_mut().zip(w_q.column_iter()).zip(tx_roi.column_iter()) {
                    *g += w.dot(&t);
                }
            }
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
