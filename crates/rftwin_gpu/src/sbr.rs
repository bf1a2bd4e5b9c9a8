//! Shooting and bouncing of rays on the GPU (candidate chains for solver A).

use crate::pipeline::{compute_pipeline, encode_dispatch, read_back, scoped, storage_entry, uniform_entry};
use crate::context::GpuContext;
use crate::error::GpuError;
use crate::kernels::SBR_CANDIDATES;
use bytemuck::{Pod, Zeroable};
use rftwin_bvh::Bvh;
use wgpu::util::DeviceExt;

/// Per-triangle data of the SBR kernel (32 bytes). Keep in sync with
/// shaders/sbr_candidates.wgsl (`TriInfo`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct TriInfo {
    /// Unit normal.
    pub normal: [f32; 3],
    /// Mirror-plane id.
    pub plane: u32,
    /// Material index.
    pub material: u32,
    /// Padding.
    pub pad: [u32; 3],
}

/// A slab material (16 bytes). Keep in sync with shaders/sbr_candidates.wgsl (`SlabMaterial`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct SlabMaterial {
    /// Complex relative permittivity (re, im).
    pub eta: [f32; 2],
    /// Thickness [m].
    pub thickness: f32,
    /// Padding.
    pub pad: f32,
}

/// Kernel parameters (48 bytes, a uniform). Keep in sync with shaders/sbr_candidates.wgsl (`SbrParams`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct SbrParams {
    /// Ray origin [m].
    pub source: [f32; 3],
    /// Lattice size N.
    pub samples: u32,
    /// First sample of this dispatch.
    pub first_sample: u32,
    /// Samples in this dispatch.
    pub count: u32,
    /// Bounces.
    pub max_depth: u32,
    /// Bit 0: specular reflection, bit 1: refraction.
    pub flags: u32,
    /// Seed of the reflect-or-refract choices.
    pub seed: u32,
    /// Wavelength [m].
    pub wavelength: f32,
    /// Smallest t after the first bounce [m].
    pub t_min: f32,
    /// Padding.
    pub pad: u32,
}

/// Chain code of a refraction (as in `rftwin_trace::candidates::REFRACTION_CODE`).
pub const REFRACTION: u32 = u32::MAX;

/// The SBR pipeline with the scene uploaded.
#[derive(Debug)]
pub struct GpuSbr {
    buffers: [wgpu::Buffer; 4],
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    empty: bool,
}

impl GpuSbr {
    /// Uploads the BVH, per-triangle data (indexed by original triangle id) and materials.
    pub fn new(ctx: &GpuContext, bvh: &Bvh, tri_info: &[TriInfo], materials: &[SlabMaterial]) -> Result<Self, GpuError> {
        for (what, bytes) in [
            ("BVH nodes", std::mem::size_of_val(bvh.nodes.as_slice())),
            ("BVH triangles", std::mem::size_of_val(bvh.triangles.as_slice())),
            ("triangle data", std::mem::size_of_val(tri_info)),
        ] {
            let limit = ctx.max_binding_bytes();
            if bytes as u64 > limit {
                return Err(GpuError::TooLarge { what, needed: bytes as u64, limit });
            }
        }
        scoped(ctx, "SBR upload", || {
            let usage = wgpu::BufferUsages::STORAGE;
            let init = |label: &str, bytes: &[u8]| {
                // zero-sized bindings are invalid: pad empty arrays with one element
                let pad = [0u8; 64];
                let contents = if bytes.is_empty() { &pad[..] } else { bytes };
                ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents, usage })
            };
            let buffers = [
                init("bvh nodes", bytemuck::cast_slice(&bvh.nodes)),
                init("bvh triangles", bytemuck::cast_slice(&bvh.triangles)),
                init("triangle data", bytemuck::cast_slice(tri_info)),
                init("materials", bytemuck::cast_slice(materials)),
            ];
            let layout = ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("sbr"),
                entries: &[storage_entry(0, true), storage_entry(1, true), storage_entry(2, true), storage_entry(3, true), uniform_entry(4), storage_entry(5, false), storage_entry(6, false)],
            });
            let pipeline = compute_pipeline(ctx, &layout, &SBR_CANDIDATES);
            GpuSbr { buffers, pipeline, layout, empty: bvh.nodes.is_empty() }
        })
    }

    /// Traces samples `params.first_sample ..` in dispatches of at most `chunk` and calls
    /// `sink(first_sample, chains, depths)` for each (chains: `count × max_depth` codes,
    /// depths: bounces recorded per sample).
    pub fn run(&self, ctx: &GpuContext, params: SbrParams, chunk: u32, mut sink: impl FnMut(u32, &[u32], &[u32])) -> Result<(), GpuError> {
        if self.empty || params.samples == 0 || params.max_depth == 0 {
            return Ok(());
        }
        let md = params.max_depth as u64;
        let by_binding = (ctx.max_binding_bytes() / (4 * md)).min(u32::MAX as u64) as u32;
        let chunk = chunk.min(by_binding).max(1);
        let mut first = 0u32;
        while first < params.samples {
            let count = chunk.min(params.samples - first);
            let p = SbrParams { first_sample: first, count, ..params };
            let chain_bytes = count as u64 * md * 4;
            let depth_bytes = count as u64 * 4;
            let (chain_rb, depth_rb, submission) = scoped(ctx, "SBR dispatch", || {
                let ub = ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some("sbr params"), contents: bytemuck::bytes_of(&p), usage: wgpu::BufferUsages::UNIFORM });
                let mk = |label, size| ctx.device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size, usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC, mapped_at_creation: false });
                let rb = |label, size| ctx.device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size, usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
                let (chains, depths) = (mk("chains", chain_bytes), mk("depths", depth_bytes));
                let (chain_rb, depth_rb) = (rb("chains readback", chain_bytes), rb("depths readback", depth_bytes));
                let entries: Vec<wgpu::BindGroupEntry> = vec![
                    wgpu::BindGroupEntry { binding: 0, resource: self.buffers[0].as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: self.buffers[1].as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 2, resource: self.buffers[2].as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 3, resource: self.buffers[3].as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 4, resource: ub.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 5, resource: chains.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 6, resource: depths.as_entire_binding() },
                ];
                let bind = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some("sbr"), layout: &self.layout, entries: &entries });
                let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("sbr") });
                encode_dispatch(ctx, &mut enc, &self.pipeline, &bind, &SBR_CANDIDATES, count as u64);
                enc.copy_buffer_to_buffer(&chains, 0, &chain_rb, 0, chain_bytes);
                enc.copy_buffer_to_buffer(&depths, 0, &depth_rb, 0, depth_bytes);
                (chain_rb, depth_rb, ctx.queue.submit([enc.finish()]))
            })?;
            let chains = read_back::<u32>(ctx, &chain_rb, submission.clone(), "SBR readback")?;
            let depths = read_back::<u32>(ctx, &depth_rb, submission, "SBR readback")?;
            sink(first, &chains, &depths);
            first += count;
        }
        Ok(())
    }
}
