//! Physics-informed implicit neural representation (INR) imaging for RIS-aided ISAC
//! (paper 000, Sec. III; spec `ris_inr_imaging.md` §4): a coordinate network renders the
//! reflectivity image, the affine sensing operator of `rftwin_isac::ris_imaging` maps it to
//! measurements, and Adam fits the network to the measured channel.
//!
//! This module and `autodiff` are the only ones that name dfdx types: the network's
//! parameters and its backward pass are dfdx's; the physics gradient `∂L/∂σ̂ = Mᵀ ∂L/∂ŷ`
//! comes from the operator and is injected at the network's output.

pub mod gpu;
pub mod interference;
pub mod kernels;
pub mod network;
pub mod train;
mod trig;

pub use network::{Activation, Network, NetworkOptions};
pub use train::{train, train_from, train_with_term, Decision, EpochRecord, Schedule, TrainOptions, Training};

/// Normalised 2-D coordinates of an `rows × cols` pixel grid: `(row/(rows−1),
/// col/(cols−1))` per pixel, row-major (a single row or column maps to 0).
pub fn grid_points(rows: usize, cols: usize) -> Vec<f64> {
    let norm = |i: usize, n: usize| if n > 1 { i as f64 / (n - 1) as f64 } else { 0.0 };
    (0..rows).flat_map(|r| (0..cols).flat_map(move |c| [norm(r, rows), norm(c, cols)])).collect()
}

/// Normalised coordinates of an `[N_x, N_z, N_y]` voxel grid in voxel order (spec §4.1):
/// `(ix/(N_x−1), row/(N_z−1), col/(N_y−1))` per voxel; a single range slice gives the
/// 2-D points of [`grid_points`]. Rendering at another resolution over the same box is the
/// same call with more points per axis.
pub fn voxel_points(dims: [usize; 3]) -> Vec<f64> {
    let [nx, nz, ny] = dims;
    if nx == 1 {
        return grid_points(nz, ny);
    }
    let norm = |i: usize, n: usize| if n > 1 { i as f64 / (n - 1) as f64 } else { 0.0 };
    (0..nx).flat_map(|ix| (0..nz).flat_map(move |r| (0..ny).flat_map(move |c| [norm(ix, nx), norm(r, nz), norm(c, ny)]))).collect()
}
