//! A 4-wide BVH for fast CPU queries, collapsed from the binary SAH tree.
//!
//! Each node stores its four children's boxes as structure-of-arrays so the four
//! slab tests compile to vector instructions; the ray's direction signs pick the near
//! and far planes once per ray. Leaves reference the same triangle array as the
//! binary tree. The binary [`crate::Bvh`] stays the GPU layout; this is the CPU fast
//! path.

use crate::buffer::PodBuffer;
use crate::layout::BvhTriangle;
use bytemuck::{Pod, Zeroable};
use crate::ray::{Hit, Ray};
use crate::traverse::intersect_triangle;
use crate::Bvh;

/// Marker of an empty child slot.
const EMPTY: u32 = u32::MAX;
const STACK_SIZE: usize = 96;
/// `1 + 2γ₃` as in `traverse.rs` (robust far distance).
const ROBUST_FAR: f32 = 1.0 + 2.0 * (3.0 * f32::EPSILON * 0.5) / (1.0 - 3.0 * f32::EPSILON * 0.5);

/// A node with up to four children. `bounds[axis][0 = min, 1 = max][child]`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Bvh4Node {
    /// Child boxes, structure of arrays.
    pub bounds: [[[f32; 4]; 2]; 3],
    /// Child node index (interior), first triangle (leaf), or `u32::MAX` (empty).
    pub child: [u32; 4],
    /// Triangle count of leaf children; 0 for interior or empty children.
    pub count: [u32; 4],
}

/// The 4-wide tree.
#[derive(Debug, Clone, Default)]
pub struct Bvh4 {
    /// Nodes; node 0 is the root.
    pub nodes: PodBuffer<Bvh4Node>,
    /// Triangles in leaf order (same order as the binary tree's).
    pub triangles: PodBuffer<BvhTriangle>,
    /// The root is a single leaf (tiny scenes): `(first, count)`.
    root_leaf: Option<(u32, u32)>,
}

fn area(n: &crate::layout::BvhNode) -> f32 {
    let e = [n.max[0] - n.min[0], n.max[1] - n.min[1], n.max[2] - n.min[2]];
    e[0] * e[1] + e[1] * e[2] + e[2] * e[0]
}

impl Bvh4 {
    /// Collapses a binary BVH (children of up to two levels merged into one node).
    pub fn from_bvh(bvh: &Bvh) -> Self {
        let triangles = PodBuffer::new(bvh.triangles.clone());
        let Some(root) = bvh.nodes.first() else { return Bvh4 { triangles, ..Default::default() } };
        if root.is_leaf() {
            return Bvh4 { triangles, nodes: PodBuffer::default(), root_leaf: Some((root.left_or_first, root.count)) };
        }
        let mut nodes = vec![empty_node()];
        let mut stack = vec![(0usize, 0usize)]; // (wide node, binary node)
        while let Some((wide, bin)) = stack.pop() {
            let n = bvh.nodes[bin];
            let l = n.left_or_first as usize;
            let mut kids = vec![l, l + 1];
            while kids.len() < 4 {
                // open the interior child with the largest surface area
                let pick = kids
                    .iter()
                    .enumerate()
                    .filter(|(_, &k)| !bvh.nodes[k].is_leaf())
                    .max_by(|a, b| area(&bvh.nodes[*a.1]).total_cmp(&area(&bvh.nodes[*b.1])))
                    .map(|(i, _)| i);
                let Some(i) = pick else { break };
                let k = kids.remove(i);
                let c = bvh.nodes[k].left_or_first as usize;
                kids.push(c);
                kids.push(c + 1);
            }
            for (slot, &k) in kids.iter().enumerate() {
                let c = bvh.nodes[k];
                for axis in 0..3 {
                    nodes[wide].bounds[axis][0][slot] = c.min[axis];
                    nodes[wide].bounds[axis][1][slot] = c.max[axis];
                }
                if c.is_leaf() {
                    nodes[wide].child[slot] = c.left_or_first;
                    nodes[wide].count[slot] = c.count;
                } else {
                    let idx = nodes.len();
                    nodes.push(empty_node());
                    nodes[wide].child[slot] = idx as u32;
                    nodes[wide].count[slot] = 0;
                    stack.push((idx, k));
                }
            }
        }
        Bvh4 { nodes: PodBuffer::new(nodes), triangles, root_leaf: None }
    }

