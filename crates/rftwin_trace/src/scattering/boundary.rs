//! Boundary term of solver (B)'s gradients: the visibility discontinuities.
//!
//! Solver (B) attaches its samples to the reference surface (see
//! [`crate::scattering::grad`]): the estimate is `I(θ) = ∫ g(x(u, θ)) V(c, x(u, θ)) dA(u)`
//! over the material coordinates `u` of the target surfaces, where `g = c(x) f(x)` is the
//! scattering density times the loss's cotangent at `x`. The interior term
//! differentiates `g` and the area element with `V` held fixed. `V` jumps on the
//! *shadow curves*: where a ray from the array centre `c` grazes a silhouette edge `E`
//! of some occluder (an edge whose adjacent faces all lie on one side of the plane
//! through `c` and `E`; open borders included) and goes on to hit a target. When θ
//! moves, these curves move relative to the material, and the visible area gains or
//! loses a strip:
//!
//! `∂I/∂θ_boundary = −∫_Γ g(x) (w · m) dl`,
//!
//! with `w = ∂x_Γ/∂θ − v_material(x)` the velocity of the shadow point relative to the
//! surface material under it, and `m` the in-surface unit normal of Γ pointing into the
//! visible side. Γ is parameterised by the edge, `x(λ) = c + s (p(λ) − c)`,
//! `p(λ) = e₀ + λ (e₁ − e₀)`, `dl = |∂x/∂λ| dλ`, and `∂x/∂θ` comes from dual numbers over
//! the 15 coordinates of the edge's two vertices and the target triangle's three. The
//! integral is estimated by edge sampling: the budget is split over the silhouette
//! edges in proportion to their length, `n_e ≥ 1` jittered-stratified points per edge
//! (unbiased for any `n_e`).
//!
//! Visibility: without [`ScatteringOptions::elements`], that of the array centre (the
//! sampling rays). With elements, a sample counts only where every element sees it, so
//! each edge's shadow is cast from the element whose shadow reaches furthest into the
//! visible side (exact for one straight edge; where two elements' shadows of different
//! edges cross, the corner is approximated). Measured on the default 77 GHz array 0.6 m
//! from an occluder: the centre-only term differs from finite differences of the
//! element-visibility estimate by 5 %, the element-aware one by < 2 %
//! (`tests/boundary_gradients.rs`). Materials do not move boundaries (no term); the radar position does
//! ([`BoundarySample::center_rate`], [`boundary_center_gradient`]).

use crate::backend::{resolve, Backend, BackendChoice};
use crate::error::{Result, TraceError};
use crate::scene_geometry::{SceneGeometry, SceneHit};
use crate::scattering::{Model, ScatteringOptions};
use crate::scene_geometry::barycentric;
use glam::DVec3;
use rand::{Rng, SeedableRng};
use rftwin_core::dual::{Dual, V3};
use rftwin_core::Scene;

/// Budget and seed of the edge sampling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundaryOptions {
    /// Points sampled on silhouette edges in total (each edge gets at least one).
    pub samples: usize,
    /// Seed of the jitter.
    pub seed: u64,
    /// Where the edge points' visibility and shadow rays are cast (the `bvh_any_hit`
    /// and `bvh_closest_hit` kernels on the GPU) and the shadow points' derivatives are
    /// evaluated (the `boundary_rates` kernel in f32 on the GPU, dual numbers in f64 on
    /// the CPU); densities and the assembly stay on the CPU.
    pub backend: BackendChoice,
}

impl Default for BoundaryOptions {
    fn default() -> Self {
        BoundaryOptions { samples: 4096, seed: 1, backend: BackendChoice::Auto }
    }
}

