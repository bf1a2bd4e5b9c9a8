// The INR's fully connected network (SIREN with a sigmoid output) forward and backward on
// the GPU. CPU twin: rftwin_inverse::inr::kernels::forward_backward (same layout, same
// order of operations per element).
//
// Matrices are column-major, one column per point: an activation is `width × N`; a
// layer's weights are stored as `Wᵀ` (`out × in`), as dfdx's row-major `(in, out)`
// tensor reads column-major.
//
// Entry points (one bind-group layout; each dispatch binds its own buffers):
//   mlp_gemm       — c = op(a) · op(b) (op = identity or transpose, per flags), 64 × 64 blocks;
//   mlp_activation — c ← sin(κ(c + bias)), d ← κ cos(κ(c + bias)) (ReLU: max(0, ·) and its step);
//   mlp_sigmoid    — c ← 1 / (1 + exp(−(c + bias)));
//   mlp_output_grad — c ← a · b (1 − b) (upstream gradient a, sigmoid output b);
//   mlp_hadamard   — c ← c · a;
//   mlp_row_sum    — d[r] = Σ_j c[r + j·rows] (the bias gradient), one workgroup per row.

struct MlpParams {
    // C is m × n; op(A) is m × k, op(B) is k × n
    m: u32,
    n: u32,
    k: u32,
    trans_a: u32,
    trans_b: u32,
    lda: u32,
    ldb: u32,
    ldc: u32,
    // element-wise kernels: elements and rows of the column-major matrix
    count: u32,
    rows: u32,
    kappa: f32,
    relu: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> d: array<f32>;
@group(0) @binding(5) var<uniform> p: MlpParams;

// GEMM blocking: a workgroup of 256 invocations (16 × 16) computes a 64 × 64 block of C, each
// invocation a 4 × 4 register block (rows lid.x + 16·ii, columns lid.y + 16·jj), over
// K-tiles of 16 staged in workgroup memory.
const BLOCK: u32 = 64u;
const KTILE: u32 = 16u;
const TWO_PI: f32 = 6.2831855;
const INV_TWO_PI: f32 = 0.15915494;

// tile_a[kk·64 + i] = A(row0 + i, t·16 + kk); tile_b[kk·64 + j] = B(t·16 + kk, col0 + j)
var<workgroup> tile_a: array<f32, 1024>;
var<workgroup> tile_b: array<f32, 1024>;
var<workgroup> partial: array<f32, 64>;

fn load_a(i: u32, kk: u32) -> f32 {
    if (p.trans_a != 0u) {
        return a[kk + i * p.lda];
    }
    return a[i + kk * p.lda];
}

fn load_b(kk: u32, j: u32) -> f32 {
    if (p.trans_b != 0u) {
        return b[j + kk * p.ldb];
    }
    return b[kk + j * p.ldb];
}

@compute @workgroup_size(256)
fn mlp_gemm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    // a 16 × 16 arrangement of the 256 invocations
    let lid = vec2<u32>(li % 16u, li / 16u);
    let row0 = wg.x * BLOCK;
    let col0 = wg.y * BLOCK;
    var acc: array<f32, 16>;
    for (var q = 0u; q < 16u; q++) {
        acc[q] = 0.0;
    }
    let tiles = (p.k + KTILE - 1u) / KTILE;
    for (var t = 0u; t < tiles; t++) {
        for (var q = 0u; q < 4u; q++) {
            let idx = li + q * 256u;
            // A: consecutive invocations read consecutive rows (column-major A)
            let il = idx % BLOCK;
            let ka = t * KTILE + idx / BLOCK;
            var va = 0.0;
            if (row0 + il < p.m && ka < p.k) {
                va = load_a(row0 + il, ka);
            }
            tile_a[(idx / BLOCK) * BLOCK + il] = va;
            // B: consecutive invocations read consecutive k (column-major B)
            let kl = idx % KTILE;
            let jl = idx / KTILE;
            var vb = 0.0;
            if (col0 + jl < p.n && t * KTILE + kl < p.k) {
                vb = load_b(t * KTILE + kl, col0 + jl);
            }
            tile_b[kl * BLOCK + jl] = vb;
        }
        workgroupBarrier();
        for (var kl = 0u; kl < KTILE; kl++) {
            var ra: array<f32, 4>;
            var rb: array<f32, 4>;
            for (var q = 0u; q < 4u; q++) {
                ra[q] = tile_a[kl * BLOCK + lid.x + 16u * q];
                rb[q] = tile_b[kl * BLOCK + lid.y + 16u * q];
            }
            for (var ii = 0u; ii < 4u; ii++) {
                for (var jj = 0u; jj < 4u; jj++) {
                    acc[ii * 4u + jj] += ra[ii] * rb[jj];
                }
            }
        }
        workgroupBarrier();
    }
    for (var ii = 0u; ii < 4u; ii++) {
        for (var jj = 0u; jj < 4u; jj++) {
            let i = row0 + lid.x + 16u * ii;
            let j = col0 + lid.y + 16u * jj;
            if (i < p.m && j < p.n) {
                c[i + j * p.ldc] = acc[ii * 4u + jj];
            }
        }
    }
}

fn element(gid: vec3<u32>, nw: vec3<u32>) -> u32 {
    return gid.x + gid.y * nw.x * 64u;
}

@compute @workgroup_size(64)
fn mlp_activation(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let e = element(gid, nw);
    if (e >= p.count) {
        return;
    }
    let z = c[e] + bias[e % p.rows];
    if (p.relu != 0u) {
        c[e] = max(z, 0.0);
        d[e] = select(0.0, 1.0, z > 0.0);
        return;
    }
    // reduced to [−π, π] first: GPU sines are accurate only there
    let u = p.kappa * z;
    let r = u - TWO_PI * round(u * INV_TWO_PI);
    c[e] = sin(r);
    d[e] = p.kappa * cos(r);
}

@compute @workgroup_size(64)
fn mlp_sigmoid(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let e = element(gid, nw);
    if (e >= p.count) {
        return;
    }
    c[e] = 1.0 / (1.0 + exp(-(c[e] + bias[e % p.rows])));
}

@compute @workgroup_size(64)
fn mlp_output_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let e = element(gid, nw);
    if (e >= p.count) {
        return;
    }
    let s = b[e];
    c[e] = a[e] * s * (1.0 - s);
}

@compute @workgroup_size(64)
fn mlp_hadamard(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let e = element(gid, nw);
    if (e >= p.count) {
        return;
    }
    c[e] = c[e] * a[e];
}

@compute @workgroup_size(64)
fn mlp_row_sum(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let r = wg.x;
    var s = 0.0;
    if (r < p.rows) {
        for (var j = li; j < p.n; j += 64u) {
            s += c[r + j * p.rows];
        }
    }
    partial[li] = s;
    workgroupBarrier();
    for (var w = 32u; w > 0u; w = w >> 1u) {
        if (li < w) {
            partial[li] += partial[li + w];
        }
        workgroupBarrier();
    }
    if (li == 0u && r < p.rows) {
        d[r] = partial[0];
    }
}
