//! The radar objective of InverTwin eq. 21: the multi-scale MSE between the surrogate
//! range–angle spectra of solver (B) and observed spectra, summed over one or more radar
//! views, with its gradient with respect to the target mesh's vertices (interior term
//! plus, optionally, the visibility boundary term).


pub mod cfr;
pub mod ris_coverage;

pub use cfr::CfrObjective;
pub use ris_coverage::RisCoverageObjective;

use crate::error::{InverseError, Result};
use glam::{DMat3, DVec3};
use rftwin_core::dual::{Dual, Real};
use rftwin_core::{Echo, Mesh, Scene};
use rftwin_radar::loss::multiscale_mse;
use rftwin_radar::spectrum::{AngleGrid, Spectrum};
use rftwin_radar::surrogate::{EchoGradient, spatial_power_surrogate, spatial_power_surrogate_vjp, spatial_surrogate, spatial_surrogate_vjp, SurrogateEcho, SurrogateOptions};
use rftwin_trace::scattering::boundary::{boundary_samples, boundary_vertex_gradients, GradientTerms};
use rftwin_trace::scattering::{surface_scattering, ScatteringOptions, ScatteringResult};
use rftwin_trace::scattering::grad::{vertex_gradients, EchoCotangent};
use rftwin_trace::SceneGeometry;
use std::time::Instant;

/// One radar pose: array centre, angle grid (boresight and axes) and range bins.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarView {
    /// Array centre \[m\].
    pub center: DVec3,
    /// Angle grid of the spectrum.
    pub grid: AngleGrid,
    /// Range of every spectrum bin \[m\].
    pub bins: Vec<f64>,
}

impl RadarView {
    /// A view from `center` looking at `target` (boresight towards it, `up` kept as
    /// close to +z as possible), an `n × n` angle grid over ±`half_fov` and `bins`
    /// range bins of spacing `spacing` centred on the target's distance.
    pub fn looking_at(center: DVec3, target: DVec3, half_fov: f64, n: usize, bins: usize, spacing: f64) -> Result<Self> {
        let f = target - center;
        let dist = f.length();
        if !(dist.is_finite() && dist > 0.0) || n == 0 || bins == 0 || spacing.is_nan() || spacing <= 0.0 || half_fov.is_nan() || half_fov <= 0.0 {
            return Err(InverseError::invalid("radar view", format!("centre {center}, target {target}, {n}×{n} angles, {bins} bins of {spacing} m")));
        }
        let forward = f / dist;
        let right = forward.cross(DVec3::Z);
        let right = if right.length() < 1e-6 { DVec3::X } else { right.normalize() };
        let up = right.cross(forward);
        let mut grid = AngleGrid::uniform(n, half_fov, n, half_fov);
        (grid.forward, grid.right, grid.up) = (forward, right, up);
        let first = dist - spacing * (bins as f64 - 1.0) / 2.0;
        Ok(RadarView { center, grid, bins: (0..bins).map(|k| first + spacing * k as f64).collect() })
    }

    /// Ranges `(near, far)` \[m\] the view's bins cover (half a bin beyond the outer
    /// bin centres).
    pub fn range_window(&self) -> (f64, f64) {
        let (first, last) = (self.bins.first().copied().unwrap_or(0.0), self.bins.last().copied().unwrap_or(0.0));
        let half = if self.bins.len() > 1 { (last - first) / (self.bins.len() - 1) as f64 / 2.0 } else { 0.0 };
        (first - half, last + half)
    }

