//! The SDR baseline of Table IV (spec §7, "SDR"): the beamformer and the coefficients
//! each relaxed to PSD matrices (rank-one constraints dropped), the echo-SINR sum handled
//! by the scalar quadratic transform, rank one recovered by Gaussian randomisation (the
//! best feasible of `draws`), filters by Lemma 1. Needs clarabel's PSD cone (`sdp`).
//!
//! Cost: the Θ-step has two PSD blocks of order 2(M + 1) (real embedding), whose dense
//! KKT system grows as M⁴ — the complexity claim the paper makes against SDR.

use super::ao::{feasible_start, AoOptions, AoResult, AoStatus};
use super::beamformer;
use super::coefficients;
use super::model::{Design, Problem};
use crate::conic::hermitian::{covariance_factor, HermitianVariable};
use crate::conic::{ConicProblem, ConicStatus};
use crate::error::Result;
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64;
use rftwin_core::Complex;
use std::time::Instant;

fn outer(a: &DVector<Complex>) -> DMatrix<Complex> {
    a.conjugate() * a.transpose()
}

fn cn(rng: &mut Pcg64, n: usize) -> DVector<Complex> {
    DVector::from_fn(n, |_, _| Complex::new(StandardNormal.sample(rng), StandardNormal.sample(rng)) * std::f64::consts::FRAC_1_SQRT_2)
}

/// One weighted echo SINR `num(x)/den(x)` of a relaxed step: the rows with `row·x` equal
/// to the numerator and denominator, and their values at the current point.
struct Ratio {
    num_row: DVector<f64>,
    den_row: DVector<f64>,
    num0: f64,
    den0: f64,
    weight: f64,
}

/// Adds a [`Ratio`] by the scalar quadratic transform: the objective gains
/// `2y t − y² den(x)` with `y = √num₀/den₀` at the current point and the cone
/// `t² ≤ num(x)`; `t = √num₀·τ` keeps the variable `τ` (coordinate `tau`) near 1.
fn add_ratio_term(cp: &mut ConicProblem, q: &mut DVector<f64>, tau: usize, r: &Ratio) -> Result<()> {
    let (y, s0) = (r.num0.sqrt() / r.den0, r.num0.sqrt());
    q[tau] -= 2.0 * r.weight * y * s0;
    *q += &r.den_row * (r.weight * y * y);
    let mut rm = DMatrix::zeros(1, q.len());
    rm[(0, tau)] = s0;
    cp.add_quadratic_bound(format!("t² ≤ num (τ at {tau})"), &rm, &r.num_row, 0.0, r.num0.max(f64::MIN_POSITIVE))
}

/// Is `d` feasible for (17) (QoS to 1e-6, powers, elements)?
fn feasible(p: &Problem, d: &Design) -> bool {
    p.user_sinrs(d).iter().all(|g| *g >= p.sinr_min * (1.0 - 1e-6)) && p.bs_power(d) <= p.p_max * (1.0 + 1e-9) && p.ris_power(d) <= p.p_o * (1.0 + 1e-9) && p.coefficient_load(&d.v).0 <= 1.0 + 1e-9
}