/// One point on a shadow curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundarySample {
    /// The point on the target surface \[m\] (where the echo's cotangent is needed).
    pub point: DVec3,
    /// Scattering amplitude per unit area `f(x)` there.
    pub density: f64,
    /// The five vertices the point depends on: the edge's two, then the target
    /// triangle's three, as (object, local vertex index).
    pub vertices: [(u32, u32); 5],
    /// `∂(estimate)/∂(vertex)` per unit cotangent: the contribution of this sample to
    /// the gradient of `Σ cot · a` with respect to each of the five vertices.
    pub rates: [DVec3; 5],
    /// The same with respect to the array centre (the shadow curve moves when the
    /// radar does).
    pub center_rate: DVec3,
}

/// The boundary samples and what happened to the edge points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BoundaryResult {
    /// Points on shadow curves.
    pub samples: Vec<BoundarySample>,
    /// Silhouette edges seen from the centre.
    pub silhouette_edges: usize,
    /// Edge points hidden from the centre.
    pub edge_occluded: u64,
    /// Edge points behind which the ray hits nothing or a non-target (no jump).
    pub no_target_behind: u64,
}

/// A silhouette edge ([`silhouette_edges`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Object of the edge.
    pub object: u32,
    /// Its two vertices (object-local indices).
    pub v: [u32; 2],
    /// Global triangles of its faces.
    pub faces: Vec<u32>,
    /// Which side of the plane (centre, edge) its faces lie on (±1).
    pub side: f64,
    /// Where the shadow is cast from: the centre, or with `elements` the element whose
    /// shadow reaches furthest into the visible side (the edge of the region every
    /// element sees).
    pub eye: DVec3,
}

/// Samples the shadow curves of every silhouette edge (seen from `center`) on the
/// target surfaces of `opts`, in four stages: the silhouette edges, points on them, the
/// points' visibility and the surface behind them (their shadow points), and the
/// shadow points' velocities.
pub fn boundary_samples(scene: &Scene, geom: &SceneGeometry, center: DVec3, opts: &ScatteringOptions, b: &BoundaryOptions) -> Result<BoundaryResult> {
    crate::paths::ris::refuse_unmodelled(scene, "the boundary samples of solver (B)")?;
    if b.samples == 0 {
        return Err(TraceError::InvalidInput { name: "boundary samples", message: "must be > 0".into() });
    }
    let model = Model::new(scene, geom, center, opts)?;
    let edges = silhouette_edges(scene, geom, center, &opts.elements);
    let mut out = BoundaryResult { silhouette_edges: edges.len(), ..Default::default() };
    let points = edge_points(scene, &edges, b);
    if points.is_empty() {
        return Ok(out);
    }
    let backend = resolve(b.backend)?;
    let hits = visibility(backend, scene, geom, &edges, &points)?;
    let pending = shadow_points(scene, geom, &model, &edges, &points, hits, &mut out);
    let rates = shadow_rates(backend, scene, geom, &edges, &pending)?;
    for (q, r) in pending.iter().zip(rates) {
        let Some((rates, center_rate)) = r else { continue };
        let e = &edges[q.edge];
        let (to, tl) = (geom.object[q.tri], geom.local_index[q.tri]);
        let tv = scene.objects()[to as usize].mesh.triangles[tl as usize];
        out.samples.push(BoundarySample {
            point: q.x,
            density: q.density,
            vertices: [(e.object, e.v[0]), (e.object, e.v[1]), (to, tv[0]), (to, tv[1]), (to, tv[2])],
            rates,
            center_rate,
        });
    }
    Ok(out)
}

