//! Interior gradients of solver (B) through InverTwin's reparameterisation.
//!
//! A sample is a point on the *reference surface* — (triangle, barycentric
//! coordinates, reference area weight `w₀`). When the geometry moves, the sample moves
//! with its triangle, `x = b₀ v₀ + b₁ v₁ + b₂ v₂`, and its area weight scales with the
//! triangle's area, `w = w₀ A/A₀`; so the estimate `Σ f(x) w` is a smooth function of
//! the vertices, and creases of a connected mesh need no boundary term. Silhouettes and
//! occlusion boundaries still do (not included here).
//!
//! [`reevaluate_samples`] is the forward map (fixed samples, moved geometry);
//! [`vertex_gradients`] pulls per-echo cotangents `(∂L/∂x, ∂L/∂a)` back to the mesh
//! vertices (local forward mode: each sample differentiates its own triangle's nine
//! coordinates and scatters the result), and [`object_gradient`] /
//! [`material_gradient`] chain further to object pose and material parameters.

use crate::error::{Result, TraceError};
use crate::physics::field::slab_coefficients;
use crate::scene_geometry::SceneGeometry;
use crate::paths::gradients::{pose_pivot, GradientParam};
use crate::scattering::{scattering_density, ScatteringOptions, ScatteringResult, SurfaceSample};
use glam::DVec3;
use num_complex::Complex as C;
use rayon::prelude::*;
use rftwin_core::constants::wavelength;
use rftwin_core::dual::{Dual, Real, V3};
use rftwin_core::{Complex, Echo, Scene};

/// Cotangent of one echo: `∂L/∂point` and `∂L/∂a` (complex gradient convention).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EchoCotangent {
    /// `∂L/∂x` [1/m].
    pub point: DVec3,
    /// `∂L/∂Re a + j ∂L/∂Im a`.
    pub amplitude: Complex,
}

impl From<(DVec3, Complex)> for EchoCotangent {
    /// From `(∂L/∂x, ∂L/∂a)`, e.g. `rftwin_radar`'s `SurrogateEcho::point_gradient`.
    fn from((point, amplitude): (DVec3, Complex)) -> Self {
        EchoCotangent { point, amplitude }
    }
}

/// Point and (real) amplitude `f(x) w₀ A/A₀` of sample `s` on triangle `v` (reference
/// area `area0` \[m²\]) seen from `center`, for slab material `(η, d)`.
fn sample_echo<T: Real>(v: [V3<T>; 3], s: &SurfaceSample, area0: f64, center: V3<T>, (eta, thickness): (C<T>, T), lambda: f64, diffuse: f64) -> (V3<T>, T) {
    let ([b1, b2], w0) = (s.barycentric, s.area_weight);
    let x = v[0].scale(T::cst(1.0 - b1 - b2)).plus(v[1].scale(T::cst(b1))).plus(v[2].scale(T::cst(b2)));
    let cross = v[1].minus(v[0]).cross(v[2].minus(v[0]));
    let area = cross.length() * T::cst(0.5);
    let n = cross.normalize();
    let to = x.minus(center);
    let d = to.length();
    let cos_t = (to.dot(n) / d).abs();
    let c = slab_coefficients(eta, thickness, lambda, cos_t);
    let mag = |z: C<T>| (z.re * z.re + z.im * z.im).sqrt();
    let reflection = (mag(c.r_te) + mag(c.r_tm)) * T::cst(0.5);
    let density = scattering_density(lambda, d, cos_t, reflection, diffuse);
    (x, density * T::cst(w0) * area / T::cst(area0))
}

struct Ctx<'a> {
    scene: &'a Scene,
    lambda: f64,
    materials: Vec<(Complex, f64)>,
}

impl<'a> Ctx<'a> {
    fn new(scene: &'a Scene, opts: &ScatteringOptions) -> Result<Self> {
        let materials = scene.slab_table(opts.frequency_hz)?;
        Ok(Ctx { scene, lambda: wavelength(opts.frequency_hz), materials })
    }
    /// (object, vertex indices) of global triangle `t`.
    fn triangle(&self, geom: &SceneGeometry, t: u32) -> (usize, [u32; 3]) {
        let o = geom.object[t as usize] as usize;
        let local = geom.local_index[t as usize] as usize;
        (o, self.scene.objects()[o].mesh.triangles[local])
    }
}

fn reference_areas(geom: &SceneGeometry, res: &ScatteringResult) -> Vec<f64> {
    res.samples
        .iter()
        .map(|s| {
            let [v0, v1, v2] = geom.triangles[s.triangle as usize];
            0.5 * (v1 - v0).cross(v2 - v0).length()
        })
        .collect()
}

