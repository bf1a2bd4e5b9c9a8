//! Parameterisations of a vertex group that keep Monte-Carlo gradient steps smooth.
//!
//! [`SmoothVertices`] is the "large steps" parameterisation of Nicolet, Jacobson and
//! Jakob (SIGGRAPH Asia 2021): the optimiser moves `u = (I + λL) x` instead of the
//! vertices `x` (`L` the uniform graph Laplacian), so `x = (I + λL)⁻¹ u` and
//! `∂loss/∂u = (I + λL)⁻¹ ∂loss/∂x` — a noisy per-vertex gradient is diffused over the
//! surface before it moves anything, which lets free-vertex reconstruction take steps
//! that would crumple the mesh under plain coordinates. Solves use conjugate gradients
//! on the sparse, symmetric positive-definite `I + λL`.
//!
//! [`AffineVertices`] moves a reference mesh by a translation and per-axis log-scales
//! about its centroid (a 6-parameter coarse stage before free vertices).

use crate::error::{InverseError, Result};
use glam::DVec3;
use rftwin_core::Mesh;

/// `x = (I + λL)⁻¹ u` over a mesh's vertices.
#[derive(Debug, Clone, PartialEq)]
pub struct SmoothVertices {
    /// λ of `I + λL`.
    pub lambda: f64,
    neighbours: Vec<Vec<u32>>,
}

impl SmoothVertices {
    /// Refuses a smoothing weight `λ` that is negative or not finite (callers check it
    /// before expensive work that precedes [`SmoothVertices::new`]).
    pub fn check_lambda(lambda: f64) -> Result<()> {
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(InverseError::invalid("lambda", format!("must be finite and ≥ 0, got {lambda}")));
        }
        Ok(())
    }

    /// The parameterisation for `mesh`'s connectivity with smoothing weight `lambda`
    /// (≥ 0; 0 is the identity; Nicolet et al. use 10–100).
    pub fn new(mesh: &Mesh, lambda: f64) -> Result<Self> {
        Self::check_lambda(lambda)?;
        let n = mesh.vertices.len();
        if let Some(t) = mesh.triangles.iter().find(|t| t.iter().any(|&v| v as usize >= n)) {
            return Err(InverseError::invalid("mesh", format!("triangle {t:?} indexes beyond {n} vertices")));
        }
        let mut neighbours = vec![Vec::new(); n];
        // edges in ascending order: each vertex's neighbours come out sorted
        for [a, b] in mesh.edges().into_keys().filter(|[a, b]| a != b) {
            neighbours[a as usize].push(b);
            neighbours[b as usize].push(a);
        }
        for list in &mut neighbours {
            list.sort_unstable();
        }
        Ok(SmoothVertices { lambda, neighbours })
    }

    /// Number of vertices.
    pub fn len(&self) -> usize {
        self.neighbours.len()
    }

    /// Whether the mesh has no vertices.
    pub fn is_empty(&self) -> bool {
        self.neighbours.is_empty()
    }

    /// `(I + λL) x`.
    pub fn apply(&self, x: &[DVec3]) -> Vec<DVec3> {
        self.neighbours
            .iter()
            .enumerate()
            .map(|(i, nb)| {
                let lap = nb.iter().map(|&j| x[i] - x[j as usize]).sum::<DVec3>();
                x[i] + lap * self.lambda
            })
            .collect()
    }

    /// `(I + λL)⁻¹ b` by conjugate gradients (to a relative residual of 1e-12).
    pub fn solve(&self, b: &[DVec3]) -> Result<Vec<DVec3>> {
        if b.len() != self.len() {
            return Err(InverseError::invalid("vertices", format!("{} values for {} vertices", b.len(), self.len())));
        }
        let dot = |a: &[DVec3], c: &[DVec3]| a.iter().zip(c).map(|(p, q)| p.dot(*q)).sum::<f64>();
        let mut x = b.to_vec();
        let ax = self.apply(&x);
        let mut r: Vec<DVec3> = b.iter().zip(&ax).map(|(p, q)| *p - *q).collect();
        let mut p = r.clone();
        let mut rr = dot(&r, &r);
        let stop = 1e-24 * dot(b, b).max(f64::MIN_POSITIVE);
        // the condition number is ≤ 1 + λ·2·max degree, so a few hundred steps suffice
        for _ in 0..(10 * self.len()).max(100) {
            if rr <= stop {
                return Ok(x);
            }
            let ap = self.apply(&p);
            let alpha = rr / dot(&p, &ap);
            for ((xi, pi), (ri, api)) in x.iter_mut().zip(&p).zip(r.iter_mut().zip(&ap)) {
                *xi += *pi * alpha;
                *ri -= *api * alpha;
            }
            let rr_new = dot(&r, &r);
            let beta = rr_new / rr;
            rr = rr_new;
            for (pi, ri) in p.iter_mut().zip(&r) {
                *pi = *ri + *pi * beta;
            }
        }
        if rr.is_finite() && rr <= 1e-16 * dot(b, b) {
            Ok(x)
        } else {
            Err(InverseError::NonFinite { what: "conjugate-gradient solve of I + λL".into(), iteration: 0 })
        }
    }

    /// Parameters `u` of vertices `x`.
    pub fn encode(&self, x: &[DVec3]) -> Vec<f64> {
        flatten(&self.apply(x))
    }

    /// Vertices `x` of parameters `u` (flattened xyz).
    pub fn decode(&self, u: &[f64]) -> Result<Vec<DVec3>> {
        self.solve(&unflatten(u, self.len())?)
    }

    /// `∂loss/∂u` from `∂loss/∂x` (the matrix is symmetric).
    pub fn pullback(&self, grad_x: &[DVec3]) -> Result<Vec<f64>> {
        Ok(flatten(&self.solve(grad_x)?))
    }
}