    /// Refuses a mesh whose range extent lies mostly (more than half) outside the range
    /// window: its echoes would fall off the spectra, and a reconstruction would fail
    /// late with no hint why. A slight overhang (the default car reaches 9 mm past the
    /// far edge) is allowed.
    pub fn check_in_range(&self, mesh: &Mesh, what: &str) -> Result<()> {
        let (near, far) = self.range_window();
        let (lo, hi) = mesh.vertices.iter().map(|v| v.distance(self.center)).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), d| (a.min(d), b.max(d)));
        let inside = (hi.min(far) - lo.max(near)).max(0.0);
        // NaN ranges (an empty mesh) fail too
        if inside.is_nan() || inside <= 0.5 * (hi - lo) || !(lo.is_finite() && hi.is_finite()) {
            return Err(InverseError::invalid(
                "mesh",
                format!("the {what} spans ranges {lo:.3}–{hi:.3} m from the radar at {:.3?}, outside its range window {near:.3}–{far:.3} m ({} bins): scale or move the mesh", self.center, self.bins.len()),
            ));
        }
        Ok(())
    }
}

/// Time spent in one evaluation \[s\].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timing {
    /// Sampling (solver B) and the forward surrogate.
    pub simulate_s: f64,
    /// Surrogate VJP, interior and boundary vertex gradients.
    pub backward_s: f64,
}

/// Loss, per-vertex gradient and timing of one evaluation.
#[derive(Debug, Clone)]
pub struct SpectrumEvaluation {
    /// Σ over views of the multi-scale MSE divided by the view's mean squared observed
    /// spectrum.
    pub loss: f64,
    /// `∂L/∂v` of the target's vertices.
    pub vertex_grad: Vec<DVec3>,
    /// Simulated spectra (one per view).
    pub spectra: Vec<Spectrum>,
    /// Where the time went.
    pub timing: Timing,
}

/// Spectrum-matching objective for one target object.
#[derive(Debug)]
pub struct SpectrumObjective {
    scene: Scene,
    object: usize,
    target: String,
    geom: SceneGeometry,
    /// Radar views.
    pub views: Vec<RadarView>,
    /// Solver (B) settings (the seed is advanced per evaluation).
    pub scattering: ScatteringOptions,
    /// Surrogate settings.
    pub surrogate: SurrogateOptions,
    /// Pooling levels of the multi-scale MSE.
    pub scales: usize,
    /// Which gradient terms to compute.
    pub terms: GradientTerms,
    /// Fit the coherent spectrum of one phase draw ([`spatial_surrogate`]) instead of
    /// the phase-averaged one ([`spatial_power_surrogate`], the default: samples are
    /// drawn afresh every evaluation, and a coherent draw carries speckle that does not
    /// average out with more samples).
    pub coherent: bool,
    observed: Vec<Spectrum>,
}

impl SpectrumObjective {
    /// Observed vs simulated spectra of every view: one PNG per view and projection
    /// (range × azimuth and elevation × azimuth, each reduced by its maximum),
    /// `spectra_view{k}_range_azimuth.png` and `spectra_view{k}_azimuth_elevation.png` in
    /// `dir`; `simulated` names each set of spectra (one per view).
    pub fn plot_views(&self, dir: &std::path::Path, simulated: &[(&str, &[Spectrum])]) -> Result<()> {
        use crate::plot::{borrowed, heatmaps};
        use rftwin_radar::Reduce;
        for (k, view) in self.views.iter().enumerate() {
            let (na, ne, nb) = (view.grid.azimuth.len(), view.grid.elevation.len(), view.bins.len());
            let obs = self.observed()[k].on_grid(na, ne)?.project(Reduce::Max)?;
            let mut ra = vec![("observed: range × azimuth".to_string(), obs.0)];
            let mut ae = vec![("observed: elevation × azimuth".to_string(), obs.1)];
            for (name, s) in simulated {
                let p = s[k].on_grid(na, ne)?.project(Reduce::Max)?;
                ra.push((format!("{name}: range × azimuth"), p.0));
                ae.push((format!("{name}: elevation × azimuth"), p.1));
            }
            heatmaps(&dir.join(format!("spectra_view{k}_range_azimuth.png")), &borrowed(&ra), nb, na)?;
            heatmaps(&dir.join(format!("spectra_view{k}_azimuth_elevation.png")), &borrowed(&ae), ne, na)?;
        }
        Ok(())
    }
    /// An objective for object `target` of `scene` seen from `views`. Call
    /// [`SpectrumObjective::observe`] (or [`SpectrumObjective::set_observed`]) before
    /// evaluating.
    pub fn new(scene: Scene, target: &str, views: Vec<RadarView>, scattering: ScatteringOptions, surrogate: SurrogateOptions, terms: GradientTerms) -> Result<Self> {
        let object = scene.object_index(target)?;
        surrogate.validate()?;
        if views.is_empty() {
            return Err(InverseError::invalid("radar views", "need at least one view"));
        }
        if !terms.interior && terms.boundary.is_none() {
            return Err(InverseError::invalid("gradient terms", "neither the interior nor the boundary term is selected"));
        }
        let geom = SceneGeometry::new(&scene);
        Ok(SpectrumObjective { scene, object, target: target.to_string(), geom, views, scattering, surrogate, scales: 3, terms, coherent: false, observed: Vec::new() })
    }

