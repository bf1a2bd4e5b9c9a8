//! The error type of `rftwin_gpu`.

/// Everything that can go wrong on the GPU.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    /// No adapter was found (no GPU and no software Vulkan driver such as lavapipe).
    #[error("no GPU adapter found: {0} (install a Vulkan driver, e.g. Mesa's lavapipe: apt-get install mesa-vulkan-drivers)")]
    NoAdapter(String),
    /// The adapter refused the device.
    #[error("cannot create a GPU device on '{adapter}': {message}")]
    Device {
        /// Adapter name.
        adapter: String,
        /// The driver's message.
        message: String,
    },
    /// The input does not fit the adapter's limits.
    #[error("{what} needs {needed} bytes in one buffer, the adapter allows {limit} (max_storage_buffer_binding_size / max_buffer_size)")]
    TooLarge {
        /// What was being uploaded.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// The adapter's limit.
        limit: u64,
    },
    /// A validation or out-of-memory error reported by wgpu.
    #[error("GPU error in {stage}: {message}")]
    Wgpu {
        /// What was running.
        stage: &'static str,
        /// wgpu's message.
        message: String,
    },
    /// The device was lost (driver reset, GPU removed) or a wait failed.
    #[error("GPU device lost or unresponsive during {stage}: {message}")]
    DeviceLost {
        /// What was running.
        stage: &'static str,
        /// Details.
        message: String,
    },
}
