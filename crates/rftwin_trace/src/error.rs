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
    /// A gradient that this crate does not compute (a first-class "refused" answer, not
    /// a zero): which parameter, of which output, and why.
    #[error("unsupported gradient of {output} w.r.t. {param}: {reason}")]
    UnsupportedGradient {
        /// The parameter (or parameter kind) asked for.
        param: String,
        /// The output whose derivative was asked for.
        output: String,
        /// Why it is refused, and what to do instead.
        reason: String,
    },
    /// Paths (or samples) handed to a gradient do not belong to this scene: they refer to
    /// missing objects or do not re-evaluate to their solved values.
    #[error("path {path} does not belong to this scene: {message}; were the paths solved on this scene?")]
    PathsMismatch {
        /// Index of the offending path.
        path: usize,
        /// What does not match.
        message: String,
    },
}

/// Result alias with [`TraceError`].
pub type Result<T, E = TraceError> = std::result::Result<T, E>;
