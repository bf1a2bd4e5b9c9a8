//! With `inr`, the only modules of rftwin that name dfdx types.
//!
//! Parameters live in dfdx tensors (`Tensor<(usize,), f64, Cpu>`, one per
//! [`ParamGroup`]). A step works by **gradient injection**: the regularisers that are
//! plain tensor expressions of the parameters (Dirichlet energy, edge lengths) are
//! evaluated on a traced copy and differentiated by dfdx's tape; the physics gradient
//! `∂L/∂θ` from rftwin's hand-written VJPs (and any term differentiated by hand, such as
//! the normal-consistency term) is then added into the same `Gradients` entry before the
//! optimiser reads it.
//!
//! The optimiser updates (Adam, SGD with momentum) are written here with dfdx tensor
//! operations instead of `dfdx::optim::{Adam, Sgd}`: in dfdx 0.13 those only accept
//! modules whose tensors have compile-time shapes, and the length of a mesh parameter is
//! known only at run time (see docs/ARCHITECTURE.md). The update rules are the standard
//! ones (Kingma & Ba 2015, bias-corrected; heavy-ball SGD).

use crate::error::{InverseError, Result};
use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

type Vector = Tensor<(usize,), f64, Cpu>;

/// Update rule of a parameter group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum OptimizerKind {
    /// Adam with moment decay rates `beta1`, `beta2` and denominator offset `eps`.
    Adam {
        /// First-moment decay.
        beta1: f64,
        /// Second-moment decay.
        beta2: f64,
        /// Added to `√v̂`.
        eps: f64,
    },
    /// Gradient descent with heavy-ball `momentum` (0 = plain SGD).
    Sgd {
        /// Momentum factor in [0, 1).
        momentum: f64,
    },
}

impl OptimizerKind {
    /// Adam with the usual defaults (0.9, 0.999, 1e-8).
    pub fn adam() -> Self {
        OptimizerKind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }
    /// Plain SGD.
    pub fn sgd() -> Self {
        OptimizerKind::Sgd { momentum: 0.0 }
    }
    fn validate(&self) -> Result<()> {
        let ok = match *self {
            OptimizerKind::Adam { beta1, beta2, eps } => (0.0..1.0).contains(&beta1) && (0.0..1.0).contains(&beta2) && eps > 0.0,
            OptimizerKind::Sgd { momentum } => (0.0..1.0).contains(&momentum),
        };
        if ok {
            Ok(())
        } else {
            Err(InverseError::invalid("optimizer", format!("{self:?}: decay rates and momentum must lie in [0, 1), eps > 0")))
        }
    }
}

/// Learning-rate schedule: the factor applied to a group's base rate at step `k`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// Always 1.
    Constant,
    /// `gamma^⌊k / every⌋`.
    Step {
        /// Steps between decays.
        every: usize,
        /// Decay factor.
        gamma: f64,
    },
    /// `gamma^k`.
    Exponential {
        /// Decay factor per step.
        gamma: f64,
    },
    /// Cosine from 1 down to `floor` over `iterations` steps, then `floor`.
    Cosine {
        /// Length of the decay.
        iterations: usize,
        /// Final factor.
        floor: f64,
    },
}

impl Schedule {
    /// The factor at step `k` (0-based).
    pub fn factor(&self, k: usize) -> f64 {
        match *self {
            Schedule::Constant => 1.0,
            Schedule::Step { every, gamma } => gamma.powi((k / every.max(1)) as i32),
            Schedule::Exponential { gamma } => gamma.powi(k as i32),
            Schedule::Cosine { iterations, floor } => {
                let t = (k as f64 / iterations.max(1) as f64).min(1.0);
                floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
        }
    }
}

/// Serializable state of a [`ParamGroup`] (for checkpoints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupState {
    /// Group name.
    pub name: String,
    /// Parameter values.
    pub values: Vec<f64>,
    /// First moment (Adam) or velocity (SGD).
    pub m: Vec<f64>,
    /// Second moment (Adam; zeros for SGD).
    pub v: Vec<f64>,
    /// Steps taken.
    pub steps: usize,
}

