//! Structural invariants of a BVH.

use crate::Bvh;

/// A broken BVH invariant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid BVH: {0}")]
pub struct ValidationError(pub String);

impl Bvh {
    /// Checks that every node's box contains its children's boxes (interior) or its
    /// triangles' vertices (leaf), that children follow their parent, and that every
    /// triangle is referenced by exactly one leaf.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let err = |m: String| Err(ValidationError(m));
        if self.nodes.is_empty() {
            return if self.triangles.is_empty() { Ok(()) } else { err("triangles without nodes".into()) };
        }
        let contains = |outer_min: [f32; 3], outer_max: [f32; 3], p: [f32; 3]| (0..3).all(|k| outer_min[k] <= p[k] && p[k] <= outer_max[k]);
        let mut seen = vec![0u32; self.triangles.len()];
        let mut stack = vec![0usize];
        let mut visited = 0usize;
        while let Some(i) = stack.pop() {
            visited += 1;
            if visited > self.nodes.len() {
                return err("node graph has a cycle or shared children".into());
            }
            let n = self.nodes[i];
            if n.is_leaf() {
                let (first, count) = (n.left_or_first as usize, n.count as usize);
                if first + count > self.triangles.len() {
                    return err(format!("leaf {i} references triangles {first}..{} of {}", first + count, self.triangles.len()));
                }
                for (k, t) in self.triangles[first..first + count].iter().enumerate() {
                    seen[first + k] += 1;
                    let v1 = [t.v0[0] + t.e1[0], t.v0[1] + t.e1[1], t.v0[2] + t.e1[2]];
                    let v2 = [t.v0[0] + t.e2[0], t.v0[1] + t.e2[1], t.v0[2] + t.e2[2]];
                    // v1, v2 are rebuilt from rounded edges: allow one part in 10⁶.
                    let slack = |p: [f32; 3]| {
                        let s = 1e-6 * p.iter().fold(1f32, |m, x| m.max(x.abs()));
                        (0..3).all(|k| n.min[k] - s <= p[k] && p[k] <= n.max[k] + s)
                    };
                    if !contains(n.min, n.max, t.v0) || !slack(v1) || !slack(v2) {
                        return err(format!("triangle {} sticks out of leaf {i}", t.id));
                    }
                }
            } else {
                let l = n.left_or_first as usize;
                if l <= i || l + 1 >= self.nodes.len() {
                    return err(format!("node {i} has children at {l} (nodes: {})", self.nodes.len()));
                }
                for c in [l, l + 1] {
                    let ch = self.nodes[c];
                    if !contains(n.min, n.max, ch.min) || !contains(n.min, n.max, ch.max) {
                        return err(format!("child {c} is not inside node {i}"));
                    }
                    stack.push(c);
                }
            }
        }
        if let Some(k) = seen.iter().position(|&s| s != 1) {
            return err(format!("triangle slot {k} is referenced {} times", seen[k]));
        }
        let mut ids: Vec<u32> = self.triangles.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        if ids.iter().enumerate().any(|(i, &id)| id as usize != i) {
            return err("triangle ids are not a permutation".into());
        }
        Ok(())
    }
}
