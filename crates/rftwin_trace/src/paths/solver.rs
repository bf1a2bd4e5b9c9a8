//! Solver (A): channel paths between one transmitter and one receiver.

use crate::backend::{resolve, Backend, BackendChoice};
use crate::paths::candidates::{shoot_and_bounce, CandidateOptions, Candidates};
use crate::paths::diffraction::{diffracted_path_coefficient, find_diffracted_paths, wedge_frame, DiffractionOptions, DiffractionSearch, PathInteraction};
use crate::scene_geometry::wedges::Wedge;
use crate::physics::utd::WedgeMaterial;
use crate::error::{Result, TraceError};
use crate::physics::field::{path_coefficient, FieldInteraction};
use crate::scene_geometry::SceneGeometry;
use crate::paths::image_method::{end_to_end, resolve_chain, ResolvedChain};
use crate::paths::ris::{drop_blocked_paths, RisRectangle, RisSearch};
#[cfg(feature = "gpu")]
use crate::paths::gpu_field::{gpu_coefficients, gpu_surface, gpu_wedge, GpuPath};
use glam::DVec3;
use rayon::prelude::*;
use rftwin_core::constants::{wavelength, SPEED_OF_LIGHT};
use rftwin_core::dual::V3;
use rftwin_core::paths::{PathRef, SolveStats};
use rftwin_core::ris::RisModel;
use rftwin_core::{Complex, InteractionType, Paths, Radio, Scene};
use std::collections::HashSet;

/// Settings of [`PathSolver`]. The defaults match Sionna RT's `PathSolver` defaults
/// where both have the setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverOptions {
    /// Carrier frequency \[Hz\].
    pub frequency_hz: f64,
    /// Maximum number of interactions per path.
    pub max_depth: usize,
    /// Rays shot from the transmitter to find candidates.
    pub samples: usize,
    /// Include the line-of-sight path.
    pub los: bool,
    /// Include specular reflections.
    pub specular_reflection: bool,
    /// Include thin-slab refraction (transmission without deflection).
    pub refraction: bool,
    /// Include first-order UTD edge diffraction (one diffraction per path, combined with
    /// specular reflections; [`crate::paths::diffraction`]).
    pub diffraction: bool,
    /// Also diffract at open mesh borders (knife edges), not only at wedges.
    pub edge_diffraction: bool,
    /// Keep diffracted paths in the lit region of the incident field; `false` keeps
    /// only those in its shadow region.
    pub diffraction_lit_region: bool,
    /// Seed of every random choice.
    pub seed: u64,
    /// Most distinct candidate chains kept (the rest are counted as dropped).
    pub max_candidates: usize,
    /// Where the candidate search runs (the image method and fields run on the CPU).
    pub backend: BackendChoice,
    /// Trace paths through the scene's RIS ([`crate::paths::ris`]); `false` treats
    /// every RIS as absent (neither reradiating nor occluding).
    pub ris: bool,
    /// Most RIS interactions per path: 1, or 2 for paths such as TX → RIS → RIS → RX
    /// and TX → RIS → target → RIS → RX (element-sum RIS only; every RIS interaction
    /// counts toward `max_depth`; cost ∝ the product of the two RIS's element counts).
    pub max_ris_interactions: usize,
}

impl Default for SolverOptions {
    fn default() -> Self {
        SolverOptions {
            frequency_hz: 28e9,
            max_depth: 3,
            samples: 1_000_000,
            los: true,
            specular_reflection: true,
            refraction: true,
            diffraction: false,
            edge_diffraction: false,
            diffraction_lit_region: true,
            seed: 42,
            max_candidates: 1_000_000,
            backend: BackendChoice::Auto,
            ris: true,
            max_ris_interactions: 1,
        }
    }
}

/// Channel path solver (A) on the CPU (the reference backend).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PathSolver {
    /// Settings.
    pub options: SolverOptions,
}

fn check_finite(name: &'static str, v: DVec3) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(TraceError::InvalidInput { name, message: format!("position must be finite, got {v}") })
    }
}