/// A named group of parameters with its own learning rate, schedule and optimiser
/// (e.g. shape, pose, material).
#[derive(Debug, Clone)]
pub struct ParamGroup {
    /// Name (used in logs and checkpoints).
    pub name: String,
    /// Base learning rate.
    pub lr: f64,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Update rule.
    pub optimizer: OptimizerKind,
    dev: Cpu,
    value: Vector,
    m: Vector,
    v: Vector,
    steps: usize,
}

fn check_finite(what: &str, x: &[f64], iteration: usize) -> Result<()> {
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(InverseError::NonFinite { what: format!("{what}[{i}] = {}", x[i]), iteration });
    }
    Ok(())
}

impl ParamGroup {
    /// A group with initial values `initial`, base learning rate `lr` and `optimizer`.
    pub fn new(name: &str, initial: &[f64], lr: f64, optimizer: OptimizerKind) -> Result<Self> {
        if initial.is_empty() {
            return Err(InverseError::invalid("parameter group", format!("'{name}' has no parameters")));
        }
        if !(lr.is_finite() && lr > 0.0) {
            return Err(InverseError::invalid("learning rate", format!("'{name}': must be > 0, got {lr}")));
        }
        check_finite(&format!("initial value of '{name}'"), initial, 0)?;
        optimizer.validate()?;
        let dev = Cpu::default();
        let n = initial.len();
        Ok(ParamGroup {
            name: name.to_string(),
            lr,
            schedule: Schedule::Constant,
            optimizer,
            value: dev.tensor_from_vec(initial.to_vec(), (n,)),
            m: dev.zeros_like(&(n,)),
            v: dev.zeros_like(&(n,)),
            dev,
            steps: 0,
        })
    }

    /// With a learning-rate schedule.
    pub fn with_schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Number of scalar parameters.
    pub fn len(&self) -> usize {
        self.value.shape().0
    }

    /// Always false (groups are never empty).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Current values.
    pub fn values(&self) -> Vec<f64> {
        self.value.as_vec()
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Learning rate of the next step.
    pub fn current_lr(&self) -> f64 {
        self.lr * self.schedule.factor(self.steps)
    }

    /// One optimiser step with gradient `grad` (same length as the group).
    pub fn step(&mut self, grad: &[f64]) -> Result<()> {
        let n = self.len();
        if grad.len() != n {
            return Err(InverseError::invalid("gradient", format!("'{}': {} values for {n} parameters", self.name, grad.len())));
        }
        check_finite(&format!("gradient of '{}'", self.name), grad, self.steps)?;
        let g = self.dev.tensor_from_vec(grad.to_vec(), (n,));
        let lr = self.current_lr();
        let t = (self.steps + 1) as i32;
        let next = match self.optimizer {
            OptimizerKind::Adam { beta1, beta2, eps } => {
                self.m = self.m.clone() * beta1 + g.clone() * (1.0 - beta1);
                self.v = self.v.clone() * beta2 + g.square() * (1.0 - beta2);
                let m_hat = self.m.clone() / (1.0 - beta1.powi(t));
                let v_hat = self.v.clone() / (1.0 - beta2.powi(t));
                self.value.clone() - m_hat * lr / (v_hat.sqrt() + eps)
            }
            OptimizerKind::Sgd { momentum } => {
                self.m = self.m.clone() * momentum + g;
                self.value.clone() - self.m.clone() * lr
            }
        };
        let values = next.as_vec();
        check_finite(&format!("parameters of '{}'", self.name), &values, self.steps)?;
        self.value = next;
        self.steps += 1;
        Ok(())
    }

    /// Replaces the values (keeps the optimiser state), e.g. after a projection.
    pub fn set_values(&mut self, values: &[f64]) -> Result<()> {
        if values.len() != self.len() {
            return Err(InverseError::invalid("parameter values", format!("'{}': {} values for {} parameters", self.name, values.len(), self.len())));
        }
        check_finite(&format!("values of '{}'", self.name), values, self.steps)?;
        self.value = self.dev.tensor_from_vec(values.to_vec(), (values.len(),));
        Ok(())
    }

    /// The state for a checkpoint.
    pub fn state(&self) -> GroupState {
        GroupState { name: self.name.clone(), values: self.values(), m: self.m.as_vec(), v: self.v.as_vec(), steps: self.steps }
    }

    /// Restores a checkpointed state (names and lengths must match).
    pub fn restore(&mut self, s: &GroupState) -> Result<()> {
        let n = self.len();
        if s.name != self.name || s.values.len() != n || s.m.len() != n || s.v.len() != n {
            return Err(InverseError::invalid("checkpoint", format!("group '{}' ({} values) does not match checkpointed '{}' ({} values)", self.name, n, s.name, s.values.len())));
        }
        check_finite("checkpointed values", &s.values, s.steps)?;
        self.value = self.dev.tensor_from_vec(s.values.clone(), (n,));
        self.m = self.dev.tensor_from_vec(s.m.clone(), (n,));
        self.v = self.dev.tensor_from_vec(s.v.clone(), (n,));
        self.steps = s.steps;
        Ok(())
    }
}

/// Quadratic edge terms of a vertex group, evaluated with dfdx:
/// `Σ_e w_e ‖x_i − x_j‖²` (Dirichlet energy of the Laplacian with weights `w_e`) plus
/// `Σ_e μ_e (‖x_i − x_j‖² / l_e² − 1)²` (edge-length preservation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EdgeTerms {
    /// First vertex of each edge.
    pub i: Vec<usize>,
    /// Second vertex of each edge.
    pub j: Vec<usize>,
    /// Dirichlet weight per edge (already multiplied by λ).
    pub dirichlet: Vec<f64>,
    /// Edge-length weight per edge (already multiplied by its λ).
    pub length: Vec<f64>,
    /// Rest length² per edge.
    pub rest2: Vec<f64>,
}

