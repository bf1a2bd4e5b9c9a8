//! Path solvers, surface scattering, coverage maps and their gradients.
//!
//! The crate is layered; a module imports only from its own layer or the ones listed
//! before it (checked by `tests/module_layers.rs`):
//!
//! | layer | modules | what it holds |
//! |---|---|---|
//! | leaves | [`error`], [`backend`], [`tolerance`] | error type, CPU/GPU choice, named tolerances |
//! | scene | [`scene_geometry`] ([`scene_geometry::wedges`], [`scene_geometry::chain`]) | the flattened scene, BVH queries, plane ids, diffracting wedges, chain codes |
//! | physics | [`physics`] ([`physics::field`], [`physics::utd`]) | slab coefficients, polarised transport, UTD — generic over `Real`, no scene types |
//! | solver (A) | [`paths`] (candidates, image method, diffraction, solver, channel, gradients) | specular, refracted and diffracted paths, CIR/CFR, exact path gradients |
//! | solver (B) | [`scattering`] ([`scattering::grad`], [`scattering::boundary`]) | InverTwin's surface-scattering radar model, its interior and boundary gradients |
//! | coverage | [`coverage`] | cell-averaged coverage maps with the boundary term of solver (A) |
//!
//! Solver (A), [`PathSolver`], finds the propagation paths between a transmitter and a
//! receiver — line of sight, chains of specular reflections and thin-slab refractions,
//! first-order edge diffraction — and [`paths::channel`] turns them into channel
//! responses. Solver (B), [`scattering::surface_scattering`], samples visible surface
//! points as radar scatterers.
#![warn(missing_docs)]

pub mod backend;
pub mod coverage;
pub mod error;
pub mod paths;
pub mod physics;
pub mod scattering;
pub mod scene_geometry;
pub mod tolerance;

pub use backend::{Backend, BackendChoice};
pub use error::TraceError;
pub use paths::gradients::{path_gradients, path_vertex_gradients, GradientParam, PathGradients, VertexPathGradients};
pub use paths::solver::{PathSolver, SolverOptions};
pub use scene_geometry::SceneGeometry;