/// Echoes of the stored samples of `res` (made on the geometry `geom`) after the scene
/// moved to `scene` (same meshes, new vertex positions or materials) and the radar to
/// `center`. Visibility is not re-tested.
pub fn reevaluate_samples(scene: &Scene, geom: &SceneGeometry, res: &ScatteringResult, center: DVec3, opts: &ScatteringOptions) -> Result<Vec<Echo>> {
    let ctx = Ctx::new(scene, opts)?;
    let areas = reference_areas(geom, res);
    Ok(res
        .samples
        .iter()
        .zip(areas)
        .map(|(s, a0)| {
            let (o, idx) = ctx.triangle(geom, s.triangle);
            let mesh = &scene.objects()[o].mesh;
            let v = idx.map(|i| V3::<f64>::cst(mesh.vertices[i as usize]));
            let (eta, th) = ctx.materials[geom.material[s.triangle as usize] as usize];
            let (x, a) = sample_echo(v, s, a0, V3::cst(center), (eta, th), ctx.lambda, opts.diffuse);
            Echo { point: x.value(), a: Complex::new(a, 0.0), extra_path_m: 0.0 }
        })
        .collect())
}

fn check_len(res: &ScatteringResult, cot: &[EchoCotangent]) -> Result<()> {
    if !res.second_bounce.is_empty() {
        return Err(TraceError::UnsupportedGradient {
            param: "any".into(),
            output: "two-bounce echoes".into(),
            reason: format!("gradients of two-bounce echoes are not implemented ({} in this result); solve without second_bounce to differentiate", res.second_bounce.len()),
        });
    }
    if cot.len() != res.samples.len() {
        return Err(TraceError::InvalidInput { name: "cotangents", message: format!("{} cotangents for {} samples", cot.len(), res.samples.len()) });
    }
    Ok(())
}

/// `∂L/∂v` for every vertex of every object (`out[object][vertex]`).
pub fn vertex_gradients(scene: &Scene, geom: &SceneGeometry, res: &ScatteringResult, center: DVec3, opts: &ScatteringOptions, cot: &[EchoCotangent]) -> Result<Vec<Vec<DVec3>>> {
    check_len(res, cot)?;
    let ctx = Ctx::new(scene, opts)?;
    let areas = reference_areas(geom, res);
    // Each sample differentiates its own triangle (in parallel); the scatter-add into
    // the vertex array is sequential.
    let contributions: Vec<(usize, [u32; 3], [DVec3; 3])> = res
        .samples
        .par_iter()
        .zip(areas.par_iter())
        .zip(cot.par_iter())
        .map(|((s, &a0), g)| {
            let (o, idx) = ctx.triangle(geom, s.triangle);
            let mesh = &scene.objects()[o].mesh;
            let mut v = [V3::<Dual<9>>::cst(DVec3::ZERO); 3];
            for (k, vk) in v.iter_mut().enumerate() {
                let p = mesh.vertices[idx[k] as usize];
                *vk = V3([Dual::variable(p.x, 3 * k), Dual::variable(p.y, 3 * k + 1), Dual::variable(p.z, 3 * k + 2)]);
            }
            let (eta, th) = ctx.materials[geom.material[s.triangle as usize] as usize];
            let eta = C::new(Dual::constant(eta.re), Dual::constant(eta.im));
            let (x, a) = sample_echo(v, s, a0, V3::cst(center), (eta, Dual::constant(th)), ctx.lambda, opts.diffuse);
            let mut gv = [DVec3::ZERO; 3];
            for (k, gk) in gv.iter_mut().enumerate() {
                for c in 0..3 {
                    let j = 3 * k + c;
                    gk[c] = g.point.x * x.0[0].d[j] + g.point.y * x.0[1].d[j] + g.point.z * x.0[2].d[j] + g.amplitude.re * a.d[j];
                }
            }
            (o, idx, gv)
        })
        .collect();
    let mut out: Vec<Vec<DVec3>> = scene.objects().iter().map(|o| vec![DVec3::ZERO; o.mesh.vertices.len()]).collect();
    for (o, idx, gv) in contributions {
        for (vi, g) in idx.iter().zip(gv) {
            out[o][*vi as usize] += g;
        }
    }
    Ok(out)
}

/// Forward mode: the derivative `(ẋ, ȧ)` of every sample's point and (real) amplitude
/// when the vertices move with velocity `velocity[object][vertex]` (same shape as
/// [`vertex_gradients`]' output; e.g. `e_x` on every vertex of one object for its x
/// translation). One pass gives the interior derivative of every output at once, where
/// reverse mode needs one pass per output (per-voxel gradient maps).
pub fn sample_tangents(scene: &Scene, geom: &SceneGeometry, res: &ScatteringResult, center: DVec3, opts: &ScatteringOptions, velocity: &[Vec<DVec3>]) -> Result<Vec<(DVec3, f64)>> {
    check_len(res, &vec![EchoCotangent::default(); res.samples.len()])?;
    if velocity.len() != scene.objects().len() || velocity.iter().zip(scene.objects()).any(|(v, o)| v.len() != o.mesh.vertices.len()) {
        return Err(TraceError::InvalidInput { name: "velocity", message: "needs one velocity per vertex of every object".into() });
    }
    let ctx = Ctx::new(scene, opts)?;
    let areas = reference_areas(geom, res);
    Ok(res
        .samples
        .par_iter()
        .zip(areas.par_iter())
        .map(|(s, &a0)| {
            let (o, idx) = ctx.triangle(geom, s.triangle);
            let mesh = &scene.objects()[o].mesh;
            let v = idx.map(|i| {
                let (p, dp) = (mesh.vertices[i as usize], velocity[o][i as usize]);
                V3([Dual::<1> { v: p.x, d: [dp.x] }, Dual { v: p.y, d: [dp.y] }, Dual { v: p.z, d: [dp.z] }])
            });
            let (eta, th) = ctx.materials[geom.material[s.triangle as usize] as usize];
            let eta = C::new(Dual::constant(eta.re), Dual::constant(eta.im));
            let (x, a) = sample_echo(v, s, a0, V3::cst(center), (eta, Dual::constant(th)), ctx.lambda, opts.diffuse);
            (DVec3::new(x.0[0].d[0], x.0[1].d[0], x.0[2].d[0]), a.d[0])
        })
        .collect())
}

