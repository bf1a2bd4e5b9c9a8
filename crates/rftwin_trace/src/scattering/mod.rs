//! Solver (B): radar surface scattering (InverTwin's path integral, eq. 4).
//!
//! The received signal is an integral over the surface points `x` visible from the
//! radar, `h = ∫ f(x) V(tx, x) V(x, rx) δ(t − τ(x)) dA(x)`, estimated by Monte Carlo:
//! rays from the array centre, uniform in the cone that holds the target's bounding
//! sphere, hit the scene; hits on target objects are samples stored as (triangle,
//! barycentric coordinates), i.e. points attached to the *reference surface*, with the
//! area-measure pdf `p_A = p_ω cos θ / d²`. With `elements` set, every sample is tested
//! for visibility against every Tx and Rx element and kept only if all see it (the
//! others are counted); without, visibility is that of the array centre.
//!
//! Scattering model (monostatic geometry, documented in `docs/physics.md`): a
//! physical-optics amplitude per unit area
//! `f(x) = λ / ((4π)^{3/2} d²) · (2√π / λ) · |R̄(θ)| · ((1 − k_d) cos θ + k_d τ(cos θ))`,
//! with `R̄` the TE/TM-averaged slab reflection magnitude of the material at incidence θ
//! and `k_d` a diffuse share. A flat facet integrated coherently gives the physical-optics
//! radar cross-section `4π A² / λ²` at normal incidence (the specular lobe emerges from
//! the coherent sum); `k_d` keeps a floor at oblique incidence, which the taper τ
//! ([`GRAZING_TAPER`]) takes to zero at grazing. An optional second
//! bounce follows each sample's mirror direction ([`SecondBounceSample`]).


pub mod boundary;
pub mod grad;
pub mod solver;

pub use solver::{ScatteringSolve, ScatteringSolver};

use crate::backend::{resolve, Backend, BackendChoice};
use crate::error::{Result, TraceError};
use crate::physics::field::slab_coefficients;
use crate::scene_geometry::{barycentric, SceneGeometry};
use glam::DVec3;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use rftwin_core::constants::wavelength;
use rftwin_core::dual::Real;
use rftwin_core::{Complex, Echo, Scene};
use std::f64::consts::PI;

/// Settings of [`surface_scattering`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScatteringOptions {
    /// Carrier frequency \[Hz\] (wavelength and material parameters).
    pub frequency_hz: f64,
    /// Rays cast from the array centre.
    pub samples: usize,
    /// Seed of the ray directions.
    pub seed: u64,
    /// Diffuse share `k_d` in [0, 1].
    pub diffuse: f64,
    /// Objects that scatter; hits on other objects only occlude. Empty = all objects.
    pub targets: Vec<String>,
    /// Follow each first-bounce sample along its mirror direction to a second target
    /// surface and return from there (see [`SecondBounceSample`]).
    pub second_bounce: bool,
    /// Tx and Rx element positions to test every sample's visibility against. Empty:
    /// visibility from the array centre only (the sampling rays), which ignores the
    /// parallax of occluder edges across the aperture.
    pub elements: Vec<DVec3>,
    /// Where the rays are cast (the `scatter_samples` kernel on the GPU). The GPU draws
    /// its directions from its own hash-based stream, so its samples differ from the
    /// CPU's while estimating the same integral.
    pub backend: BackendChoice,
}

impl Default for ScatteringOptions {
    fn default() -> Self {
        ScatteringOptions {
            frequency_hz: 77e9,
            samples: 100_000,
            seed: 1,
            diffuse: 0.1,
            targets: Vec::new(),
            second_bounce: false,
            elements: Vec::new(),
            backend: BackendChoice::Auto,
        }
    }
}

/// One surface sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfaceSample {
    /// Global triangle index.
    pub triangle: u32,
    /// Barycentric coordinates `(b1, b2)` of `v1`, `v2` (`b0 = 1 − b1 − b2`).
    pub barycentric: [f64; 2],
    /// The point \[m\].
    pub point: DVec3,
    /// Monte Carlo area weight `1 / (N p_A)` \[m²\].
    pub area_weight: f64,
    /// Echo amplitude `f(x) · area_weight` (no propagation phase).
    pub amplitude: Complex,
}

