//! Interior gradients of channel paths (solver A) by forward-mode dual numbers.
//!
//! The discrete part of a solve — which triangles each path touches — is not
//! differentiated. Each path is re-evaluated as a smooth function of the parameters:
//! source images in the (moving) mirror planes, vertices by back-tracing from the
//! receiver through every interaction plane (reflections and refractions alike), then
//! delay and field coefficient through the same generic code as the solver
//! ([`crate::physics::field::path_coefficient_generic`]) in [`Dual`] numbers. The result is exact
//! for the interior term; paths appearing or disappearing (visibility boundaries) are
//! the boundary term, which this module does not include.
//!
//! Parameters (`GradientParam::parse` accepts these names):
//! `object/<name>/translation` (3), `object/<name>/rotation` (3, radians about the
//! vertex centroid), `object/<name>/scale` (3, about the vertex centroid),
//! `tx/position` (3), `rx/position` (3),
//! `material/<name>/eps_r` (1), `material/<name>/sigma` (1),
//! `material/<name>/thickness` (1), `ris/<name>/translation` (3), `ris/<name>/rotation`
//! (3, radians about the RIS centre; paths through a RIS, [`crate::paths::ris`]).

mod perturbation;
mod reevaluation;
mod vertices;

pub(crate) use perturbation::Perturbation;
pub use reevaluation::{path_gradients, PathGradients};
pub(crate) use reevaluation::{path_points, reevaluate_path, Reevaluation};
pub use vertices::{path_vertex_gradients, VertexGradient, VertexPathGradients};

use crate::error::{Result, TraceError};
use rftwin_core::dual::{Dual, Real, V3};
use rftwin_core::SlabComponent;

type D = Dual<3>;

/// A differentiable scene parameter.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GradientParam {
    /// Translation (x, y, z) \[m\] of the named object.
    ObjectTranslation(String),
    /// Rotation (α, β, γ) \[rad\] of the named object about its vertex centroid,
    /// `R = Rz(γ) Ry(β) Rx(α)`, differentiated at zero.
    ObjectRotation(String),
    /// Scale factors (x, y, z) of the named object about its vertex centroid,
    /// differentiated at one.
    ObjectScale(String),
    /// Transmitter position \[m\].
    TxPosition,
    /// Receiver position \[m\].
    RxPosition,
    /// Relative permittivity εr of the named material.
    MaterialEpsR(String),
    /// Conductivity σ [S/m] of the named material.
    MaterialSigma(String),
    /// Slab thickness d \[m\] of the named material.
    MaterialThickness(String),
    /// Translation (x, y, z) \[m\] of the named RIS (paths through it).
    RisTranslation(String),
    /// Rotation (α, β, γ) \[rad\] of the named RIS about its centre, as
    /// [`PoseKind::Rotation`].
    RisRotation(String),
}

impl GradientParam {
    /// The object and pose kind of an object pose parameter.
    pub fn pose(&self) -> Option<(&str, PoseKind)> {
        match self {
            GradientParam::ObjectTranslation(n) => Some((n, PoseKind::Translation)),
            GradientParam::ObjectRotation(n) => Some((n, PoseKind::Rotation)),
            GradientParam::ObjectScale(n) => Some((n, PoseKind::Scale)),
            _ => None,
        }
    }

    /// The slab-model component this parameter varies, if it is a material parameter.
    pub fn slab_component(&self) -> Option<SlabComponent> {
        match self {
            GradientParam::MaterialEpsR(_) => Some(SlabComponent::EpsR),
            GradientParam::MaterialSigma(_) => Some(SlabComponent::Sigma),
            GradientParam::MaterialThickness(_) => Some(SlabComponent::Thickness),
            _ => None,
        }
    }

