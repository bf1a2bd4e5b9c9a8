//! A bounding-volume hierarchy over triangles: binned-SAH build, refit after vertex
//! changes, [`Bvh::validate`], closest-hit and any-hit traversal, and a brute-force
//! oracle for tests. Node and triangle layouts are `#[repr(C)]` + `Pod`, ready to be
//! uploaded to the GPU unchanged.
//!
//! Traversal is generic over the triangle test (see [`Bvh::traverse`]): the built-in
//! [`Traversal::closest_hit`] and [`Traversal::any_hit`] use the single-precision triangles
//! stored in the BVH, and callers that need double precision (the CPU reference path
//! solver) pass their own test.
#![warn(missing_docs)]

mod buffer;
mod build;
mod layout;
pub mod oracle;
mod query;
mod ray;
mod refit;
mod traverse;
mod validate;
mod wide;

pub use buffer::PodBuffer;
pub use build::BuildOptions;
pub use layout::{BvhNode, BvhTriangle};
pub use query::Traversal;
pub use ray::{Hit, Ray};
pub use refit::RefitError;
pub use validate::ValidationError;
pub use wide::{Bvh4, Bvh4Node};

/// A BVH over a triangle soup. Triangle ids are the positions in the slice given to
/// [`Bvh::build`].
#[derive(Debug, Clone, Default)]
pub struct Bvh {
    /// Nodes; node 0 is the root. Children of an interior node are adjacent.
    pub nodes: Vec<BvhNode>,
    /// Triangles in leaf order (leaf `first..first+count` indexes this array); each
    /// carries its original triangle id.
    pub triangles: Vec<BvhTriangle>,
}

impl Bvh {
    /// Number of triangles.
    pub fn num_triangles(&self) -> usize {
        self.triangles.len()
    }

    /// Whether the BVH holds no triangles.
    pub fn is_empty(&self) -> bool {
        self.triangles.is_empty()
    }
}
