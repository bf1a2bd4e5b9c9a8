//! Antenna patterns and polarisation (the models of Sionna RT / 3GPP TR 38.901 §7.3).
//!
//! A pattern gives the complex far-field amplitudes `(C_θ, C_φ)` in the antenna's
//! local spherical frame; the field vector is `C_θ θ̂ + C_φ φ̂`. Patterns are normalised
//! so that the gain integrates to 4π.

use crate::dual::{Real, V3};
use glam::{DMat3, DVec3};
use std::f64::consts::PI;

/// Linear polarisation of a single-port antenna.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Polarization {
    /// Vertical: slant angle ζ = 0, field along θ̂.
    V,
    /// Horizontal: slant angle ζ = π/2, field along φ̂.
    H,
    /// Slanted by `ζ` \[rad\] from vertical: `C_θ = c cos ζ`, `C_φ = c sin ζ`.
    Slant(f64),
}

impl Polarization {
    fn slant_angle(self) -> f64 {
        match self {
            Polarization::V => 0.0,
            Polarization::H => PI / 2.0,
            Polarization::Slant(z) => z,
        }
    }
}

/// Radiation pattern shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AntennaPattern {
    /// Isotropic, `c(θ, φ) = 1`.
    Isotropic,
    /// Short (Hertzian) dipole along the local z axis, `c = √1.5 sin θ`.
    ShortDipole,
    /// Half-wavelength dipole, `c = √1.643 cos(π/2 cos θ) / sin θ`.
    HalfWaveDipole,
}

/// A single-port antenna with pattern, polarisation and orientation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Antenna {
    /// Pattern shape.
    pub pattern: AntennaPattern,
    /// Polarisation.
    pub polarization: Polarization,
    /// Orientation `(α, β, γ)` \[rad\]: rotations about z, y, x (R = Rz(α) Ry(β) Rx(γ)).
    pub orientation: DVec3,
}

impl Default for Antenna {
    fn default() -> Self {
        Antenna::isotropic(Polarization::V)
    }
}

/// Unit vector θ̂ of the spherical frame at direction `k` (unit length).
pub fn theta_hat(k: DVec3) -> DVec3 {
    let (theta, phi) = theta_phi(k);
    DVec3::new(theta.cos() * phi.cos(), theta.cos() * phi.sin(), -theta.sin())
}

/// Unit vector φ̂ of the spherical frame at direction `k` (unit length).
pub fn phi_hat(k: DVec3) -> DVec3 {
    let (_, phi) = theta_phi(k);
    DVec3::new(-phi.sin(), phi.cos(), 0.0)
}

/// Zenith angle θ ∈ [0, π] and azimuth φ ∈ (−π, π] of a unit vector \[rad\].
pub fn theta_phi(k: DVec3) -> (f64, f64) {
    (k.z.clamp(-1.0, 1.0).acos(), k.y.atan2(k.x))
}

/// Rotation matrix `Rz(α) Ry(β) Rx(γ)` of an orientation `(α, β, γ)` \[rad\].
pub fn rotation_matrix(orientation: DVec3) -> DMat3 {
    DMat3::from_rotation_z(orientation.x) * DMat3::from_rotation_y(orientation.y) * DMat3::from_rotation_x(orientation.z)
}

impl Antenna {
    /// An isotropic antenna with the given polarisation and no rotation.
    pub fn isotropic(polarization: Polarization) -> Self {
        Antenna { pattern: AntennaPattern::Isotropic, polarization, orientation: DVec3::ZERO }
    }

    /// A short dipole with the given polarisation and no rotation.
    pub fn short_dipole(polarization: Polarization) -> Self {
        Antenna { pattern: AntennaPattern::ShortDipole, polarization, orientation: DVec3::ZERO }
    }

    /// `(C_θ, C_φ)` in the local frame at local zenith/azimuth `(θ, φ)`.
    pub fn local_pattern(&self, theta: f64, _phi: f64) -> (f64, f64) {
        let c = match self.pattern {
            AntennaPattern::Isotropic => 1.0,
            AntennaPattern::ShortDipole => 1.5f64.sqrt() * theta.sin(),
            AntennaPattern::HalfWaveDipole => {
                let s = theta.sin();
                if s.abs() < 1e-12 {
                    0.0
                } else {
                    1.643f64.sqrt() * (PI / 2.0 * theta.cos()).cos() / s
                }
            }
        };
        let zeta = self.polarization.slant_angle();
        (c * zeta.cos(), c * zeta.sin())
    }

