// Uniform theory of diffraction for a wedge: transition function and the
// Kouyoumjian–Pathak coefficient with Luebbers' slab reflection terms, applied to a
// field phasor. CPU twin: rftwin_trace::utd (same formulas, f64 there). Needs
// common/slab.wgsl and the CVec helpers of path_field.wgsl.

const UTD_PI: f32 = 3.141592653589793;

// K(z) = 1 / (z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), modified Lentz (Re z > 0).
fn utd_erfc_cf(z: vec2<f32>) -> vec2<f32> {
    let one = vec2<f32>(1.0, 0.0);
    let tiny = vec2<f32>(1e-30, 0.0);
    var f = z;
    var cc = z;
    var d = vec2<f32>(0.0, 0.0);
    for (var k = 1u; k < 300u; k++) {
        let a = f32(k) * 0.5;
        d = z + d * a;
        if (length(d) < 1e-30) {
            d = tiny;
        }
        cc = z + c_div(one, cc) * a;
        if (length(cc) < 1e-30) {
            cc = tiny;
        }
        d = c_div(one, d);
        let delta = c_mul(cc, d);
        f = c_mul(f, delta);
        if (length(delta - one) < 1e-7) {
            break;
        }
    }
    return c_div(one, f);
}

// F(x) = √(πx/2) e^{jx} [(1 − 2S) + j(1 − 2C)] (C, S at √(2x/π)); above u = 1.5 as
// √(x/2)(1 + j) conj(K((1 − j)√(x/2))), which forms no large phase.
fn utd_transition(x: f32) -> vec2<f32> {
    if (x <= 0.0) {
        return vec2<f32>(0.0, 0.0);
    }
    let u = sqrt(2.0 * x / UTD_PI);
    if (u < 1.5) {
        let t = 0.5 * UTD_PI * u * u;
        var c = 0.0;
        var s = 0.0;
        var term = u;
        for (var m = 0u; m < 40u; m++) {
            let contrib = term / f32(2u * m + 1u);
            let r = m % 4u;
            if (r == 0u) {
                c += contrib;
            } else if (r == 1u) {
                s += contrib;
            } else if (r == 2u) {
                c -= contrib;
            } else {
                s -= contrib;
            }
            term *= t / f32(m + 1u);
        }
        return c_mul(vec2<f32>(cos(x), sin(x)), vec2<f32>(1.0 - 2.0 * s, 1.0 - 2.0 * c)) * sqrt(0.5 * UTD_PI * x);
    }
    let h = sqrt(0.5 * x);
    let k = utd_erfc_cf(vec2<f32>(h, -h));
    return c_mul(vec2<f32>(h, h), vec2<f32>(k.x, -k.y));
}

// cot((π ± β)/2n) F(kL a^±(β)), with the Kouyoumjian–Pathak limit on a boundary.
fn utd_term(sgn: f32, beta: f32, n: f32, kl: f32) -> vec2<f32> {
    let big_n = round((beta + sgn * UTD_PI) / (2.0 * UTD_PI * n));
    let arg = (UTD_PI + sgn * beta) / (2.0 * n);
    let eps = UTD_PI + sgn * beta - 2.0 * UTD_PI * n * big_n * sgn;
    let e4 = vec2<f32>(0.7071067811865476, 0.7071067811865476);
    if (abs(eps) < 1e-5) {
        let inner = vec2<f32>(sqrt(2.0 * UTD_PI * kl) * sign(eps), 0.0) - e4 * (2.0 * kl * eps);
        return c_mul(inner, e4) * n;
    }
    let c = 0.5 * (2.0 * UTD_PI * n * big_n - beta);
    let a = 2.0 * cos(c) * cos(c);
    return utd_transition(kl * a) * (cos(arg) / sin(arg));
}

// Angle of `d` around the edge from face 0 (t0 = n0 × e) through the exterior, in [0, 2π).
fn utd_angle(d: vec3<f32>, n0: vec3<f32>, t0: vec3<f32>) -> f32 {
    var p = atan2(dot(d, n0), dot(d, t0));
    if (p < 0.0) {
        p += 2.0 * UTD_PI;
    }
    return p;
}

// Jones basis rotation [[c, s], [−s, c]] (as rows), c = from·to, s = k·(from × to).
fn utd_rotator(k: vec3<f32>, src: vec3<f32>, dst: vec3<f32>) -> vec2<f32> {
    return vec2<f32>(dot(src, dst), dot(k, cross(src, dst)));
}

