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
use rftwin_core::paths::{RisPath, RisTerm, SolveStats};
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

    /// `b` of the path `incoming → p → outgoing` without the reradiation gain and
    /// spreading: the polarimetric transport `P` only.
    fn polarisation(&self, incoming: &Leg, p: DVec3, outgoing: &Leg) -> Complex {
        let mut points: Vec<V3<f64>> = Vec::with_capacity(incoming.vertices.len() + outgoing.vertices.len() + 3);
        points.push(V3::cst(self.tx.position));
        points.extend(incoming.vertices.iter().map(|v| V3::cst(*v)));
        points.push(V3::cst(p));
        points.extend(outgoing.vertices.iter().rev().map(|v| V3::cst(*v)));
        points.push(V3::cst(self.rx.position));
        let inters: Vec<Option<FieldInteraction>> = incoming
            .triangles
            .iter()
            .zip(&incoming.refraction)
            .map(|(&t, &r)| Some(self.interaction(t, r)))
            .chain(std::iter::once(None))
            .chain(outgoing.triangles.iter().zip(&outgoing.refraction).rev().map(|(&t, &r)| Some(self.interaction(t, r))))
            .collect();
        transport(&points, &self.tx.antenna, &self.rx.antenna, |k, e, k_i, k_o| match &inters[k] {
            Some(inter) => apply_interaction(e, k_i, k_o, inter, self.lambda),
            None => reradiate(e, k_i, k_o),
        })
    }

    /// Every RIS path family of `surfaces` between the solve's radios.
    pub(crate) fn paths(&self, surfaces: &[RisSurface], tx_chains: &[Box<[u32]>], rx_chains: &[Box<[u32]>], stats: &mut SolveStats) -> Result<Vec<RisPath>> {
        let rects: Vec<RisRectangle> = surfaces.iter().map(RisRectangle::new).collect();
        let (ins, outs) = (self.leg_chains(tx_chains), self.leg_chains(rx_chains));
        let k = 2.0 * PI / self.lambda;
        let mut out = Vec::new();
        for (s, ris) in surfaces.iter().enumerate() {
            let (_, _, n) = ris.frame();
            let gain = ris.element_gain(self.lambda);
            let points: Vec<DVec3> = match ris.model {
                RisModel::ElementSum => ris.positions(),
                RisModel::PhaseGradient { .. } => vec![ris.centre],
            };
            // legs[point][chain]
            let legs = |chains: &[&[u32]], end: DVec3| -> Vec<Vec<Option<Leg>>> {
                let images: Vec<DVec3> = chains.iter().map(|c| source_images(self.geom, c, end).last().copied().unwrap_or(end)).collect();
                points.par_iter().map(|&p| chains.iter().zip(&images).map(|(c, &image)| self.leg(c, [end, image], [p, n], &rects, s)).collect()).collect()
            };
            let (legs_in, legs_out) = (legs(&ins, self.tx.position), legs(&outs, self.rx.position));
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
                families.entry(t.family).or_default().push(RisTerm { element, tau: (t.incoming.length + t.outgoing.length) / SPEED_OF_LIGHT, b });
            }
            let mut keys: Vec<(usize, usize)> = families.keys().copied().collect();
            keys.sort_unstable();
            for key in keys {
                let leg = |chain_legs: &[Vec<Option<Leg>>], c: usize| -> (Vec<u32>, Vec<u32>, Vec<bool>) {
                    chain_legs
                        .iter()
                        .find_map(|l| l[c].as_ref())
                        .map(|l| {
                            let objects = l.triangles.iter().map(|&t| self.geom.object[t as usize]).collect();
                            let primitives = l.triangles.iter().map(|&t| self.geom.local_index[t as usize]).collect();
                            (objects, primitives, l.refraction.clone())
                        })
                        .unwrap_or_default()
                };
                let (incoming, incoming_primitives, incoming_refraction) = leg(&legs_in, key.0);
                // outgoing legs were resolved from the receiver: reverse to RIS-first order
                let (mut outgoing, mut outgoing_primitives, mut outgoing_refraction) = leg(&legs_out, key.1);
                outgoing.reverse();
                outgoing_primitives.reverse();
                outgoing_refraction.reverse();
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
                });
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
    let gamma = &paths.ris_gamma[family.ris as usize];
    let j = Complex::new(0.0, 2.0 * PI * frequency_hz);
    family
        .terms
        .iter()
        .zip(grads)
        .map(|(t, d)| rftwin_core::paths::term_gamma(gamma, t.element) * (d.b[component] - j * t.b * d.tau[component]) * rftwin_core::paths::propagation_phasor(frequency_hz, t.tau))
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
/// profile over many receivers needs only these `M + 1` numbers per receiver.
pub fn element_responses(paths: &Paths, ris: usize, frequency_hz: f64) -> Result<(Complex, Vec<Complex>)> {
    let mut c: Complex = paths.tau.iter().zip(&paths.a).map(|(&t, &a)| a * rftwin_core::paths::propagation_phasor(frequency_hz, t)).sum();
    for p in paths.ris_paths.iter().filter(|p| p.ris as usize != ris) {
        c += paths.ris_response(p, frequency_hz);
    }
    let (b, surface) = element_sums(paths, ris, frequency_hz, |_| true)?;
    Ok((c + surface, b))
}

