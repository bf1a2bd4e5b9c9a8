//! Mesh regularisers of InverTwin eq. 21 and common companions: the Laplacian
//! (Dirichlet-energy) term `λ θᵀLθ` with uniform or cotangent weights, an edge-length
//! term and a normal-consistency term.
//!
//! The first two are quadratic edge sums differentiated by dfdx
//! ([`crate::autodiff::edge_terms`]); normal consistency is differentiated here with
//! dual numbers. Weights are computed once on the rest (initial) mesh.

use crate::autodiff::EdgeTerms;
use crate::error::{InverseError, Result};
use glam::DVec3;
use rftwin_core::dual::{Dual, V3};
use rftwin_core::mesh::edge_map;
use rftwin_core::Mesh;
use serde::{Deserialize, Serialize};

/// Edge weights of the Laplacian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LaplacianKind {
    /// Every edge weighs 1 (graph Laplacian).
    Uniform,
    /// `w_ij = ½ (cot α_ij + cot β_ij)` of the rest mesh, clamped at 0 (obtuse pairs
    /// would make the energy indefinite).
    Cotangent,
}

/// Regulariser weights for a vertex group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeshRegularizer {
    /// λ of the Dirichlet energy `λ Σ_e w_e ‖x_i − x_j‖²` (eq. 21), per unit of mean
    /// edge length² (so λ does not depend on the mesh's size).
    pub laplacian: f64,
    /// Weights of the Laplacian.
    pub kind: LaplacianKind,
    /// Weight of `Σ_e (‖x_i − x_j‖²/l_e² − 1)²` divided by the edge count.
    pub edge_length: f64,
    /// Weight of `Σ_pairs (1 − n_a · n_b)` over faces sharing an edge, divided by the
    /// pair count.
    pub normal_consistency: f64,
}

impl Default for MeshRegularizer {
    fn default() -> Self {
        MeshRegularizer { laplacian: 1.0, kind: LaplacianKind::Cotangent, edge_length: 0.0, normal_consistency: 0.0 }
    }
}

/// Pairs of faces sharing an edge: `(edge a, edge b, opposite of face 1, opposite of face 2)`
/// for every edge with exactly two faces.
pub fn face_pairs(triangles: &[[u32; 3]]) -> Vec<[u32; 4]> {
    edge_map(triangles).into_iter().filter(|(_, f)| f.len() == 2).map(|([a, b], f)| [a, b, f[0].opposite, f[1].opposite]).collect()
}

