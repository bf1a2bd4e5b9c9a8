//! Problem (17) for a whole setup: the protocol's instances (two under TS), each solved
//! by the chosen method from several initialisations, and the system-level figures
//! (echo SINR per space, every user's SINR).

use super::ao::{alternating_optimisation, random_baseline, AoOptions, AoResult};
use super::model::Problem;
use crate::error::Result;

/// Which algorithm fills the coefficients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Algorithm 3 (proposed).
    Proposed,
    /// Random coefficients, Algorithm 1 and Lemma 1 (Table IV "Random").
    Random,
    /// Semidefinite relaxation of both blocks with Gaussian randomisation (Table IV
    /// "SDR"; the number is the randomisation draws per step).
    #[cfg(feature = "sdp")]
    Sdr(usize),
}

/// Problem (17) solved for a whole setup: the protocol's instances (two under TS), each
/// the best of several initialisations.
#[derive(Debug, Clone)]
pub struct SystemResult {
    /// Per instance, the best run.
    pub runs: Vec<(Problem, AoResult)>,
    /// γ_r + γ_t (TS: λ_rγ_r + λ_tγ_t).
    pub objective: f64,
    /// Echo SINR per space `[r, t]` (0 where a space has no targets).
    pub echo_sinr: [f64; 2],
    /// Every user's SINR (r users first).
    pub user_sinrs: Vec<f64>,
    /// `true` when every instance found a feasible design.
    pub feasible: bool,
    /// Outer iterations of the best runs, summed over instances.
    pub iterations: usize,
    /// Mean seconds per outer iteration.
    pub seconds_per_iteration: f64,
}

/// Runs `method` on every instance of `setup` from `inits` seeds (`opts.seed`,
/// `opts.seed + 1`, …) and keeps the best of each.
pub fn optimise_system(setup: &super::setup::MfRisSetup, channels: &super::channels::MfRisChannels, method: Method, opts: &AoOptions, inits: usize) -> Result<SystemResult> {
    let mut runs = Vec::new();
    for p in Problem::instances(setup, channels)? {
        let run = |i: usize| {
            let o = AoOptions { seed: opts.seed + i as u64, ..opts.clone() };
            match method {
                Method::Proposed => alternating_optimisation(&p, &o),
                Method::Random => random_baseline(&p, &o),
                #[cfg(feature = "sdp")]
                Method::Sdr(draws) => super::sdr::sdr_baseline(&p, &o, draws),
            }
        };
        let mut best = run(0)?;
        for i in 1..inits.max(1) {
            let r = run(i)?;
            if best.status.is_infeasible() || (!r.status.is_infeasible() && r.objective > best.objective) {
                best = r;
            }
        }
        runs.push((p, best));
    }
    let mut echo = [0.0; 2];
    let mut users = Vec::new();
    let mut feasible = true;
    for (p, r) in &runs {
        feasible &= !r.status.is_infeasible();
        if !r.design.u.is_empty() {
            for (i, sp) in p.spaces.iter().enumerate() {
                echo[sp.space] = p.echo_sinr(i, &r.design, &r.design.u[i]);
            }
            users.extend(p.user_sinrs(&r.design));
        }
    }
    let objective = runs.iter().map(|(_, r)| r.objective).sum();
    let iterations = runs.iter().map(|(_, r)| r.iterations).sum();
    let seconds_per_iteration = runs.iter().map(|(_, r)| r.seconds_per_iteration).sum::<f64>() / runs.len().max(1) as f64;
    Ok(SystemResult { runs, objective, echo_sinr: echo, user_sinrs: users, feasible, iterations, seconds_per_iteration })
}
