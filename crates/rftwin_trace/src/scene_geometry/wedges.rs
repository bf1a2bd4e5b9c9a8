//! Diffracting wedges of a scene: mesh edges shared by two triangles of one object that
//! meet at a convex angle, found once per geometry and cached with it.
//!
//! A **wedge** is a mesh edge shared by exactly two triangles of one object whose
//! faces meet at a convex angle (exterior angle `nπ`, `1 < n ≤ 2`; flat — within
//! [`FLAT_TOLERANCE`] — and concave edges do not diffract in this model), unless it
//! rests on another object's surface (a contact edge). Outward normals are the
//! triangles' winding normals, as everywhere in the tracer. With `edge_diffraction`,
//! open mesh borders (edges of one triangle) are knife edges (`n = 2`). [`wedges`]
//! caches them with the geometry.

use super::SceneGeometry;
use glam::DVec3;
use rayon::prelude::*;
use std::collections::HashMap;
use rftwin_core::dual::{atan2, Real, V3};
use std::f64::consts::PI;

/// A diffracting edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wedge {
    /// First end point of the edge \[m\] (a mesh vertex).
    pub origin: DVec3,
    /// Second end point \[m\] (a mesh vertex).
    pub end: DVec3,
    /// Unit edge direction `ê` (from `origin`), with `n̂₀ × ê` pointing into face 0.
    pub edge: DVec3,
    /// Edge length \[m\].
    pub length: f64,
    /// Global triangle of face 0 and of face n (the same triangle for a knife edge).
    pub faces: [u32; 2],
    /// Outward normals of face 0 and face n.
    pub normals: [DVec3; 2],
    /// Exterior angle over π.
    pub n: f64,
}

impl Wedge {
    /// Whether `p` lies on this wedge's edge segment (within `tol` \[m\]).
    pub fn contains(&self, p: DVec3, tol: f64) -> bool {
        let d = p - self.origin;
        let t = d.dot(self.edge);
        t >= -tol && t <= self.length + tol && (d - self.edge * t).length() <= tol
    }
}

/// Exterior angles within this of π \[rad\] count as flat (no wedge).
pub const FLAT_TOLERANCE: f64 = 1e-3;

/// The wedges of a scene and the edges left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Wedges {
    /// Diffracting wedges.
    pub wedges: Vec<Wedge>,
    /// Edges shared by more than two triangles of one object (not diffracted).
    pub non_manifold: usize,
    /// Convex edges resting on another object's surface (within `1e-5 ×` the scene
    /// size; a box standing on the ground): contact edges, not diffracted.
    pub contact: usize,
}

type Key = (u32, [u64; 3], [u64; 3]);

fn bits(v: DVec3) -> [u64; 3] {
    // +0.0 and −0.0 are the same point
    [v.x + 0.0, v.y + 0.0, v.z + 0.0].map(f64::to_bits)
}

/// Finds the wedges of `geom` (and, with `free_edges`, the knife edges of open borders).
pub fn find_wedges(geom: &SceneGeometry, free_edges: bool) -> Wedges {
    let mut edges: HashMap<Key, Vec<u32>> = HashMap::new();
    for (t, tri) in geom.triangles.iter().enumerate() {
        if geom.normals[t] == DVec3::ZERO {
            continue;
        }
        for k in 0..3 {
            let (a, b) = (bits(tri[k]), bits(tri[(k + 1) % 3]));
            let key = if a <= b { (geom.object[t], a, b) } else { (geom.object[t], b, a) };
            edges.entry(key).or_default().push(t as u32);
        }
    }
    let mut out = Wedges::default();
    let mut convex: Vec<Wedge> = Vec::new();
    let mut keys: Vec<&Key> = edges.keys().collect();
    keys.sort_unstable();
    for key in keys {
        let tris = &edges[key];
        let a = DVec3::from_array(key.1.map(f64::from_bits));
        let b = DVec3::from_array(key.2.map(f64::from_bits));
        let length = (b - a).length();
        if length <= 0.0 {
            continue;
        }
        let centroid = |t: u32| geom.triangles[t as usize].iter().sum::<DVec3>() / 3.0;
        match *tris.as_slice() {
            [t] if free_edges => {
                let n0 = geom.normals[t as usize];
                let (mut origin, mut end, mut edge) = (a, b, (b - a) / length);
                if n0.cross(edge).dot(centroid(t) - origin) < 0.0 {
                    (origin, end, edge) = (b, a, -edge);
                }
                out.wedges.push(Wedge { origin, end, edge, length, faces: [t, t], normals: [n0, -n0], n: 2.0 });
            }
            [t0, t1] => {
                let (t0, t1) = (t0.min(t1), t0.max(t1));
                let (n0, nn) = (geom.normals[t0 as usize], geom.normals[t1 as usize]);
                let (mut origin, mut end, mut edge) = (a, b, (b - a) / length);
                if n0.cross(edge).dot(centroid(t0) - origin) < 0.0 {
                    (origin, end, edge) = (b, a, -edge);
                }
                let angle: f64 = exterior_angle(V3::cst(edge), V3::cst(n0), V3::cst(centroid(t1) - origin));
                // flat and concave edges do not diffract; "flat" within 1e-3 rad, so that
                // the diagonal of a slightly warped quad (f32 meshes, a moved vertex) is
                // not a wedge
                if angle > PI + FLAT_TOLERANCE {
                    convex.push(Wedge { origin, end, edge, length, faces: [t0, t1], normals: [n0, nn], n: (angle / PI).min(2.0) });
                }
            }
            [_] => {}
            _ => out.non_manifold += 1,
        }
    }
    // contact edges out (one short ray each, in parallel)
    let resting: Vec<bool> =
        convex.par_iter().map(|w| rests_on_other_surface(geom, w.faces, w.origin, w.end)).collect();
    out.contact = resting.iter().filter(|&&r| r).count();
    out.wedges.extend(convex.into_iter().zip(resting).filter(|(_, r)| !r).map(|(w, _)| w));
    out
}

