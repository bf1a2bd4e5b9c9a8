//! Single-ray queries shared by both tree layouts.

use crate::layout::BvhTriangle;
use crate::ray::{Hit, Ray};
use crate::traverse::intersect_triangle;
use crate::{Bvh, Bvh4};

/// A tree that can be traversed nearest box first; closest-hit and any-hit queries
/// (with the BVH's single-precision triangles) follow from the traversal.
pub trait Traversal {
    /// Visits candidate triangles; `visit(triangle, &mut t_max)` may shrink `t_max` and
    /// returns `true` to stop (see [`Bvh::traverse`]).
    fn traverse_with<F>(&self, ray: &Ray, visit: F)
    where
        F: FnMut(&BvhTriangle, &mut f32) -> bool;

    /// The nearest hit with `t ∈ [t_min, t_max]`.
    fn closest_hit(&self, ray: &Ray) -> Option<Hit> {
        let mut best = None;
        self.traverse_with(ray, |tri, t_max| {
            if let Some((t, u, v)) = intersect_triangle(tri, ray, *t_max) {
                *t_max = t;
                best = Some(Hit { triangle: tri.id, t, u, v });
            }
            false
        });
        best
    }

    /// Whether any triangle is hit with `t ∈ [t_min, t_max]`.
    fn any_hit(&self, ray: &Ray) -> bool {
        let mut hit = false;
        self.traverse_with(ray, |tri, t_max| {
            hit = intersect_triangle(tri, ray, *t_max).is_some();
            hit
        });
        hit
    }
}

impl Traversal for Bvh {
    #[inline(always)]
    fn traverse_with<F: FnMut(&BvhTriangle, &mut f32) -> bool>(&self, ray: &Ray, visit: F) {
        self.traverse(ray, visit)
    }
}

impl Traversal for Bvh4 {
    #[inline(always)]
    fn traverse_with<F: FnMut(&BvhTriangle, &mut f32) -> bool>(&self, ray: &Ray, visit: F) {
        self.traverse(ray, visit)
    }
}