/// One relaxed beamformer step: `max Σ_s 2y_s t_s − y_s² den_s(R)` s.t. `t_s² ≤ num_s(R)`,
/// QoS, powers, `R_q ⪰ 0`; then randomisation. Returns the clarabel status.
fn beamformer_sdr(p: &Problem, d: &mut Design, draws: usize, rng: &mut Pcg64) -> Result<ConicStatus> {
    let (n, k) = (p.antennas(), p.users.len());
    let blocks: Vec<HermitianVariable> = (0..=k).map(|q| HermitianVariable { offset: q * n * (2 * n + 1), n }).collect();
    let spaces = p.spaces.len();
    let dim = blocks.len() * blocks[0].len() + spaces;
    let tau = |s: usize| dim - spaces + s;
    let terms = beamformer::echo_terms(p, d);
    let mut cp = ConicProblem::new(dim);
    let mut q = DVector::zeros(dim);
    let sum_over = |a: &DMatrix<Complex>| blocks.iter().fold(DVector::zeros(dim), |acc, b| acc + b.trace_row(a, dim));
    for (i, ((c, df, e), sp)) in terms.iter().zip(&p.spaces).enumerate() {
        let num_row = sum_over(&outer(c));
        let den_row = sum_over(&outer(df));
        let num0 = (d.w.transpose() * c).norm_squared();
        let den0 = (d.w.transpose() * df).norm_squared() + e;
        add_ratio_term(&mut cp, &mut q, tau(i), &Ratio { num_row, den_row, num0, den0, weight: sp.weight })?;
    }
    cp.add_objective(&DMatrix::zeros(dim, dim), &q)?;
    cp.add_inequality("BS power", &sum_over(&DMatrix::identity(n, n)), p.p_max)?;
    let m = p.elements();
    let load = DVector::from_fn(m, |e, _| Complex::new(d.v[e].norm_sqr() + d.v[m + e].norm_sqr(), 0.0));
    let gram = p.g.adjoint() * DMatrix::from_diagonal(&load) * &p.g;
    cp.add_inequality("MF-RIS power", &sum_over(&gram), p.p_o - p.amp_noise * d.v.norm_squared())?;
    for (user, block) in blocks.iter().enumerate().take(k) {
        let gt = p.user_effective(user, &d.v);
        let nu = p.user_noise(user, &d.v);
        let gk = outer(&gt);
        let own = block.trace_row(&gk, dim);
        let row = (sum_over(&gk) - &own) * p.sinr_min - own;
        cp.add_inequality(format!("QoS of user {user}"), &(row / nu), -p.sinr_min)?;
    }
    for (q_idx, b) in blocks.iter().enumerate() {
        b.add_psd(&mut cp, format!("R_{q_idx} ⪰ 0"))?;
    }
    let sol = cp.solve()?;
    if sol.status != ConicStatus::Solved {
        return Ok(sol.status);
    }
    let covs: Vec<DMatrix<Complex>> = blocks.iter().map(|b| b.value(&sol.x)).collect();
    let w0 = covariance_factor(&covs[k]);
    let factors: Vec<DMatrix<Complex>> = covs[..k].iter().map(covariance_factor).collect();
    let mut best: Option<(f64, Design)> = None;
    for draw in 0..draws.max(1) {
        let mut w = DMatrix::zeros(n, k + n);
        for (user, f) in factors.iter().enumerate() {
            // draw 0: the principal eigenvector (scaled to the trace), then random draws
            let col = if draw == 0 {
                let eig = covs[user].clone().symmetric_eigen();
                let top = (0..n).max_by(|&a, &b| eig.eigenvalues[a].total_cmp(&eig.eigenvalues[b])).unwrap_or(0);
                eig.eigenvectors.column(top) * Complex::new(covs[user].trace().re.max(0.0).sqrt(), 0.0)
            } else {
                f * cn(rng, n)
            };
            w.set_column(user, &col);
        }
        w.columns_mut(k, n).copy_from(&w0);
        let mut cand = Design { w, v: d.v.clone(), u: d.u.clone() };
        let shrink = (p.bs_power(&cand) / p.p_max).max(p.ris_power(&cand) / p.p_o).max(1.0);
        cand.w /= Complex::new(shrink.sqrt(), 0.0);
        if feasible(p, &cand) {
            let cand = p.with_optimal_filters(cand)?;
            let obj = p.objective(&cand);
            if best.as_ref().is_none_or(|(b, _)| obj > *b) {
                best = Some((obj, cand));
            }
        }
    }
    match best {
        Some((_, cand)) => {
            *d = cand;
            Ok(ConicStatus::Solved)
        }
        None => Ok(ConicStatus::Inaccurate(format!("no feasible rank-one beamformer in {draws} randomisations"))),
    }
}