/// The wedges of `geom` ([`find_wedges`]), computed once per geometry and kept until its
/// triangles move: repeated solves on one scene (coverage maps, optimisation loops that
/// move only the radios) pay for the edge search once.
pub fn wedges(geom: &SceneGeometry, free_edges: bool) -> &Wedges {
    geom.wedge_cache[free_edges as usize].get_or_init(|| find_wedges(geom, free_edges))
}

/// Whether the edge `a`–`b` of faces `faces` rests on another object's surface: a
/// triangle of another object lies within `1e-5 ×` the scene size behind one of the
/// faces, next to the edge's midpoint (a box standing on the ground).
fn rests_on_other_surface(geom: &SceneGeometry, faces: [u32; 2], a: DVec3, b: DVec3) -> bool {
    let delta = crate::tolerance::CONTACT_REL * geom.scale.max(1.0);
    let mid = (a + b) / 2.0;
    let edge = (b - a).normalize_or_zero();
    faces.iter().any(|&f| {
        let n = geom.normals[f as usize];
        let centroid = geom.triangles[f as usize].iter().sum::<DVec3>() / 3.0;
        let mut into = n.cross(edge);
        if into.dot(centroid - mid) < 0.0 {
            into = -into;
        }
        // a point just inside the face, lifted off it to the outside, looking back in
        let origin = mid + into * delta + n * delta;
        geom.closest_hit_skipping(origin, -n, 0.0, 3.0 * delta, &[faces[0], faces[1]])
            .is_some_and(|h| geom.object[h.triangle as usize] != geom.object[f as usize])
    })
}

/// Finds the wedge a solved diffraction interaction refers to: the wedge with face 0
/// (or face n) `triangle` whose edge holds `vertex` — among the cached wedges, the
/// knife edges consulted (and found) only when no wedge matches.
pub fn wedge_at(geom: &SceneGeometry, triangle: u32, vertex: DVec3) -> Option<Wedge> {
    let tol = crate::tolerance::ON_EDGE_REL * geom.scale.max(1.0);
    let find = |free_edges| wedges(geom, free_edges).wedges.iter().find(|w| w.faces.contains(&triangle) && w.contains(vertex, tol)).copied();
    find(false).or_else(|| find(true))
}

/// Exterior angle of a wedge \[rad\] in `[0, 2π)`: from face 0's tangent direction
/// `n̂₀ × ê` (into face 0) to the direction into face n, turning towards `n̂₀`.
/// `to_face_n` is any vector from the edge towards face n (e.g. to its centroid); its
/// component along the edge is removed. Zero when it lies along the edge. Generic over
/// [`Real`]: the wedge search (`f64`) and the diffracted-path gradients (dual numbers)
/// use this one definition.
pub fn exterior_angle<T: Real>(edge: V3<T>, n0: V3<T>, to_face_n: V3<T>) -> T {
    let across = to_face_n.minus(edge.scale(to_face_n.dot(edge)));
    let inv = T::one() / across.length();
    if !(inv.value().is_finite() && inv.value() > 0.0) {
        return T::zero();
    }
    let t_n = across.scale(inv);
    let angle = atan2(t_n.dot(n0), t_n.dot(n0.cross(edge)));
    if angle.value() < 0.0 {
        angle + T::cst(2.0 * PI)
    } else {
        angle
    }
}