    /// Visits candidate triangles nearest box first; same contract as [`Bvh::traverse`].
    #[inline(always)]
    pub fn traverse<F>(&self, ray: &Ray, mut visit: F)
    where
        F: FnMut(&BvhTriangle, &mut f32) -> bool,
    {
        let mut t_max = ray.t_max;
        if let Some((first, count)) = self.root_leaf {
            for tri in &self.triangles[first as usize..(first + count) as usize] {
                if visit(tri, &mut t_max) {
                    return;
                }
            }
            return;
        }
        if self.nodes.is_empty() {
            return;
        }
        // Near/far plane per axis from the direction sign.
        let near_side = [(ray.inv_d[0] < 0.0) as usize, (ray.inv_d[1] < 0.0) as usize, (ray.inv_d[2] < 0.0) as usize];
        let oi = [ray.o[0] * ray.inv_d[0], ray.o[1] * ray.inv_d[1], ray.o[2] * ray.inv_d[2]];
        // Stack entries: (node or leaf code, entry distance). Leaves are pushed too, so
        // that they are visited in distance order.
        let mut stack: [(u32, u32, f32); STACK_SIZE] = [(0, 0, 0.0); STACK_SIZE];
        let mut sp = 0usize;
        let mut current = (0u32, 0u32); // (index, count): count 0 = interior node
        loop {
            if current.1 > 0 {
                let first = current.0 as usize;
                for tri in &self.triangles[first..first + current.1 as usize] {
                    if visit(tri, &mut t_max) {
                        return;
                    }
                }
            } else {
                let node = &self.nodes[current.0 as usize];
                let mut t_near = [0f32; 4];
                let mut hit = [false; 4];
                for i in 0..4 {
                    let tx0 = node.bounds[0][near_side[0]][i] * ray.inv_d[0] - oi[0];
                    let tx1 = node.bounds[0][1 - near_side[0]][i] * ray.inv_d[0] - oi[0];
                    let ty0 = node.bounds[1][near_side[1]][i] * ray.inv_d[1] - oi[1];
                    let ty1 = node.bounds[1][1 - near_side[1]][i] * ray.inv_d[1] - oi[1];
                    let tz0 = node.bounds[2][near_side[2]][i] * ray.inv_d[2] - oi[2];
                    let tz1 = node.bounds[2][1 - near_side[2]][i] * ray.inv_d[2] - oi[2];
                    // Plain comparisons (not f32::min/max) compile to single min/max
                    // instructions; a NaN slab (ray on a box plane) then simply fails or
                    // passes that one axis, which only happens for measure-zero rays.
                    let t0 = fmax(fmax(fmax(tx0, ty0), tz0), ray.t_min);
                    let t1 = fmin(fmin(fmin(tx1, ty1), tz1) * ROBUST_FAR, t_max);
                    t_near[i] = t0;
                    hit[i] = t0 <= t1;
                }
                // Gather hit children, sort by entry distance (at most 4).
                let mut order = [(0u32, 0u32, 0f32); 4];
                let mut n = 0;
                for i in 0..4 {
                    if hit[i] && node.child[i] != EMPTY {
                        let mut j = n;
                        while j > 0 && order[j - 1].2 > t_near[i] {
                            order[j] = order[j - 1];
                            j -= 1;
                        }
                        order[j] = (node.child[i], node.count[i], t_near[i]);
                        n += 1;
                    }
                }
                if n > 0 {
                    // push all but the nearest, farthest first
                    for k in (1..n).rev() {
                        if sp < STACK_SIZE {
                            stack[sp] = order[k];
                            sp += 1;
                        }
                    }
                    current = (order[0].0, order[0].1);
                    continue;
                }
            }
            loop {
                if sp == 0 {
                    return;
                }
                sp -= 1;
                let (idx, count, t) = stack[sp];
                if t <= t_max {
                    current = (idx, count);
                    break;
                }
            }
        }
    }

    /// The nearest hit with `t ∈ [t_min, t_max]`.
    pub fn closest_hit(&self, ray: &Ray) -> Option<Hit> {
        let mut best = None;
        self.traverse(ray, |tri, t_max| {
            if let Some((t, u, v)) = intersect_triangle(tri, ray, *t_max) {
                *t_max = t;
                best = Some(Hit { triangle: tri.id, t, u, v });
            }
            false
        });
        best
    }

    /// Whether any triangle is hit with `t ∈ [t_min, t_max]`.
    pub fn any_hit(&self, ray: &Ray) -> bool {
        let mut hit = false;
        self.traverse(ray, |tri, t_max| {
            hit = intersect_triangle(tri, ray, *t_max).is_some();
            hit
        });
        hit
    }
}

#[inline(always)]
fn fmin(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else {
        b
    }
}

#[inline(always)]
fn fmax(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

fn empty_node() -> Bvh4Node {
    Bvh4Node { bounds: [[[f32::INFINITY; 4], [f32::NEG_INFINITY; 4]]; 3], child: [EMPTY; 4], count: [0; 4] }
}