// Complex 2×2 matrix as four complex entries m00, m01, m10, m11.
struct CMat2 {
    m00: vec2<f32>,
    m01: vec2<f32>,
    m10: vec2<f32>,
    m11: vec2<f32>,
}

// w_out · diag(r_te, r_tm) · d · w_in, rotations given as (c, s).
fn utd_face_term(w_in: vec2<f32>, w_out: vec2<f32>, r_te: vec2<f32>, r_tm: vec2<f32>, d: vec2<f32>) -> CMat2 {
    let te = c_mul(r_te, d);
    let tm = c_mul(r_tm, d);
    // R w_in = [[te c, te s], [−tm s, tm c]]
    let a00 = te * w_in.x;
    let a01 = te * w_in.y;
    let a10 = -tm * w_in.y;
    let a11 = tm * w_in.x;
    // w_out (R w_in), w_out = [[c, s], [−s, c]]
    return CMat2(
        a00 * w_out.x + a10 * w_out.y,
        a01 * w_out.x + a11 * w_out.y,
        -a00 * w_out.y + a10 * w_out.x,
        -a01 * w_out.y + a11 * w_out.x,
    );
}

// UTD diffraction of field phasor `e` (⊥ k_i) into direction k_o, without spreading.
// Each face's coefficient is taken at the incidence angle of k_i on that face, so the
// result does not depend on which face is called face 0.
fn utd_apply(e: CVec, k_i: vec3<f32>, k_o: vec3<f32>, edge: vec3<f32>, n0: vec3<f32>, nn: vec3<f32>, n: f32,
             eta: vec2<f32>, thickness: f32, s_in: f32, s_out: f32, lambda: f32) -> CVec {
    let k = 2.0 * UTD_PI / lambda;
    let cos_b = abs(dot(k_i, edge));
    let sin_b = sqrt(max(1.0 - cos_b * cos_b, 0.0));
    let t0 = cross(n0, edge);
    let phi_in = utd_angle(-k_i, n0, t0);
    let phi_out = utd_angle(k_o, n0, t0);
    let kl = k * s_in * s_out / (s_in + s_out) * sin_b * sin_b;
    let dif = phi_out - phi_in;
    let sum = phi_out + phi_in;
    let factor = vec2<f32>(-0.7071067811865476, 0.7071067811865476) / (n * 2.0 * sqrt(2.0 * UTD_PI * k) * sin_b);
    let d1 = c_mul(utd_term(1.0, dif, n, kl), factor);
    let d2 = c_mul(utd_term(-1.0, dif, n, kl), factor);
    let d3 = c_mul(utd_term(1.0, sum, n, kl), factor);
    let d4 = c_mul(utd_term(-1.0, sum, n, kl), factor);
    let phi_hat_in = normalize(cross(k_i, edge));
    let phi_hat_out = -normalize(cross(k_o, edge));
    let s0 = normalize(cross(k_i, n0));
    let sn = normalize(cross(k_i, nn));
    // each face at the true incidence angle of k_i on it (twin of the CPU's |k̂ᵢ·n̂|)
    let c0 = slab_coefficients(eta, thickness, lambda, abs(dot(k_i, n0)));
    let cn = slab_coefficients(eta, thickness, lambda, abs(dot(k_i, nn)));
    let r0 = utd_face_term(utd_rotator(k_i, phi_hat_in, s0), utd_rotator(k_o, s0, phi_hat_out), c0.r_te, c0.r_tm, d4);
    let rn = utd_face_term(utd_rotator(k_i, phi_hat_in, sn), utd_rotator(k_o, sn, phi_hat_out), cn.r_te, cn.r_tm, d3);
    let d12 = -(d1 + d2);
    let u1 = cvec_dot_real(e, phi_hat_in);
    let u2 = cvec_dot_real(e, cross(k_i, phi_hat_in));
    let w1 = c_mul(d12 + r0.m00 + rn.m00, u1) + c_mul(r0.m01 + rn.m01, u2);
    let w2 = c_mul(r0.m10 + rn.m10, u1) + c_mul(d12 + r0.m11 + rn.m11, u2);
    let a = cvec_scaled(w1, phi_hat_out);
    let b = cvec_scaled(w2, cross(k_o, phi_hat_out));
    return CVec(a.x + b.x, a.y + b.y, a.z + b.z);
}
