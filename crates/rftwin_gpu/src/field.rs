//! Field calculation of resolved paths on the GPU (`shaders/path_field.wgsl`).

use crate::pipeline::{bind_buffers, check_fits, kernel_set, encode_dispatch, read_back, readback_buffer, scoped, storage_buffer, storage_entry, uniform, uniform_entry, upload};
use crate::context::GpuContext;
use crate::error::GpuError;
use crate::kernels::{PATH_FIELD, RIS_PHASE_VJP};
use bytemuck::{Pod, Zeroable};

/// Where a path's points and interactions start (16 bytes). Keep in sync with
/// shaders/path_field.wgsl (`FieldPath`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct FieldPath {
    /// Index of the path's first point (the transmitter) in the point array.
    pub first_point: u32,
    /// Index of its first interaction.
    pub first_interaction: u32,
    /// Number of interactions (points = interactions + 2).
    pub interactions: u32,
    /// Padding.
    pub pad: u32,
}

/// One interaction (64 bytes). Keep in sync with shaders/path_field.wgsl (`FieldInteraction`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Pod, Zeroable)]
pub struct FieldInteractionGpu {
    /// Unit surface normal (face 0's outward normal for a diffraction).
    pub normal: [f32; 3],
    /// [`KIND_REFLECTION`], [`KIND_REFRACTION`] or [`KIND_DIFFRACTION`].
    pub kind: u32,
    /// Complex relative permittivity.
    pub eta: [f32; 2],
    /// Slab thickness \[m\].
    pub thickness: f32,
    /// Exterior angle of the wedge over π (diffraction only).
    pub wedge_n: f32,
    /// Unit edge direction, `normal × edge` pointing into face 0 (diffraction only).
    pub edge: [f32; 3],
    /// Padding.
    pub pad0: f32,
    /// Outward normal of face n (diffraction only).
    pub normal_n: [f32; 3],
    /// Padding.
    pub pad1: f32,
}

/// [`FieldInteractionGpu::kind`] of a specular reflection.
pub const KIND_REFLECTION: u32 = 0;
/// [`FieldInteractionGpu::kind`] of a thin-slab refraction.
pub const KIND_REFRACTION: u32 = 1;
/// [`FieldInteractionGpu::kind`] of a wedge diffraction.
pub const KIND_DIFFRACTION: u32 = 2;
/// [`FieldInteractionGpu::kind`] of a RIS element (`thickness` carries its √RCS gain `g`;
/// the spreading restarts at each, so a path may hold several).
pub const KIND_RIS: u32 = 3;

/// An antenna (48 bytes): rotation columns, pattern code, slant angle. Keep in sync with
/// shaders/path_field.wgsl (`FieldAntenna`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct FieldAntenna {
    /// First column of R.
    pub col0: [f32; 3],
    /// 0 isotropic, 1 short dipole, 2 half-wave dipole.
    pub pattern: u32,
    /// Second column of R.
    pub col1: [f32; 3],
    /// Slant angle ζ \[rad\].
    pub slant: f32,
    /// Third column of R.
    pub col2: [f32; 3],
    /// Padding.
    pub pad: f32,
}

/// Kernel parameters (112 bytes, a uniform). Keep in sync with shaders/path_field.wgsl (`FieldParams`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct FieldParams {
    /// Transmit antenna.
    pub tx: FieldAntenna,
    /// Receive antenna.
    pub rx: FieldAntenna,
    /// Wavelength \[m\].
    pub wavelength: f32,
    /// Number of paths.
    pub count: u32,
    /// Padding.
    pub pad: [u32; 2],
}

