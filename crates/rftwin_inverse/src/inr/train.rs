//! Training of the INR (spec §§4.3–4.4): full batch, one Adam step per epoch on the
//! mean-form loss `L = mean((ŷ − y)²) + α mean(σ̂)`, global gradient-norm clipping,
//! learning-rate halving on plateaus and on instability, early stopping, and the best
//! (pre-step) model kept.
//!
//! The Adam update is written here over flat f32 parameters (coupled L2 weight decay as
//! the reference's `torch.optim.Adam`): `autodiff::ParamGroup` holds f64 groups, and the
//! network trains in f32.

use super::interference::{self, InterferenceMatrix, LearnedTerm};
use super::network::{Network, NetworkOptions};
use crate::error::{InverseError, Result};
use rftwin_isac::ris_imaging::operator::SensingOperator;
use serde::{Deserialize, Serialize};

/// Loss, optimiser and schedule settings, with the reference implementation's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// The network.
    pub network: NetworkOptions,
    /// Weight `α` of the L1 (mean) sparsity term.
    pub alpha: f64,
    /// Initial learning rate.
    pub lr: f64,
    /// Largest global gradient norm (clipped above).
    pub clip_norm: f64,
    /// Coupled L2 weight decay.
    pub weight_decay: f64,
    /// Epochs at most.
    pub epochs: usize,
    /// Stop after this many epochs without a new best train MSE.
    pub stop_patience: usize,
    /// Halve the learning rate after this many epochs without a new best.
    pub lr_patience: usize,
    /// Restore the best model and halve the learning rate when the train MSE exceeds this
    /// multiple of the best.
    pub instability_factor: f64,
    /// Seed of the network's initialisation and frequencies.
    pub seed: u64,
    /// Save the training state here every `checkpoint_every` epochs and at the end, and
    /// resume from it when it exists (same configuration and data, or an error).
    pub checkpoint: Option<std::path::PathBuf>,
    /// Epochs between checkpoints.
    pub checkpoint_every: usize,
    /// Learn an interference matrix `Â` (P3, eq. 27) over this many antenna pairs
    /// `N_t N_r`, jointly with the network: initialised to 0, the same Adam and learning
    /// rate, no weight decay. `None`: the model is the operator alone.
    pub interference_pairs: Option<usize>,
    /// The learnt interference term's learning rate as a multiple of the network's (1:
    /// the same, as the paper; the schedule's halvings apply to both).
    #[serde(default = "one")]
    pub interference_lr_factor: f64,
    /// Solve `Â` of `interference_pairs` in closed form every epoch instead of taking Adam
    /// steps (variable projection): for the current image, the best `Âσ̂` is the mean
    /// residual over the blocks, and `Â = r̄ σ̂ᵀ/‖σ̂‖²` its least-norm matrix; the data
    /// term becomes the residual's spread over configurations. Adam with the network's
    /// learning rate moves each entry of `Â` by at most `lr` per epoch, too slowly when
    /// the interference is strong.
    #[serde(default)]
    pub solve_interference: bool,
    /// Run the network's forward and backward passes on the GPU ([`super::gpu`]); the
    /// operator's products and the optimiser stay on the CPU. Results agree with the CPU
    /// passes to f32 rounding, not bitwise.
    #[serde(default)]
    pub gpu: bool,
}

fn one() -> f64 {
    1.0
}

impl Default for TrainOptions {
    /// α = 0.01, lr = 1e-4, clip 1, weight decay 1e-8, 5000 epochs, patience 200 (stop)
    /// and 50 (lr), instability ×10.
    fn default() -> Self {
        TrainOptions {
            network: NetworkOptions::default(),
            alpha: 0.01,
            lr: 1e-4,
            clip_norm: 1.0,
            weight_decay: 1e-8,
            epochs: 5000,
            stop_patience: 200,
            lr_patience: 50,
            instability_factor: 10.0,
            seed: 1,
            checkpoint: None,
            checkpoint_every: 100,
            interference_pairs: None,
            interference_lr_factor: 1.0,
            solve_interference: false,
            gpu: false,
        }
    }
}

