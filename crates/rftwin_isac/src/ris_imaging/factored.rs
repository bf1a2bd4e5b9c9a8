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
//! Both products run on the rayon pool in a fixed order (one block per task forward,
//! one voxel per task backward), so results do not depend on the thread count.

use super::operator::{check_configurations, SensingOperator, SubcarrierFactors};
use super::RisImagingConfig;
use super::configurations::ris_configurations;
use crate::error::{invalid, Result};
use nalgebra::RealField;
use num_complex::Complex as C;
use rayon::prelude::*;
use rftwin_core::Complex;

/// `y = c + Mσ` in factors, over one real type (`f64` reference, `f32` for training).
#[derive(Debug, Clone)]
pub struct FactoredOperator<T> {
    nt: usize,
    nr: usize,
    nv: usize,
    /// Configurations `K` (blocks are subcarrier-major: `b = i·K + k`).
    configurations: usize,
    blocks: usize,
    /// `L_b[m][t]`.
    left: Vec<C<T>>,
    /// `T_i[m][t]`.
    tx_roi: Vec<C<T>>,
    /// `R_i[m][r]`.
    right: Vec<C<T>>,
    /// `Q_b[m][r]`; empty without the TX–ROI–RIS–RX term.
    q: Vec<C<T>>,
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
            left: Vec::with_capacity(blocks * nv * nt),
            tx_roi: Vec::with_capacity(subcarriers * nv * nt),
            right: Vec::with_capacity(subcarriers * nv * nr),
            q: Vec::with_capacity(if with_q { blocks * nv * nr } else { 0 }),
            offset: vec![0.0; config.measurement_len()],
        };
        for (i, &wavenumber) in config.band.wavenumbers().iter().enumerate() {
            let f = SubcarrierFactors::new(config, omega, wavenumber);
            let weight = f.g_vox * config.scale;
            op.tx_roi.extend((0..nv).flat_map(|m| (0..nt).map(move |t| (m, t))).map(|(m, t)| f.hops.tx_roi[(t, m)] * weight));
            op.right.extend((0..nv).flat_map(|m| (0..nr).map(move |r| (m, r))).map(|(m, r)| f.hops.roi_rx[(m, r)]));
            for kk in 0..k {
                op.left.extend((0..nv).flat_map(|m| (0..nt).map(move |t| (m, t))).map(|(m, t)| f.left(config, kk, t, m) * weight));
                if with_q {
                    op.q.extend((0..nv).flat_map(|m| (0..nr).map(move |r| (m, r))).map(|(m, r)| f.q_at(kk, m, r)));
                }
                let row0 = (i * k + kk) * block;
                f.write_offset(config, kk, &mut op.offset[row0..row0 + block]);
            }
        }
        Ok(op)
    }

    /// The same operator in f32.
    pub fn to_f32(&self) -> FactoredOperator<f32> {
        let narrow = |v: &[Complex]| v.iter().map(|c| C::new(c.re as f32, c.im as f32)).collect();
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
            offset: self.offset.iter().map(|&v| v as f32).collect(),
        }
    }
}

impl<T: RealField + Copy> FactoredOperator<T> {
    /// `c + Mσ`.
    pub fn apply(&self, sigma: &[T]) -> Result<Vec<T>> {
        let mut y = self.apply_linear(sigma)?;
        y.iter_mut().zip(&self.offset).for_each(|(y, c)| *y += *c);
        Ok(y)
    }

