//! Algorithm 3 (spec §6.4): alternating optimisation of the sensing filters (Lemma 1),
//! the beamformer (Algorithm 1) and the MF-RIS coefficients (Algorithm 2) from a
//! feasible start, with the random and exhaustive-search baselines of §8.

use super::beamformer::{beamformer_step, max_min_user_sinr, min_power_beamformer, QosForm, StepOutcome};
use super::coefficients::coefficient_step;
use super::model::{Design, FeasibleSet, Problem};
use crate::conic::ConicStatus;
use crate::error::Result;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use rftwin_core::Complex;
use std::f64::consts::TAU;
use std::time::Instant;

/// Iteration limits and tolerances of Algorithm 3.
#[derive(Debug, Clone, PartialEq)]
pub struct AoOptions {
    /// Outer iterations at most (spec: 30).
    pub outer: usize,
    /// Fractional-programming steps per block (spec: 3–5).
    pub inner: usize,
    /// Stop when the objective rises by less than this fraction in one outer iteration.
    pub tolerance: f64,
    /// QoS form of the beamformer step.
    pub qos: QosForm,
    /// Random coefficient draws tried for a feasible start (spec: 20).
    pub draws: usize,
    /// Seed of the random draws.
    pub seed: u64,
}

impl Default for AoOptions {
    fn default() -> Self {
        AoOptions { outer: 30, inner: 4, tolerance: 1e-3, qos: QosForm::Exact, draws: 20, seed: 0 }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AoStatus {
    /// The relative rise fell below the tolerance.
    Converged,
    /// The outer iteration limit was reached first.
    IterationLimit,
    /// No feasible start: the QoS cannot be met from any draw. `best_min_rate` is the
    /// highest rate all users reached at once (max–min SINR bisection) \[bit/s/Hz\].
    Infeasible {
        /// Why.
        reason: String,
        /// Best common rate found.
        best_min_rate: f64,
    },
}

/// The result of Algorithm 3 (or a baseline) on one instance.
#[derive(Debug, Clone)]
pub struct AoResult {
    /// Final design (a feasible start when `status` is infeasible is absent: zeros).
    pub design: Design,
    /// Σ weight·γ_s.
    pub objective: f64,
    /// Objective after every sub-step (filters, each FP step), from the start.
    pub trace: Vec<f64>,
    /// Objective after each outer iteration.
    pub outer_trace: Vec<f64>,
    /// Outer iterations run.
    pub iterations: usize,
    /// Wall time per outer iteration \[s\].
    pub seconds_per_iteration: f64,
    /// Cone programs clarabel did not solve (their step was skipped), with the status.
    pub rejected_steps: Vec<String>,
    /// How it ended.
    pub status: AoStatus,
}

/// A random point of the protocol's feasible set: ES splits β_max at random between the
/// spaces (`β_r ~ U[0, β_max]`, `β_t = β_max − β_r`), MS/TS use √β_max on the allowed
/// space; phases uniform.
pub fn random_coefficients(p: &Problem, rng: &mut Pcg64, split_evenly: bool) -> DVector<Complex> {
    let m = p.elements();
    let mut v = DVector::from_element(2 * m, Complex::new(0.0, 0.0));
    for e in 0..m {
        match p.feasible {
            FeasibleSet::EnergySplitting => {
                let br = if split_evenly { p.beta_max / 2.0 } else { rng.gen::<f64>() * p.beta_max };
                v[e] = Complex::from_polar(br.sqrt(), rng.gen::<f64>() * TAU);
                v[m + e] = Complex::from_polar((p.beta_max - br).sqrt(), rng.gen::<f64>() * TAU);
            }
            _ => {
                for s in 0..2 {
                    if p.is_free(s, e) {
                        v[s * m + e] = Complex::from_polar(p.beta_max.sqrt(), rng.gen::<f64>() * TAU);
                    }
                }
            }
        }
    }
    v
}

/// A feasible start (spec §6.4): random coefficients, the least-power beamformer meeting
/// the QoS, the optimal filters; up to `draws` redraws. When every draw fails, the
/// max–min pre-phase starts from the draw with the highest common SINR; if that cannot
/// reach γ_min either, the best common rate is reported as infeasible.
pub fn feasible_start(p: &Problem, opts: &AoOptions, split_evenly: bool) -> Result<std::result::Result<Design, AoStatus>> {
    let mut rng = Pcg64::seed_from_u64(opts.seed);
    let mut draws = Vec::new();
    for _ in 0..opts.draws.max(1) {
        let v = random_coefficients(p, &mut rng, split_evenly);
        if let (_, Some(w)) = min_power_beamformer(p, &v, p.sinr_min)? {
            return Ok(Ok(p.with_optimal_filters(Design { w, v, u: Vec::new() })?));
        }
        draws.push(v);
    }
    // Max–min pre-phase (spec §6.4 fallback): from the draw whose users reach the highest
    // common SINR, alternate the max–min beamformer (bisection) with coefficients that
    // raise the common SINR (bisection on the linearised QoS) until γ_min is met.
    let mut best = (0.0f64, None);
    for v in draws {
        let (t, w) = max_min_user_sinr(p, &v)?;
        if t >= best.0 {
            best = (t, w.map(|w| (w, v)));
        }
    }
    let mut common = best.0;
    if let Some((mut w, mut v)) = best.1 {
        for _ in 0..30 {
            if common >= p.sinr_min {
                if let (_, Some(w)) = min_power_beamformer(p, &v, p.sinr_min)? {
                    return Ok(Ok(p.with_optimal_filters(Design { w, v, u: Vec::new() })?));
                }
            }
            let d = Design { w: w.clone(), v: v.clone(), u: Vec::new() };
            let (mut lo, mut hi, mut raised) = (common, (common * 8.0).max(p.sinr_min), None);
            for _ in 0..12 {
                let mid = 0.5 * (lo + hi);
                match super::coefficients::coefficients_meeting(p, &d, mid)? {
                    Some(nv) => {
                        lo = mid;
                        raised = Some(nv);
                    }
                    None => hi = mid,
                }
            }
            let Some(nv) = raised else { break };
            let (t, nw) = max_min_user_sinr(p, &nv)?;
            if t <= common * (1.0 + 1e-3) {
                break;
            }
            common = t;
            v = nv;
            match nw {
                Some(nw) => w = nw,
                None => break,
            }
        }
    }
    Ok(Err(AoStatus::Infeasible {
        reason: format!("no beamformer meets γ_min = {:.4} ({:.3} bit/s/Hz) from {} random coefficient draws and the max–min pre-phase", p.sinr_min, (1.0 + p.sinr_min).log2(), opts.draws.max(1)),
        best_min_rate: (1.0 + common).log2(),
    }))
}

impl AoStatus {
    /// `true` when no feasible design was found.
    pub fn is_infeasible(&self) -> bool {
        matches!(self, AoStatus::Infeasible { .. })
    }
}

impl AoResult {
    /// The result of a run that found no feasible start: a zero design, no iterations.
    pub(crate) fn infeasible(p: &Problem, status: AoStatus) -> Self {
        let d = Design { w: DMatrix::zeros(p.antennas(), p.columns()), v: DVector::zeros(2 * p.elements()), u: Vec::new() };
        AoResult { design: d, objective: 0.0, trace: Vec::new(), outer_trace: Vec::new(), iterations: 0, seconds_per_iteration: 0.0, rejected_steps: Vec::new(), status }
    }
}

fn record(out: &StepOutcome, trace: &mut Vec<f64>, rejected: &mut Vec<String>, what: &str) {
    if out.status != ConicStatus::Solved {
        rejected.push(format!("{what}: {:?}", out.status));
    }
    trace.push(out.after);
}

/// Runs a block of up to `inner` FP steps until the relative change is below 1e-4.
fn inner_loop(inner: usize, mut step: impl FnMut() -> Result<StepOutcome>, trace: &mut Vec<f64>, rejected: &mut Vec<String>, what: &str) -> Result<()> {
    for _ in 0..inner {
        let out = step()?;
        record(&out, trace, rejected, what);
        if out.status != ConicStatus::Solved || (out.after - out.before).abs() <= 1e-4 * out.before.abs() {
            break;
        }
    }
    Ok(())
}

/// Algorithm 3 from `start` (already feasible, filters optimal).
pub fn alternating_optimisation_from(p: &Problem, start: Design, opts: &AoOptions, optimise_coefficients: bool) -> Result<AoResult> {
    let mut d = start;
    let mut trace = vec![p.objective(&d)];
    let mut outer_trace = vec![trace[0]];
    let mut rejected = Vec::new();
    let clock = Instant::now();
    let mut status = AoStatus::IterationLimit;
    let mut iterations = 0;
    for _ in 0..opts.outer {
        iterations += 1;
        let prev = *outer_trace.last().unwrap_or(&0.0);
        inner_loop(opts.inner, || beamformer_step(p, &mut d, opts.qos), &mut trace, &mut rejected, "beamformer")?;
        d = p.with_optimal_filters(d)?;
        let mut now = p.objective(&d);
        trace.push(now);
        if optimise_coefficients {
            inner_loop(opts.inner, || coefficient_step(p, &mut d), &mut trace, &mut rejected, "coefficients")?;
            d = p.with_optimal_filters(d)?;
            now = p.objective(&d);
            trace.push(now);
        }
        outer_trace.push(now);
        if now - prev <= opts.tolerance * prev.abs() {
            status = AoStatus::Converged;
            break;
        }
    }
    let seconds_per_iteration = clock.elapsed().as_secs_f64() / iterations.max(1) as f64;
    Ok(AoResult { objective: *outer_trace.last().unwrap_or(&0.0), design: d, trace, outer_trace, iterations, seconds_per_iteration, rejected_steps: rejected, status })
}

/// The proposed algorithm: a feasible start, then Algorithm 3 (for a passive RIS,
/// followed by [`project_unit_modulus`]).
pub fn alternating_optimisation(p: &Problem, opts: &AoOptions) -> Result<AoResult> {
    match feasible_start(p, opts, true)? {
        Ok(start) => {
            let mut r = alternating_optimisation_from(p, start, opts, true)?;
            if p.unit_modulus {
                project_unit_modulus(p, &mut r)?;
            }
            Ok(r)
        }
        Err(status) => Ok(AoResult::infeasible(p, status)),
    }
}

/// A passive RIS optimised with `|v| ≤ 1`: the phases are kept and the moduli set to 1,
/// then one exact-QoS beamformer step restores the users' SINRs. When it cannot, the
/// relaxed design is kept and the failure recorded in `rejected_steps`.
pub fn project_unit_modulus(p: &Problem, r: &mut AoResult) -> Result<()> {
    let m = p.elements();
    let mut d = r.design.clone();
    for i in 0..2 * m {
        if p.is_free(i / m, i % m) {
            let z = d.v[i];
            d.v[i] = if z.norm() > 0.0 { z / z.norm() } else { Complex::new(1.0, 0.0) };
        }
    }
    d = p.with_optimal_filters(d)?;
    let out = beamformer_step(p, &mut d, QosForm::Exact)?;
    if out.status == ConicStatus::Solved && p.user_sinrs(&d).iter().all(|g| *g >= p.sinr_min * (1.0 - 1e-4)) {
        r.design = p.with_optimal_filters(d)?;
        r.objective = p.objective(&r.design);
        r.trace.push(r.objective);
    } else {
        r.rejected_steps.push(format!("unit-modulus projection: {:?}; the relaxed |v| ≤ 1 design is kept", out.status));
    }
    Ok(())
}

/// The random baseline (Table IV): random coefficients, Algorithm 1 and Lemma 1 for the
/// rest.
pub fn random_baseline(p: &Problem, opts: &AoOptions) -> Result<AoResult> {
    match feasible_start(p, opts, false)? {
        Ok(start) => alternating_optimisation_from(p, start, opts, false),
        Err(status) => Ok(AoResult::infeasible(p, status)),
    }
}

/// Exhaustive search (Table IV, spec §8) for M ≤ 2 at a fixed beamformer: per element
/// 2-bit phases for r and t and `β_r ∈ {0, ¼, ½, ¾, 1}·β_max`, `β_t = β_max − β_r` (80
/// states), keeping feasible points (QoS, (17e)), filters by Lemma 1. `None` when no
/// state is feasible.
pub fn exhaustive_search(p: &Problem, w: &DMatrix<Complex>) -> Result<Option<(Design, f64)>> {
    let m = p.elements();
    if m > 2 {
        return Err(crate::error::invalid("exhaustive search", format!("M = {m}: 80^M states; only M ≤ 2 is searched")));
    }
    let mut states = Vec::new();
    for split in 0..5 {
        let br = p.beta_max * split as f64 / 4.0;
        for pr in 0..4 {
            for pt in 0..4 {
                states.push((Complex::from_polar(br.sqrt(), TAU * pr as f64 / 4.0), Complex::from_polar((p.beta_max - br).sqrt(), TAU * pt as f64 / 4.0)));
            }
        }
    }
    let total = states.len().pow(m as u32);
    let mut best: Option<(Design, f64)> = None;
    for index in 0..total {
        let mut v = DVector::from_element(2 * m, Complex::new(0.0, 0.0));
        let mut rest = index;
        for e in 0..m {
            let (r, t) = states[rest % states.len()];
            rest /= states.len();
            v[e] = r;
            v[m + e] = t;
        }
        let d = Design { w: w.clone(), v, u: Vec::new() };
        if p.ris_power(&d) > p.p_o || p.user_sinrs(&d).iter().any(|&g| g < p.sinr_min * (1.0 - 1e-9)) {
            continue;
        }
        let d = p.with_optimal_filters(d)?;
        let obj = p.objective(&d);
        if best.as_ref().is_none_or(|(_, b)| obj > *b) {
            best = Some((d, obj));
        }
    }
    Ok(best)
}

