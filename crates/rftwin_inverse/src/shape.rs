//! Shape reconstruction from radar spectra (InverTwin Sec. 4–5): the parameterisations an
//! optimiser moves (affine, free vertices in the large-steps form, a PCA prior's latent
//! space), the [`Problem`] that ties them to a [`SpectrumObjective`], and the two-stage
//! driver of the `reconstruct` example — a coarse affine stage, then free vertices.
//!
//! ```no_run
//! use rftwin_inverse::shape::{two_stage, Case, CaseOptions};
//! use rftwin_inverse::shapes::CarBody;
//! # fn main() -> rftwin_inverse::Result<()> {
//! let truth = CarBody::default().mesh(glam::DVec3::ZERO, rftwin_inverse::shape::SUBDIVISIONS);
//! let mut case = Case::new(truth, &CaseOptions::default())?;
//! let run = two_stage(&mut case, std::path::Path::new("out/reconstruct"), 40, 160, 30.0, false)?;
//! println!("{} iterations, {} vertices", run.history.len(), run.mesh.vertices.len());
//! # Ok(()) }
//! ```

use crate::autodiff::{OptimizerKind, ParamGroup, Schedule};
use crate::driver::{Evaluation, Problem, Reconstruction, Record, Settings};
use crate::metrics::mesh_distance;
use crate::objective::{RadarView, SpectrumObjective};
use crate::prior::ShapePrior;
use crate::reparam::{flatten, unflatten, AffineVertices, SmoothVertices};
use crate::Result;
use glam::DVec3;
use rftwin_core::{Mesh, Scene};
use rftwin_radar::surrogate::{RangeKernel, SurrogateOptions};
use rftwin_radar::FmcwConfig;
use rftwin_trace::scattering::boundary::{BoundaryOptions, GradientTerms};
use rftwin_trace::scattering::ScatteringOptions;
use rftwin_trace::BackendChoice;
use std::path::Path;

/// Icosphere subdivisions of the built-in shapes (642 vertices, 1280 triangles).
pub const SUBDIVISIONS: u32 = 3;

/// Settings of the case.
#[derive(Debug, Clone)]
pub struct CaseOptions {
    /// Rays per view and evaluation.
    pub samples: usize,
    /// Rays per view of the observation.
    pub observe_samples: usize,
    /// Diffuse share of the scattering model.
    pub diffuse: f64,
    /// Radius of the starting sphere \[m\].
    pub radius: f64,
    /// Boundary samples per view (0: interior term only).
    pub boundary_samples: usize,
    /// Where solver (B) runs.
    pub backend: BackendChoice,
}

impl Default for CaseOptions {
    /// The `reconstruct` example's defaults: 10⁴ rays per view and evaluation, 2·10⁵ for
    /// the observation, specular only, a 0.3 m sphere, interior gradients, CPU.
    fn default() -> Self {
        CaseOptions { samples: 10_000, observe_samples: 200_000, diffuse: 0.0, radius: 0.3, boundary_samples: 0, backend: BackendChoice::Cpu }
    }
}

impl CaseOptions {
    /// Refuses settings the case cannot use, before any simulation.
    pub fn validate(&self) -> Result<()> {
        if !(self.radius > 0.0 && self.radius.is_finite()) {
            return Err(crate::InverseError::InvalidInput { name: "radius", message: format!("{} (must be a positive length in metres)", self.radius) });
        }
        if !(0.0..=1.0).contains(&self.diffuse) {
            return Err(crate::InverseError::InvalidInput { name: "diffuse", message: format!("{} (must lie in [0, 1])", self.diffuse) });
        }
        if self.samples == 0 || self.observe_samples == 0 {
            return Err(crate::InverseError::InvalidInput { name: "samples", message: "rays per view must be at least 1".into() });
        }
        Ok(())
    }
}

/// Target, start, views and observation.
#[derive(Debug)]
pub struct Case {
    /// The mesh whose spectra are observed.
    pub truth: Mesh,
    /// The mesh the optimisation starts from.
    pub start: Mesh,
    /// Spectrum misfit over the six views, observed from `truth`.
    pub objective: SpectrumObjective,
    /// Describes the case for checkpoint fingerprints.
    pub fingerprint: String,
}