/// Value and gradient (w.r.t. the flattened `xyz` coordinates of `vertices` values) of
/// `terms`, by dfdx's reverse mode.
pub fn edge_terms(coords: &[f64], terms: &EdgeTerms) -> Result<(f64, Vec<f64>)> {
    if !coords.len().is_multiple_of(3) {
        return Err(InverseError::invalid("vertex coordinates", format!("{} values is not a multiple of 3", coords.len())));
    }
    let n = coords.len() / 3;
    let e = terms.i.len();
    if [terms.j.len(), terms.dirichlet.len(), terms.length.len(), terms.rest2.len()].iter().any(|&l| l != e) {
        return Err(InverseError::invalid("edge terms", "i, j, dirichlet, length and rest2 must have one entry per edge"));
    }
    if let Some(k) = terms.i.iter().chain(&terms.j).find(|&&k| k >= n) {
        return Err(InverseError::invalid("edge terms", format!("vertex {k} out of range ({n} vertices)")));
    }
    if e == 0 {
        return Ok((0.0, vec![0.0; coords.len()]));
    }
    let dev = Cpu::default();
    let x: Tensor<(usize, Const<3>), f64, Cpu> = dev.tensor_from_vec(coords.to_vec(), (n, Const::<3>));
    let xt = x.leaky_trace();
    let ii = dev.tensor_from_vec(terms.i.clone(), (e,));
    let jj = dev.tensor_from_vec(terms.j.clone(), (e,));
    let d = xt.with_empty_tape().gather(ii) - xt.gather(jj);
    let l2 = d.square().sum::<(usize,), Axis<1>>();
    let w = dev.tensor_from_vec(terms.dirichlet.clone(), (e,));
    let mu = dev.tensor_from_vec(terms.length.clone(), (e,));
    let rest2 = dev.tensor_from_vec(terms.rest2.clone(), (e,));
    let dir = (l2.with_empty_tape() * w).sum::<Rank0, _>();
    let len = (((l2 / rest2) - 1.0).square() * mu).sum::<Rank0, _>();
    let total = dir + len;
    let value = total.array();
    let grads = total.backward();
    Ok((value, grads.get(&x).as_vec()))
}