/// A reference mesh moved by `v = c + t + diag(eˢ)(v₀ − c)`: parameters
/// `[tx, ty, tz, sx, sy, sz]` (translation and log-scales about the centroid `c`).
#[derive(Debug, Clone, PartialEq)]
pub struct AffineVertices {
    /// Reference vertices `v₀`.
    pub reference: Vec<DVec3>,
    /// Their centroid.
    pub pivot: DVec3,
}

impl AffineVertices {
    /// Around `reference`.
    pub fn new(reference: Vec<DVec3>) -> Self {
        AffineVertices { pivot: centroid(&reference), reference }
    }

    fn parts(p: &[f64]) -> (DVec3, DVec3) {
        (DVec3::new(p[0], p[1], p[2]), DVec3::new(p[3].exp(), p[4].exp(), p[5].exp()))
    }

    /// Vertices at parameters `p` (6 values).
    pub fn vertices(&self, p: &[f64]) -> Vec<DVec3> {
        let (t, s) = Self::parts(p);
        self.reference.iter().map(|v| self.pivot + t + s * (*v - self.pivot)).collect()
    }

    /// `∂loss/∂p` from the vertex gradient.
    pub fn pullback(&self, p: &[f64], g: &[DVec3]) -> Vec<f64> {
        let (_, s) = Self::parts(p);
        let mut out = [0.0; 6];
        for (v, gv) in self.reference.iter().zip(g) {
            let q = s * (*v - self.pivot);
            out[0] += gv.x;
            out[1] += gv.y;
            out[2] += gv.z;
            out[3] += gv.x * q.x;
            out[4] += gv.y * q.y;
            out[5] += gv.z * q.z;
        }
        out.to_vec()
    }
}

/// Mean of the points (the origin for none).
pub fn centroid(points: &[DVec3]) -> DVec3 {
    points.iter().sum::<DVec3>() / points.len().max(1) as f64
}

