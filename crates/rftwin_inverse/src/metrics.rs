//! Reconstruction metrics: Chamfer and Hausdorff distances between meshes (surface
//! samples to the other surface, exact point–triangle distances), pose error and
//! relative material error.

use crate::error::{InverseError, Result};
use glam::{DMat3, DVec3};
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use rftwin_core::Mesh;
use serde::{Deserialize, Serialize};

/// `n` points spread over the surface of `mesh` with density proportional to area
/// (stratified over the cumulative area, seeded).
pub fn sample_surface(mesh: &Mesh, n: usize, seed: u64) -> Vec<DVec3> {
    let areas: Vec<f64> = mesh.triangles.iter().map(|t| {
        let [a, b, c] = t.map(|i| mesh.vertices[i as usize]);
        0.5 * (b - a).cross(c - a).length()
    }).collect();
    let total: f64 = areas.iter().sum();
    if n == 0 || total <= 0.0 {
        return Vec::new();
    }
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n);
    let (mut k, mut acc) = (0usize, areas[0]);
    for s in 0..n {
        let u = (s as f64 + rng.gen::<f64>()) / n as f64 * total;
        while acc < u && k + 1 < areas.len() {
            k += 1;
            acc += areas[k];
        }
        let [a, b, c] = mesh.triangles[k].map(|i| mesh.vertices[i as usize]);
        let (mut r1, mut r2) = (rng.gen::<f64>(), rng.gen::<f64>());
        if r1 + r2 > 1.0 {
            (r1, r2) = (1.0 - r1, 1.0 - r2);
        }
        out.push(a + (b - a) * r1 + (c - a) * r2);
    }
    out
}

/// Distance from `p` to triangle `(a, b, c)` (closest-point regions of Ericson,
/// Real-Time Collision Detection 5.1.5).
pub fn point_triangle_distance(p: DVec3, a: DVec3, b: DVec3, c: DVec3) -> f64 {
    let (ab, ac, ap) = (b - a, c - a, p - a);
    let (d1, d2) = (ab.dot(ap), ac.dot(ap));
    if d1 <= 0.0 && d2 <= 0.0 {
        return ap.length();
    }
    let bp = p - b;
    let (d3, d4) = (ab.dot(bp), ac.dot(bp));
    if d3 >= 0.0 && d4 <= d3 {
        return bp.length();
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        return (p - (a + ab * (d1 / (d1 - d3)))).length();
    }
    let cp = p - c;
    let (d5, d6) = (ab.dot(cp), ac.dot(cp));
    if d6 >= 0.0 && d5 <= d6 {
        return cp.length();
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        return (p - (a + ac * (d2 / (d2 - d6)))).length();
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
        return (p - (b + (c - b) * ((d4 - d3) / ((d4 - d3) + (d5 - d6))))).length();
    }
    let denom = 1.0 / (va + vb + vc);
    (p - (a + ab * (vb * denom) + ac * (vc * denom))).length()
}

fn distances_to(points: &[DVec3], mesh: &Mesh) -> Vec<f64> {
    let tris: Vec<[DVec3; 3]> = mesh.triangles.iter().map(|t| t.map(|i| mesh.vertices[i as usize])).collect();
    points.par_iter().map(|&p| tris.iter().map(|t| point_triangle_distance(p, t[0], t[1], t[2])).fold(f64::INFINITY, f64::min)).collect()
}

/// Surface distances between two meshes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeshDistance {
    /// Symmetric Chamfer distance: the mean of the two mean sample-to-surface distances \[m\].
    pub chamfer: f64,
    /// Hausdorff distance: the largest sample-to-surface distance either way \[m\].
    pub hausdorff: f64,
}

/// Chamfer and Hausdorff distances between `a` and `b` from `samples` area-uniform
/// points on each surface (fixed seed, so repeated calls agree).
pub fn mesh_distance(a: &Mesh, b: &Mesh, samples: usize) -> Result<MeshDistance> {
    a.validate("first mesh")?;
    b.validate("second mesh")?;
    if samples == 0 {
        return Err(InverseError::invalid("samples", "need at least one surface sample"));
    }
    let (sa, sb) = (sample_surface(a, samples, 11), sample_surface(b, samples, 12));
    if sa.is_empty() || sb.is_empty() {
        // a surface of zero area has no samples: the distance would be one-sided
        return Err(InverseError::invalid("mesh", format!("the {} mesh has zero surface area; the Chamfer distance needs two surfaces", if sa.is_empty() { "first" } else { "second" })));
    }
    let da = distances_to(&sa, b);
    let db = distances_to(&sb, a);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
    Ok(MeshDistance { chamfer: 0.5 * (mean(&da) + mean(&db)), hausdorff: max(&da).max(max(&db)) })
}

