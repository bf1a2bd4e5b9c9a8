//! A reusable optimisation loop: progress bar (loss, gradient norm, time per
//! iteration), stopping rules, checkpoints that let an interrupted run resume, guards that
//! stop with an error on NaN/inf, and a loss curve and history written to a directory.

use crate::autodiff::{inject, EdgeTerms, GroupState, ParamGroup};
use crate::error::{InverseError, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a problem returns for one evaluation.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Data term of the loss.
    pub loss: f64,
    /// `∂loss/∂θ` per parameter group (same order and lengths as the groups), including
    /// any hand-differentiated regulariser the problem adds itself.
    pub gradients: Vec<Vec<f64>>,
    /// Seconds spent simulating (forward).
    pub simulate_s: f64,
    /// Seconds spent in the backward pass.
    pub backward_s: f64,
    /// Extra numbers to log (e.g. a Chamfer distance to a known truth).
    pub metrics: BTreeMap<String, f64>,
}

/// An inverse problem the driver can optimise.
pub trait Problem {
    /// Loss and gradients at `values` (current values of every group).
    fn evaluate(&mut self, iteration: usize, values: &[Vec<f64>]) -> Result<Evaluation>;
}

/// One logged iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Iteration (0-based).
    pub iteration: usize,
    /// Data loss + regularisers.
    pub loss: f64,
    /// Data loss.
    pub data_loss: f64,
    /// dfdx-evaluated regularisers.
    pub regularizer: f64,
    /// Norm of the full gradient.
    pub grad_norm: f64,
    /// Wall time of the iteration \[s\].
    pub seconds: f64,
    /// Forward simulation \[s\].
    pub simulate_s: f64,
    /// Backward pass \[s\].
    pub backward_s: f64,
    /// Regulariser gradients and optimiser steps \[s\].
    pub optimizer_s: f64,
    /// Problem-specific numbers.
    pub metrics: BTreeMap<String, f64>,
}

/// Driver settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Maximum iterations.
    pub iterations: usize,
    /// Output directory for checkpoint, history and loss curve (`None`: nothing written).
    pub out_dir: Option<PathBuf>,
    /// Write a checkpoint every this many iterations (and at the end).
    pub checkpoint_every: usize,
    /// Resume from `out_dir/checkpoint.json` when it exists.
    pub resume: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// Stop when the best loss improved by less than this fraction over `patience`
    /// iterations (0 disables).
    pub min_improvement: f64,
    /// Iterations of the improvement window.
    pub patience: usize,
    /// Stop once the loss falls below this value.
    pub target_loss: Option<f64>,
    /// Text describing the run's configuration (problem, settings, start); stored in the
    /// checkpoint, and a checkpoint with another fingerprint is refused on resume
    /// instead of silently continuing a different run.
    pub fingerprint: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { iterations: 100, out_dir: None, checkpoint_every: 10, resume: true, progress: true, min_improvement: 0.0, patience: 20, target_loss: None, fingerprint: None }
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// All iterations done.
    MaxIterations,
    /// The loss stopped improving.
    Converged,
    /// The loss reached the target.
    TargetReached,
}

#[derive(Debug, Serialize, Deserialize)]
struct Checkpoint {
    groups: Vec<GroupState>,
    history: Vec<Record>,
    #[serde(default)]
    fingerprint: Option<String>,
}

/// The reconstruction loop over parameter groups.
#[derive(Debug)]
pub struct Reconstruction {
    /// Parameter groups (shape, pose, material, …).
    pub groups: Vec<ParamGroup>,
    /// dfdx edge regularisers per group (vertex groups only).
    pub regularizers: Vec<Option<EdgeTerms>>,
    /// Settings.
    pub settings: Settings,
    /// Iterations so far (restored from a checkpoint on resume).
    pub history: Vec<Record>,
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    // write then rename, so an interruption never leaves a half-written file
    Ok(rftwin_core::io::write_json_atomic(path, value)?)
}

