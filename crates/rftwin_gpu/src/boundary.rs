//! Boundary term of solver (B) on the GPU (`shaders/boundary_rates.wgsl`): for each
//! point of a shadow curve, the shadow point's velocity relative to the target material
//! along the curve's in-surface normal, per coordinate it depends on. CPU twin: the
//! dual-number step of `rftwin_trace::scattering::boundary::boundary_samples`.

use crate::context::GpuContext;
use crate::error::GpuError;
use crate::kernels::BOUNDARY_RATES;
use crate::pipeline::{bind_buffers, check_fits, encode_dispatch, kernel_set, read_back, readback_buffer, scoped, storage_buffer, storage_entry, uniform, uniform_entry, upload};
use bytemuck::{Pod, Zeroable};

/// One shadow-curve point (80 bytes), coordinates relative to the eye. Keep in sync
/// with shaders/boundary_rates.wgsl (`BoundaryPoint`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Pod, Zeroable)]
pub struct BoundaryPoint {
    /// First vertex of the occluding edge.
    pub e0: [f32; 3],
    /// Position of the point along the edge, `p = e0 + λ (e1 − e0)`.
    pub lam: f32,
    /// Second vertex of the edge.
    pub e1: [f32; 3],
    /// Side of the plane (eye, edge) the occluder's faces lie on (±1).
    pub side: f32,
    /// First vertex of the target triangle behind the edge.
    pub v0: [f32; 3],
    /// Padding.
    pub pad0: f32,
    /// Second vertex.
    pub v1: [f32; 3],
    /// Padding.
    pub pad1: f32,
    /// Third vertex.
    pub v2: [f32; 3],
    /// Padding.
    pub pad2: f32,
}

/// Kernel parameters (16 bytes, a uniform). Keep in sync with
/// shaders/boundary_rates.wgsl (`BoundaryParams`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Pod, Zeroable)]
pub struct BoundaryParams {
    /// Number of points.
    pub count: u32,
    /// Padding.
    pub pad: [u32; 3],
}

/// What the kernel returns per point.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BoundaryRates {
    /// The shadow point, relative to the eye \[m\].
    pub x: [f32; 3],
    /// `|∂x/∂λ|`, the curve's length per unit edge parameter \[m\].
    pub dl: f32,
    /// In-surface unit normal of the curve, into the visible side.
    pub m: [f32; 3],
    /// `false` where the geometry is degenerate (no rates).
    pub valid: bool,
    /// `(∂x/∂ξ − v_material) · m` for the 18 coordinates ξ: edge vertex 0, edge vertex 1,
    /// target vertices 0, 1, 2, eye (x, y, z each).
    pub rates: [f32; 18],
}

/// Evaluates [`BoundaryRates`] for every point.
pub fn boundary_rates(ctx: &GpuContext, points: &[BoundaryPoint]) -> Result<Vec<BoundaryRates>, GpuError> {
    if points.is_empty() {
        return Ok(Vec::new());
    }
    check_fits(ctx, &[("boundary points", std::mem::size_of_val(points) as u64)])?;
    let out_bytes = (points.len() * 7 * 16) as u64;
    check_fits(ctx, &[("boundary rates", out_bytes)])?;
    let params = BoundaryParams { count: points.len() as u32, pad: [0; 3] };
    let (readback, submission) = scoped(ctx, "boundary rates", || {
        let pb = upload(ctx, "boundary points", bytemuck::cast_slice(points), wgpu::BufferUsages::STORAGE);
        let ub = uniform(ctx, "boundary params", &params);
        let out = storage_buffer(ctx, "boundary rates", out_bytes);
        let rb = readback_buffer(ctx, "boundary rates readback", out_bytes);
        let entries = [storage_entry(0, true), uniform_entry(1), storage_entry(2, false)];
        let (layout, pipelines) = kernel_set(ctx, &[BOUNDARY_RATES], &entries);
        let bind = bind_buffers(ctx, &layout, "boundary rates", &[&pb, &ub, &out]);
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("boundary rates") });
        encode_dispatch(ctx, &mut enc, &pipelines[0], &bind, &BOUNDARY_RATES, points.len() as u64);
        enc.copy_buffer_to_buffer(&out, 0, &rb, 0, out_bytes);
        (rb, ctx.queue.submit([enc.finish()]))
    })?;
    let raw = read_back::<[f32; 4]>(ctx, &readback, submission, "boundary rates readback")?;
    Ok(raw
        .chunks_exact(7)
        .map(|c| {
            let mut rates = [0.0; 18];
            for (j, r) in rates.iter_mut().enumerate() {
                *r = c[2 + j / 4][j % 4];
            }
            BoundaryRates { x: [c[0][0], c[0][1], c[0][2]], dl: c[0][3], m: [c[1][0], c[1][1], c[1][2]], valid: c[1][3] != 0.0, rates }
        })
        .collect())
}
