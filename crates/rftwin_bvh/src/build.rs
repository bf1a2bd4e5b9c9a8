//! Binned surface-area-heuristic build.

use crate::layout::{BvhNode, BvhTriangle};
use crate::Bvh;
use glam::{DVec3, Vec3A};
use rayon::prelude::*;

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
    lo: Vec3A,
    hi: Vec3A,
}

impl Aabb {
    const EMPTY: Aabb = Aabb { lo: Vec3A::splat(f32::INFINITY), hi: Vec3A::splat(f32::NEG_INFINITY) };
    #[inline]
    fn grow(&mut self, o: &Aabb) {
        self.lo = self.lo.min(o.lo);
        self.hi = self.hi.max(o.hi);
    }
    #[inline]
    fn grow_point(&mut self, p: Vec3A) {
        self.lo = self.lo.min(p);
        self.hi = self.hi.max(p);
    }
    #[inline]
    fn half_area(&self) -> f32 {
        let e = (self.hi - self.lo).max(Vec3A::ZERO);
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

    /// Builds a BVH over `triangles` (binned SAH; subtrees of more than 4096
    /// triangles are built in parallel with rayon). An empty slice gives an empty BVH
    /// whose queries never hit. Non-finite vertices are the caller's to reject
    /// (`rftwin_core::Mesh::validate` does).
    pub fn build_with(triangles: &[[DVec3; 3]], options: BuildOptions) -> Bvh {
        let n = triangles.len();
        if n == 0 {
            return Bvh::default();
        }
        let boxes: Vec<Aabb> = triangles
            .par_iter()
            .map(|t| {
                let (lo, hi) = triangle_bounds(t);
                Aabb { lo: Vec3A::from(lo), hi: Vec3A::from(hi) }
            })
            .collect();
        let centroids: Vec<Vec3A> = boxes.iter().map(|b| (b.lo + b.hi) * 0.5).collect();
        let mut order: Vec<u32> = (0..n as u32).collect();
        let ctx = Ctx { boxes: &boxes, centroids: &centroids, options, bins: options.bins.clamp(2, MAX_BINS) };
        let nodes = build_subtree(&ctx, &mut order, 0);
        let triangles = order.par_iter().map(|&i| BvhTriangle::new(i, to_f32(&triangles[i as usize]))).collect();
        Bvh { nodes, triangles }
    }
}

const MAX_BINS: usize = 64;
/// Subtrees larger than this are built on two rayon tasks.
const PARALLEL_THRESHOLD: usize = 4096;

struct Ctx<'a> {
    boxes: &'a [Aabb],
    centroids: &'a [Vec3A],
    options: BuildOptions,
    bins: usize,
}

/// Builds the subtree over `order` (whose first element sits at `offset` in the
/// final triangle order); its root is node 0 of the returned list and child indices
/// are relative to that list.
fn build_subtree(ctx: &Ctx, order: &mut [u32], offset: usize) -> Vec<BvhNode> {
    let count = order.len();
    let mut bounds = Aabb::EMPTY;
    let mut cbounds = Aabb::EMPTY;
    for &i in order.iter() {
        bounds.grow(&ctx.boxes[i as usize]);
        cbounds.grow_point(ctx.centroids[i as usize]);
    }
    let node = |left_or_first: usize, count: usize| BvhNode {
        min: bounds.lo.into(),
        left_or_first: left_or_first as u32,
        max: bounds.hi.into(),
        count: count as u32,
    };
    if count <= 1 {
        return vec![node(offset, count)];
    }
    let parent_area = bounds.half_area().max(f32::MIN_POSITIVE);
    let split = best_split(ctx, order, &cbounds).filter(|&(_, _, cost)| {
        let split_cost = ctx.options.traversal_cost + cost / parent_area;
        split_cost < count as f32 || count > ctx.options.max_leaf_size
    });
    let mid = match split {
        Some((axis, bin, _)) => partition(ctx, order, &cbounds, axis, bin),
        // All centroids coincide: split the list in half if it is too long for a leaf.
        None if count > ctx.options.max_leaf_size => count / 2,
        None => return vec![node(offset, count)],
    };
    let (lo, hi) = order.split_at_mut(mid);
    let (left, right) = if count > PARALLEL_THRESHOLD {
        rayon::join(|| build_subtree(ctx, lo, offset), || build_subtree(ctx, hi, offset + mid))
    } else {
        (build_subtree(ctx, lo, offset), build_subtree(ctx, hi, offset + mid))
    };
    join_subtrees(node(1, 0), &left, &right)
}

/// The cheapest binned SAH split of `order` (centroid bounds `cbounds`):
/// `(axis, first bin of the right side, cost)`, or `None` if no axis has extent.
fn best_split(ctx: &Ctx, order: &[u32], cbounds: &Aabb) -> Option<(usize, usize, f32)> {
    let bins = ctx.bins;
    let extent = cbounds.hi - cbounds.lo;
    let mut best: Option<(usize, usize, f32)> = None;
    let mut bin_boxes = [Aabb::EMPTY; MAX_BINS];
    let mut bin_counts = [0usize; MAX_BINS];
    let mut right_area = [0f32; MAX_BINS];
    let mut right_count = [0usize; MAX_BINS];
    for axis in 0..3 {
        if extent[axis] <= 0.0 {
            continue;
        }
        let scale = bins as f32 / extent[axis];
        bin_boxes[..bins].iter_mut().for_each(|b| *b = Aabb::EMPTY);
        bin_counts[..bins].iter_mut().for_each(|c| *c = 0);
        for &i in order.iter() {
            let b = (((ctx.centroids[i as usize][axis] - cbounds.lo[axis]) * scale) as usize).min(bins - 1);
            bin_counts[b] += 1;
            bin_boxes[b].grow(&ctx.boxes[i as usize]);
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
    best
}

/// Moves the triangles whose centroid bin along `axis` is below `bin` to the front of
/// `order`; returns how many there are.
fn partition(ctx: &Ctx, order: &mut [u32], cbounds: &Aabb, axis: usize, bin: usize) -> usize {
    let bins = ctx.bins;
    let scale = bins as f32 / (cbounds.hi[axis] - cbounds.lo[axis]);
    let mut left = 0;
    for j in 0..order.len() {
        let c = ctx.centroids[order[j] as usize][axis];
        let b = (((c - cbounds.lo[axis]) * scale) as usize).min(bins - 1);
        if b < bin {
            order.swap(left, j);
            left += 1;
        }
    }
    left
}

/// The nodes of a subtree from its root and its two child subtrees, laid out as
/// root, left root, right root, rest of left, rest of right.
fn join_subtrees(root: BvhNode, left: &[BvhNode], right: &[BvhNode]) -> Vec<BvhNode> {
    let (nl, nr) = (left.len(), right.len());
    let map_left = |j: usize| if j == 0 { 1 } else { 2 + j };
    let map_right = |j: usize| if j == 0 { 2 } else { 2 + (nl - 1) + j };
    let remap = |n: &BvhNode, map: &dyn Fn(usize) -> usize| {
        let mut n = *n;
        if !n.is_leaf() {
            n.left_or_first = map(n.left_or_first as usize) as u32;
        }
        n
    };
    let mut out = Vec::with_capacity(1 + nl + nr);
    out.push(root);
    out.push(remap(&left[0], &map_left));
    out.push(remap(&right[0], &map_right));
    out.extend(left[1..].iter().map(|n| remap(n, &map_left)));
    out.extend(right[1..].iter().map(|n| remap(n, &map_right)));
    out
}
