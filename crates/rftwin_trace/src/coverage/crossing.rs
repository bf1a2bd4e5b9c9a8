//! Crossings: where along a scan line a path family is born or dies (bisection), which
//! constraint switches there, and that constraint in dual numbers, from which the
//! crossing's velocity `∂x*/∂θ = −(∂c/∂θ)/(∂c/∂x)` follows.

use super::scan_line::ScanLine;
use super::{Context, Family};
use crate::error::Result;
use crate::paths::gradients::{path_points, GradientParam, Perturbation};
use crate::paths::image_method::{trace_chain, ChainFailure, ResolvedChain};
use crate::scene_geometry::SceneGeometry;
use crate::tolerance;
use glam::DVec3;
use rftwin_core::dual::{Dual, V3};

/// The switching constraint at a crossing.
#[derive(Debug, Clone, Copy)]
pub(super) enum Constraint {
    /// Interaction `step`'s point crosses edge `(a, b)` of triangle `tri`, its face.
    Edge { step: usize, a: DVec3, b: DVec3, tri: usize },
    /// Path point `point` (0 the source, the last the receiver) crosses the plane of
    /// triangle `tri`.
    Plane { point: usize, tri: usize },
    /// Segment `segment` (path point `segment` to `segment + 1`, point 0 the source)
    /// touches edge `(a, b)` of triangle `tri`.
    Grazed { segment: usize, a: DVec3, b: DVec3, tri: usize },
}

impl ScanLine<'_, '_> {
    /// Bisects `[xa, xb]` for the point `x*` where `family` switches (`valid_a` at
    /// `xa`); returns `x*`, the power there on the valid side and, with `boundary`,
    /// `(P(x*⁻) − P(x*⁺)) ∂x*/∂θ` (`None` if the switching constraint cannot be
    /// identified); `None` altogether if the bisection does not settle.
    #[allow(clippy::type_complexity)]
    pub(super) fn crossing(&self, family: &Family, [xa, xb]: [f64; 2], valid_a: bool) -> Result<Option<(f64, f64, Option<Vec<f64>>)>> {
        let (y, z, boundary) = (self.y, self.z, self.boundary);
        let (mut v, mut i) = if valid_a { (xa, xb) } else { (xb, xa) };
        for _ in 0..tolerance::BISECTION_STEPS {
            let mid = 0.5 * (v + i);
            if mid == v || mid == i {
                break;
            }
            if self.ctx.valid(family, mid, y, z).is_some() {
                v = mid;
            } else {
                i = mid;
            }
        }
        let Some(resolved) = self.ctx.valid(family, v, y, z) else { return Ok(None) };
        let x_star = 0.5 * (v + i);
        let p = self.ctx.power(&resolved, DVec3::new(v, y, z));
        let (Some(param), true) = (self.ctx.param, boundary) else { return Ok(Some((x_star, p, None))) };
        let Some(constraint) = self.ctx.diagnose(family, &resolved, DVec3::new(v, y, z), DVec3::new(i, y, z)) else { return Ok(Some((x_star, p, None))) };
        let f = self.ctx.solver.options.frequency_hz;
        let rx = DVec3::new(x_star, y, z);
        let c_theta = self.ctx.constraint_value(&resolved, constraint, &Perturbation::new(self.ctx.scene, f, self.ctx.tx.position, rx, param)?);
        let c_x = self.ctx.constraint_value(&resolved, constraint, &Perturbation::new(self.ctx.scene, f, self.ctx.tx.position, rx, &GradientParam::RxPosition)?);
        let dcdx = c_x.d[0];
        let scale = c_x.d.iter().map(|d| d.abs()).sum::<f64>();
        if dcdx.is_nan() || dcdx.abs() <= tolerance::STATIONARY_CONSTRAINT_REL * scale + 1e-300 {
            return Ok(Some((x_star, p, None)));
        }
        // valid on the left of x* (v < i): the family's power leaves at x*⁺
        let jump = if v < i { p } else { -p };
        Ok(Some((x_star, p, Some((0..param.components()).map(|c| -jump * c_theta.d[c] / dcdx).collect()))))
    }
}

