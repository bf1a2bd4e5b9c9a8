//! A small conic-programming layer over clarabel (spec `mf_ris_isac.md` §7): the complex
//! variables of RIS and beamforming problems embedded in real ones ([`embed`]), the cone
//! recipes (norm bounds, normalised rotated quadratic bounds, exact QoS cones, fixed
//! zeros), automatic conditioning, and a status that separates solved, infeasible and
//! inaccurate ([`problem`]).

pub mod bisection;
pub mod embed;
#[cfg(feature = "sdp")]
pub mod hermitian;
pub mod problem;

pub use bisection::largest_feasible;
pub use problem::{smat, svec, svec_index, Cone, ConicProblem, ConicSolution, ConicStatus};
