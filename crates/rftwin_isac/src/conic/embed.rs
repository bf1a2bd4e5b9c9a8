//! Complex-to-real embedding: a complex vector `z ∈ Cⁿ` is the real vector
//! `x = [Re z; Im z] ∈ R²ⁿ` (spec `mf_ris_isac.md` §7), so that complex linear maps and
//! norms become the real matrices clarabel takes.

use nalgebra::{DMatrix, DVector};
use rftwin_core::Complex;

/// `[Re z; Im z]`.
pub fn to_real(z: &[Complex]) -> DVector<f64> {
    let n = z.len();
    DVector::from_fn(2 * n, |i, _| if i < n { z[i].re } else { z[i - n].im })
}

/// The inverse of [`to_real`]: `z = x[..n] + j x[n..]`; `x` must have even length.
pub fn from_real(x: &[f64]) -> Vec<Complex> {
    let n = x.len() / 2;
    (0..n).map(|i| Complex::new(x[i], x[n + i])).collect()
}

/// `R(A) = [[Re A, −Im A], [Im A, Re A]]`: `[Re Az; Im Az] = R(A) x` and
/// `‖Az‖² = ‖R(A)x‖²`.
pub fn real_matrix(a: &DMatrix<Complex>) -> DMatrix<f64> {
    let (r, c) = a.shape();
    DMatrix::from_fn(2 * r, 2 * c, |i, j| {
        let v = a[(i % r, j % c)];
        match (i < r, j < c) {
            (true, true) | (false, false) => v.re,
            (true, false) => -v.im,
            (false, true) => v.im,
        }
    })
}

/// The real row `ρ` with `Re{a·z} = ρ·x` for a complex row `a`: `[Re a, −Im a]`.
pub fn real_part_row(a: &[Complex]) -> DVector<f64> {
    let n = a.len();
    DVector::from_fn(2 * n, |i, _| if i < n { a[i].re } else { -a[i - n].im })
}

/// The real row `ρ` with `Im{a·z} = ρ·x`: `[Im a, Re a]`.
pub fn imag_part_row(a: &[Complex]) -> DVector<f64> {
    let n = a.len();
    DVector::from_fn(2 * n, |i, _| if i < n { a[i].im } else { a[i - n].re })
}

/// The Hermitian `W = ½(X₁₁ + X₂₂) + j½(X₂₁ − X₁₂)` of a real symmetric `X` of order
/// `2n` that relaxes the embedding `[[Re W, −Im W], [Im W, Re W]]` (spec
/// `ris_inr_imaging.md` §8.2: averaging `X` with `JXJᵀ` keeps feasibility and the
/// objective, so the block structure need not be imposed).
pub fn hermitian_from_embedding(x: &DMatrix<f64>) -> DMatrix<Complex> {
    let n = x.nrows() / 2;
    DMatrix::from_fn(n, n, |i, j| Complex::new(0.5 * (x[(i, j)] + x[(n + i, n + j)]), 0.5 * (x[(n + i, j)] - x[(i, n + j)])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (DMatrix<Complex>, Vec<Complex>) {
        let a = DMatrix::from_fn(3, 2, |i, j| Complex::new(i as f64 - 0.5 * j as f64, 0.3 * (i + 2 * j) as f64 - 0.7));
        let z = vec![Complex::new(0.4, -1.1), Complex::new(-2.0, 0.25)];
        (a, z)
    }

    #[test]
    fn real_matrix_reproduces_the_complex_product_and_its_norm() {
        let (a, z) = sample();
        let az = &a * DVector::from_vec(z.clone());
        let rx = real_matrix(&a) * to_real(&z);
        for i in 0..3 {
            assert!((rx[i] - az[i].re).abs() < 1e-14 && (rx[3 + i] - az[i].im).abs() < 1e-14);
        }
        assert!((rx.norm_squared() - az.norm_squared()).abs() < 1e-12);
        assert_eq!(from_real(to_real(&z).as_slice()), z);
    }

    #[test]
    fn a_hermitian_matrix_survives_its_real_embedding() {
        let (a, _) = sample();
        let w = &a * a.adjoint();
        let back = hermitian_from_embedding(&real_matrix(&w));
        assert!((back - w).norm() < 1e-14);
    }

    #[test]
    fn real_and_imaginary_rows_match_the_complex_inner_product() {
        let (a, z) = sample();
        let row: Vec<Complex> = a.row(2).iter().copied().collect();
        let dot: Complex = row.iter().zip(&z).map(|(a, z)| a * z).sum();
        let x = to_real(&z);
        assert!((real_part_row(&row).dot(&x) - dot.re).abs() < 1e-14);
        assert!((imag_part_row(&row).dot(&x) - dot.im).abs() < 1e-14);
    }
}
