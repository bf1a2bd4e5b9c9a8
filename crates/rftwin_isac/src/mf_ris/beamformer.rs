//! Transmit beamforming (spec §6.2, Algorithm 1): fractional programming with the
//! multidimensional quadratic transform, each step a second-order cone program in
//! `x = [Re vec W̄; Im vec W̄]` (columns stacked: entry `(n, q)` at `q·N + n`).

use super::model::{Design, Problem};
use crate::conic::embed::{from_real, real_matrix, real_part_row};
use crate::conic::{largest_feasible, ConicProblem, ConicStatus};
use crate::error::Result;
use nalgebra::{DMatrix, DVector};
use rftwin_core::Complex;

/// How the users' QoS constraints enter the beamformer step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QosForm {
    /// The exact cone of recipe R3 (each user's column phase fixed so that its signal is
    /// real): no approximation.
    Exact,
    /// The paper's (37): the signal power linearised at the previous iterate (recipe R2).
    Sca,
}

/// The outcome of one block step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    /// clarabel's verdict on the last cone program.
    pub status: ConicStatus,
    /// Objective (Σ weight·γ_s with the design's filters) before and after.
    pub before: f64,
    /// After (equal to `before` when the step was rejected).
    pub after: f64,
}

/// W̄ from `vec W̄` (nalgebra is column-major: entry `(n, q)` at `q·N + n`).
pub(crate) fn unvec_w(z: &[Complex], n: usize) -> DMatrix<Complex> {
    DMatrix::from_column_slice(n, z.len() / n, z)
}

/// `len(cols) × NQ`: row i puts `c` on column block `cols[i]` (so row·vec W̄ = cᵀw_{cols[i]}).
fn column_rows(c: &DVector<Complex>, cols: &[usize], q: usize) -> DMatrix<Complex> {
    let n = c.len();
    let mut out = DMatrix::zeros(cols.len(), n * q);
    for (i, &col) in cols.iter().enumerate() {
        for j in 0..n {
            out[(i, col * n + j)] = c[j];
        }
    }
    out
}

/// Rotates each user's column so that its own signal `g̃ᵀw_k` is real and non-negative
/// (every SINR is invariant to a column phase; the exact QoS cone needs it).
pub(crate) fn align_user_phases(p: &Problem, d: &mut Design) {
    for k in 0..p.users.len() {
        let s = p.user_effective(k, &d.v).dot(&d.w.column(k));
        if s.norm() > 0.0 {
            let rot = (s / s.norm()).conj();
            for n in 0..d.w.nrows() {
                d.w[(n, k)] *= rot;
            }
        }
    }
}

/// Adds (17b), (17e) and the QoS cones for `w` at the coefficients `v`.
fn add_constraints(p: &Problem, d: &Design, form: QosForm, sinr_min: f64, cp: &mut ConicProblem) -> Result<bool> {
    let (n, q) = (p.antennas(), p.columns());
    let dim = 2 * n * q;
    cp.add_norm_bound("BS power (17b)", &DMatrix::identity(dim, dim), p.p_max.sqrt())?;
    let budget = p.p_o - p.amp_noise * d.v.norm_squared();
    if budget <= 0.0 {
        return Ok(false);
    }
    if budget.is_infinite() {
        return add_qos(p, d, form, sinr_min, cp).map(|_| true);
    }
    let m = p.elements();
    let load = DVector::from_fn(m, |e, _| Complex::new(d.v[e].norm_sqr() + d.v[m + e].norm_sqr(), 0.0));
    let gram = p.g.adjoint() * DMatrix::from_diagonal(&load) * &p.g;
    let eig = ((&gram + gram.adjoint()) * Complex::new(0.5, 0.0)).symmetric_eigen();
    let factor = DMatrix::from_diagonal(&eig.eigenvalues.map(|l| Complex::new(l.max(0.0).sqrt(), 0.0))) * eig.eigenvectors.adjoint();
    let mut block = DMatrix::zeros(n * q, n * q);
    for c in 0..q {
        block.view_mut((c * n, c * n), (n, n)).copy_from(&factor);
    }
    cp.add_norm_bound("MF-RIS power (17e)", &real_matrix(&block), budget.sqrt())?;
    add_qos(p, d, form, sinr_min, cp).map(|_| true)
}

