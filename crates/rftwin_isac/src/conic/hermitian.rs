//! Hermitian PSD matrix variables inside a real conic program (spec `mf_ris_isac.md` §7,
//! SDR): a Hermitian `W ⪰ 0` of order n is relaxed to a real symmetric `X ⪰ 0` of order
//! 2n standing for `[[Re W, −Im W], [Im W, Re W]]`, stored as `svec(X)` in a slice of the
//! variable. Linear functionals `tr(AW) = ½ tr(ÃX)` (A Hermitian, `Ã` its embedding) are
//! invariant under `X ↦ ½(X + JXJᵀ)`, so the block structure need not be imposed and
//! `W` is read back by [`hermitian_from_embedding`].

use super::embed::{hermitian_from_embedding, real_matrix};
use super::problem::{smat, svec, Cone, ConicProblem};
use crate::error::Result;
use nalgebra::{DMatrix, DVector};
use rftwin_core::Complex;

/// A Hermitian PSD variable of order `n` at `offset` in the real variable vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HermitianVariable {
    /// First real coordinate.
    pub offset: usize,
    /// Order of `W`.
    pub n: usize,
}

impl HermitianVariable {
    /// Real coordinates it occupies: `n(2n + 1)`.
    pub fn len(&self) -> usize {
        let o = 2 * self.n;
        o * (o + 1) / 2
    }

    /// `true` for order 0.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The row `ρ` (length `dim`) with `ρ·x = tr(AW)` for Hermitian `A`.
    pub fn trace_row(&self, a: &DMatrix<Complex>, dim: usize) -> DVector<f64> {
        let mut row = DVector::zeros(dim);
        row.rows_mut(self.offset, self.len()).copy_from(&(svec(&real_matrix(a)) * 0.5));
        row
    }

    /// The row with `ρ·x = W_ii` (real part of a diagonal entry).
    pub fn diagonal_row(&self, i: usize, dim: usize) -> DVector<f64> {
        let mut a = DMatrix::zeros(self.n, self.n);
        a[(i, i)] = Complex::new(1.0, 0.0);
        self.trace_row(&a, dim)
    }

    /// Adds `X ⪰ 0`.
    pub fn add_psd(&self, cp: &mut ConicProblem, name: impl Into<String>) -> Result<()> {
        let dim = cp.dimension();
        let mut a = DMatrix::zeros(self.len(), dim);
        for i in 0..self.len() {
            a[(i, self.offset + i)] = -1.0;
        }
        cp.add_block(name, a, DVector::zeros(self.len()), Cone::PsdTriangle(2 * self.n))
    }

    /// `W` at the solution `x`.
    pub fn value(&self, x: &DVector<f64>) -> DMatrix<Complex> {
        hermitian_from_embedding(&smat(&x.as_slice()[self.offset..self.offset + self.len()], 2 * self.n))
    }
}

/// Samples of the Gaussian randomisation: `Uλ^{1/2}ξ`, `ξ ~ CN(0, I)`, for `W = UλUᴴ`
/// (the columns of the returned factor `F` give `v = Fξ`).
pub fn covariance_factor(w: &DMatrix<Complex>) -> DMatrix<Complex> {
    let eig = w.clone().symmetric_eigen();
    let mut f = eig.eigenvectors.clone();
    for (j, mut col) in f.column_iter_mut().enumerate() {
        col *= Complex::new(eig.eigenvalues[j].max(0.0).sqrt(), 0.0);
    }
    f
}
