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

use crate::field::power_split;
use crate::geometry::SceneGeometry;
use glam::DVec3;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use rftwin_core::Complex;
use std::collections::HashSet;

/// Chain code of a refraction event; any other code is the plane id of a specular reflection.
pub const REFRACTION_CODE: u32 = u32::MAX;

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
    /// Wavelength [m] (for the power split).
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

/// Direction `i` of an `n`-point Fibonacci lattice on the unit sphere (equal-area).
pub fn fibonacci_direction(i: usize, n: usize) -> DVec3 {
    let golden = (1.0 + 5f64.sqrt()) / 2.0;
    let z = 1.0 - (2.0 * i as f64 + 1.0) / n as f64;
    let r = (1.0 - z * z).max(0.0).sqrt();
    let phi = 2.0 * std::f64::consts::PI * (i as f64 / golden).fract();
    DVec3::new(r * phi.cos(), r * phi.sin(), z)
}

/// Per-material `(η, thickness)` at the solve frequency.
pub type MaterialTable = [(Complex, f64)];

fn trace_sample(
    geom: &SceneGeometry,
    materials: &MaterialTable,
    source: DVec3,
    index: usize,
    opts: &CandidateOptions,
    out: &mut HashSet<Box<[u32]>>,
    chain: &mut Vec<u32>,
) {
    let mut rng = rand_pcg::Pcg32::seed_from_u64(opts.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut o = source;
    let mut d = fibonacci_direction(index, opts.samples);
    let mut skip = None;
    chain.clear();
    let eps = geom.eps();
    for _ in 0..opts.max_depth {
        let Some(hit) = geom.closest_hit(o, d, eps, f64::INFINITY, skip) else { break };
        let tri = hit.triangle as usize;
        let n = geom.normals[tri];
        let refract = match (opts.specular, opts.refraction) {
            (true, false) => false,
            (false, true) => true,
            (false, false) => break,
            (true, true) => {
                let (eta, thickness) = materials[geom.material[tri] as usize];
                let (p_r, p_t) = power_split(eta, thickness, opts.wavelength, d.dot(n).abs());
                let total = p_r + p_t;
                total > 0.0 && rng.gen::<f64>() * total < p_t
            }
        };
        chain.push(if refract { REFRACTION_CODE } else { geom.plane[tri] });
        if !out.contains(chain.as_slice()) {
            out.insert(chain.clone().into_boxed_slice());
        }
        o += d * hit.t;
        if !refract {
            d -= 2.0 * d.dot(n) * n;
        }
        skip = Some(hit.triangle);
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
            let mut set = HashSet::new();
            let mut chain = Vec::with_capacity(opts.max_depth);
            for i in c * chunk..((c + 1) * chunk).min(opts.samples) {
                trace_sample(geom, materials, source, i, opts, &mut set, &mut chain);
            }
            set
        })
        .collect();
    let mut all: HashSet<Box<[u32]>> = HashSet::new();
    for set in sets {
        all.extend(set);
    }
    let mut chains: Vec<Box<[u32]>> = all.into_iter().collect();
    // Shorter chains first, then lexicographic: deterministic, and a cap keeps the
    // low-order chains that carry most of the power.
    chains.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    let dropped = chains.len().saturating_sub(opts.max_candidates) as u64;
    chains.truncate(opts.max_candidates);
    Candidates { chains, dropped, rays: opts.samples as u64 }
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