    /// The scene in its current state.
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// Target vertices of the current state.
    pub fn vertices(&self) -> &[DVec3] {
        &self.scene.objects()[self.object].mesh.vertices
    }

    /// Observed spectra (one per view).
    pub fn observed(&self) -> &[Spectrum] {
        &self.observed
    }

    /// Uses given spectra as the observation.
    pub fn set_observed(&mut self, spectra: Vec<Spectrum>) -> Result<()> {
        if spectra.len() != self.views.len() {
            return Err(InverseError::invalid("observed spectra", format!("{} spectra for {} views", spectra.len(), self.views.len())));
        }
        for (s, v) in spectra.iter().zip(&self.views) {
            let want = [v.bins.len(), v.grid.azimuth.len() * v.grid.elevation.len(), 1];
            if s.dims != want {
                return Err(InverseError::invalid("observed spectra", format!("dims {:?}, view needs {want:?}", s.dims)));
            }
        }
        self.observed = spectra;
        Ok(())
    }

    /// Simulates the observation of `truth` (the same scene with the target at its true
    /// shape/pose) with `samples` rays and seed `seed` and stores it.
    pub fn observe(&mut self, truth: &Scene, samples: usize, seed: u64) -> Result<()> {
        let geom = SceneGeometry::new(truth);
        let mut opts = self.scattering.clone();
        (opts.samples, opts.seed) = (samples, seed);
        let spectra = self.views.iter().map(|v| self.spectrum(truth, &geom, v, &v.grid.directions(), &opts).map(|x| x.0)).collect::<Result<Vec<_>>>()?;
        self.observed = spectra;
        Ok(())
    }

    /// Surrogate echoes of a solve: the echoes themselves for the coherent spectrum,
    /// [`power_echoes`] for the phase-averaged one.
    fn surrogate_echoes(&self, echoes: &[Echo], res: &ScatteringResult, center: DVec3) -> Vec<SurrogateEcho> {
        if self.coherent {
            echoes.iter().map(|e| SurrogateEcho::from_echo(e, center)).collect()
        } else {
            power_echoes(echoes, res, center)
        }
    }

    /// Solves solver (B) for view `v` and returns the surrogate spectrum over `dirs`
    /// with the echoes, their surrogate views and the samples.
    fn spectrum(&self, scene: &Scene, geom: &SceneGeometry, v: &RadarView, dirs: &[DVec3], opts: &ScatteringOptions) -> Result<(Spectrum, Vec<Echo>, Vec<SurrogateEcho>, ScatteringResult)> {
        let res = surface_scattering(scene, geom, v.center, opts)?;
        if !res.second_bounce.is_empty() {
            return Err(InverseError::invalid("scattering options", "the spectrum objective differentiates first-bounce samples only; disable second_bounce"));
        }
        let echoes = res.echoes();
        let se = self.surrogate_echoes(&echoes, &res, v.center);
        let spec = if self.coherent { spatial_surrogate(&se, &v.bins, dirs, &self.surrogate)? } else { spatial_power_surrogate(&se, &v.bins, dirs, &self.surrogate)? };
        Ok((spec, echoes, se, res))
    }

