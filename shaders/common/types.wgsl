// Shared WGSL structs. Keep in sync with their #[repr(C)] host twins:
// BvhNode, BvhTriangle (rftwin_bvh::layout), GpuRay, GpuHit (rftwin_gpu::layout).
// tests/shaders.rs in rftwin_gpu compares offsets and sizes with naga's reflection.

struct BvhNode {
    min: vec3<f32>,
    left_or_first: u32,
    max: vec3<f32>,
    count: u32,
}

struct BvhTriangle {
    v0: vec3<f32>,
    id: u32,
    e1: vec3<f32>,
    pad1: u32,
    e2: vec3<f32>,
    pad2: u32,
}

struct GpuRay {
    origin: vec3<f32>,
    t_min: f32,
    dir: vec3<f32>,
    t_max: f32,
}

struct GpuHit {
    t: f32,
    triangle: u32,
    u: f32,
    v: f32,
}

const NO_HIT: u32 = 0xffffffffu;
