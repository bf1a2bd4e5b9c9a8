//! A conic program `min ½xᵀPx + qᵀx  s.t.  Ax + s = b, s ∈ K` assembled from named
//! blocks (the recipes of spec `mf_ris_isac.md` §7), conditioned, and solved by clarabel.
//!
//! Conditioning (spec §7, required): the variable is substituted `x = αx̃` with a scale α
//! the caller knows (√P_max for a beamformer, √β_max for RIS coefficients), every cone
//! block `(A_blk, b_blk)` is divided by its largest magnitude and `(P, q)` by theirs.
//! Positive scalings leave the cones and the minimiser unchanged; without them the
//! channel gains (≈ 1e-7) drown in the lifting constants of the rotated cones.

use super::embed::{imag_part_row, real_matrix, real_part_row};
use crate::error::{invalid, Result};
use rftwin_core::Complex;
use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, SolverStatus, SupportedConeT};
use nalgebra::{DMatrix, DVector};

/// The cone a block's slack `s = b − Ax` must lie in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cone {
    /// `s = 0` (equalities, fixed zeros).
    Zero,
    /// `s ≥ 0` elementwise.
    Nonnegative,
    /// `s₀ ≥ ‖s₁..‖` (Lorentz cone).
    SecondOrder,
    /// `s = svec(S)` with `S ⪰ 0` of the given order: the upper triangle column by column,
    /// off-diagonal entries times √2 (clarabel's convention, see [`svec_index`]).
    #[cfg(feature = "sdp")]
    PsdTriangle(usize),
}

/// Position of entry `(i, j)` (either order) of a symmetric matrix in its `svec`: the
/// upper triangle column by column, `(0,0), (0,1), (1,1), (0,2), …`.
pub fn svec_index(i: usize, j: usize) -> usize {
    let (i, j) = if i <= j { (i, j) } else { (j, i) };
    j * (j + 1) / 2 + i
}

/// `svec(S)` of a symmetric matrix (off-diagonals × √2, so `svec(A)·svec(B) = tr(AB)`).
pub fn svec(s: &DMatrix<f64>) -> DVector<f64> {
    let n = s.nrows();
    let mut out = DVector::zeros(n * (n + 1) / 2);
    for j in 0..n {
        for i in 0..=j {
            out[svec_index(i, j)] = if i == j { s[(i, i)] } else { std::f64::consts::SQRT_2 * 0.5 * (s[(i, j)] + s[(j, i)]) };
        }
    }
    out
}

/// The symmetric matrix of order `n` whose `svec` is `x`.
pub fn smat(x: &[f64], n: usize) -> DMatrix<f64> {
    DMatrix::from_fn(n, n, |i, j| if i == j { x[svec_index(i, i)] } else { x[svec_index(i, j)] / std::f64::consts::SQRT_2 })
}

/// One constraint block: `b − A x ∈ cone`, with a name for error messages.
#[derive(Debug, Clone)]
pub struct Block {
    /// What the block constrains (e.g. "QoS of user 2 in space t").
    pub name: String,
    /// `rows × n`.
    pub a: DMatrix<f64>,
    /// `rows`.
    pub b: DVector<f64>,
    /// Its cone.
    pub cone: Cone,
}

/// How clarabel ended, in three classes the callers act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConicStatus {
    /// Solved to clarabel's default tolerances.
    Solved,
    /// A certificate of primal (or dual) infeasibility: the constraints cannot be met.
    Infeasible(String),
    /// Stopped without a solution of full accuracy (reduced accuracy, iteration limit,
    /// numerical trouble); the iterate is returned but should not be trusted.
    Inaccurate(String),
}

/// A solved (or not) conic program, in the caller's unscaled variable.
#[derive(Debug, Clone)]
pub struct ConicSolution {
    /// How it ended.
    pub status: ConicStatus,
    /// The minimiser `x` (meaningful for `Solved`; clarabel's last iterate otherwise).
    pub x: DVector<f64>,
    /// `½xᵀPx + qᵀx` evaluated at `x` with the unscaled data.
    pub objective: f64,
    /// Interior-point iterations.
    pub iterations: u32,
}

impl ConicSolution {
    /// `true` when clarabel reported `Solved`.
    pub fn is_solved(&self) -> bool {
        self.status == ConicStatus::Solved
    }
}

