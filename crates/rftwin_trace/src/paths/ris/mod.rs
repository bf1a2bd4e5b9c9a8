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
//! for that plane).
//!
//! With `SolverOptions::max_ris_interactions = 2` a path may also meet two RIS
//! interactions, `TX → chain → RIS₁ → middle chain → RIS₂ → chain → RX` (the same RIS
//! twice through at least one object, e.g. a target). The middle chains are shot from
//! just in front of each RIS and resolved per element pair `(m, n)`, leaving `RIS₁` and
//! reaching `RIS₂` from their served sides. The spreading restarts at each RIS:
//! `b_mn = (λ/√(4π)) g₁ g₂ h(a, r_m) h(r_m, r_n) h(r_n, b) P` (element-sum model only;
//! the cost is ∝ M₁ M₂ per chain triple; on the GPU backend the path-field kernel takes
//! the two RIS vertices of a term).
//!
//! Files: `search` finds the families, `profile` evaluates the channel as a function
//! of a profile (affine form, phase VJP), `gradients` differentiates the terms with
//! respect to the scene.
//!
//! The RIS plane occludes: an ordinary path with a segment crossing a RIS rectangle is
//! dropped and counted in `SolveStats::ris_blocked_paths`.


mod gradients;
mod profile;
mod search;

pub(crate) use gradients::{ris_gradients, ris_total_power_gradient};
pub use gradients::{family_derivative, RisTermGradient};
pub use profile::{element_responses, element_sums, phase_vjp, phase_vjp_on};
pub(crate) use search::RisSearch;

use crate::error::{Result, TraceError};
use crate::physics::field::CVec3;
use glam::DVec3;
use rftwin_core::dual::{Real, V3};
use rftwin_core::ris::RisSurface;
use rftwin_core::Paths;


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
        if blocked(rects, &crate::paths::image_method::end_to_end(tx, p.vertices, rx), None, eps) {
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