    /// Parses `object/<name>/translation`, `tx/position`, `rx/position`,
    /// `material/<name>/eps_r`, `material/<name>/sigma` or `material/<name>/thickness`.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || TraceError::InvalidInput {
            name: "gradient parameter",
            message: format!(
                "'{s}' is not one of object/<name>/translation, object/<name>/rotation, object/<name>/scale, tx/position, rx/position, material/<name>/eps_r, material/<name>/sigma, material/<name>/thickness, ris/<name>/translation, ris/<name>/rotation"
            ),
        };
        if s == "tx/position" {
            return Ok(GradientParam::TxPosition);
        }
        if s == "rx/position" {
            return Ok(GradientParam::RxPosition);
        }
        if let Some(rest) = s.strip_prefix("ris/") {
            if let Some(n) = rest.strip_suffix("/translation").filter(|n| !n.is_empty()) {
                return Ok(GradientParam::RisTranslation(n.into()));
            }
            if let Some(n) = rest.strip_suffix("/rotation").filter(|n| !n.is_empty()) {
                return Ok(GradientParam::RisRotation(n.into()));
            }
            return Err(bad());
        }
        if let Some(rest) = s.strip_prefix("object/") {
            for (suffix, make) in [
                ("/translation", GradientParam::ObjectTranslation as fn(String) -> GradientParam),
                ("/rotation", GradientParam::ObjectRotation),
                ("/scale", GradientParam::ObjectScale),
            ] {
                if let Some(n) = rest.strip_suffix(suffix).filter(|n| !n.is_empty()) {
                    return Ok(make(n.into()));
                }
            }
            return Err(bad());
        }
        if let Some(rest) = s.strip_prefix("material/") {
            if let Some(n) = rest.strip_suffix("/eps_r").filter(|n| !n.is_empty()) {
                return Ok(GradientParam::MaterialEpsR(n.into()));
            }
            if let Some(n) = rest.strip_suffix("/sigma").filter(|n| !n.is_empty()) {
                return Ok(GradientParam::MaterialSigma(n.into()));
            }
            if let Some(n) = rest.strip_suffix("/thickness").filter(|n| !n.is_empty()) {
                return Ok(GradientParam::MaterialThickness(n.into()));
            }
        }
        Err(bad())
    }

    /// The parameter's name as [`GradientParam::parse`] reads it.
    pub fn name(&self) -> String {
        match self {
            GradientParam::ObjectTranslation(n) => format!("object/{n}/translation"),
            GradientParam::ObjectRotation(n) => format!("object/{n}/rotation"),
            GradientParam::ObjectScale(n) => format!("object/{n}/scale"),
            GradientParam::TxPosition => "tx/position".into(),
            GradientParam::RxPosition => "rx/position".into(),
            GradientParam::MaterialEpsR(n) => format!("material/{n}/eps_r"),
            GradientParam::MaterialSigma(n) => format!("material/{n}/sigma"),
            GradientParam::MaterialThickness(n) => format!("material/{n}/thickness"),
            GradientParam::RisTranslation(n) => format!("ris/{n}/translation"),
            GradientParam::RisRotation(n) => format!("ris/{n}/rotation"),
        }
    }

    /// Number of scalar components.
    pub fn components(&self) -> usize {
        match self {
            GradientParam::MaterialEpsR(_) | GradientParam::MaterialSigma(_) | GradientParam::MaterialThickness(_) => 1,
            _ => 3,
        }
    }
}

/// How an object pose parameter moves the object's vertices, about its vertex centroid
/// ([`pose_pivot`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoseKind {
    /// `x' = x + t`.
    Translation,
    /// `x' = c + R (x − c)`, `R = Rz(γ) Ry(β) Rx(α)`.
    Rotation,
    /// `x' = c + diag(s) (x − c)`.
    Scale,
}

impl PoseKind {
    /// The pose parameters at which the object is unmoved (zero, or unit scale).
    pub fn identity(self) -> [f64; 3] {
        match self {
            PoseKind::Scale => [1.0; 3],
            _ => [0.0; 3],
        }
    }

    /// `x' − c` for the vertex offset `r = x − c` under pose parameters `theta`, over any
    /// [`Real`]: the one definition of the pose map, differentiated by the channel-path
    /// gradients (dual numbers in the re-evaluation) and by solver (B)'s
    /// [`crate::scattering::grad::object_gradient`] (its velocity at the identity).
    pub fn apply<T: Real>(self, r: V3<T>, theta: [T; 3]) -> V3<T> {
        match self {
            PoseKind::Translation => r.plus(V3(theta)),
            PoseKind::Scale => V3([r.0[0] * theta[0], r.0[1] * theta[1], r.0[2] * theta[2]]),
            PoseKind::Rotation => {
                // R = Rz(γ) Ry(β) Rx(α) applied as Rx, then Ry, then Rz
                let [a, b, g] = theta;
                let [x, y, z] = r.0;
                let (y, z) = (y * a.cos() - z * a.sin(), y * a.sin() + z * a.cos());
                let (x, z) = (x * b.cos() + z * b.sin(), -(x * b.sin()) + z * b.cos());
                let (x, y) = (x * g.cos() - y * g.sin(), x * g.sin() + y * g.cos());
                V3([x, y, z])
            }
        }
    }

    /// `∂x'/∂θ_c` at the identity for a vertex at offset `r` from the pivot, `c = 0, 1, 2`.
    pub fn velocity(self, r: glam::DVec3) -> [glam::DVec3; 3] {
        let id = self.identity();
        let moved = self.apply(V3::<D>::cst(r), [0, 1, 2].map(|c| D::variable(id[c], c)));
        [0, 1, 2].map(|c| glam::DVec3::new(moved.0[0].d[c], moved.0[1].d[c], moved.0[2].d[c]))
    }
}

/// The pivot of an object's pose parameters: its vertex centroid.
pub fn pose_pivot(mesh: &rftwin_core::Mesh) -> glam::DVec3 {
    mesh.vertices.iter().sum::<glam::DVec3>() / mesh.vertices.len().max(1) as f64
}