/// A two-bounce echo: radar → `first` (mirror reflection) → `point` → radar.
///
/// Amplitude (a heuristic extension of the one-bounce density, documented in
/// `docs/physics.md`): `a₂ = λ / ((4π)^{3/2} d₁ (d₁₂ + d₂)) · (2√π/λ) · R̄₁ g(θ₁) · R̄₂ g(θ₂) · w₀`
/// with `g(θ) = (1 − k_d) cos θ + k_d`, θ₂ the angle between the second surface's normal
/// and the direction back to the radar, and `w₀` the first sample's area weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SecondBounceSample {
    /// Global triangle of the first bounce.
    pub first_triangle: u32,
    /// First bounce point \[m\].
    pub first_point: DVec3,
    /// Global triangle of the second bounce.
    pub triangle: u32,
    /// Second bounce point \[m\] (the echo's point for the receive leg).
    pub point: DVec3,
    /// `d₁ + d₁₂ − d₂` with the legs measured from the array centre \[m\]: the echo's
    /// extra path, so that a channel's delay is `(|p − tx| + |p − rx| + extra) / c`.
    pub extra_path_m: f64,
    /// Amplitude.
    pub amplitude: Complex,
}

/// The samples and what happened to the rays.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScatteringResult {
    /// Samples on target surfaces.
    pub samples: Vec<SurfaceSample>,
    /// Rays cast.
    pub rays: u64,
    /// Rays that hit nothing.
    pub missed: u64,
    /// Rays whose first hit is not a target object (occluded or other geometry).
    pub occluded: u64,
    /// Hits dropped because the ray grazes the surface (cos θ < 1e-6): their pdf would be
    /// unbounded.
    pub grazing_dropped: u64,
    /// Two-bounce echoes (only with `second_bounce`).
    pub second_bounce: Vec<SecondBounceSample>,
    /// Samples dropped because some (not all) array elements do not see them (only with
    /// `elements`); they lie on occlusion boundaries across the aperture.
    pub partially_visible: u64,
    /// Samples dropped because no array element sees them.
    pub element_occluded: u64,
}

impl ScatteringResult {
    /// The samples as radar echoes: first-bounce samples, then two-bounce ones.
    pub fn echoes(&self) -> Vec<Echo> {
        self.samples
            .iter()
            .map(|s| Echo { point: s.point, a: s.amplitude, extra_path_m: 0.0 })
            .chain(self.second_bounce.iter().map(|s| Echo { point: s.point, a: s.amplitude, extra_path_m: s.extra_path_m }))
            .collect()
    }
}

/// Width, in cos θ, of the grazing taper of the diffuse floor: below `cos θ = 0.1`
/// (θ > 84.3°) the floor falls to zero as `1 − (1 − cos θ / 0.1)²`.
///
/// Without it a facet of a closed mesh would carry `k_d f A` up to the instant it turns
/// past grazing and nothing after — a jump in the received signal at every facet flip,
/// which no interior or boundary term of a faceted surface captures (its smooth-surface
/// counterpart is a terminator term that needs the surface's curvature). With it, a
/// facet's contribution vanishes continuously at grazing, as any reciprocal diffuse
/// model's does (Lambert's amplitude goes as cos θ), so gradients of solver (B) need no
/// term for facet flips.
pub const GRAZING_TAPER: f64 = 0.1;

/// Angular factor `g(θ) = (1 − k_d) cos θ + k_d τ(cos θ)` of the scattering density, with
/// the grazing taper `τ(c) = 1 − (1 − c/c_g)²` below `c_g` = [`GRAZING_TAPER`] and 1
/// above (continuous with its first derivative).
pub fn lobe<T: Real>(cos_theta: T, diffuse: f64) -> T {
    let floor = if cos_theta.value() < GRAZING_TAPER {
        let u = T::cst(1.0) - cos_theta * T::cst(1.0 / GRAZING_TAPER);
        T::cst(1.0) - u * u
    } else {
        T::cst(1.0)
    };
    T::cst(1.0 - diffuse) * cos_theta + T::cst(diffuse) * floor
}

