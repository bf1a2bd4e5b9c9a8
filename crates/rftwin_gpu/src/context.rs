//! Adapter and device acquisition, kept apart from the work: callers may pass their own
//! `Device`/`Queue` ([`GpuContext::from_device`]).

use crate::error::GpuError;
use std::sync::{Arc, Mutex};

/// A wgpu device and queue with the adapter's description and limits.
#[derive(Debug, Clone)]
pub struct GpuContext {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// Adapter description (name, backend, driver).
    pub info: wgpu::AdapterInfo,
    /// Set when the device reports itself lost.
    lost: Arc<Mutex<Option<String>>>,
    /// Compiled kernel sets (bind-group layout and pipelines), keyed by the first
    /// kernel's entry point: built once per device, reused by every call.
    pub(crate) kernel_sets: Arc<Mutex<KernelSets>>,
}

/// Cached kernel sets of a device.
pub(crate) type KernelSets = std::collections::HashMap<&'static str, (wgpu::BindGroupLayout, Vec<wgpu::ComputePipeline>)>;

impl GpuContext {
    /// Requests the best adapter (high performance) and a device with the adapter's
    /// own limits. `Err(NoAdapter)` when there is none.
    pub fn new() -> Result<Self, GpuError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            ..Default::default()
        }))
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let desc = wgpu::DeviceDescriptor {
            label: Some("rftwin"),
            required_features: wgpu::Features::empty(),
            required_limits: adapter.limits(),
            ..Default::default()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc))
            .map_err(|e| GpuError::Device { adapter: info.name.clone(), message: e.to_string() })?;
        Ok(Self::from_device(device, queue, info))
    }

    /// Wraps a caller's device and queue.
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue, info: wgpu::AdapterInfo) -> Self {
        let lost = Arc::new(Mutex::new(None));
        let flag = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut l) = flag.lock() {
                *l = Some(format!("{reason:?}: {message}"));
            }
        });
        GpuContext { device, queue, info, lost, kernel_sets: Default::default() }
    }

    /// The device's limits.
    pub fn limits(&self) -> wgpu::Limits {
        self.device.limits()
    }

    /// Largest single storage buffer binding \[bytes\].
    pub fn max_binding_bytes(&self) -> u64 {
        let l = self.limits();
        l.max_storage_buffer_binding_size.min(l.max_buffer_size)
    }

    /// `Err(DeviceLost)` if the device reported itself lost.
    pub fn check_lost(&self, stage: &'static str) -> Result<(), GpuError> {
        match self.lost.lock().ok().and_then(|l| l.clone()) {
            Some(message) => Err(GpuError::DeviceLost { stage, message }),
            None => Ok(()),
        }
    }

    /// Whether the adapter is a software rasteriser on the CPU (Mesa's llvmpipe /
    /// lavapipe, WARP): it runs the kernels correctly but slower than the CPU backend.
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// One line describing the adapter (name, back end, device type, driver), for
    /// benchmark output.
    pub fn describe(&self) -> String {
        format!("{} ({:?}, {:?}, driver {} {})", self.info.name, self.info.backend, self.info.device_type, self.info.driver, self.info.driver_info)
    }
}

/// The shared context of this process, created on first use (tests and examples).
pub fn shared() -> Result<&'static GpuContext, GpuError> {
    static CTX: std::sync::OnceLock<Result<GpuContext, String>> = std::sync::OnceLock::new();
    CTX.get_or_init(|| GpuContext::new().map_err(|e| e.to_string())).as_ref().map_err(|e| GpuError::NoAdapter(e.clone()))
}

/// The shared context for a test that needs a GPU: prints the adapter and returns it;
/// without one prints `SKIPPED: no GPU adapter (…)` and returns `None` — unless the
/// environment sets `RFTWIN_REQUIRE_GPU=1` (CI, the lent-GPU checks), where a missing
/// adapter fails the test instead of skipping it.
///
/// # Panics
/// With `RFTWIN_REQUIRE_GPU=1` and no adapter.
pub fn shared_or_skip() -> Option<&'static GpuContext> {
    match shared() {
        Ok(c) => {
            println!("GPU adapter: {}", c.describe());
            Some(c)
        }
        Err(e) => {
            if std::env::var("RFTWIN_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("RFTWIN_REQUIRE_GPU=1 but {e}");
            }
            println!("SKIPPED: no GPU adapter ({e})");
            None
        }
    }
}