/// The silhouette edges seen from `center`: mesh edges whose faces all lie on one side
/// of the plane through the centre and the edge. With `elements`, each edge casts its
/// shadow from the element whose shadow reaches furthest into the visible side.
pub fn silhouette_edges(scene: &Scene, geom: &SceneGeometry, center: DVec3, elements: &[DVec3]) -> Vec<Edge> {
    let mut edges = Vec::new();
    for (o, obj) in scene.objects().iter().enumerate() {
        let m = &obj.mesh;
        // in edge order: the order fixes which jitter each edge draws (reproducible seeds)
        for ([a, b2], faces) in m.edges() {
            let faces: Vec<(u32, u32)> = faces.iter().filter_map(|f| geom.triangle_index(o, f.triangle as usize).map(|g| (g as u32, f.opposite))).collect();
            if faces.is_empty() {
                continue;
            }
            let (e0, e1) = (m.vertices[a as usize], m.vertices[b2 as usize]);
            let k = (e0 - center).cross(e1 - center);
            if k.length_squared() == 0.0 {
                continue;
            }
            let k = k.normalize();
            let sides: Vec<f64> = faces.iter().map(|(_, third)| k.dot(m.vertices[*third as usize] - center)).collect();
            let tol = crate::tolerance::SILHOUETTE_SIDE_REL * geom.scale.max(1.0);
            if sides.iter().all(|s| *s > tol) || sides.iter().all(|s| *s < -tol) {
                let side = sides[0].signum();
                // an element displaced by δ along `side·k` pushes the shadow edge into
                // the visible side (the shadow point moves by −δ(s − 1), s > 1)
                let eye = elements.iter().copied().max_by(|p, q| (side * k.dot(*p - center)).total_cmp(&(side * k.dot(*q - center)))).unwrap_or(center);
                edges.push(Edge { object: o as u32, v: [a, b2], faces: faces.iter().map(|f| f.0).collect(), side, eye });
            }
        }
    }
    edges
}

/// A shadow point's rates: per coordinate of its five vertices (two on the edge, three
/// of the target triangle), and of the eye.
type Rates = ([DVec3; 5], DVec3);

/// A point on a silhouette edge: `(edge, λ along it, points on this edge)`.
type EdgePoint = (usize, f64, usize);

fn edge_length(scene: &Scene, e: &Edge) -> f64 {
    let m = &scene.objects()[e.object as usize].mesh;
    (m.vertices[e.v[1] as usize] - m.vertices[e.v[0] as usize]).length()
}

fn edge_position(scene: &Scene, edges: &[Edge], &(ei, lam, _): &EdgePoint) -> DVec3 {
    let e = &edges[ei];
    let m = &scene.objects()[e.object as usize].mesh;
    let (e0, e1) = (m.vertices[e.v[0] as usize], m.vertices[e.v[1] as usize]);
    e0 + (e1 - e0) * lam
}

/// Stratified points on the edges, `b.samples` in all in proportion to edge length
/// (at least one per edge); empty when there is no edge of positive length.
fn edge_points(scene: &Scene, edges: &[Edge], b: &BoundaryOptions) -> Vec<EdgePoint> {
    let total: f64 = edges.iter().map(|e| edge_length(scene, e)).sum();
    if edges.is_empty() || total == 0.0 {
        return Vec::new();
    }
    let mut rng = rand_pcg::Pcg64::seed_from_u64(b.seed);
    let mut points = Vec::new();
    for (ei, e) in edges.iter().enumerate() {
        let share = b.samples as f64 * edge_length(scene, e) / total;
        let n_e = ((share.floor() as usize) + (rng.gen::<f64>() < share.fract()) as usize).max(1);
        for j in 0..n_e {
            points.push((ei, (j as f64 + rng.gen::<f64>()) / n_e as f64, n_e));
        }
    }
    points
}

