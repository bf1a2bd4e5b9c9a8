//! Built-in shapes for reconstruction: a parametric car-like body on the icosphere's
//! topology (so every member of the family, the target and the starting sphere share
//! vertex and triangle lists, which the shape prior and vertex-wise metrics need).

use glam::DVec3;
use rftwin_core::Mesh;
use serde::{Deserialize, Serialize};

/// Proportions of a car-like body: a rounded lower body with a rounded cabin on top.
/// Length along x, width along y, height along z; the body's centre is the origin of
/// the shape.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CarBody {
    /// Body length \[m\].
    pub length: f64,
    /// Body width \[m\].
    pub width: f64,
    /// Lower-body height \[m\].
    pub body_height: f64,
    /// Cabin length \[m\].
    pub cabin_length: f64,
    /// Cabin height above the lower body \[m\].
    pub cabin_height: f64,
    /// Cabin centre's offset along x from the body centre \[m\] (negative: towards the rear).
    pub cabin_offset: f64,
    /// Exponent of the rounded boxes (‖·‖_p; larger is boxier).
    pub roundness: f64,
}

impl Default for CarBody {
    /// A 1:5 model car: 0.8 m × 0.36 m, 0.16 m body, 0.42 m cabin 0.12 m high.
    fn default() -> Self {
        CarBody { length: 0.8, width: 0.36, body_height: 0.16, cabin_length: 0.42, cabin_height: 0.12, cabin_offset: -0.06, roundness: 6.0 }
    }
}

impl CarBody {
    /// The family the shape prior is fitted to: the default body with length, width,
    /// heights and cabin placement varied (eight members, none equal to the default).
    pub fn family() -> Vec<CarBody> {
        let d = CarBody::default();
        let v = |l: f64, w: f64, bh: f64, cl: f64, ch: f64, co: f64| CarBody { length: d.length * l, width: d.width * w, body_height: d.body_height * bh, cabin_length: d.cabin_length * cl, cabin_height: d.cabin_height * ch, cabin_offset: co, ..d };
        vec![
            v(1.10, 1.00, 0.90, 1.00, 1.10, -0.08),
            v(0.90, 1.05, 1.10, 0.90, 0.90, -0.02),
            v(1.05, 0.90, 1.00, 1.15, 1.00, -0.10),
            v(0.95, 1.10, 0.95, 0.85, 1.20, -0.04),
            v(1.15, 1.05, 1.05, 1.10, 0.85, 0.00),
            v(0.88, 0.95, 1.15, 1.05, 1.05, -0.07),
            v(1.00, 1.12, 0.88, 0.95, 0.95, -0.12),
            v(1.08, 0.92, 1.08, 0.92, 1.15, -0.03),
        ]
    }

    fn inside(&self, p: DVec3) -> bool {
        let rounded = |q: DVec3, h: DVec3| {
            let s = self.roundness;
            ((q.x / h.x).abs().powf(s) + (q.y / h.y).abs().powf(s) + (q.z / h.z).abs().powf(s)) <= 1.0
        };
        let body = DVec3::new(self.length, self.width, self.body_height) * 0.5;
        // the cabin sinks a little into the body so the union is connected and
        // star-shaped about the body centre
        let cabin_c = DVec3::new(self.cabin_offset, 0.0, 0.5 * self.body_height + 0.5 * self.cabin_height - 0.02);
        let cabin = DVec3::new(self.cabin_length, 0.85 * self.width, self.cabin_height + 0.04) * 0.5;
        rounded(p, body) || rounded(p - cabin_c, cabin)
    }

    /// The body on an icosphere with `subdivisions`: each sphere vertex is moved along
    /// its direction from the centre to the body's surface, and the result translated
    /// to `center`.
    pub fn mesh(&self, center: DVec3, subdivisions: u32) -> Mesh {
        let mut m = Mesh::icosphere(DVec3::ZERO, 1.0, subdivisions);
        let reach = self.length + self.width + self.body_height + self.cabin_height;
        for v in &mut m.vertices {
            let u = v.normalize();
            // last inside point along the ray: march, then bisect
            let step = reach / 400.0;
            let mut t_in = 0.0;
            let mut t = step;
            while t < reach {
                if self.inside(u * t) {
                    t_in = t;
                }
                t += step;
            }
            let (mut lo, mut hi) = (t_in, t_in + step);
            for _ in 0..40 {
                let mid = 0.5 * (lo + hi);
                if self.inside(u * mid) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            *v = center + u * lo;
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn car_body_has_the_requested_extents() {
        let c = CarBody::default();
        let m = c.mesh(DVec3::new(0.0, 2.0, 0.0), 3);
        let (lo, hi) = m.bounds().unwrap();
        let ext = hi - lo;
        // vertices sample the surface, so extents are slightly under the nominal ones
        assert!((ext.x - c.length).abs() < 0.02 && (ext.y - c.width).abs() < 0.02, "{ext}");
        assert!((hi.z - (0.5 * c.body_height + c.cabin_height)).abs() < 0.02 && (lo.z + 0.5 * c.body_height).abs() < 0.02, "{lo} {hi}");
        assert_eq!(m.triangles, Mesh::icosphere(DVec3::ZERO, 1.0, 3).triangles);
    }
}
