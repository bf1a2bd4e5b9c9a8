// BVH closest-hit traversal shared by the kernels. Expects module-scope bindings
// `nodes: array<BvhNode>` and `triangles: array<BvhTriangle>` in the kernel file.
// CPU twin: rftwin_bvh::Bvh::closest_hit.

const STACK_SIZE: u32 = 64u;
// 1 + 2γ₃ (PBRT robust ray–box): far distances scaled so rounding never culls a box.
const ROBUST_FAR: f32 = 1.0000003576;

fn box_entry(n: BvhNode, o: vec3<f32>, inv_d: vec3<f32>, t_min: f32, t_max: f32) -> f32 {
    let ta = (n.min - o) * inv_d;
    let tb = (n.max - o) * inv_d;
    let t0 = max(max(min(ta.x, tb.x), min(ta.y, tb.y)), max(min(ta.z, tb.z), t_min));
    let t1 = min(min(max(ta.x, tb.x), max(ta.y, tb.y)), max(ta.z, tb.z)) * ROBUST_FAR;
    if (t0 <= min(t1, t_max)) {
        return t0;
    }
    return -1.0;
}

// Returns (t, u, v) or t = -1 for a miss.
fn intersect_triangle(tri: BvhTriangle, o: vec3<f32>, d: vec3<f32>, t_min: f32, t_max: f32) -> vec3<f32> {
    let p = cross(d, tri.e2);
    let det = dot(tri.e1, p);
    if (det == 0.0) {
        return vec3<f32>(-1.0, 0.0, 0.0);
    }
    let inv = 1.0 / det;
    let s = o - tri.v0;
    let u = dot(s, p) * inv;
    if (u < 0.0 || u > 1.0) {
        return vec3<f32>(-1.0, 0.0, 0.0);
    }
    let q = cross(s, tri.e1);
    let v = dot(d, q) * inv;
    if (v < 0.0 || u + v > 1.0) {
        return vec3<f32>(-1.0, 0.0, 0.0);
    }
    let t = dot(tri.e2, q) * inv;
    if (t >= t_min && t <= t_max) {
        return vec3<f32>(t, u, v);
    }
    return vec3<f32>(-1.0, 0.0, 0.0);
}


// `skip` is a triangle id to ignore (the one a ray leaves), or NO_HIT.
fn trace_closest(origin: vec3<f32>, dir: vec3<f32>, t_min: f32, t_max_in: f32, skip: u32) -> GpuHit {
    let inv_d = 1.0 / dir;
    var best = GpuHit(0.0, NO_HIT, 0.0, 0.0);
    var t_max = t_max_in;
    var stack: array<u32, STACK_SIZE>;
    var sp = 0u;
    if (arrayLength(&nodes) == 0u || box_entry(nodes[0], origin, inv_d, t_min, t_max) < 0.0) {
        return best;
    }
    var node_index = 0u;
    loop {
        let node = nodes[node_index];
        var descend = false;
        if (node.count > 0u) {
            for (var k = 0u; k < node.count; k++) {
                let tri = triangles[node.left_or_first + k];
                if (tri.id == skip) {
                    continue;
                }
                let h = intersect_triangle(tri, origin, dir, t_min, t_max);
                if (h.x >= 0.0) {
                    t_max = h.x;
                    best = GpuHit(h.x, tri.id, h.y, h.z);
                }
            }
        } else {
            let l = node.left_or_first;
            let ta = box_entry(nodes[l], origin, inv_d, t_min, t_max);
            let tb = box_entry(nodes[l + 1u], origin, inv_d, t_min, t_max);
            if (ta >= 0.0 && tb >= 0.0) {
                var near = l;
                var far = l + 1u;
                if (tb < ta) {
                    near = l + 1u;
                    far = l;
                }
                if (sp < STACK_SIZE) {
                    stack[sp] = far;
                    sp += 1u;
                }
                node_index = near;
                descend = true;
            } else if (ta >= 0.0) {
                node_index = l;
                descend = true;
            } else if (tb >= 0.0) {
                node_index = l + 1u;
                descend = true;
            }
        }
        if (!descend) {
            var found = false;
            loop {
                if (sp == 0u) {
                    break;
                }
                sp -= 1u;
                let candidate = stack[sp];
                if (box_entry(nodes[candidate], origin, inv_d, t_min, t_max) >= 0.0) {
                    node_index = candidate;
                    found = true;
                    break;
                }
            }
            if (!found) {
                break;
            }
        }
    }
    return best;
}

// Whether anything is hit in (t_min, t_max), ignoring `skip`; stops at the first hit.
fn trace_any(origin: vec3<f32>, dir: vec3<f32>, t_min: f32, t_max: f32, skip: u32) -> bool {
    let inv_d = 1.0 / dir;
    var stack: array<u32, STACK_SIZE>;
    var sp = 0u;
    if (arrayLength(&nodes) == 0u || box_entry(nodes[0], origin, inv_d, t_min, t_max) < 0.0) {
        return false;
    }
    stack[0] = 0u;
    sp = 1u;
    loop {
        if (sp == 0u) {
            break;
        }
        sp -= 1u;
        let node = nodes[stack[sp]];
        if (node.count > 0u) {
            for (var k = 0u; k < node.count; k++) {
                let tri = triangles[node.left_or_first + k];
                if (tri.id != skip && intersect_triangle(tri, origin, dir, t_min, t_max).x >= 0.0) {
                    return true;
                }
            }
        } else {
            let l = node.left_or_first;
            for (var c = 0u; c < 2u; c++) {
                if (box_entry(nodes[l + c], origin, inv_d, t_min, t_max) >= 0.0 && sp < STACK_SIZE) {
                    stack[sp] = l + c;
                    sp += 1u;
                }
            }
        }
    }
    return false;
}
