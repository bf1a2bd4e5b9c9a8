//! GPU-ready memory layouts. Keep in sync with shaders/common/types.wgsl.

use bytemuck::{Pod, Zeroable};

/// A BVH node (32 bytes). Interior nodes have `count == 0` and their two children at
/// `left_or_first` and `left_or_first + 1`; leaves hold `count` triangles starting at
/// `left_or_first` in [`crate::Bvh::triangles`].
/// Keep in sync with shaders/common/types.wgsl (`BvhNode`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct BvhNode {
    /// Box minimum \[m\].
    pub min: [f32; 3],
    /// First child (interior) or first triangle (leaf).
    pub left_or_first: u32,
    /// Box maximum \[m\].
    pub max: [f32; 3],
    /// Number of triangles; 0 for interior nodes.
    pub count: u32,
}

impl BvhNode {
    /// Whether the node is a leaf.
    #[inline]
    pub fn is_leaf(&self) -> bool {
        self.count > 0
    }
}

/// A triangle prepared for Möller–Trumbore intersection (48 bytes): `v0`, edges
/// `e1 = v1 − v0`, `e2 = v2 − v0`, and the original triangle id.
/// Keep in sync with shaders/common/types.wgsl (`BvhTriangle`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct BvhTriangle {
    /// First vertex \[m\].
    pub v0: [f32; 3],
    /// Original triangle id.
    pub id: u32,
    /// Edge `v1 − v0` \[m\].
    pub e1: [f32; 3],
    /// Padding (keeps vec3 fields 16-byte aligned as in WGSL).
    pub _pad1: u32,
    /// Edge `v2 − v0` \[m\].
    pub e2: [f32; 3],
    /// Padding.
    pub _pad2: u32,
}

impl BvhTriangle {
    /// Prepares triangle `id` with vertices `v`.
    pub fn new(id: u32, v: [[f32; 3]; 3]) -> Self {
        let sub = |a: [f32; 3], b: [f32; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
        BvhTriangle { v0: v[0], id, e1: sub(v[1], v[0]), _pad1: 0, e2: sub(v[2], v[0]), _pad2: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_wgsl_layout() {
        assert_eq!(std::mem::size_of::<BvhNode>(), 32);
        assert_eq!(std::mem::size_of::<BvhTriangle>(), 48);
        assert_eq!(std::mem::offset_of!(BvhTriangle, e1), 16);
        assert_eq!(std::mem::offset_of!(BvhTriangle, e2), 32);
        assert_eq!(std::mem::offset_of!(BvhNode, max), 16);
    }
}
