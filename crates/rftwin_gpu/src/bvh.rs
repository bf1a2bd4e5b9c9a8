//! The BVH on the GPU: upload once, then batched closest-hit queries.

use crate::context::GpuContext;
use crate::error::GpuError;
use crate::kernels::{BVH_ANY_HIT, BVH_CLOSEST_HIT};
use crate::pipeline::{bind_buffers, check_fits, kernel_set, encode_dispatch, read_back, readback_buffer, scoped, storage_buffer, storage_entry, upload};
use crate::layout::{GpuHit, GpuRay, NO_HIT};
use rftwin_bvh::Bvh;

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



impl GpuBvh {
    /// Uploads `bvh` (nodes and triangles must each fit one storage binding).
    pub fn upload(ctx: &GpuContext, bvh: &Bvh) -> Result<Self, GpuError> {
        let node_bytes = std::mem::size_of_val(bvh.nodes.as_slice()) as u64;
        let tri_bytes = std::mem::size_of_val(bvh.triangles.as_slice()) as u64;
        check_fits(ctx, &[("BVH nodes", node_bytes), ("BVH triangles", tri_bytes)])?;
        scoped(ctx, "BVH upload", || {
            let usage = wgpu::BufferUsages::STORAGE;
            let nodes = upload(ctx, "bvh nodes", bytemuck::cast_slice(&bvh.nodes), usage);
            let triangles = upload(ctx, "bvh triangles", bytemuck::cast_slice(&bvh.triangles), usage);
            let entries = [storage_entry(0, true), storage_entry(1, true), storage_entry(2, true), storage_entry(3, false)];
            let (layout, pipelines) = kernel_set(ctx, &[BVH_CLOSEST_HIT, BVH_ANY_HIT], &entries);
            let [pipeline, any_pipeline] = [pipelines[0].clone(), pipelines[1].clone()];
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
        let mut out = Vec::with_capacity(rays.len());
        for part in rays.chunks(ray_chunk(ctx)) {
            out.extend(self.dispatch::<GpuHit>(ctx, part, &self.pipeline)?);
        }
        Ok(out)
    }

    /// Whether each ray hits anything in `[t_min, t_max]` (CPU twin: `Bvh::any_hit`).
    pub fn any_hits(&self, ctx: &GpuContext, rays: &[GpuRay]) -> Result<Vec<bool>, GpuError> {
        if self.empty || rays.is_empty() {
            return Ok(vec![false; rays.len()]);
        }
        let mut out = Vec::with_capacity(rays.len());
        for part in rays.chunks(ray_chunk(ctx)) {
            out.extend(self.dispatch::<u32>(ctx, part, &self.any_pipeline)?.into_iter().map(|f| f != 0));
        }
        Ok(out)
    }

    fn dispatch<T: bytemuck::Pod>(&self, ctx: &GpuContext, rays: &[GpuRay], pipeline: &wgpu::ComputePipeline) -> Result<Vec<T>, GpuError> {
        let hit_bytes = (rays.len() * std::mem::size_of::<T>()) as u64;
        let (readback, submission) = scoped(ctx, "closest-hit dispatch", || {
            let ray_buf = upload(ctx, "rays", bytemuck::cast_slice(rays), wgpu::BufferUsages::STORAGE);
            let hit_buf = storage_buffer(ctx, "hits", hit_bytes);
            let readback = readback_buffer(ctx, "hits readback", hit_bytes);
            let bind = bind_buffers(ctx, &self.layout, "bvh query", &[&self.nodes, &self.triangles, &ray_buf, &hit_buf]);
            let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("BVH query") });
            encode_dispatch(ctx, &mut enc, pipeline, &bind, &BVH_CLOSEST_HIT, rays.len() as u64);
            enc.copy_buffer_to_buffer(&hit_buf, 0, &readback, 0, hit_bytes);
            let submission = ctx.queue.submit([enc.finish()]);
            (readback, submission)
        })?;
        let hits = read_back::<T>(ctx, &readback, submission, "BVH query readback")?;
        Ok(hits)
    }
}

/// Rays per dispatch: what fits one storage binding and the 2D dispatch limit (both
/// BVH kernels use 64-wide workgroups), capped at 4M.
fn ray_chunk(ctx: &GpuContext) -> usize {
    let limits = ctx.limits();
    let by_binding = ctx.max_binding_bytes() / std::mem::size_of::<GpuRay>() as u64;
    let groups = limits.max_compute_workgroups_per_dimension as u64;
    let by_dispatch = groups * groups * BVH_CLOSEST_HIT.workgroup_size as u64;
    by_binding.min(by_dispatch).clamp(1, 1 << 22) as usize
}

