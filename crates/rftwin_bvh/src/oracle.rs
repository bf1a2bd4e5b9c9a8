//! Brute-force reference queries (test everything), for testing the BVH.

use crate::layout::BvhTriangle;
use crate::ray::{Hit, Ray};
use crate::traverse::intersect_triangle;

/// Nearest hit by testing every triangle, with the same triangle test as the BVH.
/// Ties in `t` go to the lowest triangle id.
pub fn closest_hit(triangles: &[BvhTriangle], ray: &Ray) -> Option<Hit> {
    let mut best: Option<Hit> = None;
    for tri in triangles {
        if let Some((t, u, v)) = intersect_triangle(tri, ray, ray.t_max) {
            if best.is_none_or(|b| t < b.t || (t == b.t && tri.id < b.triangle)) {
                best = Some(Hit { triangle: tri.id, t, u, v });
            }
        }
    }
    best
}

/// Whether any triangle is hit, by testing every triangle.
pub fn any_hit(triangles: &[BvhTriangle], ray: &Ray) -> bool {
    triangles.iter().any(|t| intersect_triangle(t, ray, ray.t_max).is_some())
}