/// Six radar poses 1.6 m from the origin: three above the target (35° elevation) and
/// three below (−25°), interleaved in azimuth, so every side of the target is seen.
pub fn six_views(cfg: &FmcwConfig) -> Result<Vec<RadarView>> {
    let mut v = Vec::new();
    for k in 0..6 {
        let az = (k as f64) * std::f64::consts::PI / 3.0 + 0.3;
        let el = if k % 2 == 0 { 35f64 } else { -25f64 }.to_radians();
        let c = DVec3::new(el.cos() * az.cos(), el.cos() * az.sin(), el.sin()) * 1.6;
        v.push(RadarView::looking_at(c, DVec3::ZERO, 0.35, 11, 40, 0.5 * cfg.range_resolution())?);
    }
    Ok(v)
}

impl Case {
    /// Builds the case from the sphere of `o.radius` and simulates the observation of `truth`.
    pub fn new(truth: Mesh, o: &CaseOptions) -> Result<Case> {
        Self::with_start(truth, Mesh::icosphere(DVec3::ZERO, o.radius, SUBDIVISIONS), o)
    }

    /// Builds the case from a given start mesh.
    pub fn with_start(truth: Mesh, start: Mesh, o: &CaseOptions) -> Result<Case> {
        o.validate()?;
        let cfg = FmcwConfig::default();
        let lambda = cfg.wavelength();
        let mut truth_scene = Scene::new();
        truth_scene.add_object("target", truth.clone(), "itu_metal")?;
        let mut start_scene = Scene::new();
        start_scene.add_object("target", start.clone(), "itu_metal")?;
        let scattering = ScatteringOptions { frequency_hz: cfg.carrier_hz, samples: o.samples, diffuse: o.diffuse, backend: o.backend, ..Default::default() };
        // the default MIMO array spans 16 half-wavelengths per axis: aperture radius 4λ
        let surrogate = SurrogateOptions { sigma_m: cfg.range_resolution(), kernel: RangeKernel::Gaussian, aperture_radius_m: 4.0 * lambda, wavelength: lambda, random_phase_seed: Some(7) };
        let boundary = (o.boundary_samples > 0).then_some(BoundaryOptions { samples: o.boundary_samples, seed: 3, backend: o.backend });
        let views = six_views(&cfg)?;
        // before any simulation: both meshes must lie where every view's bins can see them
        for view in &views {
            view.check_in_range(&truth, "target")?;
            view.check_in_range(&start, "start mesh")?;
        }
        let mut objective = SpectrumObjective::new(start_scene, "target", views, scattering, surrogate, GradientTerms { interior: true, boundary })?;
        objective.observe(&truth_scene, o.observe_samples, 999)?;
        let sum = |m: &Mesh| m.vertices.iter().enumerate().map(|(k, v)| (k as f64 + 1.0) * (v.x + 2.0 * v.y + 3.0 * v.z)).sum::<f64>();
        let fingerprint = format!("samples {}, observed {}, k_d {}, boundary {}, {:?}, truth {} v / {:.9e}, start {} v / {:.9e}", o.samples, o.observe_samples, o.diffuse, o.boundary_samples, o.backend, truth.vertices.len(), sum(&truth), start.vertices.len(), sum(&start));
        Ok(Case { truth, start, objective, fingerprint })
    }
}

/// How the optimiser's values map to the target's vertices.
#[derive(Debug)]
pub enum VertexParam {
    /// Translation and per-axis log-scales of the start mesh.
    Affine(AffineVertices),
    /// Free vertices in the smooth (large-steps) parameterisation.
    Smooth(SmoothVertices),
    /// Coefficients of a PCA shape prior.
    Prior(ShapePrior),
}

