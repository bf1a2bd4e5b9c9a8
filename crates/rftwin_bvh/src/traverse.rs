//! Stack-based ordered traversal.

use crate::layout::{BvhNode, BvhTriangle};
use crate::ray::Ray;
use crate::Bvh;

/// Depth of the traversal stack. SAH trees over up to ~10⁸ triangles stay far below.
const STACK_SIZE: usize = 64;

/// `1 + 2γ₃` with `γₙ = n ε / (1 − n ε)`, ε = 2⁻²⁴ (PBRT's machine epsilon).
const ROBUST_FAR: f32 = 1.0 + 2.0 * (3.0 * f32::EPSILON * 0.5) / (1.0 - 3.0 * f32::EPSILON * 0.5);

/// Entry distance of `ray` into `node`'s box, or `None` if it misses within
/// `[t_min, t_max]`.
#[inline(always)]
fn box_entry(node: &BvhNode, ray: &Ray, t_max: f32) -> Option<f32> {
    let mut t0 = ray.t_min;
    let mut t1 = t_max;
    for a in 0..3 {
        let ta = (node.min[a] - ray.o[a]) * ray.inv_d[a];
        let tb = (node.max[a] - ray.o[a]) * ray.inv_d[a];
        // `min`/`max` drop NaN (0 · ∞ for a ray on a slab plane), keeping the ray in.
        // The far distance is scaled up by 1 + 2γ₃ so that rounding never culls a box
        // the ray touches (PBRT-v3 §3.9.2, robust ray–bounds intersection).
        t0 = t0.max(ta.min(tb));
        t1 = t1.min(ta.max(tb) * ROBUST_FAR);
    }
    (t0 <= t1).then_some(t0)
}

/// Möller–Trumbore in single precision; `(t, u, v)` for `t ∈ [t_min, t_max]`.
#[inline(always)]
pub fn intersect_triangle(tri: &BvhTriangle, ray: &Ray, t_max: f32) -> Option<(f32, f32, f32)> {
    let cross = |a: [f32; 3], b: [f32; 3]| [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    let dot = |a: [f32; 3], b: [f32; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let p = cross(ray.d, tri.e2);
    let det = dot(tri.e1, p);
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    let inv = 1.0 / det;
    let s = [ray.o[0] - tri.v0[0], ray.o[1] - tri.v0[1], ray.o[2] - tri.v0[2]];
    let u = dot(s, p) * inv;
    if !(0.0..=1.0).contains(&u) {
        return None;
    }
    let q = cross(s, tri.e1);
    let v = dot(ray.d, q) * inv;
    if v < 0.0 || u + v > 1.0 {
        return None;
    }
    let t = dot(tri.e2, q) * inv;
    (t >= ray.t_min && t <= t_max).then_some((t, u, v))
}

impl Bvh {
    /// Visits, nearest box first, every leaf triangle whose box the ray enters before
    /// the current `t_max`. `visit(triangle, &mut t_max)` may shrink `t_max` (closest
    /// hit) and returns `true` to stop the traversal (any hit).
    #[inline]
    pub fn traverse<F>(&self, ray: &Ray, mut visit: F)
    where
        F: FnMut(&BvhTriangle, &mut f32) -> bool,
    {
        let Some(root) = self.nodes.first() else { return };
        let mut t_max = ray.t_max;
        if box_entry(root, ray, t_max).is_none() {
            return;
        }
        let mut stack = [0u32; STACK_SIZE];
        let mut sp = 0usize;
        let mut node = root;
        loop {
            if node.is_leaf() {
                let first = node.left_or_first as usize;
                for tri in &self.triangles[first..first + node.count as usize] {
                    if visit(tri, &mut t_max) {
                        return;
                    }
                }
            } else {
                let l = node.left_or_first as usize;
                let (a, b) = (&self.nodes[l], &self.nodes[l + 1]);
                let ta = box_entry(a, ray, t_max);
                let tb = box_entry(b, ray, t_max);
                match (ta, tb) {
                    (Some(x), Some(y)) => {
                        let (near, far) = if x <= y { (l, l + 1) } else { (l + 1, l) };
                        if sp < STACK_SIZE {
                            stack[sp] = far as u32;
                            sp += 1;
                        } else {
                            // Unreachable for SAH trees; degrade gracefully instead of failing.
                            self.traverse_from(far, ray, &mut t_max, &mut visit);
                        }
                        node = &self.nodes[near];
                        continue;
                    }
                    (Some(_), None) => {
                        node = a;
                        continue;
                    }
                    (None, Some(_)) => {
                        node = b;
                        continue;
                    }
                    (None, None) => {}
                }
            }
            // Pop the next node that the ray still reaches.
            loop {
                if sp == 0 {
                    return;
                }
                sp -= 1;
                let n = &self.nodes[stack[sp] as usize];
                if box_entry(n, ray, t_max).is_some() {
                    node = n;
                    break;
                }
            }
        }
    }

    fn traverse_from<F>(&self, start: usize, ray: &Ray, t_max: &mut f32, visit: &mut F) -> bool
    where
        F: FnMut(&BvhTriangle, &mut f32) -> bool,
    {
        let node = &self.nodes[start];
        if box_entry(node, ray, *t_max).is_none() {
            return false;
        }
        if node.is_leaf() {
            let first = node.left_or_first as usize;
            for tri in &self.triangles[first..first + node.count as usize] {
                if visit(tri, t_max) {
                    return true;
                }
            }
            false
        } else {
            let l = node.left_or_first as usize;
            self.traverse_from(l, ray, t_max, visit) || self.traverse_from(l + 1, ray, t_max, visit)
        }
    }
}
