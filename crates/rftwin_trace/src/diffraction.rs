//! First-order edge diffraction for solver (A): wedges from mesh edge adjacency and
//! diffracted paths `tx → (reflections) → edge → (reflections) → rx`.
//!
//! A **wedge** is a mesh edge shared by exactly two triangles of one object whose
//! faces meet at a convex angle (exterior angle `nπ`, `1 < n ≤ 2`; flat — within
//! [`FLAT_TOLERANCE`] — and concave edges do not diffract in this model), unless it
//! rests on another object's surface (a contact edge). Outward normals are the
//! triangles' winding normals, as everywhere in the tracer. With `edge_diffraction`,
//! open mesh borders (edges of one triangle) are knife edges (`n = 2`). [`wedges`]
//! caches them with the geometry.
//!
//! Paths are found by enumeration: for every pair of specular legs — a chain the
//! transmitter's rays found and one the receiver's (reversed) — whose lengths sum to at
//! most `max_depth − 1`, and every wedge with a face plane that the rays after both legs
//! hit, the diffraction point follows from Keller's law between the source image and
//! the target image ([`crate::utd::keller_parameter`]); it must lie inside the edge with
//! both images in the wedge's exterior, and the two legs are then resolved and checked
//! for visibility by the image method ([`crate::image_method::resolve_chain`]). The
//! field is [`crate::utd`]'s.

use crate::field::{apply_interaction, real, transport, FieldInteraction};
use crate::geometry::SceneGeometry;
use crate::image_method::{resolve_chain, source_images};
use crate::utd::{apply_diffraction, diffraction_spreading, keller_parameter, WedgeFrame, WedgeMaterial};
use glam::DVec3;
use num_complex::Complex as C;
use rayon::prelude::*;
use rftwin_core::dual::{Real, V3};
use rftwin_core::Antenna;
use std::collections::HashMap;
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
    /// The wedge frame in `f64`.
    pub fn frame(&self) -> WedgeFrame<f64> {
        WedgeFrame { edge: V3::cst(self.edge), n0: V3::cst(self.normals[0]), nn: V3::cst(self.normals[1]), n: self.n }
    }

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
                let t0_dir = n0.cross(edge);
                let to_n = centroid(t1) - origin;
                let t_n = (to_n - edge * to_n.dot(edge)).normalize_or_zero();
                let mut angle = t_n.dot(n0).atan2(t_n.dot(t0_dir));
                if angle < 0.0 {
                    angle += 2.0 * PI;
                }
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
    let delta = 1e-5 * geom.scale.max(1.0);
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

/// Settings of the diffraction search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiffractionOptions {
    /// Longest path (the diffraction counts as one interaction).
    pub max_depth: usize,
    /// Keep diffracted paths in the lit region of the incident field (otherwise only in
    /// its shadow region, `|φ − φ'| > π`).
    pub lit_region: bool,
}

/// A valid diffracted path.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffractedPath {
    /// Interaction points, transmitter to receiver order \[m\].
    pub vertices: Vec<DVec3>,
    /// Global triangle of each interaction (face 0 of the wedge for the diffraction).
    pub triangles: Vec<u32>,
    /// Index of the diffraction among the interactions.
    pub position: usize,
    /// Index of the wedge.
    pub wedge: usize,
}

/// Result of [`find_diffracted_paths`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiffractionSearch {
    /// Distinct valid paths.
    pub paths: Vec<DiffractedPath>,
    /// (chain pair, wedge) combinations whose Keller point lies on the edge with both
    /// ends in the exterior (the geometric pre-test).
    pub candidates: u64,
    /// Candidates rejected by visibility (or the lit-region setting).
    pub rejected: u64,
}

/// Angle of `d` around the wedge (`φ` in `[0, 2π)`, face 0 at 0).
fn wedge_angle(w: &Wedge, d: DVec3) -> f64 {
    w.frame().angle(V3::cst(d))
}

/// For every specular chain of `chains` (and the empty chain): the planes the rays
/// following it hit next (the last code of each one-longer chain). Refraction codes
/// carry no plane and are left out.
fn next_planes(chains: &[Box<[u32]>]) -> HashMap<&[u32], Vec<u32>> {
    let mut next: HashMap<&[u32], Vec<u32>> = HashMap::new();
    for c in chains {
        let Some((&last, prefix)) = c.split_last() else { continue };
        if last != crate::candidates::REFRACTION_CODE && !prefix.contains(&crate::candidates::REFRACTION_CODE) {
            next.entry(prefix).or_default().push(last);
        }
    }
    for planes in next.values_mut() {
        planes.sort_unstable();
        planes.dedup();
    }
    next
}

