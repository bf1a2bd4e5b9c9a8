//! Geometry and material gradients of RIS element terms (dual-number re-evaluation with
//! the interaction sequence fixed) and the chain rule through their delays.

use super::reradiate;
use crate::error::{Result, TraceError};
use crate::physics::field::{apply_interaction, transport, FieldInteraction};
use crate::scene_geometry::SceneGeometry;
use rftwin_core::constants::SPEED_OF_LIGHT;
use rftwin_core::dual::{Dual, Real, V3};
use rftwin_core::paths::{RisPath, RisTerm};
use rftwin_core::ris::RisModel;
use rftwin_core::{Complex, Paths, Radio};
use std::f64::consts::PI;

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
/// formulas as the solve. A two-RIS family's middle leg unfolds from the first element
/// to the second through its own planes, and its spreading restarts at both RIS
/// vertices. A model (b) term re-evaluates its aperture factor at the moved centre and
/// frame (the design directions stay fixed in the world, as the solve takes them).
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
        let surface_of = |s: u32| -> Result<&rftwin_core::ris::RisSurface> { scene.ris().get(s as usize).ok_or_else(|| TraceError::PathsMismatch { path: f, message: format!("RIS {s} is not in the scene") }) };
        let incoming = surfaces(&family.incoming, &family.incoming_primitives, &family.incoming_refraction)?;
        let outgoing = surfaces(&family.outgoing, &family.outgoing_primitives, &family.outgoing_refraction)?;
        // chain order from the receiver: the outgoing surfaces reversed
        let from_rx: Vec<&LegSurface> = outgoing.iter().rev().collect();
        let from_tx: Vec<&LegSurface> = incoming.iter().collect();
        let first = RisVertex::new(family.ris, surface_of(family.ris)?, moved);
        // a two-RIS family: the second RIS and the middle leg's surfaces (from the first RIS)
        let second = match &family.second {
            Some(s) => Some((RisVertex::new(s.ris, surface_of(s.ris)?, moved), surfaces(&s.middle, &s.middle_primitives, &s.middle_refraction)?)),
            None => None,
        };
        if second.is_some() && [Some(&first), second.as_ref().map(|(v, _)| v)].iter().flatten().any(|v| v.surface.model != RisModel::ElementSum) {
            return Err(unsupported("a path through two RIS interactions needs the element-sum model"));
        }
        let middle: Vec<&LegSurface> = second.iter().flat_map(|(_, m)| m.iter()).collect();
        let ris_vertices = 1 + usize::from(second.is_some());
        let gain = first.surface.element_gain(lambda) * second.as_ref().map_or(1.0, |(v, _)| v.surface.element_gain(lambda));
        let scale = lambda / (4.0 * PI) * gain / (4.0 * PI).sqrt().powi(ris_vertices as i32);
        let mut grads = Vec::with_capacity(family.terms.len());
        for t in &family.terms {
            let r = first.element(t.element, f)?;
            let (in_vertices, in_image) = unfold(tx_p, &from_tx, r);
            let mut points = vec![tx_p];
            points.extend(in_vertices);
            points.push(r);
            let mut inters: Vec<Option<&FieldInteraction<D>>> = incoming.iter().map(|s| Some(&s.interaction)).chain(std::iter::once(None)).collect();
            let mut lengths = vec![r.minus(in_image).length()];
            // the last RIS vertex: the outgoing leg starts there
            let mut last = r;
            if let Some((vertex, middle_surfaces)) = &second {
                let n = t.second_element.ok_or_else(|| TraceError::PathsMismatch { path: f, message: format!("a two-RIS family's term of element {} has no second element", t.element) })?;
                let r2 = vertex.element(n, f)?;
                let (mid_vertices, mid_image) = unfold(r, &middle, r2);
                lengths.push(r2.minus(mid_image).length());
                points.extend(mid_vertices);
                points.push(r2);
                inters.extend(middle_surfaces.iter().map(|s| Some(&s.interaction)).chain(std::iter::once(None)));
                last = r2;
            }
            let (mut out_vertices, out_image) = unfold(rx_p, &from_rx, last);
            out_vertices.reverse();
            lengths.push(last.minus(out_image).length());
            // model (b): the aperture factor toward the images of both ends
            let aperture = match first.surface.model {
                RisModel::ElementSum => D::constant(1.0),
                RisModel::PhaseGradient { from, to } => first.aperture([from, to], [in_image, out_image], 2.0 * PI / lambda),
            };
            points.extend(out_vertices);
            points.push(rx_p);
            inters.extend(outgoing.iter().map(|s| Some(&s.interaction)));
            let tau = lengths.iter().fold(D::constant(0.0), |acc, &l| acc + l) / D::constant(SPEED_OF_LIGHT);
            let pol = transport(&points, &tx.antenna, &rx.antenna, |k, e, k_i, k_o| match inters[k] {
                Some(inter) => apply_interaction(e, k_i, k_o, inter, lambda),
                None => reradiate(e, k_i, k_o),
            });
            // the spreading restarts at every RIS vertex: 1/(L₁ L₂ [L₃])
            let spreading = D::constant(scale) * aperture / lengths.iter().fold(D::constant(1.0), |acc, &l| acc * l);
            let (b_re, b_im) = (pol.re * spreading, pol.im * spreading);
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

/// A RIS vertex of a family in dual numbers: its element positions move with the RIS
/// when the RIS is the parameter (`r_m = c + t + R(r_m − c)`).
struct RisVertex<'s> {
    surface: &'s rftwin_core::ris::RisSurface,
    positions: Vec<glam::DVec3>,
    /// The pose component that moves it, if any.
    moved: Option<crate::paths::gradients::PoseKind>,
}

