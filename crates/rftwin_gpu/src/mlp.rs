//! The INR's network passes on the GPU (`mlp` kernels): a fully connected network of
//! sine (or ReLU) layers and a sigmoid output, evaluated at a fixed set of points, and the
//! gradient of `Σ g_m σ̂_m` with respect to its weights and biases. CPU twin:
//! `rftwin_inverse::inr::kernels::forward_backward`, whose layout this keeps: activations
//! column-major `width × N`, weights as `Wᵀ` (`out × in`, the data of dfdx's row-major
//! `(in, out)` tensor), the flat gradient as every layer's weights, then every bias.
//!
//! A plan holds every buffer and bind group for one network shape and point set, so an
//! epoch uploads the parameters, runs the forward dispatches, reads `σ̂` back, uploads the
//! upstream gradient and runs the backward ones: two submissions and two read-backs.

use crate::context::GpuContext;
use crate::error::GpuError;
use crate::kernels::{Kernel, MLP_ACTIVATION, MLP_GEMM, MLP_HADAMARD, MLP_OUTPUT_GRAD, MLP_ROW_SUM, MLP_SIGMOID};
use crate::pipeline::{bind_buffers, check_fits, kernel_set, read_back, readback_buffer, scoped, storage_buffer, storage_entry, uniform, uniform_entry, upload};
use bytemuck::{Pod, Zeroable};

const KERNELS: [Kernel; 6] = [MLP_GEMM, MLP_ACTIVATION, MLP_SIGMOID, MLP_OUTPUT_GRAD, MLP_HADAMARD, MLP_ROW_SUM];
/// Indices into `KERNELS`.
const GEMM: usize = 0;
const ACTIVATION: usize = 1;
const SIGMOID: usize = 2;
const OUTPUT_GRAD: usize = 3;
const HADAMARD: usize = 4;
const ROW_SUM: usize = 5;
/// Rows and columns of C per GEMM workgroup (`BLOCK` in shaders/mlp.wgsl).
const TILE: u64 = 64;
const GROUP: u64 = 64;

/// Kernel parameters (48 bytes, a uniform). Keep in sync with shaders/mlp.wgsl (`MlpParams`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct MlpParams {
    /// Rows of C (GEMM).
    pub m: u32,
    /// Columns of C (GEMM, row sums: the points).
    pub n: u32,
    /// The GEMM's inner dimension.
    pub k: u32,
    /// 1: A is stored transposed.
    pub trans_a: u32,
    /// 1: B is stored transposed.
    pub trans_b: u32,
    /// Leading dimension of A's storage.
    pub lda: u32,
    /// Leading dimension of B's storage.
    pub ldb: u32,
    /// Leading dimension of C.
    pub ldc: u32,
    /// Elements of an element-wise pass.
    pub count: u32,
    /// Rows of the matrix an element-wise pass or row sum walks.
    pub rows: u32,
    /// `κ` of the sine.
    pub kappa: f32,
    /// 1: ReLU instead of the sine.
    pub relu: u32,
}

/// One recorded dispatch.
#[derive(Debug)]
struct Op {
    pipeline: usize,
    bind: wgpu::BindGroup,
    groups: (u32, u32),
}

/// The network's hidden activation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MlpActivation {
    /// `sin(κ(Wx + b))`.
    Sine {
        /// `κ = ω₀`.
        kappa: f32,
    },
    /// `max(0, Wx + b)`.
    Relu,
}

/// Buffers, bind groups and dispatches for one network shape and point set.
#[derive(Debug)]
pub struct GpuMlp {
    /// Layer widths: the input's, every hidden layer's, then 1.
    dims: Vec<usize>,
    points: usize,
    pipelines: Vec<wgpu::ComputePipeline>,
    weights: Vec<wgpu::Buffer>,
    biases: Vec<wgpu::Buffer>,
    upstream: wgpu::Buffer,
    output: wgpu::Buffer,
    weight_grads: Vec<wgpu::Buffer>,
    bias_grads: Vec<wgpu::Buffer>,
    forward_ops: Vec<Op>,
    backward_ops: Vec<Op>,
    output_readback: wgpu::Buffer,
    grad_readback: wgpu::Buffer,
}

