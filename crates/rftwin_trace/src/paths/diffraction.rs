//! First-order edge diffraction for solver (A): diffracted paths
//! `tx → (reflections) → edge → (reflections) → rx` over the wedges of
//! [`crate::scene_geometry::wedges`].
//!
//! Paths are found by enumeration: for every pair of specular legs — a chain the
//! transmitter's rays found and one the receiver's (reversed) — whose lengths sum to at
//! most `max_depth − 1`, and every wedge with a face plane that the rays after both legs
//! hit, the diffraction point follows from Keller's law between the source image and
//! the target image ([`crate::physics::utd::keller_parameter`]); it must lie inside the edge with
//! both images in the wedge's exterior, and the two legs are then resolved and checked
//! for visibility by the image method ([`crate::paths::image_method::resolve_chain`]). The
//! field is [`crate::physics::utd`]'s.

use crate::physics::field::{apply_interaction, real, transport, FieldInteraction};
use crate::scene_geometry::wedges::Wedge;
use crate::scene_geometry::SceneGeometry;
use crate::paths::image_method::{resolve_chain, source_images};
use crate::physics::utd::{apply_diffraction, diffraction_spreading, keller_parameter, Legs, WedgeFrame, WedgeMaterial};
use glam::DVec3;
use num_complex::Complex as C;
use rayon::prelude::*;
use rftwin_core::dual::{Real, V3};
use rftwin_core::Antenna;
use std::collections::HashMap;
use std::f64::consts::PI;

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

/// The wedge frame of `w` in `f64`.
pub fn wedge_frame(w: &Wedge) -> WedgeFrame<f64> {
    WedgeFrame { edge: V3::cst(w.edge), n0: V3::cst(w.normals[0]), nn: V3::cst(w.normals[1]), n: w.n }
}

/// Angle of `d` around the wedge (`φ` in `[0, 2π)`, face 0 at 0).
fn wedge_angle(w: &Wedge, d: DVec3) -> f64 {
    wedge_frame(w).angle(V3::cst(d))
}

/// For every specular chain of `chains` (and the empty chain): the planes the rays
/// following it hit next (the last code of each one-longer chain). Refraction codes
/// carry no plane and are left out.
fn next_planes(chains: &[Box<[u32]>]) -> HashMap<&[u32], Vec<u32>> {
    let mut next: HashMap<&[u32], Vec<u32>> = HashMap::new();
    for c in chains {
        let Some((&last, prefix)) = c.split_last() else { continue };
        if last != crate::scene_geometry::chain::REFRACTION_CODE && !prefix.contains(&crate::scene_geometry::chain::REFRACTION_CODE) {
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
    let search = PairSearch { geom, wedges, by_plane, opts, ends: [tx, rx], eps: geom.eps() };
    let results: Vec<(u64, u64, Vec<DiffractedPath>)> = pairs.par_iter().map(|&(p, q)| search.pair(p, q)).collect();
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

/// A specular leg: its chain, the planes its rays hit next, and the image of its end
/// point in its mirrors.
type Leg = (Vec<u32>, Vec<u32>, DVec3);

/// What the search over pairs of legs shares.
struct PairSearch<'a> {
    geom: &'a SceneGeometry,
    wedges: &'a [Wedge],
    /// Wedges by the plane id of each of their faces.
    by_plane: HashMap<u32, Vec<usize>>,
    opts: &'a DiffractionOptions,
    ends: [DVec3; 2],
    eps: f64,
}

impl PairSearch<'_> {
    /// The diffracted paths of one pair of legs: `(candidates, rejected, paths)`.
    fn pair(&self, (p, p_planes, s_img): &Leg, (q, q_planes, r_img): &Leg) -> (u64, u64, Vec<DiffractedPath>) {
        let (geom, wedges, eps) = (self.geom, self.wedges, self.eps);
        let (s_img, r_img) = (*s_img, *r_img);
        let (mut cands, mut rejected, mut found) = (0u64, 0u64, Vec::new());
        // wedges with a face on a plane seen after p and one seen after q
        let mut tried: Vec<usize> = p_planes.iter().filter_map(|pl| self.by_plane.get(pl)).flatten().copied().collect();
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
            let limit = w.n * PI - crate::tolerance::WEDGE_ANGLE_MARGIN;
            if !(phi_in > crate::tolerance::WEDGE_ANGLE_MARGIN && phi_in < limit && phi_out > crate::tolerance::WEDGE_ANGLE_MARGIN && phi_out < limit) {
                continue;
            }
            cands += 1;
            if !self.opts.lit_region && (phi_out - phi_in).abs() <= PI {
                rejected += 1;
                continue;
            }
            match resolve(geom, [p, q], (wi, w), qp, self.ends, eps) {
                Some(path) => found.push(path),
                None => rejected += 1,
            }
        }
        (cands, rejected, found)
    }
}

/// The two specular legs of a candidate, resolved with visibility.
/// `legs`: the chains before and after the edge; `wedge`: its index and the wedge; `q`:
/// the Keller point; `ends`: transmitter and receiver.
fn resolve(geom: &SceneGeometry, [pre, post]: [&[u32]; 2], (wi, w): (usize, &Wedge), q: DVec3, [tx, rx]: [DVec3; 2], eps: f64) -> Option<DiffractedPath> {
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
        PathInteraction::Wedge(frame, material) => apply_diffraction(e, &Legs { k_in: k_i, k_out: k_o, s_in, s_out }, frame, material, lambda),
    });
    e * real(spreading)
}

