//! Binned surface-area-heuristic build.

use crate::layout::{BvhNode, BvhTriangle};
use crate::Bvh;
use glam::{DVec3, Vec3};

/// Build settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BuildOptions {
    /// Number of SAH bins per axis.
    pub bins: usize,
    /// Largest leaf the SAH may choose.
    pub max_leaf_size: usize,
    /// Cost of one node traversal relative to one triangle test.
    pub traversal_cost: f32,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions { bins: 32, max_leaf_size: 4, traversal_cost: 1.0 }
    }
}

/// Rounds a double to the nearest single at or below it.
fn f32_down(x: f64) -> f32 {
    let f = x as f32;
    if f as f64 > x {
        f.next_down()
    } else {
        f
    }
}

/// Rounds a double to the nearest single at or above it.
fn f32_up(x: f64) -> f32 {
    let f = x as f32;
    if (f as f64) < x {
        f.next_up()
    } else {
        f
    }
}

#[derive(Clone, Copy)]
struct Aabb {
    lo: Vec3,
    hi: Vec3,
}

impl Aabb {
    const EMPTY: Aabb = Aabb { lo: Vec3::splat(f32::INFINITY), hi: Vec3::splat(f32::NEG_INFINITY) };
    #[inline]
    fn grow(&mut self, o: &Aabb) {
        self.lo = self.lo.min(o.lo);
        self.hi = self.hi.max(o.hi);
    }
    #[inline]
    fn grow_point(&mut self, p: Vec3) {
        self.lo = self.lo.min(p);
        self.hi = self.hi.max(p);
    }
    #[inline]
    fn half_area(&self) -> f32 {
        let e = (self.hi - self.lo).max(Vec3::ZERO);
        e.x * e.y + e.y * e.z + e.z * e.x
    }
}

/// Conservative single-precision bounds of a double-precision triangle, padded by a
/// few f32 ulps so that hits the single-precision triangle test reports exactly on a
/// vertex or edge are never culled by the box test.
pub(crate) fn triangle_bounds(t: &[DVec3; 3]) -> ([f32; 3], [f32; 3]) {
    let lo = t[0].min(t[1]).min(t[2]);
    let hi = t[0].max(t[1]).max(t[2]);
    let pad = (lo.abs().max(hi.abs()).max_element() + (hi - lo).max_element()) * 4.0 * f32::EPSILON as f64 + 1e-30;
    let (lo, hi) = (lo - pad, hi + pad);
    ([f32_down(lo.x), f32_down(lo.y), f32_down(lo.z)], [f32_up(hi.x), f32_up(hi.y), f32_up(hi.z)])
}

pub(crate) fn to_f32(t: &[DVec3; 3]) -> [[f32; 3]; 3] {
    t.map(|v| [v.x as f32, v.y as f32, v.z as f32])
}

impl Bvh {
    /// Builds a BVH over `triangles` with default options.
    pub fn build(triangles: &[[DVec3; 3]]) -> Bvh {
        Self::build_with(triangles, BuildOptions::default())
    }

