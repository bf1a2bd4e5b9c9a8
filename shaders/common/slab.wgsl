// Complex arithmetic (vec2 = re, im) and the ITU-R P.2040 slab power split.
// CPU twin: rftwin_trace::field::{slab_coefficients, power_split}.

fn c_mul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

fn c_div(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    let d = dot(b, b);
    return vec2<f32>(a.x * b.x + a.y * b.y, a.y * b.x - a.x * b.y) / d;
}

fn c_sqrt(z: vec2<f32>) -> vec2<f32> {
    let r = length(z);
    if (r == 0.0) {
        return vec2<f32>(0.0, 0.0);
    }
    if (z.x >= 0.0) {
        let t = sqrt(0.5 * (r + z.x));
        return vec2<f32>(t, z.y / (2.0 * t));
    }
    var t = sqrt(0.5 * (r - z.x));
    if (z.y < 0.0) {
        t = -t;
    }
    return vec2<f32>(z.y / (2.0 * t), t);
}

fn c_exp(z: vec2<f32>) -> vec2<f32> {
    let e = exp(z.x);
    return vec2<f32>(e * cos(z.y), e * sin(z.y));
}

// A slab material. Host twin: rftwin_gpu::sbr::SlabMaterial.
struct SlabMaterial {
    eta: vec2<f32>,
    thickness: f32,
    pad: f32,
}

struct SlabCoefficients {
    r_te: vec2<f32>,
    r_tm: vec2<f32>,
    t_te: vec2<f32>,
    t_tm: vec2<f32>,
}

// ITU-R P.2040 eqs. 37, 43, 44 for complex permittivity `eta`, thickness `d` [m],
// wavelength `lambda` [m] and incidence cosine `cos_in`.
fn slab_coefficients(eta: vec2<f32>, d: f32, lambda: f32, cos_in: f32) -> SlabCoefficients {
    let cos_t = clamp(cos_in, 0.0, 1.0);
    let sin2 = 1.0 - cos_t * cos_t;
    let s = c_sqrt(eta - vec2<f32>(sin2, 0.0));
    let q = s * (6.283185307 * d / lambda);
    let e2 = c_exp(vec2<f32>(2.0 * q.y, -2.0 * q.x)); // exp(−j 2q)
    let e1 = c_exp(vec2<f32>(q.y, -q.x)); // exp(−j q)
    let one = vec2<f32>(1.0, 0.0);
    let c = vec2<f32>(cos_t, 0.0);
    let r_te = c_div(c - s, c + s);
    let r_tm = c_div(c_mul(eta, c) - s, c_mul(eta, c) + s);
    let den_te = one - c_mul(c_mul(r_te, r_te), e2);
    let den_tm = one - c_mul(c_mul(r_tm, r_tm), e2);
    return SlabCoefficients(
        c_div(c_mul(r_te, one - e2), den_te),
        c_div(c_mul(r_tm, one - e2), den_tm),
        c_div(c_mul(one - c_mul(r_te, r_te), e1), den_te),
        c_div(c_mul(one - c_mul(r_tm, r_tm), e1), den_tm),
    );
}

// (P_R, P_T) averaged over TE and TM.
fn slab_power_split(eta: vec2<f32>, d: f32, lambda: f32, cos_in: f32) -> vec2<f32> {
    let c = slab_coefficients(eta, d, lambda, cos_in);
    return 0.5 * vec2<f32>(dot(c.r_te, c.r_te) + dot(c.r_tm, c.r_tm), dot(c.t_te, c.t_te) + dot(c.t_tm, c.t_tm));
}