/// Gradient with respect to an object pose parameter (translation, rotation about the
/// vertex centroid, scale about it), chained from [`vertex_gradients`].
pub fn object_gradient(scene: &Scene, vertex_grads: &[Vec<DVec3>], param: &GradientParam) -> Result<Vec<f64>> {
    let Some((name, kind)) = param.pose() else {
        return Err(TraceError::InvalidInput { name: "gradient parameter", message: format!("{} is not an object pose parameter", param.name()) });
    };
    let o = scene.object_index(name)?;
    let mesh = &scene.objects()[o].mesh;
    let pivot = pose_pivot(mesh);
    let mut g = [0.0; 3];
    for (v, gv) in mesh.vertices.iter().zip(&vertex_grads[o]) {
        for (gc, dv) in g.iter_mut().zip(kind.velocity(*v - pivot)) {
            *gc += gv.dot(dv);
        }
    }
    Ok(g.to_vec())
}

/// Gradient with respect to the radar's array centre (the position of the whole radar):
/// the surrogates see every echo relative to the centre (`∂/∂c = −∂/∂x` there) and the
/// scattering density depends on distance and incidence from it.
pub fn center_gradient(scene: &Scene, geom: &SceneGeometry, res: &ScatteringResult, center: DVec3, opts: &ScatteringOptions, cot: &[EchoCotangent]) -> Result<DVec3> {
    check_len(res, cot)?;
    let ctx = Ctx::new(scene, opts)?;
    let areas = reference_areas(geom, res);
    let c = V3([Dual::<3>::variable(center.x, 0), Dual::variable(center.y, 1), Dual::variable(center.z, 2)]);
    let mut g = DVec3::ZERO;
    for ((s, a0), ct) in res.samples.iter().zip(areas).zip(cot) {
        let (o, idx) = ctx.triangle(geom, s.triangle);
        let mesh = &scene.objects()[o].mesh;
        let v = idx.map(|i| V3::<Dual<3>>::cst(mesh.vertices[i as usize]));
        let (eta, th) = ctx.materials[geom.material[s.triangle as usize] as usize];
        let eta = C::new(Dual::constant(eta.re), Dual::constant(eta.im));
        let (_, a) = sample_echo(v, s, a0, c, (eta, Dual::constant(th)), ctx.lambda, opts.diffuse);
        g += -ct.point + DVec3::new(a.d[0], a.d[1], a.d[2]) * ct.amplitude.re;
    }
    Ok(g)
}

/// Gradient with respect to a material parameter (εr, σ or slab thickness).
pub fn material_gradient(scene: &Scene, geom: &SceneGeometry, res: &ScatteringResult, center: DVec3, opts: &ScatteringOptions, cot: &[EchoCotangent], param: &GradientParam) -> Result<f64> {
    check_len(res, cot)?;
    let ctx = Ctx::new(scene, opts)?;
    let name = match param {
        GradientParam::MaterialEpsR(n) | GradientParam::MaterialSigma(n) | GradientParam::MaterialThickness(n) => n,
        other => return Err(TraceError::InvalidInput { name: "gradient parameter", message: format!("{} is not a material parameter", other.name()) }),
    };
    let m = scene.find_material(name)?;
    let varied = param.slab_component();
    let slabs = scene.slab_table_with(opts.frequency_hz, |i, c, v| if i == m && varied == Some(c) { Dual::<1>::variable(v, 0) } else { Dual::constant(v) })?;
    let (eta, th) = slabs[m];
    let areas = reference_areas(geom, res);
    let mut total = 0.0;
    for ((s, a0), g) in res.samples.iter().zip(areas).zip(cot) {
        if geom.material[s.triangle as usize] as usize != m {
            continue;
        }
        let (o, idx) = ctx.triangle(geom, s.triangle);
        let mesh = &scene.objects()[o].mesh;
        let v = idx.map(|i| V3::<Dual<1>>::cst(mesh.vertices[i as usize]));
        let center = V3::<Dual<1>>::cst(center);
        let (_, a) = sample_echo(v, s, a0, center, (eta, th), ctx.lambda, opts.diffuse);
        total += g.amplitude.re * a.d[0];
    }
    Ok(total)
}
