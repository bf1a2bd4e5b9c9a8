//! Paths re-evaluated in dual numbers with their interaction sequence fixed: delays and
//! coefficients as smooth functions of the scene, and [`path_gradients`] from them.

use crate::error::{Result, TraceError};
use crate::paths::diffraction::{diffracted_path_coefficient, PathInteraction};
use crate::scene_geometry::wedges::{exterior_angle, wedge_at, Wedge};
use crate::physics::field::{path_coefficient_generic, FieldInteraction};
use crate::physics::utd::{keller_parameter, WedgeFrame, WedgeMaterial};
use crate::scene_geometry::SceneGeometry;
use num_complex::Complex as C;
use rftwin_core::constants::{wavelength, SPEED_OF_LIGHT};
use rftwin_core::dual::{Dual, V3};
use rftwin_core::{Complex, InteractionType, Paths, Radio, Scene};
use std::f64::consts::PI;


use super::{GradientParam, Perturbation};
use crate::paths::image_method::mirror;

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
    /// `∂(Σ_i |a_i|²)/∂θ_c`, RIS families included (each at the carrier).
    pub total_power: Vec<f64>,
    /// Per RIS family (as `Paths::ris_paths`), per term: `∂τ/∂θ_c` and `∂b/∂θ_c`.
    pub ris: Vec<Vec<crate::paths::ris::RisTermGradient>>,
}

/// Interior gradients of `paths` (solved from `scene` / `geom` with `tx`, `rx`) with
/// respect to `param`.
pub fn path_gradients(scene: &Scene, geom: &SceneGeometry, paths: &Paths, tx: &Radio, rx: &Radio, param: &GradientParam) -> Result<PathGradients> {
    let lambda = wavelength(paths.frequency_hz);
    let pert = Perturbation::new(scene, paths.frequency_hz, tx.position, rx.position, param)?;
    let ris = crate::paths::ris::ris_gradients(scene, geom, paths, [tx, rx], &pert)?;
    let re = Reevaluation { etas: &pert.etas, geom, ends: [pert.tx_p, pert.rx_p], radios: [tx, rx], lambda };
    let nc = param.components();
    let mut out = PathGradients { param: param.clone(), components: nc, tau: Vec::new(), a: Vec::new(), power: Vec::new(), total_power: crate::paths::ris::ris_total_power_gradient(paths, &ris, nc), ris };
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
pub(super) struct Diffracted {
    /// Global triangle of each interaction (a face of the wedge for the diffraction).
    pub(super) triangles: Vec<u32>,
    /// Index of the diffraction among the interactions.
    pub(super) position: usize,
    /// The wedge it diffracts on.
    pub(super) wedge: Wedge,
}

/// The interactions of diffracted path `i` and its wedge.
pub(super) fn diffracted_path_layout(paths: &Paths, i: usize, geom: &SceneGeometry) -> Result<Diffracted> {
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
pub(super) fn back_trace<const N: usize>(start: V3<Dual<N>>, planes: &[(V3<Dual<N>>, Dual<N>)], images: &[V3<Dual<N>>]) -> Vec<V3<Dual<N>>> {
    let mut cur = start;
    let mut out = Vec::with_capacity(planes.len());
    for (k, (n, off)) in planes.iter().enumerate() {
        let dir = images[planes.len() - k].minus(cur);
        cur = cur.plus(dir.scale((*off - n.dot(cur)) / n.dot(dir)));
        out.push(cur);
    }
    out
}

/// Delay and coefficient of a diffracted path with its interaction sequence and wedge
/// fixed, as a smooth function of the planes, the wedge's edge and faces, the
/// materials and the end points: source image and target image in the mirror planes,
/// Keller point on the (moving) edge, both specular legs back-traced from it, then
/// [`diffracted_path_coefficient`].
pub(super) fn reevaluate_diffracted_path<const N: usize>(
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
pub(super) fn interaction_triangle(paths: &Paths, i: usize, k: usize, geom: &SceneGeometry) -> Result<usize> {
    let p = paths.path(i);
    let (obj, prim) = (p.objects[k] as usize, p.primitives[k] as usize);
    geom.triangle_index(obj, prim).ok_or_else(|| TraceError::PathsMismatch { path: i, message: format!("it refers to object {obj} / primitive {prim}, not in the scene") })
}

/// Global triangle and refraction flag of every interaction of path `i`.
pub(super) fn path_triangles(paths: &Paths, i: usize, geom: &SceneGeometry) -> Result<Vec<(usize, bool)>> {
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


pub(super) fn check_reevaluation(paths: &Paths, i: usize, tau: f64, a: Complex) -> Result<()> {
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

