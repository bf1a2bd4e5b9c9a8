//! Maximising a Hermitian quadratic form over unit-modulus vectors (RIS phases):
//! `max_z zᴴRz s.t. |z_i| = 1`, by semidefinite relaxation `max tr(RW) s.t. W_ii = 1,
//! W ⪰ 0` and Gaussian randomisation (spec `ris_inr_imaging.md` §§8.2–8.3).
//!
//! The relaxation is solved by clarabel's PSD cone on the real embedding for `n ≤`
//! [`CLARABEL_MAX_ORDER`] (its dense PSD block grows as `n⁴`: order 37 took 88 s on 2 cores), else by the low-rank mixing
//! method (Burer–Monteiro), which the tests check against clarabel.

use crate::conic::embed::{hermitian_from_embedding, real_matrix};
use crate::conic::{smat, svec, svec_index, ConicProblem, ConicStatus};
use crate::error::{invalid, Result};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64;
use rftwin_core::Complex;

/// Largest order `n` solved by clarabel (the embedding has order 2n).
pub const CLARABEL_MAX_ORDER: usize = 20;

/// How the relaxation is solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelaxationSolver {
    /// clarabel for `n ≤ CLARABEL_MAX_ORDER`, else the mixing method.
    Auto,
    /// clarabel's PSD cone (an error above `CLARABEL_MAX_ORDER`).
    Clarabel,
    /// The mixing method.
    Mixing,
}

/// The relaxed optimum.
#[derive(Debug, Clone)]
pub struct Relaxation {
    /// A factor `V` (`r × n`) with `W = VᴴV` (`r` = rank bound of the solution).
    pub factor: DMatrix<Complex>,
    /// `tr(RW)`: an upper bound on `zᴴRz` over unit-modulus `z`.
    pub value: f64,
    /// Numerical rank of `W` (eigenvalues above 1e-6 of the largest).
    pub rank: usize,
    /// Which solver produced it.
    pub solver: RelaxationSolver,
}

fn check(r: &DMatrix<Complex>) -> Result<f64> {
    let n = r.nrows();
    if n == 0 || r.ncols() != n {
        return Err(invalid("quadratic form", format!("R is {:?}: must be square and non-empty", r.shape())));
    }
    if !r.iter().all(|v| v.re.is_finite() && v.im.is_finite()) {
        return Err(invalid("quadratic form", "R has a non-finite entry"));
    }
    let largest = r.iter().fold(0.0f64, |m, v| m.max(v.norm()));
    if (r - r.adjoint()).iter().any(|d| d.norm() > 1e-9 * largest) {
        return Err(invalid("quadratic form", "R is not Hermitian"));
    }
    Ok(largest)
}

fn factor_of(w: &DMatrix<Complex>) -> (DMatrix<Complex>, usize) {
    let eig = w.clone().symmetric_eigen();
    let top = eig.eigenvalues.iter().fold(0.0f64, |m, v| m.max(*v));
    let keep: Vec<usize> = (0..w.nrows()).filter(|&i| eig.eigenvalues[i] > 1e-6 * top).collect();
    let v = DMatrix::from_fn(keep.len(), w.nrows(), |r, c| eig.eigenvectors[(c, keep[r])].conj() * eig.eigenvalues[keep[r]].sqrt());
    (v, keep.len())
}

/// clarabel on `max ½tr(R̃X) s.t. X_aa = 1, X ⪰ 0` (X real of order 2n).
fn solve_clarabel(r: &DMatrix<Complex>, scale: f64) -> Result<Relaxation> {
    let n = r.nrows();
    if n > CLARABEL_MAX_ORDER {
        return Err(invalid("relaxation", format!("order {n} > {CLARABEL_MAX_ORDER}: the dense PSD block would need {} bytes; use the mixing method", (n * (2 * n + 1)).pow(2) * 8)));
    }
    let rt = real_matrix(&(r / Complex::new(scale, 0.0)));
    let order = 2 * n;
    let dim = order * (order + 1) / 2;
    let mut cp = ConicProblem::new(dim);
    cp.add_objective(&DMatrix::zeros(dim, dim), &(svec(&rt) * -0.5))?;
    for a in 0..order {
        let mut row = DVector::zeros(dim);
        row[svec_index(a, a)] = 1.0;
        cp.add_equality(format!("X[{a},{a}] = 1"), &row, 1.0)?;
    }
    cp.add_psd_variable("X ⪰ 0", order)?;
    let sol = cp.solve()?;
    if sol.status != ConicStatus::Solved {
        return Err(invalid("relaxation", format!("clarabel did not solve the SDP: {:?}", sol.status)));
    }
    let w = hermitian_from_embedding(&smat(sol.x.as_slice(), order));
    let (factor, rank) = factor_of(&w);
    let value = (r * &w).trace().re;
    Ok(Relaxation { factor, value, rank, solver: RelaxationSolver::Clarabel })
}