/// Per edge point: `None` if its eye does not see it, else the first hit beyond it
/// along the ray from the eye (`Some(None)`: nothing behind).
fn visibility(backend: Backend, scene: &Scene, geom: &SceneGeometry, edges: &[Edge], points: &[EdgePoint]) -> Result<Vec<Option<Option<SceneHit>>>> {
    let eps = geom.eps();
    let edge_point = |pt: &EdgePoint| edge_position(scene, edges, pt);
    Ok(match backend {
        Backend::Cpu => points
            .iter()
            .map(|pt| {
                let e = &edges[pt.0];
                let p = edge_point(pt);
                let skip = [e.faces.first().copied(), e.faces.get(1).copied()];
                if geom.occluded(e.eye, p, skip, eps) {
                    return None;
                }
                Some(geom.closest_hit_skipping(p, (p - e.eye).normalize(), eps, f64::INFINITY, &e.faces))
            })
            .collect(),
        #[cfg(feature = "gpu")]
        Backend::Gpu(ctx) => {
            use rftwin_gpu::layout::{GpuRay, NO_HIT};
            let gpu = rftwin_gpu::bvh::GpuBvh::upload(ctx, &geom.bvh)?;
            // f32 rays step off the edge by a small fraction of the scene (the faces
            // that meet at the edge touch the rays only at t = 0 and t = |p − c|)
            let off = (crate::tolerance::F32_RAY_OFFSET_REL * geom.scale).max(eps);
            let v = |x: DVec3| -> [f32; 3] { x.as_vec3().into() };
            let (seg, beyond): (Vec<GpuRay>, Vec<GpuRay>) = points
                .iter()
                .map(|pt| {
                    let p = edge_point(pt);
                    let eye = edges[pt.0].eye;
                    let len = (p - eye).length();
                    let d = (p - eye) / len;
                    (
                        GpuRay { origin: v(eye), t_min: off as f32, dir: v(d), t_max: (len - off) as f32 },
                        GpuRay { origin: v(p), t_min: off as f32, dir: v(d), t_max: f32::MAX },
                    )
                })
                .unzip();
            let blocked = gpu.any_hits(ctx, &seg)?;
            let first = gpu.closest_hits(ctx, &beyond)?;
            points
                .iter()
                .zip(blocked.iter().zip(&first))
                .map(|(pt, (blk, h))| {
                    if *blk {
                        return None;
                    }
                    if h.triangle == NO_HIT {
                        return Some(None);
                    }
                    // t in f64 on the hit triangle's plane
                    let p = edge_point(pt);
                    let d = (p - edges[pt.0].eye).normalize();
                    let (n, v0) = (geom.normals[h.triangle as usize], geom.triangles[h.triangle as usize][0]);
                    let t = n.dot(v0 - p) / n.dot(d);
                    Some(Some(SceneHit { triangle: h.triangle, t: if t.is_finite() && t > 0.0 { t } else { h.t as f64 } }))
                })
                .collect()
        }
    })
}

/// The shadow points on target surfaces (seen from `model`'s centre), counting in `out`
/// the edge points that are occluded or have no target behind them.
fn shadow_points(scene: &Scene, geom: &SceneGeometry, model: &Model, edges: &[Edge], points: &[EdgePoint], hits: Vec<Option<Option<SceneHit>>>, out: &mut BoundaryResult) -> Vec<Pending> {
    let center = model.center;
    let mut pending = Vec::new();
    for (pt, hit) in points.iter().zip(hits) {
        let &(ei, lam, n_e) = pt;
        let e = &edges[ei];
        let p = edge_position(scene, edges, pt);
        let d = (p - e.eye).normalize();
        let Some(hit) = hit else {
            out.edge_occluded += 1;
            continue;
        };
        let Some(hit) = hit.filter(|h| model.is_target[geom.object[h.triangle as usize] as usize]) else {
            out.no_target_behind += 1;
            continue;
        };
        let tri = hit.triangle as usize;
        let x = p + d * hit.t;
        let dist = (x - center).length();
        // a grazing hit has an unbounded density
        if geom.normals[tri].dot((x - center) / dist).abs() < crate::tolerance::GRAZING_COS {
            continue;
        }
        pending.push(Pending { edge: ei, lam, n_e, tri, x, density: model.density(tri, x) });
    }
    pending
}

