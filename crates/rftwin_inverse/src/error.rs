//! Errors of the reconstruction crate.

use std::path::PathBuf;

/// Everything that can go wrong in an inverse problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InverseError {
    /// A scene or mesh problem (from `rftwin_core`).
    #[error(transparent)]
    Core(#[from] rftwin_core::Error),
    /// A tracing or gradient problem (from `rftwin_trace`).
    #[error(transparent)]
    Trace(#[from] rftwin_trace::TraceError),
    /// A radar-signal problem (from `rftwin_radar`).
    #[error(transparent)]
    Radar(#[from] rftwin_radar::RadarError),
    /// A GPU problem (from `rftwin_gpu`: no adapter, a buffer too large, a lost device).
    #[cfg(feature = "gpu")]
    #[error(transparent)]
    Gpu(#[from] rftwin_gpu::GpuError),
    /// A setting or input that cannot be used.
    #[error("invalid {name}: {message}")]
    InvalidInput {
        /// What was wrong.
        name: &'static str,
        /// Why.
        message: String,
    },
    /// A loss, gradient or parameter became NaN or infinite; the run stopped before
    /// writing it anywhere.
    #[error("{what} is not finite at iteration {iteration}; stopped (the last checkpoint holds the last finite state)")]
    NonFinite {
        /// Which quantity.
        what: String,
        /// Iteration at which it happened.
        iteration: usize,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

impl InverseError {
    pub(crate) fn io(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        InverseError::Io { path: path.to_path_buf(), message: e.to_string() }
    }
    pub(crate) fn invalid(name: &'static str, message: impl Into<String>) -> Self {
        InverseError::InvalidInput { name, message: message.into() }
    }
}

/// Result with [`InverseError`].
pub type Result<T, E = InverseError> = std::result::Result<T, E>;