impl Reconstruction {
    /// A loop over `groups` (no regularisers).
    pub fn new(groups: Vec<ParamGroup>, settings: Settings) -> Result<Self> {
        if groups.is_empty() {
            return Err(InverseError::invalid("parameter groups", "nothing to optimise"));
        }
        let n = groups.len();
        Ok(Reconstruction { groups, regularizers: vec![None; n], settings, history: Vec::new() })
    }

    /// Attaches dfdx edge terms to group `g` (its values must be flattened xyz).
    pub fn with_regularizer(mut self, g: usize, terms: EdgeTerms) -> Result<Self> {
        let len = self.groups.get(g).ok_or_else(|| InverseError::invalid("group", format!("no group {g}")))?.len();
        if let Some(k) = terms.i.iter().chain(&terms.j).find(|&&k| 3 * k + 2 >= len) {
            return Err(InverseError::invalid("regulariser", format!("vertex {k} beyond group '{}' ({len} values)", self.groups[g].name)));
        }
        self.regularizers[g] = Some(terms);
        Ok(self)
    }

    /// Current values of every group.
    pub fn values(&self) -> Vec<Vec<f64>> {
        self.groups.iter().map(|g| g.values()).collect()
    }

    fn checkpoint_path(&self) -> Option<PathBuf> {
        self.settings.out_dir.as_ref().map(|d| d.join("checkpoint.json"))
    }

    /// Writes the checkpoint (if there is an output directory).
    pub fn save_checkpoint(&self) -> Result<()> {
        if let Some(p) = self.checkpoint_path() {
            write_json(&p, &Checkpoint { groups: self.groups.iter().map(|g| g.state()).collect(), history: self.history.clone(), fingerprint: self.settings.fingerprint.clone() })?;
        }
        Ok(())
    }

    fn try_resume(&mut self) -> Result<bool> {
        let Some(p) = self.checkpoint_path() else { return Ok(false) };
        if !self.settings.resume || !p.exists() {
            return Ok(false);
        }
        let text = std::fs::read_to_string(&p).map_err(|e| InverseError::io(&p, e))?;
        let c: Checkpoint = serde_json::from_str(&text).map_err(|e| InverseError::io(&p, format!("not a checkpoint: {e}")))?;
        if self.settings.fingerprint.is_some() && c.fingerprint != self.settings.fingerprint {
            return Err(InverseError::invalid(
                "checkpoint",
                format!("{} was written by a run with another configuration ({:?}; this run: {:?}); use another output directory or remove it", p.display(), c.fingerprint, self.settings.fingerprint),
            ));
        }
        if c.groups.len() != self.groups.len() {
            return Err(InverseError::invalid("checkpoint", format!("{}: {} groups, the run has {}; use another output directory or remove it", p.display(), c.groups.len(), self.groups.len())));
        }
        for (g, s) in self.groups.iter_mut().zip(&c.groups) {
            g.restore(s)?;
        }
        self.history = c.history;
        Ok(true)
    }

    /// Whether the best loss of the last `patience` iterations improved on the best
    /// before them by less than `min_improvement` (relative).
    fn stalled(&self) -> bool {
        let p = self.settings.patience;
        if self.settings.min_improvement <= 0.0 || self.history.len() <= p {
            return false;
        }
        let best = |h: &[Record]| h.iter().map(|r| r.loss).fold(f64::INFINITY, f64::min);
        let (before, now) = (best(&self.history[..self.history.len() - p]), best(&self.history));
        now > before * (1.0 - self.settings.min_improvement)
    }