impl VertexParam {
    /// The `n` vertices that the optimiser's values `v` stand for.
    pub fn vertices(&self, v: &[f64], n: usize) -> Result<Vec<DVec3>> {
        Ok(match self {
            VertexParam::Affine(a) => a.vertices(v),
            VertexParam::Smooth(s) => s.decode(v)?,
            VertexParam::Prior(p) => unflatten(&p.decode(v), n)?,
        })
    }
    /// Pulls a vertex gradient back to the optimiser's values.
    pub fn pullback(&self, v: &[f64], g: &[DVec3]) -> Result<Vec<f64>> {
        Ok(match self {
            VertexParam::Affine(a) => a.pullback(v, g),
            VertexParam::Smooth(s) => s.pullback(g)?,
            VertexParam::Prior(p) => p.pullback(&flatten(g)),
        })
    }
}

/// Spectrum objective under a parameterisation, with the Chamfer distance to the truth
/// logged every `chamfer_every` iterations.
#[derive(Debug)]
pub struct ShapeProblem<'a> {
    /// The spectrum misfit being minimised.
    pub objective: &'a mut SpectrumObjective,
    /// How the optimiser's values map to vertices.
    pub param: VertexParam,
    /// Reference mesh for the logged Chamfer distance.
    pub truth: &'a Mesh,
    /// Log the Chamfer distance every this many iterations (0: never).
    pub chamfer_every: usize,
    /// Added to the iteration number to seed each evaluation's Monte Carlo samples.
    pub seed_offset: u64,
}

impl ShapeProblem<'_> {
    /// The objective's current mesh.
    pub fn mesh(&self) -> Mesh {
        Mesh { vertices: self.objective.vertices().to_vec(), triangles: self.objective.scene().objects()[0].mesh.triangles.clone() }
    }
}

impl Problem for ShapeProblem<'_> {
    fn evaluate(&mut self, it: usize, v: &[Vec<f64>]) -> Result<Evaluation> {
        let n = self.objective.vertices().len();
        let x = self.param.vertices(&v[0], n)?;
        self.objective.set_vertices(&x)?;
        let ev = self.objective.evaluate(self.seed_offset + it as u64 + 1)?;
        let g = self.param.pullback(&v[0], &ev.vertex_grad)?;
        let mut metrics = std::collections::BTreeMap::new();
        if self.chamfer_every > 0 && it.is_multiple_of(self.chamfer_every) {
            metrics.insert("chamfer_m".to_string(), mesh_distance(&self.mesh(), self.truth, 4000)?.chamfer);
        }
        Ok(Evaluation { loss: ev.loss, gradients: vec![g], simulate_s: ev.timing.simulate_s, backward_s: ev.timing.backward_s, metrics })
    }
}

/// Result of a reconstruction run.
#[derive(Debug)]
pub struct Run {
    /// Every iteration of every stage, in order.
    pub history: Vec<Record>,
    /// Final mesh.
    pub mesh: Mesh,
}

fn settings(out: &Path, dir: &str, n: usize, quiet: bool, fingerprint: String) -> Settings {
    Settings { iterations: n, out_dir: Some(out.join(dir)), progress: !quiet, checkpoint_every: 10, fingerprint: Some(fingerprint), ..Default::default() }
}

