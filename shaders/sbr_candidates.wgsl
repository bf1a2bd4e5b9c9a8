// Shooting and bouncing of rays: one invocation per sample of the Fibonacci lattice;
// records the interaction chain (mirror plane id, or REFRACTION) of every bounce.
// CPU twin: rftwin_trace::candidates::trace_samples (same lattice; the reflect-or-
// refract choice uses its own hash-based random stream, so individual candidates may
// differ while the resolved paths agree).

struct TriInfo {
    normal: vec3<f32>,
    plane: u32,
    material: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

struct SbrParams {
    source: vec3<f32>,
    samples: u32,
    first_sample: u32,
    count: u32,
    max_depth: u32,
    flags: u32, // bit 0: specular, bit 1: refraction
    seed: u32,
    wavelength: f32,
    t_min: f32,
    pad: u32,
}

const REFRACTION: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read> nodes: array<BvhNode>;
@group(0) @binding(1) var<storage, read> triangles: array<BvhTriangle>;
@group(0) @binding(2) var<storage, read> tri_info: array<TriInfo>;
@group(0) @binding(3) var<storage, read> materials: array<SlabMaterial>;
@group(0) @binding(4) var<uniform> params: SbrParams;
@group(0) @binding(5) var<storage, read_write> chains: array<u32>;
@group(0) @binding(6) var<storage, read_write> depths: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;

fn fibonacci_direction(i: u32, n: u32) -> vec3<f32> {
    let z = 1.0 - (2.0 * f32(i) + 1.0) / f32(n);
    let r = sqrt(max(1.0 - z * z, 0.0));
    // frac(i / golden ratio) exactly, in 32-bit fixed point: i · round(2³² (√5 − 1)/2)
    let turns = f32(i * 2654435769u) * 2.3283064365386963e-10;
    let phi = 6.283185307179586 * turns;
    return vec3<f32>(r * cos(phi), r * sin(phi), z);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sbr_candidates(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let local = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
    if (local >= params.count) {
        return;
    }
    let i = params.first_sample + local;
    var origin = params.source;
    var dir = fibonacci_direction(i, params.samples);
    var skip = NO_HIT;
    var depth = 0u;
    let specular = (params.flags & 1u) != 0u;
    let refraction = (params.flags & 2u) != 0u;
    for (var k = 0u; k < params.max_depth; k++) {
        var t_min = params.t_min;
        if (k == 0u) {
            t_min = 0.0;
        }
        let hit = trace_closest(origin, dir, t_min, 3.0e38, skip);
        if (hit.triangle == NO_HIT) {
            break;
        }
        let info = tri_info[hit.triangle];
        var refract = refraction && !specular;
        if (specular && refraction) {
            let m = materials[info.material];
            let p = slab_power_split(m.eta, m.thickness, params.wavelength, abs(dot(dir, info.normal)));
            let total = p.x + p.y;
            let u = f32(pcg_hash(pcg_hash(i ^ params.seed) + k) >> 8u) * (1.0 / 16777216.0);
            refract = total > 0.0 && u * total < p.y;
        }
        if (refract) {
            chains[local * params.max_depth + k] = REFRACTION;
        } else {
            chains[local * params.max_depth + k] = info.plane;
        }
        depth = k + 1u;
        origin = origin + dir * hit.t;
        if (!refract) {
            dir = normalize(dir - 2.0 * dot(dir, info.normal) * info.normal);
        }
        skip = hit.triangle;
    }
    depths[local] = depth;
}