/// Whether a path of coefficient `a` is returned: a non-finite one is counted in
/// `non_finite`, an exactly zero one (Sionna RT omits them) in `zero`, and both dropped.
fn keep_coefficient(a: Complex, non_finite: &mut u64, zero: &mut u64) -> bool {
    if !(a.re.is_finite() && a.im.is_finite()) {
        *non_finite += 1;
        false
    } else if a == Complex::new(0.0, 0.0) {
        *zero += 1;
        false
    } else {
        true
    }
}

/// Most rays one solve may shoot: beyond this the cost is hours, with no gain in paths
/// found (an unbounded count also aborted on allocation).
pub const MAX_SAMPLES: usize = 1_000_000_000;

impl PathSolver {
    /// A solver with `options`.
    pub fn new(options: SolverOptions) -> Self {
        PathSolver { options }
    }

    fn validate(&self, tx: &Radio, rx: &Radio) -> Result<()> {
        let o = &self.options;
        if !(o.frequency_hz.is_finite() && o.frequency_hz > 0.0) {
            return Err(TraceError::InvalidInput { name: "frequency_hz", message: format!("must be > 0, got {}", o.frequency_hz) });
        }
        if o.max_depth > 0 && o.samples == 0 && (o.specular_reflection || o.refraction || o.diffraction) {
            return Err(TraceError::InvalidInput { name: "samples", message: "must be > 0 when max_depth > 0".into() });
        }
        if o.diffraction && o.max_depth == 0 {
            return Err(TraceError::InvalidInput { name: "max_depth", message: "diffraction counts as an interaction: max_depth must be ≥ 1".into() });
        }
        if o.edge_diffraction && !o.diffraction {
            return Err(TraceError::InvalidInput { name: "edge_diffraction", message: "needs diffraction = true".into() });
        }
        if o.samples > MAX_SAMPLES {
            return Err(TraceError::InvalidInput {
                name: "samples",
                message: format!("{} rays is above the limit of {MAX_SAMPLES:e} (at ~10⁷ rays/s per core that is hours of shooting; candidates saturate long before)", o.samples),
            });
        }
        if !(1..=2).contains(&o.max_ris_interactions) {
            return Err(TraceError::InvalidInput { name: "max_ris_interactions", message: format!("must be 1 or 2, got {}", o.max_ris_interactions) });
        }
        if o.max_depth > 64 {
            return Err(TraceError::InvalidInput { name: "max_depth", message: format!("must be ≤ 64, got {}", o.max_depth) });
        }
        check_finite("tx.position", tx.position)?;
        check_finite("rx.position", rx.position)
    }

    /// Traces `scene` (flattened in `geom`, which must come from the same scene).
    pub fn solve(&self, scene: &Scene, geom: &SceneGeometry, tx: &Radio, rx: &Radio) -> Result<Paths> {
        self.validate(tx, rx)?;
        geom.check_matches(scene)?;
        geom.check_extent(scene)?;
        let o = self.options;
        let lambda = wavelength(o.frequency_hz);
        let run = SolveRun {
            options: o,
            geom,
            materials: scene.slab_table(o.frequency_hz)?,
            tx,
            rx,
            backend: resolve(o.backend)?,
            candidates: CandidateOptions {
                samples: o.samples,
                max_depth: o.max_depth,
                specular: o.specular_reflection,
                refraction: o.refraction,
                seed: o.seed,
                max_candidates: o.max_candidates,
                wavelength: lambda,
            },
        };
        let mut paths = Paths::new(o.frequency_hz, o.max_depth, geom.object_names.clone());
        let mut stats = SolveStats::default();
        let enclosing = |p: DVec3| scene.enclosing_object(p).map(|i| i as u32);
        (stats.tx_inside, stats.rx_inside) = (enclosing(tx.position), enclosing(rx.position));
        let eps = geom.eps();
        if o.los && (rx.position - tx.position).length() > eps && !geom.occluded(tx.position, rx.position, [None, None], eps) {
            let a = path_coefficient(&[tx.position, rx.position], &[], &tx.antenna, &rx.antenna, lambda);
            run.push(&mut paths, a, Chain { types: &[], triangles: &[], vertices: &[] });
        }
        let candidates = run.shoot(tx.position, &run.candidates)?;
        stats.rays_launched = candidates.rays;
        stats.candidates = candidates.chains.len() as u64;
        stats.dropped_candidates = candidates.dropped;
        run.add_specular_paths(&candidates.chains, &mut stats, &mut paths)?;
        if o.diffraction {
            run.add_diffracted_paths(&candidates.chains, &mut stats, &mut paths)?;
        }
        if o.ris && !scene.ris().is_empty() {
            run.add_ris_paths(scene, &candidates.chains, &mut stats, &mut paths)?;
        }
        paths.stats = stats;
        paths.sort_by_delay();
        Ok(paths)
    }

