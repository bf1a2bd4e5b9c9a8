// Differentiable radar surrogates (InverTwin eq. 17 and 20) and their VJPs on the GPU.
// CPU twins: rftwin_radar::surrogate::{spatial_surrogate, spatial_surrogate_vjp,
// range_surrogate, range_surrogate_vjp}.
//
// z(k, u) = Σ_i G_i(k) A_i(u) v_i, with v_i = w_i e^{jρ_i} (phases applied on the host),
// G_i(k) the Gaussian range kernel (optionally normalised over the echoes of bin k) and
// A_i(u) the Airy kernel (2 J1(x)/x)², x = k r |u × d_i| — or A = 1 for the range surrogate.
//
// Entry points (one bind group):
//   surrogate_normalizer — per bin: log-sum-exp normaliser of the range kernels;
//   surrogate_field      — per cell (bin, direction): z;
//   surrogate_vjp_echo   — per echo, given ∂L/∂z in `cells`: ∂L/∂v, ∂L/∂d and
//                          γ_i(k) = Σ_u Re(conj(∂L/∂z) v_i) A_i(u) into `gamma`;
//   surrogate_vjp_mean   — per bin: Σ_i G_i(k) γ_i(k) (normalised kernel only);
//   surrogate_vjp_range  — per echo: ∂L/∂r_i = Σ_k h_i(k) G_i(k) (γ_i(k) − mean_k).

struct SurrogateEcho {
    direction: vec3<f32>,
    range: f32,
    weight: vec2<f32>,
    pad: vec2<f32>,
}

struct EchoGrad {
    direction: vec3<f32>,
    range: f32,
    weight: vec2<f32>,
    pad: vec2<f32>,
}

struct SurrogateParams {
    n_echoes: u32,
    n_bins: u32,
    n_dirs: u32,
    normalized: u32,
    sigma: f32,
    kr: f32,
    airy: u32,
    pad: u32,
}

@group(0) @binding(0) var<storage, read> echoes: array<SurrogateEcho>;
@group(0) @binding(1) var<storage, read> bins: array<f32>;
@group(0) @binding(2) var<storage, read> dirs: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> bin_data: array<vec4<f32>>; // (lmax, sum, mean, -)
@group(0) @binding(4) var<storage, read_write> cells: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> gamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> grads: array<EchoGrad>;
@group(0) @binding(7) var<uniform> params: SurrogateParams;

override WORKGROUP_SIZE: u32 = 64u;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

// Bessel J0 and J1 (rational and asymptotic approximations, |error| < 1e-7).
fn bessel_j0(x: f32) -> f32 {
    let ax = abs(x);
    if (ax < 8.0) {
        let y = x * x;
        let a = 57568490574.0 + y * (-13362590354.0 + y * (651619640.7 + y * (-11214424.18 + y * (77392.33017 + y * -184.9052456))));
        let b = 57568490411.0 + y * (1029532985.0 + y * (9494680.718 + y * (59272.64853 + y * (267.8532712 + y))));
        return a / b;
    }
    let z = 8.0 / ax;
    let y = z * z;
    let xx = ax - 0.785398164;
    let a = 1.0 + y * (-0.1098628627e-2 + y * (0.2734510407e-4 + y * (-0.2073370639e-5 + y * 0.2093887211e-6)));
    let b = -0.1562499995e-1 + y * (0.1430488765e-3 + y * (-0.6911147651e-5 + y * (0.7621095161e-6 - y * 0.934935152e-7)));
    return sqrt(0.636619772 / ax) * (cos(xx) * a - z * sin(xx) * b);
}

fn bessel_j1(x: f32) -> f32 {
    let ax = abs(x);
    if (ax < 8.0) {
        let y = x * x;
        let a = x * (72362614232.0 + y * (-7895059235.0 + y * (242396853.1 + y * (-2972611.439 + y * (15704.48260 + y * -30.16036606)))));
        let b = 144725228442.0 + y * (2300535178.0 + y * (18583304.74 + y * (99447.43394 + y * (376.9991397 + y))));
        return a / b;
    }
    let z = 8.0 / ax;
    let y = z * z;
    let xx = ax - 2.356194491;
    let a = 1.0 + y * (0.183105e-2 + y * (-0.3516396496e-4 + y * (0.2457520174e-5 + y * -0.240337019e-6)));
    let b = 0.04687499995 + y * (-0.2002690873e-3 + y * (0.8449199096e-5 + y * (-0.88228987e-6 + y * 0.105787412e-6)));
    let r = sqrt(0.636619772 / ax) * (cos(xx) * a - z * sin(xx) * b);
    return select(r, -r, x < 0.0);
}

