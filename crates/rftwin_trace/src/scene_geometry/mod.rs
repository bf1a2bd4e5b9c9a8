//! The scene flattened for tracing: one triangle list in double precision, a BVH over
//! it, and per-triangle object, material and plane ids.

pub mod chain;
pub mod wedges;

use glam::DVec3;
use rftwin_bvh::{Bvh, Bvh4, Ray};
use rftwin_core::Scene;
use crate::tolerance::{PLANE_NORMAL_STEPS, PLANE_OFFSET_STEPS};
use std::collections::HashMap;

/// A closest hit in double precision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SceneHit {
    /// Global triangle index.
    pub triangle: u32,
    /// Distance along the (unit) ray direction \[m\].
    pub t: f64,
}

/// A ray query for [`SceneGeometry::closest_hits`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RayQuery {
    /// Origin \[m\].
    pub origin: DVec3,
    /// Unit direction.
    pub direction: DVec3,
    /// Hits at `t ≤ t_min` are ignored \[m\].
    pub t_min: f64,
    /// Hits at `t ≥ t_max` are ignored \[m\].
    pub t_max: f64,
    /// Triangle to ignore (the one the ray leaves).
    pub skip: Option<u32>,
}

/// Flattened, traceable scene geometry.
#[derive(Debug, Clone)]
pub struct SceneGeometry {
    /// Triangle vertices \[m\], global triangle index.
    pub triangles: Vec<[DVec3; 3]>,
    /// Unit geometric normal `(v1 − v0) × (v2 − v0)` normalised (zero if degenerate).
    pub normals: Vec<DVec3>,
    /// Object index of each triangle.
    pub object: Vec<u32>,
    /// Object-local index of each triangle.
    pub local_index: Vec<u32>,
    /// Material index of each triangle (into `Scene::materials`).
    pub material: Vec<u32>,
    /// Plane id of each triangle: coplanar triangles (same supporting plane up to
    /// 1e-6 in normal and 1e-5 m in offset) share an id.
    pub plane: Vec<u32>,
    /// One `(unit normal, offset)` per plane id, `n · x = offset` on the plane.
    pub planes: Vec<(DVec3, f64)>,
    /// Binary BVH over `triangles` (the GPU layout; refit target).
    pub bvh: Bvh,
    /// 4-wide BVH collapsed from `bvh`, used by the CPU queries.
    pub wide: Bvh4,
    /// Object names.
    pub object_names: Vec<String>,
    /// Global index of each object's first triangle.
    pub object_first: Vec<usize>,
    /// Length of the scene's bounding-box diagonal \[m\] (scale for tolerances).
    pub scale: f64,
    /// Diffracting wedges (without, with knife edges), found on first use and kept
    /// until the triangles move ([`wedges::wedges`]).
    pub(crate) wedge_cache: [std::sync::OnceLock<wedges::Wedges>; 2],
}

fn plane_key(n: DVec3, d: f64) -> (i64, i64, i64, i64) {
    // Canonical orientation: first non-zero component positive.
    let s = if n.x > 1e-9 || (n.x.abs() <= 1e-9 && (n.y > 1e-9 || (n.y.abs() <= 1e-9 && n.z > 0.0))) { 1.0 } else { -1.0 };
    let (n, d) = (n * s, d * s);
    let q = |x: f64, per_unit: f64| (x * per_unit).round() as i64;
    (q(n.x, PLANE_NORMAL_STEPS), q(n.y, PLANE_NORMAL_STEPS), q(n.z, PLANE_NORMAL_STEPS), q(d, PLANE_OFFSET_STEPS))
}

