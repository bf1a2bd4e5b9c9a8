//! The RIS path search of solver (A): legs from both radios to every element, the
//! families through one RIS interaction and through two (see the module docs).

use super::{blocked, reradiate, RisRectangle};
use crate::error::Result;
use crate::paths::image_method::{end_to_end, resolve_chain, source_images};
use crate::physics::field::{apply_interaction, transport, FieldInteraction};
use crate::scene_geometry::SceneGeometry;
use glam::DVec3;
use rayon::prelude::*;
use rftwin_core::constants::SPEED_OF_LIGHT;
use rftwin_core::dual::V3;
use rftwin_core::paths::{RisPath, RisTerm, SecondRis, SolveStats};
use rftwin_core::ris::{RisModel, RisSurface};
use rftwin_core::{Complex, Radio};
use std::collections::{HashMap, HashSet};
use std::f64::consts::PI;

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
        let points = end_to_end(end, &r.vertices, p);
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

    /// A family from its incoming chain `ci` (of `legs_in`) and outgoing chain `co` (of
    /// `legs_out`): the objects met come from any element's leg.
    fn family(&self, [legs_in, legs_out]: [&[Vec<Option<Leg>>]; 2], [ci, co]: [usize; 2], ris: u32, vertex: DVec3, terms: Vec<RisTerm>, second: Option<SecondRis>) -> RisPath {
        let (incoming, incoming_primitives, incoming_refraction) = legs_in.iter().find_map(|l| l[ci].as_ref()).map(|l| self.leg_objects(l)).unwrap_or_default();
        let (outgoing, outgoing_primitives, outgoing_refraction) = self.outgoing_objects(legs_out, co);
        RisPath { ris, incoming, outgoing, incoming_primitives, outgoing_primitives, incoming_refraction, outgoing_refraction, vertex, terms, second }
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
                let terms: Vec<_> = pending.iter().map(|t| self.gpu_term(&[(t.incoming, points[t.element], gain)], t.outgoing)).collect();
                self.gpu_coefficients(ctx, terms)?
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
            let terms = families.remove(&key).unwrap_or_default();
            out.push(self.family([legs_in, legs_out], [key.0, key.1], s as u32, ris.centre, terms, None));
        }
        Ok(out)
    }

    /// The middle leg of a two-RIS path: from element point `p1` of RIS `s1` (served
    /// side `n1`, `image` its last image in `chain`) through `chain` to `p2` of RIS `s2`,
    /// leaving and reaching both from their served sides and crossing no other RIS.
    fn middle_leg(&self, chain: &[u32], [p1, n1, image]: [DVec3; 3], [p2, n2]: [DVec3; 2], [s1, s2]: [usize; 2], rects: &[RisRectangle]) -> Option<Leg> {
        let eps = self.geom.eps();
        let r = resolve_chain(self.geom, chain, p1 + n1 * (8.0 * eps), p2 + n2 * (8.0 * eps))?;
        let first = r.vertices.first().copied().unwrap_or(p2);
        let last = r.vertices.last().copied().unwrap_or(p1);
        if n1.dot(first - p1) <= eps || n2.dot(last - p2) <= eps {
            return None;
        }
        let points = end_to_end(p1, &r.vertices, p2);
        let segments = points.len() - 1;
        for (k, w) in points.windows(2).enumerate() {
            let own = |i: usize| (k == 0 && i == s1) || (k + 1 == segments && i == s2);
            if rects.iter().enumerate().any(|(i, rect)| !own(i) && rect.crosses(w[0], w[1], eps)) {
                return None;
            }
        }
        Some(Leg { length: p2.distance(image), vertices: r.vertices, triangles: r.triangles, refraction: r.refraction, image })
    }

    /// The families through two RIS interactions, `TX → chain → RIS s1 (element m) →
    /// middle chain → RIS s2 (element n) → chain → RX` (`s2 = s1` through at least one
    /// object), element-sum model only: `b_mn = (λ/√(4π)) g₁ g₂ P / (4π √(4π) L₁ L₂ L₃)`,
    /// the single-interaction term with the spreading restarted once more (cost ∝ M₁ M₂
    /// per chain triple; on the GPU backend by the path-field kernel, two `KIND_RIS`
    /// vertices per term).
    fn double_families(&self, surfaces: &[RisSurface], sides: &[SurfaceLegs], [ins, outs]: [&[&[u32]]; 2], middle_chains: &[Vec<Box<[u32]>>], rects: &[RisRectangle], stats: &mut SolveStats) -> Result<Vec<RisPath>> {
        let mut out = Vec::new();
        for (s1, ris1) in surfaces.iter().enumerate() {
            let mids = self.leg_chains(&middle_chains[s1]);
            for (s2, ris2) in surfaces.iter().enumerate() {
                let (a, b) = (&sides[s1], &sides[s2]);
                let (g1, g2) = (ris1.element_gain(self.lambda), ris2.element_gain(self.lambda));
                for chain_mid in mids.iter().filter(|c| !(s1 == s2 && c.is_empty())) {
                    // middle[m][n]
                    let middle: Vec<Vec<Option<Leg>>> = a
                        .points
                        .par_iter()
                        .map(|&p1| {
                            let image = source_images(self.geom, chain_mid, p1).last().copied().unwrap_or(p1);
                            b.points.iter().map(|&p2| self.middle_leg(chain_mid, [p1, a.normal, image], [p2, b.normal], [s1, s2], rects)).collect()
                        })
                        .collect();
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
                            let coefficients: Vec<Complex> = match self.backend {
                                #[cfg(feature = "gpu")]
                                crate::backend::Backend::Gpu(ctx) => {
                                    let terms: Vec<_> = triples.iter().map(|&(m, n, l1, l2, l3)| self.gpu_term(&[(l1, a.points[m], g1), (l2, b.points[n], g2)], l3)).collect();
                                    self.gpu_coefficients(ctx, terms)?
                                }
                                _ => triples
                                    .par_iter()
                                    .map(|&(m, n, l1, l2, l3)| {
                                        let (mut points, mut inters) = (Vec::new(), Vec::new());
                                        self.push_leg_forward(l1, a.points[m], &mut points, &mut inters);
                                        self.push_leg_forward(l2, b.points[n], &mut points, &mut inters);
                                        points.extend(l3.vertices.iter().rev());
                                        inters.extend(l3.triangles.iter().zip(&l3.refraction).rev().map(|(&t, &r)| Some(self.interaction(t, r))));
                                        let scalar = g1 * g2 / (4.0 * PI * (4.0 * PI).sqrt() * l1.length * l2.length * l3.length);
                                        self.transport_through(&points, &inters) * scalar * (self.lambda / (4.0 * PI).sqrt())
                                    })
                                    .collect(),
                            };
                            let mut terms = Vec::with_capacity(triples.len());
                            for (&(m, n, l1, l2, l3), b) in triples.iter().zip(coefficients) {
                                if !(b.re.is_finite() && b.im.is_finite()) {
                                    stats.non_finite_paths += 1;
                                    continue;
                                }
                                terms.push(RisTerm { element: m as u32, second_element: Some(n as u32), tau: (l1.length + l2.length + l3.length) / SPEED_OF_LIGHT, b });
                            }
                            let (middle, middle_primitives, middle_refraction) = self.leg_objects(example_mid);
                            let second = SecondRis { ris: s2 as u32, middle, middle_primitives, middle_refraction, vertex: ris2.centre };
                            out.push(self.family([&a.legs_in, &b.legs_out], [ci, co], s1 as u32, ris1.centre, terms, Some(second)));
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// One element term for the GPU field kernel: the points without the transmitter
    /// and receiver, and the interactions with each RIS element as `KIND_RIS`. `legs`
    /// are the legs in path order, each ending at a RIS point with its element gain;
    /// `outgoing` is the last leg, resolved from the receiver.
    #[cfg(feature = "gpu")]
    fn gpu_term(&self, legs: &[(&Leg, DVec3, f64)], outgoing: &Leg) -> (Vec<DVec3>, Vec<rftwin_gpu::field::FieldInteractionGpu>) {
        use rftwin_gpu::field::{FieldInteractionGpu, KIND_RIS};
        let surface = |(&t, &r): (&u32, &bool)| crate::paths::gpu_field::gpu_surface(self.geom, self.materials, t, r);
        let (mut vertices, mut inters) = (Vec::new(), Vec::new());
        for &(leg, p, gain) in legs {
            vertices.extend_from_slice(&leg.vertices);
            vertices.push(p);
            inters.extend(leg.triangles.iter().zip(&leg.refraction).map(surface));
            inters.push(FieldInteractionGpu { kind: KIND_RIS, thickness: gain as f32, ..Default::default() });
        }
        vertices.extend(outgoing.vertices.iter().rev());
        inters.extend(outgoing.triangles.iter().zip(&outgoing.refraction).rev().map(surface));
        (vertices, inters)
    }

    /// The coefficients of `terms` (from [`RisSearch::gpu_term`]) by the path-field kernel.
    #[cfg(feature = "gpu")]
    fn gpu_coefficients(&self, ctx: &rftwin_gpu::GpuContext, terms: Vec<(Vec<DVec3>, Vec<rftwin_gpu::field::FieldInteractionGpu>)>) -> Result<Vec<Complex>> {
        let (vertices, inters): (Vec<Vec<DVec3>>, Vec<_>) = terms.into_iter().unzip();
        let refs: Vec<crate::paths::gpu_field::GpuPath> = vertices.iter().map(Vec::as_slice).zip(inters).collect();
        crate::paths::gpu_field::gpu_coefficients(ctx, &refs, self.tx, self.rx, self.lambda)
    }
}

