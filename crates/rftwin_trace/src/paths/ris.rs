//! Reconfigurable intelligent surfaces in solver (A): the RIS as a path vertex.
//!
//! A RIS path is `TX → (ordinary chain) → RIS → (ordinary chain) → RX`. The incoming
//! chains are the transmitter's candidate chains (and line of sight), the outgoing ones
//! the receiver's (shot from the receiver, by reciprocity), with at most
//! `max_depth − 1` interactions between them. Each chain is resolved by the image method
//! to every element (model a) or to the surface centre (model b) with full visibility;
//! a leg must reach the element from the served side (`n·(p − r_m) > 0`) and may not
//! cross another RIS. Legs are unfolded exactly: the length of a leg is the distance
//! from the element to the last image of its end point, so the per-element delays carry
//! the near-field curvature exactly.
//!
//! The RIS vertex reradiates as a point scatterer of √RCS gain `g` (model a) or as the
//! anomalous-mirror aperture of [`RisSurface::phase_gradient_leg`] (model b). Spreading
//! restarts at the RIS: the coefficient of element `m` through legs of lengths `L₁, L₂`
//! is `b_m = (λ/4π)(1/L₁)·g/(√(4π) L₂)·P`, i.e. `λ/√(4π)` times the RIS-ISAC channel
//! term `g h(a, r_m) h(r_m, b)` of paper 000 (whose hop is `e^{−jkd}/(√(4π)d)`), with
//! `P` the polarimetric transport: the field keeps its orientation relative to the
//! plane spanned by the incoming and outgoing directions (a mirror with `R_TE = R_TM = 1`
//! for that plane). One RIS interaction per path; paths that would meet a RIS twice
//! are not traced (`docs/capabilities.md`).
//!
//! The RIS plane occludes: an ordinary path with a segment crossing a RIS rectangle is
//! dropped and counted in `SolveStats::ris_blocked_paths`.

use crate::error::{Result, TraceError};
use crate::paths::image_method::{resolve_chain, source_images};
use crate::physics::field::{apply_interaction, transport, CVec3, FieldInteraction};
use crate::scene_geometry::SceneGeometry;
use glam::DVec3;
use rayon::prelude::*;
use rftwin_core::constants::SPEED_OF_LIGHT;
use rftwin_core::dual::{Dual, Real, V3};
use rftwin_core::paths::{RisPath, RisTerm, SecondRis, SolveStats};
use rftwin_core::ris::{RisModel, RisSurface};
use rftwin_core::{Complex, Paths, Radio};
use std::collections::{HashMap, HashSet};
use std::f64::consts::PI;

/// A RIS rectangle for occlusion tests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RisRectangle {
    centre: DVec3,
    axes: [DVec3; 2],
    normal: DVec3,
    half: [f64; 2],
}

impl RisRectangle {
    pub(crate) fn new(ris: &RisSurface) -> Self {
        let (uy, uz, n) = ris.frame();
        let [ly, lz] = ris.size();
        RisRectangle { centre: ris.centre, axes: [uy, uz], normal: n, half: [ly / 2.0, lz / 2.0] }
    }

    /// Whether segment `a → b` meets the rectangle (end points included, within `eps`).
    fn crosses(&self, a: DVec3, b: DVec3, eps: f64) -> bool {
        let (da, db) = (self.normal.dot(a - self.centre), self.normal.dot(b - self.centre));
        if (da > eps && db > eps) || (da < -eps && db < -eps) {
            return false;
        }
        let p = if (da - db).abs() < 1e-300 { a } else { a + (b - a) * (da / (da - db)).clamp(0.0, 1.0) };
        let q = p - self.centre;
        q.dot(self.axes[0]).abs() <= self.half[0] + eps && q.dot(self.axes[1]).abs() <= self.half[1] + eps
    }
}

/// Whether the polyline `points` crosses any rectangle but `skip`.
pub(crate) fn blocked(rects: &[RisRectangle], points: &[DVec3], skip: Option<usize>, eps: f64) -> bool {
    points.windows(2).any(|w| rects.iter().enumerate().any(|(i, r)| Some(i) != skip && r.crosses(w[0], w[1], eps)))
}

/// Drops the ordinary paths of `paths` that cross a RIS; returns how many.
pub(crate) fn drop_blocked_paths(paths: &mut Paths, rects: &[RisRectangle], tx: DVec3, rx: DVec3, eps: f64) -> u64 {
    let mut dropped = 0;
    let mut kept = Paths { stats: paths.stats, ..Paths::new(paths.frequency_hz, paths.max_depth, paths.object_names.clone()) };
    for i in 0..paths.num_paths() {
        let p = paths.path(i);
        let mut points = Vec::with_capacity(p.vertices.len() + 2);
        points.push(tx);
        points.extend_from_slice(p.vertices);
        points.push(rx);
        if blocked(rects, &points, None, eps) {
            dropped += 1;
        } else {
            kept.push(p);
        }
    }
    if dropped > 0 {
        kept.ris_paths = std::mem::take(&mut paths.ris_paths);
        kept.ris_gamma = std::mem::take(&mut paths.ris_gamma);
        *paths = kept;
    }
    dropped
}

/// What the RIS path search needs from a solve.
pub(crate) struct RisSearch<'a> {
    pub backend: crate::backend::Backend,
    pub geom: &'a SceneGeometry,
    pub materials: &'a [(Complex, f64)],
    pub tx: &'a Radio,
    pub rx: &'a Radio,
    pub max_depth: usize,
    pub lambda: f64,
}

