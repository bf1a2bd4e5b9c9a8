//! Refit: new vertex positions, same tree topology.

use crate::build::{to_f32, triangle_bounds};
use crate::layout::BvhTriangle;
use crate::Bvh;
use glam::DVec3;

/// [`Bvh::refit`] was given a triangle list of another length than the BVH was built over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("refit got {given} triangles, the BVH was built over {built}")]
pub struct RefitError {
    /// Triangles given to the refit.
    pub given: usize,
    /// Triangles the BVH was built over.
    pub built: usize,
}

impl Bvh {
    /// Updates the triangles (indexed by original id, same count as at build) and
    /// recomputes every box bottom-up, keeping the topology. Optimisation loops call
    /// this after each vertex update; rebuild when the geometry has changed a lot.
    ///
    /// # Panics
    /// Never; a slice of the wrong length returns [`RefitError`] with both lengths.
    pub fn refit(&mut self, triangles: &[[DVec3; 3]]) -> Result<(), RefitError> {
        if triangles.len() != self.triangles.len() {
            return Err(RefitError { given: triangles.len(), built: self.triangles.len() });
        }
        for t in &mut self.triangles {
            *t = BvhTriangle::new(t.id, to_f32(&triangles[t.id as usize]));
        }
        // Children always have larger indices than their parent.
        for i in (0..self.nodes.len()).rev() {
            let node = self.nodes[i];
            let (lo, hi) = if node.is_leaf() {
                let first = node.left_or_first as usize;
                let mut lo = [f32::INFINITY; 3];
                let mut hi = [f32::NEG_INFINITY; 3];
                for t in &self.triangles[first..first + node.count as usize] {
                    let (a, b) = triangle_bounds(&triangles[t.id as usize]);
                    for k in 0..3 {
                        lo[k] = lo[k].min(a[k]);
                        hi[k] = hi[k].max(b[k]);
                    }
                }
                (lo, hi)
            } else {
                let l = node.left_or_first as usize;
                let (a, b) = (self.nodes[l], self.nodes[l + 1]);
                (
                    [a.min[0].min(b.min[0]), a.min[1].min(b.min[1]), a.min[2].min(b.min[2])],
                    [a.max[0].max(b.max[0]), a.max[1].max(b.max[1]), a.max[2].max(b.max[2])],
                )
            };
            self.nodes[i].min = lo;
            self.nodes[i].max = hi;
        }
        Ok(())
    }
}
