//! The kernel registry: every WGSL kernel, composed at compile time from the shared
//! fragments of `shaders/common/` and its own file (no run-time text templating;
//! specialisation goes through `override` constants).

/// A kernel's WGSL source: the named files under `shaders/`, joined by newlines at
/// compile time.
macro_rules! wgsl {
    ($($file:literal),+ $(,)?) => {
        concat!($(include_str!(concat!("../../../shaders/", $file)), "\n"),+)
    };
}

/// A compute kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kernel {
    /// Name (also the file stem under `shaders/`).
    pub name: &'static str,
    /// Entry point.
    pub entry_point: &'static str,
    /// Workgroup size along x (the default of its `WORKGROUP_SIZE` override).
    pub workgroup_size: u32,
    /// Full WGSL source (common fragments + kernel).
    pub source: &'static str,
}

/// Closest-hit traversal of the binary BVH. CPU twin: `rftwin_bvh::Bvh::closest_hit`.
pub const BVH_CLOSEST_HIT: Kernel = Kernel {
    name: "bvh_closest_hit",
    entry_point: "bvh_closest_hit",
    workgroup_size: 64,
    source: wgsl!("common/types.wgsl", "common/bvh_traverse.wgsl", "bvh_closest_hit.wgsl"),
};

/// Any-hit (occlusion) traversal of the binary BVH. CPU twin: `rftwin_bvh::Bvh::any_hit`.
pub const BVH_ANY_HIT: Kernel = Kernel {
    name: "bvh_any_hit",
    entry_point: "bvh_any_hit",
    workgroup_size: 64,
    source: wgsl!("common/types.wgsl", "common/bvh_traverse.wgsl", "bvh_any_hit.wgsl"),
};

/// Shooting and bouncing of rays (candidate chains). CPU twin:
/// `rftwin_trace::paths::candidates::trace_samples`.
pub const SBR_CANDIDATES: Kernel = Kernel {
    name: "sbr_candidates",
    entry_point: "sbr_candidates",
    workgroup_size: 64,
    source: wgsl!("common/types.wgsl", "common/hash.wgsl", "common/bvh_traverse.wgsl", "common/slab.wgsl", "sbr_candidates.wgsl"),
};

/// Field calculation of resolved paths (reflections, refractions, one wedge
/// diffraction). CPU twins: `rftwin_trace::physics::field::path_coefficient`,
/// `rftwin_trace::paths::diffraction::diffracted_path_coefficient`.
pub const PATH_FIELD: Kernel = Kernel {
    name: "path_field",
    entry_point: "path_field",
    workgroup_size: 64,
    source: wgsl!("common/types.wgsl", "common/slab.wgsl", "common/utd.wgsl", "path_field.wgsl"),
};

/// Phase VJP of RIS element terms. CPU twin: `rftwin_trace::paths::ris::phase_vjp`.
pub const RIS_PHASE_VJP: Kernel = Kernel {
    name: "ris_phase_vjp",
    entry_point: "ris_phase_vjp",
    workgroup_size: 64,
    source: wgsl!("common/slab.wgsl", "ris_phase_vjp.wgsl"),
};

/// Candidate deduplication, phase 1: every chain prefix claims a hash-table slot.
/// CPU twin: the hash set of `rftwin_trace::paths::candidates::shoot_and_bounce`.
pub const CHAIN_DEDUP_INSERT: Kernel = Kernel {
    name: "chain_dedup",
    entry_point: "chain_dedup_insert",
    workgroup_size: 64,
    source: wgsl!("common/hash.wgsl", "chain_dedup.wgsl"),
};

/// Candidate deduplication, phase 2: slot owners append their chain to the unique list,
/// the others confirm equality or overflow. CPU twin: the hash set of
/// `rftwin_trace::paths::candidates::shoot_and_bounce`.
pub const CHAIN_DEDUP_EMIT: Kernel = Kernel {
    name: "chain_dedup",
    entry_point: "chain_dedup_emit",
    workgroup_size: 64,
    source: wgsl!("common/hash.wgsl", "chain_dedup.wgsl"),
};

/// Solver (B) surface samples. CPU twin: `rftwin_trace::scattering::surface_scattering`.
pub const SCATTER_SAMPLES: Kernel = Kernel {
    name: "scatter_samples",
    entry_point: "scatter_samples",
    workgroup_size: 64,
    source: wgsl!("common/types.wgsl", "common/hash.wgsl", "common/bvh_traverse.wgsl", "common/slab.wgsl", "scatter_samples.wgsl"),
};

