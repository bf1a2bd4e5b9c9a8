//! Candidate generation by shooting and bouncing rays (SBR).
//!
//! Rays leave the transmitter in the directions of a Fibonacci lattice on the unit
//! sphere. At every hit a ray either reflects specularly or passes through the slab
//! undeflected (thin-slab refraction); when both are enabled the choice is random
//! with probability proportional to the slab's reflected and transmitted power, from a
//! generator seeded by `(seed, sample index)`, so the result does not depend on the
//! thread count. Every prefix of every ray's interaction chain is a candidate; chains
//! are identified by their sequence of reflecting *planes* (coplanar triangles are one
//! mirror) and refraction events, as in Sionna RT.

use crate::physics::field::power_split;
use crate::scene_geometry::SceneGeometry;
use crate::scene_geometry::chain::REFRACTION_CODE;
use crate::tolerance;
use glam::DVec3;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use rftwin_core::Complex;
use rustc_hash::FxHashSet as HashSet;
use rftwin_bvh::Ray;

/// Settings of the candidate search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CandidateOptions {
    /// Rays launched from the transmitter.
    pub samples: usize,
    /// Longest chain.
    pub max_depth: usize,
    /// Allow specular reflection.
    pub specular: bool,
    /// Allow thin-slab refraction.
    pub refraction: bool,
    /// Seed of the reflect-or-refract choices.
    pub seed: u64,
    /// Most distinct chains kept; the rest are counted in `dropped`.
    pub max_candidates: usize,
    /// Wavelength \[m\] (for the power split).
    pub wavelength: f64,
}

/// The result of the candidate search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candidates {
    /// Distinct chains, sorted.
    pub chains: Vec<Box<[u32]>>,
    /// Distinct chains dropped because `max_candidates` was reached.
    pub dropped: u64,
    /// Rays launched.
    pub rays: u64,
}

/// Azimuth of lattice point `i`, as a fraction of a turn: `frac(i / φ_golden)`.
fn fibonacci_azimuth_turns(i: usize) -> f64 {
    let golden = (1.0 + 5f64.sqrt()) / 2.0;
    (i as f64 / golden).fract()
}

/// Direction `i` of an `n`-point Fibonacci lattice on the unit sphere (equal-area).
pub fn fibonacci_direction(i: usize, n: usize) -> DVec3 {
    let z = 1.0 - (2.0 * i as f64 + 1.0) / n as f64;
    let r = (1.0 - z * z).max(0.0).sqrt();
    let (s, c) = (2.0 * std::f64::consts::PI * fibonacci_azimuth_turns(i)).sin_cos();
    DVec3::new(r * c, r * s, z)
}

/// Per-material `(η, thickness)` at the solve frequency.
pub type MaterialTable = [(Complex, f64)];

/// Traces samples `range` depth by depth (a wavefront: all rays of one depth are
/// intersected in one interleaved batch) and records every chain prefix in `out`.
fn trace_samples(
    geom: &SceneGeometry,
    materials: &MaterialTable,
    source: DVec3,
    range: std::ops::Range<usize>,
    opts: &CandidateOptions,
    out: &mut HashSet<Box<[u32]>>,
) {
    let n = range.len();
    let depth_max = opts.max_depth;
    // Consecutive lattice points lie on a thin ring of constant z but jump by the
    // golden angle in azimuth; sorting the chunk by azimuth makes neighbouring rays
    // coherent (shared BVH nodes stay in cache). The result does not depend on the
    // order: each sample keeps its own direction and random stream.
    let mut keyed: Vec<(f64, usize)> = range.map(|i| (fibonacci_azimuth_turns(i), i)).collect();
    keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    let mut rngs: Vec<rand_pcg::Pcg32> = order
        .iter()
        .map(|&i| rand_pcg::Pcg32::seed_from_u64(opts.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
        .collect();
    let mut origins = vec![source; n];
    let mut dirs: Vec<DVec3> = order.iter().map(|&i| fibonacci_direction(i, opts.samples)).collect();
    let mut alive: Vec<usize> = (0..n).collect();
    let mut chains = vec![0u32; n * depth_max];
    let mut hits = vec![None; n];
    // Single precision is enough to find chains (the image method recomputes every
    // vertex in f64); the f32 triangles sit next to the BVH leaves, which keeps the
    // traversal cache-friendly. Rays leave a surface with t_min a small fraction of the
    // scene size, which clears the f32 rounding of the hit point.
    let t_min = (tolerance::F32_RAY_OFFSET_REL * geom.scale) as f32;
    for depth in 0..depth_max {
        let batch: Vec<Ray> = alive
            .iter()
            .map(|&k| {
                let (o, d) = (origins[k], dirs[k]);
                Ray::new(o.as_vec3().into(), d.as_vec3().into(), if depth == 0 { 0.0 } else { t_min }, f32::INFINITY)
            })
            .collect();
        geom.wide.closest_hits(&batch, &mut hits[..batch.len()]);
        let mut next_alive = Vec::with_capacity(alive.len());
        for (slot, &k) in alive.iter().enumerate() {
            let Some(hit) = hits[slot] else { continue };
            let tri = hit.triangle as usize;
            let direction = dirs[k];
            let nrm = geom.normals[tri];
            let refract = match (opts.specular, opts.refraction) {
                (true, false) => false,
                (false, true) => true,
                (false, false) => continue,
                (true, true) => {
                    let (eta, thickness) = materials[geom.material[tri] as usize];
                    let (p_r, p_t) = power_split(eta, thickness, opts.wavelength, direction.dot(nrm).abs());
                    let total = p_r + p_t;
                    total > 0.0 && rngs[k].gen::<f64>() * total < p_t
                }
            };
            let chain = &mut chains[k * depth_max..k * depth_max + depth + 1];
            chain[depth] = if refract { REFRACTION_CODE } else { geom.plane[tri] };
            if !out.contains(&*chain) {
                out.insert(chain.to_vec().into_boxed_slice());
            }
            origins[k] += direction * hit.t as f64;
            if !refract {
                dirs[k] = direction - 2.0 * direction.dot(nrm) * nrm;
            }
            next_alive.push(k);
        }
        alive = next_alive;
        if alive.is_empty() {
            break;
        }
    }
}

/// Runs the SBR search from `source`.
pub fn shoot_and_bounce(geom: &SceneGeometry, materials: &MaterialTable, source: DVec3, opts: &CandidateOptions) -> Candidates {
    if opts.max_depth == 0 || opts.samples == 0 || geom.num_triangles() == 0 {
        return Candidates { rays: 0, ..Default::default() };
    }
    let chunk = 4096;
    let chunks = opts.samples.div_ceil(chunk);
    let sets: Vec<HashSet<Box<[u32]>>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut set = HashSet::default();
            trace_samples(geom, materials, source, c * chunk..((c + 1) * chunk).min(opts.samples), opts, &mut set);
            set
        })
        .collect();
    let mut all: HashSet<Box<[u32]>> = HashSet::default();
    for set in sets {
        all.extend(set);
    }
    finish(all, opts)
}

