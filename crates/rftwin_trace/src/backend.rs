//! Backend choice: the CPU reference or the GPU (WGSL through wgpu).
//!
//! On the GPU backend the candidate search (shooting and bouncing, `sbr_candidates`),
//! its deduplication (`chain_dedup`), the field calculation (`path_field`) and solver
//! (B)'s rays (`scatter_samples`) run as kernels; the image method stays on the CPU in
//! f64 (see docs/ARCHITECTURE.md), so both backends return the same path vertices and
//! delays.

use crate::error::{Result, TraceError};

/// Which backend a solve should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// The CPU reference.
    Cpu,
    /// The GPU; an error when no adapter exists or the `gpu` feature is off.
    Gpu,
    /// A hardware GPU when one exists, else the CPU; a software adapter (Mesa's
    /// llvmpipe, a CPU device type) is slower than the CPU backend and is not chosen.
    /// Which backend was chosen is said once on stderr.
    #[default]
    Auto,
}

impl BackendChoice {
    /// Parses `cpu`, `gpu` or `auto`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "cpu" => Ok(BackendChoice::Cpu),
            "gpu" => Ok(BackendChoice::Gpu),
            "auto" => Ok(BackendChoice::Auto),
            other => Err(TraceError::InvalidInput { name: "backend", message: format!("'{other}' is not one of cpu, gpu, auto") }),
        }
    }
}

/// A resolved backend.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// The CPU reference.
    Cpu,
    /// A GPU context.
    #[cfg(feature = "gpu")]
    Gpu(&'static rftwin_gpu::GpuContext),
}

impl Backend {
    /// Short name for reports (`cpu`, or `gpu: <adapter>`).
    pub fn name(&self) -> String {
        match self {
            Backend::Cpu => "cpu".into(),
            #[cfg(feature = "gpu")]
            Backend::Gpu(c) => format!("gpu: {}", c.info.name),
        }
    }
}

/// Resolves a choice to a backend.
pub fn resolve(choice: BackendChoice) -> Result<Backend> {
    match choice {
        BackendChoice::Cpu => Ok(Backend::Cpu),
        #[cfg(feature = "gpu")]
        BackendChoice::Gpu => rftwin_gpu::context::shared()
            .map(Backend::Gpu)
            .map_err(|e| TraceError::InvalidInput { name: "backend", message: format!("GPU requested but unavailable: {e}") }),
        #[cfg(not(feature = "gpu"))]
        BackendChoice::Gpu => Err(TraceError::InvalidInput { name: "backend", message: "GPU requested but rftwin was built without the `gpu` feature".into() }),
        BackendChoice::Auto => {
            static NOTICE: std::sync::Once = std::sync::Once::new();
            #[cfg(feature = "gpu")]
            match rftwin_gpu::context::shared() {
                Ok(c) if !c.is_software() => {
                    NOTICE.call_once(|| eprintln!("rftwin: backend auto → gpu ({})", c.describe()));
                    return Ok(Backend::Gpu(c));
                }
                Ok(c) => {
                    NOTICE.call_once(|| eprintln!("rftwin: backend auto → cpu (the only GPU adapter, {}, is a software one; choose the gpu backend to use it anyway)", c.info.name));
                    return Ok(Backend::Cpu);
                }
                Err(_) => {}
            }
            NOTICE.call_once(|| eprintln!("rftwin: backend auto → cpu (no GPU adapter)"));
            Ok(Backend::Cpu)
        }
    }
}
