//! Solver (B) on the GPU: the `scatter_samples` kernel casts the sampling rays, finds the
//! first target hit, tests element visibility and follows the optional second bounce.
//! CPU twin: `rftwin_trace::scattering::surface_scattering`.

use crate::context::GpuContext;
use crate::error::GpuError;
use crate::kernels::SCATTER_SAMPLES;
use crate::pipeline::{bind_buffers, kernel_set, encode_dispatch, read_back, readback_buffer, scoped, storage_buffer, storage_entry, uniform, uniform_entry, upload, upload_scene};
use crate::sbr::SlabMaterial;
use bytemuck::{Pod, Zeroable};
use rftwin_bvh::Bvh;

/// Per-triangle data of the scattering kernel (32 bytes). Keep in sync with
/// shaders/scatter_samples.wgsl (`ScatterTri`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct ScatterTri {
    /// Unit normal.
    pub normal: [f32; 3],
    /// Material index.
    pub material: u32,
    /// 1 if the triangle's object scatters, 0 if it only occludes.
    pub is_target: u32,
    /// Padding.
    pub pad: [u32; 3],
}

/// Kernel parameters (96 bytes, a uniform). Keep in sync with
/// shaders/scatter_samples.wgsl (`ScatterParams`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct ScatterParams {
    /// Array centre, the rays' origin \[m\].
    pub center: [f32; 3],
    /// Rays in the whole estimate (the `N` of the area weight).
    pub samples: u32,
    /// Cone axis.
    pub axis: [f32; 3],
    /// First ray of this dispatch.
    pub first_sample: u32,
    /// First tangent of the cone frame.
    pub t1: [f32; 3],
    /// Rays in this dispatch.
    pub count: u32,
    /// Second tangent of the cone frame.
    pub t2: [f32; 3],
    /// Seed of the ray directions.
    pub seed: u32,
    /// `1 − cos θ_max` of the cone.
    pub one_minus_cos_max: f32,
    /// Solid-angle pdf `1 / (2π (1 − cos θ_max))`.
    pub pdf_omega: f32,
    /// Wavelength \[m\].
    pub wavelength: f32,
    /// Diffuse share.
    pub diffuse: f32,
    /// Distance tolerance for stepping off surfaces \[m\].
    pub eps: f32,
    /// Elements to test visibility against (0: none).
    pub n_elements: u32,
    /// 1: follow the second bounce.
    pub second_bounce: u32,
    /// Padding.
    pub pad: u32,
}

/// What happened to one ray (64 bytes). Keep in sync with shaders/scatter_samples.wgsl
/// (`ScatterRecord`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct ScatterRecord {
    /// First-bounce point \[m\].
    pub point: [f32; 3],
    /// Its triangle (original id).
    pub triangle: u32,
    /// Barycentric coordinates `(b1, b2)`.
    pub bary: [f32; 2],
    /// Monte Carlo area weight \[m²\].
    pub area_weight: f32,
    /// Echo amplitude.
    pub amplitude: f32,
    /// Second-bounce point \[m\].
    pub point2: [f32; 3],
    /// Second-bounce triangle, `u32::MAX` when there is none.
    pub triangle2: u32,
    /// Extra path of the two-bounce echo \[m\].
    pub extra_path: f32,
    /// Two-bounce amplitude.
    pub amplitude2: f32,
    /// [`outcome`] code.
    pub outcome: u32,
    /// Padding.
    pub pad: u32,
}

/// Outcome codes of [`ScatterRecord::outcome`].
pub mod outcome {
    /// A surface sample.
    pub const SAMPLE: u32 = 0;
    /// The ray hit nothing.
    pub const MISSED: u32 = 1;
    /// The first hit is not a target.
    pub const OCCLUDED: u32 = 2;
    /// Grazing hit (cos θ < 1e-6), dropped.
    pub const GRAZING: u32 = 3;
    /// Some, not all, elements see the sample.
    pub const PARTIAL: u32 = 4;
    /// No element sees the sample.
    pub const ELEMENT_OCCLUDED: u32 = 5;
}

/// The scattering pipeline with the scene uploaded.
#[derive(Debug)]
pub struct GpuScatter {
    buffers: [wgpu::Buffer; 4],
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

impl GpuScatter {
    /// Uploads the BVH, per-triangle data (indexed by original triangle id) and materials.
    pub fn new(ctx: &GpuContext, bvh: &Bvh, tris: &[ScatterTri], materials: &[SlabMaterial]) -> Result<Self, GpuError> {
        let buffers = upload_scene(ctx, bvh, tris, materials)?;
        scoped(ctx, "scattering pipeline", || {
            let mut entries: Vec<wgpu::BindGroupLayoutEntry> = (0..5).map(|b| storage_entry(b, true)).collect();
            entries.push(uniform_entry(5));
            entries.push(storage_entry(6, false));
            let (layout, mut pipelines) = kernel_set(ctx, &[SCATTER_SAMPLES], &entries);
            let pipeline = pipelines.remove(0);
            GpuScatter { buffers, pipeline, layout }
        })
    }

    /// Casts rays `0 .. params.samples` in dispatches of at most `chunk` rays and calls
    /// `sink(first_ray, records)` for each. `elements` are positions \[m\] to test each
    /// sample's visibility against.
    pub fn run(&self, ctx: &GpuContext, params: ScatterParams, elements: &[[f32; 3]], chunk: u32, mut sink: impl FnMut(u32, &[ScatterRecord])) -> Result<(), GpuError> {
        let record = std::mem::size_of::<ScatterRecord>() as u64;
        let chunk = (chunk as u64).min(ctx.max_binding_bytes() / record).max(1) as u32;
        let el: Vec<[f32; 4]> = elements.iter().map(|e| [e[0], e[1], e[2], 0.0]).collect();
        let el_buf = upload(ctx, "elements", bytemuck::cast_slice(&el), wgpu::BufferUsages::STORAGE);
        let mut first = 0u32;
        while first < params.samples {
            let count = chunk.min(params.samples - first);
            let p = ScatterParams { first_sample: first, count, n_elements: elements.len() as u32, ..params };
            let bytes = count as u64 * record;
            let (rb, submission) = scoped(ctx, "scattering dispatch", || {
                let ub = uniform(ctx, "scatter params", &p);
                let out = storage_buffer(ctx, "scatter records", bytes);
                let rb = readback_buffer(ctx, "scatter readback", bytes);
                let [b0, b1, b2, b3] = &self.buffers;
                let bind = bind_buffers(ctx, &self.layout, "scatter", &[b0, b1, b2, b3, &el_buf, &ub, &out]);
                let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("scatter") });
                encode_dispatch(ctx, &mut enc, &self.pipeline, &bind, &SCATTER_SAMPLES, count as u64);
                enc.copy_buffer_to_buffer(&out, 0, &rb, 0, bytes);
                (rb, ctx.queue.submit([enc.finish()]))
            })?;
            let records = read_back::<ScatterRecord>(ctx, &rb, submission, "scattering readback")?;
            sink(first, &records);
            first += count;
        }
        Ok(())
    }
}