impl TrainOptions {
    /// Checks the settings that would otherwise fail only at the first epoch (callers run
    /// it before building the operator).
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 || !(self.lr.is_finite() && self.lr > 0.0) || !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(InverseError::invalid("training", format!("need ≥ 1 epoch, lr > 0 and α ≥ 0 (got {} epochs, lr {}, α {})", self.epochs, self.lr, self.alpha)));
        }
        if !(self.interference_lr_factor.is_finite() && self.interference_lr_factor > 0.0) {
            return Err(InverseError::invalid("training", format!("interference learning-rate factor {} must be finite and > 0", self.interference_lr_factor)));
        }
        if !(self.clip_norm.is_finite() && self.clip_norm > 0.0 && self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(InverseError::invalid("training", format!("clip norm {} must be > 0 and weight decay {} ≥ 0", self.clip_norm, self.weight_decay)));
        }
        self.network.validate()
    }
}

/// One epoch, measured before its step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epoch index.
    pub epoch: usize,
    /// Data term `mean((ŷ − y)²)` ("train MSE").
    pub train_mse: f64,
    /// Full loss.
    pub loss: f64,
    /// Learning rate of this epoch's step.
    pub lr: f64,
    /// Gradient norm before clipping.
    pub grad_norm: f64,
    /// Seconds in the network's forward pass, the physics (operator and adjoint), the
    /// network's backward pass and the optimiser step.
    pub seconds: [f64; 4],
}

/// A finished training.
#[derive(Debug, Clone)]
pub struct Training {
    /// The network with the best model's parameters.
    pub network: Network,
    /// Epoch of the best model.
    pub best_epoch: usize,
    /// Its train MSE.
    pub best_train_mse: f64,
    /// Every epoch.
    pub history: Vec<EpochRecord>,
    /// Whether early stopping ended it.
    pub stopped_early: bool,
    /// The best model's interference matrix `[Re Â; Im Â]` when it was learnt.
    pub interference: Option<Vec<f32>>,
    /// The best model's parameters of the extra learnt term, when there was one.
    pub learnt_term: Option<Vec<f32>>,
}

/// What the schedule decides after an epoch's train MSE (spec §4.4, in its order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A new best: keep these (pre-step) parameters; take the step.
    Improved,
    /// Take the step.
    Step,
    /// Stop: no improvement for more than `stop_patience` epochs.
    Stop,
    /// The train MSE exceeds `instability_factor` × the best: restore the best model and
    /// its optimiser state (the learning rate is already halved).
    Restore,
}

/// The learning-rate and stopping schedule, driven by the train MSE alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// Learning rate of the next step.
    pub lr: f64,
    /// Best train MSE so far.
    pub best: f64,
    since_best_stop: usize,
    since_best_lr: usize,
    stop_patience: usize,
    lr_patience: usize,
    instability_factor: f64,
}

impl Schedule {
    /// A schedule starting at `options.lr` with no best yet.
    pub fn new(options: &TrainOptions) -> Self {
        Schedule { lr: options.lr, best: f64::INFINITY, since_best_stop: 0, since_best_lr: 0, stop_patience: options.stop_patience, lr_patience: options.lr_patience, instability_factor: options.instability_factor }
    }

