//! GPU backend of rftwin: a wgpu context kept apart from the work, WGSL kernels loaded
//! through one [`kernels::Kernel`] registry, and GPU implementations whose CPU twins
//! live in the other crates (BVH closest-hit: [`bvh::GpuBvh::closest_hits`] ↔
//! `rftwin_bvh::Bvh::closest_hit`).
//!
//! Everything builds and tests without an adapter: [`GpuContext::new`] returns
//! [`GpuError::NoAdapter`], and the tests print `SKIPPED: no GPU adapter` unless
//! `RFTWIN_REQUIRE_GPU=1`.
#![warn(missing_docs)]

pub mod boundary;
pub mod bvh;
pub mod context;
pub mod error;
pub mod field;
pub mod kernels;
pub mod layout;
pub mod mlp;
mod pipeline;
pub mod sbr;
pub mod scatter;
pub mod surrogate;

pub use context::GpuContext;
pub use error::GpuError;
pub use wgpu;
