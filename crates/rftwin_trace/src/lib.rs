//! Path solvers and channel responses.
//!
//! Solver (A), [`PathSolver`], finds the propagation paths between a transmitter and
//! a receiver — line of sight, chains of specular reflections and thin-slab
//! refractions — in four stages, each in its own module:
//!
//! 1. [`candidates`]: shoot rays from the transmitter on a Fibonacci sphere, bounce
//!    them (reflect or refract, chosen at random in proportion to the slab's reflected
//!    and transmitted power) and collect the distinct interaction chains;
//! 2. [`image_method`]: exact vertices of each chain by the image method, with every
//!    segment traced back from the receiver to check visibility;
//! 3. [`field`]: complex path coefficients (ITU-R P.2040 slab coefficients,
//!    polarisation, antenna patterns), in the Sionna RT convention;
//! 4. [`channel`]: CIR, CFR and discrete taps from the paths.
#![warn(missing_docs)]

pub mod backend;
pub mod boundary;
pub mod candidates;
pub mod channel;
pub mod coverage;
pub mod diffraction;
pub mod error;
pub mod field;
pub mod geometry;
pub mod gradients;
pub mod image_method;
pub mod scattering;
pub mod scattering_grad;
pub mod solver;
pub mod utd;

pub use backend::{Backend, BackendChoice};
pub use error::TraceError;
pub use geometry::SceneGeometry;
pub use gradients::{path_gradients, path_vertex_gradients, GradientParam, PathGradients, VertexPathGradients};
pub use solver::{PathSolver, SolverOptions};
