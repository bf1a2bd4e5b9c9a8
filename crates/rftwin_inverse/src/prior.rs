//! A low-dimensional shape prior: a PCA basis of a family of meshes sharing one
//! topology, standing in for InverTwin's pre-trained decoder (Fig. 9). Shapes are
//! `x = mean + B z` with orthonormal principal directions scaled by their standard
//! deviations, so each latent coordinate has unit variance over the family.

use crate::error::{InverseError, Result};
use glam::DVec3;
use nalgebra::DMatrix;
use crate::reparam::flatten;
use rftwin_core::Mesh;

/// PCA shape model.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapePrior {
    /// Mean vertex coordinates (flattened xyz).
    pub mean: Vec<f64>,
    /// Columns: principal directions × standard deviation (flattened xyz each).
    pub basis: Vec<Vec<f64>>,
    /// Triangles shared by the family.
    pub triangles: Vec<[u32; 3]>,
}

impl ShapePrior {
    /// Fits `components` principal directions to `family` (at least two meshes with
    /// identical triangle lists).
    pub fn fit(family: &[Mesh], components: usize) -> Result<Self> {
        let first = family.first().ok_or_else(|| InverseError::invalid("shape family", "empty"))?;
        if family.len() < 2 {
            return Err(InverseError::invalid("shape family", "needs at least two meshes"));
        }
        if let Some(i) = family.iter().position(|m| m.triangles != first.triangles || m.vertices.len() != first.vertices.len()) {
            return Err(InverseError::invalid("shape family", format!("mesh {i} does not share the first mesh's topology")));
        }
        if components == 0 || components >= family.len() {
            return Err(InverseError::invalid("components", format!("need 1 ≤ components < {} (family size), got {components}", family.len())));
        }
        let n = 3 * first.vertices.len();
        let k = family.len();
        let data: Vec<Vec<f64>> = family.iter().map(|m| flatten(&m.vertices)).collect();
        let mean: Vec<f64> = (0..n).map(|i| data.iter().map(|d| d[i]).sum::<f64>() / k as f64).collect();
        let x = DMatrix::from_fn(n, k, |i, j| data[j][i] - mean[i]);
        let svd = x.svd(true, false);
        let u = svd.u.ok_or_else(|| InverseError::invalid("shape family", "SVD failed"))?;
        let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
        order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
        let basis = order[..components]
            .iter()
            .map(|&c| {
                let sd = svd.singular_values[c] / ((k - 1) as f64).sqrt();
                (0..n).map(|i| u[(i, c)] * sd).collect()
            })
            .collect();
        Ok(ShapePrior { mean, basis, triangles: first.triangles.clone() })
    }

    /// Number of latent coordinates.
    pub fn dim(&self) -> usize {
        self.basis.len()
    }

    /// Vertex coordinates (flattened) of latent `z`.
    pub fn decode(&self, z: &[f64]) -> Vec<f64> {
        let mut x = self.mean.clone();
        for (b, &zk) in self.basis.iter().zip(z) {
            for (xi, bi) in x.iter_mut().zip(b) {
                *xi += zk * bi;
            }
        }
        x
    }

    /// The mesh of latent `z`.
    pub fn mesh(&self, z: &[f64]) -> Mesh {
        let x = self.decode(z);
        Mesh { vertices: x.chunks_exact(3).map(|c| DVec3::new(c[0], c[1], c[2])).collect(), triangles: self.triangles.clone() }
    }

    /// `∂L/∂z = Bᵀ ∂L/∂x` for a flattened vertex gradient.
    pub fn pullback(&self, grad: &[f64]) -> Vec<f64> {
        self.basis.iter().map(|b| b.iter().zip(grad).map(|(a, g)| a * g).sum()).collect()
    }

    /// Least-squares latent of vertex coordinates `x` (flattened).
    pub fn encode(&self, x: &[f64]) -> Vec<f64> {
        let k = self.dim();
        let g = DMatrix::from_fn(k, k, |a, b| self.basis[a].iter().zip(&self.basis[b]).map(|(p, q)| p * q).sum());
        let r: Vec<f64> = x.iter().zip(&self.mean).map(|(a, m)| a - m).collect();
        let rhs = nalgebra::DVector::from_vec(self.pullback(&r));
        g.lu().solve(&rhs).map(|z| z.iter().copied().collect()).unwrap_or_else(|| vec![0.0; k])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::CarBody;

    #[test]
    fn pca_reproduces_family_members_and_gradients_chain() {
        let fam: Vec<Mesh> = CarBody::family().iter().map(|c| c.mesh(DVec3::ZERO, 2)).collect();
        let p = ShapePrior::fit(&fam, 7).unwrap();
        // 7 components of 8 centred members span the family exactly
        let x = flatten(&fam[3].vertices);
        let rec = p.decode(&p.encode(&x));
        let err = x.iter().zip(&rec).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(err < 1e-9, "{err}");
        // pullback is the transpose of decode's Jacobian
        let z = vec![0.3, -0.2, 0.1, 0.0, 0.5, -0.1, 0.2];
        let g: Vec<f64> = (0..x.len()).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
        let an = p.pullback(&g);
        for k in 0..7 {
            let mut zp = z.clone();
            zp[k] += 1e-3;
            let fd: f64 = p.decode(&zp).iter().zip(p.decode(&z)).zip(&g).map(|((a, b), gi)| (a - b) / 1e-3 * gi).sum();
            assert!((an[k] - fd).abs() < 1e-8 * (1.0 + fd.abs()));
        }
        assert!(ShapePrior::fit(&fam[..1], 1).is_err());
        assert!(ShapePrior::fit(&fam, 8).is_err());
    }
}