    /// Applies the rules to this epoch's train MSE: improvement (strictly below the
    /// best) resets both counters; more than `stop_patience` epochs without one stop;
    /// above `instability_factor` × best restores and halves; the `lr_patience + 1`-th
    /// epoch without improvement halves the learning rate.
    pub fn observe(&mut self, train_mse: f64) -> Decision {
        if train_mse < self.best {
            self.best = train_mse;
            (self.since_best_stop, self.since_best_lr) = (0, 0);
            return Decision::Improved;
        }
        self.since_best_stop += 1;
        self.since_best_lr += 1;
        if self.since_best_stop > self.stop_patience {
            return Decision::Stop;
        }
        if train_mse > self.instability_factor * self.best {
            self.lr /= 2.0;
            self.since_best_lr = 0;
            return Decision::Restore;
        }
        if self.since_best_lr > self.lr_patience {
            self.lr /= 2.0;
            self.since_best_lr = 0;
        }
        Decision::Step
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
    steps: i32,
}

/// Everything a resumed training needs, written to `TrainOptions::checkpoint`.
#[derive(Debug, Serialize, Deserialize)]
struct TrainState {
    /// What the run was configured with and trained on (a resume must match it).
    fingerprint: String,
    /// The next epoch.
    epoch: usize,
    params: Vec<f32>,
    adam: Adam,
    schedule: Schedule,
    best_epoch: usize,
    best_params: Vec<f32>,
    best_adam: Adam,
    history: Vec<EpochRecord>,
    stopped_early: bool,
}

fn fingerprint(options: &TrainOptions, network: &Network, y: &[f32], voxels: usize, term: Option<&dyn LearnedTerm>, matrix: Option<InterferenceMatrix>) -> String {
    let data: f64 = y.iter().enumerate().map(|(i, &v)| v as f64 * (1.0 + (i % 97) as f64)).sum();
    format!(
        "{}|α={}|lr={}|clip={}|wd={}|seed={}|inputs={}|params={}|voxels={voxels}|term={:?}|interference={:?}×{}|solved={}|data={}:{data:e}",
        serde_json::to_string(&options.network).unwrap_or_default(),
        options.alpha,
        options.lr,
        options.clip_norm,
        options.weight_decay,
        options.seed,
        network.input_dim,
        network.parameter_count(),
        term.map(|t| t.describe()),
        matrix.map(|m| m.describe()),
        options.interference_lr_factor,
        options.solve_interference,
        y.len()
    )
}

fn load_state(path: &std::path::Path, fingerprint: &str) -> Result<Option<TrainState>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| InverseError::io(path, e))?;
    let state: TrainState = serde_json::from_str(&text).map_err(|e| InverseError::io(path, format!("not an INR checkpoint: {e}")))?;
    if state.fingerprint != fingerprint {
        return Err(InverseError::invalid("checkpoint", format!("{} was written by a training with another configuration or data; remove it or choose another path", path.display())));
    }
    Ok(Some(state))
}

impl Adam {
    /// One step at learning rate `lr` for `params[..split]` and `lr_rest` after.
    fn step(&mut self, params: &mut [f32], grad: &[f32], (lr, split, lr_rest): (f64, usize, f64)) {
        let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
        self.steps += 1;
        let (c1, c2) = (1.0 - b1.powi(self.steps), 1.0 - b2.powi(self.steps));
        for (j, ((p, &g), (m, v))) in params.iter_mut().zip(grad).zip(self.m.iter_mut().zip(self.v.iter_mut())).enumerate() {
            let lr = if j < split { lr } else { lr_rest };
            *m = (b1 as f32) * *m + (1.0 - b1 as f32) * g;
            *v = (b2 as f32) * *v + (1.0 - b2 as f32) * g * g;
            let update = lr * (*m as f64 / c1) / ((*v as f64 / c2).sqrt() + eps);
            *p -= update as f32;
        }
    }
}

/// `g ← g · max_norm / (‖g‖ + 1e-6)` when `‖g‖ > max_norm`; returns `‖g‖` before.
pub fn clip_gradient(g: &mut [f32], max_norm: f64) -> f64 {
    let norm = g.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
    if norm > max_norm {
        let s = (max_norm / (norm + 1e-6)) as f32;
        g.iter_mut().for_each(|v| *v *= s);
    }
    norm
}

/// Trains a new network (seeded by `options.seed`) on measurements `y` of `operator` at
/// normalised `points` (one per voxel, in voxel order; see [`super::grid_points`]).
/// `on_epoch` sees every record and the epoch's image (for progress bars and logs; an
/// error from it stops training).
pub fn train(operator: &dyn SensingOperator, y: &[f32], points: &[f64], options: &TrainOptions, on_epoch: impl FnMut(&EpochRecord, &[f32]) -> Result<()>) -> Result<Training> {
    let voxels = operator.voxels().max(1);
    let input_dim = points.len() / voxels;
    if input_dim * voxels != points.len() {
        return Err(InverseError::invalid("points", format!("{} coordinates for {voxels} voxels", points.len())));
    }
    let network = Network::new(input_dim, &options.network, options.seed)?;
    train_from(network, operator, y, points, options, on_epoch)
}

/// Trains starting from `network` — a prior, e.g. the previous frame's best model (same
/// frequencies `B`) — with a fresh optimiser state, the initial learning rate and reset
/// counters (successive imaging, Sec. IV-B). `options.network` is ignored.
pub fn train_from(network: Network, operator: &dyn SensingOperator, y: &[f32], points: &[f64], options: &TrainOptions, on_epoch: impl FnMut(&EpochRecord, &[f32]) -> Result<()>) -> Result<Training> {
    train_with_term(network, operator, None, y, points, options, on_epoch)
}

