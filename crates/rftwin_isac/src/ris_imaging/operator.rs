//! The affine forward operator `y = c + Mσ` (spec §3) with every σ-independent product
//! computed once: `G_k = H_TI diag(g_ris ω_k) H_OIᵀ` and `Q_k = H_OI diag(g_ris ω_k) H_IR`
//! for all `k` as two real-split GEMMs (the reference recomputes them every epoch), then
//! `M_k[(t,r), m] = g_vox [(H_TO[t,m] + G_k[t,m]) H_OR[m,r] + H_TO[t,m] Q_k[m,r]]` and
//! `c_k = H_TI diag(g_ris ω_k) H_IR` (+ `H_TR`); terms the configuration's
//! [`SensingPaths`](super::SensingPaths) leave out drop from `M` and `c`.

use super::channel::Hops;
use super::configurations::ris_configurations;
use super::RisImagingConfig;
use crate::error::{invalid, Result};
use nalgebra::{DMatrix, DVector, Scalar};
use rayon::prelude::*;
use rftwin_core::Complex;

/// `a b` for complex matrices by four real GEMMs (nalgebra's blocked f64 kernel).
pub(crate) fn complex_gemm(a: &DMatrix<Complex>, b: &DMatrix<Complex>) -> DMatrix<Complex> {
    let (ar, ai) = (a.map(|v| v.re), a.map(|v| v.im));
    let (br, bi) = (b.map(|v| v.re), b.map(|v| v.im));
    let re = &ar * &br - &ai * &bi;
    let im = &ar * &bi + &ai * &br;
    re.zip_map(&im, Complex::new)
}

/// The RIS hops weighted by every configuration at once: `[TX → RIS] diag(g_ris ω_k)`
/// stacked over `k` (`K·N_t × N_s`, row `k·N_t + t`) and `diag(g_ris ω_k) [RIS → RX]` side by
/// side (`N_s × K·N_r`, column `k·N_r + r`).
pub(crate) fn configured_ris_hops(hops: &Hops, omega: &[Vec<Complex>], g_ris: f64) -> (DMatrix<Complex>, DMatrix<Complex>) {
    let (nt, nr, ns, k) = (hops.tx_ris.nrows(), hops.ris_rx.ncols(), hops.tx_ris.ncols(), omega.len());
    let tx_w = DMatrix::from_fn(k * nt, ns, |row, n| hops.tx_ris[(row % nt, n)] * omega[row / nt][n] * g_ris);
    let w_rx = DMatrix::from_fn(ns, k * nr, |n, col| hops.ris_rx[(n, col % nr)] * omega[col / nr][n] * g_ris);
    (tx_w, w_rx)
}

/// `y = c + Mσ` over one real type (`f64` reference, `f32` for speed).
#[derive(Debug, Clone)]
pub struct AffineOperator<T: Scalar> {
    /// `c`, the σ-independent measurements.
    pub offset: DVector<T>,
    /// `M`, `N_m × N_v`.
    pub matrix: DMatrix<T>,
}

/// The operator in f64.
pub type ForwardOperator = AffineOperator<f64>;

/// Columns of `M` per task in [`AffineOperator::apply`]: the partial sums are added in
/// block order, so the result does not depend on the thread count.
const COLUMN_BLOCK: usize = 256;