/// Scattering amplitude per unit area `f(x) = λ/((4π)^{3/2} d²) · 2√π/λ · R̄ · g(θ)` (see
/// the module docs), over any [`Real`]: the one definition serving solver (B)'s values
/// and its dual-number gradients.
pub fn scattering_density<T: Real>(lambda: f64, distance: T, cos_theta: T, reflection: T, diffuse: f64) -> T {
    let spreading = T::cst(lambda) / (T::cst((4.0 * PI).powf(1.5)) * distance * distance);
    spreading * T::cst(2.0 * PI.sqrt() / lambda) * reflection * lobe(cos_theta, diffuse)
}

/// Samples the surfaces of `scene` visible from `center`.
pub fn surface_scattering(scene: &Scene, geom: &SceneGeometry, center: DVec3, opts: &ScatteringOptions) -> Result<ScatteringResult> {
    crate::paths::ris::refuse_unmodelled(scene, "solver (B)")?;
    let model = Model::new(scene, geom, center, opts)?;
    match resolve(opts.backend)? {
        Backend::Cpu => Ok(cpu_scattering(&model)),
        #[cfg(feature = "gpu")]
        Backend::Gpu(ctx) => Ok(model.result_of_records(&gpu_records(ctx, &model)?)),
    }
}

/// [`surface_scattering`] on the GPU, also returning the kernel's raw records (its f32
/// amplitudes and area weights; the result recomputes both in f64 at each sample's
/// point, so that forward values and [`crate::scattering::grad`] agree exactly). For
/// parity tests and diagnostics.
#[cfg(feature = "gpu")]
pub fn surface_scattering_gpu_records(scene: &Scene, geom: &SceneGeometry, center: DVec3, opts: &ScatteringOptions) -> Result<(ScatteringResult, Vec<rftwin_gpu::scatter::ScatterRecord>)> {
    crate::paths::ris::refuse_unmodelled(scene, "solver (B)")?;
    let Backend::Gpu(ctx) = resolve(BackendChoice::Gpu)? else {
        return Err(TraceError::InvalidInput { name: "backend", message: "no GPU backend".into() });
    };
    let model = Model::new(scene, geom, center, opts)?;
    let records = gpu_records(ctx, &model)?;
    Ok((model.result_of_records(&records), records))
}