/// Enumerates diffracted paths between `tx` and `rx`. `tx_chains` are the chains the
/// transmitter's rays found, `rx_chains` those of the receiver's rays (in the
/// receiver's order), each searched one interaction deeper than the specular legs may
/// be (`max_depth` levels). A leg is a specular chain of either set (or empty); a
/// wedge is tried for a pair of legs when the rays following each leg hit the plane of
/// one of its faces — the wedge is seen from both ends (the same sampling argument as
/// the candidate chains themselves).
pub fn find_diffracted_paths(
    geom: &SceneGeometry,
    wedges: &[Wedge],
    tx_chains: &[Box<[u32]>],
    rx_chains: &[Box<[u32]>],
    tx: DVec3,
    rx: DVec3,
    opts: &DiffractionOptions,
) -> DiffractionSearch {
    if opts.max_depth == 0 || wedges.is_empty() {
        return DiffractionSearch::default();
    }
    let budget = opts.max_depth - 1;
    let (next_tx, next_rx) = (next_planes(tx_chains), next_planes(rx_chains));
    let mut by_plane: HashMap<u32, Vec<usize>> = HashMap::new();
    for (wi, w) in wedges.iter().enumerate() {
        let (p0, pn) = (geom.plane[w.faces[0] as usize], geom.plane[w.faces[1] as usize]);
        by_plane.entry(p0).or_default().push(wi);
        if pn != p0 {
            by_plane.entry(pn).or_default().push(wi);
        }
    }
    // (specular leg, planes its rays hit next, image of its end point in its mirrors)
    type Leg = (Vec<u32>, Vec<u32>, DVec3);
    let legs = |next: &HashMap<&[u32], Vec<u32>>, from: DVec3| -> Vec<Leg> {
        let mut v: Vec<Leg> = next
            .iter()
            .filter(|(c, _)| c.len() <= budget)
            .map(|(c, p)| (c.to_vec(), p.clone(), *source_images(geom, c, from).last().unwrap_or(&from)))
            .collect();
        v.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        v
    };
    let (pres, posts) = (legs(&next_tx, tx), legs(&next_rx, rx));
    let pairs: Vec<(&Leg, &Leg)> =
        pres.iter().flat_map(|p| posts.iter().filter(move |q| p.0.len() + q.0.len() <= budget).map(move |q| (p, q))).collect();
    let eps = geom.eps();
    let results: Vec<(u64, u64, Vec<DiffractedPath>)> = pairs
        .par_iter()
        .map(|&((p, p_planes, s_img), (q, q_planes, r_img))| {
            let (s_img, r_img) = (*s_img, *r_img);
            let (mut cands, mut rejected, mut found) = (0u64, 0u64, Vec::new());
            // wedges with a face on a plane seen after p and one seen after q
            let mut tried: Vec<usize> = p_planes.iter().filter_map(|pl| by_plane.get(pl)).flatten().copied().collect();
            tried.sort_unstable();
            tried.dedup();
            tried.retain(|&wi| {
                let w = &wedges[wi];
                w.faces.iter().any(|&f| q_planes.binary_search(&geom.plane[f as usize]).is_ok())
            });
            for wi in tried {
                let w = &wedges[wi];
                let Some(t) = keller_parameter(V3::cst(w.origin), V3::cst(w.edge), V3::<f64>::cst(s_img), V3::cst(r_img)) else { continue };
                if t <= eps || t >= w.length - eps {
                    continue;
                }
                let qp = w.origin + w.edge * t;
                let (to_s, to_r) = ((s_img - qp).normalize_or_zero(), (r_img - qp).normalize_or_zero());
                let (phi_in, phi_out) = (wedge_angle(w, to_s), wedge_angle(w, to_r));
                let limit = w.n * PI - 1e-9;
                if !(phi_in > 1e-9 && phi_in < limit && phi_out > 1e-9 && phi_out < limit) {
                    continue;
                }
                cands += 1;
                if !opts.lit_region && (phi_out - phi_in).abs() <= PI {
                    rejected += 1;
                    continue;
                }
                match resolve(geom, p, q, wi, w, qp, tx, rx, eps) {
                    Some(path) => found.push(path),
                    None => rejected += 1,
                }
            }
            (cands, rejected, found)
        })
        .collect();
    let mut out = DiffractionSearch::default();
    let mut seen = std::collections::HashSet::new();
    for (c, r, found) in results {
        out.candidates += c;
        out.rejected += r;
        for path in found {
            if seen.insert((path.triangles.clone(), path.position, path.wedge)) {
                out.paths.push(path);
            }
        }
    }
    out
}