    /// Moves the target's vertices (same topology) and refits the BVH.
    pub fn set_vertices(&mut self, vertices: &[DVec3]) -> Result<()> {
        let mesh = &mut self.scene.object_mut(&self.target)?.mesh;
        if vertices.len() != mesh.vertices.len() {
            return Err(InverseError::invalid("vertices", format!("{} vertices for a mesh of {}", vertices.len(), mesh.vertices.len())));
        }
        if let Some(i) = vertices.iter().position(|v| !v.is_finite()) {
            return Err(InverseError::invalid("vertices", format!("vertex {i} is not finite")));
        }
        mesh.vertices.copy_from_slice(vertices);
        let tris = self.geom.object.iter().zip(&self.geom.local_index).map(|(&o, &l)| {
            let m = &self.scene.objects()[o as usize].mesh;
            m.triangles[l as usize].map(|i| m.vertices[i as usize])
        }).collect();
        self.geom.update_triangles(tris).map_err(|e| InverseError::invalid("BVH refit", e.to_string()))
    }

    /// The per-echo cotangents of the interior term from the surrogate's per-echo
    /// gradients `eg`; in phase-averaged mode also the log-area correction, added to
    /// `vertex_grad` directly.
    fn interior_cotangents(&self, echoes: &[Echo], eg: &[EchoGradient], se: &[SurrogateEcho], res: &ScatteringResult, center: DVec3, vertex_grad: &mut [DVec3]) -> Vec<EchoCotangent> {
        let mut cot = Vec::with_capacity(echoes.len());
        for (i, (e, g)) in echoes.iter().zip(eg).enumerate() {
            let (px, ga) = SurrogateEcho::point_gradient(e, center, g);
            if self.coherent {
                cot.push(EchoCotangent { point: px, amplitude: ga });
                continue;
            }
            // P = |b|² = f² w with b = a/√w, a = f w, w ∝ triangle area A:
            // ∂P = 2f ∂a − P ∂log A, i.e. the a-cotangent ∂L/∂b /√w plus a
            // log-area correction −(b ∂L/∂b / 2) ∂log A/∂v added here.
            let s = &res.samples[i];
            let sw = s.area_weight.sqrt();
            cot.push(EchoCotangent { point: px, amplitude: ga / sw });
            let b = se[i].weight.re;
            let coef = -0.5 * b * ga.re;
            let o = self.geom.object[s.triangle as usize] as usize;
            if o == self.object {
                let idx = self.scene.objects()[o].mesh.triangles[self.geom.local_index[s.triangle as usize] as usize];
                let p = self.geom.triangles[s.triangle as usize];
                let cr = (p[1] - p[0]).cross(p[2] - p[0]);
                let nn = cr / cr.length_squared();
                // ∂log A/∂v_k = n̂ × (v_{k+2} − v_{k+1}) / (2A) = (cr × e_k)/|cr|²
                for k in 0..3 {
                    let e_k = p[(k + 2) % 3] - p[(k + 1) % 3];
                    vertex_grad[idx[k] as usize] += nn.cross(e_k) * coef;
                }
            }
        }
        cot
    }

