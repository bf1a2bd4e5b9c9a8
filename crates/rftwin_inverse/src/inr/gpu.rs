//! The network's passes on the GPU: [`kernels::forward_backward`](super::kernels::forward_backward)
//! with the same inputs and outputs, run by `rftwin_gpu::mlp`'s kernels. The physics
//! (the operator's products, on the CPU) sits between the two submissions, and the
//! optimiser stays on the CPU: an epoch moves the parameters up and their gradient down
//! (1.6 MB each at the paper's size) and `σ̂` and `∂L/∂σ̂` (40 kB each).

use super::network::Network;
use crate::error::Result;
use nalgebra::DMatrix;

/// The GPU plan of one network shape and point set.
#[derive(Debug)]
pub struct GpuPasses {
    #[cfg(feature = "gpu")]
    ctx: &'static rftwin_gpu::GpuContext,
    #[cfg(feature = "gpu")]
    plan: rftwin_gpu::mlp::GpuMlp,
}

impl GpuPasses {
    /// The plan for `net`'s shape at the columns of `input` (the encoded points, as
    /// [`super::kernels::input_matrix`] gives them), on the process's shared GPU context.
    #[cfg(feature = "gpu")]
    pub fn new(net: &Network, input: &DMatrix<f32>) -> Result<Self> {
        use super::network::Activation;
        use dfdx::prelude::HasShape;
        let ctx = rftwin_gpu::context::shared()?;
        let mut dims: Vec<usize> = net.weights.iter().map(|w| w.shape().0).collect();
        dims.push(net.weights.last().map_or(1, |w| w.shape().1));
        let activation = match net.options.activation {
            Activation::Sin => rftwin_gpu::mlp::MlpActivation::Sine { kappa: net.options.kappa as f32 },
            Activation::Relu => rftwin_gpu::mlp::MlpActivation::Relu,
        };
        let plan = rftwin_gpu::mlp::GpuMlp::new(ctx, &dims, input.as_slice(), activation)?;
        Ok(GpuPasses { ctx, plan })
    }

    /// Without the `gpu` feature: an error saying so.
    #[cfg(not(feature = "gpu"))]
    pub fn new(_net: &Network, _input: &DMatrix<f32>) -> Result<Self> {
        Err(crate::error::InverseError::invalid("backend", "the GPU was asked for, but rftwin_inverse was built without its `gpu` feature"))
    }

    /// `σ̂` and the gradient of `Σ g_m σ̂_m` in [`Network::parameters`]' order, with the
    /// seconds of the forward pass, the upstream callback and the backward pass: the
    /// contract of [`super::kernels::forward_backward`].
    #[cfg(feature = "gpu")]
    pub fn forward_backward(&self, net: &Network, upstream: impl FnOnce(&[f32]) -> Result<Vec<f32>>) -> Result<(Vec<f32>, Vec<f32>, [f64; 3])> {
        let clock = std::time::Instant::now();
        let weights: Vec<Vec<f32>> = net.weights.iter().map(|w| w.as_vec()).collect();
        let biases: Vec<Vec<f32>> = net.biases.iter().map(|b| b.as_vec()).collect();
        let out = self.plan.forward(self.ctx, &weights, &biases)?;
        let forward_s = clock.elapsed().as_secs_f64();
        let g = upstream(&out)?;
        if g.len() != out.len() {
            return Err(crate::error::InverseError::invalid("upstream gradient", format!("{} values for {} outputs", g.len(), out.len())));
        }
        let upstream_s = clock.elapsed().as_secs_f64() - forward_s;
        let grad = self.plan.backward(self.ctx, &g)?;
        let backward_s = clock.elapsed().as_secs_f64() - forward_s - upstream_s;
        Ok((out, grad, [forward_s, upstream_s, backward_s]))
    }

    /// Without the `gpu` feature no plan exists; this is never reached.
    #[cfg(not(feature = "gpu"))]
    pub fn forward_backward(&self, _net: &Network, _upstream: impl FnOnce(&[f32]) -> Result<Vec<f32>>) -> Result<(Vec<f32>, Vec<f32>, [f64; 3])> {
        Err(crate::error::InverseError::invalid("backend", "built without the `gpu` feature"))
    }
}
