//! Centred 2-D DFTs on row-major grids (rustfft), as numpy's
//! `fftshift(fft2(ifftshift(a)))` and `fftshift(ifft2(ifftshift(a)))`.

use rftwin_core::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Forward and inverse plans for an `n_y × n_z` grid (both even: then `fftshift` and
/// `ifftshift` are the same half-roll).
#[derive(Clone)]
pub struct CentredFft2 {
    n: [usize; 2],
    along_y: [Arc<dyn Fft<f64>>; 2],
    along_z: [Arc<dyn Fft<f64>>; 2],
}

impl std::fmt::Debug for CentredFft2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CentredFft2").field("n", &self.n).finish()
    }
}

impl CentredFft2 {
    /// Plans for `n = [n_y, n_z]`; the caller guarantees both are even and non-zero.
    pub fn new(n: [usize; 2]) -> Self {
        debug_assert!(n.iter().all(|&v| v > 0 && v % 2 == 0), "centred FFT sizes must be even: {n:?}");
        let mut planner = FftPlanner::new();
        let along_y = [planner.plan_fft_forward(n[0]), planner.plan_fft_inverse(n[0])];
        let along_z = [planner.plan_fft_forward(n[1]), planner.plan_fft_inverse(n[1])];
        CentredFft2 { n, along_y, along_z }
    }

    /// Grid size `[n_y, n_z]`.
    pub fn size(&self) -> [usize; 2] {
        self.n
    }

    /// In place: the centred forward DFT, or with `inverse` the centred inverse DFT
    /// including its `1/(n_y n_z)`.
    pub fn apply(&self, a: &mut [Complex], inverse: bool) {
        let [ny, nz] = self.n;
        debug_assert_eq!(a.len(), ny * nz);
        let dir = usize::from(inverse);
        roll_half(a, self.n);
        self.along_z[dir].process(a);
        let mut t = transpose(a, ny, nz);
        self.along_y[dir].process(&mut t);
        let back = transpose(&t, nz, ny);
        a.copy_from_slice(&back);
        roll_half(a, self.n);
        if inverse {
            let s = 1.0 / (ny * nz) as f64;
            a.iter_mut().for_each(|v| *v *= s);
        }
    }
}

/// `a` (rows × cols, row-major) transposed.
fn transpose(a: &[Complex], rows: usize, cols: usize) -> Vec<Complex> {
    let mut t = vec![Complex::new(0.0, 0.0); a.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = a[r * cols + c];
        }
    }
    t
}

/// Rolls both axes by half their (even) length: `fftshift` = `ifftshift`.
fn roll_half(a: &mut [Complex], [ny, nz]: [usize; 2]) {
    for row in a.chunks_mut(nz) {
        row.rotate_left(nz / 2);
    }
    a.rotate_left((ny / 2) * nz);
}

/// Forward (unnormalised) 1-D DFT of `x`, or the inverse with its `1/n`.
pub fn dft(x: &[Complex], inverse: bool) -> Vec<Complex> {
    let mut planner = FftPlanner::new();
    let plan = if inverse { planner.plan_fft_inverse(x.len()) } else { planner.plan_fft_forward(x.len()) };
    let mut y = x.to_vec();
    plan.process(&mut y);
    if inverse {
        let s = 1.0 / x.len() as f64;
        y.iter_mut().for_each(|v| *v *= s);
    }
    y
}
