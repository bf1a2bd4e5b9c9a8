//! Digital-twin reconstruction for rftwin (InverTwin Sec. 4): parameters in dfdx
//! tensors, physics gradients injected from rftwin's VJPs, Adam/SGD with learning-rate
//! schedules and per-group rates, mesh regularisers, a shape prior, a resumable
//! [`driver::Reconstruction`] loop and mesh/pose/material metrics.
//!
//! Only [`autodiff`] names dfdx types.

pub mod autodiff;
pub mod error;

pub use error::{InverseError, Result};
pub mod metrics;
pub mod regularize;
pub mod prior;
pub mod shapes;
pub mod objective;
pub mod driver;
pub mod plot;
pub mod reparam;
pub mod loss;
