//! MF-RIS coefficients (spec §6.3, Algorithm 2): fractional programming in
//! `v = [v_r; v_t]`, QoS linearised at the previous iterate ((48), recipe R2), each step a
//! second-order cone program in `x = [Re v; Im v]` (4M reals).

use super::beamformer::StepOutcome;
use super::model::{Design, FeasibleSet, Problem};
use crate::conic::embed::{from_real, real_matrix, real_part_row};
use crate::conic::ConicProblem;
use crate::error::Result;
use nalgebra::{DMatrix, DVector};
use rftwin_core::Complex;

/// Adds the protocol's per-element cones (17d) and the amplification budget (17e).
fn add_element_constraints(p: &Problem, w: &DMatrix<Complex>, cp: &mut ConicProblem) -> Result<()> {
    let m = p.elements();
    let dim = 4 * m;
    let re = |s: usize, e: usize| s * m + e;
    let im = |s: usize, e: usize| 2 * m + s * m + e;
    let rho = p.beta_max.sqrt();
    let pick = |idx: &[usize]| {
        let mut r = DMatrix::zeros(idx.len(), dim);
        for (row, &i) in idx.iter().enumerate() {
            r[(row, i)] = 1.0;
        }
        r
    };
    for e in 0..m {
        match &p.feasible {
            FeasibleSet::EnergySplitting => {
                cp.add_norm_bound(format!("element {e}: |v_r|² + |v_t|² ≤ β_max"), &pick(&[re(0, e), im(0, e), re(1, e), im(1, e)]), rho)?;
            }
            FeasibleSet::ModeSwitching(_) | FeasibleSet::SingleSpace(_) => {
                let s = if p.is_free(0, e) { 0 } else { 1 };
                cp.add_norm_bound(format!("element {e}: |v_s|² ≤ β_max"), &pick(&[re(s, e), im(s, e)]), rho)?;
                cp.add_fixed_zeros(format!("element {e}: unused space"), &[re(1 - s, e), im(1 - s, e)])?;
            }
        }
    }
    if p.p_o.is_infinite() {
        return Ok(()); // a passive surface spends no amplification power
    }
    let input = p.element_input_power(w);
    let diag = DVector::from_fn(dim, |i, _| (input[i % m] + p.amp_noise).sqrt());
    cp.add_norm_bound("MF-RIS power (17e)", &DMatrix::from_diagonal(&diag), p.p_o.sqrt())
}

/// Per sensed space, `(h_s, E_s, c'_s)` of §6.3: `γ_s = ‖E_s v_s‖² / (σ_0² Σ_m |h_m|²|v_m|² + c'_s)`.
pub(crate) fn echo_terms(p: &Problem, d: &Design) -> Vec<(DVector<Complex>, DMatrix<Complex>, f64)> {
    let gw = &p.g * &d.w;
    p.spaces
        .iter()
        .zip(&d.u)
        .enumerate()
        .map(|(i, (sp, u))| {
            let h = (p.sensing_matrix(i, &d.v).adjoint() * u).conjugate();
            let e_mat = DMatrix::from_fn(p.columns(), p.elements(), |qq, e| h[e] * gw[(e, qq)]);
            let c_prime = (d.w.transpose() * (sp.f.adjoint() * u).conjugate()).norm_squared() + p.noise * u.norm_squared();
            (h, e_mat, c_prime)
        })
        .collect()
}

fn denominator(p: &Problem, h: &DVector<Complex>, v_s: &DVector<Complex>, c_prime: f64) -> f64 {
    p.amp_noise * h.iter().zip(v_s.iter()).map(|(h, v)| h.norm_sqr() * v.norm_sqr()).sum::<f64>() + c_prime
}

/// The auxiliary variables `y_s* = E_s v_s / (σ_0² v_sᴴΔ_s v_s + c'_s)` of (40) at `d`.
pub fn auxiliary(p: &Problem, d: &Design) -> Vec<DVector<Complex>> {
    p.spaces
        .iter()
        .zip(echo_terms(p, d))
        .map(|(sp, (h, e_mat, c_prime))| {
            let v_s = p.block(&d.v, sp.space);
            &e_mat * &v_s / Complex::new(denominator(p, &h, &v_s, c_prime), 0.0)
        })
        .collect()
}

/// The quadratic transform `f(v, y)` of (40) at `d.v`; equals the objective when
/// `y = auxiliary(d)`.
pub fn quadratic_transform(p: &Problem, d: &Design, y: &[DVector<Complex>]) -> f64 {
    p.spaces
        .iter()
        .zip(echo_terms(p, d))
        .zip(y)
        .map(|((sp, (h, e_mat, c_prime)), y)| {
            let v_s = p.block(&d.v, sp.space);
            sp.weight * (2.0 * y.dotc(&(&e_mat * &v_s)).re - y.norm_squared() * denominator(p, &h, &v_s, c_prime))
        })
        .sum()
}