/// [`train_from`] with a learnt `term` added to the model — e.g. the per-leg wall coupling
/// [`SensingLegs`](rftwin_isac::ris_imaging::legs::SensingLegs) — besides the matrix `Â`
/// of `options.interference_pairs` when that is set. Its best parameters are
/// `Training::learnt_term`.
pub fn train_with_term(mut network: Network, operator: &dyn SensingOperator, term: Option<&dyn LearnedTerm>, y: &[f32], points: &[f64], options: &TrainOptions, mut on_epoch: impl FnMut(&EpochRecord, &[f32]) -> Result<()>) -> Result<Training> {
    let voxels = operator.voxels();
    if y.len() != operator.rows() {
        return Err(InverseError::invalid("measurements", format!("{} values for an operator of {} rows", y.len(), operator.rows())));
    }
    options.validate()?;
    if points.len() != voxels * network.input_dim {
        return Err(InverseError::invalid("points", format!("{} coordinates for {voxels} voxels of dimension {}", points.len(), network.input_dim)));
    }
    let encoded = network.encode(points)?;
    let input = super::kernels::input_matrix(&network, &encoded);
    let n_net = network.parameter_count();
    let matrix = match options.interference_pairs {
        Some(p) if p == 0 || !operator.rows().is_multiple_of(2 * p) => {
            return Err(InverseError::invalid("interference_pairs", format!("{p} antenna pairs do not tile {} measurements into [Re; Im] blocks", operator.rows())));
        }
        Some(pairs) => Some(InterferenceMatrix { pairs, voxels }),
        None => None,
    };
    // the network's parameters, then the extra term's and Â's (zero); a solved Â is no
    // parameter: it is set every epoch and once more for the best model at the end
    let n_term = term.map_or(0, |t| t.parameter_count());
    let stepped_matrix = matrix.filter(|_| !options.solve_interference);
    let mut params = network.parameters();
    params.resize(n_net + n_term + stepped_matrix.map_or(0, |m| m.parameter_count()), 0.0);
    let n_matrix = n_net + n_term;
    let n = params.len();
    let mut adam = Adam { m: vec![0.0; n], v: vec![0.0; n], steps: 0 };
    let mut schedule = Schedule::new(options);
    let (mut best_epoch, mut best_params, mut best_adam) = (0, params.clone(), adam.clone());
    let mut history = Vec::new();
    let mut stopped_early = false;
    let mut start = 0;
    let print = fingerprint(options, &network, y, voxels, term, matrix);
    if let Some(path) = &options.checkpoint {
        if let Some(state) = load_state(path, &print)? {
            (start, params, adam, schedule, best_epoch, best_params, best_adam) = (state.epoch, state.params, state.adam, state.schedule, state.best_epoch, state.best_params, state.best_adam);
            (history, stopped_early) = (state.history, state.stopped_early);
            network.set_parameters(&params[..n_net])?;
        }
    }
    let save = |epoch: usize, params: &[f32], adam: &Adam, schedule: &Schedule, best: (usize, &[f32], &Adam), history: &[EpochRecord], stopped_early: bool| -> Result<()> {
        let Some(path) = &options.checkpoint else { return Ok(()) };
        let state = TrainState {
            fingerprint: print.clone(),
            epoch,
            params: params.to_vec(),
            adam: adam.clone(),
            schedule: schedule.clone(),
            best_epoch: best.0,
            best_params: best.1.to_vec(),
            best_adam: best.2.clone(),
            history: history.to_vec(),
            stopped_early,
        };
        Ok(rftwin_core::io::write_json_atomic(path, &state)?)
    };
    let rows = operator.rows() as f32;
    let end = if stopped_early { start } else { options.epochs };
    let mut workspace = super::kernels::Workspace::default();
    let gpu = if options.gpu && start < end { Some(super::gpu::GpuPasses::new(&network, &input)?) } else { None };
    for epoch in start..end {
        let mut data_term = 0.0;
        let (mut term_grad, mut matrix_grad) = (Vec::new(), Vec::new());
        let (term_params, matrix_params) = params[n_net..].split_at(n_term);
        let upstream = |sigma: &[f32]| -> Result<Vec<f32>> {
            let mut y_hat = operator.apply(sigma).map_err(|e| InverseError::invalid("operator", e.to_string()))?;
            if let Some(term) = term {
                term.add(term_params, sigma, &mut y_hat)?;
            }
            if let Some(m) = matrix {
                // solved last: Â takes the mean of what the rest of the model leaves
                let solved = options.solve_interference.then(|| interference::solve(&y_hat, y, m.pairs, sigma));
                m.add(solved.as_deref().unwrap_or(matrix_params), sigma, &mut y_hat)?;
            }
            let residual: Vec<f32> = y_hat.iter().zip(y).map(|(a, b)| a - b).collect();
            data_term = residual.iter().map(|&r| r as f64 * r as f64).sum::<f64>() / rows as f64;
            let scaled: Vec<f32> = residual.iter().map(|r| 2.0 * r / rows).collect();
            let mut back = operator.adjoint(&scaled).map_err(|e| InverseError::invalid("operator", e.to_string()))?;
            if let Some(term) = term {
                term_grad = term.backward(term_params, sigma, &scaled, &mut back)?;
            }
            // a solved Â adds nothing: Σ_blocks g = 0 at its solution
            if let Some(m) = stepped_matrix {
                matrix_grad = m.backward(matrix_params, sigma, &scaled, &mut back)?;
            }
            Ok(back.into_iter().map(|g| g + (options.alpha / voxels as f64) as f32).collect())
        };
        let (image, mut grad, [forward_s, physics_s, backward_s]) = match &gpu {
            Some(passes) => passes.forward_backward(&network, upstream)?,
            None => super::kernels::forward_backward_in(&mut workspace, &network, &input, upstream)?,
        };
        grad.extend(term_grad);
        grad.extend(matrix_grad);
        if !data_term.is_finite() {
            return Err(InverseError::NonFinite { what: format!("train MSE {data_term}"), iteration: epoch });
        }
        let loss = data_term + options.alpha * image.iter().map(|&v| v as f64).sum::<f64>() / voxels as f64;
        let decision = schedule.observe(data_term);
        for (g, p) in grad.iter_mut().zip(&params[..n_net]) {
            *g += options.weight_decay as f32 * p;
        }
        let grad_norm = clip_gradient(&mut grad, options.clip_norm);
        let mut record = EpochRecord { epoch, train_mse: data_term, loss, lr: schedule.lr, grad_norm, seconds: [forward_s, physics_s, backward_s, 0.0] };
        let step_clock = std::time::Instant::now();
        match decision {
            Decision::Stop => {
                history.push(record);
                on_epoch(&record, &image)?;
                stopped_early = true;
                break;
            }
            Decision::Restore => {
                // diverging: back to the best model and its optimiser state, slower
                params.clone_from(&best_params);
                adam = best_adam.clone();
                network.set_parameters(&params[..n_net])?;
                history.push(record);
                on_epoch(&record, &image)?;
                continue;
            }
            Decision::Improved => (best_epoch, best_params, best_adam) = (epoch, params.clone(), adam.clone()),
            Decision::Step => {}
        }
        adam.step(&mut params, &grad, (schedule.lr, n_net, schedule.lr * options.interference_lr_factor));
        network.set_parameters(&params[..n_net])?;
        record.seconds[3] = step_clock.elapsed().as_secs_f64();
        history.push(record);
        on_epoch(&record, &image)?;
        if options.checkpoint_every > 0 && (epoch + 1) % options.checkpoint_every == 0 {
            save(epoch + 1, &params, &adam, &schedule, (best_epoch, &best_params, &best_adam), &history, false)?;
        }
    }
    let next = history.last().map_or(start, |r| r.epoch + 1);
    save(next, &params, &adam, &schedule, (best_epoch, &best_params, &best_adam), &history, stopped_early)?;
    network.set_parameters(&best_params[..n_net])?;
    let interference = match (matrix, options.solve_interference) {
        (Some(m), true) => {
            // Â of the best model: solved for its image
            let sigma = network.forward(&encoded);
            let mut y_hat = operator.apply(&sigma).map_err(|e| InverseError::invalid("operator", e.to_string()))?;
            if let Some(term) = term {
                term.add(&best_params[n_net..n_matrix], &sigma, &mut y_hat)?;
            }
            Some(interference::solve(&y_hat, y, m.pairs, &sigma))
        }
        (Some(_), false) => Some(best_params[n_matrix..].to_vec()),
        (None, _) => None,
    };
    let learnt_term = term.map(|_| best_params[n_net..n_matrix].to_vec());
    Ok(Training { network, best_epoch, best_train_mse: schedule.best, history, stopped_early, interference, learnt_term })
}
