// Solver (B) on the GPU: one invocation per ray of the cone that holds the targets'
// bounding sphere. Records the first target hit as a surface sample (triangle,
// barycentric coordinates, Monte Carlo area weight, physical-optics amplitude), the
// optional per-element visibility and the optional mirror second bounce.
// CPU twin: rftwin_trace::scattering::surface_scattering (same estimator and model; the
// random directions come from a hash-based stream of (seed, ray), not the CPU's
// generator, so individual samples differ while both estimate the same integral).

struct ScatterTri {
    normal: vec3<f32>,
    material: u32,
    is_target: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

struct ScatterParams {
    center: vec3<f32>,
    samples: u32,
    axis: vec3<f32>,
    first_sample: u32,
    t1: vec3<f32>,
    count: u32,
    t2: vec3<f32>,
    seed: u32,
    one_minus_cos_max: f32,
    pdf_omega: f32,
    wavelength: f32,
    diffuse: f32,
    eps: f32,
    n_elements: u32,
    second_bounce: u32,
    pad: u32,
}

struct ScatterRecord {
    point: vec3<f32>,
    triangle: u32,
    bary: vec2<f32>,
    area_weight: f32,
    amplitude: f32,
    point2: vec3<f32>,
    triangle2: u32,
    extra_path: f32,
    amplitude2: f32,
    outcome: u32,
    pad: u32,
}

const SAMPLE: u32 = 0u;
const MISSED: u32 = 1u;
const OCCLUDED: u32 = 2u;
const GRAZING: u32 = 3u;
const PARTIAL: u32 = 4u;
const ELEMENT_OCCLUDED: u32 = 5u;
const PI: f32 = 3.14159265358979;

@group(0) @binding(0) var<storage, read> nodes: array<BvhNode>;
@group(0) @binding(1) var<storage, read> triangles: array<BvhTriangle>;
@group(0) @binding(2) var<storage, read> tris: array<ScatterTri>;
@group(0) @binding(3) var<storage, read> materials: array<SlabMaterial>;
@group(0) @binding(4) var<storage, read> elements: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> params: ScatterParams;
@group(0) @binding(6) var<storage, read_write> records: array<ScatterRecord>;

override WORKGROUP_SIZE: u32 = 64u;

fn unit_float(h: u32) -> f32 {
    return f32(h >> 8u) * (1.0 / 16777216.0);
}

// The TE/TM-averaged slab reflection magnitude.
fn mean_reflection(tri: u32, cos_theta: f32) -> f32 {
    let m = materials[tris[tri].material];
    let c = slab_coefficients(m.eta, m.thickness, params.wavelength, cos_theta);
    return 0.5 * (length(c.r_te) + length(c.r_tm));
}

// Width in cos θ of the grazing taper of the diffuse floor (scattering::GRAZING_TAPER).
const GRAZING_TAPER: f32 = 0.1;

// (1 − k_d) cos θ + k_d τ(cos θ), τ(c) = 1 − (1 − c/c_g)² below c_g, 1 above.
fn lobe(cos_theta: f32) -> f32 {
    let u = max(1.0 - cos_theta / GRAZING_TAPER, 0.0);
    return (1.0 - params.diffuse) * cos_theta + params.diffuse * (1.0 - u * u);
}

fn occluded(a: vec3<f32>, b: vec3<f32>, skip: u32) -> bool {
    let delta = b - a;
    let len = length(delta);
    if (len <= 2.0 * params.eps) {
        return false;
    }
    return trace_any(a, delta / len, params.eps, len - params.eps, skip);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scatter_samples(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let local = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
    if (local >= params.count) {
        return;
    }
    let i = params.first_sample + local;
    var rec: ScatterRecord;
    rec.triangle = NO_HIT;
    rec.triangle2 = NO_HIT;
    let h1 = pcg_hash(i ^ pcg_hash(params.seed));
    let h2 = pcg_hash(h1 + 0x9e3779b9u);
    let z = 1.0 - unit_float(h1) * params.one_minus_cos_max;
    let phi = 2.0 * PI * unit_float(h2);
    let r = sqrt(max(1.0 - z * z, 0.0));
    let d = normalize(params.t1 * (r * cos(phi)) + params.t2 * (r * sin(phi)) + params.axis * z);
    let hit = trace_closest(params.center, d, params.eps, 3.0e38, NO_HIT);
    if (hit.triangle == NO_HIT) {
        rec.outcome = MISSED;
        records[local] = rec;
        return;
    }
    let tri = tris[hit.triangle];
    if (tri.is_target == 0u) {
        rec.outcome = OCCLUDED;
        records[local] = rec;
        return;
    }
    let cos_theta = abs(dot(d, tri.normal));
    if (cos_theta < 1.0e-6) {
        rec.outcome = GRAZING;
        records[local] = rec;
        return;
    }
    let point = params.center + d * hit.t;
    if (params.n_elements > 0u) {
        var seen = 0u;
        for (var e = 0u; e < params.n_elements; e++) {
            if (!occluded(point, elements[e].xyz, hit.triangle)) {
                seen += 1u;
            }
        }
        if (seen == 0u) {
            rec.outcome = ELEMENT_OCCLUDED;
            records[local] = rec;
            return;
        }
        if (seen < params.n_elements) {
            rec.outcome = PARTIAL;
            records[local] = rec;
            return;
        }
    }
    let lambda = params.wavelength;
    let pdf_area = params.pdf_omega * cos_theta / (hit.t * hit.t);
    let area_weight = 1.0 / (f32(params.samples) * pdf_area);
    let spreading = lambda / (pow(4.0 * PI, 1.5) * hit.t * hit.t) * (2.0 * sqrt(PI) / lambda);
    rec.outcome = SAMPLE;
    rec.point = point;
    rec.triangle = hit.triangle;
    rec.bary = vec2<f32>(hit.u, hit.v);
    rec.area_weight = area_weight;
    rec.amplitude = spreading * mean_reflection(hit.triangle, cos_theta) * lobe(cos_theta) * area_weight;
    if (params.second_bounce != 0u) {
        let d_out = d - 2.0 * dot(d, tri.normal) * tri.normal;
        let hit2 = trace_closest(point, d_out, params.eps, 3.0e38, hit.triangle);
        if (hit2.triangle != NO_HIT && tris[hit2.triangle].is_target != 0u) {
            let p2 = point + d_out * hit2.t;
            if (!occluded(p2, params.center, hit2.triangle)) {
                let d1 = hit.t;
                let d12 = hit2.t;
                let d2 = length(p2 - params.center);
                let cos2 = abs(dot((params.center - p2) / d2, tris[hit2.triangle].normal));
                rec.point2 = p2;
                rec.triangle2 = hit2.triangle;
                rec.extra_path = d1 + d12 - d2;
                rec.amplitude2 = lambda / (pow(4.0 * PI, 1.5) * d1 * (d12 + d2)) * (2.0 * sqrt(PI) / lambda)
                    * mean_reflection(hit.triangle, cos_theta) * lobe(cos_theta)
                    * mean_reflection(hit2.triangle, cos2) * lobe(cos2) * area_weight;
            }
        }
    }
    records[local] = rec;
}
