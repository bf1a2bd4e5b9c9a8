// Boundary term of solver (B): per shadow-curve point, the velocity of the shadow point
// relative to the target material, projected on the curve's in-surface normal, for each
// of the 18 coordinates it depends on (the occluding edge's two vertices, the target
// triangle's three, the eye), plus the curve's length element dl/dλ. CPU twin: step 3 of
// rftwin_trace::boundary::boundary_samples (dual numbers there, closed-form derivatives
// here). Coordinates are relative to the eye, so the eye sits at the origin.

struct BoundaryPoint {
    e0: vec3<f32>,
    lam: f32,
    e1: vec3<f32>,
    side: f32,
    v0: vec3<f32>,
    pad0: f32,
    v1: vec3<f32>,
    pad1: f32,
    v2: vec3<f32>,
    pad2: f32,
}

struct BoundaryParams {
    count: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<storage, read> points: array<BoundaryPoint>;
@group(0) @binding(1) var<uniform> params: BoundaryParams;
// 7 vec4 per point: (x, dl), (m, valid), then the 18 rates w·m (slots e0, e1, v0, v1,
// v2, eye; x, y, z each), padded to 20.
@group(0) @binding(2) var<storage, read_write> rates: array<vec4<f32>>;

override WORKGROUP_SIZE: u32 = 64u;

fn axis_vector(axis: u32) -> vec3<f32> {
    var u = vec3<f32>(0.0, 0.0, 0.0);
    u[axis] = 1.0;
    return u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn boundary_rates(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
    if (index >= params.count) {
        return;
    }
    let q = points[index];
    let base = 7u * index;
    let edge = q.e1 - q.e0;
    let p = q.e0 + edge * q.lam;
    let e20 = q.v2 - q.v0;
    let e10 = q.v1 - q.v0;
    let n = cross(e10, e20);
    let big_a = dot(n, q.v0);
    let big_b = dot(n, p);
    let s = big_a / big_b;
    let x = p * s;
    let dx_dlam = p * (-s * dot(n, edge) / big_b) + edge * s;
    let dl = length(dx_dlam);
    var valid = 1.0;
    if (!(dl > 0.0) || !(abs(big_b) > 0.0)) {
        valid = 0.0;
    }
    let n_hat = normalize(n);
    var m = normalize(cross(n_hat, dx_dlam / dl));
    let k = cross(q.e0, q.e1);
    if (dot(m, k) * q.side > 0.0) {
        m = -m;
    }
    // barycentric coordinates of x in (v0, v1, v2)
    let w = x - q.v0;
    let d00 = dot(e10, e10);
    let d01 = dot(e10, e20);
    let d11 = dot(e20, e20);
    let d20 = dot(w, e10);
    let d21 = dot(w, e20);
    let den = d00 * d11 - d01 * d01;
    let b1 = (d11 * d20 - d01 * d21) / den;
    let b2 = (d00 * d21 - d01 * d20) / den;
    let bary = vec3<f32>(1.0 - b1 - b2, b1, b2);
    rates[base] = vec4<f32>(x, dl);
    rates[base + 1u] = vec4<f32>(m, valid);
    var out: array<f32, 20>;
    for (var slot = 0u; slot < 6u; slot++) {
        for (var axis = 0u; axis < 3u; axis++) {
            let u = axis_vector(axis);
            var dp = vec3<f32>(0.0);
            var dv0 = vec3<f32>(0.0);
            var dv1 = vec3<f32>(0.0);
            var dv2 = vec3<f32>(0.0);
            var dc = vec3<f32>(0.0);
            if (slot == 0u) {
                dp = u * (1.0 - q.lam);
            } else if (slot == 1u) {
                dp = u * q.lam;
            } else if (slot == 2u) {
                dv0 = u;
            } else if (slot == 3u) {
                dv1 = u;
            } else if (slot == 4u) {
                dv2 = u;
            } else {
                dc = u;
            }
            let dn = cross(dv1 - dv0, e20) + cross(e10, dv2 - dv0);
            let da = dot(dn, q.v0) + dot(n, dv0 - dc);
            let db = dot(dn, p) + dot(n, dp - dc);
            let ds = (da - s * db) / big_b;
            var dx = dc + p * ds + (dp - dc) * s;
            if (slot >= 2u && slot <= 4u) {
                // the material point under x moves with its triangle
                dx -= u * bary[slot - 2u];
            }
            out[3u * slot + axis] = dot(dx, m);
        }
    }
    for (var j = 0u; j < 5u; j++) {
        rates[base + 2u + j] = vec4<f32>(out[4u * j], out[4u * j + 1u], out[4u * j + 2u], out[4u * j + 3u]);
    }
}
