//! Radar surrogates and their VJPs on the GPU (`surrogate` kernels). CPU twins:
//! `rftwin_radar::surrogate`. Plain-array interface; `rftwin_radar` (feature `gpu`)
//! wraps it for its echo and spectrum types.

use crate::context::GpuContext;
use crate::error::GpuError;
use crate::kernels::{Kernel, SURROGATE_FIELD, SURROGATE_NORMALIZER, SURROGATE_VJP_ECHO, SURROGATE_VJP_MEAN, SURROGATE_VJP_RANGE};
use crate::pipeline::{bind_buffers, check_fits, kernel_set, encode_dispatch, read_back, readback_buffer, scoped, storage_buffer, storage_entry, uniform, uniform_entry, upload};
use bytemuck::{Pod, Zeroable};

/// An echo as the surrogate kernels see it (32 bytes). Keep in sync with
/// shaders/surrogate.wgsl (`SurrogateEcho`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct GpuSurrogateEcho {
    /// Unit direction from the array centre.
    pub direction: [f32; 3],
    /// Range \[m\].
    pub range: f32,
    /// Complex weight with the random phase applied (re, im).
    pub weight: [f32; 2],
    /// Padding.
    pub pad: [f32; 2],
}

/// Gradient of a loss with respect to one echo (32 bytes). Keep in sync with
/// shaders/surrogate.wgsl (`EchoGrad`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct GpuEchoGrad {
    /// `∂L/∂d` (free 3-vector).
    pub direction: [f32; 3],
    /// `∂L/∂r`.
    pub range: f32,
    /// `∂L/∂Re v + j ∂L/∂Im v` (v: the phased weight).
    pub weight: [f32; 2],
    /// Padding.
    pub pad: [f32; 2],
}

/// Kernel parameters (32 bytes, a uniform). Keep in sync with shaders/surrogate.wgsl
/// (`SurrogateParams`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct SurrogateParams {
    /// Echoes.
    pub n_echoes: u32,
    /// Range bins.
    pub n_bins: u32,
    /// Look directions (1 for the range surrogate).
    pub n_dirs: u32,
    /// 1: range kernels normalised over the echoes of each bin (eq. 17 as printed).
    pub normalized: u32,
    /// Kernel width σ \[m\].
    pub sigma: f32,
    /// `k r` of the Airy kernel.
    pub kr: f32,
    /// 1: Airy angular kernel; 0: none (range surrogate).
    pub airy: u32,
    /// Padding.
    pub pad: u32,
}

/// The surrogate pipelines.
#[derive(Debug)]
pub struct GpuSurrogate {
    layout: wgpu::BindGroupLayout,
    pipelines: Vec<wgpu::ComputePipeline>,
}

const KERNELS: [Kernel; 5] = [SURROGATE_NORMALIZER, SURROGATE_FIELD, SURROGATE_VJP_ECHO, SURROGATE_VJP_MEAN, SURROGATE_VJP_RANGE];

struct Buffers {
    bind: wgpu::BindGroup,
    cells: wgpu::Buffer,
    grads: wgpu::Buffer,
}