    /// The far-field vector `C_θ θ̂ + C_φ φ̂` in world coordinates for the world
    /// direction `k` (unit length, pointing away from the antenna).
    pub fn field_vector(&self, k: DVec3) -> DVec3 {
        self.field_vector_generic(V3::<f64>::cst(k)).value()
    }

    /// [`Antenna::field_vector`] over any [`Real`] (differentiable in `k`). Written
    /// without trigonometry of θ, φ: with the local direction `l`, `ρ = √(l_x² + l_y²)`
    /// = sin θ, `θ̂ = (l_z l_x/ρ, l_z l_y/ρ, −ρ)`, `φ̂ = (−l_y/ρ, l_x/ρ, 0)`; on the
    /// axis (ρ = 0) the frame of φ = 0 is used.
    pub fn field_vector_generic<T: Real>(&self, k: V3<T>) -> V3<T> {
        let rot = rotation_matrix(self.orientation);
        let (rt, r) = (rot.transpose(), rot);
        let mat = |m: glam::DMat3, v: V3<T>| -> V3<T> {
            let row = |i: usize| {
                let c = m.row(i);
                v.0[0] * T::cst(c.x) + v.0[1] * T::cst(c.y) + v.0[2] * T::cst(c.z)
            };
            V3([row(0), row(1), row(2)])
        };
        let l = mat(rt, k);
        let [lx, ly, lz] = l.0;
        let rho = (lx * lx + ly * ly).sqrt();
        let (theta_hat, phi_hat) = if rho.value() > 1e-12 {
            (V3([lz * lx / rho, lz * ly / rho, -rho]), V3([-ly / rho, lx / rho, T::zero()]))
        } else {
            (V3([lz, T::zero(), T::zero()]), V3([T::zero(), T::one(), T::zero()]))
        };
        let c = match self.pattern {
            AntennaPattern::Isotropic => T::one(),
            AntennaPattern::ShortDipole => T::cst(1.5f64.sqrt()) * rho,
            AntennaPattern::HalfWaveDipole => {
                if rho.value() < 1e-12 {
                    T::zero()
                } else {
                    T::cst(1.643f64.sqrt()) * (T::cst(PI / 2.0) * lz).cos() / rho
                }
            }
        };
        let zeta = self.polarization.slant_angle();
        let local = theta_hat.scale(c * T::cst(zeta.cos())).plus(phi_hat.scale(c * T::cst(zeta.sin())));
        mat(r, local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ∫ |C|² dΩ / 4π = 1 for every pattern (unit directivity average).
    #[test]
    fn patterns_are_normalised() {
        for pattern in [AntennaPattern::Isotropic, AntennaPattern::ShortDipole, AntennaPattern::HalfWaveDipole] {
            let a = Antenna { pattern, polarization: Polarization::V, orientation: DVec3::ZERO };
            let n = 2000;
            let mut sum = 0.0;
            for i in 0..n {
                let theta = (i as f64 + 0.5) / n as f64 * PI;
                let (ct, cp) = a.local_pattern(theta, 0.0);
                sum += (ct * ct + cp * cp) * theta.sin() * (PI / n as f64) * 2.0 * PI;
            }
            // the half-wave dipole's 1.643 is rounded, so allow 0.2 %
            assert!((sum / (4.0 * PI) - 1.0).abs() < 2e-3, "{pattern:?}: {}", sum / (4.0 * PI));
        }
    }

    #[test]
    fn rotated_dipole_has_its_null_along_its_axis() {
        let mut a = Antenna::short_dipole(Polarization::V);
        assert!(a.field_vector(DVec3::Z).length() < 1e-12);
        a.orientation = DVec3::new(0.0, PI / 2.0, 0.0); // axis now along +x
        assert!(a.field_vector(DVec3::X).length() < 1e-12);
        assert!((a.field_vector(DVec3::Z).length() - 1.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn field_vector_is_transverse() {
        let a = Antenna::isotropic(Polarization::Slant(0.3));
        let k = DVec3::new(0.3, -0.5, 0.8).normalize();
        assert!(a.field_vector(k).dot(k).abs() < 1e-12);
        assert!((a.field_vector(k).length() - 1.0).abs() < 1e-12);
    }
}