/// `[x0, y0, z0, x1, …]`.
pub fn flatten(v: &[DVec3]) -> Vec<f64> {
    v.iter().flat_map(|p| [p.x, p.y, p.z]).collect()
}

/// Inverse of [`flatten`], checking the length.
pub fn unflatten(u: &[f64], n: usize) -> Result<Vec<DVec3>> {
    if u.len() != 3 * n {
        return Err(InverseError::invalid("vertex values", format!("{} values for {n} vertices", u.len())));
    }
    Ok(u.chunks_exact(3).map(|c| DVec3::new(c[0], c[1], c[2])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_vertices_round_trip_and_pullback() {
        let mesh = Mesh::icosphere(DVec3::new(0.0, 1.0, 0.0), 0.3, 2);
        let s = SmoothVertices::new(&mesh, 20.0).unwrap();
        let u = s.encode(&mesh.vertices);
        let x = s.decode(&u).unwrap();
        for (a, b) in x.iter().zip(&mesh.vertices) {
            assert!((*a - *b).length() < 1e-10, "{a} vs {b}");
        }
        // loss(x(u)) = Σ w·x; its u-gradient by central differences on a few entries
        let w: Vec<DVec3> = (0..mesh.vertices.len()).map(|i| DVec3::new((i as f64 * 0.7).sin(), (i as f64 * 1.3).cos(), 0.5 - (i % 5) as f64 * 0.2)).collect();
        let f = |u: &[f64]| s.decode(u).unwrap().iter().zip(&w).map(|(x, w)| x.dot(*w)).sum::<f64>();
        let g = s.pullback(&w).unwrap();
        for k in [0, 7, 100, 3 * mesh.vertices.len() - 1] {
            let (mut a, mut b) = (u.clone(), u.clone());
            a[k] += 1e-4;
            b[k] -= 1e-4;
            let fd = (f(&a) - f(&b)) / 2e-4;
            assert!((g[k] - fd).abs() < 1e-7 * (1.0 + fd.abs()), "{k}: {} vs {fd}", g[k]);
        }
        // a step on one parameter moves a neighbourhood, not a single vertex: the moved
        // vertex's neighbours move by more than 10 % of its own displacement
        let mut u2 = u.clone();
        u2[0] += 1.0;
        let x2 = s.decode(&u2).unwrap();
        let d0 = (x2[0] - x[0]).length();
        let nb = s.neighbours[0][0] as usize;
        assert!((x2[nb] - x[nb]).length() > 0.1 * d0, "{} vs {d0}", (x2[nb] - x[nb]).length());
        assert!(SmoothVertices::new(&mesh, -1.0).is_err());
        assert!(s.decode(&u[1..]).is_err());
    }

    #[test]
    fn affine_pullback_matches_finite_differences() {
        let a = AffineVertices::new(vec![DVec3::new(0.1, 1.0, 0.2), DVec3::new(-0.3, 1.1, 0.0), DVec3::new(0.0, 0.9, -0.25)]);
        let p = [0.01, -0.02, 0.03, 0.1, -0.2, 0.3];
        let w = [DVec3::new(1.0, -2.0, 0.5), DVec3::new(0.3, 0.1, -1.0), DVec3::new(-0.7, 0.4, 0.9)];
        let f = |p: &[f64]| a.vertices(p).iter().zip(&w).map(|(v, w)| v.dot(*w)).sum::<f64>();
        let g = a.pullback(&p, &w);
        for k in 0..6 {
            let (mut x, mut y) = (p, p);
            x[k] += 1e-6;
            y[k] -= 1e-6;
            let fd = (f(&x) - f(&y)) / 2e-6;
            assert!((g[k] - fd).abs() < 1e-8, "{k}: {} vs {fd}", g[k]);
        }
        assert!(a.vertices(&[0.0; 6]).iter().zip(&a.reference).all(|(x, y)| (*x - *y).length() < 1e-15));
    }
}