    /// Loss and vertex gradient at the current state, with sampling seed `seed`.
    pub fn evaluate(&self, seed: u64) -> Result<SpectrumEvaluation> {
        if self.observed.len() != self.views.len() {
            return Err(InverseError::invalid("observation", "no observed spectra: call observe() or set_observed() first"));
        }
        let nv = self.vertices().len();
        let mut out = SpectrumEvaluation { loss: 0.0, vertex_grad: vec![DVec3::ZERO; nv], spectra: Vec::new(), timing: Timing::default() };
        for (k, (v, obs)) in self.views.iter().zip(&self.observed).enumerate() {
            let t0 = Instant::now();
            let mut opts = self.scattering.clone();
            opts.seed = seed.wrapping_mul(1_000_003).wrapping_add(k as u64);
            let dirs = v.grid.directions();
            let (spec, echoes, mut se, res) = self.spectrum(&self.scene, &self.geom, v, &dirs, &opts)?;
            let (l, mut dl) = multiscale_mse(&spec, obs, self.scales)?;
            // normalised by the observation's mean square, so the loss is O(1) whatever
            // the scene's scale (Adam's ε and the stopping rules assume that)
            let norm = obs.data.iter().map(|x| x * x).sum::<f64>() / obs.data.len().max(1) as f64;
            if norm.is_nan() || norm <= 0.0 {
                return Err(InverseError::invalid("observation", format!("view {k}: the observed spectrum is zero (nothing seen)")));
            }
            let l = l / norm;
            dl.data.iter_mut().for_each(|x| *x /= norm);
            let t1 = Instant::now();
            let bnd = match &self.terms.boundary {
                Some(b) => Some(boundary_samples(&self.scene, &self.geom, v.center, &opts, b)?),
                None => None,
            };
            if let Some(b) = &bnd {
                // zero-weight (coherent) or unit-weight (phase-averaged: the VJP of each
                // echo is independent of the others) probes at the boundary points
                let w = if self.coherent { 0.0 } else { 1.0 };
                se.extend(b.samples.iter().map(|s| {
                    let e = Echo { point: s.point, a: rftwin_core::Complex::new(w, 0.0), extra_path_m: 0.0 };
                    SurrogateEcho::from_echo(&e, v.center)
                }));
            }
            let eg = if self.coherent { spatial_surrogate_vjp(&se, &v.bins, &dirs, &self.surrogate, &dl)? } else { spatial_power_surrogate_vjp(&se, &v.bins, &dirs, &self.surrogate, &dl)? };
            let n = echoes.len();
            if self.terms.interior {
                let cot = self.interior_cotangents(&echoes, &eg[..n], &se, &res, v.center, &mut out.vertex_grad);
                let g = vertex_gradients(&self.scene, &self.geom, &res, v.center, &opts, &cot)?;
                for (a, b) in out.vertex_grad.iter_mut().zip(&g[self.object]) {
                    *a += *b;
                }
            }
            if let Some(b) = &bnd {
                let c: Vec<f64> = if self.coherent {
                    eg[n..].iter().map(|g| g.weight.re).collect()
                } else {
                    // ∂L/∂(f² dA) at the point is Σ ∂L/∂S K² = ∂L/∂b / 2 of a unit probe;
                    // the rates carry one factor f, so the cotangent is f · that
                    eg[n..].iter().zip(&b.samples).map(|(g, s)| 0.5 * g.weight.re * s.density).collect()
                };
                let g = boundary_vertex_gradients(&self.scene, b, &c)?;
                for (a, b) in out.vertex_grad.iter_mut().zip(&g[self.object]) {
                    *a += *b;
                }
            }
            out.loss += l;
            out.spectra.push(spec);
            out.timing.simulate_s += (t1 - t0).as_secs_f64();
            out.timing.backward_s += t1.elapsed().as_secs_f64();
        }
        Ok(out)
    }
}

/// Echoes of a solver (B) result for the phase-averaged surrogate
/// ([`spatial_power_surrogate`]): weights `a/√w` (`w` the sample's area weight), so
/// `Σ |a/√w|² K²` is the unbiased estimate of `∫ |f|² K² dA`. `echoes` are
/// `res.echoes()` (first-bounce samples, in order).
pub fn power_echoes(echoes: &[Echo], res: &ScatteringResult, center: DVec3) -> Vec<SurrogateEcho> {
    echoes
        .iter()
        .zip(&res.samples)
        .map(|(e, s)| {
            let mut se = SurrogateEcho::from_echo(e, center);
            se.weight /= s.area_weight.sqrt();
            se
        })
        .collect()
}

/// A rigid pose parameterisation: `v = R(α, β, γ)(v₀ − c₀) + c₀ + t` with
/// `R = Rz(γ) Ry(β) Rx(α)` about the reference centroid `c₀`.
#[derive(Debug, Clone, PartialEq)]
pub struct RigidPose {
    /// Reference vertices `v₀`.
    pub reference: Vec<DVec3>,
    /// Their centroid `c₀`.
    pub pivot: DVec3,
}