/// One step of Algorithm 2: `y ← (40)`, `v ← SOCP (49)`, the filters and W̄ fixed. A step
/// clarabel does not solve leaves `d` unchanged.
pub fn coefficient_step(p: &Problem, d: &mut Design) -> Result<StepOutcome> {
    let before = p.objective(d);
    let m = p.elements();
    let dim = 4 * m;
    let mut cp = ConicProblem::new(dim);
    cp.set_variable_scale(p.beta_max.sqrt())?;
    let mut pm = DMatrix::zeros(dim, dim);
    let mut qv = DVector::zeros(dim);
    for ((sp, (h, e_mat, _)), y) in p.spaces.iter().zip(echo_terms(p, d)).zip(auxiliary(p, d)) {
        let coef = 2.0 * sp.weight * y.norm_squared() * p.amp_noise;
        for e in 0..m {
            let a = coef * h[e].norm_sqr();
            pm[(sp.space * m + e, sp.space * m + e)] += a;
            pm[(2 * m + sp.space * m + e, 2 * m + sp.space * m + e)] += a;
        }
        let row = y.adjoint() * &e_mat; // 1 × M
        let mut full = vec![Complex::new(0.0, 0.0); 2 * m];
        for e in 0..m {
            full[sp.space * m + e] = row[e];
        }
        qv -= real_part_row(&full) * (2.0 * sp.weight);
    }
    cp.add_objective(&pm, &qv)?;
    add_element_constraints(p, &d.w, &mut cp)?;
    add_user_qos(p, d, p.sinr_min, &mut cp)?;
    let sol = cp.solve()?;
    if !sol.is_solved() {
        return Ok(StepOutcome { status: sol.status, before, after: before });
    }
    d.v = DVector::from_vec(from_real(sol.x.as_slice()));
    // The protocol's fixed zeros are exact in the cone program; clear solver round-off.
    for e in 0..m {
        for s in 0..2 {
            if !p.is_free(s, e) {
                d.v[s * m + e] = Complex::new(0.0, 0.0);
            }
        }
    }
    Ok(StepOutcome { status: sol.status, before, after: p.objective(d) })
}

/// The users' QoS at SINR `gamma`, linearised at `d.v` ((48), recipe R2; exact at `d.v`,
/// so a design meeting `gamma` stays feasible).
fn add_user_qos(p: &Problem, d: &Design, gamma: f64, cp: &mut ConicProblem) -> Result<()> {
    if gamma <= 0.0 {
        return Ok(());
    }
    let m = p.elements();
    let q = p.columns();
    let gw = &p.g * &d.w;
    for (k, user) in p.users.iter().enumerate() {
        let s = user.space;
        let v_s = p.block(&d.v, s);
        let a_row = |col: usize| DVector::from_fn(m, |e, _| user.g[e] * gw[(e, col)]);
        let place = |r: &DVector<Complex>| {
            let mut full = vec![Complex::new(0.0, 0.0); 2 * m];
            for e in 0..m {
                full[s * m + e] = r[e];
            }
            full
        };
        let others: Vec<usize> = (0..q).filter(|&c| c != k).collect();
        let mut rows = DMatrix::zeros(others.len() + m, 2 * m);
        for (i, &c) in others.iter().enumerate() {
            let a = a_row(c);
            for e in 0..m {
                rows[(i, s * m + e)] = a[e] * gamma.sqrt();
            }
        }
        for e in 0..m {
            rows[(others.len() + e, s * m + e)] = Complex::new((gamma * p.amp_noise).sqrt() * user.g[e].norm(), 0.0);
        }
        let akk = a_row(k);
        let s_prev = akk.dot(&v_s);
        let lin: Vec<Complex> = place(&akk).iter().map(|a| a * s_prev.conj() * 2.0).collect();
        let l0 = -s_prev.norm_sqr() - gamma * p.noise;
        let eta = s_prev.norm_sqr() + gamma * p.noise;
        cp.add_quadratic_bound(format!("QoS of user {k} (SCA (48), R2)"), &real_matrix(&rows), &real_part_row(&lin), l0, eta)?;
    }
    Ok(())
}

/// Coefficients meeting every user's SINR `gamma` (linearised at `d.v`) within the
/// element and amplification budgets at the fixed W̄, or `None` when clarabel finds none.
pub fn coefficients_meeting(p: &Problem, d: &Design, gamma: f64) -> Result<Option<DVector<Complex>>> {
    let dim = 4 * p.elements();
    let mut cp = ConicProblem::new(dim);
    cp.set_variable_scale(p.beta_max.sqrt())?;
    add_element_constraints(p, &d.w, &mut cp)?;
    add_user_qos(p, d, gamma, &mut cp)?;
    let sol = cp.solve()?;
    Ok(sol.is_solved().then(|| DVector::from_vec(from_real(sol.x.as_slice()))))
}