/// `B_m = Σ b e^{−j2π f τ}` over the element terms of the families of RIS `ris` that
/// `keep` accepts, and the sum of their model (b) terms (whose coefficient includes the
/// profile).
pub fn element_sums(paths: &Paths, ris: usize, frequency_hz: f64, keep: impl Fn(&RisPath) -> bool) -> Result<(Vec<Complex>, Complex)> {
    let gamma = ris_gamma(paths, ris)?;
    let mut b = vec![Complex::new(0.0, 0.0); gamma.len()];
    let mut surface = Complex::new(0.0, 0.0);
    for p in paths.ris_paths.iter().filter(|p| p.ris as usize == ris && keep(p)) {
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

/// The checks every phase VJP makes: `Γ` of RIS `ris`, one cotangent per frequency, and
/// element-sum families only; returns `Γ` and the RIS's terms.
fn vjp_terms<'p>(paths: &'p Paths, ris: usize, frequencies_hz: &[f64], cotangents: &[Complex]) -> Result<(&'p [Complex], Vec<&'p RisTerm>)> {
    let gamma = ris_gamma(paths, ris)?;
    if frequencies_hz.len() != cotangents.len() {
        return Err(TraceError::InvalidInput { name: "cotangents", message: format!("{} cotangents for {} frequencies", cotangents.len(), frequencies_hz.len()) });
    }
    let families: Vec<&RisPath> = paths.ris_paths.iter().filter(|p| p.ris as usize == ris).collect();
    if let Some(p) = families.iter().find(|p| p.terms.iter().any(|t| t.element == RisTerm::SURFACE)) {
        return Err(TraceError::UnsupportedGradient {
            param: format!("phases of RIS {ris}"),
            output: format!("a RIS path through objects {:?} → {:?}", p.incoming, p.outgoing),
            reason: "the phase-gradient model (b) has no per-element profile; use the element-sum model".into(),
        });
    }
    Ok((gamma, families.into_iter().flat_map(|p| &p.terms).collect()))
}

/// Reverse mode of the CFR with respect to the phases of RIS `ris`: for a real loss
/// `L(H(f₁), …)` with cotangents `H̄_i = ∂L/∂Re H(f_i) + j ∂L/∂Im H(f_i)`, returns
/// `∂L/∂φ_m` for every element (`∂H/∂φ_m = j Γ_m Σ b e^{−j2π f τ}`). One pass over the
/// terms: the cost of one CFR evaluation.
pub fn phase_vjp(paths: &Paths, ris: usize, frequencies_hz: &[f64], cotangents: &[Complex]) -> Result<Vec<f64>> {
    let (gamma, terms) = vjp_terms(paths, ris, frequencies_hz, cotangents)?;
    let mut grad = vec![0.0; gamma.len()];
    let j = Complex::new(0.0, 1.0);
    for t in terms {
        let m = t.element as usize;
        grad[m] += frequencies_hz.iter().zip(cotangents).map(|(&f, &c)| (c.conj() * j * gamma[m] * t.b * rftwin_core::paths::propagation_phasor(f, t.tau)).re).sum::<f64>();
    }
    Ok(grad)
}

/// [`phase_vjp`] on the backend `choice` resolves to: the GPU kernel `ris_phase_vjp`
/// (one work item per element term, the host sums each element's terms) or the CPU.
/// The GPU path forms `c_f = conj(H̄_f) e^{−j2πfτ₀}` in f64 and sends `τ − τ₀`, so the
/// phases survive f32.
pub fn phase_vjp_on(choice: crate::backend::BackendChoice, paths: &Paths, ris: usize, frequencies_hz: &[f64], cotangents: &[Complex]) -> Result<Vec<f64>> {
    match crate::backend::resolve(choice)? {
        crate::backend::Backend::Cpu => phase_vjp(paths, ris, frequencies_hz, cotangents),
        #[cfg(feature = "gpu")]
        crate::backend::Backend::Gpu(ctx) => {
            let (gamma, terms) = vjp_terms(paths, ris, frequencies_hz, cotangents)?;
            let tau0 = terms.iter().map(|t| t.tau).fold(f64::INFINITY, f64::min);
            let packed: Vec<rftwin_gpu::field::RisTermGpu> = terms
                .iter()
                .map(|t| {
                    let g = gamma[t.element as usize];
                    rftwin_gpu::field::RisTermGpu { b: [t.b.re as f32, t.b.im as f32], gamma: [g.re as f32, g.im as f32], dtau: (t.tau - tau0) as f32, pad: [0.0; 3] }
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
            for (t, g) in terms.iter().zip(per_term) {
                grad[t.element as usize] += g as f64;
            }
            Ok(grad)
        }
    }
}
