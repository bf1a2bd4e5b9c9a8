//! The error type of `rftwin_radar`.

/// Invalid radar settings or inputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RadarError {
    /// A setting is out of its valid range.
    #[error("invalid radar setting '{name}': {message}")]
    InvalidSetting {
        /// Setting name.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Two inputs that must agree in size do not.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The GPU failed (no adapter, device lost, out of memory, too large).
    #[cfg(feature = "gpu")]
    #[error(transparent)]
    Gpu(#[from] rftwin_gpu::GpuError),
}

/// Result alias with [`RadarError`].
pub type Result<T, E = RadarError> = std::result::Result<T, E>;