/// Error of an estimated pose.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoseError {
    /// ‖t_est − t_true‖ \[m\].
    pub translation_m: f64,
    /// Angle of `R_est R_trueᵀ` \[deg\].
    pub rotation_deg: f64,
}

/// Translation and rotation-angle error of an estimated pose.
pub fn pose_error(t_est: DVec3, t_true: DVec3, r_est: DMat3, r_true: DMat3) -> PoseError {
    let d = r_est * r_true.transpose();
    let c = ((d.x_axis.x + d.y_axis.y + d.z_axis.z - 1.0) / 2.0).clamp(-1.0, 1.0);
    PoseError { translation_m: (t_est - t_true).length(), rotation_deg: c.acos().to_degrees() }
}

/// `|est − truth| / |truth|`; an error for a zero or non-finite truth (no relative
/// error exists there), or a non-finite estimate.
pub fn relative_error(est: f64, truth: f64) -> Result<f64> {
    if truth == 0.0 || !truth.is_finite() || !est.is_finite() {
        return Err(InverseError::invalid("relative error", format!("estimate {est} against truth {truth}: needs a finite, non-zero truth and a finite estimate")));
    }
    Ok((est - truth).abs() / truth.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_of_concentric_spheres_and_shifted_cubes() {
        // Concentric spheres r = 1 and 1.1: every point is ≈ 0.1 from the other surface
        // (up to the polygonal approximation).
        let a = Mesh::icosphere(DVec3::ZERO, 1.0, 4);
        let b = Mesh::icosphere(DVec3::ZERO, 1.1, 4);
        let d = mesh_distance(&a, &b, 2000).unwrap();
        assert!((d.chamfer - 0.1).abs() < 3e-3 && (d.hausdorff - 0.1).abs() < 6e-3, "{d:?}");
        // A unit cube and the same cube shifted by 0.2 along x: Hausdorff = 0.2 (the
        // face x = 0 and its copy). Chamfer, per cube (the two are symmetric): the outer
        // x face is 0.2 away; the inner x face lies inside the other cube, at
        // E[min(D, 0.2)] = ∫₀^0.2 (1 − 2t)² dt = (1 − 0.6³)/6 from its border (D = distance
        // to the square's border); each side face has 80 % of its area on the other
        // cube's side (0) and 20 % at mean 0.1 → mean (0.2 + 0.784/6 + 4·0.02)/6.
        let c = Mesh::cuboid(DVec3::ZERO, DVec3::ONE);
        let s = Mesh::cuboid(DVec3::new(0.2, 0.0, 0.0), DVec3::new(1.2, 1.0, 1.0));
        let d = mesh_distance(&c, &s, 20_000).unwrap();
        assert!((d.hausdorff - 0.2).abs() < 1e-9, "{d:?}");
        assert!((d.chamfer - (0.2 + 0.784 / 6.0 + 0.08) / 6.0).abs() < 1e-3, "{d:?}");
        assert!(mesh_distance(&c, &c, 0).is_err());
    }

    #[test]
    fn point_triangle_regions() {
        let (a, b, c) = (DVec3::ZERO, DVec3::X, DVec3::Y);
        assert!((point_triangle_distance(DVec3::new(0.2, 0.2, 0.5), a, b, c) - 0.5).abs() < 1e-12);
        assert!((point_triangle_distance(DVec3::new(-1.0, -1.0, 0.0), a, b, c) - 2f64.sqrt()).abs() < 1e-12);
        assert!((point_triangle_distance(DVec3::new(1.0, 1.0, 0.0), a, b, c) - 0.5f64.sqrt()).abs() < 1e-12);
        assert!((point_triangle_distance(DVec3::new(0.5, -2.0, 0.0), a, b, c) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn pose_errors() {
        let r = DMat3::from_rotation_z(0.3) * DMat3::from_rotation_x(-0.2);
        let e = pose_error(DVec3::new(0.003, 0.004, 0.0), DVec3::ZERO, DMat3::from_rotation_y(0.01) * r, r);
        assert!((e.translation_m - 0.005).abs() < 1e-15);
        assert!((e.rotation_deg - 0.01f64.to_degrees()).abs() < 1e-9);
        assert!((relative_error(4.1, 4.0).unwrap() - 0.025).abs() < 1e-12);
        assert!(relative_error(1.0, 0.0).is_err() && relative_error(f64::NAN, 1.0).is_err());
    }
}