/// One resolved leg between an end point (transmitter or receiver) and a RIS point.
struct Leg {
    /// Interaction points, from the end point toward the RIS.
    vertices: Vec<DVec3>,
    triangles: Vec<u32>,
    refraction: Vec<bool>,
    /// Unfolded length \[m\].
    length: f64,
    /// The last image of the end point (the apparent source seen from the RIS).
    image: DVec3,
}

/// The element points of one RIS and its legs from both radios, `[point][chain]`.
struct SurfaceLegs {
    normal: DVec3,
    points: Vec<DVec3>,
    legs_in: Vec<Vec<Option<Leg>>>,
    legs_out: Vec<Vec<Option<Leg>>>,
}

/// An element term whose two legs both exist, waiting for its coefficient.
struct Pending<'l> {
    /// `(incoming chain, outgoing chain)`: the family.
    family: (usize, usize),
    element: usize,
    incoming: &'l Leg,
    outgoing: &'l Leg,
}

impl RisSearch<'_> {
    /// The chains of one leg side: line of sight and every candidate short enough.
    fn leg_chains<'c>(&self, chains: &'c [Box<[u32]>]) -> Vec<&'c [u32]> {
        let mut seen = HashSet::new();
        std::iter::once(&[][..]).chain(chains.iter().map(|c| &c[..])).filter(|c| c.len() < self.max_depth && seen.insert(*c)).collect()
    }

    /// Resolves `chain` from `end` to the RIS point `p` (served side normal `n`), or
    /// `None` when it is hidden, arrives from behind or crosses another RIS; `image` is
    /// the chain's last image of `end` (the same for every element).
    fn leg(&self, chain: &[u32], [end, image]: [DVec3; 2], [p, n]: [DVec3; 2], rects: &[RisRectangle], own: usize) -> Option<Leg> {
        let eps = self.geom.eps();
        // Visibility is checked toward a point just off the surface (a RIS on a wall
        // would otherwise be hidden by the wall it is mounted on).
        let r = resolve_chain(self.geom, chain, end, p + n * (8.0 * eps))?;
        let previous = r.vertices.last().copied().unwrap_or(end);
        if n.dot(previous - p) <= eps {
            return None;
        }
        let mut points = Vec::with_capacity(r.vertices.len() + 2);
        points.push(end);
        points.extend_from_slice(&r.vertices);
        points.push(p);
        let last = points.len() - 2;
        if blocked(rects, &points[..=last], None, eps) || blocked(rects, &points[last..], Some(own), eps) {
            return None;
        }
        Some(Leg { length: p.distance(image), vertices: r.vertices, triangles: r.triangles, refraction: r.refraction, image })
    }

    fn interaction(&self, triangle: u32, refraction: bool) -> FieldInteraction {
        let (eta, thickness) = self.materials[self.geom.material[triangle as usize] as usize];
        FieldInteraction { transmission: refraction, normal: V3::cst(self.geom.normals[triangle as usize]), eta, thickness }
    }

    /// The polarimetric transport `P` of the path through `points` (radios excluded),
    /// with `inters[k]` the ordinary interaction at `points[k]` or `None` for a RIS.
    fn transport_through(&self, points: &[DVec3], inters: &[Option<FieldInteraction>]) -> Complex {
        let mut all: Vec<V3<f64>> = Vec::with_capacity(points.len() + 2);
        all.push(V3::cst(self.tx.position));
        all.extend(points.iter().map(|v| V3::cst(*v)));
        all.push(V3::cst(self.rx.position));
        transport(&all, &self.tx.antenna, &self.rx.antenna, |k, e, k_i, k_o| match &inters[k] {
            Some(inter) => apply_interaction(e, k_i, k_o, inter, self.lambda),
            None => reradiate(e, k_i, k_o),
        })
    }

    /// The points and interactions of `incoming` (from the transmitter), then `p` as a
    /// RIS vertex, appended to `points` / `inters`.
    fn push_leg_forward(&self, leg: &Leg, p: DVec3, points: &mut Vec<DVec3>, inters: &mut Vec<Option<FieldInteraction>>) {
        points.extend_from_slice(&leg.vertices);
        inters.extend(leg.triangles.iter().zip(&leg.refraction).map(|(&t, &r)| Some(self.interaction(t, r))));
        points.push(p);
        inters.push(None);
    }

    /// `b` of the path `incoming → p → outgoing` without the reradiation gain and
    /// spreading: the polarimetric transport `P` only.
    fn polarisation(&self, incoming: &Leg, p: DVec3, outgoing: &Leg) -> Complex {
        let (mut points, mut inters) = (Vec::new(), Vec::new());
        self.push_leg_forward(incoming, p, &mut points, &mut inters);
        points.extend(outgoing.vertices.iter().rev());
        inters.extend(outgoing.triangles.iter().zip(&outgoing.refraction).rev().map(|(&t, &r)| Some(self.interaction(t, r))));
        self.transport_through(&points, &inters)
    }

    /// The element points and both sides' legs of RIS `s`.
    fn surface_legs(&self, s: usize, ris: &RisSurface, ins: &[&[u32]], outs: &[&[u32]], rects: &[RisRectangle]) -> SurfaceLegs {
        let (_, _, n) = ris.frame();
        let points: Vec<DVec3> = match ris.model {
            RisModel::ElementSum => ris.positions(),
            RisModel::PhaseGradient { .. } => vec![ris.centre],
        };
        // legs[point][chain]
        let legs = |chains: &[&[u32]], end: DVec3| -> Vec<Vec<Option<Leg>>> {
            let images: Vec<DVec3> = chains.iter().map(|c| source_images(self.geom, c, end).last().copied().unwrap_or(end)).collect();
            points.par_iter().map(|&p| chains.iter().zip(&images).map(|(c, &image)| self.leg(c, [end, image], [p, n], rects, s)).collect()).collect()
        };
        let (legs_in, legs_out) = (legs(ins, self.tx.position), legs(outs, self.rx.position));
        SurfaceLegs { normal: n, points, legs_in, legs_out }
    }

    /// The objects, object-local triangles and refraction flags of a leg, in its own
    /// order (from its end point toward the RIS).
    fn leg_objects(&self, leg: &Leg) -> (Vec<u32>, Vec<u32>, Vec<bool>) {
        let objects = leg.triangles.iter().map(|&t| self.geom.object[t as usize]).collect();
        let primitives = leg.triangles.iter().map(|&t| self.geom.local_index[t as usize]).collect();
        (objects, primitives, leg.refraction.clone())
    }

    /// The outgoing side of a family from chain `c` of `legs` (any element's leg: every
    /// element of a family meets the same planes), in RIS-first order.
    fn outgoing_objects(&self, legs: &[Vec<Option<Leg>>], c: usize) -> (Vec<u32>, Vec<u32>, Vec<bool>) {
        let (mut objects, mut primitives, mut refraction) = legs.iter().find_map(|l| l[c].as_ref()).map(|l| self.leg_objects(l)).unwrap_or_default();
        // outgoing legs were resolved from the receiver: reverse to RIS-first order
        objects.reverse();
        primitives.reverse();
        refraction.reverse();
        (objects, primitives, refraction)
    }

    /// Every RIS path family of `surfaces` between the solve's radios: one RIS
    /// interaction, and two where `middle_chains` (per RIS, the chains found from it)
    /// is not empty.
    pub(crate) fn paths(&self, surfaces: &[RisSurface], tx_chains: &[Box<[u32]>], rx_chains: &[Box<[u32]>], middle_chains: &[Vec<Box<[u32]>>], stats: &mut SolveStats) -> Result<Vec<RisPath>> {
        let rects: Vec<RisRectangle> = surfaces.iter().map(RisRectangle::new).collect();
        let (ins, outs) = (self.leg_chains(tx_chains), self.leg_chains(rx_chains));
        let sides: Vec<SurfaceLegs> = surfaces.iter().enumerate().map(|(s, ris)| self.surface_legs(s, ris, &ins, &outs, &rects)).collect();
        let mut out = Vec::new();
        for (s, ris) in surfaces.iter().enumerate() {
            out.extend(self.single_families(s, ris, &sides[s], &ins, &outs, stats)?);
        }
        if !middle_chains.is_empty() {
            out.extend(self.double_families(surfaces, &sides, [&ins, &outs], middle_chains, &rects, stats)?);
        }
        Ok(out)
    }

    /// The families through RIS `s` alone.
    fn single_families(&self, s: usize, ris: &RisSurface, side: &SurfaceLegs, ins: &[&[u32]], outs: &[&[u32]], stats: &mut SolveStats) -> Result<Vec<RisPath>> {
        let k = 2.0 * PI / self.lambda;
        let gain = ris.element_gain(self.lambda);
        let (points, legs_in, legs_out) = (&side.points, &side.legs_in, &side.legs_out);
        // every term with both legs, family-major then element order; a term with one
        // leg only is a hidden term of a family that exists
        let mut pending: Vec<Pending> = Vec::new();
        for (ci, chain_in) in ins.iter().enumerate() {
            for (co, chain_out) in outs.iter().enumerate() {
                if chain_in.len() + chain_out.len() + 1 > self.max_depth {
                    continue;
                }
                for m in 0..points.len() {
                    match (&legs_in[m][ci], &legs_out[m][co]) {
                        (Some(a), Some(b)) => pending.push(Pending { family: (ci, co), element: m, incoming: a, outgoing: b }),
                        (None, None) => {}
                        _ => stats.ris_hidden_terms += 1,
                    }
                }
            }
        }
        let coefficients: Vec<Complex> = match (self.backend, ris.model) {
            #[cfg(feature = "gpu")]
            (crate::backend::Backend::Gpu(ctx), RisModel::ElementSum) => {
                let (vertices, inters): (Vec<Vec<DVec3>>, Vec<_>) = pending.iter().map(|t| self.gpu_term(t.incoming, points[t.element], t.outgoing, gain)).unzip();
                let refs: Vec<crate::paths::gpu_field::GpuPath> = vertices.iter().map(Vec::as_slice).zip(inters).collect();
                crate::paths::gpu_field::gpu_coefficients(ctx, &refs, self.tx, self.rx, self.lambda)?
            }
            _ => pending
                .par_iter()
                .map(|t| {
                    let (a, b) = (t.incoming, t.outgoing);
                    let scalar = match ris.model {
                        RisModel::ElementSum => Complex::new(gain / (4.0 * PI * a.length * b.length), 0.0),
                        // the aperture integral with its propagation phase removed
                        RisModel::PhaseGradient { from, to } => ris.phase_gradient_leg([from, to], a.image, b.image, k, gain) * Complex::from_polar(1.0, k * (a.length + b.length)),
                    };
                    scalar * self.polarisation(a, points[t.element], b) * (self.lambda / (4.0 * PI).sqrt())
                })
                .collect(),
        };
        let mut families: HashMap<(usize, usize), Vec<RisTerm>> = HashMap::new();
        for (t, b) in pending.iter().zip(coefficients) {
            if !(b.re.is_finite() && b.im.is_finite()) {
                stats.non_finite_paths += 1;
                continue;
            }
            let element = match ris.model {
                RisModel::ElementSum => t.element as u32,
                RisModel::PhaseGradient { .. } => RisTerm::SURFACE,
            };
            families.entry(t.family).or_default().push(RisTerm { element, second_element: None, tau: (t.incoming.length + t.outgoing.length) / SPEED_OF_LIGHT, b });
        }
        let mut keys: Vec<(usize, usize)> = families.keys().copied().collect();
        keys.sort_unstable();
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let (incoming, incoming_primitives, incoming_refraction) = legs_in.iter().find_map(|l| l[key.0].as_ref()).map(|l| self.leg_objects(l)).unwrap_or_default();
            let (outgoing, outgoing_primitives, outgoing_refraction) = self.outgoing_objects(legs_out, key.1);
            out.push(RisPath {
                ris: s as u32,
                incoming,
                outgoing,
                incoming_primitives,
                outgoing_primitives,
                incoming_refraction,
                outgoing_refraction,
                vertex: ris.centre,
                terms: families.remove(&key).unwrap_or_default(),
                second: None,
            });
        }
        Ok(out)
    }

    /// The middle leg of a two-RIS path: from element point `p1` of RIS `s1` (served
    /// side `n1`) through `chain` to `p2` of RIS `s2`, leaving and reaching both from
    /// their served sides and crossing no other RIS; its image is `p1`'s last image.
    fn middle_leg(&self, chain: &[u32], [p1, n1]: [DVec3; 2], [p2, n2]: [DVec3; 2], [s1, s2]: [usize; 2], rects: &[RisRectangle]) -> Option<Leg> {
        let eps = self.geom.eps();
        let r = resolve_chain(self.geom, chain, p1 + n1 * (8.0 * eps), p2 + n2 * (8.0 * eps))?;
        let first = r.vertices.first().copied().unwrap_or(p2);
        let last = r.vertices.last().copied().unwrap_or(p1);
        if n1.dot(first - p1) <= eps || n2.dot(last - p2) <= eps {
            return None;
        }
        let mut points = Vec::with_capacity(r.vertices.len() + 2);
        points.push(p1);
        points.extend_from_slice(&r.vertices);
        points.push(p2);
        let segments = points.len() - 1;
        for (k, w) in points.windows(2).enumerate() {
            let own = |i: usize| (k == 0 && i == s1) || (k + 1 == segments && i == s2);
            if rects.iter().enumerate().any(|(i, rect)| !own(i) && rect.crosses(w[0], w[1], eps)) {
                return None;
            }
        }
        let image = source_images(self.geom, chain, p1).last().copied().unwrap_or(p1);
        Some(Leg { length: p2.distance(image), vertices: r.vertices, triangles: r.triangles, refraction: r.refraction, image })
    }

    /// The families through two RIS interactions, `TX → chain → RIS s1 (element m) →
    /// middle chain → RIS s2 (element n) → chain → RX` (`s2 = s1` through at least one
    /// object), element-sum model only: `b_mn = (λ/√(4π)) g₁ g₂ P / (4π √(4π) L₁ L₂ L₃)`,
    /// the single-interaction term with the spreading restarted once more. Evaluated on
    /// the CPU whatever the backend (cost ∝ M₁ M₂ per chain triple).
    fn double_families(&self, surfaces: &[RisSurface], sides: &[SurfaceLegs], [ins, outs]: [&[&[u32]]; 2], middle_chains: &[Vec<Box<[u32]>>], rects: &[RisRectangle], stats: &mut SolveStats) -> Result<Vec<RisPath>> {
        let mut out = Vec::new();
        for (s1, first) in surfaces.iter().enumerate() {
            let mids = self.leg_chains(&middle_chains[s1]);
            for (s2, second) in surfaces.iter().enumerate() {
                let (a, b) = (&sides[s1], &sides[s2]);
                let gains = first.element_gain(self.lambda) * second.element_gain(self.lambda);
                for chain_mid in mids.iter().filter(|c| !(s1 == s2 && c.is_empty())) {
                    // middle[m][n]
                    let middle: Vec<Vec<Option<Leg>>> = a.points.par_iter().map(|&p1| b.points.iter().map(|&p2| self.middle_leg(chain_mid, [p1, a.normal], [p2, b.normal], [s1, s2], rects)).collect()).collect();
                    let Some(example_mid) = middle.iter().flatten().find_map(Option::as_ref) else { continue };
                    for (ci, chain_in) in ins.iter().enumerate() {
                        for (co, chain_out) in outs.iter().enumerate() {
                            if chain_in.len() + chain_mid.len() + chain_out.len() + 2 > self.max_depth {
                                continue;
                            }
                            let mut triples = Vec::new();
                            for (m, row) in middle.iter().enumerate() {
                                for (n, mid) in row.iter().enumerate() {
                                    match (&a.legs_in[m][ci], mid, &b.legs_out[n][co]) {
                                        (Some(l1), Some(l2), Some(l3)) => triples.push((m, n, l1, l2, l3)),
                                        (None, _, None) | (_, None, _) => {}
                                        _ => stats.ris_hidden_terms += 1,
                                    }
                                }
                            }
                            if triples.is_empty() {
                                continue;
                            }
                            let coefficients: Vec<Complex> = triples
                                .par_iter()
                                .map(|&(m, n, l1, l2, l3)| {
                                    let (mut points, mut inters) = (Vec::new(), Vec::new());
                                    self.push_leg_forward(l1, a.points[m], &mut points, &mut inters);
                                    self.push_leg_forward(l2, b.points[n], &mut points, &mut inters);
                                    points.extend(l3.vertices.iter().rev());
                                    inters.extend(l3.triangles.iter().zip(&l3.refraction).rev().map(|(&t, &r)| Some(self.interaction(t, r))));
                                    let scalar = gains / (4.0 * PI * (4.0 * PI).sqrt() * l1.length * l2.length * l3.length);
                                    self.transport_through(&points, &inters) * scalar * (self.lambda / (4.0 * PI).sqrt())
                                })
                                .collect();
                            let mut terms = Vec::with_capacity(triples.len());
                            for (&(m, n, l1, l2, l3), b) in triples.iter().zip(coefficients) {
                                if !(b.re.is_finite() && b.im.is_finite()) {
                                    stats.non_finite_paths += 1;
                                    continue;
                                }
                                terms.push(RisTerm { element: m as u32, second_element: Some(n as u32), tau: (l1.length + l2.length + l3.length) / SPEED_OF_LIGHT, b });
                            }
                            let (incoming, incoming_primitives, incoming_refraction) = a.legs_in.iter().find_map(|l| l[ci].as_ref()).map(|l| self.leg_objects(l)).unwrap_or_default();
                            let (outgoing, outgoing_primitives, outgoing_refraction) = self.outgoing_objects(&b.legs_out, co);
                            let (middle_objects, middle_primitives, middle_refraction) = self.leg_objects(example_mid);
                            out.push(RisPath {
                                ris: s1 as u32,
                                incoming,
                                outgoing,
                                incoming_primitives,
                                outgoing_primitives,
                                incoming_refraction,
                                outgoing_refraction,
                                vertex: first.centre,
                                terms,
                                second: Some(SecondRis { ris: s2 as u32, middle: middle_objects, middle_primitives, middle_refraction, vertex: second.centre }),
                            });
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// One element term for the GPU field kernel: the points without the transmitter
    /// and receiver, and the interactions with the RIS element as `KIND_RIS`.
    #[cfg(feature = "gpu")]
    fn gpu_term(&self, incoming: &Leg, p: DVec3, outgoing: &Leg, gain: f64) -> (Vec<DVec3>, Vec<rftwin_gpu::field::FieldInteractionGpu>) {
        use rftwin_gpu::field::{FieldInteractionGpu, KIND_RIS};
        let mut vertices = incoming.vertices.clone();
        vertices.push(p);
        vertices.extend(outgoing.vertices.iter().rev());
        let surface = |(&t, &r): (&u32, &bool)| crate::paths::gpu_field::gpu_surface(self.geom, self.materials, t, r);
        let mut inters: Vec<FieldInteractionGpu> = incoming.triangles.iter().zip(&incoming.refraction).map(surface).collect();
        inters.push(FieldInteractionGpu { kind: KIND_RIS, thickness: gain as f32, ..Default::default() });
        inters.extend(outgoing.triangles.iter().zip(&outgoing.refraction).rev().map(surface));
        (vertices, inters)
    }
}

/// The RIS vertex: rotates the field from the incoming to the outgoing frame about
/// `ŝ = k_i × k_o` (TE and TM both with coefficient 1); in backscatter (`k_o = −k_i`)
/// the field is kept.
fn reradiate<T: Real>(e: CVec3<T>, k_i: V3<T>, k_o: V3<T>) -> CVec3<T> {
    let c = k_i.cross(k_o);
    if c.length().value() < 1e-12 {
        return e;
    }
    let s = c.normalize();
    let (p_i, p_o) = (s.cross(k_i), s.cross(k_o));
    CVec3::scaled_real(e.dot_real(s), s).plus(&CVec3::scaled_real(e.dot_real(p_i), p_o))
}

/// Refuses a computation that does not model RIS on a scene that has some: leaving
/// the surfaces out silently would give a different scene's answer.
pub fn refuse_unmodelled(scene: &rftwin_core::Scene, what: &str) -> Result<()> {
    if scene.ris().is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = scene.ris().iter().map(|r| r.name.as_str()).collect();
    Err(TraceError::InvalidInput {
        name: "scene",
        message: format!("{what} does not model RIS and the scene has {} ({}); solve per receiver with PathSolver, or remove the RIS from the scene", names.len(), names.join(", ")),
    })
}

/// Derivatives of one RIS term with respect to a parameter's components.
#[derive(Debug, Clone, PartialEq)]
pub struct RisTermGradient {
    /// `∂τ/∂θ_c` \[s per unit\].
    pub tau: Vec<f64>,
    /// `∂b/∂θ_c` (`∂Re b + j ∂Im b`).
    pub b: Vec<Complex>,
}

/// Re-evaluates every RIS term of `paths` in dual numbers with respect to `param` (any
/// [`GradientParam`](crate::paths::gradients::GradientParam)): the element moves with its
/// RIS (`r_m = c + t + R(r_m − c)`), the radios with their parameters, the legs' planes
/// with their objects and the slabs' η and thickness with their materials; the leg
/// vertices follow by the image method (a refraction leaves the image in place: the leg
/// crosses the slab's plane on the straight line), and delay and coefficient by the same
/// formulas as the solve. Model (b) terms are refused.
pub(crate) fn ris_gradients(scene: &rftwin_core::Scene, geom: &SceneGeometry, paths: &Paths, [tx, rx]: [&Radio; 2], pert: &crate::paths::gradients::Perturbation) -> Result<Vec<Vec<RisTermGradient>>> {
    use crate::paths::gradients::{GradientParam, PoseKind};
    type D = Dual<3>;
    let param = &pert.param;
    let ris_index = |name: &str| -> Result<usize> {
        scene.ris().iter().position(|r| r.name == name).ok_or_else(|| TraceError::InvalidInput { name: "gradient parameter", message: format!("no RIS named '{name}' in the scene") })
    };
    let moved = match param {
        GradientParam::RisTranslation(n) => Some((ris_index(n)?, PoseKind::Translation)),
        GradientParam::RisRotation(n) => Some((ris_index(n)?, PoseKind::Rotation)),
        _ => None,
    };
    if paths.ris_paths.is_empty() {
        return Ok(Vec::new());
    }
    let lambda = rftwin_core::constants::wavelength(paths.frequency_hz);
    let (tx_p, rx_p) = (pert.tx_p, pert.rx_p);
    let mut out = Vec::with_capacity(paths.ris_paths.len());
    for (f, family) in paths.ris_paths.iter().enumerate() {
        let unsupported = |reason: &str| TraceError::UnsupportedGradient { param: param.name(), output: format!("RIS family {f} (objects {:?} → RIS → {:?})", family.incoming, family.outgoing), reason: reason.into() };
        if family.second.is_some() {
            return Err(unsupported("paths through two RIS interactions are differentiated with respect to the phase profiles only (paths::ris::phase_vjp)"));
        }
        // the legs' planes and slab interactions, in path order
        let surfaces = |objects: &[u32], primitives: &[u32], refraction: &[bool]| -> Result<Vec<LegSurface>> {
            if refraction.len() != objects.len() || primitives.len() != objects.len() {
                return Err(TraceError::PathsMismatch { path: f, message: format!("RIS leg with {} objects, {} primitives and {} refraction flags", objects.len(), primitives.len(), refraction.len()) });
            }
            objects
                .iter()
                .zip(primitives)
                .zip(refraction)
                .map(|((&o, &p), &transmission)| {
                    let tri = geom.triangle_index(o as usize, p as usize).ok_or_else(|| TraceError::PathsMismatch { path: f, message: format!("RIS leg on object {o} / primitive {p}, not in the scene") })?;
                    let (eta, thickness) = pert.etas[geom.material[tri] as usize];
                    let plane = pert.plane(geom, tri);
                    Ok(LegSurface { plane, transmission, interaction: FieldInteraction { transmission, normal: plane.0, eta, thickness } })
                })
                .collect()
        };
        let incoming = surfaces(&family.incoming, &family.incoming_primitives, &family.incoming_refraction)?;
        let outgoing = surfaces(&family.outgoing, &family.outgoing_primitives, &family.outgoing_refraction)?;
        // chain order from the receiver: the outgoing surfaces reversed
        let from_rx: Vec<&LegSurface> = outgoing.iter().rev().collect();
        let from_tx: Vec<&LegSurface> = incoming.iter().collect();
        let surface = scene.ris().get(family.ris as usize).ok_or_else(|| TraceError::PathsMismatch { path: f, message: format!("RIS {} is not in the scene", family.ris) })?;
        if surface.model != RisModel::ElementSum {
            return Err(unsupported("the phase-gradient model (b) is not differentiated"));
        }
        let gain = surface.element_gain(lambda);
        let positions = surface.positions();
        let mut grads = Vec::with_capacity(family.terms.len());
        for t in &family.terms {
            let r0 = *positions.get(t.element as usize).ok_or_else(|| TraceError::PathsMismatch { path: f, message: format!("element {} of a RIS of {}", t.element, positions.len()) })?;
            let r = match moved {
                Some((s, kind)) if s == family.ris as usize => {
                    let id = kind.identity();
                    V3::<D>::cst(surface.centre).plus(kind.apply(V3::<D>::cst(r0 - surface.centre), [0, 1, 2].map(|c| D::variable(id[c], c))))
                }
                _ => V3::cst(r0),
            };
            let (in_vertices, in_image) = unfold(tx_p, &from_tx, r);
            let (mut out_vertices, out_image) = unfold(rx_p, &from_rx, r);
            out_vertices.reverse();
            let (l1, l2) = (r.minus(in_image).length(), r.minus(out_image).length());
            let tau = (l1 + l2) / D::constant(SPEED_OF_LIGHT);
            let mut points = vec![tx_p];
            points.extend(in_vertices);
            points.push(r);
            points.extend(out_vertices);
            points.push(rx_p);
            let inters: Vec<Option<&FieldInteraction<D>>> = incoming.iter().map(|s| Some(&s.interaction)).chain(std::iter::once(None)).chain(outgoing.iter().map(|s| Some(&s.interaction))).collect();
            let pol = transport(&points, &tx.antenna, &rx.antenna, |k, e, k_i, k_o| match inters[k] {
                Some(inter) => apply_interaction(e, k_i, k_o, inter, lambda),
                None => reradiate(e, k_i, k_o),
            });
            let scale = D::constant(lambda / (4.0 * PI) * gain / (4.0 * PI).sqrt()) / (l1 * l2);
            let (b_re, b_im) = (pol.re * scale, pol.im * scale);
            let solved = Complex::new(b_re.value(), b_im.value());
            if (solved - t.b).norm() > 1e-6 * t.b.norm() + 1e-300 || (tau.value() - t.tau).abs() > 1e-9 * t.tau {
                return Err(TraceError::PathsMismatch { path: f, message: format!("RIS term of element {} re-evaluates to {solved} (τ {}) instead of {} (τ {})", t.element, tau.value(), t.b, t.tau) });
            }
            grads.push(RisTermGradient { tau: tau.d.to_vec(), b: (0..3).map(|c| Complex::new(b_re.d[c], b_im.d[c])).collect() });
        }
        out.push(grads);
    }
    Ok(out)
}

/// One interaction of a leg in dual numbers: its plane `(n, d)` (moving with its
/// object), whether it is a refraction, and its slab interaction.
struct LegSurface {
    plane: (V3<Dual<3>>, Dual<3>),
    transmission: bool,
    interaction: FieldInteraction<Dual<3>>,
}

/// The vertices of a leg from `end` to `target` through `surfaces` (in order from
/// `end`), by the image method, and the last image of `end` (the unfolded source). A
/// reflection mirrors the image; a refraction keeps it, so the vertex is where the
/// straight line crosses the slab's plane.
fn unfold(end: V3<Dual<3>>, surfaces: &[&LegSurface], target: V3<Dual<3>>) -> (Vec<V3<Dual<3>>>, V3<Dual<3>>) {
    let mut images = vec![end];
    for s in surfaces {
        let last = images[images.len() - 1];
        let (n, d) = s.plane;
        images.push(if s.transmission { last } else { crate::paths::image_method::mirror(last, n, d) });
    }
    let mut vertices = vec![target; surfaces.len()];
    let mut cur = target;
    for j in (0..surfaces.len()).rev() {
        let (n, d) = surfaces[j].plane;
        let dir = images[j + 1].minus(cur);
        let t = (d - n.dot(cur)) / n.dot(dir);
        cur = cur.plus(dir.scale(t));
        vertices[j] = cur;
    }
    (vertices, images[surfaces.len()])
}

/// `∂H_family(f)/∂θ_c = Σ_terms Γ_m (∂b/∂θ_c − j2πf b ∂τ/∂θ_c) e^{−j2πfτ}` of one RIS
/// family, from its terms' gradients (the one place the chain rule through `τ` is written
/// for RIS terms; `cfr_gradient` and the total-power gradient use it).
pub fn family_derivative(paths: &Paths, family: &RisPath, grads: &[RisTermGradient], component: usize, frequency_hz: f64) -> Complex {
    let j = Complex::new(0.0, 2.0 * PI * frequency_hz);
    family
        .terms
        .iter()
        .zip(grads)
        .map(|(t, d)| family.term_gamma(t, &paths.ris_gamma) * (d.b[component] - j * t.b * d.tau[component]) * rftwin_core::paths::propagation_phasor(frequency_hz, t.tau))
        .sum()
}

/// `∂/∂θ_c` of the RIS families' share of `Paths::total_power`, `Σ_families |H_f(f_c)|²`.
pub(crate) fn ris_total_power_gradient(paths: &Paths, grads: &[Vec<RisTermGradient>], components: usize) -> Vec<f64> {
    let f = paths.frequency_hz;
    (0..components)
        .map(|c| paths.ris_paths.iter().zip(grads).map(|(family, g)| 2.0 * (paths.ris_response(family, f).conj() * family_derivative(paths, family, g, c, f)).re).sum())
        .collect()
}

/// Refuses per-vertex gradients of paths that hold RIS path families (not implemented;
/// a zero would be wrong).
pub fn refuse_vertex_gradients(paths: &Paths, param: impl Into<String>) -> Result<()> {
    if paths.ris_paths.is_empty() {
        return Ok(());
    }
    Err(TraceError::UnsupportedGradient {
        param: param.into(),
        output: format!("{} RIS path families", paths.ris_paths.len()),
        reason: "per-vertex gradients of paths through a RIS are not implemented (object poses, materials, tx/position, rx/position and ris/<name>/{translation, rotation} are, by path_gradients; the phase profile's is paths::ris::phase_vjp); a solve with SolverOptions::ris = false differentiates the other paths".into(),
    })
}

/// The CFR at `frequency_hz` as an affine function of RIS `ris`'s coefficients:
/// `H(f) = c + Σ_m Γ_m B_m`, with `c` everything else (ordinary paths, other RIS, model
/// (b) terms) and `B_m = Σ b e^{−j2π f τ}` over the element's terms. Optimising a
/// profile over many receivers needs only these `M + 1` numbers per receiver. Paths
/// through `ris` twice make `H` quadratic in its profile: an error.
pub fn element_responses(paths: &Paths, ris: usize, frequency_hz: f64) -> Result<(Complex, Vec<Complex>)> {
    let mut c: Complex = paths.tau.iter().zip(&paths.a).map(|(&t, &a)| a * rftwin_core::paths::propagation_phasor(frequency_hz, t)).sum();
    for p in paths.ris_paths.iter().filter(|p| !p.meets(ris)) {
        c += paths.ris_response(p, frequency_hz);
    }
    let (b, surface) = element_sums(paths, ris, frequency_hz, |_| true)?;
    Ok((c + surface, b))
}

/// `B_m = Σ b e^{−j2π f τ}` over the element terms of the families of RIS `ris` that
/// `keep` accepts, and the sum of their model (b) terms (whose coefficient includes the
/// profile). A family through two RIS interactions that meets `ris` is not affine in its
/// profile: an error naming it.
pub fn element_sums(paths: &Paths, ris: usize, frequency_hz: f64, keep: impl Fn(&RisPath) -> bool) -> Result<(Vec<Complex>, Complex)> {
    let gamma = ris_gamma(paths, ris)?;
    let mut b = vec![Complex::new(0.0, 0.0); gamma.len()];
    let mut surface = Complex::new(0.0, 0.0);
    for p in paths.ris_paths.iter().filter(|p| p.meets(ris) && keep(p)) {
        if let Some(second) = &p.second {
            return Err(TraceError::InvalidInput {
                name: "paths",
                message: format!("a family through RIS {} and RIS {} makes the channel a product of two profiles, not affine in RIS {ris}'s; use the CFR and paths::ris::phase_vjp, or solve with max_ris_interactions = 1", p.ris, second.ris),
            });
        }
        for t in &p.terms {
            let y = t.b * rftwin_core::paths::propagation_phasor(frequency_hz, t.tau);
            if t.element == RisTerm::SURFACE {
                surface += y;
            } else {
                b[t.element as usize] += y;
            }
        }
    }
    Ok((b, surface))
}

/// `Γ` of RIS `ris`, or an error naming how many RIS the paths know.
fn ris_gamma(paths: &Paths, ris: usize) -> Result<&[Complex]> {
    paths.ris_gamma.get(ris).map(Vec::as_slice).ok_or_else(|| TraceError::InvalidInput { name: "ris", message: format!("index {ris}: the paths know {} RIS", paths.ris_gamma.len()) })
}

/// One element's share of a RIS term in a phase VJP: `∂(Γ_m c)/∂φ_m = j Γ_m c`, with
/// `c = b` for one RIS interaction and `c = b Γ_n` (the other interaction's
/// coefficient) for two; a term through the same RIS twice gives one share per element.
struct ElementShare {
    element: usize,
    /// `c`: the term's coefficient without `Γ_m` (and without the propagation phase).
    c: Complex,
    tau: f64,
}

/// The checks every phase VJP makes: `Γ` of RIS `ris`, one cotangent per frequency, and
/// element-sum families only; returns `Γ` and every element share of the RIS's terms.
fn vjp_shares<'p>(paths: &'p Paths, ris: usize, frequencies_hz: &[f64], cotangents: &[Complex]) -> Result<(&'p [Complex], Vec<ElementShare>)> {
    let gamma = ris_gamma(paths, ris)?;
    if frequencies_hz.len() != cotangents.len() {
        return Err(TraceError::InvalidInput { name: "cotangents", message: format!("{} cotangents for {} frequencies", cotangents.len(), frequencies_hz.len()) });
    }
    let families: Vec<&RisPath> = paths.ris_paths.iter().filter(|p| p.meets(ris)).collect();
    if let Some(p) = families.iter().find(|p| p.terms.iter().any(|t| t.element == RisTerm::SURFACE)) {
        return Err(TraceError::UnsupportedGradient {
            param: format!("phases of RIS {ris}"),
            output: format!("a RIS path through objects {:?} → {:?}", p.incoming, p.outgoing),
            reason: "the phase-gradient model (b) has no per-element profile; use the element-sum model".into(),
        });
    }
    let mut shares = Vec::new();
    for p in families {
        for t in &p.terms {
            match (&p.second, t.second_element) {
                (Some(second), Some(n)) => {
                    let (first_gamma, second_gamma) = (paths.ris_gamma[p.ris as usize][t.element as usize], paths.ris_gamma[second.ris as usize][n as usize]);
                    if p.ris as usize == ris {
                        shares.push(ElementShare { element: t.element as usize, c: t.b * second_gamma, tau: t.tau });
                    }
                    if second.ris as usize == ris {
                        shares.push(ElementShare { element: n as usize, c: t.b * first_gamma, tau: t.tau });
                    }
                }
                _ => shares.push(ElementShare { element: t.element as usize, c: t.b, tau: t.tau }),
            }
        }
    }
    Ok((gamma, shares))
}

/// Reverse mode of the CFR with respect to the phases of RIS `ris`: for a real loss
/// `L(H(f₁), …)` with cotangents `H̄_i = ∂L/∂Re H(f_i) + j ∂L/∂Im H(f_i)`, returns
/// `∂L/∂φ_m` for every element (`∂H/∂φ_m = j Γ_m Σ c e^{−j2π f τ}` over the element's
/// shares: `c = b`, or `b Γ_n` through a second RIS interaction). One pass over the
/// terms: the cost of one CFR evaluation.
pub fn phase_vjp(paths: &Paths, ris: usize, frequencies_hz: &[f64], cotangents: &[Complex]) -> Result<Vec<f64>> {
    let (gamma, shares) = vjp_shares(paths, ris, frequencies_hz, cotangents)?;
    let mut grad = vec![0.0; gamma.len()];
    let j = Complex::new(0.0, 1.0);
    for t in shares {
        let m = t.element;
        grad[m] += frequencies_hz.iter().zip(cotangents).map(|(&f, &c)| (c.conj() * j * gamma[m] * t.c * rftwin_core::paths::propagation_phasor(f, t.tau)).re).sum::<f64>();
    }
    Ok(grad)
}

/// [`phase_vjp`] on the backend `choice` resolves to: the GPU kernel `ris_phase_vjp`
/// (one work item per element share of a term, the host sums each element's shares) or the CPU.
/// The GPU path forms `c_f = conj(H̄_f) e^{−j2πfτ₀}` in f64 and sends `τ − τ₀`, so the
/// phases survive f32.
pub fn phase_vjp_on(choice: crate::backend::BackendChoice, paths: &Paths, ris: usize, frequencies_hz: &[f64], cotangents: &[Complex]) -> Result<Vec<f64>> {
    match crate::backend::resolve(choice)? {
        crate::backend::Backend::Cpu => phase_vjp(paths, ris, frequencies_hz, cotangents),
        #[cfg(feature = "gpu")]
        crate::backend::Backend::Gpu(ctx) => {
            let (gamma, shares) = vjp_shares(paths, ris, frequencies_hz, cotangents)?;
            let tau0 = shares.iter().map(|t| t.tau).fold(f64::INFINITY, f64::min);
            let packed: Vec<rftwin_gpu::field::RisTermGpu> = shares
                .iter()
                .map(|t| {
                    let g = gamma[t.element];
                    rftwin_gpu::field::RisTermGpu { b: [t.c.re as f32, t.c.im as f32], gamma: [g.re as f32, g.im as f32], dtau: (t.tau - tau0) as f32, pad: [0.0; 3] }
                })
                .collect();
            let weights: Vec<[f32; 4]> = frequencies_hz
                .iter()
                .zip(cotangents)
                .map(|(&f, c)| {
                    let w = c.conj() * rftwin_core::paths::propagation_phasor(f, tau0);
                    [w.re as f32, w.im as f32, f as f32, 0.0]
                })
                .collect();
            let per_term = rftwin_gpu::field::ris_phase_vjp(ctx, &packed, &weights)?;
            let mut grad = vec![0.0; gamma.len()];
            for (t, g) in shares.iter().zip(per_term) {
                grad[t.element] += g as f64;
            }
            Ok(grad)
        }
    }
}