/// Computes the coefficient `a` (re, im) of every path.
pub fn path_coefficients(ctx: &GpuContext, paths: &[FieldPath], points: &[[f32; 4]], interactions: &[FieldInteractionGpu], params: FieldParams) -> Result<Vec<[f32; 2]>, GpuError> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    check_fits(ctx, &[("path points", std::mem::size_of_val(points) as u64), ("path interactions", std::mem::size_of_val(interactions) as u64)])?;
    let params = FieldParams { count: paths.len() as u32, ..params };
    let out_bytes = (paths.len() * 8) as u64;
    let (readback, submission) = scoped(ctx, "path field", || {
        let usage = wgpu::BufferUsages::STORAGE;
        let pb = upload(ctx, "field paths", bytemuck::cast_slice(paths), usage);
        let vb = upload(ctx, "field points", bytemuck::cast_slice(points), usage);
        let ib = upload(ctx, "field interactions", bytemuck::cast_slice(interactions), usage);
        let ub = uniform(ctx, "field params", &params);
        let out = storage_buffer(ctx, "coefficients", out_bytes);
        let rb = readback_buffer(ctx, "coefficients readback", out_bytes);
        let entries = [storage_entry(0, true), storage_entry(1, true), storage_entry(2, true), uniform_entry(3), storage_entry(4, false)];
        let (layout, pipelines) = kernel_set(ctx, &[PATH_FIELD], &entries);
        let pipeline = &pipelines[0];
        let bind = bind_buffers(ctx, &layout, "path field", &[&pb, &vb, &ib, &ub, &out]);
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("path field") });
        encode_dispatch(ctx, &mut enc, pipeline, &bind, &PATH_FIELD, paths.len() as u64);
        enc.copy_buffer_to_buffer(&out, 0, &rb, 0, out_bytes);
        (rb, ctx.queue.submit([enc.finish()]))
    })?;
    read_back::<[f32; 2]>(ctx, &readback, submission, "path field readback")
}

/// One RIS element term for [`ris_phase_vjp`] (32 bytes). Keep in sync with
/// shaders/ris_phase_vjp.wgsl (`RisTerm`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Pod, Zeroable)]
pub struct RisTermGpu {
    /// The term's coefficient without `Γ` (re, im).
    pub b: [f32; 2],
    /// The element's `Γ_m` (re, im).
    pub gamma: [f32; 2],
    /// `τ − τ₀` \[s\], with `τ₀` folded into the frequency weights.
    pub dtau: f32,
    /// Padding.
    pub pad: [f32; 3],
}

/// [`ris_phase_vjp`] parameters (16 bytes, a uniform). Keep in sync with
/// shaders/ris_phase_vjp.wgsl (`VjpParams`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct RisVjpParams {
    /// Terms.
    pub terms: u32,
    /// Frequencies.
    pub frequencies: u32,
    /// Padding.
    pub pad: [u32; 2],
}

/// Per-term contributions `Σ_f Re{c_f j Γ b e^{−j2πfΔτ}}` to the phase gradient; `freqs`
/// holds `(Re c_f, Im c_f, f, 0)` with `c_f = conj(H̄_f) e^{−j2πfτ₀}`.
pub fn ris_phase_vjp(ctx: &GpuContext, terms: &[RisTermGpu], freqs: &[[f32; 4]]) -> Result<Vec<f32>, GpuError> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    if freqs.is_empty() {
        return Ok(vec![0.0; terms.len()]);
    }
    check_fits(ctx, &[("RIS terms", std::mem::size_of_val(terms) as u64)])?;
    let params = RisVjpParams { terms: terms.len() as u32, frequencies: freqs.len() as u32, pad: [0; 2] };
    let out_bytes = (terms.len() * 4) as u64;
    let (readback, submission) = scoped(ctx, "RIS phase VJP", || {
        let usage = wgpu::BufferUsages::STORAGE;
        let tb = upload(ctx, "RIS terms", bytemuck::cast_slice(terms), usage);
        let fb = upload(ctx, "RIS frequency weights", bytemuck::cast_slice(freqs), usage);
        let ub = uniform(ctx, "RIS VJP params", &params);
        let out = storage_buffer(ctx, "RIS term gradients", out_bytes);
        let rb = readback_buffer(ctx, "RIS term gradients readback", out_bytes);
        let entries = [storage_entry(0, true), storage_entry(1, true), uniform_entry(2), storage_entry(3, false)];
        let (layout, pipelines) = kernel_set(ctx, &[RIS_PHASE_VJP], &entries);
        let bind = bind_buffers(ctx, &layout, "RIS phase VJP", &[&tb, &fb, &ub, &out]);
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("RIS phase VJP") });
        encode_dispatch(ctx, &mut enc, &pipelines[0], &bind, &RIS_PHASE_VJP, terms.len() as u64);
        enc.copy_buffer_to_buffer(&out, 0, &rb, 0, out_bytes);
        (rb, ctx.queue.submit([enc.finish()]))
    })?;
    read_back::<f32>(ctx, &readback, submission, "RIS phase VJP readback")
}