/// Builder of a conic program over `x ∈ Rⁿ`.
#[derive(Debug, Clone)]
pub struct ConicProblem {
    n: usize,
    p: DMatrix<f64>,
    q: DVector<f64>,
    blocks: Vec<Block>,
    variable_scale: f64,
    condition: bool,
}

impl ConicProblem {
    /// A feasibility problem (zero objective) over `n` real variables.
    pub fn new(n: usize) -> Self {
        ConicProblem { n, p: DMatrix::zeros(n, n), q: DVector::zeros(n), blocks: Vec::new(), variable_scale: 1.0, condition: true }
    }

    /// Number of real variables.
    pub fn dimension(&self) -> usize {
        self.n
    }

    /// Adds `½xᵀPx + qᵀx` to the objective (`P` symmetric positive semidefinite).
    pub fn add_objective(&mut self, p: &DMatrix<f64>, q: &DVector<f64>) -> Result<()> {
        if p.shape() != (self.n, self.n) || q.len() != self.n {
            return Err(invalid("objective", format!("P is {:?} and q has {} entries for {} variables", p.shape(), q.len(), self.n)));
        }
        self.p += p;
        self.q += q;
        Ok(())
    }

    /// The typical magnitude α of the solution (`x = αx̃` inside clarabel).
    pub fn set_variable_scale(&mut self, alpha: f64) -> Result<()> {
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(invalid("variable_scale", format!("{alpha}: must be positive and finite")));
        }
        self.variable_scale = alpha;
        Ok(())
    }

    /// Turns the block and objective normalisation off (for the conditioning test only).
    pub fn without_conditioning(mut self) -> Self {
        self.condition = false;
        self.variable_scale = 1.0;
        self
    }

    /// A raw block `b − Ax ∈ cone`.
    pub fn add_block(&mut self, name: impl Into<String>, a: DMatrix<f64>, b: DVector<f64>, cone: Cone) -> Result<()> {
        let name = name.into();
        if a.ncols() != self.n || a.nrows() != b.len() || a.nrows() == 0 {
            return Err(invalid("block", format!("{name}: A is {:?} and b has {} rows for {} variables", a.shape(), b.len(), self.n)));
        }
        if cone == Cone::SecondOrder && a.nrows() < 2 {
            return Err(invalid("block", format!("{name}: a second-order cone needs at least 2 rows")));
        }
        #[cfg(feature = "sdp")]
        if let Cone::PsdTriangle(order) = cone {
            if a.nrows() != order * (order + 1) / 2 {
                return Err(invalid("block", format!("{name}: a PSD cone of order {order} needs {} rows, got {}", order * (order + 1) / 2, a.nrows())));
            }
        }
        self.blocks.push(Block { name, a, b, cone });
        Ok(())
    }

    /// `‖Rx + r‖ ≤ cᵀx + c₀` (the general second-order cone).
    pub fn add_soc(&mut self, name: impl Into<String>, c: &DVector<f64>, c0: f64, r_mat: &DMatrix<f64>, r: &DVector<f64>) -> Result<()> {
        let rows = 1 + r_mat.nrows();
        let mut a = DMatrix::zeros(rows, self.n);
        let mut b = DVector::zeros(rows);
        a.row_mut(0).copy_from(&(-c.transpose()));
        b[0] = c0;
        a.rows_mut(1, r_mat.nrows()).copy_from(&(-r_mat));
        b.rows_mut(1, r.len()).copy_from(r);
        self.add_block(name, a, b, Cone::SecondOrder)
    }

    /// Recipe R1: `‖Rx‖ ≤ ρ`.
    pub fn add_norm_bound(&mut self, name: impl Into<String>, r_mat: &DMatrix<f64>, rho: f64) -> Result<()> {
        let name = name.into();
        if rho.is_nan() || rho < 0.0 {
            return Err(invalid("norm bound", format!("{name}: bound {rho} is negative or NaN")));
        }
        self.add_soc(name, &DVector::zeros(self.n), rho, r_mat, &DVector::zeros(r_mat.nrows()))
    }

    /// Recipe R2: `‖Rx‖² ≤ ℓᵀx + ℓ₀`, lifted to the cone `‖(2Rx, t − 1)‖ ≤ t + 1` with
    /// `t = ℓᵀx + ℓ₀`. `eta > 0` is the typical magnitude of both sides: `R` is divided by
    /// √η and `ℓ, ℓ₀` by η before lifting, so that the lifting's ±1 do not swamp them.
    pub fn add_quadratic_bound(&mut self, name: impl Into<String>, r_mat: &DMatrix<f64>, l: &DVector<f64>, l0: f64, eta: f64) -> Result<()> {
        let name = name.into();
        if !(eta.is_finite() && eta > 0.0) {
            return Err(invalid("quadratic bound", format!("{name}: normalisation η = {eta} must be positive and finite")));
        }
        let (r_mat, l, l0) = (r_mat / eta.sqrt(), l / eta, l0 / eta);
        let rows = 2 + r_mat.nrows();
        let mut a = DMatrix::zeros(rows, self.n);
        let mut b = DVector::zeros(rows);
        a.row_mut(0).copy_from(&(-l.transpose()));
        b[0] = l0 + 1.0;
        a.rows_mut(1, r_mat.nrows()).copy_from(&(-2.0 * &r_mat));
        a.row_mut(rows - 1).copy_from(&(-l.transpose()));
        b[rows - 1] = l0 - 1.0;
        self.add_block(name, a, b, Cone::SecondOrder)
    }

    /// Recipe R3, the exact SINR cone of one receiver: its signal `own·x` (complex row),
    /// the signals `all·x` of every stream (its own included, one row each) and noise `ν`
    /// satisfy `|own·x|² ≥ γ(Σ_{q≠own}|·|² + ν)` with the phase fixed so that `own·x` is
    /// real: `√(1 + 1/γ) Re{own·x} ≥ ‖(all·x, √ν)‖`, `Im{own·x} = 0`. Every SINR is
    /// invariant to a stream's phase, so fixing it loses nothing.
    pub fn add_sinr_cone(&mut self, name: &str, own: &[Complex], all: &DMatrix<Complex>, noise: f64, sinr: f64) -> Result<()> {
        if !(sinr.is_finite() && sinr > 0.0) {
            return Err(invalid("sinr cone", format!("{name}: target SINR {sinr} must be positive and finite")));
        }
        let r_c = real_matrix(all);
        let mut r_mat = DMatrix::zeros(r_c.nrows() + 1, self.n);
        r_mat.rows_mut(0, r_c.nrows()).copy_from(&r_c);
        let mut r = DVector::zeros(r_c.nrows() + 1);
        r[r_c.nrows()] = noise.sqrt();
        self.add_soc(format!("QoS of {name} (exact, R3)"), &(real_part_row(own) * (1.0 + 1.0 / sinr).sqrt()), 0.0, &r_mat, &r)?;
        self.add_equality(format!("phase of {name}"), &imag_part_row(own), 0.0)
    }

    /// Recipe R4: the coordinates `indices` are zero.
    pub fn add_fixed_zeros(&mut self, name: impl Into<String>, indices: &[usize]) -> Result<()> {
        let mut a = DMatrix::zeros(indices.len(), self.n);
        for (row, &i) in indices.iter().enumerate() {
            a[(row, i)] = 1.0;
        }
        self.add_block(name, a, DVector::zeros(indices.len()), Cone::Zero)
    }

    /// A linear inequality `ρᵀx ≤ β`.
    pub fn add_inequality(&mut self, name: impl Into<String>, row: &DVector<f64>, bound: f64) -> Result<()> {
        self.add_block(name, DMatrix::from_row_slice(1, self.n, row.as_slice()), DVector::from_element(1, bound), Cone::Nonnegative)
    }

    /// A linear equality `ρᵀx = β`.
    pub fn add_equality(&mut self, name: impl Into<String>, row: &DVector<f64>, value: f64) -> Result<()> {
        self.add_block(name, DMatrix::from_row_slice(1, self.n, row.as_slice()), DVector::from_element(1, value), Cone::Zero)
    }

    /// The whole variable is `svec(X)` of a symmetric `X ⪰ 0` of order `order`.
    #[cfg(feature = "sdp")]
    pub fn add_psd_variable(&mut self, name: impl Into<String>, order: usize) -> Result<()> {
        let dim = order * (order + 1) / 2;
        if dim != self.n {
            return Err(invalid("psd variable", format!("order {order} needs {dim} variables, the problem has {}", self.n)));
        }
        self.add_block(name, -DMatrix::identity(dim, dim), DVector::zeros(dim), Cone::PsdTriangle(order))
    }

    /// Checks every entry is finite, naming the first block that is not.
    fn check_finite(&self) -> Result<()> {
        if !self.p.iter().chain(self.q.iter()).all(|v| v.is_finite()) {
            return Err(invalid("objective", "P or q has a non-finite entry (NaN or infinite channel?)".to_string()));
        }
        for blk in &self.blocks {
            if !blk.a.iter().chain(blk.b.iter()).all(|v| v.is_finite()) {
                return Err(invalid("constraint", format!("block '{}' has a non-finite entry (NaN or infinite channel?)", blk.name)));
            }
        }
        Ok(())
    }

    /// Solves with clarabel. Errors only on malformed data; infeasibility and inaccuracy
    /// are statuses of the returned solution.
    pub fn solve(&self) -> Result<ConicSolution> {
        self.check_finite()?;
        let alpha = self.variable_scale;
        let max_abs = |it: &mut dyn Iterator<Item = f64>| it.fold(0.0f64, |m, v| m.max(v.abs()));

        // x = αx̃: P → α²P, q → αq, A → αA.
        let mut p = &self.p * (alpha * alpha);
        let mut q = &self.q * alpha;
        if self.condition {
            let s = max_abs(&mut p.iter().chain(q.iter()).copied());
            if s > 0.0 {
                p /= s;
                q /= s;
            }
        }
        let mut rows_i = Vec::new();
        let mut cols_j = Vec::new();
        let mut vals = Vec::new();
        let mut b_all = Vec::new();
        let mut cones = Vec::new();
        let mut row0 = 0;
        for blk in &self.blocks {
            let mut scale = 1.0;
            if self.condition {
                let s = max_abs(&mut blk.a.iter().map(|v| v * alpha).chain(blk.b.iter().copied()));
                if s > 0.0 {
                    scale = 1.0 / s;
                }
            }
            for j in 0..self.n {
                for i in 0..blk.a.nrows() {
                    let v = blk.a[(i, j)];
                    if v != 0.0 {
                        rows_i.push(row0 + i);
                        cols_j.push(j);
                        vals.push(v * alpha * scale);
                    }
                }
            }
            b_all.extend(blk.b.iter().map(|v| v * scale));
            let m = blk.a.nrows();
            cones.push(match blk.cone {
                Cone::Zero => SupportedConeT::ZeroConeT(m),
                Cone::Nonnegative => SupportedConeT::NonnegativeConeT(m),
                Cone::SecondOrder => SupportedConeT::SecondOrderConeT(m),
                #[cfg(feature = "sdp")]
                Cone::PsdTriangle(order) => SupportedConeT::PSDTriangleConeT(order),
            });
            row0 += m;
        }
        let a_csc = CscMatrix::new_from_triplets(row0, self.n, rows_i, cols_j, vals);
        let (mut pi, mut pj, mut pv) = (Vec::new(), Vec::new(), Vec::new());
        for j in 0..self.n {
            for i in 0..=j {
                let v = 0.5 * (p[(i, j)] + p[(j, i)]);
                if v != 0.0 {
                    pi.push(i);
                    pj.push(j);
                    pv.push(v);
                }
            }
        }
        let p_csc = CscMatrix::new_from_triplets(self.n, self.n, pi, pj, pv);
        let settings = DefaultSettings { verbose: false, ..DefaultSettings::default() };
        let mut solver = DefaultSolver::new(&p_csc, q.as_slice(), &a_csc, &b_all, &cones, settings)
            .map_err(|e| invalid("conic problem", format!("clarabel refused the data: {e:?}")))?;
        solver.solve();
        let sol = &solver.solution;
        let x = DVector::from_iterator(self.n, sol.x.iter().map(|v| v * alpha));
        let status = match sol.status {
            SolverStatus::Solved => ConicStatus::Solved,
            SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => ConicStatus::Infeasible(format!("{:?}", sol.status)),
            SolverStatus::DualInfeasible | SolverStatus::AlmostDualInfeasible => ConicStatus::Infeasible(format!("{:?} (unbounded objective)", sol.status)),
            other => ConicStatus::Inaccurate(format!("{other:?}")),
        };
        let status = if status == ConicStatus::Solved && !x.iter().all(|v| v.is_finite()) {
            ConicStatus::Inaccurate("Solved with a non-finite iterate".to_string())
        } else {
            status
        };
        let objective = 0.5 * x.dot(&(&self.p * &x)) + self.q.dot(&x);
        Ok(ConicSolution { status, x, objective, iterations: sol.iterations })
    }
}
