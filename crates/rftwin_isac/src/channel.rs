//! Free-space hops between points (time factor `e^{+jωt}`: a hop of length d has phase
//! `e^{−jkd}`).

use glam::DVec3;
use rftwin_core::Complex;
use std::f64::consts::PI;

/// Spherical wave `e^{−jkd}/d`, `d = ‖a − b‖`.
pub fn spherical_wave(a: DVec3, b: DVec3, k: f64) -> Complex {
    let d = a.distance(b);
    Complex::from_polar(1.0 / d, -k * d)
}

/// Point-to-point channel `h(a, b) = e^{−jkd} / (√(4π) d)` (paper 000, eq. 4).
pub fn hop(a: DVec3, b: DVec3, k: f64) -> Complex {
    spherical_wave(a, b, k) / (4.0 * PI).sqrt()
}