/// Sorts the distinct chains (shorter first, then lexicographic: deterministic, and a
/// cap keeps the low-order chains that carry most of the power) and applies the cap.
fn finish(all: HashSet<Box<[u32]>>, opts: &CandidateOptions) -> Candidates {
    let mut chains: Vec<Box<[u32]>> = all.into_iter().collect();
    chains.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    let dropped = chains.len().saturating_sub(opts.max_candidates) as u64;
    chains.truncate(opts.max_candidates);
    Candidates { chains, dropped, rays: opts.samples as u64 }
}

/// [`shoot_and_bounce`] on the GPU: the `sbr_candidates` kernel traces the lattice and
/// the `chain_dedup` kernels deduplicate the chain prefixes on the device.
#[cfg(feature = "gpu")]
pub fn shoot_and_bounce_gpu(ctx: &rftwin_gpu::GpuContext, geom: &SceneGeometry, materials: &MaterialTable, source: DVec3, opts: &CandidateOptions) -> crate::error::Result<Candidates> {
    shoot_and_bounce_gpu_with(ctx, geom, materials, source, opts, Some(rftwin_gpu::sbr::DedupSettings::default()))
}

/// [`shoot_and_bounce_gpu`] with explicit deduplication: `Some(settings)` on the device,
/// `None` on the host (every chain read back and put in a hash set, as on the CPU).
/// Both give the same candidates.
#[cfg(feature = "gpu")]
pub fn shoot_and_bounce_gpu_with(
    ctx: &rftwin_gpu::GpuContext,
    geom: &SceneGeometry,
    materials: &MaterialTable,
    source: DVec3,
    opts: &CandidateOptions,
    dedup: Option<rftwin_gpu::sbr::DedupSettings>,
) -> crate::error::Result<Candidates> {
    use rftwin_gpu::sbr::{GpuSbr, SbrParams, SlabMaterial, TriInfo};
    if opts.max_depth == 0 || opts.samples == 0 || geom.num_triangles() == 0 {
        return Ok(Candidates { rays: 0, ..Default::default() });
    }
    if opts.samples > u32::MAX as usize {
        return Err(crate::TraceError::InvalidInput { name: "samples", message: format!("the GPU backend takes at most {} samples", u32::MAX) });
    }
    let tri_info: Vec<TriInfo> = (0..geom.num_triangles())
        .map(|t| TriInfo { normal: geom.normals[t].as_vec3().into(), plane: geom.plane[t], material: geom.material[t], pad: [0; 3] })
        .collect();
    let mats: Vec<SlabMaterial> = materials.iter().map(|(eta, d)| SlabMaterial { eta: [eta.re as f32, eta.im as f32], thickness: *d as f32, pad: 0.0 }).collect();
    let sbr = GpuSbr::new(ctx, &geom.bvh, &tri_info, &mats)?;
    let params = SbrParams {
        source: source.as_vec3().into(),
        samples: opts.samples as u32,
        first_sample: 0,
        count: 0,
        max_depth: opts.max_depth as u32,
        flags: opts.specular as u32 | (opts.refraction as u32) << 1,
        seed: (opts.seed ^ (opts.seed >> 32)) as u32,
        wavelength: opts.wavelength as f32,
        t_min: (tolerance::F32_RAY_OFFSET_REL * geom.scale) as f32,
        pad: 0,
    };
    let md = opts.max_depth;
    let mut all: HashSet<Box<[u32]>> = HashSet::default();
    if let Some(settings) = dedup {
        let out = sbr.run_dedup(ctx, params, 1 << 20, &settings)?;
        all.extend(out.chains.into_iter().map(Vec::into_boxed_slice));
        return Ok(finish(all, opts));
    }
    sbr.run(ctx, params, 1 << 20, |_, chains, depths| {
        for (k, &d) in depths.iter().enumerate() {
            let chain = &chains[k * md..k * md + d as usize];
            for len in 1..=chain.len() {
                if !all.contains(&chain[..len]) {
                    all.insert(chain[..len].to_vec().into_boxed_slice());
                }
            }
        }
    })?;
    Ok(finish(all, opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fibonacci_lattice_is_unit_and_balanced() {
        let n = 10_000;
        let mut mean = DVec3::ZERO;
        for i in 0..n {
            let d = fibonacci_direction(i, n);
            assert!((d.length() - 1.0).abs() < 1e-12);
            mean += d;
        }
        assert!((mean / n as f64).length() < 1e-3);
    }
}

