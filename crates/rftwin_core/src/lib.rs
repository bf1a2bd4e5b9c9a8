//! Core types of rftwin: physical constants, triangle meshes and their loaders,
//! ITU-R P.2040 radio materials, antennas, scenes and the [`Paths`] container that
//! every path solver returns.
//!
//! Units are SI throughout: metres, seconds, hertz, siemens per metre.
#![warn(missing_docs)]

pub mod antenna;
pub mod constants;
pub mod dual;
pub mod echo;
pub mod error;
pub mod io;
pub mod material;
pub mod mesh;
pub mod paths;
pub mod ris;
pub mod scene;
pub mod testing;

pub use antenna::{Antenna, AntennaPattern, Polarization};
pub use echo::Echo;
pub use error::{Error, Result};
pub use material::{ItuMaterial, RadioMaterial, SlabComponent};
pub use mesh::Mesh;
pub use paths::{InteractionType, Paths};
pub use scene::{Radio, Scene, SceneObject};

/// Double-precision complex number used for field coefficients.
pub type Complex = num_complex::Complex64;
