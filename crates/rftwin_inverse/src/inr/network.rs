//! The implicit neural representation: fixed Gaussian Fourier features (eq. 17) and a
//! SIREN (eq. 18) with a sigmoid output, its parameters in dfdx tensors (spec §4.1–4.2).

use crate::error::{InverseError, Result};
use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

pub(crate) type Matrix = Tensor<(usize, usize), f32, Cpu>;
pub(crate) type Vector = Tensor<(usize,), f32, Cpu>;

/// Hidden-layer activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `sin(κ(Wx + b))` (SIREN).
    #[default]
    Sin,
    /// `max(Wx + b, 0)` (the Table II ablation).
    Relu,
}

/// Architecture of the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkOptions {
    /// Fourier features `N_pe` (the encoding has `2 N_pe` inputs).
    pub features: usize,
    /// Scale `χ` of the Gaussian frequencies `B = χ N(0, 1)`.
    pub feature_scale: f64,
    /// Feed the normalised coordinates directly instead of `γ(p)` (ablation).
    pub no_encoding: bool,
    /// Fully connected layers, the linear output layer included (paper: 6).
    pub layers: usize,
    /// Hidden width (paper: 256).
    pub width: usize,
    /// `κ = ω₀` of every sine layer.
    pub kappa: f64,
    /// Hidden activation.
    pub activation: Activation,
}

impl Default for NetworkOptions {
    /// The paper's network: `N_pe = 256`, `χ = 4`, 6 layers of 256, `κ = 30`, sine.
    fn default() -> Self {
        NetworkOptions { features: 256, feature_scale: 4.0, no_encoding: false, layers: 6, width: 256, kappa: 30.0, activation: Activation::Sin }
    }
}

impl NetworkOptions {
    /// Checks sizes ≥ 1 and at least two layers.
    pub fn validate(&self) -> Result<()> {
        if self.features == 0 || self.width == 0 || self.layers < 2 {
            return Err(InverseError::invalid("network", format!("{} features, width {}, {} layers: need ≥ 1, ≥ 1, ≥ 2", self.features, self.width, self.layers)));
        }
        if !(self.kappa.is_finite() && self.kappa > 0.0 && self.feature_scale.is_finite() && self.feature_scale > 0.0) {
            return Err(InverseError::invalid("network", "κ and χ must be positive and finite"));
        }
        Ok(())
    }
}

/// Fourier features, SIREN and sigmoid: `σ̂(p) ∈ (0, 1)` for normalised coordinates
/// `p ∈ [0, 1]^d`.
#[derive(Debug, Clone)]
pub struct Network {
    /// Its architecture.
    pub options: NetworkOptions,
    /// Input dimension `d` (2: image, 3: volume).
    pub input_dim: usize,
    /// `B` (`N_pe × d`, row-major), fixed.
    pub frequencies: Vec<f32>,
    pub(crate) weights: Vec<Matrix>,
    pub(crate) biases: Vec<Vector>,
    pub(crate) dev: Cpu,
}