impl Context<'_> {
    /// Which constraint fails at receiver `rx_invalid` just past the crossing: the
    /// failure [`trace_chain`] reports there, read as an edge, plane or grazing constraint.
    pub(super) fn diagnose(&self, family: &Family, valid: &ResolvedChain, rx_valid: DVec3, rx_invalid: DVec3) -> Option<Constraint> {
        let geom = self.geom;
        let k = family.len();
        // a face sweeping over the receiver (it enters or leaves an object): a face
        // between the receiver just before and just after the crossing
        let step = rx_invalid - rx_valid;
        let span = step.length();
        if span > 0.0 {
            let reach = tolerance::SAME_HIT_REL * geom.scale + 2.0 * span;
            let dir = step / span;
            if let Some(h) = geom.closest_hit(rx_invalid - dir * reach, dir, 0.0, 2.0 * reach, None) {
                return Some(Constraint::Plane { point: k + 1, tri: h.triangle as usize });
            }
        }
        let faces: Vec<u32> = family.iter().map(|f| f.1).collect();
        let failure = trace_chain(geom, &Self::chain(family), Some(&faces), self.tx.position, rx_invalid).err()?;
        match failure {
            ChainFailure::Degenerate { .. } => None,
            ChainFailure::SourceHidden { from, previous } => {
                let delta = self.tx.position - from;
                let dist = delta.length();
                let eps = geom.eps();
                let h = geom.closest_hit(from, delta / dist, eps, dist - eps, previous)?;
                let (a, b) = nearest_edge(geom, h.triangle as usize, from + delta / dist * h.t)?;
                Some(Constraint::Grazed { segment: 0, a, b, tri: h.triangle as usize })
            }
            ChainFailure::MissedSurface { step: j, from, dir, hit, plane_t, previous } => {
                let t_plane = plane_t.unwrap_or(f64::INFINITY);
                let (n, _) = geom.planes[faces[j] as usize];
                let tol = tolerance::SAME_HIT_REL * geom.scale;
                match hit {
                    Some(h) if (h.t - t_plane).abs() <= tol && geom.normals[h.triangle as usize].dot(n).abs() > 1.0 - tolerance::PARALLEL_COS => {
                        // another object's face in the same plane covers the point (a
                        // building's floor on the ground): the point crosses its border
                        let (a, b) = nearest_edge(geom, h.triangle as usize, from + dir * h.t)?;
                        Some(Constraint::Edge { step: j, a, b, tri: h.triangle as usize })
                    }
                    Some(h) if h.t < t_plane => {
                        // blocked before the face: the segment from vertex j to `from`
                        // (point indices j + 1 and j + 2)
                        let (a, b) = nearest_edge(geom, h.triangle as usize, from + dir * h.t)?;
                        Some(Constraint::Grazed { segment: j + 1, a, b, tri: h.triangle as usize })
                    }
                    _ => {
                        let tri_v = valid.triangles[j] as usize;
                        let q = from + dir * t_plane;
                        if let (true, Some(prev)) = (inside(geom, tri_v, q), previous) {
                            // still on its face, but the way there passes through the
                            // face of the next interaction (a corner where two faces
                            // meet): the point crosses that face's plane
                            return Some(Constraint::Plane { point: j + 1, tri: prev as usize });
                        }
                        // the point left its face: the edge of its triangle it crossed
                        let (a, b) = nearest_edge(geom, tri_v, q)?;
                        Some(Constraint::Edge { step: j, a, b, tri: tri_v })
                    }
                }
            }
        }
    }
    /// The constraint's value `c` (zero at the crossing) in the perturbation's dual
    /// numbers, along the valid side's interactions.
    pub(super) fn constraint_value(&self, valid: &ResolvedChain, constraint: Constraint, pert: &Perturbation) -> Dual<3> {
        let geom = self.geom;
        let planes: Vec<(V3<Dual<3>>, Dual<3>, bool)> = valid
            .triangles
            .iter()
            .zip(&valid.refraction)
            .map(|(&t, &refr)| {
                let (n, off) = pert.plane(geom, t as usize);
                (n, off, refr)
            })
            .collect();
        let points = path_points(&planes, pert.tx_p, pert.rx_p);
        match constraint {
            Constraint::Edge { step, a, b, tri } => {
                let (ea, eb) = (pert.point(geom, a, tri), pert.point(geom, b, tri));
                let n = pert.plane(geom, tri).0;
                eb.minus(ea).cross(points[step + 1].minus(ea)).dot(n)
            }
            Constraint::Plane { point, tri } => {
                let (n, off) = pert.plane(geom, tri);
                n.dot(points[point]) - off
            }
            Constraint::Grazed { segment, a, b, tri } => {
                let (ea, eb) = (pert.point(geom, a, tri), pert.point(geom, b, tri));
                let (p, q) = (points[segment], points[segment + 1]);
                q.minus(p).dot(ea.minus(p).cross(eb.minus(p)))
            }
        }
    }
}

/// Whether point `p` of triangle `tri`'s plane lies in it, clear of its edges (every
/// barycentric coordinate above 1e-6).
fn inside(geom: &SceneGeometry, tri: usize, p: DVec3) -> bool {
    let [v0, v1, v2] = geom.triangles[tri];
    let [b1, b2] = crate::scene_geometry::barycentric(p, v0, v1, v2);
    let m = tolerance::INSIDE_BARYCENTRIC;
    b1 > m && b2 > m && 1.0 - b1 - b2 > m
}

/// The edge of triangle `tri` nearest to point `p` in it (opposite its smallest
/// barycentric coordinate).
fn nearest_edge(geom: &SceneGeometry, tri: usize, p: DVec3) -> Option<(DVec3, DVec3)> {
    let [v0, v1, v2] = geom.triangles[tri];
    let [b1, b2] = crate::scene_geometry::barycentric(p, v0, v1, v2);
    let b = [1.0 - b1 - b2, b1, b2];
    if !b.iter().all(|x| x.is_finite()) {
        return None;
    }
    let k = (0..3).min_by(|&i, &j| b[i].total_cmp(&b[j]))?;
    let v = [v0, v1, v2];
    Some((v[(k + 1) % 3], v[(k + 2) % 3]))
}
