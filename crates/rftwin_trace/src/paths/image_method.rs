//! Exact path geometry of a candidate chain by the image method, with visibility.
//!
//! The source is mirrored in the plane of every specular reflection (refractions do
//! not deflect the ray and leave the image unchanged). Tracing back from the target
//! towards the successive images gives the vertices: the first surface each back-traced
//! ray meets must be the chain's next mirror plane (for a reflection) or any surface
//! (for a refraction), and the last segment must reach the source unobstructed. So a
//! valid path crosses exactly the surfaces its chain names, no more and no less.

use crate::scene_geometry::chain::REFRACTION_CODE;
use crate::scene_geometry::{SceneGeometry, SceneHit};
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

/// The polyline `[start, vertices…, end]` of a path or leg.
pub(crate) fn end_to_end(start: DVec3, vertices: &[DVec3], end: DVec3) -> Vec<DVec3> {
    let mut points = Vec::with_capacity(vertices.len() + 2);
    points.push(start);
    points.extend_from_slice(vertices);
    points.push(end);
    points
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

/// Why a chain gives no valid path: the first constraint that fails, walking back from
/// the target as [`trace_chain`] does. Coverage reads it to find the constraint that
/// switches at a crossing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChainFailure {
    /// Interaction `step` coincides with the point traced from, its segment is parallel
    /// to its plane, or the first vertex coincides with the source.
    Degenerate {
        /// The interaction (index into the chain).
        step: usize,
    },
    /// The ray traced back from `from` along `dir` does not reach interaction `step`'s
    /// surface: it meets `hit` (another surface, or one past the plane) or nothing.
    MissedSurface {
        /// The interaction (index into the chain).
        step: usize,
        /// Start of the back-traced ray: the target or vertex `step + 1`.
        from: DVec3,
        /// Unit direction towards the step's image.
        dir: DVec3,
        /// The first surface met before the image, if any.
        hit: Option<SceneHit>,
        /// Distance along `dir` to the step's named plane (`None` for a refraction
        /// whose plane the caller did not name).
        plane_t: Option<f64>,
        /// Triangle of interaction `step + 1` (`None` for the last interaction).
        previous: Option<u32>,
    },
    /// The segment from the first vertex `from` (or the target, for an empty chain) to
    /// the source is blocked; `previous` is that vertex's triangle.
    SourceHidden {
        /// The first vertex, or the target.
        from: DVec3,
        /// Its triangle, `None` for an empty chain.
        previous: Option<u32>,
    },
}

/// Resolves `chain` between `source` and `target`; `None` if the chain gives no valid path.
pub fn resolve_chain(geom: &SceneGeometry, chain: &[u32], source: DVec3, target: DVec3) -> Option<ResolvedChain> {
    trace_chain(geom, chain, None, source, target).ok()
}

/// Resolves `chain` between `source` and `target`, or says which constraint fails first.
///
/// With `faces`, interaction `j` must meet a triangle of plane `faces[j]` exactly (a
/// refraction through a named wall, not any surface; a reflection on its own plane id,
/// not a coplanar face of another object): the rule of a path family that coverage
/// follows along a scan line. Without, a reflection accepts any face coplanar with its
/// mirror plane and a refraction any surface — the path solver's rule.
pub fn trace_chain(geom: &SceneGeometry, chain: &[u32], faces: Option<&[u32]>, source: DVec3, target: DVec3) -> Result<ResolvedChain, ChainFailure> {
    let k = chain.len();
    let images = source_images(geom, chain, source);
    let eps = geom.eps();
    let mut vertices = vec![DVec3::ZERO; k];
    let mut triangles = vec![0u32; k];
    let mut cur = target;
    let mut previous = None;
    for j in (0..k).rev() {
        let delta = images[j + 1] - cur;
        let dist = delta.length();
        if dist <= eps {
            return Err(ChainFailure::Degenerate { step: j });
        }
        let dir = delta / dist;
        let named_plane = if chain[j] == REFRACTION_CODE { faces.map(|f| f[j]) } else { Some(chain[j]) };
        let plane_t = named_plane.map(|plane| {
            let (n, off) = geom.planes[plane as usize];
            (off - n.dot(cur)) / n.dot(dir)
        });
        let hit = geom.closest_hit(cur, dir, eps, dist, previous);
        let on_surface = |tri: usize| match faces {
            Some(f) => geom.plane[tri] == f[j],
            None => chain[j] == REFRACTION_CODE || on_plane(geom, tri, chain[j]),
        };
        let Some(h) = hit.filter(|h| on_surface(h.triangle as usize)) else {
            return Err(ChainFailure::MissedSurface { step: j, from: cur, dir, hit, plane_t, previous });
        };
        let vertex = if chain[j] == REFRACTION_CODE {
            cur + dir * h.t
        } else {
            let (n, _) = geom.planes[chain[j] as usize];
            if n.dot(dir).abs() < 1e-15 {
                return Err(ChainFailure::Degenerate { step: j });
            }
            cur + dir * plane_t.unwrap_or(f64::INFINITY)
        };
        vertices[j] = vertex;
        triangles[j] = h.triangle;
        cur = vertex;
        previous = Some(h.triangle);
    }
    if (cur - source).length() <= eps {
        return Err(ChainFailure::Degenerate { step: 0 });
    }
    if geom.occluded(cur, source, [previous, None], eps) {
        return Err(ChainFailure::SourceHidden { from: cur, previous });
    }
    Ok(ResolvedChain { vertices, triangles, refraction: chain.iter().map(|&c| c == REFRACTION_CODE).collect() })
}