/// Gradient injection: the dfdx gradient of `terms` (if any) plus `extra` (the physics
/// gradient and hand-differentiated terms), returned as the gradient the optimiser of
/// a group reads. Also returns the value of `terms`.
pub fn inject(coords: &[f64], terms: Option<&EdgeTerms>, extra: &[f64]) -> Result<(f64, Vec<f64>)> {
    if extra.len() != coords.len() {
        return Err(InverseError::invalid("gradient", format!("{} values for {} parameters", extra.len(), coords.len())));
    }
    let (value, mut g) = match terms {
        Some(t) => edge_terms(coords, t)?,
        None => (0.0, vec![0.0; coords.len()]),
    };
    for (a, b) in g.iter_mut().zip(extra) {
        *a += b;
    }
    Ok((value, g))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_minimises_a_quadratic_and_sgd_takes_exact_steps() {
        let mut g = ParamGroup::new("x", &[3.0, -2.0], 0.1, OptimizerKind::adam()).unwrap();
        for _ in 0..300 {
            let x = g.values();
            g.step(&[2.0 * (x[0] - 1.0), 2.0 * (x[1] + 0.5)]).unwrap();
        }
        let x = g.values();
        assert!((x[0] - 1.0).abs() < 1e-2 && (x[1] + 0.5).abs() < 1e-2, "{x:?}");
        // First Adam step moves every coordinate by lr (bias correction, |m̂|/√v̂ = 1).
        let mut a = ParamGroup::new("a", &[0.0, 0.0], 0.05, OptimizerKind::adam()).unwrap();
        a.step(&[3.0, -1e-3]).unwrap();
        let v = a.values();
        assert!((v[0] + 0.05).abs() < 1e-9 && (v[1] - 0.05).abs() < 1e-6, "{v:?}");
        let mut s = ParamGroup::new("s", &[1.0], 0.5, OptimizerKind::Sgd { momentum: 0.5 }).unwrap();
        s.step(&[2.0]).unwrap();
        s.step(&[2.0]).unwrap();
        // x1 = 1 − 0.5·2 = 0; velocity 0.5·2 + 2 = 3; x2 = 0 − 0.5·3 = −1.5
        assert!((s.values()[0] + 1.5).abs() < 1e-12);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(ParamGroup::new("x", &[], 0.1, OptimizerKind::adam()).is_err());
        assert!(ParamGroup::new("x", &[1.0], -0.1, OptimizerKind::adam()).is_err());
        assert!(ParamGroup::new("x", &[f64::NAN], 0.1, OptimizerKind::adam()).is_err());
        let mut g = ParamGroup::new("x", &[1.0], 0.1, OptimizerKind::adam()).unwrap();
        assert!(g.step(&[1.0, 2.0]).is_err());
        assert!(matches!(g.step(&[f64::INFINITY]), Err(InverseError::NonFinite { .. })));
        assert_eq!(g.values(), vec![1.0]);
    }

    #[test]
    fn schedules() {
        assert_eq!(Schedule::Step { every: 10, gamma: 0.5 }.factor(25), 0.25);
        assert!((Schedule::Cosine { iterations: 100, floor: 0.1 }.factor(50) - 0.55).abs() < 1e-12);
        assert!((Schedule::Exponential { gamma: 0.9 }.factor(2) - 0.81).abs() < 1e-12);
    }

    #[test]
    fn edge_terms_match_closed_form_and_finite_differences() {
        let x = vec![0.0, 0.0, 0.0, 1.0, 0.5, 0.0, 0.2, 1.1, 0.3];
        let t = EdgeTerms { i: vec![0, 1, 2], j: vec![1, 2, 0], dirichlet: vec![1.0, 0.5, 2.0], length: vec![0.3, 0.0, 1.0], rest2: vec![1.0, 1.0, 0.8] };
        let (v, g) = edge_terms(&x, &t).unwrap();
        let f = |x: &[f64]| -> f64 {
            (0..3)
                .map(|e| {
                    let (a, b) = (t.i[e], t.j[e]);
                    let l2: f64 = (0..3).map(|c| (x[3 * a + c] - x[3 * b + c]).powi(2)).sum();
                    t.dirichlet[e] * l2 + t.length[e] * (l2 / t.rest2[e] - 1.0).powi(2)
                })
                .sum()
        };
        assert!((v - f(&x)).abs() < 1e-12);
        for k in 0..9 {
            let (mut p, mut m) = (x.clone(), x.clone());
            p[k] += 1e-6;
            m[k] -= 1e-6;
            let fd = (f(&p) - f(&m)) / 2e-6;
            assert!((g[k] - fd).abs() < 1e-6, "coordinate {k}: {} vs {fd}", g[k]);
        }
        let (_, gi) = inject(&x, Some(&t), &[1.0; 9]).unwrap();
        assert!((gi[4] - g[4] - 1.0).abs() < 1e-12);
    }
}