    /// `Mσ`, one block per task.
    pub fn apply_linear(&self, sigma: &[T]) -> Result<Vec<T>> {
        let (nt, nr, nv) = (self.nt, self.nr, self.nv);
        if sigma.len() != nv {
            return Err(invalid("image", format!("{} voxels for an operator of {nv}", sigma.len())));
        }
        let zero = C::new(T::zero(), T::zero());
        let mut y = vec![T::zero(); self.rows()];
        y.par_chunks_mut(2 * nt * nr).enumerate().for_each(|(b, out)| {
            let i = b / self.configurations;
            let left = &self.left[b * nv * nt..(b + 1) * nv * nt];
            let tx_roi = &self.tx_roi[i * nv * nt..(i + 1) * nv * nt];
            let right = &self.right[i * nv * nr..(i + 1) * nv * nr];
            let q = (!self.q.is_empty()).then(|| &self.q[b * nv * nr..(b + 1) * nv * nr]);
            let mut acc = vec![zero; nt * nr];
            for (m, &s) in sigma.iter().enumerate() {
                if s == T::zero() {
                    continue;
                }
                let (l, r_m) = (&left[m * nt..(m + 1) * nt], &right[m * nr..(m + 1) * nr]);
                for (row, &l_t) in acc.chunks_mut(nr).zip(l) {
                    let a = l_t * s;
                    row.iter_mut().zip(r_m).for_each(|(acc, &r)| *acc += a * r);
                }
                if let Some(q) = q {
                    let (t_m, q_m) = (&tx_roi[m * nt..(m + 1) * nt], &q[m * nr..(m + 1) * nr]);
                    for (row, &t_t) in acc.chunks_mut(nr).zip(t_m) {
                        let a = t_t * s;
                        row.iter_mut().zip(q_m).for_each(|(acc, &q)| *acc += a * q);
                    }
                }
            }
            let (re, im) = out.split_at_mut(nt * nr);
            for ((re, im), v) in re.iter_mut().zip(im).zip(&acc) {
                *re = v.re;
                *im = v.im;
            }
        });
        Ok(y)
    }

    /// `Mᵀ r`: per voxel `Σ_b Re Σ_t (L_b[m,t] u_b[m,t] + T_i[m,t] w_b[m,t])` with
    /// `u = Σ_r ρ̄_b[t,r] R_i[m,r]`, `w = Σ_r ρ̄_b[t,r] Q_b[m,r]` and `ρ_b = r_Re + j r_Im`
    /// the block's residual; one voxel per task.
    pub fn adjoint(&self, r: &[T]) -> Result<Vec<T>> {
        let (nt, nr, nv) = (self.nt, self.nr, self.nv);
        if r.len() != self.rows() {
            return Err(invalid("residual", format!("{} values for an operator of {} rows", r.len(), self.rows())));
        }
        let zero = C::new(T::zero(), T::zero());
        // ρ̄_b[t][r]
        let rho: Vec<C<T>> = r.chunks(2 * nt * nr).flat_map(|block| (0..nt * nr).map(move |j| C::new(block[j], -block[nt * nr + j]))).collect();
        Ok((0..nv)
            .into_par_iter()
            .map(|m| {
                let mut g = T::zero();
                for b in 0..self.blocks {
                    let i = b / self.configurations;
                    let rho_b = &rho[b * nt * nr..(b + 1) * nt * nr];
                    let l = &self.left[(b * nv + m) * nt..(b * nv + m + 1) * nt];
                    let r_m = &self.right[(i * nv + m) * nr..(i * nv + m + 1) * nr];
                    let mut sum = zero;
                    for (row, &l_t) in rho_b.chunks(nr).zip(l) {
                        sum += l_t * row.iter().zip(r_m).fold(zero, |u, (&p, &r)| u + p * r);
                    }
                    if !self.q.is_empty() {
                        let t_m = &self.tx_roi[(i * nv + m) * nt..(i * nv + m + 1) * nt];
                        let q_m = &self.q[(b * nv + m) * nr..(b * nv + m + 1) * nr];
                        for (row, &t_t) in rho_b.chunks(nr).zip(t_m) {
                            sum += t_t * row.iter().zip(q_m).fold(zero, |w, (&p, &q)| w + p * q);
                        }
                    }
                    g += sum.re;
                }
                g
            })
            .collect())
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
        (self.left.len() + self.tx_roi.len() + self.right.len() + self.q.len()) * std::mem::size_of::<C<T>>() + self.offset.len() * std::mem::size_of::<T>()
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
