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
use glam::Vec4;
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
            let mut kids = [l, l + 1, 0, 0];
            let mut nk = 2;
            while nk < 4 {
                // open the interior child with the largest surface area
                let mut pick = None;
                for (i, &k) in kids[..nk].iter().enumerate() {
                    if !bvh.nodes[k].is_leaf() && pick.is_none_or(|(_, a)| area(&bvh.nodes[k]) > a) {
                        pick = Some((i, area(&bvh.nodes[k])));
                    }
                }
                let Some((i, _)) = pick else { break };
                let c = bvh.nodes[kids[i]].left_or_first as usize;
                kids[i] = c;
                kids[nk] = c + 1;
                nk += 1;
            }
            for (slot, &k) in kids[..nk].iter().enumerate() {
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

    fn lane(&self, ray: &Ray) -> Option<Lane> {
        let current = match self.root_leaf {
            Some((first, count)) => (first, count),
            None if self.nodes.is_empty() => return None,
            None => (0, 0),
        };
        Some(Lane {
            stack: [(0, 0, 0.0); STACK_SIZE],
            sp: 0,
            current,
            t_max: ray.t_max,
            near_side: [(ray.inv_d[0] < 0.0) as usize, (ray.inv_d[1] < 0.0) as usize, (ray.inv_d[2] < 0.0) as usize],
            ray: *ray,
            best: None,
        })
    }

    /// Visits candidate triangles nearest box first; same contract as [`Bvh::traverse`].
    #[inline(always)]
    pub fn traverse<F>(&self, ray: &Ray, mut visit: F)
    where
        F: FnMut(&BvhTriangle, &mut f32) -> bool,
    {
        let Some(mut lane) = self.lane(ray) else { return };
        while lane.step(self, &mut |tri, _ray, t_max, _best| visit(tri, t_max)) {}
    }

    /// Traverses many rays at once: eight rays in flight, one node step each in turn,
    /// with the next nodes prefetched, so that the memory accesses of independent rays
    /// overlap. `visit(ray_index, triangle, &mut t_max)` has the contract of
    /// [`Bvh::traverse`]'s callback for ray `ray_index`.
    pub fn traverse_batch<F>(&self, rays: &[Ray], mut visit: F)
    where
        F: FnMut(usize, &BvhTriangle, &mut f32) -> bool,
    {
        const LANES: usize = 8;
        let Some(template) = self.lane(&Ray::new([0.0; 3], [1.0, 0.0, 0.0], 0.0, 0.0)) else { return };
        // Lanes are reused (reset in place) so their stacks are not re-initialised per ray.
        let mut lanes: [Lane; LANES] = std::array::from_fn(|_| template.clone());
        let mut owner: [Option<usize>; LANES] = [None; LANES];
        let mut next = 0;
        loop {
            let mut active = false;
            for (lane, own) in lanes.iter_mut().zip(owner.iter_mut()) {
                if own.is_none() && next < rays.len() {
                    lane.reset(&rays[next], template.current);
                    *own = Some(next);
                    next += 1;
                }
                if let Some(i) = *own {
                    active = true;
                    if !lane.step(self, &mut |tri, _ray, t_max, _best| visit(i, tri, t_max)) {
                        *own = None;
                    }
                }
            }
            if !active {
                return;
            }
        }
    }

    /// Nearest hits of many rays (`out[i]` for `rays[i]`), traversed as in
    /// [`Bvh4::traverse_batch`]; equal to [`crate::Traversal::closest_hit`] ray by ray.
    pub fn closest_hits(&self, rays: &[Ray], out: &mut [Option<Hit>]) {
        assert_eq!(rays.len(), out.len(), "closest_hits: one output slot per ray");
        out.iter_mut().for_each(|o| *o = None);
        self.traverse_batch(rays, |i, tri, t_max| {
            if let Some((t, u, v)) = intersect_triangle(tri, &rays[i], *t_max) {
                *t_max = t;
                out[i] = Some(Hit { triangle: tri.id, t, u, v });
            }
            false
        });
    }

}

/// Traversal state of one ray.
#[derive(Clone)]
struct Lane {
    stack: [(u32, u32, f32); STACK_SIZE],
    sp: usize,
    /// (index, count): count 0 = interior node, else a leaf's triangle range.
    current: (u32, u32),
    t_max: f32,
    near_side: [usize; 3],
    ray: Ray,
    best: Option<Hit>,
}