impl SceneGeometry {
    /// Flattens `scene` and builds its BVH.
    pub fn new(scene: &Scene) -> Self {
        let n = scene.num_triangles();
        let mut g = SceneGeometry {
            triangles: Vec::with_capacity(n),
            normals: Vec::new(),
            object: Vec::with_capacity(n),
            local_index: Vec::with_capacity(n),
            material: Vec::with_capacity(n),
            plane: Vec::new(),
            planes: Vec::new(),
            bvh: Bvh::default(),
            wide: Bvh4::default(),
            object_names: scene.objects().iter().map(|o| o.name.clone()).collect(),
            object_first: Vec::with_capacity(scene.objects().len()),
            scale: 1.0,
            wedge_cache: Default::default(),
        };
        for (oi, obj) in scene.objects().iter().enumerate() {
            g.object_first.push(g.triangles.len());
            for (ti, t) in obj.mesh.triangles.iter().enumerate() {
                g.triangles.push(t.map(|i| obj.mesh.vertices[i as usize]));
                g.object.push(oi as u32);
                g.local_index.push(ti as u32);
                g.material.push(obj.material as u32);
            }
        }
        g.derive_from_triangles();
        g.bvh = Bvh::build(&g.triangles);
        g.wide = Bvh4::from_bvh(&g.bvh);
        g
    }

    /// Normals, plane ids, planes and scale from `triangles`.
    fn derive_from_triangles(&mut self) {
        let mut plane_ids: HashMap<(i64, i64, i64, i64), u32> = HashMap::new();
        let (mut lo, mut hi) = (DVec3::splat(f64::INFINITY), DVec3::splat(f64::NEG_INFINITY));
        self.normals.clear();
        self.plane.clear();
        self.planes.clear();
        for v in &self.triangles {
            lo = lo.min(v[0]).min(v[1]).min(v[2]);
            hi = hi.max(v[0]).max(v[1]).max(v[2]);
            let cross = (v[1] - v[0]).cross(v[2] - v[0]);
            let normal = if cross.length() > 0.0 { cross.normalize() } else { DVec3::ZERO };
            let key = plane_key(normal, normal.dot(v[0]));
            let next = plane_ids.len() as u32;
            let pid = *plane_ids.entry(key).or_insert(next);
            if pid == next {
                self.planes.push((normal, normal.dot(v[0])));
            }
            self.normals.push(normal);
            self.plane.push(pid);
        }
        self.scale = if self.triangles.is_empty() { 1.0 } else { (hi - lo).length().max(1.0) };
    }

    /// Refuses a scene larger than [`crate::tolerance::MAX_SCENE_EXTENT`], naming its
    /// largest object: the surface tolerance grows with the extent and the BVH bounds are
    /// f32, so in a scene of 10⁸ m, paths at building scale — line of sight included —
    /// were silently lost.
    pub fn check_extent(&self, scene: &Scene) -> crate::error::Result<()> {
        let max = crate::tolerance::MAX_SCENE_EXTENT;
        if self.scale <= max {
            return Ok(());
        }
        let size = |o: &rftwin_core::SceneObject| o.mesh.bounds().map_or(0.0, |(lo, hi)| (hi - lo).length());
        let largest = scene.objects().iter().max_by(|a, b| size(a).total_cmp(&size(b)));
        let far = scene.objects().iter().filter_map(|o| o.mesh.bounds().map(|(lo, hi)| (o, lo.abs().max(hi.abs()).max_element()))).max_by(|a, b| a.1.total_cmp(&b.1));
        Err(crate::error::TraceError::InvalidInput {
            name: "scene",
            message: format!(
                "it spans {:.3e} m, above the {max:e} m that the surface tolerance and the f32 BVH resolve (largest object '{}', {:.3e} m; farthest object '{}', {:.3e} m from the origin): rescale or remove it",
                self.scale,
                largest.map_or("?", |o| o.name.as_str()),
                largest.map_or(0.0, size),
                far.map_or("?", |(o, _)| o.name.as_str()),
                far.map_or(0.0, |(_, d)| d)
            ),
        })
    }