/// The two specular legs of a candidate, resolved with visibility.
#[allow(clippy::too_many_arguments)]
fn resolve(geom: &SceneGeometry, pre: &[u32], post: &[u32], wi: usize, w: &Wedge, q: DVec3, tx: DVec3, rx: DVec3, eps: f64) -> Option<DiffractedPath> {
    let first = resolve_chain(geom, pre, tx, q)?;
    let second = resolve_chain(geom, post, rx, q)?;
    // The legs must leave the edge into the exterior, not graze along a face.
    if (q - tx).length() <= eps || (q - rx).length() <= eps {
        return None;
    }
    let mut vertices = first.vertices;
    let mut triangles = first.triangles;
    let position = vertices.len();
    vertices.push(q);
    triangles.push(w.faces[0]);
    vertices.extend(second.vertices.iter().rev());
    triangles.extend(second.triangles.iter().rev());
    Some(DiffractedPath { vertices, triangles, position, wedge: wi })
}

/// One interaction of a diffracted path for the field calculation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PathInteraction<T = f64> {
    /// A specular reflection (or refraction) as [`apply_interaction`] takes it.
    Surface(FieldInteraction<T>),
    /// The wedge diffraction.
    Wedge(WedgeFrame<T>, WedgeMaterial<T>),
}

/// Coefficient `a` of a diffracted path through `points` = [tx, v₁, …, v_k, rx]:
/// `(λ/4π) C_Rᵀ (Π M) C_T / √(s' s (s' + s))`, `s'` and `s` the path lengths before and
/// after the diffraction (Sionna RT convention, no propagation phase). Without a
/// [`PathInteraction::Wedge`] it is the specular path's `(λ/4π) (1/L) C_Rᵀ (Π M) C_T`.
pub fn diffracted_path_coefficient<T: Real>(points: &[V3<T>], interactions: &[PathInteraction<T>], tx: &Antenna, rx: &Antenna, lambda: f64) -> C<T> {
    debug_assert_eq!(points.len(), interactions.len() + 2);
    let lens: Vec<T> = points.windows(2).map(|w| w[1].minus(w[0]).length()).collect();
    let sum = |l: &[T]| l.iter().fold(T::zero(), |acc, &x| acc + x);
    let (s_in, s_out, spreading) = match interactions.iter().position(|i| matches!(i, PathInteraction::Wedge(..))) {
        Some(p) => {
            let (s_in, s_out) = (sum(&lens[..=p]), sum(&lens[p + 1..]));
            (s_in, s_out, diffraction_spreading(s_in, s_out, lambda))
        }
        None => (T::zero(), T::zero(), T::cst(lambda / (4.0 * PI)) / sum(&lens)),
    };
    let e = transport(points, tx, rx, |k, e, k_i, k_o| match &interactions[k] {
        PathInteraction::Surface(f) => apply_interaction(e, k_i, k_o, f, lambda),
        PathInteraction::Wedge(frame, material) => apply_diffraction(e, k_i, k_o, frame, material, s_in, s_out, lambda),
    });
    e * real(spreading)
}

/// Finds the wedge a solved diffraction interaction refers to: the wedge with face 0
/// (or face n) `triangle` whose edge holds `vertex` — among the cached wedges, the
/// knife edges consulted (and found) only when no wedge matches.
pub fn wedge_at(geom: &SceneGeometry, triangle: u32, vertex: DVec3) -> Option<Wedge> {
    let tol = 1e-6 * geom.scale.max(1.0);
    let find = |free_edges| wedges(geom, free_edges).wedges.iter().find(|w| w.faces.contains(&triangle) && w.contains(vertex, tol)).copied();
    find(false).or_else(|| find(true))
}