/// Boundary term of solver (B): shadow-point velocities per coordinate. CPU twin: the
/// dual-number step of `rftwin_trace::scattering::boundary::boundary_samples`.
pub const BOUNDARY_RATES: Kernel = Kernel {
    name: "boundary_rates",
    entry_point: "boundary_rates",
    workgroup_size: 64,
    source: wgsl!("boundary_rates.wgsl"),
};

/// Surrogates: per-bin normaliser of the range kernels. CPU twin: the normaliser inside
/// `rftwin_radar::surrogate::range_surrogate` (normalised kernel).
pub const SURROGATE_NORMALIZER: Kernel = Kernel {
    name: "surrogate",
    entry_point: "surrogate_normalizer",
    workgroup_size: 64,
    source: wgsl!("surrogate.wgsl"),
};

/// Surrogates: the field z(bin, direction). CPU twins: `rftwin_radar::surrogate::{spatial_surrogate, range_surrogate}`.
pub const SURROGATE_FIELD: Kernel = Kernel {
    name: "surrogate",
    entry_point: "surrogate_field",
    workgroup_size: 64,
    source: wgsl!("surrogate.wgsl"),
};

/// Surrogate VJP: per-echo weight, direction and per-bin γ. CPU twins: `rftwin_radar::surrogate::*_vjp`.
pub const SURROGATE_VJP_ECHO: Kernel = Kernel {
    name: "surrogate",
    entry_point: "surrogate_vjp_echo",
    workgroup_size: 64,
    source: wgsl!("surrogate.wgsl"),
};

/// Surrogate VJP: per-bin mean of γ (normalised kernel). CPU twin: the cross term of
/// `rftwin_radar::surrogate::range_surrogate_vjp`.
pub const SURROGATE_VJP_MEAN: Kernel = Kernel {
    name: "surrogate",
    entry_point: "surrogate_vjp_mean",
    workgroup_size: 64,
    source: wgsl!("surrogate.wgsl"),
};

/// Surrogate VJP: per-echo range gradient (normalised kernel). CPU twin: the range
/// gradient of `rftwin_radar::surrogate::range_surrogate_vjp`.
pub const SURROGATE_VJP_RANGE: Kernel = Kernel {
    name: "surrogate",
    entry_point: "surrogate_vjp_range",
    workgroup_size: 64,
    source: wgsl!("surrogate.wgsl"),
};

/// INR network: blocked GEMM with optional transposes (256 invocations, 64 × 64 blocks of C). CPU twin: the
/// nalgebra GEMMs of `rftwin_inverse::inr::kernels::forward_backward`.
pub const MLP_GEMM: Kernel = Kernel { name: "mlp", entry_point: "mlp_gemm", workgroup_size: 256, source: wgsl!("mlp.wgsl") };

/// INR network: bias and sine (or ReLU) with its derivative. CPU twin:
/// `rftwin_inverse::inr::trig::sine_layer`.
pub const MLP_ACTIVATION: Kernel = Kernel { name: "mlp", entry_point: "mlp_activation", workgroup_size: 64, source: wgsl!("mlp.wgsl") };

/// INR network: bias and sigmoid of the output layer.
pub const MLP_SIGMOID: Kernel = Kernel { name: "mlp", entry_point: "mlp_sigmoid", workgroup_size: 64, source: wgsl!("mlp.wgsl") };

/// INR network: `∂/∂z` of the output, `g σ(1 − σ)`.
pub const MLP_OUTPUT_GRAD: Kernel = Kernel { name: "mlp", entry_point: "mlp_output_grad", workgroup_size: 64, source: wgsl!("mlp.wgsl") };

/// INR network: element-wise product with the stored activation derivative.
pub const MLP_HADAMARD: Kernel = Kernel { name: "mlp", entry_point: "mlp_hadamard", workgroup_size: 64, source: wgsl!("mlp.wgsl") };

/// INR network: the bias gradient, a row sum (one workgroup per row).
pub const MLP_ROW_SUM: Kernel = Kernel { name: "mlp", entry_point: "mlp_row_sum", workgroup_size: 64, source: wgsl!("mlp.wgsl") };

/// Every kernel.
pub const ALL: &[Kernel] = &[BVH_CLOSEST_HIT, BVH_ANY_HIT, SBR_CANDIDATES, PATH_FIELD, RIS_PHASE_VJP, CHAIN_DEDUP_INSERT, CHAIN_DEDUP_EMIT, SCATTER_SAMPLES, BOUNDARY_RATES,
    SURROGATE_NORMALIZER, SURROGATE_FIELD, SURROGATE_VJP_ECHO, SURROGATE_VJP_MEAN, SURROGATE_VJP_RANGE,
    MLP_GEMM, MLP_ACTIVATION, MLP_SIGMOID, MLP_OUTPUT_GRAD, MLP_HADAMARD, MLP_ROW_SUM,
];
