//! Exact path geometry of a candidate chain by the image method, with visibility.
//!
//! The source is mirrored in the plane of every specular reflection (refractions do
//! not deflect the ray and leave the image unchanged). Tracing back from the target
//! towards the successive images gives the vertices: the first surface each back-traced
//! ray meets must be the chain's next mirror plane (for a reflection) or any surface
//! (for a refraction), and the last segment must reach the source unobstructed. So a
//! valid path crosses exactly the surfaces its chain names, no more and no less.

use crate::scene_geometry::chain::REFRACTION_CODE;
use crate::scene_geometry::SceneGeometry;
use crate::tolerance;
use glam::DVec3;
use rftwin_core::dual::{Real, V3};

/// The vertices of a valid chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedChain {
    /// Interaction points, source to target order \[m\].
    pub vertices: Vec<DVec3>,
    /// Global triangle index of each interaction.
    pub triangles: Vec<u32>,
    /// `true` where the interaction is a refraction.
    pub refraction: Vec<bool>,
}

/// Mirror image of `p` in the plane `n · x = d` (`n` a unit normal):
/// `p − 2 (n · p − d) n`, over any [`Real`] — the one image formula of the image method
/// (`f64` here, dual numbers in the path gradients).
pub fn mirror<T: Real>(p: V3<T>, n: V3<T>, d: T) -> V3<T> {
    p.minus(n.scale((n.dot(p) - d) * T::cst(2.0)))
}

/// Images of `source` in the planes of `chain` (`images[0] = source`).
pub fn source_images(geom: &SceneGeometry, chain: &[u32], source: DVec3) -> Vec<DVec3> {
    let mut images = Vec::with_capacity(chain.len() + 1);
    images.push(source);
    for &code in chain {
        let p = images[images.len() - 1];
        if code == REFRACTION_CODE {
            images.push(p);
        } else {
            let (n, off) = geom.planes[code as usize];
            images.push(DVec3::from_array(mirror(V3::cst(p), V3::cst(n), off).0));
        }
    }
    images
}

fn on_plane(geom: &SceneGeometry, tri: usize, plane: u32) -> bool {
    if geom.plane[tri] == plane {
        return true;
    }
    // Coplanar within tolerance although quantised into another plane id.
    let (n, off) = geom.planes[plane as usize];
    let tol = tolerance::ON_PLANE_REL * geom.scale;
    geom.normals[tri].dot(n).abs() > 1.0 - tolerance::PARALLEL_COS && geom.triangles[tri].iter().all(|v| (n.dot(*v) - off).abs() < tol)
}

/// Resolves `chain` between `source` and `target`; `None` if the chain gives no valid path.
pub fn resolve_chain(geom: &SceneGeometry, chain: &[u32], source: DVec3, target: DVec3) -> Option<ResolvedChain> {
    let k = chain.len();
    let images = source_images(geom, chain, source);
    let eps = geom.eps();
    let mut vertices = vec![DVec3::ZERO; k];
    let mut triangles = vec![0u32; k];
    let mut cur = target;
    let mut skip = None;
    for j in (0..k).rev() {
        let aim = images[j + 1];
        let delta = aim - cur;
        let dist = delta.length();
        if dist <= eps {
            return None;
        }
        let d = delta / dist;
        let hit = geom.closest_hit(cur, d, eps, dist, skip)?;
        let tri = hit.triangle as usize;
        let vertex = if chain[j] == REFRACTION_CODE {
            cur + d * hit.t
        } else {
            if !on_plane(geom, tri, chain[j]) {
                return None;
            }
            let (n, off) = geom.planes[chain[j] as usize];
            let denom = n.dot(d);
            if denom.abs() < 1e-15 {
                return None;
            }
            cur + d * ((off - n.dot(cur)) / denom)
        };
        vertices[j] = vertex;
        triangles[j] = hit.triangle;
        cur = vertex;
        skip = Some(hit.triangle);
    }
    if (cur - source).length() <= eps || geom.occluded(cur, source, [skip, None], eps) {
        return None;
    }
    Some(ResolvedChain { vertices, triangles, refraction: chain.iter().map(|&c| c == REFRACTION_CODE).collect() })
}