fn params(m: usize, n: usize, k: usize) -> MlpParams {
    MlpParams { m: m as u32, n: n as u32, k: k as u32, ..Default::default() }
}

impl GpuMlp {
    /// The plan for a network of `dims` (input width, hidden widths, 1) at the `points`
    /// columns of `input` (`dims[0] × points`, column-major).
    pub fn new(ctx: &GpuContext, dims: &[usize], input: &[f32], activation: MlpActivation) -> Result<Self, GpuError> {
        let invalid = |message: String| GpuError::Wgpu { stage: "INR network plan", message };
        if dims.len() < 2 || dims.contains(&0) || dims.last() != Some(&1) {
            return Err(invalid(format!("layer widths {dims:?}: need an input width, hidden widths and an output of 1, none 0")));
        }
        if input.is_empty() || !input.len().is_multiple_of(dims[0]) {
            return Err(invalid(format!("{} input values do not fill columns of {}", input.len(), dims[0])));
        }
        let points = input.len() / dims[0];
        let widest = dims[1..].iter().copied().max().unwrap_or(1);
        let max_groups = ctx.limits().max_compute_workgroups_per_dimension as u64;
        let groups = (points as u64).div_ceil(TILE).max(widest as u64).max((widest as u64).div_ceil(TILE));
        if groups > max_groups {
            return Err(invalid(format!("{points} points or {widest} rows need {groups} workgroups along one dimension; the device allows {max_groups}")));
        }
        let bytes = |rows: usize| (rows * points * 4) as u64;
        check_fits(ctx, &[("INR input", bytes(dims[0])), ("INR activations", bytes(widest))])?;
        let (relu, kappa) = match activation {
            MlpActivation::Sine { kappa } => (0, kappa),
            MlpActivation::Relu => (1, 0.0),
        };
        scoped(ctx, "INR network plan", || {
            let mut entries: Vec<wgpu::BindGroupLayoutEntry> = (0..3).map(|b| storage_entry(b, true)).collect();
            entries.extend((3..5).map(|b| storage_entry(b, false)));
            entries.push(uniform_entry(5));
            let (layout, pipelines) = kernel_set(ctx, &KERNELS, &entries);
            let st = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
            let buffer = |label: &str, floats: usize| ctx.device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size: (floats as u64 * 4).max(16), usage: st, mapped_at_creation: false });
            let layers = dims.len() - 1;
            let last = layers - 1;
            let x0 = upload(ctx, "INR input", bytemuck::cast_slice(input), wgpu::BufferUsages::STORAGE);
            let weights: Vec<wgpu::Buffer> = (0..layers).map(|l| buffer("INR weights", dims[l] * dims[l + 1])).collect();
            let biases: Vec<wgpu::Buffer> = (0..layers).map(|l| buffer("INR biases", dims[l + 1])).collect();
            let activations: Vec<wgpu::Buffer> = (0..last).map(|l| buffer("INR activation", dims[l + 1] * points)).collect();
            let derivatives: Vec<wgpu::Buffer> = (0..last).map(|l| buffer("INR derivative", dims[l + 1] * points)).collect();
            let output = buffer("INR output", points);
            let upstream = buffer("INR upstream gradient", points);
            let dz = [buffer("INR dz", widest * points), buffer("INR dz", widest * points)];
            let weight_grads: Vec<wgpu::Buffer> = (0..layers).map(|l| buffer("INR weight gradient", dims[l] * dims[l + 1])).collect();
            let bias_grads: Vec<wgpu::Buffer> = (0..layers).map(|l| buffer("INR bias gradient", dims[l + 1])).collect();
            let (read_dummy, c_dummy, d_dummy) = (storage_buffer(ctx, "INR unused", 16), storage_buffer(ctx, "INR unused", 16), storage_buffer(ctx, "INR unused", 16));
            let op = |pipeline: usize, slots: [Option<&wgpu::Buffer>; 5], p: MlpParams, groups: (u64, u64)| -> Op {
                let ub = uniform(ctx, "INR params", &p);
                let [a, b, bias, c, d] = slots;
                let bufs = [a.unwrap_or(&read_dummy), b.unwrap_or(&read_dummy), bias.unwrap_or(&read_dummy), c.unwrap_or(&c_dummy), d.unwrap_or(&d_dummy), &ub];
                let bind = bind_buffers(ctx, &layout, KERNELS[pipeline].entry_point, &bufs);
                Op { pipeline, bind, groups: (groups.0 as u32, groups.1 as u32) }
            };
            let gemm_groups = |m: usize, n: usize| ((m as u64).div_ceil(TILE), (n as u64).div_ceil(TILE));
            let element_groups = |count: usize| {
                let total = (count as u64).div_ceil(GROUP);
                (total.min(max_groups), total.div_ceil(max_groups))
            };
            let elementwise = |count: usize, rows: usize| MlpParams { count: count as u32, rows: rows as u32, kappa, relu, ..Default::default() };
            let mut forward_ops = Vec::new();
            for l in 0..layers {
                let (fan_in, fan_out) = (dims[l], dims[l + 1]);
                let a_in = if l == 0 { &x0 } else { &activations[l - 1] };
                let z = if l == last { &output } else { &activations[l] };
                // Z = Wᵀ A
                let p = MlpParams { lda: fan_out as u32, ldb: fan_in as u32, ldc: fan_out as u32, ..params(fan_out, points, fan_in) };
                forward_ops.push(op(GEMM, [Some(&weights[l]), Some(a_in), None, Some(z), None], p, gemm_groups(fan_out, points)));
                let count = fan_out * points;
                if l == last {
                    forward_ops.push(op(SIGMOID, [None, None, Some(&biases[l]), Some(z), None], elementwise(count, fan_out), element_groups(count)));
                } else {
                    forward_ops.push(op(ACTIVATION, [None, None, Some(&biases[l]), Some(z), Some(&derivatives[l])], elementwise(count, fan_out), element_groups(count)));
                }
            }
            let mut backward_ops = vec![op(OUTPUT_GRAD, [Some(&upstream), Some(&output), None, Some(&dz[0]), None], elementwise(points, 1), element_groups(points))];
            let mut current = 0;
            for l in (0..layers).rev() {
                let (fan_in, fan_out) = (dims[l], dims[l + 1]);
                let a_in = if l == 0 { &x0 } else { &activations[l - 1] };
                // ∂/∂Wᵀ = dZ Aᵀ (out × in)
                let p = MlpParams { trans_b: 1, lda: fan_out as u32, ldb: fan_in as u32, ldc: fan_out as u32, ..params(fan_out, fan_in, points) };
                backward_ops.push(op(GEMM, [Some(&dz[current]), Some(a_in), None, Some(&weight_grads[l]), None], p, gemm_groups(fan_out, fan_in)));
                let p = MlpParams { rows: fan_out as u32, n: points as u32, ..Default::default() };
                backward_ops.push(op(ROW_SUM, [None, None, None, Some(&dz[current]), Some(&bias_grads[l])], p, (fan_out as u64, 1)));
                if l > 0 {
                    // ∂/∂A = W dZ (in × N), then ⊙ ∂a/∂z of the layer below
                    let p = MlpParams { trans_a: 1, lda: fan_out as u32, ldb: fan_out as u32, ldc: fan_in as u32, ..params(fan_in, points, fan_out) };
                    backward_ops.push(op(GEMM, [Some(&weights[l]), Some(&dz[current]), None, Some(&dz[1 - current]), None], p, gemm_groups(fan_in, points)));
                    let count = fan_in * points;
                    backward_ops.push(op(HADAMARD, [Some(&derivatives[l - 1]), None, None, Some(&dz[1 - current]), None], elementwise(count, fan_in), element_groups(count)));
                    current = 1 - current;
                }
            }
            let grad_floats: usize = (0..layers).map(|l| dims[l] * dims[l + 1] + dims[l + 1]).sum();
            GpuMlp {
                dims: dims.to_vec(),
                points,
                pipelines,
                weights,
                biases,
                upstream,
                output,
                weight_grads,
                bias_grads,
                forward_ops,
                backward_ops,
                output_readback: readback_buffer(ctx, "INR output readback", points as u64 * 4),
                grad_readback: readback_buffer(ctx, "INR gradient readback", grad_floats as u64 * 4),
            }
        })
    }

    /// Points the plan evaluates.
    pub fn points(&self) -> usize {
        self.points
    }

    fn encode(&self, ctx: &GpuContext, label: &str, ops: &[Op]) -> wgpu::CommandEncoder {
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        for op in ops {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(KERNELS[op.pipeline].entry_point), timestamp_writes: None });
            pass.set_pipeline(&self.pipelines[op.pipeline]);
            pass.set_bind_group(0, &op.bind, &[]);
            pass.dispatch_workgroups(op.groups.0, op.groups.1, 1);
        }
        enc
    }

    /// `σ̂` at every point for the layers' `Wᵀ` (`out × in`, column-major) and biases.
    /// The activations stay on the device for [`Self::backward`].
    pub fn forward(&self, ctx: &GpuContext, weights: &[Vec<f32>], biases: &[Vec<f32>]) -> Result<Vec<f32>, GpuError> {
        let layers = self.dims.len() - 1;
        let refuse = |message: String| Err(GpuError::Wgpu { stage: "INR forward", message });
        if weights.len() != layers || biases.len() != layers {
            return refuse(format!("{} weight and {} bias arrays for a plan of {layers} layers", weights.len(), biases.len()));
        }
        for (l, (w, b)) in weights.iter().zip(biases).enumerate() {
            let (want_w, want_b) = (self.dims[l] * self.dims[l + 1], self.dims[l + 1]);
            if w.len() != want_w || b.len() != want_b {
                return refuse(format!("layer {l}: {} weights and {} biases where the plan needs {want_w} and {want_b}", w.len(), b.len()));
            }
        }
        let (rb, submission) = scoped(ctx, "INR forward", || {
            for l in 0..layers {
                ctx.queue.write_buffer(&self.weights[l], 0, bytemuck::cast_slice(&weights[l]));
                ctx.queue.write_buffer(&self.biases[l], 0, bytemuck::cast_slice(&biases[l]));
            }
            let mut enc = self.encode(ctx, "INR forward", &self.forward_ops);
            enc.copy_buffer_to_buffer(&self.output, 0, &self.output_readback, 0, self.points as u64 * 4);
            (&self.output_readback, ctx.queue.submit([enc.finish()]))
        })?;
        read_back(ctx, rb, submission, "INR forward readback")
    }

    /// The gradient of `Σ g_m σ̂_m` for the `upstream` `g` at the last [`Self::forward`]'s
    /// parameters: every layer's `∂/∂Wᵀ` (column-major `out × in`), then every bias's.
    pub fn backward(&self, ctx: &GpuContext, upstream: &[f32]) -> Result<Vec<f32>, GpuError> {
        if upstream.len() != self.points {
            return Err(GpuError::Wgpu { stage: "INR backward", message: format!("{} upstream values for {} points", upstream.len(), self.points) });
        }
        let (rb, submission) = scoped(ctx, "INR backward", || {
            ctx.queue.write_buffer(&self.upstream, 0, bytemuck::cast_slice(upstream));
            let mut enc = self.encode(ctx, "INR backward", &self.backward_ops);
            let mut offset = 0;
            for (buffers, sizes) in [(&self.weight_grads, self.dims.windows(2).map(|w| w[0] * w[1]).collect::<Vec<_>>()), (&self.bias_grads, self.dims[1..].to_vec())] {
                for (buffer, floats) in buffers.iter().zip(sizes) {
                    enc.copy_buffer_to_buffer(buffer, 0, &self.grad_readback, offset, floats as u64 * 4);
                    offset += floats as u64 * 4;
                }
            }
            (&self.grad_readback, ctx.queue.submit([enc.finish()]))
        })?;
        read_back(ctx, rb, submission, "INR backward readback")
    }
}
