//! Host structs shared with WGSL. Keep in sync with shaders/common/types.wgsl.

use bytemuck::{Pod, Zeroable};

/// A ray for the GPU (32 bytes). Keep in sync with shaders/common/types.wgsl (`GpuRay`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct GpuRay {
    /// Origin \[m\].
    pub origin: [f32; 3],
    /// Smallest accepted t.
    pub t_min: f32,
    /// Direction (t is in units of its length).
    pub dir: [f32; 3],
    /// Largest accepted t.
    pub t_max: f32,
}

/// A hit record (16 bytes); `triangle == NO_HIT` for a miss. Keep in sync with
/// shaders/common/types.wgsl (`GpuHit`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct GpuHit {
    /// Ray parameter of the hit.
    pub t: f32,
    /// Original triangle id, or [`NO_HIT`].
    pub triangle: u32,
    /// Barycentric coordinate of v1.
    pub u: f32,
    /// Barycentric coordinate of v2.
    pub v: f32,
}

/// Triangle id of a miss.
pub const NO_HIT: u32 = u32::MAX;

impl From<&rftwin_bvh::Ray> for GpuRay {
    fn from(r: &rftwin_bvh::Ray) -> Self {
        GpuRay { origin: r.o, t_min: r.t_min, dir: r.d, t_max: if r.t_max.is_finite() { r.t_max } else { f32::MAX } }
    }
}