    /// Runs the loop on `problem` (resuming from a checkpoint when there is one).
    pub fn run(&mut self, problem: &mut impl Problem) -> Result<StopReason> {
        if let Some(d) = &self.settings.out_dir {
            std::fs::create_dir_all(d).map_err(|e| InverseError::io(d, e))?;
        }
        let resumed = self.try_resume()?;
        let start = self.history.len();
        let total = self.settings.iterations;
        let bar = if self.settings.progress { indicatif::ProgressBar::new(total as u64) } else { indicatif::ProgressBar::hidden() };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}] {msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_position(start as u64);
        if resumed {
            bar.println(format!("resumed at iteration {start} from the checkpoint"));
        }
        let mut reason = StopReason::MaxIterations;
        for it in start..total {
            let t0 = Instant::now();
            let values = self.values();
            let ev = problem.evaluate(it, &values)?;
            if !ev.loss.is_finite() {
                self.save_checkpoint()?;
                return Err(InverseError::NonFinite { what: "loss".into(), iteration: it });
            }
            if ev.gradients.len() != self.groups.len() {
                return Err(InverseError::invalid("evaluation", format!("{} gradients for {} groups", ev.gradients.len(), self.groups.len())));
            }
            let t1 = Instant::now();
            let mut reg = 0.0;
            let mut norm2 = 0.0;
            let mut grads = Vec::with_capacity(self.groups.len());
            for ((v, g), terms) in values.iter().zip(&ev.gradients).zip(&self.regularizers) {
                let (r, total) = inject(v, terms.as_ref(), g)?;
                reg += r;
                norm2 += total.iter().map(|x| x * x).sum::<f64>();
                grads.push(total);
            }
            let step = self.groups.iter_mut().zip(&grads).try_for_each(|(g, d)| g.step(d));
            if let Err(e) = step {
                // the groups reject non-finite values before changing: the state is the last good one
                self.save_checkpoint()?;
                return Err(e);
            }
            let loss = ev.loss + reg;
            let rec = Record {
                iteration: it,
                loss,
                data_loss: ev.loss,
                regularizer: reg,
                grad_norm: norm2.sqrt(),
                seconds: t0.elapsed().as_secs_f64(),
                simulate_s: ev.simulate_s,
                backward_s: ev.backward_s,
                optimizer_s: t1.elapsed().as_secs_f64(),
                metrics: ev.metrics,
            };
            bar.set_message(format!("loss {:.4e} |g| {:.3e} {:.2} s/it", rec.loss, rec.grad_norm, rec.seconds));
            bar.inc(1);
            self.history.push(rec);
            if (it + 1) % self.settings.checkpoint_every.max(1) == 0 {
                self.save_checkpoint()?;
            }
            if self.settings.target_loss.is_some_and(|t| loss <= t) {
                reason = StopReason::TargetReached;
                break;
            }
            if self.stalled() {
                reason = StopReason::Converged;
                break;
            }
        }
        bar.finish();
        self.save_checkpoint()?;
        if let Some(d) = self.settings.out_dir.clone() {
            write_json(&d.join("history.json"), &self.history)?;
            self.plot_loss(&d.join("loss.png"))?;
        }
        Ok(reason)
    }

    /// Loss curve (log scale) of the history as a PNG.
    pub fn plot_loss(&self, path: &Path) -> Result<()> {
        let x: Vec<f64> = self.history.iter().map(|r| r.iteration as f64).collect();
        let series = [("loss", self.history.iter().map(|r| r.loss).collect::<Vec<_>>()), ("data term", self.history.iter().map(|r| r.data_loss).collect())];
        crate::plot::lines(path, "Loss", "iteration", "loss (log10)", &x, &series, true)
    }

    /// Mean seconds per iteration and the shares of simulation, backward and optimiser.
    pub fn timing(&self) -> IterationTiming {
        let n = self.history.len().max(1) as f64;
        let s = |f: fn(&Record) -> f64| self.history.iter().map(f).sum::<f64>() / n;
        IterationTiming { seconds_per_iteration: s(|r| r.seconds), simulate_s: s(|r| r.simulate_s), backward_s: s(|r| r.backward_s), optimizer_s: s(|r| r.optimizer_s) }
    }
}