/// The users' QoS cones of the beamformer step.
fn add_qos(p: &Problem, d: &Design, form: QosForm, sinr_min: f64, cp: &mut ConicProblem) -> Result<()> {
    if sinr_min <= 0.0 {
        return Ok(());
    }
    let q = p.columns();
    let all: Vec<usize> = (0..q).collect();
    for k in 0..p.users.len() {
        let gt = p.user_effective(k, &d.v);
        let nu = p.user_noise(k, &d.v);
        let own = column_rows(&gt, &[k], q);
        let own_row: Vec<Complex> = own.row(0).iter().copied().collect();
        match form {
            QosForm::Exact => cp.add_sinr_cone(&format!("user {k}"), &own_row, &column_rows(&gt, &all, q), nu, sinr_min)?,
            QosForm::Sca => {
                let others: Vec<usize> = (0..q).filter(|&c| c != k).collect();
                let r_mat = real_matrix(&column_rows(&gt, &others, q)) * sinr_min.sqrt();
                let s_prev = gt.dot(&d.w.column(k));
                let lin: Vec<Complex> = own_row.iter().map(|a| a * s_prev.conj() * 2.0).collect();
                let l0 = -s_prev.norm_sqr() - sinr_min * nu;
                let eta = s_prev.norm_sqr() + sinr_min * nu;
                cp.add_quadratic_bound(format!("QoS of user {k} (SCA, R2)"), &r_mat, &real_part_row(&lin), l0, eta)?;
            }
        }
    }
    Ok(())
}

/// Per sensed space, `(c_s, d_s, e_s)` of §6.2: `γ_s = ‖W̄ᵀc_s‖² / (‖W̄ᵀd_s‖² + e_s)`.
pub(crate) fn echo_terms(p: &Problem, d: &Design) -> Vec<(DVector<Complex>, DVector<Complex>, f64)> {
    p.spaces
        .iter()
        .zip(&d.u)
        .enumerate()
        .map(|(i, (sp, u))| {
            let hv = (p.sensing_matrix(i, &d.v).adjoint() * u).conjugate().component_mul(&p.block(&d.v, sp.space));
            let c = p.g.transpose() * &hv;
            let df = (sp.f.adjoint() * u).conjugate();
            (c, df, p.amp_noise * hv.norm_squared() + p.noise * u.norm_squared())
        })
        .collect()
}

/// The auxiliary variables `y_s* = W̄ᵀc_s / (‖W̄ᵀd_s‖² + e_s)` of (29) at `d`.
pub fn auxiliary(p: &Problem, d: &Design) -> Vec<DVector<Complex>> {
    echo_terms(p, d).into_iter().map(|(c, df, e)| d.w.transpose() * &c / Complex::new((d.w.transpose() * &df).norm_squared() + e, 0.0)).collect()
}

/// The quadratic transform `f(W̄, y) = Σ_s weight_s [2Re{y_sᴴW̄ᵀc_s} − ‖y_s‖²(‖W̄ᵀd_s‖² + e_s)]`
/// of (27) at `d.w`; equals the objective when `y = auxiliary(d)` and lower-bounds it
/// otherwise.
pub fn quadratic_transform(p: &Problem, d: &Design, y: &[DVector<Complex>]) -> f64 {
    p.spaces
        .iter()
        .zip(echo_terms(p, d))
        .zip(y)
        .map(|((sp, (c, df, e)), y)| sp.weight * (2.0 * y.dotc(&(d.w.transpose() * &c)).re - y.norm_squared() * ((d.w.transpose() * &df).norm_squared() + e)))
        .sum()
}

