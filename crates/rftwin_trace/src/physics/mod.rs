//! The field along a path, free of any scene type: ITU-R P.2040 slab coefficients,
//! polarised transport and antenna patterns ([`field`]), and UTD edge diffraction
//! ([`utd`]). Every formula is generic over [`rftwin_core::dual::Real`], so one function
//! serves the value (`f64`) and its exact derivative (dual numbers). This layer needs
//! only `rftwin_core`.

pub mod field;
pub mod utd;