impl GpuSurrogate {
    /// The surrogate pipelines (compiled once per device).
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        scoped(ctx, "surrogate pipelines", || {
            let mut entries: Vec<wgpu::BindGroupLayoutEntry> = (0..3).map(|b| storage_entry(b, true)).collect();
            entries.extend((3..7).map(|b| storage_entry(b, false)));
            entries.push(uniform_entry(7));
            let (layout, pipelines) = kernel_set(ctx, &KERNELS, &entries);
            GpuSurrogate { layout, pipelines }
        })
    }

    fn buffers(&self, ctx: &GpuContext, echoes: &[GpuSurrogateEcho], bins: &[f32], dirs: &[[f32; 3]], params: &SurrogateParams, cells: Option<&[[f32; 2]]>) -> Result<Buffers, GpuError> {
        let cells_n = (bins.len() * dirs.len()) as u64;
        let gamma_bytes = (echoes.len() * bins.len()) as u64 * 4;
        check_fits(ctx, &[("surrogate cells", cells_n * 8), ("surrogate γ (echoes × bins)", gamma_bytes), ("surrogate echoes", echoes.len() as u64 * 32)])?;
        let st = wgpu::BufferUsages::STORAGE;
        let d4: Vec<[f32; 4]> = dirs.iter().map(|d| [d[0], d[1], d[2], 0.0]).collect();
        let echo_buf = upload(ctx, "surrogate echoes", bytemuck::cast_slice(echoes), st);
        let bin_buf = upload(ctx, "surrogate bins", bytemuck::cast_slice(bins), st);
        let dir_buf = upload(ctx, "surrogate directions", bytemuck::cast_slice(&d4), st);
        let bin_data = storage_buffer(ctx, "surrogate bin data", bins.len() as u64 * 16);
        let cells = match cells {
            Some(c) => upload(ctx, "surrogate cells", bytemuck::cast_slice(c), st | wgpu::BufferUsages::COPY_SRC),
            None => storage_buffer(ctx, "surrogate cells", cells_n * 8),
        };
        let gamma = storage_buffer(ctx, "surrogate gamma", gamma_bytes);
        let grads = storage_buffer(ctx, "surrogate gradients", echoes.len() as u64 * 32);
        let ub = uniform(ctx, "surrogate params", params);
        let bind = bind_buffers(ctx, &self.layout, "surrogate", &[&echo_buf, &bin_buf, &dir_buf, &bin_data, &cells, &gamma, &grads, &ub]);
        Ok(Buffers { bind, cells, grads })
    }

    fn check(params: &SurrogateParams, echoes: &[GpuSurrogateEcho], bins: &[f32], dirs: &[[f32; 3]]) -> Result<(), GpuError> {
        let ok = params.n_echoes as usize == echoes.len() && params.n_bins as usize == bins.len() && params.n_dirs as usize == dirs.len();
        if !ok {
            return Err(GpuError::Wgpu { stage: "surrogate", message: format!("params say {}/{}/{} echoes/bins/directions, got {}/{}/{}", params.n_echoes, params.n_bins, params.n_dirs, echoes.len(), bins.len(), dirs.len()) });
        }
        Ok(())
    }

    /// The complex field `z(k, u)` (bins × directions, row-major).
    pub fn field(&self, ctx: &GpuContext, echoes: &[GpuSurrogateEcho], bins: &[f32], dirs: &[[f32; 3]], params: &SurrogateParams) -> Result<Vec<[f32; 2]>, GpuError> {
        Self::check(params, echoes, bins, dirs)?;
        let n_cells = (bins.len() * dirs.len()) as u64;
        if n_cells == 0 {
            return Ok(Vec::new());
        }
        let (rb, submission) = scoped(ctx, "surrogate field", || -> Result<_, GpuError> {
            let b = self.buffers(ctx, echoes, bins, dirs, params, None)?;
            let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("surrogate field") });
            encode_dispatch(ctx, &mut enc, &self.pipelines[0], &b.bind, &KERNELS[0], bins.len() as u64);
            encode_dispatch(ctx, &mut enc, &self.pipelines[1], &b.bind, &KERNELS[1], n_cells);
            let rb = readback_buffer(ctx, "surrogate readback", n_cells * 8);
            enc.copy_buffer_to_buffer(&b.cells, 0, &rb, 0, n_cells * 8);
            Ok((rb, ctx.queue.submit([enc.finish()])))
        })??;
        read_back(ctx, &rb, submission, "surrogate readback")
    }

    /// Per-echo gradients given `∂L/∂z` per cell (`grad_z`, `∂L/∂Re z + j ∂L/∂Im z`).
    pub fn vjp(&self, ctx: &GpuContext, echoes: &[GpuSurrogateEcho], bins: &[f32], dirs: &[[f32; 3]], params: &SurrogateParams, grad_z: &[[f32; 2]]) -> Result<Vec<GpuEchoGrad>, GpuError> {
        Self::check(params, echoes, bins, dirs)?;
        if grad_z.len() != bins.len() * dirs.len() {
            return Err(GpuError::Wgpu { stage: "surrogate VJP", message: format!("{} cell gradients for {} cells", grad_z.len(), bins.len() * dirs.len()) });
        }
        if echoes.is_empty() {
            return Ok(Vec::new());
        }
        let n = echoes.len() as u64;
        let (rb, submission) = scoped(ctx, "surrogate VJP", || -> Result<_, GpuError> {
            let b = self.buffers(ctx, echoes, bins, dirs, params, Some(grad_z))?;
            let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("surrogate VJP") });
            encode_dispatch(ctx, &mut enc, &self.pipelines[0], &b.bind, &KERNELS[0], bins.len() as u64);
            encode_dispatch(ctx, &mut enc, &self.pipelines[2], &b.bind, &KERNELS[2], n);
            if params.normalized != 0 {
                encode_dispatch(ctx, &mut enc, &self.pipelines[3], &b.bind, &KERNELS[3], bins.len() as u64);
                encode_dispatch(ctx, &mut enc, &self.pipelines[4], &b.bind, &KERNELS[4], n);
            }
            let rb = readback_buffer(ctx, "surrogate VJP readback", n * 32);
            enc.copy_buffer_to_buffer(&b.grads, 0, &rb, 0, n * 32);
            Ok((rb, ctx.queue.submit([enc.finish()])))
        })??;
        read_back(ctx, &rb, submission, "surrogate VJP readback")
    }
}