/// One relaxed coefficient step over `V_s = [v_s; 1][v_s; 1]ᴴ ⪰ 0`, then randomisation
/// (each draw projected onto the element and power budgets).
fn coefficient_sdr(p: &Problem, d: &mut Design, draws: usize, rng: &mut Pcg64) -> Result<ConicStatus> {
    let m = p.elements();
    let order = m + 1;
    let blocks: Vec<HermitianVariable> = (0..2).map(|s| HermitianVariable { offset: s * order * (2 * order + 1), n: order }).collect();
    let spaces = p.spaces.len();
    let dim = 2 * blocks[0].len() + spaces;
    let tau = |s: usize| dim - spaces + s;
    let embed = |a: &DMatrix<Complex>, corner: f64| {
        let mut big = DMatrix::zeros(order, order);
        big.view_mut((0, 0), (m, m)).copy_from(a);
        big[(m, m)] = Complex::new(corner, 0.0);
        big
    };
    let mut cp = ConicProblem::new(dim);
    let mut q = DVector::zeros(dim);
    for (i, ((h, e_mat, c_prime), sp)) in coefficients::echo_terms(p, d).iter().zip(&p.spaces).enumerate() {
        let b = blocks[sp.space];
        let num_row = b.trace_row(&embed(&(e_mat.adjoint() * e_mat), 0.0), dim);
        let delta = DMatrix::from_diagonal(&h.map(|x| Complex::new(p.amp_noise * x.norm_sqr(), 0.0)));
        let den_row = b.trace_row(&embed(&delta, *c_prime), dim);
        let v_s = p.block(&d.v, sp.space);
        let num0 = (e_mat * &v_s).norm_squared();
        let den0 = p.amp_noise * h.iter().zip(v_s.iter()).map(|(h, v)| h.norm_sqr() * v.norm_sqr()).sum::<f64>() + c_prime;
        add_ratio_term(&mut cp, &mut q, tau(i), &Ratio { num_row, den_row, num0, den0, weight: sp.weight })?;
    }
    cp.add_objective(&DMatrix::zeros(dim, dim), &q)?;
    for (s, b) in blocks.iter().enumerate() {
        cp.add_equality(format!("V_{s} corner = 1"), &b.diagonal_row(m, dim), 1.0)?;
    }
    let input = p.element_input_power(&d.w);
    let mut power_row = DVector::zeros(dim);
    for (e, input_e) in input.iter().enumerate() {
        let free: Vec<usize> = (0..2).filter(|&s| p.is_free(s, e)).collect();
        for (s, block) in blocks.iter().enumerate() {
            if !p.is_free(s, e) {
                cp.add_equality(format!("element {e} unused in space {s}"), &block.diagonal_row(e, dim), 0.0)?;
            }
        }
        let sum = free.iter().fold(DVector::zeros(dim), |acc, &s| acc + blocks[s].diagonal_row(e, dim));
        cp.add_inequality(format!("element {e} ≤ β_max"), &sum, p.beta_max)?;
        power_row += &sum * (input_e + p.amp_noise);
    }
    cp.add_inequality("MF-RIS power", &power_row, p.p_o)?;
    let gw = &p.g * &d.w;
    for (k, user) in p.users.iter().enumerate() {
        let a_row = |col: usize| DVector::from_fn(m, |e, _| user.g[e] * gw[(e, col)]);
        let b = blocks[user.space];
        let own = b.trace_row(&embed(&outer(&a_row(k)), 0.0), dim);
        let mut others = DMatrix::from_diagonal(&user.g.map(|x| Complex::new(p.amp_noise * x.norm_sqr(), 0.0)));
        for c in (0..p.columns()).filter(|&c| c != k) {
            others += outer(&a_row(c));
        }
        let row = b.trace_row(&embed(&others, 0.0), dim) * p.sinr_min - own;
        cp.add_inequality(format!("QoS of user {k}"), &(row / p.noise), -p.sinr_min)?;
    }
    for (s, b) in blocks.iter().enumerate() {
        b.add_psd(&mut cp, format!("V_{s} ⪰ 0"))?;
    }
    let sol = cp.solve()?;
    if sol.status != ConicStatus::Solved {
        return Ok(sol.status);
    }
    let factors: Vec<DMatrix<Complex>> = blocks.iter().map(|b| covariance_factor(&b.value(&sol.x))).collect();
    // Draws projected onto the element and amplification budgets, ranked by the
    // objective; a draw that breaks a user's QoS at the current W̄ is repaired by one
    // exact-QoS beamformer step at its coefficients (the top `REPAIRS` only).
    const REPAIRS: usize = 10;
    let mut ranked: Vec<(f64, bool, Design)> = Vec::new();
    for _ in 0..draws.max(1) {
        let mut v = DVector::from_element(2 * m, Complex::new(0.0, 0.0));
        for s in 0..2 {
            let z = &factors[s] * cn(rng, order);
            if z[m].norm() == 0.0 {
                continue;
            }
            for e in 0..m {
                if p.is_free(s, e) {
                    v[s * m + e] = z[e] / z[m];
                }
            }
        }
        for e in 0..m {
            let load = v[e].norm_sqr() + v[m + e].norm_sqr();
            if load > p.beta_max {
                let f = Complex::new((p.beta_max / load).sqrt(), 0.0);
                v[e] *= f;
                v[m + e] *= f;
            }
        }
        let mut cand = Design { w: d.w.clone(), v, u: d.u.clone() };
        let over = p.ris_power(&cand) / p.p_o;
        if over > 1.0 {
            cand.v /= Complex::new(over.sqrt(), 0.0);
        }
        let cand = p.with_optimal_filters(cand)?;
        ranked.push((p.objective(&cand), feasible(p, &cand), cand));
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best: Option<(f64, Design)> = ranked.iter().find(|r| r.1).map(|r| (r.0, r.2.clone()));
    for (_, ok, cand) in ranked.into_iter().take(REPAIRS) {
        if ok {
            continue;
        }
        let mut repaired = cand;
        let out = beamformer::beamformer_step(p, &mut repaired, beamformer::QosForm::Exact)?;
        if out.status == ConicStatus::Solved && feasible(p, &repaired) {
            let repaired = p.with_optimal_filters(repaired)?;
            let obj = p.objective(&repaired);
            if best.as_ref().is_none_or(|(b, _)| obj > *b) {
                best = Some((obj, repaired));
            }
        }
    }
    match best {
        Some((_, cand)) => {
            *d = cand;
            Ok(ConicStatus::Solved)
        }
        None => Ok(ConicStatus::Inaccurate(format!("no feasible rank-one coefficient vector in {draws} randomisations ({REPAIRS} repaired)"))),
    }
}

/// The SDR baseline: a feasible start (as the proposed algorithm's), then alternating
/// Lemma 1, the relaxed beamformer step and the relaxed coefficient step, each with
/// `draws` randomisations; the best feasible iterate is returned.
pub fn sdr_baseline(p: &Problem, opts: &AoOptions, draws: usize) -> Result<AoResult> {
    let start = match feasible_start(p, opts, true)? {
        Ok(s) => s,
        Err(status) => return Ok(AoResult::infeasible(p, status)),
    };
    let mut rng = Pcg64::seed_from_u64(opts.seed ^ 0x5D8);
    let mut d = start;
    let mut best = (p.objective(&d), d.clone());
    let mut trace = vec![best.0];
    let mut outer_trace = vec![best.0];
    let mut rejected = Vec::new();
    let clock = Instant::now();
    let mut iterations = 0;
    let mut status = AoStatus::IterationLimit;
    for _ in 0..opts.outer {
        iterations += 1;
        let prev = *outer_trace.last().unwrap_or(&0.0);
        // Each step leaves `d` with its optimal filters (the accepted draw's, or the
        // unchanged design's).
        for _ in 0..opts.inner {
            let s = beamformer_sdr(p, &mut d, draws, &mut rng)?;
            trace.push(p.objective(&d));
            if s != ConicStatus::Solved {
                rejected.push(format!("beamformer: {s:?}"));
                break;
            }
        }
        for _ in 0..opts.inner {
            let s = coefficient_sdr(p, &mut d, draws, &mut rng)?;
            trace.push(p.objective(&d));
            if s != ConicStatus::Solved {
                rejected.push(format!("coefficients: {s:?}"));
                break;
            }
        }
        let now = *trace.last().unwrap_or(&0.0);
        if now > best.0 {
            best = (now, d.clone());
        }
        outer_trace.push(now);
        if (now - prev).abs() <= opts.tolerance * prev.abs() {
            status = AoStatus::Converged;
            break;
        }
    }
    let seconds_per_iteration = clock.elapsed().as_secs_f64() / iterations.max(1) as f64;
    Ok(AoResult { objective: best.0, design: best.1, trace, outer_trace, iterations, seconds_per_iteration, rejected_steps: rejected, status })
}
