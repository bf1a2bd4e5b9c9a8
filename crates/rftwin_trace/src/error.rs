//! The error type of `rftwin_trace`.

/// Everything that can go wrong in a solve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// An error from the scene (materials, meshes).
    #[error(transparent)]
    Scene(#[from] rftwin_core::Error),
    /// The GPU failed.
    #[cfg(feature = "gpu")]
    #[error(transparent)]
    Gpu(#[from] rftwin_gpu::GpuError),
    /// A solver option or radio position is invalid.
    #[error("invalid solver input '{name}': {message}")]
    InvalidInput {
        /// Option or argument name.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Result alias with [`TraceError`].
pub type Result<T, E = TraceError> = std::result::Result<T, E>;
