//! Named tolerances of the tracer. Each says its unit, what it is relative to and why it
//! has its value. A path that vanishes or appears unexpectedly is usually decided by one
//! of these; length tolerances scale with the scene's bounding-box diagonal
//! ([`crate::SceneGeometry::scale`]) so that a room and a city behave alike.
//!
//! Physical model thresholds (not numerical tolerances) stay with their models:
//! [`crate::scene_geometry::wedges::FLAT_TOLERANCE`] (which edges diffract) and
//! [`crate::scattering::GRAZING_TAPER`] (solver B's diffuse floor).

/// Two unit normals are parallel (coplanar faces) when `|n₁ · n₂| > 1 −` this.
/// Dimensionless; 1e-9 is ~4.5e-5 rad, well above f64 rounding of normals computed from
/// f64 vertices, well below any real angle between distinct walls.
pub const PARALLEL_COS: f64 = 1e-9;

/// A vertex lies on a plane when its distance is below this × the scene scale \[m/m\].
/// Used by the image method to accept a triangle quantised into a neighbouring plane id.
pub const ON_PLANE_REL: f64 = 1e-9;

/// Single-precision rays (candidate search, GPU queries, solver B's samples) start this ×
/// the scene scale \[m/m\] off the surface they leave: clears the f32 rounding of a hit
/// point (~6e-8 relative) with margin, while staying below any modelled feature size.
pub const F32_RAY_OFFSET_REL: f64 = 1e-6;

/// A reflection point counts as on the same plane as a competing hit when their ray
/// distances differ by less than this × the scene scale \[m/m\] (coverage's covered-face
/// constraint; the same search reach).
pub const SAME_HIT_REL: f64 = 1e-7;

/// Bisection steps that locate a coverage crossing along a scan line; 60 halvings bring
/// any cell-sized interval below f64 resolution (the loop also stops when the midpoint
/// no longer moves).
pub const BISECTION_STEPS: usize = 60;

/// Plane-id quantisation: a unit normal's components are rounded to 1/this
/// (1e-6, dimensionless) and the plane offset to 1/[`PLANE_OFFSET_STEPS`] (1e-5 m);
/// triangles that agree to these share a plane id, i.e. are one mirror to the candidate
/// search. Coarser than f32 mesh rounding of a flat wall, finer than any deliberate bend.
pub const PLANE_NORMAL_STEPS: f64 = 1e6;
/// Plane offsets are rounded to 1/this \[m\] (see [`PLANE_NORMAL_STEPS`]).
pub const PLANE_OFFSET_STEPS: f64 = 1e5;

/// Step off a surface, relative part \[m/m of the scene scale\]
/// ([`crate::SceneGeometry::eps`] = this × scale + [`SURFACE_EPS_ABS`]): f64 rays ignore
/// hits closer than that, so a ray leaving a face does not hit it again through rounding.
pub const SURFACE_EPS_REL: f64 = 1e-9;
/// Step off a surface, absolute part \[m\] (keeps the step positive in a tiny scene).
pub const SURFACE_EPS_ABS: f64 = 1e-9;

/// A convex edge rests on another object's surface (a contact edge, not diffracted)
/// when that surface lies within this × the scene scale \[m/m\] of its faces.
pub const CONTACT_REL: f64 = 1e-5;

/// A point lies on a wedge's edge within this × the scene scale \[m/m\] (finding the
/// wedge of a returned diffraction point).
pub const ON_EDGE_REL: f64 = 1e-6;

/// Diffraction angles `φ`, `φ'` closer than this \[rad\] to a wedge face are on the face,
/// not in the exterior (no diffracted path).
pub const WEDGE_ANGLE_MARGIN: f64 = 1e-9;

/// A surface hit with `|cos θ|` below this (dimensionless) grazes: solver (B) drops the
/// sample (its area pdf `p_ω cos θ / d²` would be unbounded).
pub const GRAZING_COS: f64 = 1e-6;

/// A mesh edge is a silhouette when its faces lie on one side of the plane through
/// the eye and the edge by more than this × the scene scale \[m/m\].
pub const SILHOUETTE_SIDE_REL: f64 = 1e-12;

/// Coverage probes and the points beside a crossing sit this fraction of the interval
/// or cell width away; crossings closer than that are one.
pub const PROBE_OFFSET_REL: f64 = 1e-6;

/// A coverage crossing within this fraction of a cell width of a cell border is on the
/// border (its term split between the two cells).
pub const CELL_BORDER_REL: f64 = 1e-9;

/// A switching constraint whose derivative along the scan line is below this × the sum
/// of its derivatives' magnitudes does not move with the receiver: the crossing is left
/// unidentified rather than given an unbounded velocity.
pub const STATIONARY_CONSTRAINT_REL: f64 = 1e-12;

/// A point is inside a triangle, clear of its edges, when every barycentric coordinate
/// exceeds this (dimensionless).
pub const INSIDE_BARYCENTRIC: f64 = 1e-6;

/// Largest scene extent (bounding-box diagonal) a solve accepts \[m\]: 1000 km, far beyond
/// any ray-traced radio scene, where the surface tolerance is still 1 mm and f32 bounds
/// resolve 6 cm.
pub const MAX_SCENE_EXTENT: f64 = 1e6;
