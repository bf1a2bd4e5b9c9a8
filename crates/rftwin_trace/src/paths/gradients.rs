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
//! `material/<name>/thickness` (1).

use crate::error::{Result, TraceError};
use crate::paths::diffraction::{diffracted_path_coefficient, PathInteraction};
use crate::scene_geometry::wedges::{exterior_angle, wedge_at, Wedge};
use crate::physics::field::{path_coefficient_generic, FieldInteraction};
use crate::physics::utd::{keller_parameter, WedgeFrame, WedgeMaterial};
use crate::scene_geometry::SceneGeometry;
use num_complex::Complex as C;
use rftwin_core::constants::{wavelength, SPEED_OF_LIGHT};
use rftwin_core::dual::{Dual, Real, V3};
use rftwin_core::{Complex, InteractionType, Paths, Radio, Scene, SlabComponent};
use std::f64::consts::PI;

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
                "'{s}' is not one of object/<name>/translation, object/<name>/rotation, object/<name>/scale, tx/position, rx/position, material/<name>/eps_r, material/<name>/sigma, material/<name>/thickness"
            ),
        };
        if s == "tx/position" {
            return Ok(GradientParam::TxPosition);
        }
        if s == "rx/position" {
            return Ok(GradientParam::RxPosition);
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

/// Derivatives of every path's delay, coefficient and power, and of the total power,
/// with respect to one parameter (`components` columns each).
#[derive(Debug, Clone, PartialEq)]
pub struct PathGradients {
    /// The parameter.
    pub param: GradientParam,
    /// Number of components (1 or 3).
    pub components: usize,
    /// `∂τ_i/∂θ_c` [s per parameter unit], one row per path.
    pub tau: Vec<Vec<f64>>,
    /// `∂a_i/∂θ_c` as `∂Re a/∂θ + j ∂Im a/∂θ`.
    pub a: Vec<Vec<Complex>>,
    /// `∂|a_i|²/∂θ_c`.
    pub power: Vec<Vec<f64>>,
    /// `∂(Σ_i |a_i|²)/∂θ_c`.
    pub total_power: Vec<f64>,
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

fn dvec(v: glam::DVec3, variable: bool) -> V3<D> {
    if variable {
        V3([D::variable(v.x, 0), D::variable(v.y, 1), D::variable(v.z, 2)])
    } else {
        V3::cst(v)
    }
}

/// A scene parameter as dual numbers: the moved object's vertices and planes, the
/// materials' η and thicknesses, the end points — each with the parameter's components
/// as variables `0..components`.
pub(crate) struct Perturbation {
    param: GradientParam,
    moved_object: Option<u32>,
    pivot: glam::DVec3,
    /// `(η, thickness)` per material.
    pub(crate) etas: Vec<(C<D>, D)>,
    pub(crate) tx_p: V3<D>,
    pub(crate) rx_p: V3<D>,
}

impl Perturbation {
    pub(crate) fn new(scene: &Scene, frequency_hz: f64, tx: glam::DVec3, rx: glam::DVec3, param: &GradientParam) -> Result<Self> {
        let f = frequency_hz;
        let moved_object = match param {
            GradientParam::ObjectTranslation(n) | GradientParam::ObjectRotation(n) | GradientParam::ObjectScale(n) => Some(scene.object_index(n)? as u32),
            _ => None,
        };
        let pivot = moved_object.map_or(glam::DVec3::ZERO, |o| pose_pivot(&scene.objects()[o as usize].mesh));
        let material_param = match param {
            GradientParam::MaterialEpsR(n) | GradientParam::MaterialSigma(n) | GradientParam::MaterialThickness(n) => {
                Some(scene.find_material(n)?)
            }
            _ => None,
        };
        // η of every material, with the requested component as variable 0.
        let varied = param.slab_component();
        let etas: Vec<(C<D>, D)> = scene.slab_table_with(f, |i, c, v| {
            if material_param == Some(i) && varied == Some(c) {
                D::variable(v, 0)
            } else {
                D::constant(v)
            }
        })?;
        let tx_p = dvec(tx, *param == GradientParam::TxPosition);
        let rx_p = dvec(rx, *param == GradientParam::RxPosition);
        Ok(Perturbation { param: param.clone(), moved_object, pivot, etas, tx_p, rx_p })
    }

    /// `x' = c + M (x − c) + t` for a vertex of the moved object.
    fn transform(&self, v: glam::DVec3) -> V3<D> {
        let Some((_, kind)) = self.param.pose() else { return V3::cst(v) };
        let id = kind.identity();
        let moved = kind.apply(V3::<D>::cst(v - self.pivot), [0, 1, 2].map(|c| D::variable(id[c], c)));
        V3::<D>::cst(self.pivot).plus(moved)
    }

    /// Point `p` of triangle `tri`, moving with the triangle's object.
    pub(crate) fn point(&self, geom: &SceneGeometry, p: glam::DVec3, tri: usize) -> V3<D> {
        if self.moved_object == Some(geom.object[tri]) {
            self.transform(p)
        } else {
            V3::cst(p)
        }
    }

    /// Unit normal and offset of triangle `tri`'s plane.
    pub(crate) fn plane(&self, geom: &SceneGeometry, tri: usize) -> (V3<D>, D) {
        if self.moved_object == Some(geom.object[tri]) {
            let [v0, v1, v2] = geom.triangles[tri].map(|v| self.transform(v));
            let n = v1.minus(v0).cross(v2.minus(v0)).normalize();
            (n, n.dot(v0))
        } else {
            constant_plane(geom, tri)
        }
    }
}

/// Interior gradients of `paths` (solved from `scene` / `geom` with `tx`, `rx`) with
/// respect to `param`.
pub fn path_gradients(scene: &Scene, geom: &SceneGeometry, paths: &Paths, tx: &Radio, rx: &Radio, param: &GradientParam) -> Result<PathGradients> {
    let lambda = wavelength(paths.frequency_hz);
    let pert = Perturbation::new(scene, paths.frequency_hz, tx.position, rx.position, param)?;
    let re = Reevaluation { etas: &pert.etas, geom, ends: [pert.tx_p, pert.rx_p], radios: [tx, rx], lambda };
    let nc = param.components();
    let mut out = PathGradients { param: param.clone(), components: nc, tau: Vec::new(), a: Vec::new(), power: Vec::new(), total_power: vec![0.0; nc] };
    let plane = |tri: usize| pert.plane(geom, tri);
    for i in 0..paths.num_paths() {
        let (tau, a) = if paths.path(i).interactions.contains(&InteractionType::Diffraction) {
            let d = diffracted_path_layout(paths, i, geom)?;
            let point = |p: glam::DVec3, tri: usize| pert.point(geom, p, tri);
            reevaluate_diffracted_path(&d, plane, point, &re)
        } else {
            let tris = path_triangles(paths, i, geom)?;
            reevaluate_path(&tris, plane, &re)
        };
        check_reevaluation(paths, i, tau.v, C::new(a.re.v, a.im.v))?;
        let power = a.re * a.re + a.im * a.im;
        out.tau.push(tau.d[..nc].to_vec());
        out.a.push((0..nc).map(|c| Complex::new(a.re.d[c], a.im.d[c])).collect());
        out.power.push(power.d[..nc].to_vec());
        for c in 0..nc {
            out.total_power[c] += power.d[c];
        }
    }
    Ok(out)
}

/// A solved diffracted path as its re-evaluation needs it.
struct Diffracted {
    /// Global triangle of each interaction (a face of the wedge for the diffraction).
    triangles: Vec<u32>,
    /// Index of the diffraction among the interactions.
    position: usize,
    wedge: Wedge,
}

/// The interactions of diffracted path `i` and its wedge.
fn diffracted_path_layout(paths: &Paths, i: usize, geom: &SceneGeometry) -> Result<Diffracted> {
    let p = paths.path(i);
    let bad = |m: String| TraceError::InvalidInput { name: "paths", message: format!("path {i}: {m}") };
    let mut triangles = Vec::with_capacity(p.interactions.len());
    let mut position = None;
    for k in 0..p.interactions.len() {
        let tri = interaction_triangle(paths, i, k, geom)?;
        match p.interactions[k] {
            InteractionType::Specular => {}
            InteractionType::Diffraction if position.is_none() => position = Some(k),
            other => return Err(TraceError::UnsupportedGradient { param: "any".into(), output: format!("diffracted path {i}"), reason: format!("diffracted paths with {} interactions are not supported", other.name()) }),
        }
        triangles.push(tri as u32);
    }
    let position = position.ok_or_else(|| bad("no diffraction".into()))?;
    let wedge = wedge_at(geom, triangles[position], p.vertices[position])
        .ok_or_else(|| TraceError::PathsMismatch { path: i, message: "its diffraction point lies on no wedge of this scene".into() })?;
    Ok(Diffracted { triangles, position, wedge })
}

/// Vertices of a specular chain traced back from `start` towards its far end: `planes`
/// in order from `start` outwards, `images[j]` the far end mirrored in the first `j`
/// planes counted from the far end (so `images[planes.len()]` is the image the first
/// segment aims at; a refraction leaves the image unchanged).
fn back_trace<const N: usize>(start: V3<Dual<N>>, planes: &[(V3<Dual<N>>, Dual<N>)], images: &[V3<Dual<N>>]) -> Vec<V3<Dual<N>>> {
    let mut cur = start;
    let mut out = Vec::with_capacity(planes.len());
    for (k, (n, off)) in planes.iter().enumerate() {
        let dir = images[planes.len() - k].minus(cur);
        cur = cur.plus(dir.scale((*off - n.dot(cur)) / n.dot(dir)));
        out.push(cur);
    }
    out
}

/// Mirror image of `p` in the plane `(n, d)`.
fn mirror<const N: usize>(p: V3<Dual<N>>, n: V3<Dual<N>>, d: Dual<N>) -> V3<Dual<N>> {
    p.minus(n.scale((n.dot(p) - d) * Dual::constant(2.0)))
}

/// Delay and coefficient of a diffracted path with its interaction sequence and wedge
/// fixed, as a smooth function of the planes, the wedge's edge and faces, the
/// materials and the end points: source image and target image in the mirror planes,
/// Keller point on the (moving) edge, both specular legs back-traced from it, then
/// [`diffracted_path_coefficient`].
fn reevaluate_diffracted_path<const N: usize>(
    d: &Diffracted,
    plane: impl Fn(usize) -> (V3<Dual<N>>, Dual<N>),
    // a vertex of triangle `tri` (the edge's end points are vertices of face 0)
    point: impl Fn(glam::DVec3, usize) -> V3<Dual<N>>,
    re: &Reevaluation<N>,
) -> (Dual<N>, C<Dual<N>>) {
    let Reevaluation { etas, geom, ends: [tx_p, rx_p], radios: [tx, rx], lambda } = *re;
    let pre: Vec<usize> = d.triangles[..d.position].iter().map(|&t| t as usize).collect();
    let post: Vec<usize> = d.triangles[d.position + 1..].iter().map(|&t| t as usize).collect();
    let planes_pre: Vec<(V3<Dual<N>>, Dual<N>)> = pre.iter().map(|&t| plane(t)).collect();
    let planes_post: Vec<(V3<Dual<N>>, Dual<N>)> = post.iter().map(|&t| plane(t)).collect();
    // images of the transmitter through the reflections before the edge, of the
    // receiver through those after it (last first)
    let mut tx_images = vec![tx_p];
    for (n, off) in &planes_pre {
        tx_images.push(mirror(tx_images[tx_images.len() - 1], *n, *off));
    }
    let mut rx_images = vec![rx_p];
    for (n, off) in planes_post.iter().rev() {
        rx_images.push(mirror(rx_images[rx_images.len() - 1], *n, *off));
    }
    // the wedge, moving with its object
    let wedge = &d.wedge;
    let [f0, fn_] = wedge.faces.map(|t| t as usize);
    let a = point(wedge.origin, f0);
    let b = point(wedge.end, f0);
    let edge = b.minus(a).normalize();
    let n0 = plane(f0).0;
    let (nn, n) = if f0 == fn_ {
        (n0.scale(-Dual::constant(1.0)), Dual::constant(2.0))
    } else {
        let nn = plane(fn_).0;
        let [c0, c1, c2] = geom.triangles[fn_].map(|v| point(v, fn_));
        let centroid = c0.plus(c1).plus(c2).scale(Dual::constant(1.0 / 3.0));
        (nn, exterior_angle(edge, n0, centroid.minus(a)) / Dual::constant(PI))
    };
    let s_img = tx_images[tx_images.len() - 1];
    let r_img = rx_images[rx_images.len() - 1];
    let t = keller_parameter(a, edge, s_img, r_img).unwrap_or(Dual::constant(0.0));
    let q = a.plus(edge.scale(t));
    // both legs back-traced from the edge
    let pre_rev: Vec<(V3<Dual<N>>, Dual<N>)> = planes_pre.iter().rev().copied().collect();
    let mut pre_verts = back_trace(q, &pre_rev, &tx_images);
    pre_verts.reverse();
    let post_verts = back_trace(q, &planes_post, &rx_images);
    let mut points = vec![tx_p];
    points.extend_from_slice(&pre_verts);
    points.push(q);
    points.extend_from_slice(&post_verts);
    points.push(rx_p);
    let surface = |t: usize, (normal, _): (V3<Dual<N>>, Dual<N>)| {
        let (eta, thickness) = etas[geom.material[t] as usize];
        PathInteraction::Surface(FieldInteraction { transmission: false, normal, eta, thickness })
    };
    let (eta, thickness) = etas[geom.material[f0] as usize];
    let mut inters: Vec<PathInteraction<Dual<N>>> = pre.iter().zip(&planes_pre).map(|(&t, p)| surface(t, *p)).collect();
    inters.push(PathInteraction::Wedge(WedgeFrame { edge, n0, nn, n }, WedgeMaterial { eta, thickness }));
    inters.extend(post.iter().zip(&planes_post).map(|(&t, p)| surface(t, *p)));
    let coefficient = diffracted_path_coefficient(&points, &inters, &tx.antenna, &rx.antenna, lambda);
    let length = points.windows(2).fold(Dual::constant(0.0), |acc, w| acc + w[1].minus(w[0]).length());
    (length / Dual::constant(SPEED_OF_LIGHT), coefficient)
}

/// Global triangle of interaction `k` of path `i`.
fn interaction_triangle(paths: &Paths, i: usize, k: usize, geom: &SceneGeometry) -> Result<usize> {
    let p = paths.path(i);
    let (obj, prim) = (p.objects[k] as usize, p.primitives[k] as usize);
    geom.triangle_index(obj, prim).ok_or_else(|| TraceError::PathsMismatch { path: i, message: format!("it refers to object {obj} / primitive {prim}, not in the scene") })
}

/// Global triangle and refraction flag of every interaction of path `i`.
fn path_triangles(paths: &Paths, i: usize, geom: &SceneGeometry) -> Result<Vec<(usize, bool)>> {
    let p = paths.path(i);
    (0..p.interactions.len())
        .map(|k| {
            let tri = interaction_triangle(paths, i, k, geom)?;
            let transmission = match p.interactions[k] {
                InteractionType::Specular => false,
                InteractionType::Refraction => true,
                other => {
                    return Err(TraceError::UnsupportedGradient {
                        param: "any".into(),
                        output: format!("path {i}"),
                        reason: format!("gradients of {} interactions are not supported", other.name()),
                    })
                }
            };
            Ok((tri, transmission))
        })
        .collect()
}

fn constant_plane<const N: usize>(geom: &SceneGeometry, tri: usize) -> (V3<Dual<N>>, Dual<N>) {
    (V3::cst(geom.normals[tri]), Dual::constant(geom.normals[tri].dot(geom.triangles[tri][0])))
}

fn check_reevaluation(paths: &Paths, i: usize, tau: f64, a: Complex) -> Result<()> {
    let scale = paths.tau[i].abs().max(1e-30);
    // 1e-4: paths from the GPU backend carry f32 coefficients
    if (tau - paths.tau[i]).abs() > 1e-9 * scale || (a - paths.a[i]).norm() > 1e-4 * paths.a[i].norm() + 1e-300 {
        return Err(TraceError::PathsMismatch { path: i, message: format!("it does not re-evaluate to the solved values (τ {tau} vs {})", paths.tau[i]) });
    }
    Ok(())
}

/// The fixed inputs of re-evaluating a path in dual numbers: the materials' `(η, d)`,
/// the geometry, the end points (carrying their own derivatives), the radios' antennas
/// and the wavelength \[m\].
#[derive(Clone, Copy)]
pub(crate) struct Reevaluation<'a, const N: usize> {
    pub(crate) etas: &'a [(C<Dual<N>>, Dual<N>)],
    pub(crate) geom: &'a SceneGeometry,
    pub(crate) ends: [V3<Dual<N>>; 2],
    pub(crate) radios: [&'a Radio; 2],
    pub(crate) lambda: f64,
}

/// Delay and coefficient of a path with its interaction sequence fixed, as a function
/// of the interaction planes (`plane(tri)` → unit normal, offset), materials and end
/// points: images of the transmitter, back-trace from the receiver through every
/// interaction plane, then the generic field calculation.
pub(crate) fn reevaluate_path<const N: usize>(
    tris: &[(usize, bool)],
    plane: impl Fn(usize) -> (V3<Dual<N>>, Dual<N>),
    re: &Reevaluation<N>,
) -> (Dual<N>, C<Dual<N>>) {
    let Reevaluation { etas, geom, ends: [tx_p, rx_p], radios: [tx, rx], lambda } = *re;
    let planes: Vec<(V3<Dual<N>>, Dual<N>, FieldInteraction<Dual<N>>)> = tris
        .iter()
        .map(|&(tri, transmission)| {
            let (n, d) = plane(tri);
            let (eta, thickness) = etas[geom.material[tri] as usize];
            (n, d, FieldInteraction { transmission, normal: n, eta, thickness })
        })
        .collect();
    let points = path_points(&planes.iter().map(|p| (p.0, p.1, p.2.transmission)).collect::<Vec<_>>(), tx_p, rx_p);
    let inters: Vec<FieldInteraction<Dual<N>>> = planes.iter().map(|p| p.2).collect();
    let a = path_coefficient_generic(&points, &inters, &tx.antenna, &rx.antenna, lambda);
    let length = points.windows(2).fold(Dual::constant(0.0), |acc, w| acc + w[1].minus(w[0]).length());
    (length / Dual::constant(SPEED_OF_LIGHT), a)
}

/// End points and interaction points of a path through `planes` (unit normal, offset,
/// refraction flag; source to target order): images of the source in the mirror
/// planes, then a back-trace from the target.
pub(crate) fn path_points<const N: usize>(planes: &[(V3<Dual<N>>, Dual<N>, bool)], tx_p: V3<Dual<N>>, rx_p: V3<Dual<N>>) -> Vec<V3<Dual<N>>> {
    let mut images = vec![tx_p];
    for (n, d, transmission) in planes {
        let prev = images[images.len() - 1];
        images.push(if *transmission { prev } else { mirror(prev, *n, *d) });
    }
    let reversed: Vec<(V3<Dual<N>>, Dual<N>)> = planes.iter().rev().map(|p| (p.0, p.1)).collect();
    let mut verts = back_trace(rx_p, &reversed, &images);
    verts.reverse();
    let mut points = vec![tx_p];
    points.extend_from_slice(&verts);
    points.push(rx_p);
    points
}

/// Derivatives of channel paths with respect to the vertex positions of one object.
#[derive(Debug, Clone, PartialEq)]
pub struct VertexPathGradients {
    /// Object index.
    pub object: usize,
    /// `∂(Σ|a|²)/∂v` per vertex of the object's mesh.
    pub total_power: Vec<glam::DVec3>,
    /// Per path: `(vertex, ∂τ/∂v, ∂|a|²/∂v)` for the vertices the path depends on.
    pub per_path: Vec<Vec<(u32, glam::DVec3, glam::DVec3)>>,
}

/// Interior gradients of `paths` with respect to every vertex of `object` (the mesh
/// deforms, its planes tilt). Each interaction on the object differentiates its own
/// triangle's nine coordinates; occurrences are summed.
pub fn path_vertex_gradients(scene: &Scene, geom: &SceneGeometry, paths: &Paths, tx: &Radio, rx: &Radio, object: &str) -> Result<VertexPathGradients> {
    let o = scene.object_index(object)?;
    let f = paths.frequency_hz;
    let lambda = wavelength(f);
    let etas: Vec<(C<Dual<9>>, Dual<9>)> = scene.slab_table_with(f, |_, _, v| Dual::constant(v))?;
    let mesh = &scene.objects()[o].mesh;
    let mut out = VertexPathGradients { object: o, total_power: vec![glam::DVec3::ZERO; mesh.vertices.len()], per_path: Vec::new() };
    let re = Reevaluation { etas: &etas, geom, ends: [V3::<Dual<9>>::cst(tx.position), V3::<Dual<9>>::cst(rx.position)], radios: [tx, rx], lambda };
    for i in 0..paths.num_paths() {
        let diffracted = if paths.path(i).interactions.contains(&InteractionType::Diffraction) {
            Some(diffracted_path_layout(paths, i, geom)?)
        } else {
            None
        };
        let tris = match &diffracted {
            // the wedge's faces move the edge and its angle: both are differentiated
            Some(d) => d.triangles.iter().map(|&t| (t as usize, false)).chain(d.wedge.faces.iter().map(|&f| (f as usize, false))).collect(),
            None => path_triangles(paths, i, geom)?,
        };
        let mut entries: Vec<(u32, glam::DVec3, glam::DVec3)> = Vec::new();
        // each distinct triangle once: a pass makes all its occurrences in the path variable
        let mut actives: Vec<usize> = tris.iter().map(|t| t.0).filter(|&t| geom.object[t] as usize == o).collect();
        actives.sort_unstable();
        actives.dedup();
        for active in actives {
            let local = geom.local_index[active] as usize;
            let idx = mesh.triangles[local];
            let plane = |tri: usize| -> (V3<Dual<9>>, Dual<9>) {
                if tri != active {
                    return constant_plane(geom, tri);
                }
                let v: Vec<V3<Dual<9>>> = (0..3)
                    .map(|k| {
                        let p = mesh.vertices[idx[k] as usize];
                        V3([Dual::variable(p.x, 3 * k), Dual::variable(p.y, 3 * k + 1), Dual::variable(p.z, 3 * k + 2)])
                    })
                    .collect();
                let n = v[1].minus(v[0]).cross(v[2].minus(v[0])).normalize();
                (n, n.dot(v[0]))
            };
            let (tau, a) = match &diffracted {
                Some(d) => {
                    let point = |p: glam::DVec3, tri: usize| -> V3<Dual<9>> {
                        match (0..3).find(|&k| tri == active && mesh.vertices[idx[k] as usize] == p) {
                            Some(k) => V3([Dual::variable(p.x, 3 * k), Dual::variable(p.y, 3 * k + 1), Dual::variable(p.z, 3 * k + 2)]),
                            None => V3::cst(p),
                        }
                    };
                    reevaluate_diffracted_path(d, plane, point, &re)
                }
                None => reevaluate_path(&tris, plane, &re),
            };
            check_reevaluation(paths, i, tau.v, C::new(a.re.v, a.im.v))?;
            let power = a.re * a.re + a.im * a.im;
            for (k, &vi) in idx.iter().enumerate() {
                let dt = glam::DVec3::new(tau.d[3 * k], tau.d[3 * k + 1], tau.d[3 * k + 2]);
                let dp = glam::DVec3::new(power.d[3 * k], power.d[3 * k + 1], power.d[3 * k + 2]);
                out.total_power[vi as usize] += dp;
                match entries.iter_mut().find(|e| e.0 == vi) {
                    Some(e) => {
                        e.1 += dt;
                        e.2 += dp;
                    }
                    None => entries.push((vi, dt, dp)),
                }
            }
        }
        out.per_path.push(entries);
    }
    Ok(out)
}