impl MeshRegularizer {
    fn validate(&self) -> Result<()> {
        for (n, v) in [("laplacian", self.laplacian), ("edge_length", self.edge_length), ("normal_consistency", self.normal_consistency)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(InverseError::invalid("regulariser weight", format!("{n} must be ≥ 0, got {v}")));
            }
        }
        Ok(())
    }

    /// The dfdx edge terms for `rest` (the mesh at the start of the optimisation).
    pub fn edge_terms(&self, rest: &Mesh) -> Result<EdgeTerms> {
        self.validate()?;
        rest.validate("regularised mesh")?;
        let edges = rest.edges();
        let v = &rest.vertices;
        let ne = edges.len().max(1) as f64;
        let mean_l2 = edges.keys().map(|[a, b]| (v[*a as usize] - v[*b as usize]).length_squared()).sum::<f64>() / ne;
        let mut t = EdgeTerms::default();
        for ([a, b], faces) in &edges {
            let (pa, pb) = (v[*a as usize], v[*b as usize]);
            let w = match self.kind {
                LaplacianKind::Uniform => 1.0,
                LaplacianKind::Cotangent => {
                    let cot = |o: u32| {
                        let po = v[o as usize];
                        let (e1, e2) = (pa - po, pb - po);
                        e1.dot(e2) / e1.cross(e2).length().max(1e-300)
                    };
                    (0.5 * faces.iter().map(|f| cot(f.opposite)).sum::<f64>()).max(0.0)
                }
            };
            t.i.push(*a as usize);
            t.j.push(*b as usize);
            t.dirichlet.push(self.laplacian * w / mean_l2);
            t.length.push(self.edge_length / ne);
            t.rest2.push((pa - pb).length_squared().max(1e-300));
        }
        Ok(t)
    }

    /// Value and vertex gradient of the normal-consistency term on `vertices` with the
    /// face `pairs` of [`face_pairs`].
    pub fn normal_consistency(&self, vertices: &[DVec3], pairs: &[[u32; 4]]) -> (f64, Vec<DVec3>) {
        let mut g = vec![DVec3::ZERO; vertices.len()];
        if self.normal_consistency == 0.0 || pairs.is_empty() {
            return (0.0, g);
        }
        let w = self.normal_consistency / pairs.len() as f64;
        let mut value = 0.0;
        for p in pairs {
            let x: [V3<Dual<12>>; 4] = std::array::from_fn(|k| {
                let q = vertices[p[k] as usize];
                V3([Dual::variable(q.x, 3 * k), Dual::variable(q.y, 3 * k + 1), Dual::variable(q.z, 3 * k + 2)])
            });
            // faces (a, b, c) and (b, a, d) keep consistent orientation for a manifold mesh
            let n1 = x[1].minus(x[0]).cross(x[2].minus(x[0])).normalize();
            let n2 = x[0].minus(x[1]).cross(x[3].minus(x[1])).normalize();
            let f = (Dual::constant(1.0) - n1.dot(n2)) * Dual::constant(w);
            value += f.v;
            for (k, &vi) in p.iter().enumerate() {
                g[vi as usize] += DVec3::new(f.d[3 * k], f.d[3 * k + 1], f.d[3 * k + 2]);
            }
        }
        (value, g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::edge_terms;

    #[test]
    fn cotangent_laplacian_annihilates_linear_functions_on_a_flat_patch() {
        // Interior vertex of a flat irregular fan: Σ_j w_ij (x_j − x_i) = 0 for cotangent
        // weights (linear precision), not for uniform ones.
        let ring: Vec<DVec3> = (0..7).map(|k| {
            let a = k as f64 * std::f64::consts::TAU / 7.0 + 0.3 * (k as f64).sin();
            DVec3::new(a.cos() * (1.0 + 0.3 * (2.0 * a).cos()), a.sin(), 0.0)
        }).collect();
        let mut v = vec![DVec3::new(0.1, -0.05, 0.0)];
        v.extend(&ring);
        let tris: Vec<[u32; 3]> = (0..7).map(|k| [0, 1 + k as u32, 1 + ((k + 1) % 7) as u32]).collect();
        let mesh = Mesh::new("fan", v.clone(), tris).unwrap();
        for (kind, zero) in [(LaplacianKind::Cotangent, true), (LaplacianKind::Uniform, false)] {
            let t = MeshRegularizer { laplacian: 1.0, kind, ..Default::default() }.edge_terms(&mesh).unwrap();
            let coords: Vec<f64> = v.iter().flat_map(|p| [p.x, p.y, p.z]).collect();
            let (_, g) = edge_terms(&coords, &t).unwrap();
            let gi = DVec3::new(g[0], g[1], g[2]).length();
            assert_eq!(gi < 1e-12, zero, "{kind:?}: |∇E at the centre| = {gi}");
        }
    }

    #[test]
    fn normal_consistency_matches_finite_differences_and_vanishes_when_flat() {
        let mut m = Mesh::icosphere(DVec3::ZERO, 1.0, 1);
        let r = MeshRegularizer { normal_consistency: 2.0, ..Default::default() };
        let pairs = face_pairs(&m.triangles);
        assert_eq!(pairs.len(), 120);
        m.vertices[3] += DVec3::new(0.1, -0.2, 0.05);
        let (v, g) = r.normal_consistency(&m.vertices, &pairs);
        assert!(v > 0.0);
        for (vi, c) in [(3usize, 0usize), (3, 1), (7, 2), (0, 0)] {
            let f = |h: f64| {
                let mut p = m.vertices.clone();
                p[vi][c] += h;
                r.normal_consistency(&p, &pairs).0
            };
            let fd = (f(1e-6) - f(-1e-6)) / 2e-6;
            assert!((g[vi][c] - fd).abs() < 1e-6 * (1.0 + fd.abs()), "v{vi}[{c}]: {} vs {fd}", g[vi][c]);
        }
        let flat = Mesh::quad_xy(0.0, 1.0, 0.0, 1.0, 0.0);
        let (v0, _) = r.normal_consistency(&flat.vertices, &face_pairs(&flat.triangles));
        assert!(v0.abs() < 1e-12);
    }
}