/// Solver (B) on the CPU.
fn cpu_scattering(model: &Model) -> ScatteringResult {
    let Model { geom, center, opts, axis, t1, t2, cos_max, .. } = *model;
    let is_target = &model.is_target;
    let eps = geom.eps();
    enum Outcome {
        Sample(SurfaceSample),
        Missed,
        Occluded,
        Grazing,
        Partial,
        ElementOccluded,
    }
    // One random stream per ray, seeded by (seed, ray index): the same samples for any
    // thread count.
    let outcomes: Vec<Outcome> = (0..opts.samples)
        .into_par_iter()
        .map(|i| {
            let mut rng = rand_pcg::Pcg32::seed_from_u64(opts.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let z: f64 = 1.0 - rng.gen::<f64>() * (1.0 - cos_max);
            let phi = 2.0 * PI * rng.gen::<f64>();
            let r = (1.0 - z * z).max(0.0).sqrt();
            let d = (t1 * (r * phi.cos()) + t2 * (r * phi.sin()) + axis * z).normalize();
            let Some(hit) = geom.closest_hit(center, d, eps, f64::INFINITY, None) else { return Outcome::Missed };
            let tri = hit.triangle as usize;
            if !is_target[geom.object[tri] as usize] {
                return Outcome::Occluded;
            }
            let n = geom.normals[tri];
            let cos_theta = d.dot(n).abs();
            if cos_theta < crate::tolerance::GRAZING_COS {
                return Outcome::Grazing;
            }
            let point = center + d * hit.t;
            if !opts.elements.is_empty() {
                let seen = opts.elements.iter().filter(|e| !geom.occluded(point, **e, [Some(hit.triangle), None], eps)).count();
                if seen == 0 {
                    return Outcome::ElementOccluded;
                }
                if seen < opts.elements.len() {
                    return Outcome::Partial;
                }
            }
            let [v0, v1, v2] = geom.triangles[tri];
            let barycentric = barycentric(point, v0, v1, v2);
            Outcome::Sample(model.first_bounce(hit.triangle, barycentric, point))
        })
        .collect();
    let mut out = ScatteringResult { rays: opts.samples as u64, ..Default::default() };
    for o in outcomes {
        match o {
            Outcome::Sample(s) => out.samples.push(s),
            Outcome::Missed => out.missed += 1,
            Outcome::Occluded => out.occluded += 1,
            Outcome::Grazing => out.grazing_dropped += 1,
            Outcome::Partial => out.partially_visible += 1,
            Outcome::ElementOccluded => out.element_occluded += 1,
        }
    }
    if opts.second_bounce {
        out.second_bounce = cpu_second_bounce(model, &out.samples);
    }
    out
}

/// Each first-bounce sample followed along its mirror direction to a second target
/// surface that sees the array centre.
fn cpu_second_bounce(model: &Model, first: &[SurfaceSample]) -> Vec<SecondBounceSample> {
    let (geom, center, eps) = (model.geom, model.center, model.geom.eps());
    first
        .par_iter()
        .filter_map(|s| {
            let n1 = geom.normals[s.triangle as usize];
            let d_in = (s.point - center).normalize();
            let d_out = d_in - 2.0 * d_in.dot(n1) * n1;
            let hit = geom.closest_hit(s.point, d_out, eps, f64::INFINITY, Some(s.triangle))?;
            if !model.is_target[geom.object[hit.triangle as usize] as usize] {
                return None;
            }
            let p2 = s.point + d_out * hit.t;
            if geom.occluded(p2, center, [Some(hit.triangle), None], eps) {
                return None;
            }
            Some(model.second_bounce(s, hit.triangle, p2))
        })
        .collect()
}

/// The validated set-up and f64 scattering model shared by the CPU and GPU paths and
/// by the boundary term.
pub(crate) struct Model<'a> {
    pub(crate) geom: &'a SceneGeometry,
    pub(crate) opts: &'a ScatteringOptions,
    pub(crate) center: DVec3,
    /// Per object: scatters (target) or only occludes.
    pub(crate) is_target: Vec<bool>,
    /// Per material: `(η, thickness)` at the carrier frequency.
    materials: Vec<(Complex, f64)>,
    pub(crate) lambda: f64,
    /// The sampling cone around the targets' bounding sphere.
    axis: DVec3,
    t1: DVec3,
    t2: DVec3,
    cos_max: f64,
    pdf_omega: f64,
}

impl<'a> Model<'a> {
    pub(crate) fn new(scene: &Scene, geom: &'a SceneGeometry, center: DVec3, opts: &'a ScatteringOptions) -> Result<Self> {
        geom.check_matches(scene)?;
        if !(opts.frequency_hz.is_finite() && opts.frequency_hz > 0.0) {
            return Err(TraceError::InvalidInput { name: "frequency_hz", message: format!("must be > 0, got {}", opts.frequency_hz) });
        }
        if opts.samples == 0 {
            return Err(TraceError::InvalidInput { name: "samples", message: "must be > 0".into() });
        }
        if !(0.0..=1.0).contains(&opts.diffuse) {
            return Err(TraceError::InvalidInput { name: "diffuse", message: format!("must be in [0, 1], got {}", opts.diffuse) });
        }
        if !center.is_finite() {
            return Err(TraceError::InvalidInput { name: "center", message: format!("must be finite, got {center}") });
        }
        let mut is_target = vec![opts.targets.is_empty(); scene.objects().len()];
        for name in &opts.targets {
            is_target[scene.object_index(name)?] = true;
        }
        let materials: Vec<(Complex, f64)> = scene.slab_table(opts.frequency_hz)?;
        // Bounding sphere of the targets.
        let (mut lo, mut hi) = (DVec3::splat(f64::INFINITY), DVec3::splat(f64::NEG_INFINITY));
        for (obj, _) in scene.objects().iter().zip(&is_target).filter(|(_, t)| **t) {
            if let Some((a, b)) = obj.mesh.bounds() {
                lo = lo.min(a);
                hi = hi.max(b);
            }
        }
        let sphere_c = (lo + hi) / 2.0;
        let sphere_r = (hi - lo).length() / 2.0 * 1.001 + 1e-9;
        let to_c = sphere_c - center;
        let dist = to_c.length();
        let (axis, cos_max) = if dist > sphere_r { (to_c / dist, (1.0 - (sphere_r / dist).powi(2)).sqrt()) } else { (DVec3::Z, -1.0) };
        let (t1, t2) = axis.any_orthonormal_pair();
        let pdf_omega = 1.0 / (2.0 * PI * (1.0 - cos_max));
        Ok(Model { geom, opts, center, is_target, materials, lambda: wavelength(opts.frequency_hz), axis, t1, t2, cos_max, pdf_omega })
    }

