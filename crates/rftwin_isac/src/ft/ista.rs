//! Algorithm 2: ISTA on the explicit sensing matrix `A = [A_{l,i}]`,
//! `A_{l,i} = C W diag(b_{l,i}) H_i diag(u_i)` (eqs. 29–36). Its memory,
//! `16 · T · I · N_a · N_v` bytes, is computed and checked against a budget before
//! anything is allocated.

use super::measurement::{steering, Measurements};
use super::sparse::{norm_sqr, relative_change, threshold, SparseImage, SparseOptions};
use super::FtSetup;
use crate::channel::spherical_wave;
use crate::codebook::Codebook;
use crate::error::{invalid, IsacError, Result};
use glam::DVec3;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64;
use rayon::prelude::*;
use rftwin_core::Complex;

/// Bytes of the explicit sensing matrix (complex f64).
pub fn sensing_matrix_bytes(pilots: usize, subcarriers: usize, antennas: usize, voxels: usize) -> u128 {
    16 * pilots as u128 * subcarriers as u128 * antennas as u128 * voxels as u128
}

/// The stacked sensing matrix, column-major (one column of `T·I·N_a` rows per voxel).
#[derive(Debug, Clone)]
pub struct SensingMatrix {
    rows: usize,
    columns: Vec<Vec<Complex>>,
}

impl SensingMatrix {
    /// Builds `A` for `voxels`, or an error naming the bytes when they exceed
    /// `budget_bytes`.
    pub fn new(setup: &FtSetup, codebook: &Codebook, voxels: &[DVec3], budget_bytes: u128) -> Result<Self> {
        setup.validate()?;
        if codebook.elements != setup.ris.elements {
            return Err(invalid("codebook", format!("drives a {:?} RIS, the setup's is {:?}", codebook.elements, setup.ris.elements)));
        }
        let ks = setup.band.wavenumbers();
        let needed = sensing_matrix_bytes(codebook.pilots, ks.len(), setup.ap.len(), voxels.len());
        if needed > budget_bytes {
            return Err(IsacError::MemoryBudget { what: format!("sensing matrix ({} × {})", codebook.pilots * ks.len() * setup.ap.len(), voxels.len()), needed, budget: budget_bytes });
        }
        let elements = setup.ris.positions();
        let b: Vec<Vec<Vec<Complex>>> = setup.ap.iter().map(|&ap| ks.iter().map(|&k| steering(&setup.ris, ap, k)).collect()).collect();
        let columns = voxels
            .par_iter()
            .map(|&p| {
                let mut column = Vec::with_capacity(codebook.pilots * ks.len() * setup.ap.len());
                for b_l in &b {
                    for (&k, b_li) in ks.iter().zip(b_l) {
                        let u = spherical_wave(setup.ue, p, k);
                        let x: Vec<Complex> = elements.iter().zip(b_li).map(|(&r, &bm)| bm * spherical_wave(p, r, k) * u * setup.gain).collect();
                        column.extend(codebook.apply(&x));
                    }
                }
                column
            })
            .collect();
        Ok(SensingMatrix { rows: codebook.pilots * ks.len() * setup.ap.len(), columns })
    }

    /// Bytes held.
    pub fn bytes(&self) -> u128 {
        16 * self.rows as u128 * self.columns.len() as u128
    }

    /// `A σ`.
    pub fn apply(&self, sigma: &[Complex]) -> Vec<Complex> {
        let zero = || vec![Complex::new(0.0, 0.0); self.rows];
        self.columns
            .par_iter()
            .zip(sigma)
            .fold(zero, |mut acc, (col, &s)| {
                if s != Complex::new(0.0, 0.0) {
                    acc.iter_mut().zip(col).for_each(|(a, c)| *a += c * s);
                }
                acc
            })
            .reduce(zero, |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            })
    }

    /// `Aᴴ r`.
    pub fn adjoint(&self, r: &[Complex]) -> Vec<Complex> {
        self.columns.par_iter().map(|col| col.iter().zip(r).map(|(c, v)| c.conj() * v).sum()).collect()
    }

    /// `‖A‖₂²` by power iteration on `AᴴA` (seeded start).
    pub fn norm_sqr(&self, iterations: usize) -> f64 {
        let mut rng = Pcg64::seed_from_u64(1);
        let mut x: Vec<Complex> = (0..self.columns.len()).map(|_| Complex::new(StandardNormal.sample(&mut rng), StandardNormal.sample(&mut rng))).collect();
        let mut lambda = 0.0;
        for _ in 0..iterations {
            let n = norm_sqr(&x).sqrt();
            x.iter_mut().for_each(|v| *v /= n);
            let y = self.adjoint(&self.apply(&x));
            lambda = norm_sqr(&y).sqrt();
            x = y;
        }
        lambda
    }
}

/// The measurements stacked as `A`'s rows: antenna, then subcarrier, then pilot.
pub fn stack(meas: &Measurements) -> Vec<Complex> {
    meas.h.iter().flatten().flatten().copied().collect()
}

/// Algorithm 2 with step `μ = step_fraction / ‖A‖₂²` (`0 < step_fraction < 1`).
pub fn ista(a: &SensingMatrix, h: &[Complex], options: &SparseOptions, step_fraction: f64) -> Result<SparseImage> {
    options.validate(a.columns.len())?;
    if h.len() != a.rows {
        return Err(invalid("measurements", format!("{} values for a sensing matrix of {} rows", h.len(), a.rows)));
    }
    if !(step_fraction > 0.0 && step_fraction < 1.0) {
        return Err(invalid("step_fraction", format!("{step_fraction}: need 0 < μ̄ < 1")));
    }
    let mu = step_fraction / a.norm_sqr(30);
    let mut sigma = vec![Complex::new(0.0, 0.0); a.columns.len()];
    let mut iterations = 0;
    for _ in 0..options.iterations {
        iterations += 1;
        let residual: Vec<Complex> = h.iter().zip(a.apply(&sigma)).map(|(y, m)| y - m).collect();
        let r: Vec<Complex> = sigma.iter().zip(a.adjoint(&residual)).map(|(s, g)| s + g * mu).collect();
        let next = threshold(&r, options.sparsity, options.threshold);
        let change = relative_change(&next, &sigma);
        sigma = next;
        if change < options.tolerance {
            break;
        }
    }
    Ok(SparseImage { image: sigma, iterations, largest_allocation_bytes: a.bytes() })
}
