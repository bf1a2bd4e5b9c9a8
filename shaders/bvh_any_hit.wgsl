// Occlusion queries: 1 where anything is hit in [t_min, t_max], else 0.
// CPU twin: rftwin_bvh::Bvh::any_hit.

@group(0) @binding(0) var<storage, read> nodes: array<BvhNode>;
@group(0) @binding(1) var<storage, read> triangles: array<BvhTriangle>;
@group(0) @binding(2) var<storage, read> rays: array<GpuRay>;
@group(0) @binding(3) var<storage, read_write> occluded: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn bvh_any_hit(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
    if (index >= arrayLength(&rays)) {
        return;
    }
    let ray = rays[index];
    occluded[index] = select(0u, 1u, trace_any(ray.origin, ray.dir, ray.t_min, ray.t_max, NO_HIT));
}
