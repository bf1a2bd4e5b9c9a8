//! [`ScatteringSolver`]: solver (B) as a struct, like [`crate::PathSolver`] for solver (A).
//! A solve keeps the scene, geometry and array centre it was made on, so its gradient
//! methods take only what differs between them (cotangents, velocities, a parameter).

use super::boundary::{boundary_samples, boundary_vertex_gradients, BoundaryOptions, BoundaryResult, GradientTerms};
use super::grad::{center_gradient, material_gradient, object_gradient, reevaluate_samples, sample_tangents, vertex_gradients, EchoCotangent};
use super::{surface_scattering, ScatteringOptions, ScatteringResult};
use crate::error::{Result, TraceError};
use crate::paths::gradients::GradientParam;
use crate::scene_geometry::SceneGeometry;
use glam::DVec3;
use rftwin_core::{Echo, Scene};

/// Solver (B): InverTwin's surface-scattering radar model.
///
/// ```
/// use rftwin_trace::scattering::{ScatteringOptions, ScatteringSolver};
/// use rftwin_trace::scattering::grad::EchoCotangent;
/// use rftwin_trace::SceneGeometry;
/// use rftwin_core::{Mesh, Scene};
/// use glam::DVec3;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut scene = Scene::new();
/// scene.add_object("target", Mesh::icosphere(DVec3::ZERO, 0.3, 2), "itu_metal")?;
/// let geom = SceneGeometry::new(&scene);
/// let solver = ScatteringSolver::new(ScatteringOptions { samples: 2_000, backend: rftwin_trace::BackendChoice::Cpu, ..Default::default() });
/// let solve = solver.solve(&scene, &geom, DVec3::new(0.0, -1.5, 0.0))?;
/// let echoes = solve.echoes()?;
/// assert_eq!(echoes.len(), solve.result.samples.len());
/// // ∂L/∂(array centre) for L = Σ Re(a): cotangent 1 on every echo's amplitude
/// let cot = vec![EchoCotangent { point: DVec3::ZERO, amplitude: rftwin_core::Complex::new(1.0, 0.0) }; echoes.len()];
/// let g = solve.center_gradient(&cot)?;
/// assert!(g.is_finite());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScatteringSolver {
    /// Frequency, sample budget, diffuse share, targets, backend.
    pub options: ScatteringOptions,
}

/// One solve of [`ScatteringSolver`]: the samples and the inputs they were drawn on.
#[derive(Debug, Clone)]
pub struct ScatteringSolve<'a> {
    /// The scene solved.
    pub scene: &'a Scene,
    /// Its traceable geometry.
    pub geom: &'a SceneGeometry,
    /// Array centre \[m\].
    pub center: DVec3,
    /// The options of the solve.
    pub options: &'a ScatteringOptions,
    /// The surface samples and ray counts.
    pub result: ScatteringResult,
}

impl ScatteringSolver {
    /// A solver with these options.
    pub fn new(options: ScatteringOptions) -> Self {
        ScatteringSolver { options }
    }

    /// Samples the surfaces visible from `center` ([`surface_scattering`]).
    pub fn solve<'a>(&'a self, scene: &'a Scene, geom: &'a SceneGeometry, center: DVec3) -> Result<ScatteringSolve<'a>> {
        let result = surface_scattering(scene, geom, center, &self.options)?;
        Ok(ScatteringSolve { scene, geom, center, options: &self.options, result })
    }

    /// Boundary samples on the silhouettes seen from `center` ([`boundary_samples`]).
    pub fn boundary(&self, scene: &Scene, geom: &SceneGeometry, center: DVec3, b: &BoundaryOptions) -> Result<BoundaryResult> {
        boundary_samples(scene, geom, center, &self.options, b)
    }
}

impl ScatteringSolve<'_> {
    /// The samples' echoes on the solved geometry ([`reevaluate_samples`]); after the
    /// geometry moves, the same samples re-evaluated on it.
    pub fn echoes(&self) -> Result<Vec<Echo>> {
        reevaluate_samples(self.scene, self.geom, &self.result, self.center, self.options)
    }

    /// Interior vertex gradients, per object and vertex ([`vertex_gradients`]).
    pub fn vertex_gradients(&self, cot: &[EchoCotangent]) -> Result<Vec<Vec<DVec3>>> {
        vertex_gradients(self.scene, self.geom, &self.result, self.center, self.options, cot)
    }

    /// Vertex gradients (per object, per vertex) of a loss with the chosen `terms`.
    /// `cot` holds the per-sample cotangents (as for [`Self::vertex_gradients`]);
    /// `boundary_cot` maps the boundary points to `∂L/∂a` there (for the radar
    /// surrogates: append zero-weight echoes at the points to the VJP call and take the
    /// real part of their weight gradients).
    pub fn vertex_gradients_with(&self, terms: &GradientTerms, cot: &[EchoCotangent], boundary_cot: impl FnOnce(&[DVec3]) -> Result<Vec<f64>>) -> Result<Vec<Vec<DVec3>>> {
        if !terms.interior && terms.boundary.is_none() {
            return Err(TraceError::InvalidInput { name: "gradient terms", message: "neither the interior nor the boundary term is selected".into() });
        }
        let mut g: Vec<Vec<DVec3>> = if terms.interior {
            self.vertex_gradients(cot)?
        } else {
            self.scene.objects().iter().map(|o| vec![DVec3::ZERO; o.mesh.vertices.len()]).collect()
        };
        if let Some(b) = &terms.boundary {
            let samples = boundary_samples(self.scene, self.geom, self.center, self.options, b)?;
            let points: Vec<DVec3> = samples.samples.iter().map(|s| s.point).collect();
            let c = boundary_cot(&points)?;
            for (go, bo) in g.iter_mut().zip(boundary_vertex_gradients(self.scene, &samples, &c)?) {
                for (x, y) in go.iter_mut().zip(bo) {
                    *x += y;
                }
            }
        }
        Ok(g)
    }

    /// Per-sample (position, delay-length) tangents for vertex velocities ([`sample_tangents`]).
    pub fn sample_tangents(&self, velocity: &[Vec<DVec3>]) -> Result<Vec<(DVec3, f64)>> {
        sample_tangents(self.scene, self.geom, &self.result, self.center, self.options, velocity)
    }

    /// Gradient with respect to the array centre ([`center_gradient`]).
    pub fn center_gradient(&self, cot: &[EchoCotangent]) -> Result<DVec3> {
        center_gradient(self.scene, self.geom, &self.result, self.center, self.options, cot)
    }

    /// Gradient with respect to a material parameter ([`material_gradient`]).
    pub fn material_gradient(&self, cot: &[EchoCotangent], param: &GradientParam) -> Result<f64> {
        material_gradient(self.scene, self.geom, &self.result, self.center, self.options, cot, param)
    }

    /// Gradient with respect to an object's pose or scale, from vertex gradients
    /// ([`object_gradient`]).
    pub fn object_gradient(&self, vertex_grads: &[Vec<DVec3>], param: &GradientParam) -> Result<Vec<f64>> {
        object_gradient(self.scene, vertex_grads, param)
    }
}