// (f, f') of f(x) = 2 J1(x) / x.
fn airy_amplitude(x: f32) -> vec2<f32> {
    if (abs(x) < 1.0e-2) {
        return vec2<f32>(1.0 - x * x / 8.0, -x / 4.0);
    }
    let j0 = bessel_j0(x);
    let j1 = bessel_j1(x);
    return vec2<f32>(2.0 * j1 / x, 2.0 * (x * j0 - 2.0 * j1) / (x * x));
}

struct Airy {
    a: f32,
    grad: vec3<f32>, // ∂A/∂d
}

fn airy(u: vec3<f32>, d: vec3<f32>) -> Airy {
    if (params.airy == 0u) {
        return Airy(1.0, vec3<f32>(0.0));
    }
    let c = cross(u, d);
    let s = length(c);
    let f = airy_amplitude(params.kr * s);
    if (s < 1.0e-12) {
        return Airy(f.x * f.x, vec3<f32>(0.0));
    }
    return Airy(f.x * f.x, 2.0 * f.x * f.y * params.kr * cross(c, u) / s);
}

fn log_kernel(i: u32, k: u32) -> f32 {
    let dr = echoes[i].range - bins[k];
    return -dr * dr / (2.0 * params.sigma * params.sigma);
}

// G_i(k).
fn range_kernel(i: u32, k: u32) -> f32 {
    let l = log_kernel(i, k);
    if (params.normalized != 0u) {
        let n = bin_data[k];
        return exp(l - n.x) / n.y;
    }
    return exp(l);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn surrogate_normalizer(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let k = flat_index(gid, groups);
    if (k >= params.n_bins) {
        return;
    }
    var lmax = -3.0e38;
    for (var i = 0u; i < params.n_echoes; i++) {
        lmax = max(lmax, log_kernel(i, k));
    }
    var sum = 0.0;
    for (var i = 0u; i < params.n_echoes; i++) {
        sum += exp(log_kernel(i, k) - lmax);
    }
    bin_data[k] = vec4<f32>(lmax, sum, 0.0, 0.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn surrogate_field(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let cell = flat_index(gid, groups);
    if (cell >= params.n_bins * params.n_dirs) {
        return;
    }
    let k = cell / params.n_dirs;
    let u = dirs[cell % params.n_dirs].xyz;
    var z = vec2<f32>(0.0);
    for (var i = 0u; i < params.n_echoes; i++) {
        let g = range_kernel(i, k);
        if (g == 0.0) {
            continue;
        }
        z += echoes[i].weight * (g * airy(u, echoes[i].direction).a);
    }
    cells[cell] = z;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn surrogate_vjp_echo(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(gid, groups);
    if (i >= params.n_echoes) {
        return;
    }
    let e = echoes[i];
    var gv = vec2<f32>(0.0);
    var gdir = vec3<f32>(0.0);
    var grange = 0.0;
    for (var k = 0u; k < params.n_bins; k++) {
        let g = range_kernel(i, k);
        var gam = 0.0;
        if (g != 0.0 || params.normalized != 0u) {
            for (var ui = 0u; ui < params.n_dirs; ui++) {
                let gz = cells[k * params.n_dirs + ui];
                let ak = airy(dirs[ui].xyz, e.direction);
                let t = gz.x * e.weight.x + gz.y * e.weight.y; // Re(conj(gz) v)
                gam += t * ak.a;
                gdir += (t * g) * ak.grad;
                gv += gz * (g * ak.a);
            }
        }
        gamma[i * params.n_bins + k] = gam;
        // Gaussian kernel: ∂L/∂r = Σ_k h G γ directly
        let h = (bins[k] - e.range) / (params.sigma * params.sigma);
        grange += h * g * gam;
    }
    grads[i] = EchoGrad(gdir, grange, gv, vec2<f32>(0.0));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn surrogate_vjp_mean(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let k = flat_index(gid, groups);
    if (k >= params.n_bins) {
        return;
    }
    var mean = 0.0;
    for (var i = 0u; i < params.n_echoes; i++) {
        mean += range_kernel(i, k) * gamma[i * params.n_bins + k];
    }
    bin_data[k].z = mean;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn surrogate_vjp_range(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(gid, groups);
    if (i >= params.n_echoes) {
        return;
    }
    // normalised kernel: ∂L/∂r_i = Σ_k h G (γ − mean_k)
    var grange = 0.0;
    for (var k = 0u; k < params.n_bins; k++) {
        let h = (bins[k] - echoes[i].range) / (params.sigma * params.sigma);
        grange += h * range_kernel(i, k) * (gamma[i * params.n_bins + k] - bin_data[k].z);
    }
    grads[i].range = grange;
}