    /// Scattering amplitude per unit area `f(x)` at `point` on triangle `tri`.
    pub(crate) fn density(&self, tri: usize, point: DVec3) -> f64 {
        let t = (point - self.center).length();
        let cos_theta = self.geom.normals[tri].dot((point - self.center) / t).abs();
        scattering_density(self.lambda, t, cos_theta, self.reflection(tri, cos_theta), self.opts.diffuse)
    }

    /// TE/TM-averaged slab reflection magnitude of triangle `tri` at incidence `cos`.
    fn reflection(&self, tri: usize, cos: f64) -> f64 {
        let (eta, thickness) = self.materials[self.geom.material[tri] as usize];
        let c = slab_coefficients(eta, thickness, self.lambda, cos);
        0.5 * (c.r_te.norm() + c.r_tm.norm())
    }

    fn lobe(&self, cos: f64) -> f64 {
        lobe(cos, self.opts.diffuse)
    }

    /// The sample at `point` on `triangle`, hit by the ray from the centre.
    fn first_bounce(&self, triangle: u32, barycentric: [f64; 2], point: DVec3) -> SurfaceSample {
        let tri = triangle as usize;
        let t = (point - self.center).length();
        let cos_theta = self.geom.normals[tri].dot((point - self.center) / t).abs();
        let pdf_area = self.pdf_omega * cos_theta / (t * t);
        let area_weight = 1.0 / (self.opts.samples as f64 * pdf_area);
        let f = self.density(tri, point);
        SurfaceSample { triangle, barycentric, point, area_weight, amplitude: Complex::new(f * area_weight, 0.0) }
    }

    /// The two-bounce echo from first sample `s` to `p2` on `triangle`.
    fn second_bounce(&self, s: &SurfaceSample, triangle: u32, p2: DVec3) -> SecondBounceSample {
        let c = self.center;
        let (tri1, tri2) = (s.triangle as usize, triangle as usize);
        let (d1, d12, d2) = ((s.point - c).length(), (p2 - s.point).length(), (p2 - c).length());
        let cos1 = ((s.point - c) / d1).dot(self.geom.normals[tri1]).abs();
        let cos2 = ((c - p2) / d2).dot(self.geom.normals[tri2]).abs();
        let lambda = self.lambda;
        let a = lambda / ((4.0 * PI).powf(1.5) * d1 * (d12 + d2)) * (2.0 * PI.sqrt() / lambda)
            * self.reflection(tri1, cos1)
            * self.lobe(cos1)
            * self.reflection(tri2, cos2)
            * self.lobe(cos2)
            * s.area_weight;
        SecondBounceSample { first_triangle: s.triangle, first_point: s.point, triangle, point: p2, extra_path_m: d1 + d12 - d2, amplitude: Complex::new(a, 0.0) }
    }

    /// The result from the GPU kernel's records: sample points on the f64 reference
    /// surface from their barycentric coordinates, weights and amplitudes in f64.
    #[cfg(feature = "gpu")]
    fn result_of_records(&self, records: &[rftwin_gpu::scatter::ScatterRecord]) -> ScatteringResult {
        use rftwin_gpu::scatter::outcome;
        let mut out = ScatteringResult { rays: self.opts.samples as u64, ..Default::default() };
        for r in records {
            match r.outcome {
                outcome::SAMPLE => {
                    let [v0, v1, v2] = self.geom.triangles[r.triangle as usize];
                    let b = [r.bary[0] as f64, r.bary[1] as f64];
                    let s = self.first_bounce(r.triangle, b, v0 + (v1 - v0) * b[0] + (v2 - v0) * b[1]);
                    if r.triangle2 != u32::MAX {
                        let p2 = DVec3::new(r.point2[0] as f64, r.point2[1] as f64, r.point2[2] as f64);
                        out.second_bounce.push(self.second_bounce(&s, r.triangle2, p2));
                    }
                    out.samples.push(s);
                }
                outcome::MISSED => out.missed += 1,
                outcome::OCCLUDED => out.occluded += 1,
                outcome::GRAZING => out.grazing_dropped += 1,
                outcome::PARTIAL => out.partially_visible += 1,
                _ => out.element_occluded += 1,
            }
        }
        out
    }
}