/// The mixing method: `W = VᴴV`, unit columns `v_i`, coordinate ascent
/// `v_i ← Σ_{j≠i} R_ji v_j / ‖·‖` until the relative gain of a sweep is below 1e-12.
fn solve_mixing(r: &DMatrix<Complex>, seed: u64) -> Relaxation {
    let n = r.nrows();
    let rank = ((2.0 * n as f64).sqrt().ceil() as usize + 1).min(n);
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut v = DMatrix::from_fn(rank, n, |_, _| Complex::new(StandardNormal.sample(&mut rng), StandardNormal.sample(&mut rng)));
    for mut col in v.column_iter_mut() {
        let norm = col.norm();
        col /= Complex::new(norm, 0.0);
    }
    let value_of = |v: &DMatrix<Complex>| (r * (v.adjoint() * v)).trace().re;
    let mut value = value_of(&v);
    for _ in 0..10_000 {
        for i in 0..n {
            let mut g = DVector::zeros(rank);
            for j in 0..n {
                if j != i {
                    g += v.column(j) * r[(j, i)];
                }
            }
            let norm = g.norm();
            if norm > 0.0 {
                v.set_column(i, &(g / Complex::new(norm, 0.0)));
            }
        }
        let next = value_of(&v);
        let gain = (next - value) / value.abs().max(f64::MIN_POSITIVE);
        value = next;
        if gain < 1e-12 {
            break;
        }
    }
    let (factor, rank) = factor_of(&(v.adjoint() * &v));
    Relaxation { factor, value, rank, solver: RelaxationSolver::Mixing }
}

/// Solves the relaxation of `max zᴴRz s.t. |z_i| = 1` (R Hermitian; scaled by its largest
/// entry before clarabel, which otherwise stops early at channel-gain magnitudes).
pub fn relax(r: &DMatrix<Complex>, solver: RelaxationSolver, seed: u64) -> Result<Relaxation> {
    let scale = check(r)?;
    if scale == 0.0 {
        return Ok(Relaxation { factor: DMatrix::from_element(1, r.nrows(), Complex::new(1.0, 0.0)), value: 0.0, rank: 1, solver });
    }
    match solver {
        RelaxationSolver::Clarabel => solve_clarabel(r, scale),
        RelaxationSolver::Mixing => Ok(solve_mixing(r, seed)),
        RelaxationSolver::Auto if r.nrows() <= CLARABEL_MAX_ORDER => solve_clarabel(r, scale),
        RelaxationSolver::Auto => Ok(solve_mixing(r, seed)),
    }
}

/// Gaussian randomisation: `z = e^{j arg(Vᴴξ)}`, `ξ ~ CN(0, I)` (covariance `W`), the best
/// of `draws` by `zᴴRz`. Returns it and its value.
pub fn randomize(r: &DMatrix<Complex>, relaxation: &Relaxation, draws: usize, seed: u64) -> (DVector<Complex>, f64) {
    let mut rng = Pcg64::seed_from_u64(seed);
    let k = relaxation.factor.nrows();
    let mut best = (DVector::from_element(r.nrows(), Complex::new(1.0, 0.0)), f64::NEG_INFINITY);
    for _ in 0..draws.max(1) {
        let xi = DVector::from_fn(k, |_, _| Complex::new(StandardNormal.sample(&mut rng), StandardNormal.sample(&mut rng)));
        let v = relaxation.factor.adjoint() * xi;
        let z = v.map(|c| if c.norm() > 0.0 { c / c.norm() } else { Complex::from_polar(1.0, rng.gen::<f64>() * std::f64::consts::TAU) });
        let value = z.dotc(&(r * &z)).re;
        if value > best.1 {
            best = (z, value);
        }
    }
    best
}
