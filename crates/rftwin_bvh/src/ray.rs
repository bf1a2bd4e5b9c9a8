//! Rays and hits.

/// A ray `o + t d`, `t ∈ [t_min, t_max]`, in single precision with the reciprocal
/// direction precomputed for slab tests. `d` need not be normalised; `t` is in units
/// of `|d|`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ray {
    /// Origin.
    pub o: [f32; 3],
    /// Direction.
    pub d: [f32; 3],
    /// `1 / d` per component (±inf for zero components).
    pub inv_d: [f32; 3],
    /// Smallest accepted `t`.
    pub t_min: f32,
    /// Largest accepted `t`.
    pub t_max: f32,
}

impl Ray {
    /// A ray from `o` along `d` with `t ∈ [t_min, t_max]`.
    #[inline]
    pub fn new(o: [f32; 3], d: [f32; 3], t_min: f32, t_max: f32) -> Self {
        // a NaN or infinite origin/direction silently misses everything in the slab tests
        debug_assert!(o.iter().chain(&d).all(|x| x.is_finite()), "ray with a non-finite origin or direction: o {o:?}, d {d:?}");
        debug_assert!(!t_min.is_nan() && !t_max.is_nan(), "ray with a NaN range [{t_min}, {t_max}]");
        Ray { o, d, inv_d: [1.0 / d[0], 1.0 / d[1], 1.0 / d[2]], t_min, t_max }
    }
}

/// A ray–triangle hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Original triangle id.
    pub triangle: u32,
    /// Ray parameter.
    pub t: f32,
    /// Barycentric coordinate of `v1`.
    pub u: f32,
    /// Barycentric coordinate of `v2`.
    pub v: f32,
}