    /// Checks that this geometry was built from `scene` (same objects, names, triangle
    /// counts and materials); a geometry of another scene would index the wrong
    /// triangles and materials. Moved vertices are not detected: after moving a mesh,
    /// build the geometry again or call [`SceneGeometry::update_triangles`].
    pub fn check_matches(&self, scene: &Scene) -> crate::error::Result<()> {
        let bad = |message: String| Err(crate::error::TraceError::InvalidInput { name: "geometry", message });
        if self.object_names.len() != scene.objects().len() {
            return bad(format!("built from a scene of {} objects, the scene has {}; build it with SceneGeometry::new(&scene)", self.object_names.len(), scene.objects().len()));
        }
        for (o, obj) in scene.objects().iter().enumerate() {
            let first = self.object_first[o];
            let end = self.object_first.get(o + 1).copied().unwrap_or(self.triangles.len());
            if self.object_names[o] != obj.name || end - first != obj.mesh.triangles.len() || (end > first && self.material[first] != obj.material as u32) {
                return bad(format!(
                    "object {o} is '{}' with {} triangles in the geometry but '{}' with {} in the scene (or its material changed); build the geometry from this scene",
                    self.object_names[o],
                    end - first,
                    obj.name,
                    obj.mesh.triangles.len()
                ));
            }
        }
        Ok(())
    }

    /// Global index of triangle `local` of object `object`, if both exist.
    pub fn triangle_index(&self, object: usize, local: usize) -> Option<usize> {
        let first = *self.object_first.get(object)?;
        let end = self.object_first.get(object + 1).copied().unwrap_or(self.triangles.len());
        (first + local < end).then_some(first + local)
    }

    /// Number of triangles.
    pub fn num_triangles(&self) -> usize {
        self.triangles.len()
    }

    /// Moves triangle vertices (same topology) and refits the BVH; normals, mirror
    /// planes and scale are derived again. `triangles` is in global triangle order.
    pub fn update_triangles(&mut self, triangles: Vec<[DVec3; 3]>) -> Result<(), rftwin_bvh::RefitError> {
        self.bvh.refit(&triangles)?;
        self.wide = Bvh4::from_bvh(&self.bvh);
        self.triangles = triangles;
        self.derive_from_triangles();
        self.wedge_cache = Default::default();
        Ok(())
    }

    /// Double-precision Möller–Trumbore: `t` of the hit of `o + t d` with triangle `i`.
    #[inline]
    pub fn intersect(&self, i: usize, o: DVec3, d: DVec3) -> Option<f64> {
        let [v0, v1, v2] = self.triangles[i];
        let (e1, e2) = (v1 - v0, v2 - v0);
        let p = d.cross(e2);
        let det = e1.dot(p);
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let inv = 1.0 / det;
        let s = o - v0;
        let u = s.dot(p) * inv;
        if !(0.0..=1.0).contains(&u) {
            return None;
        }
        let q = s.cross(e1);
        let v = d.dot(q) * inv;
        if v < 0.0 || u + v > 1.0 {
            return None;
        }
        Some(e2.dot(q) * inv)
    }

    fn ray32(o: DVec3, d: DVec3, t_max: f64) -> Ray {
        Ray::new(o.as_vec3().into(), d.as_vec3().into(), 0.0, (t_max as f32).next_up())
    }

    /// Nearest hit of the ray `o + t d` (`d` unit) with `t ∈ (t_min, t_max)`, ignoring
    /// triangle `skip` (the one the ray starts on, if any).
    pub fn closest_hit(&self, o: DVec3, d: DVec3, t_min: f64, t_max: f64, skip: Option<u32>) -> Option<SceneHit> {
        self.closest_hit_skipping(o, d, t_min, t_max, skip.as_slice())
    }