/// One fractional-programming step of Algorithm 1: `y ← (29)`, `W̄ ← SOCP (38)`. The
/// filters stay fixed. A step clarabel does not solve leaves `d` unchanged.
pub fn beamformer_step(p: &Problem, d: &mut Design, form: QosForm) -> Result<StepOutcome> {
    align_user_phases(p, d);
    let before = p.objective(d);
    let (n, q) = (p.antennas(), p.columns());
    let dim = 2 * n * q;
    let mut cp = ConicProblem::new(dim);
    cp.set_variable_scale(p.p_max.sqrt())?;
    let mut pm = DMatrix::zeros(dim, dim);
    let mut qv = DVector::zeros(dim);
    let all: Vec<usize> = (0..q).collect();
    for ((sp, (c, df, _)), y) in p.spaces.iter().zip(echo_terms(p, d)).zip(auxiliary(p, d)) {
        let ld = real_matrix(&column_rows(&df, &all, q));
        pm += ld.transpose() * &ld * (2.0 * sp.weight * y.norm_squared());
        let a: Vec<Complex> = (y.adjoint() * column_rows(&c, &all, q)).iter().copied().collect();
        qv -= real_part_row(&a) * (2.0 * sp.weight);
    }
    cp.add_objective(&pm, &qv)?;
    if !add_constraints(p, d, form, p.sinr_min, &mut cp)? {
        return Ok(StepOutcome { status: ConicStatus::Infeasible("the amplification noise alone exceeds the MF-RIS budget P_o".into()), before, after: before });
    }
    let sol = cp.solve()?;
    if !sol.is_solved() {
        return Ok(StepOutcome { status: sol.status, before, after: before });
    }
    d.w = unvec_w(&from_real(sol.x.as_slice()), n);
    Ok(StepOutcome { status: sol.status, before, after: p.objective(d) })
}

/// The least-power beamformer meeting every user's SINR `sinr_target` (exact cones),
/// (17b) and (17e) at coefficients `v`; `None` when clarabel proves it infeasible.
pub fn min_power_beamformer(p: &Problem, v: &DVector<Complex>, sinr_target: f64) -> Result<(ConicStatus, Option<DMatrix<Complex>>)> {
    let (n, q) = (p.antennas(), p.columns());
    let dim = 2 * n * q;
    let d = Design { w: DMatrix::zeros(n, q), v: v.clone(), u: Vec::new() };
    let mut cp = ConicProblem::new(dim);
    cp.set_variable_scale(p.p_max.sqrt())?;
    cp.add_objective(&(DMatrix::identity(dim, dim) * 2.0), &DVector::zeros(dim))?;
    if !add_constraints(p, &d, QosForm::Exact, sinr_target, &mut cp)? {
        return Ok((ConicStatus::Infeasible("the amplification noise alone exceeds the MF-RIS budget P_o".into()), None));
    }
    let sol = cp.solve()?;
    let w = sol.is_solved().then(|| unvec_w(&from_real(sol.x.as_slice()), n));
    Ok((sol.status, w))
}

/// The largest SINR every user can reach at once at coefficients `v` (bisection on the
/// exact-QoS feasibility SOCP, 1 % relative accuracy), with a beamformer reaching it.
pub fn max_min_user_sinr(p: &Problem, v: &DVector<Complex>) -> Result<(f64, Option<DMatrix<Complex>>)> {
    // Upper bound: each user alone with the whole BS power and no interference.
    let upper = (0..p.users.len()).map(|k| p.p_max * p.user_effective(k, v).norm_squared() / p.user_noise(k, v)).fold(f64::INFINITY, f64::min);
    if !(upper.is_finite() && upper > 0.0) {
        return Ok((0.0, None));
    }
    largest_feasible(upper, 1.01, 40, |gamma| Ok(min_power_beamformer(p, v, gamma)?.1))
}