impl<'s> RisVertex<'s> {
    fn new(index: u32, surface: &'s rftwin_core::ris::RisSurface, moved: Option<(usize, crate::paths::gradients::PoseKind)>) -> Self {
        let moved = moved.and_then(|(s, kind)| (s == index as usize).then_some(kind));
        RisVertex { surface, positions: surface.positions(), moved }
    }

    /// Element `m`'s position, or the centre for a model (b) term (family `f` for errors).
    fn element(&self, m: u32, f: usize) -> Result<V3<Dual<3>>> {
        let r0 = if m == RisTerm::SURFACE {
            self.surface.centre
        } else {
            *self.positions.get(m as usize).ok_or_else(|| TraceError::PathsMismatch { path: f, message: format!("element {m} of a RIS of {}", self.positions.len()) })?
        };
        Ok(self.moving(r0))
    }

    /// A point fixed on the surface, moving with it.
    fn moving(&self, r0: glam::DVec3) -> V3<Dual<3>> {
        let centre = self.surface.centre;
        match self.moved {
            Some(kind) => V3::<Dual<3>>::cst(centre).plus(kind.apply(V3::<Dual<3>>::cst(r0 - centre), Self::variables(kind))),
            None => V3::cst(r0),
        }
    }

    fn variables(kind: crate::paths::gradients::PoseKind) -> [Dual<3>; 3] {
        let id = kind.identity();
        [0, 1, 2].map(|c| Dual::variable(id[c], c))
    }

    /// Model (b)'s aperture factor `M sinc(k q·u_y L_y/2) sinc(k q·u_z L_z/2)` of
    /// [`RisSurface::phase_gradient_leg`](rftwin_core::ris::RisSurface::phase_gradient_leg)
    /// toward the apparent ends `images`, with the frame turning with the surface (the
    /// design directions stay fixed in the world, as the solve takes them).
    fn aperture(&self, [from, to]: [glam::DVec3; 2], images: [V3<Dual<3>>; 2], k: f64) -> Dual<3> {
        type D = Dual<3>;
        let centre = self.moving(self.surface.centre);
        let (uy, uz, _) = self.surface.frame();
        let axis = |u: glam::DVec3| match self.moved {
            Some(kind @ crate::paths::gradients::PoseKind::Rotation) => kind.apply(V3::<D>::cst(u), Self::variables(kind)),
            _ => V3::cst(u),
        };
        let q = images[0].minus(centre).normalize().plus(images[1].minus(centre).normalize()).minus(V3::cst(from.normalize() + to.normalize()));
        let sinc = |x: D| if x.value().abs() < 1e-12 { D::constant(1.0) } else { x.sin() / x };
        let [ly, lz] = self.surface.size();
        let along = |u: glam::DVec3, side: f64| sinc(q.dot(axis(u)) * D::constant(k * side / 2.0));
        D::constant(self.surface.count() as f64) * along(uy, ly) * along(uz, lz)
    }
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

