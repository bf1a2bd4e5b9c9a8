// Reverse mode of a RIS channel with respect to the element phases, one invocation per
// term (element × path family). CPU twin: rftwin_trace::paths::ris::phase_vjp.
//
// For a real loss with cotangents H̄_f of the CFR H(f) = Σ_t Γ_m(t) b_t e^{−j2πfτ_t}, term t
// contributes Σ_f Re{c_f · j Γ b e^{−j2πf Δτ_t}} to ∂L/∂φ_m(t), with
// c_f = conj(H̄_f) e^{−j2πf τ₀} formed on the host in f64 and Δτ_t = τ_t − τ₀ small, so
// that f32 keeps the phase. The host sums the terms of each element. Complex arithmetic
// from common/slab.wgsl.

struct RisTerm {
    b: vec2<f32>,
    gamma: vec2<f32>,
    dtau: f32,
    pad0: f32,
    pad1: f32,
    pad2: f32,
}

struct VjpParams {
    terms: u32,
    frequencies: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> terms: array<RisTerm>;
// per frequency: (Re c_f, Im c_f, f [Hz], 0)
@group(0) @binding(1) var<storage, read> freqs: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: VjpParams;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn ris_phase_vjp(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
    if (index >= params.terms) {
        return;
    }
    let t = terms[index];
    // j Γ b
    let jgb = c_mul(vec2<f32>(0.0, 1.0), c_mul(t.gamma, t.b));
    var sum = 0.0;
    for (var f = 0u; f < params.frequencies; f++) {
        let cf = freqs[f];
        let cycles = fract(cf.z * t.dtau);
        let angle = -6.283185307179586 * cycles;
        let e = vec2<f32>(cos(angle), sin(angle));
        sum += c_mul(c_mul(cf.xy, jgb), e).x;
    }
    grads[index] = sum;
}