/// `Σ a_i b_i` with eight interleaved partial sums (the order the compiler can vectorise;
/// fixed, so the result is deterministic).
fn dot<T: nalgebra::RealField + Copy>(a: &[T], b: &[T]) -> T {
    let mut lanes = [T::zero(); 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a8.remainder().iter().zip(b8.remainder()).fold(T::zero(), |s, (x, y)| s + *x * *y);
    for (x, y) in a8.zip(b8) {
        lanes.iter_mut().zip(x.iter().zip(y)).for_each(|(lane, (x, y))| *lane += *x * *y);
    }
    lanes.iter().fold(tail, |s, v| s + *v)
}

impl<T: nalgebra::RealField + Copy> AffineOperator<T> {
    /// `c + Mσ`.
    pub fn apply(&self, sigma: &[T]) -> Result<Vec<T>> {
        let mut y = self.linear(sigma)?;
        y.iter_mut().zip(self.offset.iter()).for_each(|(y, c)| *y += *c);
        Ok(y)
    }

    /// `Mσ` on the rayon pool: blocks of columns accumulate their own partial sums, which
    /// are then added in block order (the operator is hundreds of MB; one thread does not
    /// saturate the memory bandwidth).
    fn linear(&self, sigma: &[T]) -> Result<Vec<T>> {
        if sigma.len() != self.matrix.ncols() {
            return Err(invalid("image", format!("{} voxels for an operator of {}", sigma.len(), self.matrix.ncols())));
        }
        let rows = self.matrix.nrows();
        if rows == 0 {
            return Ok(Vec::new());
        }
        let partials: Vec<Vec<T>> = self
            .matrix
            .as_slice()
            .par_chunks(rows * COLUMN_BLOCK)
            .zip(sigma.par_chunks(COLUMN_BLOCK))
            .map(|(columns, weights)| {
                let mut sum = vec![T::zero(); rows];
                for (column, &w) in columns.chunks(rows).zip(weights) {
                    if w != T::zero() {
                        sum.iter_mut().zip(column).for_each(|(s, m)| *s += *m * w);
                    }
                }
                sum
            })
            .collect();
        let mut y = vec![T::zero(); rows];
        for partial in partials {
            y.iter_mut().zip(partial).for_each(|(y, p)| *y += p);
        }
        Ok(y)
    }

    /// `Mσ`.
    pub fn apply_linear(&self, sigma: &[T]) -> Result<Vec<T>> {
        self.linear(sigma)
    }

    /// `Mᵀ r` (the gradient of `⟨r, y⟩` with respect to σ), one column's dot product per
    /// voxel on the rayon pool.
    pub fn adjoint(&self, r: &[T]) -> Result<Vec<T>> {
        let rows = self.matrix.nrows();
        if r.len() != rows {
            return Err(invalid("residual", format!("{} values for an operator of {} rows", r.len(), rows)));
        }
        if rows == 0 {
            return Ok(vec![T::zero(); self.matrix.ncols()]);
        }
        Ok(self.matrix.as_slice().par_chunks(rows).map(|column| dot(column, r)).collect())
    }

    /// The operator of background-calibrated data (eq. 24): the empty-ROI measurement,
    /// and with it every σ-independent term `c`, is subtracted.
    pub fn without_offset(mut self) -> Self {
        self.offset.fill(T::zero());
        self
    }

    /// Measurements `N_m`.
    pub fn rows(&self) -> usize {
        self.matrix.nrows()
    }

    /// Voxels `N_v`.
    pub fn voxels(&self) -> usize {
        self.matrix.ncols()
    }
}

impl ForwardOperator {
    /// Precomputes `c` and `M` for `config` (its configurations from
    /// [`ris_configurations`]).
    pub fn new(config: &RisImagingConfig) -> Result<Self> {
        let omega = ris_configurations(config)?;
        Self::with_configurations(config, omega.as_deref())
    }

    /// Precomputes `c` and `M` for explicit configurations `omega` (`K × N_s`; `None`: no RIS).
    pub fn with_configurations(config: &RisImagingConfig, omega: Option<&[Vec<Complex>]>) -> Result<Self> {
        check_configurations(config, omega)?;
        let (nt, nr, nv, k) = (config.tx.elements, config.rx.elements, config.roi.count(), config.configurations);
        let block = config.block_len();
        let mut matrix = DMatrix::<f64>::zeros(config.measurement_len(), nv);
        let mut offset = DVector::<f64>::zeros(config.measurement_len());
        for (i, &wavenumber) in config.band.wavenumbers().iter().enumerate() {
            let f = SubcarrierFactors::new(config, omega, wavenumber);
            for kk in 0..k {
                let row0 = (i * k + kk) * block;
                // one column (voxel) per task: M_k[:, m]
                let columns: Vec<Vec<Complex>> = (0..nv)
                    .into_par_iter()
                    .map(|m| {
                        let mut col = vec![Complex::new(0.0, 0.0); nt * nr];
                        for t in 0..nt {
                            let (left, to) = (f.left(config, kk, t, m), f.hops.tx_roi[(t, m)]);
                            for r in 0..nr {
                                col[t * nr + r] = (left * f.hops.roi_rx[(m, r)] + to * f.q_at(kk, m, r)) * f.g_vox;
                            }
                        }
                        col
                    })
                    .collect();
                for (m, col) in columns.iter().enumerate() {
                    for (j, v) in col.iter().enumerate() {
                        matrix[(row0 + j, m)] = v.re * config.scale;
                        matrix[(row0 + nt * nr + j, m)] = v.im * config.scale;
                    }
                }
                f.write_offset(config, kk, &mut offset.as_mut_slice()[row0..row0 + block]);
            }
        }
        Ok(AffineOperator { offset, matrix })
    }

    /// The same operator in f32 (half the memory and bandwidth of the f64 reference).
    pub fn to_f32(&self) -> AffineOperator<f32> {
        AffineOperator { offset: self.offset.map(|v| v as f32), matrix: self.matrix.map(|v| v as f32) }
    }
}

/// Checks that `omega` holds `config.configurations` rows of `N_s` phases.
pub(crate) fn check_configurations(config: &RisImagingConfig, omega: Option<&[Vec<Complex>]>) -> Result<()> {
    config.validate()?;
    let (ns, k) = (config.ris.count(), config.configurations);
    if let Some(w) = omega {
        if w.len() != k || w.iter().any(|row| row.len() != ns) {
            return Err(invalid("configurations", format!("expected {k} configurations of {ns} phases")));
        }
    }
    Ok(())
}

/// The σ-independent factors of one subcarrier (spec §3): the hops, `g_vox` and, for every
/// configuration at once, `G_k` (stacked, `K·N_t × N_v`), `Q_k` (side by side,
/// `N_v × K·N_r`) and the RIS part of `c_k` (`K·N_t × N_r`), each `None` where
/// `config.paths` leaves its term out (the products are then not formed). The dense
/// [`AffineOperator`] and the [`FactoredOperator`](super::factored::FactoredOperator)
/// are both built from them.
pub(crate) struct SubcarrierFactors {
    pub hops: Hops,
    pub g_vox: f64,
    pub g: Option<DMatrix<Complex>>,
    pub q: Option<DMatrix<Complex>>,
    pub c: Option<DMatrix<Complex>>,
}

impl SubcarrierFactors {
    pub(crate) fn new(config: &RisImagingConfig, omega: Option<&[Vec<Complex>]>, wavenumber: f64) -> Self {
        let lambda = 2.0 * std::f64::consts::PI / wavenumber;
        let hops = Hops::new(config, wavenumber);
        let (g_vox, g_ris) = (config.voxel_gain(lambda), config.ris_gain(lambda));
        let paths = config.paths;
        let (g, q, c) = match omega {
            Some(w) => {
                let (tx_w, w_rx) = configured_ris_hops(&hops, w, g_ris);
                let g = paths.tx_ris_roi_rx.then(|| complex_gemm(&tx_w, &hops.roi_ris.transpose()));
                let q = paths.tx_roi_ris_rx.then(|| complex_gemm(&hops.roi_ris, &w_rx));
                let c = paths.tx_ris_rx.then(|| complex_gemm(&tx_w, &hops.ris_rx));
                (g, q, c)
            }
            None => (None, None, None),
        };
        SubcarrierFactors { hops, g_vox, g, q, c }
    }

    /// `H_TO[t,m] + G_k[t,m]` with the terms `config.paths` keeps (`M_k`'s factor before `H_OR`).
    pub(crate) fn left(&self, config: &RisImagingConfig, kk: usize, t: usize, m: usize) -> Complex {
        let nt = config.tx.elements;
        let direct = if config.paths.tx_roi_rx { self.hops.tx_roi[(t, m)] } else { Complex::new(0.0, 0.0) };
        direct + self.g.as_ref().map_or(Complex::new(0.0, 0.0), |g| g[(kk * nt + t, m)])
    }

    /// `Q_k[m, r]`, or 0 without the TX–ROI–RIS–RX term.
    pub(crate) fn q_at(&self, kk: usize, m: usize, r: usize) -> Complex {
        let nr = self.hops.roi_rx.ncols();
        self.q.as_ref().map_or(Complex::new(0.0, 0.0), |q| q[(m, kk * nr + r)])
    }

    /// `c_k` of configuration `kk` as one block `[Re; Im]`, scaled.
    pub(crate) fn write_offset(&self, config: &RisImagingConfig, kk: usize, out: &mut [f64]) {
        let (nt, nr) = (config.tx.elements, config.rx.elements);
        for t in 0..nt {
            for r in 0..nr {
                let mut c = self.c.as_ref().map_or(Complex::new(0.0, 0.0), |c| c[(kk * nt + t, r)]);
                if config.direct_path {
                    c += self.hops.tx_rx[(t, r)];
                }
                out[t * nr + r] = c.re * config.scale;
                out[nt * nr + t * nr + r] = c.im * config.scale;
            }
        }
    }
}

/// What the INR's training needs from a measurement model `y = c + Mσ` in f32: the dense
/// [`AffineOperator`] and the [`FactoredOperator`](super::factored::FactoredOperator)
/// (a quarter of the memory) are both one.
pub trait SensingOperator: Sync {
    /// Measurements `N_m`.
    fn rows(&self) -> usize;
    /// Voxels `N_v`.
    fn voxels(&self) -> usize;
    /// `c + Mσ`.
    fn apply(&self, sigma: &[f32]) -> Result<Vec<f32>>;
    /// `Mᵀ r`.
    fn adjoint(&self, r: &[f32]) -> Result<Vec<f32>>;
    /// Bytes its factors hold.
    fn bytes(&self) -> usize;
}

impl SensingOperator for AffineOperator<f32> {
    fn rows(&self) -> usize {
        self.matrix.nrows()
    }

    fn voxels(&self) -> usize {
        self.matrix.ncols()
    }

    fn apply(&self, sigma: &[f32]) -> Result<Vec<f32>> {
        AffineOperator::<f32>::apply(self, sigma)
    }

    fn adjoint(&self, r: &[f32]) -> Result<Vec<f32>> {
        AffineOperator::<f32>::adjoint(self, r)
    }

    fn bytes(&self) -> usize {
        (self.matrix.len() + self.offset.len()) * std::mem::size_of::<f32>()
    }
}

#[cfg(test)]
mod parallel_tests {
    use super::*;

    /// The blocked products equal the plain sums and do not depend on the thread count.
    #[test]
    fn apply_and_adjoint_match_plain_sums_bitwise_across_thread_counts() {
        let (rows, cols) = (37, 3 * COLUMN_BLOCK + 11);
        let value = |i: usize| ((i * 7919) % 1013) as f64 / 1013.0 - 0.5;
        let op = AffineOperator { offset: DVector::from_fn(rows, |i, _| value(i + 5)), matrix: DMatrix::from_fn(rows, cols, |i, j| value(i * cols + j)) };
        let sigma: Vec<f64> = (0..cols).map(|j| if j % 5 == 0 { 0.0 } else { value(j + 3) }).collect();
        let r: Vec<f64> = (0..rows).map(|i| value(i + 11)).collect();
        let plain_y: Vec<f64> = (0..rows).map(|i| op.offset[i] + (0..cols).map(|j| op.matrix[(i, j)] * sigma[j]).sum::<f64>()).collect();
        let plain_g: Vec<f64> = (0..cols).map(|j| (0..rows).map(|i| op.matrix[(i, j)] * r[i]).sum::<f64>()).collect();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| (op.apply(&sigma).unwrap(), op.adjoint(&r).unwrap()))
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one, two, "the thread count changed the result");
        for (a, b) in one.0.iter().zip(&plain_y).chain(one.1.iter().zip(&plain_g)) {
            assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }
}