    /// Builds a BVH over `triangles` (binned SAH). An empty slice gives an empty BVH
    /// whose queries never hit. Non-finite vertices are the caller's to reject
    /// (`rftwin_core::Mesh::validate` does).
    pub fn build_with(triangles: &[[DVec3; 3]], options: BuildOptions) -> Bvh {
        let n = triangles.len();
        if n == 0 {
            return Bvh::default();
        }
        let bins = options.bins.clamp(2, 64);
        let boxes: Vec<Aabb> = triangles
            .iter()
            .map(|t| {
                let (lo, hi) = triangle_bounds(t);
                Aabb { lo: Vec3::from(lo), hi: Vec3::from(hi) }
            })
            .collect();
        let centroids: Vec<Vec3> = boxes.iter().map(|b| (b.lo + b.hi) * 0.5).collect();
        let mut order: Vec<u32> = (0..n as u32).collect();
        let mut nodes = Vec::with_capacity(2 * n / options.max_leaf_size.max(1) + 1);
        nodes.push(BvhNode { min: [0.0; 3], left_or_first: 0, max: [0.0; 3], count: 0 });
        let mut stack = vec![(0usize, 0usize, n)];
        let mut bin_boxes = vec![Aabb::EMPTY; bins];
        let mut bin_counts = vec![0usize; bins];
        let mut right_area = vec![0f32; bins];
        let mut right_count = vec![0usize; bins];
        while let Some((node, start, end)) = stack.pop() {
            let mut bounds = Aabb::EMPTY;
            let mut cbounds = Aabb::EMPTY;
            for &i in &order[start..end] {
                bounds.grow(&boxes[i as usize]);
                cbounds.grow_point(centroids[i as usize]);
            }
            nodes[node].min = bounds.lo.into();
            nodes[node].max = bounds.hi.into();
            let count = end - start;
            let make_leaf = |nodes: &mut Vec<BvhNode>| {
                nodes[node].left_or_first = start as u32;
                nodes[node].count = count as u32;
            };
            if count <= 1 {
                make_leaf(&mut nodes);
                continue;
            }
            // Best split over all axes.
            let extent = cbounds.hi - cbounds.lo;
            let mut best: Option<(usize, usize, f32)> = None; // (axis, split bin, cost)
            for axis in 0..3 {
                if extent[axis] <= 0.0 {
                    continue;
                }
                let scale = bins as f32 / extent[axis];
                bin_boxes.iter_mut().for_each(|b| *b = Aabb::EMPTY);
                bin_counts.iter_mut().for_each(|c| *c = 0);
                for &i in &order[start..end] {
                    let b = (((centroids[i as usize][axis] - cbounds.lo[axis]) * scale) as usize).min(bins - 1);
                    bin_counts[b] += 1;
                    bin_boxes[b].grow(&boxes[i as usize]);
                }
                let mut acc = Aabb::EMPTY;
                let mut cnt = 0;
                for b in (1..bins).rev() {
                    acc.grow(&bin_boxes[b]);
                    cnt += bin_counts[b];
                    right_area[b] = acc.half_area();
                    right_count[b] = cnt;
                }
                let mut acc = Aabb::EMPTY;
                let mut cnt = 0;
                for b in 1..bins {
                    acc.grow(&bin_boxes[b - 1]);
                    cnt += bin_counts[b - 1];
                    if cnt == 0 || right_count[b] == 0 {
                        continue;
                    }
                    let cost = acc.half_area() * cnt as f32 + right_area[b] * right_count[b] as f32;
                    if best.is_none_or(|(_, _, c)| cost < c) {
                        best = Some((axis, b, cost));
                    }
                }
            }
            let parent_area = bounds.half_area().max(f32::MIN_POSITIVE);
            let leaf_cost = count as f32;
            let split = match best {
                Some((axis, bin, cost)) => {
                    let split_cost = options.traversal_cost + cost / parent_area;
                    if split_cost >= leaf_cost && count <= options.max_leaf_size {
                        None
                    } else {
                        Some((axis, bin))
                    }
                }
                None => None,
            };
            let mid = match split {
                Some((axis, bin)) => {
                    let scale = bins as f32 / extent[axis];
                    let slice = &mut order[start..end];
                    let mut left = 0;
                    for j in 0..slice.len() {
                        let c = centroids[slice[j] as usize][axis];
                        let b = (((c - cbounds.lo[axis]) * scale) as usize).min(bins - 1);
                        if b < bin {
                            slice.swap(left, j);
                            left += 1;
                        }
                    }
                    start + left
                }
                // All centroids coincide: split the list in half if it is too long for a leaf.
                None if count > options.max_leaf_size => start + count / 2,
                None => {
                    make_leaf(&mut nodes);
                    continue;
                }
            };
            let left = nodes.len();
            nodes[node].left_or_first = left as u32;
            nodes[node].count = 0;
            nodes.push(BvhNode { min: [0.0; 3], left_or_first: 0, max: [0.0; 3], count: 0 });
            nodes.push(BvhNode { min: [0.0; 3], left_or_first: 0, max: [0.0; 3], count: 0 });
            stack.push((left + 1, mid, end));
            stack.push((left, start, mid));
        }
        let triangles = order.iter().map(|&i| BvhTriangle::new(i, to_f32(&triangles[i as usize]))).collect();
        Bvh { nodes, triangles }
    }
}
