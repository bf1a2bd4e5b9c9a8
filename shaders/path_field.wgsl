// Field calculation of resolved paths: polarised transport through ITU-R P.2040 slab
// coefficients and antenna patterns, in the Sionna RT convention (no propagation
// phase). One invocation per path. CPU twins: rftwin_trace::field::path_coefficient
// and, for a path with a wedge diffraction, rftwin_trace::diffraction::
// diffracted_path_coefficient (same formulas; f32 here). Points are given relative to the transmitter so no
// large absolute coordinate enters the arithmetic.

struct FieldPath {
    first_point: u32,
    first_interaction: u32,
    interactions: u32,
    pad: u32,
}

// kind: 0 specular reflection, 1 refraction, 2 wedge diffraction (normal = face 0's
// outward normal; edge, normal_n and wedge_n describe the wedge, see common/utd.wgsl),
// 3 a RIS element (thickness = the element's √RCS gain g; CPU twin:
// rftwin_trace::paths::ris, the field rotated about k_i × k_o and the spreading
// restarted at each RIS: (λ/4π)(1/L₁)·g/(√(4π) L₂), and (λ/4π) g₁g₂/(4π L₁L₂L₃)
// through two).
struct FieldInteraction {
    normal: vec3<f32>,
    kind: u32,
    eta: vec2<f32>,
    thickness: f32,
    wedge_n: f32,
    edge: vec3<f32>,
    pad0: f32,
    normal_n: vec3<f32>,
    pad1: f32,
}

struct FieldAntenna {
    // columns of the rotation matrix R (local → world)
    col0: vec3<f32>,
    pattern: u32, // 0 isotropic, 1 short dipole, 2 half-wave dipole
    col1: vec3<f32>,
    slant: f32,
    col2: vec3<f32>,
    pad: f32,
}

