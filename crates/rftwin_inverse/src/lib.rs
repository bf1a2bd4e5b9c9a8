//! Digital-twin reconstruction for rftwin (InverTwin Sec. 4): parameters in dfdx
//! tensors, physics gradients injected from rftwin's VJPs, Adam/SGD with learning-rate
//! schedules and per-group rates, mesh regularisers, a shape prior, a resumable
//! [`driver::Reconstruction`] loop and mesh/pose/material metrics.
//!
//! Only [`autodiff`] names dfdx types.

#![warn(missing_docs)]

pub mod autodiff;
pub mod driver;
pub mod error;
pub mod inr;
pub mod loss;
pub mod metrics;
pub mod objective;
pub mod plot;
pub mod prior;
pub mod regularize;
pub mod reparam;
pub mod shape;
pub mod shapes;

pub use error::{InverseError, Result};