impl Network {
    /// A network with Sitzmann initialisation, seeded: first-layer weights
    /// `U(±1/fan_in)`, later weights (the output layer's included) `U(±√(6/fan_in)/κ)`,
    /// biases `U(±1/√fan_in)`.
    pub fn new(input_dim: usize, options: &NetworkOptions, seed: u64) -> Result<Self> {
        options.validate()?;
        if !(2..=3).contains(&input_dim) {
            return Err(InverseError::invalid("input dimension", format!("{input_dim}: 2 (image) or 3 (volume)")));
        }
        let mut rng = Pcg64::seed_from_u64(seed);
        let frequencies: Vec<f32> = (0..options.features * input_dim)
            .map(|_| {
                // Box–Muller: B = χ N(0, 1)
                let (u1, u2): (f64, f64) = (rng.gen::<f64>().max(f64::MIN_POSITIVE), rng.gen());
                (options.feature_scale * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
            })
            .collect();
        let dev = Cpu::default();
        let encoded = if options.no_encoding { input_dim } else { 2 * options.features };
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for layer in 0..options.layers {
            let fan_in = if layer == 0 { encoded } else { options.width };
            let fan_out = if layer + 1 == options.layers { 1 } else { options.width };
            let w_bound = if layer == 0 { 1.0 / fan_in as f64 } else { (6.0 / fan_in as f64).sqrt() / options.kappa };
            let b_bound = 1.0 / (fan_in as f64).sqrt();
            let w: Vec<f32> = (0..fan_in * fan_out).map(|_| rng.gen_range(-w_bound..w_bound) as f32).collect();
            let b: Vec<f32> = (0..fan_out).map(|_| rng.gen_range(-b_bound..b_bound) as f32).collect();
            weights.push(dev.tensor_from_vec(w, (fan_in, fan_out)));
            biases.push(dev.tensor_from_vec(b, (fan_out,)));
        }
        Ok(Network { options: options.clone(), input_dim, frequencies, weights, biases, dev })
    }

    /// Scalar parameters (weights and biases).
    pub fn parameter_count(&self) -> usize {
        self.weights.iter().map(|w| w.shape().0 * w.shape().1).sum::<usize>() + self.biases.iter().map(|b| b.shape().0).sum::<usize>()
    }

    /// The network's input for normalised points (`d` values each, row-major):
    /// `γ(p) = [sin 2πBp, cos 2πBp]` (sin block first), or `p` itself without encoding.
    pub fn encode(&self, points: &[f64]) -> Result<Matrix> {
        let d = self.input_dim;
        if points.is_empty() || !points.len().is_multiple_of(d) || points.iter().any(|v| !v.is_finite()) {
            return Err(InverseError::invalid("points", format!("{} finite values are not a list of {d}-d points", points.len())));
        }
        let n = points.len() / d;
        if self.options.no_encoding {
            return Ok(self.dev.tensor_from_vec(points.iter().map(|&v| v as f32).collect(), (n, d)));
        }
        let f = self.options.features;
        let mut out = vec![0f32; n * 2 * f];
        for (i, p) in points.chunks(d).enumerate() {
            for j in 0..f {
                let v: f64 = (0..d).map(|a| self.frequencies[j * d + a] as f64 * p[a]).sum::<f64>() * 2.0 * std::f64::consts::PI;
                out[i * 2 * f + j] = v.sin() as f32;
                out[i * 2 * f + f + j] = v.cos() as f32;
            }
        }
        Ok(self.dev.tensor_from_vec(out, (n, 2 * f)))
    }

    /// `σ̂` at encoded points (no gradient tape): render the field on any grid.
    pub fn forward(&self, encoded: &Matrix) -> Vec<f32> {
        let mut h = encoded.clone();
        let last = self.weights.len() - 1;
        for (l, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            let n = h.shape().0;
            let z = h.matmul(w.clone()) + b.clone().broadcast_like::<_, Axis<0>>(&(n, w.shape().1));
            h = if l == last { z.sigmoid() } else { self.activate(z) };
        }
        h.as_vec()
    }

    fn activate<T: Tape<f32, Cpu>>(&self, z: Tensor<(usize, usize), f32, Cpu, T>) -> Tensor<(usize, usize), f32, Cpu, T> {
        match self.options.activation {
            Activation::Sin => (z * self.options.kappa as f32).sin(),
            Activation::Relu => z.relu(),
        }
    }

    /// `σ̂` and the gradient of `Σ_m g_m σ̂_m` with respect to every parameter (weights
    /// then biases, layer by layer, flattened): the chain rule from `∂L/∂σ̂ = g` (the
    /// physics gradient, computed outside) through the network by dfdx's tape.
    pub fn forward_backward(&self, encoded: &Matrix, upstream: impl FnOnce(&[f32]) -> Result<Vec<f32>>) -> Result<(Vec<f32>, Vec<f32>)> {
        self.forward_backward_timed(encoded, upstream).map(|(out, grad, _)| (out, grad))
    }

    /// [`Self::forward_backward`] with the seconds spent in the forward pass, the
    /// upstream callback and the backward pass.
    pub fn forward_backward_timed(&self, encoded: &Matrix, upstream: impl FnOnce(&[f32]) -> Result<Vec<f32>>) -> Result<(Vec<f32>, Vec<f32>, [f64; 3])> {
        let clock = std::time::Instant::now();
        let n = encoded.shape().0;
        let mut h = encoded.clone().leaky_trace();
        let last = self.weights.len() - 1;
        for (l, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            let z = h.matmul(w.clone()) + b.clone().broadcast_like::<_, Axis<0>>(&(n, w.shape().1));
            h = if l == last { z.sigmoid() } else { self.activate(z) };
        }
        let out = h.retaped::<NoneTape>().as_vec();
        let forward_s = clock.elapsed().as_secs_f64();
        let g = upstream(&out)?;
        let upstream_s = clock.elapsed().as_secs_f64() - forward_s;
        if g.len() != n {
            return Err(InverseError::invalid("upstream gradient", format!("{} values for {n} outputs", g.len())));
        }
        let g = self.dev.tensor_from_vec(g, (n, 1));
        let grads = (h * g).sum::<Rank0, _>().backward();
        let mut flat = Vec::with_capacity(self.parameter_count());
        for w in &self.weights {
            flat.extend(grads.get(w).as_vec());
        }
        for b in &self.biases {
            flat.extend(grads.get(b).as_vec());
        }
        let backward_s = clock.elapsed().as_secs_f64() - forward_s - upstream_s;
        Ok((out, flat, [forward_s, upstream_s, backward_s]))
    }

    /// All parameters flattened (weights then biases).
    pub fn parameters(&self) -> Vec<f32> {
        let mut flat = Vec::with_capacity(self.parameter_count());
        for w in &self.weights {
            flat.extend(w.as_vec());
        }
        for b in &self.biases {
            flat.extend(b.as_vec());
        }
        flat
    }

    /// Replaces every parameter from a flat vector in [`Self::parameters`]' order.
    pub fn set_parameters(&mut self, flat: &[f32]) -> Result<()> {
        if flat.len() != self.parameter_count() {
            return Err(InverseError::invalid("parameters", format!("{} values for {} parameters", flat.len(), self.parameter_count())));
        }
        let mut at = 0;
        for w in self.weights.iter_mut() {
            let (r, c) = (w.shape().0, w.shape().1);
            *w = self.dev.tensor_from_vec(flat[at..at + r * c].to_vec(), (r, c));
            at += r * c;
        }
        for b in self.biases.iter_mut() {
            let n = b.shape().0;
            *b = self.dev.tensor_from_vec(flat[at..at + n].to_vec(), (n,));
            at += n;
        }
        Ok(())
    }
}
