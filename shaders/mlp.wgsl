// The INR's fully connected network (SIREN with a sigmoid output) forward and backward on
// the GPU. CPU twin: rftwin_inverse::inr::kernels::forward_backward (same layout, same
// order of operations per element).
//
// Matrices are column-major, one column per point: an activation is `width × N`; a
// layer's weights are stored as `Wᵀ` (`out × in`), as dfdx's row-major `(in, out)`
// tensor reads column-major.
//
// Entry points (one bind-group layout; each dispatch binds its own buffers):
//   mlp_gemm       — c = op(a) · op(b) (op = identity or transpose, per flags), 16 × 16 tiles;
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

const TILE: u32 = 16u;
const TWO_PI: f32 = 6.2831855;
const INV_TWO_PI: f32 = 0.15915494;

var<workgroup> tile_a: array<array<f32, 16>, 16>;
var<workgroup> tile_b: array<array<f32, 16>, 16>;
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

@compute @workgroup_size(16, 16)
fn mlp_gemm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = wg.x * TILE + lid.x;
    let j = wg.y * TILE + lid.y;
    var acc = 0.0;
    let tiles = (p.k + TILE - 1u) / TILE;
    for (var t = 0u; t < tiles; t++) {
        // tile_a[q][x] = A(row x of the tile, t·16 + q); tile_b[y][q] = B(t·16 + q, column y)
        let ka = t * TILE + lid.y;
        var va = 0.0;
        if (i < p.m && ka < p.k) {
            va = load_a(i, ka);
        }
        tile_a[lid.y][lid.x] = va;
        let kb = t * TILE + lid.x;
        let jb = wg.y * TILE + lid.y;
        var vb = 0.0;
        if (kb < p.k && jb < p.n) {
            vb = load_b(kb, jb);
        }
        tile_b[lid.y][lid.x] = vb;
        workgroupBarrier();
        for (var q = 0u; q < TILE; q++) {
            acc += tile_a[q][lid.x] * tile_b[lid.y][q];
        }
        workgroupBarrier();
    }
    if (i < p.m && j < p.n) {
        c[i + j * p.ldc] = acc;
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