fn rotation<T: Real>(a: T, b: T, g: T) -> [[T; 3]; 3] {
    let (ca, sa, cb, sb, cg, sg) = (a.cos(), a.sin(), b.cos(), b.sin(), g.cos(), g.sin());
    [
        [cg * cb, cg * sb * sa - sg * ca, cg * sb * ca + sg * sa],
        [sg * cb, sg * sb * sa + cg * ca, sg * sb * ca - cg * sa],
        [T::cst(0.0) - sb, cb * sa, cb * ca],
    ]
}

impl RigidPose {
    /// Pose model around `reference`.
    pub fn new(reference: Vec<DVec3>) -> Self {
        RigidPose { pivot: crate::reparam::centroid(&reference), reference }
    }

    /// Rotation matrix of Euler angles `(α, β, γ)`.
    pub fn matrix(angles: [f64; 3]) -> DMat3 {
        let r = rotation(angles[0], angles[1], angles[2]);
        DMat3::from_cols(DVec3::new(r[0][0], r[1][0], r[2][0]), DVec3::new(r[0][1], r[1][1], r[2][1]), DVec3::new(r[0][2], r[1][2], r[2][2]))
    }

    /// Vertices of pose `p = [tx, ty, tz, α, β, γ]`.
    pub fn vertices(&self, p: &[f64]) -> Vec<DVec3> {
        let r = Self::matrix([p[3], p[4], p[5]]);
        let t = DVec3::new(p[0], p[1], p[2]);
        self.reference.iter().map(|v| r * (*v - self.pivot) + self.pivot + t).collect()
    }

    /// `∂L/∂p` from the vertex gradient `g` at pose `p`.
    pub fn pullback(&self, p: &[f64], g: &[DVec3]) -> Vec<f64> {
        let r = rotation(Dual::<3>::variable(p[3], 0), Dual::variable(p[4], 1), Dual::variable(p[5], 2));
        let mut out = vec![0.0; 6];
        for (v, gv) in self.reference.iter().zip(g) {
            out[0] += gv.x;
            out[1] += gv.y;
            out[2] += gv.z;
            let q = *v - self.pivot;
            for (row, gc) in r.iter().zip([gv.x, gv.y, gv.z]) {
                let x = row[0] * Dual::constant(q.x) + row[1] * Dual::constant(q.y) + row[2] * Dual::constant(q.z);
                for k in 0..3 {
                    out[3 + k] += gc * x.d[k];
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rigid_pose_pullback_matches_finite_differences() {
        let pose = RigidPose::new(vec![DVec3::new(0.1, 1.0, 0.2), DVec3::new(-0.3, 1.1, 0.0), DVec3::new(0.0, 0.9, -0.25)]);
        let p = [0.01, -0.02, 0.03, 0.1, -0.2, 0.3];
        let w = [DVec3::new(1.0, -2.0, 0.5), DVec3::new(0.3, 0.1, -1.0), DVec3::new(-0.7, 0.4, 0.9)];
        let f = |p: &[f64]| pose.vertices(p).iter().zip(&w).map(|(v, w)| v.dot(*w)).sum::<f64>();
        let an = pose.pullback(&p, &w);
        for k in 0..6 {
            let (mut a, mut b) = (p, p);
            a[k] += 1e-6;
            b[k] -= 1e-6;
            let fd = (f(&a) - f(&b)) / 2e-6;
            assert!((an[k] - fd).abs() < 1e-8, "{k}: {} vs {fd}", an[k]);
        }
        let r = RigidPose::matrix([0.1, -0.2, 0.3]);
        assert!((r.determinant() - 1.0).abs() < 1e-12);
        assert!((r * DVec3::X - DMat3::from_rotation_z(0.3) * DMat3::from_rotation_y(-0.2) * DVec3::X).length() < 1e-12);
    }
}
