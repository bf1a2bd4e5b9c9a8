//! Indexed triangle meshes and programmatic builders.

use crate::error::{Error, Result};
use glam::DVec3;

/// An indexed triangle mesh in double precision (the CPU reference geometry).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mesh {
    /// Vertex positions \[m\].
    pub vertices: Vec<DVec3>,
    /// Triangles as vertex indices, counter-clockwise seen from the front.
    pub triangles: Vec<[u32; 3]>,
}

impl Mesh {
    /// A mesh from positions and triangles, validated (see [`Mesh::validate`]).
    pub fn new(name: &str, vertices: Vec<DVec3>, triangles: Vec<[u32; 3]>) -> Result<Self> {
        let mesh = Mesh { vertices, triangles };
        mesh.validate(name)?;
        Ok(mesh)
    }

    /// Checks that the mesh is non-empty, that every vertex is finite and that every
    /// index is in range. Degenerate (zero-area) triangles are allowed: they are never
    /// hit, and [`Mesh::degenerate_triangles`] counts them.
    pub fn validate(&self, name: &str) -> Result<()> {
        let bad = |message: String| Err(Error::InvalidMesh { mesh: name.to_string(), message });
        if self.triangles.is_empty() {
            return bad("the mesh has no triangles".into());
        }
        if let Some((i, v)) = self.vertices.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return bad(format!("vertex {i} is not finite: ({}, {}, {})", v.x, v.y, v.z));
        }
        let n = self.vertices.len();
        if let Some((t, tri)) = self.triangles.iter().enumerate().find(|(_, t)| t.iter().any(|&i| i as usize >= n)) {
            return bad(format!("triangle {t} has vertex index out of range: {tri:?} with {n} vertices"));
        }
        Ok(())
    }

    /// Edge adjacency: every undirected edge `[a, b]` (`a < b`) with the faces that share
    /// it, in ascending edge order and, per edge, in triangle order. The one edge map of
    /// the workspace (silhouettes, smoothing neighbours, regularisers).
    pub fn edges(&self) -> EdgeMap {
        edge_map(&self.triangles)
    }

    /// Number of zero-area triangles.
    pub fn degenerate_triangles(&self) -> usize {
        self.triangles.iter().filter(|t| self.triangle_area(t) == 0.0).count()
    }

    /// Indices of the triangles that repeat an earlier triangle of this mesh: the same
    /// three vertex positions in any order (orientation and vertex indices ignored), as
    /// CAD and OSM exports produce. Out-of-range triangles of an unvalidated mesh are
    /// never duplicates.
    pub fn duplicate_triangles(&self) -> Vec<usize> {
        // −0.0 + 0.0 = +0.0: positions equal as numbers get equal keys
        let key = |v: DVec3| [(v.x + 0.0).to_bits(), (v.y + 0.0).to_bits(), (v.z + 0.0).to_bits()];
        let mut seen = std::collections::HashSet::with_capacity(self.triangles.len());
        let mut duplicates = Vec::new();
        for (i, t) in self.triangles.iter().enumerate() {
            let Some(mut corners) = t.iter().map(|&v| self.vertices.get(v as usize).map(|p| key(*p))).collect::<Option<Vec<_>>>() else { continue };
            corners.sort_unstable();
            if !seen.insert(corners) {
                duplicates.push(i);
            }
        }
        duplicates
    }

    /// Removes the triangles of [`Mesh::duplicate_triangles`] (the first copy stays, later
    /// triangles move down) and returns how many were removed.
    pub fn drop_duplicate_triangles(&mut self) -> usize {
        let duplicates = self.duplicate_triangles();
        if duplicates.is_empty() {
            return 0;
        }
        let mut drop = vec![false; self.triangles.len()];
        duplicates.iter().for_each(|&i| drop[i] = true);
        let mut index = 0;
        self.triangles.retain(|_| {
            index += 1;
            !drop[index - 1]
        });
        duplicates.len()
    }

    /// Whether the mesh is closed: every edge shared by exactly two triangles (by vertex
    /// index; a mesh whose seams repeat vertices counts as open).
    pub fn is_closed(&self) -> bool {
        !self.triangles.is_empty() && self.edges().values().all(|faces| faces.len() == 2)
    }

    /// Whether `p` lies inside the mesh, by the parity of a ray's crossings: `Some(false)`
    /// outside the bounding box (checked first, so that asking is cheap for far objects),
    /// `None` for an open mesh whose box holds `p` (its inside is undefined).
    pub fn contains_point(&self, p: DVec3) -> Option<bool> {
        let (lo, hi) = self.bounds()?;
        if p.cmplt(lo).any() || p.cmpgt(hi).any() {
            return Some(false);
        }
        if !self.is_closed() {
            return None;
        }
        // a direction along no axis or diagonal, so that the ray misses edges of
        // axis-aligned meshes
        let d = DVec3::new(0.123_456_7, 0.371_904_3, 0.919_801_1).normalize();
        let mut crossings = 0usize;
        for t in &self.triangles {
            let [Some(a), Some(b), Some(c)] = t.map(|i| self.vertices.get(i as usize).copied()) else { continue };
            let (e1, e2) = (b - a, c - a);
            let q = d.cross(e2);
            let det = e1.dot(q);
            if det == 0.0 {
                continue;
            }
            let s = p - a;
            let u = s.dot(q) / det;
            let r = s.cross(e1);
            let v = d.dot(r) / det;
            if (0.0..=1.0).contains(&u) && v >= 0.0 && u + v <= 1.0 && e2.dot(r) / det > 0.0 {
                crossings += 1;
            }
        }
        Some(crossings % 2 == 1)
    }

    /// Area of triangle `t`; zero when an index is out of range (an unvalidated mesh),
    /// so such a triangle counts as degenerate instead of panicking.
    fn triangle_area(&self, t: &[u32; 3]) -> f64 {
        let v = |i: u32| self.vertices.get(i as usize).copied();
        let (Some(a), Some(b), Some(c)) = (v(t[0]), v(t[1]), v(t[2])) else { return 0.0 };
        0.5 * (b - a).cross(c - a).length()
    }

    /// Axis-aligned bounding box `(min, max)`; `None` for a mesh without vertices.
    pub fn bounds(&self) -> Option<(DVec3, DVec3)> {
        let first = *self.vertices.first()?;
        Some(self.vertices.iter().fold((first, first), |(lo, hi), v| (lo.min(*v), hi.max(*v))))
    }

    /// Appends another mesh (indices are shifted).
    pub fn append(&mut self, other: &Mesh) {
        let offset = self.vertices.len() as u32;
        self.vertices.extend_from_slice(&other.vertices);
        self.triangles.extend(other.triangles.iter().map(|t| t.map(|i| i + offset)));
    }

    /// Moves every vertex by `offset` \[m\].
    pub fn translate(&mut self, offset: DVec3) {
        for v in &mut self.vertices {
            *v += offset;
        }
    }

    /// A rectangle in the plane `z = z0`, `x ∈ [x0, x1]`, `y ∈ [y0, y1]`, normal +z (two triangles).
    pub fn quad_xy(x0: f64, x1: f64, y0: f64, y1: f64, z0: f64) -> Self {
        Mesh {
            vertices: vec![
                DVec3::new(x0, y0, z0),
                DVec3::new(x1, y0, z0),
                DVec3::new(x1, y1, z0),
                DVec3::new(x0, y1, z0),
            ],
            triangles: vec![[0, 1, 2], [0, 2, 3]],
        }
    }

    /// A closed axis-aligned cuboid from `min` to `max` (12 triangles, outward normals),
    /// faces in the order −z, +z, −y, +y, +x, −x (the order of the Sionna canyon reference meshes).
    pub fn cuboid(min: DVec3, max: DVec3) -> Self {
        let v = |x: bool, y: bool, z: bool| {
            DVec3::new(if x { max.x } else { min.x }, if y { max.y } else { min.y }, if z { max.z } else { min.z })
        };
        let vertices = vec![
            v(false, false, false),
            v(true, false, false),
            v(true, true, false),
            v(false, true, false),
            v(false, false, true),
            v(true, false, true),
            v(true, true, true),
            v(false, true, true),
        ];
        let triangles = vec![
            [0, 2, 1],
            [0, 3, 2], // bottom (−z)
            [4, 5, 6],
            [4, 6, 7], // top (+z)
            [0, 1, 5],
            [0, 5, 4], // −y
            [2, 3, 7],
            [2, 7, 6], // +y
            [1, 2, 6],
            [1, 6, 5], // +x
            [3, 0, 4],
            [3, 4, 7], // −x
        ];
        Mesh { vertices, triangles }
    }

    /// A closed box centred at `center` with half extents `half` along the orthonormal
    /// `axes` (12 triangles, outward normals).
    pub fn oriented_box(center: DVec3, half: DVec3, axes: [DVec3; 3]) -> Self {
        let mut m = Mesh::cuboid(-half, half);
        for v in &mut m.vertices {
            *v = center + axes[0] * v.x + axes[1] * v.y + axes[2] * v.z;
        }
        m
    }

    /// A block letter "A" standing in the x–z plane (facing −y), its baseline centred at
    /// `base`: two slanted legs and a crossbar of square `stroke` section, `height` and
    /// `width` \[m\] overall, `depth` thick along y. The three bars overlap where they meet
    /// (a ray tracer needs no boolean union).
    pub fn letter_a(base: DVec3, height: f64, width: f64, stroke: f64, depth: f64) -> Self {
        let mut m = Mesh::default();
        let apex = base + DVec3::new(0.0, 0.0, height);
        for foot in [base + DVec3::new(-width / 2.0 + stroke / 2.0, 0.0, 0.0), base + DVec3::new(width / 2.0 - stroke / 2.0, 0.0, 0.0)] {
            let along = (apex - foot).normalize();
            let len = (apex - foot).length();
            let across = DVec3::Y.cross(along).normalize();
            m.append(&Mesh::oriented_box((foot + apex) / 2.0, DVec3::new(stroke / 2.0, depth / 2.0, len / 2.0), [across, DVec3::Y, along]));
        }
        let bar_z = 0.38 * height;
        let bar_half = (width / 2.0) * (1.0 - bar_z / height);
        m.append(&Mesh::oriented_box(base + DVec3::new(0.0, 0.0, bar_z), DVec3::new(bar_half, depth / 2.0, stroke / 2.0), [DVec3::X, DVec3::Y, DVec3::Z]));
        m
    }

    /// A geodesic sphere of `radius` \[m\] around `center` with `subdivisions` loop
    /// subdivisions of an icosahedron (20 · 4^s triangles, outward normals).
    pub fn icosphere(center: DVec3, radius: f64, subdivisions: u32) -> Self {
        let t = (1.0 + 5f64.sqrt()) / 2.0;
        let mut vertices: Vec<DVec3> = [
            (-1.0, t, 0.0),
            (1.0, t, 0.0),
            (-1.0, -t, 0.0),
            (1.0, -t, 0.0),
            (0.0, -1.0, t),
            (0.0, 1.0, t),
            (0.0, -1.0, -t),
            (0.0, 1.0, -t),
            (t, 0.0, -1.0),
            (t, 0.0, 1.0),
            (-t, 0.0, -1.0),
            (-t, 0.0, 1.0),
        ]
        .iter()
        .map(|&(x, y, z)| DVec3::new(x, y, z).normalize())
        .collect();
        let mut triangles: Vec<[u32; 3]> = vec![
            [0, 11, 5],
            [0, 5, 1],
            [0, 1, 7],
            [0, 7, 10],
            [0, 10, 11],
            [1, 5, 9],
            [5, 11, 4],
            [11, 10, 2],
            [10, 7, 6],
            [7, 1, 8],
            [3, 9, 4],
            [3, 4, 2],
            [3, 2, 6],
            [3, 6, 8],
            [3, 8, 9],
            [4, 9, 5],
            [2, 4, 11],
            [6, 2, 10],
            [8, 6, 7],
            [9, 8, 1],
        ];
        for _ in 0..subdivisions {
            let mut midpoint = std::collections::HashMap::new();
            let mut mid = |a: u32, b: u32, vertices: &mut Vec<DVec3>| -> u32 {
                *midpoint.entry((a.min(b), a.max(b))).or_insert_with(|| {
                    vertices.push(((vertices[a as usize] + vertices[b as usize]) * 0.5).normalize());
                    (vertices.len() - 1) as u32
                })
            };
            let mut next = Vec::with_capacity(triangles.len() * 4);
            for [a, b, c] in triangles {
                let ab = mid(a, b, &mut vertices);
                let bc = mid(b, c, &mut vertices);
                let ca = mid(c, a, &mut vertices);
                next.extend_from_slice(&[[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]);
            }
            triangles = next;
        }
        for v in &mut vertices {
            *v = center + *v * radius;
        }
        Mesh { vertices, triangles }
    }
}