impl Lane {
    /// Starts a new ray at `root`, keeping the stack's storage.
    #[inline(always)]
    fn reset(&mut self, ray: &Ray, root: (u32, u32)) {
        self.sp = 0;
        self.current = root;
        self.t_max = ray.t_max;
        self.near_side = [(ray.inv_d[0] < 0.0) as usize, (ray.inv_d[1] < 0.0) as usize, (ray.inv_d[2] < 0.0) as usize];
        self.ray = *ray;
        self.best = None;
    }

    /// Processes the current node or leaf and moves to the next one; `false` when the
    /// traversal is over (stack empty, or `visit` asked to stop).
    #[inline(always)]
    fn step<F>(&mut self, bvh: &Bvh4, visit: &mut F) -> bool
    where
        F: FnMut(&BvhTriangle, &Ray, &mut f32, &mut Option<Hit>) -> bool,
    {
        let ray = &self.ray;
        if self.current.1 > 0 {
            let first = self.current.0 as usize;
            for tri in &bvh.triangles[first..first + self.current.1 as usize] {
                if visit(tri, ray, &mut self.t_max, &mut self.best) {
                    return false;
                }
            }
        } else {
            let node = &bvh.nodes[self.current.0 as usize];
            let ns = self.near_side;
            // Four slab tests at once (glam's Vec4 is an SSE register on x86-64). Empty
            // slots have inverted boxes (min = +∞, max = −∞) and never pass; a NaN slab
            // (a ray exactly on a box plane) fails or passes that one axis. The form
            // (bound − o) · (1/d) keeps an axis the ray is parallel to (1/d = ±∞) exact:
            // ±∞ outside the slab, not the NaN of bound·(1/d) − o·(1/d), which would
            // ignore that axis and let an axis-aligned ray visit every box it spans in
            // the other one (measured: 160× slower on Munich).
            let slab = |axis: usize, side: usize| {
                (Vec4::from_array(node.bounds[axis][side]) - Vec4::splat(ray.o[axis])) * Vec4::splat(ray.inv_d[axis])
            };
            let near = slab(0, ns[0]).max(slab(1, ns[1])).max(slab(2, ns[2])).max(Vec4::splat(ray.t_min));
            let far = (slab(0, 1 - ns[0]).min(slab(1, 1 - ns[1])).min(slab(2, 1 - ns[2])) * ROBUST_FAR).min(Vec4::splat(self.t_max));
            let mut mask = near.cmple(far).bitmask();
            if mask.count_ones() == 1 {
                let i = mask.trailing_zeros() as usize;
                self.current = (node.child[i], node.count[i]);
                bvh.prefetch(self.current.0, self.current.1);
                return true;
            }
            let t_near = near.to_array();
            let mut hit = [false; 4];
            while mask != 0 {
                hit[mask.trailing_zeros() as usize] = true;
                mask &= mask - 1;
            }
            // Hit children sorted by entry distance (at most 4).
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
                for k in (1..n).rev() {
                    if self.sp < STACK_SIZE {
                        bvh.prefetch(order[k].0, order[k].1);
                        self.stack[self.sp] = order[k];
                        self.sp += 1;
                    }
                }
                bvh.prefetch(order[0].0, order[0].1);
                self.current = (order[0].0, order[0].1);
                return true;
            }
        }
        while self.sp > 0 {
            self.sp -= 1;
            let (idx, count, t) = self.stack[self.sp];
            if t <= self.t_max {
                self.current = (idx, count);
                return true;
            }
        }
        false
    }
}

impl Bvh4 {
    /// Hints the CPU to fetch a node (or a leaf's triangles) that will be visited soon.
    #[inline(always)]
    fn prefetch(&self, index: u32, count: u32) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let (ptr, bytes) = if count == 0 {
                (self.nodes.as_ptr().wrapping_add(index as usize) as *const i8, std::mem::size_of::<Bvh4Node>())
            } else {
                (self.triangles.as_ptr().wrapping_add(index as usize) as *const i8, count as usize * std::mem::size_of::<BvhTriangle>())
            };
            let mut off = 0;
            while off < bytes {
                // SAFETY: a prefetch is only a hint; it never faults, even for an invalid
                // address, and reads no value. The addresses are in-bounds here anyway.
                #[allow(unsafe_code)]
                unsafe {
                    _mm_prefetch::<_MM_HINT_T0>(ptr.wrapping_add(off));
                }
                off += 64;
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (index, count);
    }
}

fn empty_node() -> Bvh4Node {
    Bvh4Node { bounds: [[[f32::INFINITY; 4], [f32::NEG_INFINITY; 4]]; 3], child: [EMPTY; 4], count: [0; 4] }
}