struct FieldParams {
    tx: FieldAntenna,
    rx: FieldAntenna,
    wavelength: f32,
    count: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> paths: array<FieldPath>;
@group(0) @binding(1) var<storage, read> points: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> interactions: array<FieldInteraction>;
@group(0) @binding(3) var<uniform> params: FieldParams;
@group(0) @binding(4) var<storage, read_write> coefficients: array<vec2<f32>>;

override WORKGROUP_SIZE: u32 = 64u;

struct CVec {
    x: vec2<f32>,
    y: vec2<f32>,
    z: vec2<f32>,
}

fn cvec_dot_real(e: CVec, v: vec3<f32>) -> vec2<f32> {
    return e.x * v.x + e.y * v.y + e.z * v.z;
}

fn cvec_scaled(c: vec2<f32>, v: vec3<f32>) -> CVec {
    return CVec(c * v.x, c * v.y, c * v.z);
}

fn field_vector(a: FieldAntenna, k: vec3<f32>) -> vec3<f32> {
    let rot = mat3x3<f32>(a.col0, a.col1, a.col2);
    let l = transpose(rot) * k;
    let rho = sqrt(l.x * l.x + l.y * l.y);
    var theta_hat = vec3<f32>(l.z, 0.0, 0.0);
    var phi_hat = vec3<f32>(0.0, 1.0, 0.0);
    if (rho > 1e-7) {
        theta_hat = vec3<f32>(l.z * l.x / rho, l.z * l.y / rho, -rho);
        phi_hat = vec3<f32>(-l.y / rho, l.x / rho, 0.0);
    }
    var c = 1.0;
    if (a.pattern == 1u) {
        c = sqrt(1.5) * rho;
    } else if (a.pattern == 2u) {
        c = 0.0;
        if (rho > 1e-7) {
            c = sqrt(1.643) * cos(1.5707963267948966 * l.z) / rho;
        }
    }
    let local = c * (cos(a.slant) * theta_hat + sin(a.slant) * phi_hat);
    return rot * local;
}

fn any_perpendicular(k: vec3<f32>) -> vec3<f32> {
    var axis = vec3<f32>(0.0, 1.0, 0.0);
    if (abs(k.x) < 0.9) {
        axis = vec3<f32>(1.0, 0.0, 0.0);
    }
    return normalize(cross(k, axis));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn path_field(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
    if (index >= params.count) {
        return;
    }
    let p = paths[index];
    let n_points = p.interactions + 2u;
    // Path lengths before and after the diffraction (if any): the spherical-wave
    // spreading of a diffracted path is 1/√(s' s (s' + s)), otherwise 1/L.
    var total_len = 0.0;
    var s_in = 0.0;
    var diffracted = false;
    // Through RIS elements the spreading restarts at each: the product over RIS
    // vertices of g / (√(4π) L_leg), times 1 / L of the last leg.
    var ris_count = 0u;
    var ris_factor = 1.0;
    var leg_len = 0.0;
    for (var s = 0u; s + 1u < n_points; s++) {
        let len = length(points[p.first_point + s + 1u].xyz - points[p.first_point + s].xyz);
        total_len += len;
        leg_len += len;
        if (s < p.interactions && interactions[p.first_interaction + s].kind == 2u) {
            diffracted = true;
            s_in = total_len;
        }
        if (s < p.interactions && interactions[p.first_interaction + s].kind == 3u) {
            ris_count += 1u;
            ris_factor *= interactions[p.first_interaction + s].thickness / (3.5449077018110318 * leg_len);
            leg_len = 0.0;
        }
    }
    let s_out = total_len - s_in;
    var k_prev = vec3<f32>(0.0);
    var e = CVec(vec2<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0));
    for (var s = 0u; s + 1u < n_points; s++) {
        let a = points[p.first_point + s].xyz;
        let b = points[p.first_point + s + 1u].xyz;
        let seg = b - a;
        let k = seg / length(seg);
        if (s == 0u) {
            let c = field_vector(params.tx, k);
            e = CVec(vec2<f32>(c.x, 0.0), vec2<f32>(c.y, 0.0), vec2<f32>(c.z, 0.0));
        } else {
            let inter = interactions[p.first_interaction + s - 1u];
            if (inter.kind == 3u) {
                // RIS element: TE and TM both 1 about the plane of k_prev and k
                let c = cross(k_prev, k);
                if (length(c) > 1e-6) {
                    let sv = normalize(c);
                    let p_i = cross(sv, k_prev);
                    let p_o = cross(sv, k);
                    let a1 = cvec_scaled(cvec_dot_real(e, sv), sv);
                    let a2 = cvec_scaled(cvec_dot_real(e, p_i), p_o);
                    e = CVec(a1.x + a2.x, a1.y + a2.y, a1.z + a2.z);
                }
            } else if (inter.kind == 2u) {
                e = utd_apply(e, k_prev, k, inter.edge, inter.normal, inter.normal_n, inter.wedge_n, inter.eta, inter.thickness, s_in, s_out, params.wavelength);
            } else {
                let sc = slab_coefficients(inter.eta, inter.thickness, params.wavelength, abs(dot(k_prev, inter.normal)));
                var coeff = vec4<f32>(sc.r_te, sc.r_tm);
                if (inter.kind == 1u) {
                    coeff = vec4<f32>(sc.t_te, sc.t_tm);
                }
                var sv = cross(k_prev, inter.normal);
                if (length(sv) > 1e-6) {
                    sv = normalize(sv);
                } else {
                    sv = any_perpendicular(k_prev);
                }
                let p_i = cross(sv, k_prev);
                let p_o = cross(sv, k);
                let es = cvec_dot_real(e, sv);
                let ep = cvec_dot_real(e, p_i);
                let te = c_mul(coeff.xy, es);
                let tm = c_mul(coeff.zw, ep);
                let a1 = cvec_scaled(te, sv);
                let a2 = cvec_scaled(tm, p_o);
                e = CVec(a1.x + a2.x, a1.y + a2.y, a1.z + a2.z);
            }
        }
        k_prev = k;
    }
    let c_r = field_vector(params.rx, -k_prev);
    var spreading = params.wavelength / (12.566370614359172 * total_len);
    if (diffracted) {
        spreading = params.wavelength / (12.566370614359172 * sqrt(s_in * s_out * (s_in + s_out)));
    }
    if (ris_count > 0u) {
        spreading = params.wavelength / 12.566370614359172 * ris_factor / leg_len;
    }
    let a = cvec_dot_real(e, c_r) * spreading;
    coefficients[index] = a;
}