/// The shadow points' velocities relative to the material, per coordinate (five
/// vertices and the eye), on `backend`; `None` where the shadow curve has no tangent.
fn shadow_rates(backend: Backend, scene: &Scene, geom: &SceneGeometry, edges: &[Edge], pending: &[Pending]) -> Result<Vec<Option<Rates>>> {
    Ok(match backend {
        Backend::Cpu => pending.iter().map(|q| dual_rates(scene, geom, &edges[q.edge], q)).collect(),
        #[cfg(feature = "gpu")]
        Backend::Gpu(ctx) => {
            use rftwin_gpu::boundary::{boundary_rates, BoundaryPoint};
            let gpu_points: Vec<BoundaryPoint> = pending
                .iter()
                .map(|q| {
                    let e = &edges[q.edge];
                    let m = &scene.objects()[e.object as usize].mesh;
                    let rel = |v: DVec3| -> [f32; 3] { (v - e.eye).as_vec3().into() };
                    let [v0, v1, v2] = geom.triangles[q.tri];
                    BoundaryPoint {
                        e0: rel(m.vertices[e.v[0] as usize]),
                        lam: q.lam as f32,
                        e1: rel(m.vertices[e.v[1] as usize]),
                        side: e.side as f32,
                        v0: rel(v0),
                        v1: rel(v1),
                        v2: rel(v2),
                        ..Default::default()
                    }
                })
                .collect();
            boundary_rates(ctx, &gpu_points)?
                .iter()
                .zip(pending)
                .map(|(r, q)| {
                    if !r.valid || !r.dl.is_finite() {
                        return None;
                    }
                    let scale = -q.density * r.dl as f64 / q.n_e as f64;
                    let v = |j: usize| DVec3::new(r.rates[3 * j] as f64, r.rates[3 * j + 1] as f64, r.rates[3 * j + 2] as f64) * scale;
                    Some(([v(0), v(1), v(2), v(3), v(4)], v(5)))
                })
                .collect()
        }
    })
}

/// A shadow-curve point on a target, before its rates.
struct Pending {
    edge: usize,
    lam: f64,
    n_e: usize,
    tri: usize,
    x: DVec3,
    density: f64,
}

/// The rates of one shadow point in f64 dual numbers (the CPU reference of the
/// `boundary_rates` kernel): `(∂x/∂ξ − v_material)·m` for the five vertices and the eye,
/// times `−f dl / n_e`.
fn dual_rates(scene: &Scene, geom: &SceneGeometry, e: &Edge, q: &Pending) -> Option<Rates> {
    let m = &scene.objects()[e.object as usize].mesh;
    let (e0, e1) = (m.vertices[e.v[0] as usize], m.vertices[e.v[1] as usize]);
    let eye = e.eye;
    let k = (e0 - eye).cross(e1 - eye).normalize();
    let p = e0 + (e1 - e0) * q.lam;
    let tri = q.tri;
    let n_hat = geom.normals[tri];
    // x(λ; e0, e1, v0, v1, v2, c) in dual numbers over the 18 coordinates
    let [v0, v1, v2] = geom.triangles[tri];
    let var = |v: DVec3, base: usize| V3([0, 1, 2].map(|i| Dual::<18>::variable(v[i], base + i)));
    let (de0, de1, dv0, dv1, dv2) = (var(e0, 0), var(e1, 3), var(v0, 6), var(v1, 9), var(v2, 12));
    // the eye moves rigidly with the array centre
    let cc = var(eye, 15);
    let lam_d = Dual::<18>::constant(q.lam);
    let pd = de0.plus(de1.minus(de0).scale(lam_d));
    let nd = dv1.minus(dv0).cross(dv2.minus(dv0));
    let s = nd.dot(dv0.minus(cc)) / nd.dot(pd.minus(cc));
    let xd = cc.plus(pd.minus(cc).scale(s));
    // tangent of Γ: ∂x/∂λ
    let sv = s.v;
    let nv = (v1 - v0).cross(v2 - v0);
    let ds = -sv * nv.dot(e1 - e0) / nv.dot(p - eye);
    let dx_dlam = (p - eye) * ds + (e1 - e0) * sv;
    let dl = dx_dlam.length();
    if dl == 0.0 || !dl.is_finite() {
        return None;
    }
    let mut normal_in = n_hat.cross(dx_dlam / dl).normalize();
    // the shadow lies on the occluder's side of the plane (c, E): m points away
    if normal_in.dot(k) * e.side > 0.0 {
        normal_in = -normal_in;
    }
    let bc = barycentric(q.x, v0, v1, v2);
    let bary = [1.0 - bc[0] - bc[1], bc[0], bc[1]];
    let scale = -q.density * dl / q.n_e as f64;
    let mut rates = [DVec3::ZERO; 5];
    for (slot, rate) in rates.iter_mut().enumerate() {
        for axis in 0..3 {
            let xi = 3 * slot + axis;
            let mut w = DVec3::new(xd.0[0].d[xi], xd.0[1].d[xi], xd.0[2].d[xi]);
            if slot >= 2 {
                // the material point under x moves with its triangle
                w -= DVec3::AXES[axis] * bary[slot - 2];
            }
            rate[axis] = scale * w.dot(normal_in);
        }
    }
    let mut center_rate = DVec3::ZERO;
    for axis in 0..3 {
        let xi = 15 + axis;
        let w = DVec3::new(xd.0[0].d[xi], xd.0[1].d[xi], xd.0[2].d[xi]);
        center_rate[axis] = scale * w.dot(normal_in);
    }
    Some((rates, center_rate))
}

