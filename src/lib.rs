//! # rftwin
//!
//! Differentiable radio-frequency simulation: a BVH mesh ray tracer whose outputs —
//! propagation paths, channel responses, radar signals — are meant to be
//! differentiated with respect to the scene.
//!
//! This facade re-exports the workspace crates:
//! [`core`] (scenes, materials, antennas, [`Paths`]), [`bvh`], [`trace`]
//! (path solvers, channel responses) and [`radar`] (FMCW signal chain, spectra,
//! differentiable surrogates, losses).
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

pub use rftwin_bvh as bvh;
#[cfg(feature = "gpu")]
pub use rftwin_gpu as gpu;
pub use rftwin_core as core;
pub use rftwin_inverse as inverse;
pub use rftwin_radar as radar;
pub use rftwin_trace as trace;

pub use rftwin_bvh::Bvh;
pub use rftwin_core::{Antenna, AntennaPattern, Complex, InteractionType, ItuMaterial, Mesh, Paths, Polarization, Radio, RadioMaterial, Scene};
pub use rftwin_trace::{path_gradients, BackendChoice, path_vertex_gradients, GradientParam, PathGradients, PathSolver, SceneGeometry, SolverOptions};
