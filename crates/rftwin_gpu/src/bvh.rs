//! The BVH on the GPU: upload once, then batched closest-hit queries.

use crate::context::GpuContext;
use crate::error::GpuError;
use crate::kernels::BVH_CLOSEST_HIT;
use crate::layout::{GpuHit, GpuRay, NO_HIT};
use rftwin_bvh::{Bvh, BvhNode, BvhTriangle};
use wgpu::util::DeviceExt;

/// A BVH uploaded to the GPU with its closest-hit pipeline.
#[derive(Debug)]
pub struct GpuBvh {
    nodes: wgpu::Buffer,
    triangles: wgpu::Buffer,
    empty: bool,
    pipeline: wgpu::ComputePipeline,
    any_pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

pub(crate) fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Storage { read_only }, has_dynamic_offset: false, min_binding_size: None },
        count: None,
    }
}

/// Runs `f` inside validation and out-of-memory error scopes and turns a captured
/// error into [`GpuError::Wgpu`].
pub(crate) fn scoped<T>(ctx: &GpuContext, stage: &'static str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
    let oom = ctx.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let validation = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let out = f();
    let v = pollster::block_on(validation.pop());
    let o = pollster::block_on(oom.pop());
    if let Some(e) = v.or(o) {
        return Err(GpuError::Wgpu { stage, message: e.to_string() });
    }
    ctx.check_lost(stage)?;
    Ok(out)
}

fn check_size(ctx: &GpuContext, what: &'static str, bytes: u64) -> Result<(), GpuError> {
    let limit = ctx.max_binding_bytes();
    if bytes > limit {
        return Err(GpuError::TooLarge { what, needed: bytes, limit });
    }
    Ok(())
}

