//! The learnable interference matrix `Â` of paper 000's P3 (eq. 27; spec §6): the
//! measurements gain `Âσ̂` in every configuration's block, and `Â` is trained with the
//! network. `Â` is stored as flat f32 parameters `[Re Â; Im Â]`, each `pairs × voxels`
//! row-major, in measurement units (the data scale `s` included).
//!
//! A block of `y` is `[Re of the pairs; Im of the pairs]` (`2·pairs` values), the blocks
//! following each other over configurations and subcarriers.

use rftwin_core::Complex;

/// `Âσ` as one block `[Re; Im]` (`2·pairs` values).
pub fn block(a: &[f32], pairs: usize, sigma: &[f32]) -> Vec<f32> {
    let voxels = sigma.len();
    (0..2 * pairs).map(|row| a[row * voxels..(row + 1) * voxels].iter().zip(sigma).map(|(x, s)| x * s).sum()).collect()
}

/// `y[b] += block` for every block `b` of `y`.
pub fn add_to_blocks(y: &mut [f32], block: &[f32]) {
    for chunk in y.chunks_exact_mut(block.len()) {
        chunk.iter_mut().zip(block).for_each(|(v, b)| *v += b);
    }
}

/// The blocks of `g = ∂L/∂ŷ` summed: the interference sees the same `Âσ` in each.
pub fn fold_blocks(g: &[f32], pairs: usize) -> Vec<f32> {
    let mut sum = vec![0.0f32; 2 * pairs];
    for chunk in g.chunks_exact(2 * pairs) {
        sum.iter_mut().zip(chunk).for_each(|(s, v)| *s += v);
    }
    sum
}

/// `∂L/∂σ_m += Σ_j (G_re,j Re Â_jm + G_im,j Im Â_jm)` for the folded gradient `folded`.
pub fn add_sigma_gradient(a: &[f32], folded: &[f32], grad_sigma: &mut [f32]) {
    let voxels = grad_sigma.len();
    for (row, &g) in folded.iter().enumerate() {
        grad_sigma.iter_mut().zip(&a[row * voxels..(row + 1) * voxels]).for_each(|(d, x)| *d += g * x);
    }
}

/// `∂L/∂Â`: `G_j σ_m` for the real and the imaginary rows.
pub fn parameter_gradient(folded: &[f32], sigma: &[f32]) -> Vec<f32> {
    folded.iter().flat_map(|&g| sigma.iter().map(move |&s| g * s)).collect()
}

/// `Âσ` as complex values, one per antenna pair (for the IRA of eq. 35).
pub fn response(a: &[f32], pairs: usize, sigma: &[f64]) -> Vec<Complex> {
    let sigma32: Vec<f32> = sigma.iter().map(|&v| v as f32).collect();
    let b = block(a, pairs, &sigma32);
    (0..pairs).map(|j| Complex::new(b[j] as f64, b[pairs + j] as f64)).collect()
}