/// Runs the `scatter_samples` kernel.
#[cfg(feature = "gpu")]
fn gpu_records(ctx: &rftwin_gpu::GpuContext, model: &Model) -> Result<Vec<rftwin_gpu::scatter::ScatterRecord>> {
    use rftwin_gpu::sbr::SlabMaterial;
    use rftwin_gpu::scatter::{GpuScatter, ScatterParams, ScatterTri};
    let (geom, opts) = (model.geom, model.opts);
    if opts.samples > u32::MAX as usize {
        return Err(TraceError::InvalidInput { name: "samples", message: format!("the GPU backend takes at most {} rays", u32::MAX) });
    }
    let tris: Vec<ScatterTri> = (0..geom.num_triangles())
        .map(|t| ScatterTri { normal: geom.normals[t].as_vec3().into(), material: geom.material[t], is_target: model.is_target[geom.object[t] as usize] as u32, pad: [0; 3] })
        .collect();
    let mats: Vec<SlabMaterial> = model.materials.iter().map(|(eta, d)| SlabMaterial { eta: [eta.re as f32, eta.im as f32], thickness: *d as f32, pad: 0.0 }).collect();
    let gpu = GpuScatter::new(ctx, &geom.bvh, &tris, &mats)?;
    let v = |x: DVec3| -> [f32; 3] { x.as_vec3().into() };
    let params = ScatterParams {
        center: v(model.center),
        samples: opts.samples as u32,
        axis: v(model.axis),
        first_sample: 0,
        t1: v(model.t1),
        count: 0,
        t2: v(model.t2),
        seed: (opts.seed ^ (opts.seed >> 32)) as u32,
        one_minus_cos_max: (1.0 - model.cos_max) as f32,
        pdf_omega: model.pdf_omega as f32,
        wavelength: model.lambda as f32,
        diffuse: opts.diffuse as f32,
        // single-precision hit points: step off surfaces by a small fraction of the scene
        eps: (crate::tolerance::F32_RAY_OFFSET_REL * geom.scale).max(geom.eps()) as f32,
        n_elements: 0,
        second_bounce: opts.second_bounce as u32,
        pad: 0,
    };
    let elements: Vec<[f32; 3]> = opts.elements.iter().map(|e| v(*e)).collect();
    let mut records = Vec::with_capacity(opts.samples);
    gpu.run(ctx, params, &elements, 1 << 20, |_, r| records.extend_from_slice(r))?;
    Ok(records)
}


#[cfg(test)]
mod tests {
    use super::*;
    use rftwin_core::dual::Dual;

    #[test]
    fn lobe_vanishes_at_grazing_and_is_c1_at_the_taper() {
        for kd in [0.0, 0.1, 0.3, 1.0] {
            assert_eq!(lobe(0.0, kd), 0.0);
            // above the taper: the untapered floor
            for c in [0.1, 0.5, 1.0] {
                assert!((lobe(c, kd) - ((1.0 - kd) * c + kd)).abs() < 1e-15);
            }
            // value and slope continuous at c_g; slope against central differences below it
            let h = 1e-7;
            let slope = |c: f64| lobe(Dual::<1>::variable(c, 0), kd).d[0];
            let (below, above) = (slope(GRAZING_TAPER - 1e-12), slope(GRAZING_TAPER + 1e-12));
            assert!((below - above).abs() < 1e-9, "k_d {kd}: slope {below} vs {above}");
            for c in [0.01, 0.05, 0.09] {
                let fd = (lobe(c + h, kd) - lobe(c - h, kd)) / (2.0 * h);
                assert!((slope(c) - fd).abs() < 1e-6, "k_d {kd}, cos {c}: {} vs {fd}", slope(c));
            }
        }
    }
}
