//! Solver (A): propagation paths between a transmitter and a receiver, their channel
//! responses and their exact gradients.
//!
//! 1. [`candidates`]: shoot rays from the transmitter on a Fibonacci sphere, bounce
//!    them (reflect or refract, chosen at random in proportion to the slab's reflected
//!    and transmitted power) and collect the distinct interaction chains;
//! 2. [`image_method`]: exact vertices of each chain by the image method, with every
//!    segment traced back from the receiver to check visibility;
//! 3. [`diffraction`]: first-order diffracted paths over the scene's wedges;
//! 4. [`solver`]: [`PathSolver`](solver::PathSolver) runs the stages and computes the
//!    coefficients with [`crate::physics`];
//! 5. [`channel`]: CIR, CFR and discrete taps from the paths;
//! 6. [`ris`]: paths through reconfigurable intelligent surfaces (one element term per
//!    element and path family) and the phase profile's reverse-mode gradient;
//! 7. [`gradients`]: exact derivatives of delays and coefficients with respect to scene
//!    parameters, by re-evaluating each path in dual numbers.

pub mod candidates;
pub mod channel;
pub mod diffraction;
#[cfg(feature = "gpu")]
pub(crate) mod gpu_field;
pub mod gradients;
pub mod image_method;
pub mod ris;
pub mod solver;