    /// [`Self::closest_hit`] ignoring every triangle in `skip` (e.g. both faces of an edge
    /// the ray starts on).
    ///
    /// Coincident surfaces (a building's bottom face in the ground plane, two objects
    /// sharing a wall) are decided by a stated rule: hits within [`Self::eps`] of each
    /// other are the same point, and the triangle of lower index — the object listed
    /// first in the scene — wins, whatever the traversal order or rounding.
    pub fn closest_hit_skipping(&self, o: DVec3, d: DVec3, t_min: f64, t_max: f64, skip: &[u32]) -> Option<SceneHit> {
        let ray = Self::ray32(o, d, t_max);
        let tie = self.eps();
        let mut best: Option<SceneHit> = None;
        self.wide.traverse(&ray, |tri, tmax32| {
            if !skip.contains(&tri.id) {
                if let Some(t) = self.intersect(tri.id as usize, o, d) {
                    let better = t > t_min
                        && t < t_max
                        && match best {
                            None => true,
                            Some(b) => t < b.t - tie || ((t - b.t).abs() <= tie && tri.id < b.triangle),
                        };
                    if better {
                        let nearest = best.map_or(t, |b| b.t.min(t));
                        best = Some(SceneHit { triangle: tri.id, t });
                        // keep visiting boxes up to the tie distance beyond the nearest hit
                        *tmax32 = ((nearest + tie) as f32).next_up();
                    }
                }
            }
            false
        });
        best
    }

    /// Nearest hits of many rays at once (interleaved traversal, see
    /// [`Bvh4::traverse_batch`]); `out[i]` is [`SceneGeometry::closest_hit`] of `queries[i]`.
    pub fn closest_hits(&self, queries: &[RayQuery], out: &mut [Option<SceneHit>]) {
        debug_assert_eq!(queries.len(), out.len());
        let rays: Vec<Ray> = queries.iter().map(|q| Self::ray32(q.origin, q.direction, q.t_max)).collect();
        let mut best_t: Vec<f64> = queries.iter().map(|q| q.t_max).collect();
        out.iter_mut().for_each(|o| *o = None);
        self.wide.traverse_batch(&rays, |i, tri, tmax32| {
            let q = &queries[i];
            if Some(tri.id) != q.skip {
                if let Some(t) = self.intersect(tri.id as usize, q.origin, q.direction) {
                    if t > q.t_min && t < best_t[i] {
                        best_t[i] = t;
                        out[i] = Some(SceneHit { triangle: tri.id, t });
                        *tmax32 = (t as f32).next_up();
                    }
                }
            }
            false
        });
    }

    /// Whether anything blocks the open segment from `a` to `b`, ignoring the
    /// triangles in `skip` and hits within `eps` \[m\] of either end.
    pub fn occluded(&self, a: DVec3, b: DVec3, skip: [Option<u32>; 2], eps: f64) -> bool {
        let delta = b - a;
        let len = delta.length();
        if len <= 2.0 * eps {
            return false;
        }
        let d = delta / len;
        let ray = Self::ray32(a, d, len);
        let mut hit = false;
        self.wide.traverse(&ray, |tri, _| {
            if skip.contains(&Some(tri.id)) {
                return false;
            }
            if let Some(t) = self.intersect(tri.id as usize, a, d) {
                hit = t > eps && t < len - eps;
            }
            hit
        });
        hit
    }

    /// Distance tolerance \[m\] used to step off surfaces, relative to the scene size.
    pub fn eps(&self) -> f64 {
        crate::tolerance::SURFACE_EPS_REL * self.scale.max(1.0) + crate::tolerance::SURFACE_EPS_ABS
    }
}

/// Barycentric coordinates `(b1, b2)` of `p` in triangle `(v0, v1, v2)`.
pub fn barycentric(p: DVec3, v0: DVec3, v1: DVec3, v2: DVec3) -> [f64; 2] {
    let (e1, e2, w) = (v1 - v0, v2 - v0, p - v0);
    let (d11, d12, d22) = (e1.dot(e1), e1.dot(e2), e2.dot(e2));
    let (w1, w2) = (w.dot(e1), w.dot(e2));
    let den = d11 * d22 - d12 * d12;
    if den == 0.0 {
        return [0.0, 0.0];
    }
    [(d22 * w1 - d12 * w2) / den, (d11 * w2 - d12 * w1) / den]
}