impl GpuBvh {
    /// Uploads `bvh` (nodes and triangles must each fit one storage binding).
    pub fn upload(ctx: &GpuContext, bvh: &Bvh) -> Result<Self, GpuError> {
        let node_bytes = std::mem::size_of_val(bvh.nodes.as_slice()) as u64;
        let tri_bytes = std::mem::size_of_val(bvh.triangles.as_slice()) as u64;
        check_size(ctx, "BVH nodes", node_bytes)?;
        check_size(ctx, "BVH triangles", tri_bytes)?;
        scoped(ctx, "BVH upload", || {
            // Zero-sized storage bindings are not allowed: an empty BVH gets one dummy element.
            let nodes: Vec<BvhNode> = if bvh.nodes.is_empty() { vec![bytemuck::Zeroable::zeroed()] } else { bvh.nodes.clone() };
            let tris: Vec<BvhTriangle> = if bvh.triangles.is_empty() { vec![bytemuck::Zeroable::zeroed()] } else { bvh.triangles.clone() };
            let usage = wgpu::BufferUsages::STORAGE;
            let nodes = ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some("bvh nodes"), contents: bytemuck::cast_slice(&nodes), usage });
            let triangles = ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some("bvh triangles"), contents: bytemuck::cast_slice(&tris), usage });
            let layout = ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("bvh closest hit"),
                entries: &[storage_entry(0, true), storage_entry(1, true), storage_entry(2, true), storage_entry(3, false)],
            });
            let pipeline_layout = ctx.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("bvh closest hit"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
            let make = |k: &crate::kernels::Kernel| {
                let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(k.name), source: wgpu::ShaderSource::Wgsl(k.source.into()) });
                ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(k.name),
                    layout: Some(&pipeline_layout),
                    module: &module,
                    entry_point: Some(k.entry_point),
                    compilation_options: Default::default(),
                    cache: None,
                })
            };
            let pipeline = make(&BVH_CLOSEST_HIT);
            let any_pipeline = make(&crate::kernels::BVH_ANY_HIT);
            GpuBvh { nodes, triangles, empty: bvh.nodes.is_empty(), pipeline, any_pipeline, layout }
        })
    }

    /// Nearest hits of `rays` (misses have `triangle == NO_HIT`). Rays are processed in
    /// chunks that fit the adapter's binding and dispatch limits.
    pub fn closest_hits(&self, ctx: &GpuContext, rays: &[GpuRay]) -> Result<Vec<GpuHit>, GpuError> {
        let miss = GpuHit { t: 0.0, triangle: NO_HIT, u: 0.0, v: 0.0 };
        if self.empty || rays.is_empty() {
            return Ok(vec![miss; rays.len()]);
        }
        let limits = ctx.limits();
        let wg = BVH_CLOSEST_HIT.workgroup_size as u64;
        let by_binding = ctx.max_binding_bytes() / std::mem::size_of::<GpuRay>() as u64;
        let by_dispatch = limits.max_compute_workgroups_per_dimension as u64 * limits.max_compute_workgroups_per_dimension as u64 * wg;
        let chunk = by_binding.min(by_dispatch).clamp(1, 1 << 22) as usize;
        let mut out = Vec::with_capacity(rays.len());
        for part in rays.chunks(chunk) {
            out.extend(self.dispatch::<GpuHit>(ctx, part, &self.pipeline)?);
        }
        Ok(out)
    }

    /// Whether each ray hits anything in `[t_min, t_max]` (CPU twin: `Bvh::any_hit`).
    pub fn any_hits(&self, ctx: &GpuContext, rays: &[GpuRay]) -> Result<Vec<bool>, GpuError> {
        if self.empty || rays.is_empty() {
            return Ok(vec![false; rays.len()]);
        }
        let limits = ctx.limits();
        let by_binding = ctx.max_binding_bytes() / std::mem::size_of::<GpuRay>() as u64;
        let by_dispatch = limits.max_compute_workgroups_per_dimension as u64 * limits.max_compute_workgroups_per_dimension as u64 * 64;
        let chunk = by_binding.min(by_dispatch).clamp(1, 1 << 22) as usize;
        let mut out = Vec::with_capacity(rays.len());
        for part in rays.chunks(chunk) {
            out.extend(self.dispatch::<u32>(ctx, part, &self.any_pipeline)?.into_iter().map(|f| f != 0));
        }
        Ok(out)
    }

    fn dispatch<T: bytemuck::Pod>(&self, ctx: &GpuContext, rays: &[GpuRay], pipeline: &wgpu::ComputePipeline) -> Result<Vec<T>, GpuError> {
        let bytes = std::mem::size_of_val(rays) as u64;
        let hit_bytes = (rays.len() * std::mem::size_of::<T>()) as u64;
        let (readback, submission) = scoped(ctx, "closest-hit dispatch", || {
            let ray_buf = ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some("rays"), contents: bytemuck::cast_slice(rays), usage: wgpu::BufferUsages::STORAGE });
            let hit_buf = ctx.device.create_buffer(&wgpu::BufferDescriptor { label: Some("hits"), size: hit_bytes, usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC, mapped_at_creation: false });
            let readback = ctx.device.create_buffer(&wgpu::BufferDescriptor { label: Some("hits readback"), size: hit_bytes, usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
            let bind = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("bvh closest hit"),
                layout: &self.layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: self.nodes.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: self.triangles.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 2, resource: ray_buf.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 3, resource: hit_buf.as_entire_binding() },
                ],
            });
            let groups = (rays.len() as u64).div_ceil(BVH_CLOSEST_HIT.workgroup_size as u64);
            let max = ctx.limits().max_compute_workgroups_per_dimension as u64;
            let (gx, gy) = (groups.min(max), groups.div_ceil(max));
            let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("closest hit") });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("closest hit"), timestamp_writes: None });
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &bind, &[]);
                pass.dispatch_workgroups(gx as u32, gy as u32, 1);
            }
            enc.copy_buffer_to_buffer(&hit_buf, 0, &readback, 0, hit_bytes);
            let submission = ctx.queue.submit([enc.finish()]);
            let _ = bytes;
            (readback, submission)
        })?;
        let hits = read_back::<T>(ctx, &readback, submission, "BVH query readback")?;
        Ok(hits)
    }
}

/// Maps a MAP_READ buffer after `submission` and copies it out.
pub(crate) fn read_back<T: bytemuck::Pod>(ctx: &GpuContext, buffer: &wgpu::Buffer, submission: wgpu::SubmissionIndex, stage: &'static str) -> Result<Vec<T>, GpuError> {
    let slice = buffer.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    ctx.device
        .poll(wgpu::PollType::Wait { submission_index: Some(submission), timeout: Some(std::time::Duration::from_secs(600)) })
        .map_err(|e| GpuError::DeviceLost { stage, message: e.to_string() })?;
    rx.recv()
        .map_err(|e| GpuError::DeviceLost { stage, message: e.to_string() })?
        .map_err(|e| GpuError::Wgpu { stage, message: e.to_string() })?;
    let data = slice.get_mapped_range().map_err(|e| GpuError::Wgpu { stage, message: e.to_string() })?;
    let out: Vec<T> = bytemuck::cast_slice(&data).to_vec();
    drop(data);
    buffer.unmap();
    ctx.check_lost(stage)?;
    Ok(out)
}