/// A face on an edge of [`Mesh::edges`]: its triangle index and the vertex opposite the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeFace {
    /// Triangle index in the mesh.
    pub triangle: u32,
    /// The triangle's vertex that is not on the edge.
    pub opposite: u32,
}

/// Undirected edge `[a, b]` (`a < b`) → the faces sharing it ([`Mesh::edges`]).
pub type EdgeMap = std::collections::BTreeMap<[u32; 2], Vec<EdgeFace>>;

/// [`Mesh::edges`] of a bare triangle list.
pub fn edge_map(triangles: &[[u32; 3]]) -> EdgeMap {
    let mut map = EdgeMap::new();
    for (t, tri) in triangles.iter().enumerate() {
        for k in 0..3 {
            let (a, b, opposite) = (tri[k], tri[(k + 1) % 3], tri[(k + 2) % 3]);
            map.entry([a.min(b), a.max(b)]).or_default().push(EdgeFace { triangle: t as u32, opposite });
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_a_closed_mesh_by_ray_parity() {
        let cube = Mesh::cuboid(DVec3::ZERO, DVec3::new(1.0, 2.0, 3.0));
        assert!(cube.is_closed());
        assert_eq!(cube.contains_point(DVec3::new(0.5, 1.0, 1.5)), Some(true));
        assert_eq!(cube.contains_point(DVec3::new(0.999, 0.001, 2.99)), Some(true));
        assert_eq!(cube.contains_point(DVec3::new(1.5, 1.0, 1.5)), Some(false));
        assert_eq!(cube.contains_point(DVec3::new(0.5, 1.0, -0.1)), Some(false));
        let ball = Mesh::icosphere(DVec3::new(1.0, 2.0, 3.0), 2.0, 2);
        assert_eq!(ball.contains_point(DVec3::new(1.0, 2.0, 3.0)), Some(true));
        assert_eq!(ball.contains_point(DVec3::new(2.45, 3.45, 3.0)), Some(false), "inside the box, outside the sphere");
        let plate = Mesh::quad_xy(0.0, 1.0, 0.0, 1.0, 0.0);
        assert!(!plate.is_closed());
        assert_eq!(plate.contains_point(DVec3::new(0.5, 0.5, 0.0)), None);
    }

    #[test]
    fn duplicates_are_the_same_corners_in_any_order() {
        // vertices 3..5 repeat 0..2 (one with −0.0): triangle 1 is a copy of triangle 0
        // through other indices, triangle 2 the same corners reversed; triangle 3 differs
        let v = vec![DVec3::ZERO, DVec3::X, DVec3::Y, DVec3::new(-0.0, 0.0, 0.0), DVec3::X, DVec3::Y, DVec3::Z];
        let mut m = Mesh { vertices: v, triangles: vec![[0, 1, 2], [3, 4, 5], [2, 1, 0], [0, 1, 6], [0, 1, 9]] };
        assert_eq!(m.duplicate_triangles(), vec![1, 2]);
        assert_eq!(m.drop_duplicate_triangles(), 2);
        assert_eq!(m.triangles, vec![[0, 1, 2], [0, 1, 6], [0, 1, 9]]);
        assert_eq!(m.drop_duplicate_triangles(), 0);
    }

    #[test]
    fn cuboid_normals_point_outwards() {
        let m = Mesh::cuboid(DVec3::ZERO, DVec3::new(1.0, 2.0, 3.0));
        let c = DVec3::new(0.5, 1.0, 1.5);
        for t in &m.triangles {
            let [a, b, d] = t.map(|i| m.vertices[i as usize]);
            let n = (b - a).cross(d - a);
            assert!(n.dot((a + b + d) / 3.0 - c) > 0.0, "{t:?}");
        }
    }

    #[test]
    fn icosphere_vertices_lie_on_the_sphere() {
        let m = Mesh::icosphere(DVec3::new(1.0, 2.0, 3.0), 2.0, 2);
        assert_eq!(m.triangles.len(), 320);
        for v in &m.vertices {
            assert!(((*v - DVec3::new(1.0, 2.0, 3.0)).length() - 2.0).abs() < 1e-12);
        }
        m.validate("sphere").unwrap();
    }

    #[test]
    fn invalid_meshes_are_errors_naming_the_problem() {
        let e = Mesh::new("m", vec![DVec3::ZERO; 3], vec![[0, 1, 3]]).unwrap_err().to_string();
        assert!(e.contains("'m'") && e.contains("out of range"), "{e}");
        let e = Mesh::new("m", vec![DVec3::ZERO, DVec3::NAN, DVec3::ONE], vec![[0, 1, 2]]).unwrap_err().to_string();
        assert!(e.contains("vertex 1 is not finite"), "{e}");
        assert!(Mesh::new("m", vec![], vec![]).is_err());
        let m = Mesh::new("m", vec![DVec3::ZERO, DVec3::X, DVec3::X * 2.0], vec![[0, 1, 2]]).unwrap();
        assert_eq!(m.degenerate_triangles(), 1);
    }
}