/// Free-form reconstruction from the case's sphere: `coarse` iterations of translation
/// and per-axis scales, then `iterations` of free vertices in the large-steps
/// parameterisation with smoothing `lambda`. Stage outputs go to `out/stage1_affine` and
/// `out/stage2_vertices` (a rerun resumes from their checkpoints).
pub fn two_stage(case: &mut Case, out: &Path, coarse: usize, iterations: usize, lambda: f64, quiet: bool) -> Result<Run> {
    let affine = AffineVertices::new(case.start.vertices.clone());
    let group = ParamGroup::new("translation_and_log_scales", &[0.0; 6], 0.03, OptimizerKind::adam())?.with_schedule(Schedule::Cosine { iterations: coarse.max(1), floor: 0.1 });
    let mut stage1 = Reconstruction::new(vec![group], settings(out, "stage1_affine", coarse, quiet, format!("affine stage, {coarse} iterations; {}", case.fingerprint)))?;
    let mut problem = ShapeProblem { objective: &mut case.objective, param: VertexParam::Affine(affine), truth: &case.truth, chamfer_every: 5, seed_offset: 0 };
    stage1.run(&mut problem)?;
    let mut mesh = case.start.clone();
    mesh.vertices = problem.param.vertices(&stage1.values()[0], mesh.vertices.len())?;

    let smooth = SmoothVertices::new(&mesh, lambda)?;
    let u0 = smooth.encode(&mesh.vertices);
    let group = ParamGroup::new("vertices", &u0, 0.004, OptimizerKind::adam())?.with_schedule(Schedule::Cosine { iterations: iterations.max(1), floor: 0.05 });
    let mut stage2 = Reconstruction::new(vec![group], settings(out, "stage2_vertices", iterations, quiet, format!("vertex stage after {coarse} affine iterations, {iterations} iterations, λ {lambda}; {}", case.fingerprint)))?;
    let mut problem = ShapeProblem { objective: &mut case.objective, param: VertexParam::Smooth(smooth), truth: &case.truth, chamfer_every: 5, seed_offset: coarse as u64 };
    stage2.run(&mut problem)?;
    mesh.vertices = problem.param.vertices(&stage2.values()[0], mesh.vertices.len())?;
    case.objective.set_vertices(&mesh.vertices)?;
    Ok(Run { history: stage1.history.into_iter().chain(stage2.history).collect(), mesh })
}

/// Reconstruction in the latent space of `prior`, starting from the projection of the
/// case's sphere onto it; outputs in `out/prior`.
pub fn prior_stage(case: &mut Case, prior: ShapePrior, out: &Path, iterations: usize, quiet: bool) -> Result<Run> {
    let z0 = prior.encode(&flatten(&case.start.vertices));
    let group = ParamGroup::new("latent", &z0, 0.3, OptimizerKind::adam())?.with_schedule(Schedule::Cosine { iterations: iterations.max(1), floor: 0.05 });
    let mut rec = Reconstruction::new(vec![group], settings(out, "prior", iterations, quiet, format!("prior, {} components, {iterations} iterations; {}", prior.dim(), case.fingerprint)))?;
    let n = case.start.vertices.len();
    let mut problem = ShapeProblem { objective: &mut case.objective, param: VertexParam::Prior(prior), truth: &case.truth, chamfer_every: 5, seed_offset: 0 };
    rec.run(&mut problem)?;
    let mut mesh = case.start.clone();
    mesh.vertices = problem.param.vertices(&rec.values()[0], n)?;
    case.objective.set_vertices(&mesh.vertices)?;
    Ok(Run { history: rec.history, mesh })
}

/// Chamfer distances logged in a history: (iteration, metres).
pub fn chamfer_series(history: &[Record]) -> (Vec<f64>, Vec<f64>) {
    history.iter().enumerate().filter_map(|(k, r)| r.metrics.get("chamfer_m").map(|c| (k as f64, *c))).unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::CarBody;

    #[test]
    fn the_car_fits_every_view_and_a_moved_one_is_refused_with_the_window() {
        let cfg = FmcwConfig::default();
        let views = six_views(&cfg).unwrap();
        let car = CarBody::default().mesh(DVec3::ZERO, SUBDIVISIONS);
        let sphere = Mesh::icosphere(DVec3::ZERO, CaseOptions::default().radius, SUBDIVISIONS);
        for v in &views {
            v.check_in_range(&car, "target").unwrap();
            v.check_in_range(&sphere, "start mesh").unwrap();
        }
        // 3 m away (beyond every view's window) and twice too large
        let mut far = car.clone();
        far.translate(DVec3::new(3.0, 0.0, 0.0));
        let mut big = car.clone();
        big.vertices.iter_mut().for_each(|v| *v *= 3.0);
        for mesh in [&far, &big] {
            let e = views[0].check_in_range(mesh, "target").unwrap_err().to_string();
            assert!(e.contains("outside its range window") && e.contains("target"), "{e}");
        }
    }
}