/// Mean time per iteration and where it went \[s\].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IterationTiming {
    /// Wall time.
    pub seconds_per_iteration: f64,
    /// Forward simulation.
    pub simulate_s: f64,
    /// Backward pass.
    pub backward_s: f64,
    /// Regularisers and optimiser.
    pub optimizer_s: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::OptimizerKind;

    struct Quadratic {
        target: f64,
        nan_at: Option<usize>,
        calls: usize,
    }

    impl Problem for Quadratic {
        fn evaluate(&mut self, it: usize, v: &[Vec<f64>]) -> Result<Evaluation> {
            self.calls += 1;
            let x = v[0][0];
            let loss = if self.nan_at == Some(it) { f64::NAN } else { (x - self.target).powi(2) };
            Ok(Evaluation { loss, gradients: vec![vec![2.0 * (x - self.target)]], ..Default::default() })
        }
    }

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rftwin_driver_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn converges_checkpoints_resumes_and_stops_on_nan() {
        let d = dir("resume");
        let settings = Settings { iterations: 40, out_dir: Some(d.clone()), checkpoint_every: 5, progress: false, ..Default::default() };
        let make = || Reconstruction::new(vec![ParamGroup::new("x", &[0.0], 0.3, OptimizerKind::adam()).unwrap()], settings.clone()).unwrap();
        // uninterrupted reference
        let reference = {
            let mut r = Reconstruction::new(vec![ParamGroup::new("x", &[0.0], 0.3, OptimizerKind::adam()).unwrap()], Settings { out_dir: None, ..settings.clone() }).unwrap();
            r.run(&mut Quadratic { target: 2.0, nan_at: None, calls: 0 }).unwrap();
            r.values()[0][0]
        };
        // interrupted by a NaN at iteration 23: error, checkpoint holds iteration < 23
        let mut r = make();
        let e = r.run(&mut Quadratic { target: 2.0, nan_at: Some(23), calls: 0 }).unwrap_err();
        assert!(matches!(e, InverseError::NonFinite { iteration: 23, .. }), "{e}");
        assert_eq!(r.history.len(), 23);
        // resume: continues at 23, ends where the uninterrupted run ended
        let mut r2 = make();
        let mut q = Quadratic { target: 2.0, nan_at: None, calls: 0 };
        r2.run(&mut q).unwrap();
        assert_eq!(q.calls, 40 - 23);
        assert_eq!(r2.history.len(), 40);
        assert!((r2.values()[0][0] - reference).abs() < 1e-12, "{} vs {reference}", r2.values()[0][0]);
        assert!((reference - 2.0).abs() < 0.1);
        assert!(d.join("loss.png").exists() && d.join("history.json").exists());
        // a checkpoint of another problem is refused, not silently used
        let mut other = Reconstruction::new(vec![ParamGroup::new("x", &[0.0], 0.3, OptimizerKind::adam()).unwrap(), ParamGroup::new("y", &[0.0], 0.3, OptimizerKind::adam()).unwrap()], settings.clone()).unwrap();
        struct Two;
        impl Problem for Two {
            fn evaluate(&mut self, _: usize, _: &[Vec<f64>]) -> Result<Evaluation> {
                Ok(Evaluation { loss: 0.0, gradients: vec![vec![0.0], vec![0.0]], ..Default::default() })
            }
        }
        assert!(other.run(&mut Two).is_err());
        // same shape, another fingerprint: refused too
        let mut tagged = Reconstruction::new(vec![ParamGroup::new("x", &[0.0], 0.3, OptimizerKind::adam()).unwrap()], Settings { fingerprint: Some("lr 0.3, target 5".into()), ..settings.clone() }).unwrap();
        let e = tagged.run(&mut Quadratic { target: 5.0, nan_at: None, calls: 0 }).unwrap_err();
        assert!(e.to_string().contains("another configuration"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn stopping_rules() {
        let mut r = Reconstruction::new(vec![ParamGroup::new("x", &[0.0], 0.2, OptimizerKind::adam()).unwrap()], Settings { iterations: 500, progress: false, target_loss: Some(1e-3), ..Default::default() }).unwrap();
        assert_eq!(r.run(&mut Quadratic { target: 1.0, nan_at: None, calls: 0 }).unwrap(), StopReason::TargetReached);
        assert!(r.history.last().unwrap().loss <= 1e-3 && r.history.len() < 500);
        let mut r = Reconstruction::new(vec![ParamGroup::new("x", &[0.0], 1e-3, OptimizerKind::sgd()).unwrap()], Settings { iterations: 500, progress: false, min_improvement: 0.5, patience: 5, ..Default::default() }).unwrap();
        assert_eq!(r.run(&mut Quadratic { target: 1.0, nan_at: None, calls: 0 }).unwrap(), StopReason::Converged);
        assert_eq!(r.history.len(), 6);
    }
}
