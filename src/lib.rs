//! # rftwin
//!
//! Differentiable radio-frequency simulation: a BVH mesh ray tracer whose outputs —
//! propagation paths, channel responses, radar signals — are meant to be
//! differentiated with respect to the scene.
//!
//! This facade re-exports the workspace crates:
//! [`core`] (scenes, materials, antennas, [`Paths`]), [`bvh`], [`trace`]
//! (path solvers, channel responses), [`radar`] (FMCW signal chain, spectra,
//! differentiable surrogates, losses), [`inverse`] (optimisers, reconstruction) and
//! [`isac`] (RIS-aided ISAC: RIS codebooks, FT wavenumber-domain and compressed-sensing
//! imaging).
//!
//! ```
//! use rftwin::{PathSolver, SolverOptions, Scene, Radio, ItuMaterial};
//! use glam::DVec3;
//!
//! let scene = Scene::canyon(ItuMaterial::Metal);
//! let solver = PathSolver::new(SolverOptions { max_depth: 1, samples: 20_000, refraction: false, ..Default::default() });
//! let paths = solver.solve_scene(&scene,
//!     &Radio::isotropic(DVec3::new(-22.0, 1.0, 9.0)),
//!     &Radio::isotropic(DVec3::new(24.0, -2.0, 1.5))).unwrap();
//! assert_eq!(paths.num_paths(), 4); // LoS + ground + box_a + box_b
//! ```
//!
//! Solver (B), the radar model of InverTwin: surface samples seen from an array centre,
//! their echoes and exact gradients with respect to the array and the mesh.
//!
//! ```
//! use rftwin::{BackendChoice, EchoCotangent, Mesh, Scene, SceneGeometry, ScatteringOptions, ScatteringSolver};
//! use glam::DVec3;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut scene = Scene::new();
//! scene.add_object("target", Mesh::icosphere(DVec3::ZERO, 0.3, 2), "itu_metal")?;
//! let geom = SceneGeometry::new(&scene);
//! let solver = ScatteringSolver::new(ScatteringOptions { samples: 5_000, backend: BackendChoice::Cpu, ..Default::default() });
//! let solve = solver.solve(&scene, &geom, DVec3::new(0.0, -1.5, 0.0))?;
//! let echoes = solve.echoes()?;
//! // L = Σ |x − c|: moving the array away lengthens every echo path
//! let cot: Vec<EchoCotangent> = echoes.iter().map(|e| EchoCotangent { point: (e.point - solve.center).normalize(), ..Default::default() }).collect();
//! let per_vertex = solve.vertex_gradients(&cot)?;
//! assert_eq!(per_vertex[0].len(), scene.objects()[0].mesh.vertices.len());
//! # Ok(())
//! # }
//! ```
//!
//! Shape reconstruction from radar spectra (the `reconstruct` example, as a library call):
//! a car body observed from six poses, reconstructed from a sphere.
//!
//! ```no_run
//! use rftwin::{two_stage, Case, CaseOptions};
//! use rftwin::inverse::{metrics::mesh_distance, shape::SUBDIVISIONS, shapes::CarBody};
//!
//! let truth = CarBody::default().mesh(glam::DVec3::ZERO, SUBDIVISIONS);
//! let mut case = Case::new(truth, &CaseOptions::default())?;
//! let run = two_stage(&mut case, std::path::Path::new("out/my_run"), 40, 160, 30.0, false)?;
//! println!("Chamfer {:.1} mm", 1e3 * mesh_distance(&run.mesh, &case.truth, 20_000)?.chamfer);
//! # Ok::<(), rftwin::InverseError>(())
//! ```

#![warn(missing_docs)]

pub use rftwin_bvh as bvh;
#[cfg(feature = "gpu")]
pub use rftwin_gpu as gpu;
pub use rftwin_core as core;
pub use rftwin_inverse as inverse;
pub use rftwin_isac as isac;
pub use rftwin_radar as radar;
pub use rftwin_trace as trace;

pub use rftwin_bvh::Bvh;
pub use rftwin_core::{Antenna, AntennaPattern, Complex, Echo, InteractionType, ItuMaterial, Mesh, Paths, Polarization, Radio, RadioMaterial, Scene};
// Solver (A): paths, channel responses, their gradients, coverage maps.
pub use rftwin_trace::coverage::{cell_coverage, CellCoverage, CellGrid, CoverageRequest};
pub use rftwin_trace::paths::channel::{cfr, cir};
pub use rftwin_trace::{path_gradients, path_vertex_gradients, BackendChoice, GradientParam, PathGradients, PathSolver, SceneGeometry, SolverOptions};
// Solver (B): surface scattering and its interior and boundary gradient terms.
pub use rftwin_trace::scattering::boundary::{BoundaryOptions, GradientTerms};
pub use rftwin_trace::scattering::grad::EchoCotangent;
pub use rftwin_trace::scattering::{surface_scattering, ScatteringOptions, ScatteringResult, ScatteringSolve, ScatteringSolver};
// Radar chain.
pub use rftwin_radar::surrogate::SurrogateOptions;
pub use rftwin_radar::{FmcwConfig, MimoArray, Reduce, Spectrum};
// Reconstruction.
pub use rftwin_inverse::driver::{Problem, Reconstruction, Settings};
pub use rftwin_inverse::shape::{two_stage, Case, CaseOptions};
// Errors, one per crate.
pub use rftwin_core::Error as CoreError;
pub use rftwin_inverse::InverseError;
pub use rftwin_isac::IsacError;
pub use rftwin_radar::RadarError;
pub use rftwin_trace::TraceError;