    /// Convenience: flattens `scene`, builds the BVH and solves.
    pub fn solve_scene(&self, scene: &Scene, tx: &Radio, rx: &Radio) -> Result<Paths> {
        let geom = SceneGeometry::new(scene);
        self.solve(scene, &geom, tx, rx)
    }
}

/// The interactions of one path: types, global triangles and points, transmitter to
/// receiver.
#[derive(Debug, Clone, Copy)]
struct Chain<'a> {
    types: &'a [InteractionType],
    triangles: &'a [u32],
    vertices: &'a [DVec3],
}

/// What the stages of one solve share.
struct SolveRun<'a> {
    options: SolverOptions,
    geom: &'a SceneGeometry,
    /// `(η, thickness)` per material.
    materials: Vec<(Complex, f64)>,
    tx: &'a Radio,
    rx: &'a Radio,
    backend: Backend,
    /// Settings of the transmitter's candidate search (its `wavelength` is the solve's).
    candidates: CandidateOptions,
}

impl SolveRun<'_> {
    /// Shoots and bounces rays from `from` on the solve's backend.
    fn shoot(&self, from: DVec3, opts: &CandidateOptions) -> Result<Candidates> {
        Ok(match self.backend {
            Backend::Cpu => shoot_and_bounce(self.geom, &self.materials, from, opts),
            #[cfg(feature = "gpu")]
            Backend::Gpu(ctx) => crate::paths::candidates::shoot_and_bounce_gpu(ctx, self.geom, &self.materials, from, opts)?,
        })
    }

    /// Appends the path with coefficient `a`; its delay and directions (departure, and
    /// arrival from the receiver towards the last vertex) in f64.
    fn push(&self, paths: &mut Paths, a: Complex, chain: Chain) {
        let points = end_to_end(self.tx.position, chain.vertices, self.rx.position);
        let length: f64 = points.windows(2).map(|w| (w[1] - w[0]).length()).sum();
        let n = points.len();
        let (k_tx, k_rx) = ((points[1] - points[0]).normalize(), (points[n - 2] - points[n - 1]).normalize());
        let objects: Vec<u32> = chain.triangles.iter().map(|&t| self.geom.object[t as usize]).collect();
        let primitives: Vec<u32> = chain.triangles.iter().map(|&t| self.geom.local_index[t as usize]).collect();
        paths.push(PathRef { tau: length / SPEED_OF_LIGHT, a, k_tx, k_rx, interactions: chain.types, objects: &objects, primitives: &primitives, vertices: chain.vertices });
    }

    /// Resolves the candidate chains by the image method, drops duplicates and appends
    /// the specular and refracted paths.
    fn add_specular_paths(&self, chains: &[Box<[u32]>], stats: &mut SolveStats, paths: &mut Paths) -> Result<()> {
        let (tx, rx) = (self.tx.position, self.rx.position);
        let resolved: Vec<ResolvedChain> = chains.par_iter().filter_map(|c| resolve_chain(self.geom, c, tx, rx)).collect();
        stats.rejected_candidates = stats.candidates - resolved.len() as u64;
        let mut seen = HashSet::new();
        let mut unique = Vec::with_capacity(resolved.len());
        for r in resolved {
            if seen.insert((r.triangles.clone(), r.refraction.clone())) {
                unique.push(r);
            } else {
                stats.duplicate_paths += 1;
            }
        }
        for (r, a) in unique.iter().zip(self.specular_coefficients(&unique)?) {
            if !keep_coefficient(a, &mut stats.non_finite_paths, &mut stats.zero_paths) {
                continue;
            }
            let types: Vec<InteractionType> =
                r.refraction.iter().map(|&t| if t { InteractionType::Refraction } else { InteractionType::Specular }).collect();
            self.push(paths, a, Chain { types: &types, triangles: &r.triangles, vertices: &r.vertices });
        }
        Ok(())
    }

    /// Coefficients of resolved chains on the backend that asked for them.
    fn specular_coefficients(&self, unique: &[ResolvedChain]) -> Result<Vec<Complex>> {
        let (geom, materials, tx, rx) = (self.geom, &self.materials, self.tx, self.rx);
        Ok(match self.backend {
            Backend::Cpu => unique
                .par_iter()
                .map(|r| {
                    let inters: Vec<FieldInteraction> = r
                        .triangles
                        .iter()
                        .zip(&r.refraction)
                        .map(|(&t, &refr)| {
                            let (eta, thickness) = materials[geom.material[t as usize] as usize];
                            FieldInteraction { transmission: refr, normal: V3::cst(geom.normals[t as usize]), eta, thickness }
                        })
                        .collect();
                    path_coefficient(&end_to_end(tx.position, &r.vertices, rx.position), &inters, &tx.antenna, &rx.antenna, self.candidates.wavelength)
                })
                .collect(),
            #[cfg(feature = "gpu")]
            Backend::Gpu(ctx) => {
                let gpu_paths: Vec<GpuPath> = unique
                    .iter()
                    .map(|r| (r.vertices.as_slice(), r.triangles.iter().zip(&r.refraction).map(|(&t, &refr)| gpu_surface(geom, materials, t, refr)).collect()))
                    .collect();
                gpu_coefficients(ctx, &gpu_paths, tx, rx, self.candidates.wavelength)?
            }
        })
    }

    /// Drops the ordinary paths that cross a RIS and adds the RIS path families
    /// ([`crate::paths::ris`]), evaluated with each RIS's first configuration.
    fn add_ris_paths(&self, scene: &Scene, tx_chains: &[Box<[u32]>], stats: &mut SolveStats, paths: &mut Paths) -> Result<()> {
        for ris in scene.ris() {
            ris.validate()?;
        }
        let rects: Vec<RisRectangle> = scene.ris().iter().map(RisRectangle::new).collect();
        stats.ris_blocked_paths += drop_blocked_paths(paths, &rects, self.tx.position, self.rx.position, self.geom.eps());
        let rx_search = if self.options.max_depth > 1 { self.shoot(self.rx.position, &self.candidates)? } else { Candidates::default() };
        stats.rays_launched += rx_search.rays;
        stats.dropped_candidates += rx_search.dropped;
        // two RIS interactions: the chains between them, shot from just in front of each RIS
        let middle_chains = if self.options.max_ris_interactions == 2 && self.options.max_depth >= 2 {
            if let Some(r) = scene.ris().iter().find(|r| r.model != RisModel::ElementSum) {
                return Err(TraceError::InvalidInput { name: "max_ris_interactions", message: format!("two RIS interactions need the element-sum model; RIS '{}' uses the phase-gradient model", r.name) });
            }
            let mut chains = Vec::with_capacity(scene.ris().len());
            for r in scene.ris() {
                let (_, _, n) = r.frame();
                let depth = self.options.max_depth - 2;
                let found = if depth > 0 { self.shoot(r.centre + n * (8.0 * self.geom.eps()), &CandidateOptions { max_depth: depth, ..self.candidates })? } else { Candidates::default() };
                stats.rays_launched += found.rays;
                stats.dropped_candidates += found.dropped;
                chains.push(found.chains);
            }
            chains
        } else {
            Vec::new()
        };
        let search = RisSearch { backend: self.backend, geom: self.geom, materials: &self.materials, tx: self.tx, rx: self.rx, max_depth: self.options.max_depth, lambda: self.candidates.wavelength };
        paths.ris_paths = search.paths(scene.ris(), tx_chains, &rx_search.chains, &middle_chains, stats)?;
        paths.ris_gamma = scene.ris().iter().map(|r| r.configurations[0].coefficients()).collect();
        Ok(())
    }

    /// Adds the first-order diffracted paths (see [`crate::paths::diffraction`]) to
    /// `paths`; `tx_chains` are the transmitter's candidate chains.
    fn add_diffracted_paths(&self, tx_chains: &[Box<[u32]>], stats: &mut SolveStats, paths: &mut Paths) -> Result<()> {
        let o = self.options;
        // Rays from both ends, reflecting only, one level deeper than a specular leg
        // may be (the transmitter's are the candidate search's when it reflects;
        // without specular reflection, the legs are empty and one level suffices).
        let leg_depth = if o.specular_reflection { o.max_depth } else { 1 };
        let leg_opts = CandidateOptions { max_depth: leg_depth, refraction: false, specular: true, ..self.candidates };
        let own_tx_search;
        let tx_legs: &[Box<[u32]>] = if o.specular_reflection {
            tx_chains
        } else {
            own_tx_search = self.shoot(self.tx.position, &leg_opts)?;
            stats.rays_launched += own_tx_search.rays;
            stats.dropped_candidates += own_tx_search.dropped;
            &own_tx_search.chains
        };
        let rx_search = self.shoot(self.rx.position, &leg_opts)?;
        stats.rays_launched += rx_search.rays;
        stats.dropped_candidates += rx_search.dropped;
        let wedges = crate::scene_geometry::wedges::wedges(self.geom, o.edge_diffraction);
        stats.wedges = wedges.wedges.len() as u64;
        stats.non_manifold_edges = wedges.non_manifold as u64;
        stats.contact_edges = wedges.contact as u64;
        let options = DiffractionOptions { max_depth: o.max_depth, lit_region: o.diffraction_lit_region };
        let search = find_diffracted_paths(self.geom, &wedges.wedges, tx_legs, &rx_search.chains, self.tx.position, self.rx.position, &options);
        stats.diffraction_candidates = search.candidates;
        stats.rejected_diffraction_candidates = search.rejected;
        for (d, a) in search.paths.iter().zip(self.diffracted_coefficients(&search, &wedges.wedges)?) {
            // a ray along the edge itself (β₀ → 0) has no finite UTD coefficient: such a
            // path is counted as a rejected candidate, not returned as NaN
            if !keep_coefficient(a, &mut stats.rejected_diffraction_candidates, &mut stats.zero_paths) {
                continue;
            }
            let types: Vec<InteractionType> =
                (0..d.triangles.len()).map(|k| if k == d.position { InteractionType::Diffraction } else { InteractionType::Specular }).collect();
            self.push(paths, a, Chain { types: &types, triangles: &d.triangles, vertices: &d.vertices });
        }
        Ok(())
    }

    /// Coefficients of the diffracted paths of `search` on the backend that asked for them.
    fn diffracted_coefficients(&self, search: &DiffractionSearch, wedges: &[Wedge]) -> Result<Vec<Complex>> {
        let (geom, materials, tx, rx) = (self.geom, &self.materials, self.tx, self.rx);
        Ok(match self.backend {
            Backend::Cpu => search
                .paths
                .par_iter()
                .map(|d| {
                    let w = &wedges[d.wedge];
                    let (eta, thickness) = materials[geom.material[w.faces[0] as usize] as usize];
                    let inters: Vec<PathInteraction> = d
                        .triangles
                        .iter()
                        .enumerate()
                        .map(|(k, &t)| {
                            if k == d.position {
                                PathInteraction::Wedge(wedge_frame(w), WedgeMaterial { eta, thickness })
                            } else {
                                let (eta, thickness) = materials[geom.material[t as usize] as usize];
                                PathInteraction::Surface(FieldInteraction { transmission: false, normal: V3::cst(geom.normals[t as usize]), eta, thickness })
                            }
                        })
                        .collect();
                    let points: Vec<V3<f64>> = end_to_end(tx.position, &d.vertices, rx.position).into_iter().map(V3::cst).collect();
                    diffracted_path_coefficient(&points, &inters, &tx.antenna, &rx.antenna, self.candidates.wavelength)
                })
                .collect(),
            #[cfg(feature = "gpu")]
            Backend::Gpu(ctx) => {
                let gpu_paths: Vec<GpuPath> = search
                    .paths
                    .iter()
                    .map(|d| {
                        let inters = d
                            .triangles
                            .iter()
                            .enumerate()
                            .map(|(k, &t)| if k == d.position { gpu_wedge(geom, materials, &wedges[d.wedge]) } else { gpu_surface(geom, materials, t, false) })
                            .collect();
                        (d.vertices.as_slice(), inters)
                    })
                    .collect();
                gpu_coefficients(ctx, &gpu_paths, tx, rx, self.candidates.wavelength)?
            }
        })
    }
}