/// The boundary term as vertex gradients (same shape as
/// [`crate::scattering::grad::vertex_gradients`]: per object, per vertex) of
/// `Σ_b cot_b · a(x_b)`, where `cot_b = ∂L/∂a` at boundary point `b` (for the radar
/// surrogates: the weight gradient of a zero-weight echo placed at the point).
pub fn boundary_vertex_gradients(scene: &Scene, res: &BoundaryResult, cot: &[f64]) -> Result<Vec<Vec<DVec3>>> {
    if cot.len() != res.samples.len() {
        return Err(TraceError::InvalidInput { name: "cotangents", message: format!("{} for {} boundary samples", cot.len(), res.samples.len()) });
    }
    let mut g: Vec<Vec<DVec3>> = scene.objects().iter().map(|o| vec![DVec3::ZERO; o.mesh.vertices.len()]).collect();
    for (s, c) in res.samples.iter().zip(cot) {
        for ((o, v), r) in s.vertices.iter().zip(&s.rates) {
            g[*o as usize][*v as usize] += *r * *c;
        }
    }
    Ok(g)
}

/// The boundary term's gradient with respect to the array centre, `Σ_b cot_b ∂a/∂c`
/// (cotangents as for [`boundary_vertex_gradients`]); add it to the interior term of
/// [`crate::scattering::grad::center_gradient`].
pub fn boundary_center_gradient(res: &BoundaryResult, cot: &[f64]) -> Result<DVec3> {
    if cot.len() != res.samples.len() {
        return Err(TraceError::InvalidInput { name: "cotangents", message: format!("{} for {} boundary samples", cot.len(), res.samples.len()) });
    }
    Ok(res.samples.iter().zip(cot).map(|(s, c)| s.center_rate * *c).sum())
}

/// Which gradient terms of solver (B) to compute: a user trades cost for accuracy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradientTerms {
    /// The interior term (reparameterised samples, [`crate::scattering::grad`]).
    pub interior: bool,
    /// The boundary term with its own sample budget; `None` leaves it out.
    pub boundary: Option<BoundaryOptions>,
}

impl Default for GradientTerms {
    fn default() -> Self {
        GradientTerms { interior: true, boundary: Some(BoundaryOptions::default()) }
    }
}

