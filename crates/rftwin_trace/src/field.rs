//! Field calculation: ITU-R P.2040 slab coefficients and the polarised path
//! coefficient in the Sionna RT convention (see `docs/physics.md`).

use glam::DVec3;
use rftwin_core::{Antenna, Complex};
use std::f64::consts::PI;

/// Reflection and transmission coefficients of a slab for TE and TM polarisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlabCoefficients {
    /// Reflection, TE (E perpendicular to the plane of incidence).
    pub r_te: Complex,
    /// Reflection, TM.
    pub r_tm: Complex,
    /// Transmission, TE.
    pub t_te: Complex,
    /// Transmission, TM.
    pub t_tm: Complex,
}

/// ITU-R P.2040-3 eqs. (37), (43), (44): coefficients of a slab of complex relative
/// permittivity `eta`, thickness `d` [m], at wavelength `lambda` [m] and incidence
/// cosine `cos_theta = |k·n|`.
///
/// `S = √(η − sin²θ)` (principal branch), `q = 2π d S / λ`,
/// `r_TE = (cos θ − S)/(cos θ + S)`, `r_TM = (η cos θ − S)/(η cos θ + S)`,
/// `R = r (1 − e^{−j2q}) / (1 − r² e^{−j2q})`, `T = (1 − r²) e^{−jq} / (1 − r² e^{−j2q})`.
pub fn slab_coefficients(eta: Complex, thickness: f64, lambda: f64, cos_theta: f64) -> SlabCoefficients {
    let cos_t = cos_theta.clamp(0.0, 1.0);
    let sin2 = 1.0 - cos_t * cos_t;
    let s = (eta - sin2).sqrt();
    let q = s * (2.0 * PI * thickness / lambda);
    let j = Complex::i();
    let e2 = (-j * 2.0 * q).exp();
    let e1 = (-j * q).exp();
    let one = Complex::new(1.0, 0.0);
    let coeff = |r: Complex| {
        let den = one - r * r * e2;
        (r * (one - e2) / den, (one - r * r) * e1 / den)
    };
    let r_te0 = (cos_t - s) / (cos_t + s);
    let r_tm0 = (eta * cos_t - s) / (eta * cos_t + s);
    let (r_te, t_te) = coeff(r_te0);
    let (r_tm, t_tm) = coeff(r_tm0);
    SlabCoefficients { r_te, r_tm, t_te, t_tm }
}

/// A complex 3-vector (field phasor).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CVec3(pub [Complex; 3]);

impl CVec3 {
    /// A real vector as a phasor.
    pub fn from_real(v: DVec3) -> Self {
        CVec3([Complex::new(v.x, 0.0), Complex::new(v.y, 0.0), Complex::new(v.z, 0.0)])
    }
    /// `Σ self_k v_k` (no conjugation) with a real vector.
    pub fn dot_real(&self, v: DVec3) -> Complex {
        self.0[0] * v.x + self.0[1] * v.y + self.0[2] * v.z
    }
    /// `c · v` for a real vector `v`.
    pub fn scaled_real(c: Complex, v: DVec3) -> Self {
        CVec3([c * v.x, c * v.y, c * v.z])
    }
    /// Component-wise sum.
    pub fn add(&self, o: &CVec3) -> Self {
        CVec3([self.0[0] + o.0[0], self.0[1] + o.0[1], self.0[2] + o.0[2]])
    }
}

/// One interaction as the field calculation sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldInteraction {
    /// `true` for a transmission (refraction), `false` for a specular reflection.
    pub transmission: bool,
    /// Unit surface normal (either orientation).
    pub normal: DVec3,
    /// Complex relative permittivity η of the slab.
    pub eta: Complex,
    /// Slab thickness [m].
    pub thickness: f64,
}

/// Basis `(ŝ, p̂_i)` of an incident direction `k_i` on a surface with normal `n`:
/// `ŝ = k_i × n / |k_i × n|`, `p̂_i = ŝ × k_i`. At normal incidence any `ŝ ⊥ k_i`
/// gives the same result (TE and TM coincide), so a fixed perpendicular is used.
fn incidence_basis(k_i: DVec3, n: DVec3) -> DVec3 {
    let c = k_i.cross(n);
    if c.length() > 1e-12 {
        c.normalize()
    } else {
        k_i.any_orthonormal_vector()
    }
}

/// Transports the field phasor `e` through one interaction with incident direction
/// `k_i` and outgoing direction `k_o`:
/// `E_out = X_TE (E·ŝ) ŝ + X_TM (E·p̂_i) p̂_o`, `X = R` or `T`.
pub fn apply_interaction(e: CVec3, k_i: DVec3, k_o: DVec3, inter: &FieldInteraction, lambda: f64) -> CVec3 {
    let cos_theta = k_i.dot(inter.normal).abs();
    let c = slab_coefficients(inter.eta, inter.thickness, lambda, cos_theta);
    let (x_te, x_tm) = if inter.transmission { (c.t_te, c.t_tm) } else { (c.r_te, c.r_tm) };
    let s = incidence_basis(k_i, inter.normal);
    let p_i = s.cross(k_i);
    let p_o = s.cross(k_o);
    CVec3::scaled_real(x_te * e.dot_real(s), s).add(&CVec3::scaled_real(x_tm * e.dot_real(p_i), p_o))
}

/// Coefficient `a` of a path through `points` = [tx, v₁, …, v_k, rx] with the given
/// interactions (Sionna RT convention, no propagation phase):
/// `a = (λ / 4π) (1 / L) C_R(−k_last)ᵀ Π M_k C_T(k_first)`, L the total length.
pub fn path_coefficient(points: &[DVec3], interactions: &[FieldInteraction], tx: &Antenna, rx: &Antenna, lambda: f64) -> Complex {
    debug_assert_eq!(points.len(), interactions.len() + 2);
    let dirs: Vec<DVec3> = points.windows(2).map(|w| (w[1] - w[0]).normalize()).collect();
    let length: f64 = points.windows(2).map(|w| (w[1] - w[0]).length()).sum();
    let mut e = CVec3::from_real(tx.field_vector(dirs[0]));
    for (k, inter) in interactions.iter().enumerate() {
        e = apply_interaction(e, dirs[k], dirs[k + 1], inter, lambda);
    }
    let last = dirs[dirs.len() - 1];
    let c_r = rx.field_vector(-last);
    e.dot_real(c_r) * (lambda / (4.0 * PI * length))
}

/// Power split `(P_R, P_T)` of a slab at incidence cosine `cos_theta`, averaged over
/// TE and TM: used to choose between reflection and refraction when shooting rays.
pub fn power_split(eta: Complex, thickness: f64, lambda: f64, cos_theta: f64) -> (f64, f64) {
    let c = slab_coefficients(eta, thickness, lambda, cos_theta);
    (0.5 * (c.r_te.norm_sqr() + c.r_tm.norm_sqr()), 0.5 * (c.t_te.norm_sqr() + c.t_tm.norm_sqr()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossless_slab_conserves_power() {
        let eta = Complex::new(4.0, 0.0);
        for i in 0..20 {
            let c = slab_coefficients(eta, 0.03, 0.01, (i as f64 + 0.5) / 20.0);
            assert!((c.r_te.norm_sqr() + c.t_te.norm_sqr() - 1.0).abs() < 1e-12);
            assert!((c.r_tm.norm_sqr() + c.t_tm.norm_sqr() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn lossy_slab_never_creates_power_and_grazing_reflects_fully() {
        let eta = rftwin_core::material::complex_permittivity(5.24, 0.626, 28e9);
        for i in 0..=20 {
            let c = slab_coefficients(eta, 0.1, 0.0107, i as f64 / 20.0);
            assert!(c.r_te.norm_sqr() + c.t_te.norm_sqr() <= 1.0 + 1e-12);
            assert!(c.r_tm.norm_sqr() + c.t_tm.norm_sqr() <= 1.0 + 1e-12);
        }
        let c = slab_coefficients(eta, 0.1, 0.0107, 0.0);
        assert!((c.r_te + 1.0).norm() < 1e-12 && (c.r_tm + 1.0).norm() < 1e-12);
    }

    #[test]
    fn half_space_limit_matches_fresnel() {
        // A thick lossy slab reflects like a half-space: R → r (closed-form Fresnel).
        let eta = Complex::new(3.0, -1.0);
        let cos_t: f64 = 0.6;
        let c = slab_coefficients(eta, 10.0, 0.01, cos_t);
        let s = (eta - (1.0 - cos_t * cos_t)).sqrt();
        assert!((c.r_te - (cos_t - s) / (cos_t + s)).norm() < 1e-12);
        assert!(c.t_te.norm() < 1e-12);
    }

    #[test]
    fn los_coefficient_is_lambda_over_4_pi_d() {
        let a = Antenna::default();
        let p = [DVec3::new(-22.0, 1.0, 9.0), DVec3::new(24.0, -2.0, 1.5)];
        let lambda = 299792458.0 / 28e9;
        let c = path_coefficient(&p, &[], &a, &a, lambda);
        let d = (p[1] - p[0]).length();
        assert!((c.re - lambda / (4.0 * PI * d)).abs() < 1e-18 && c.im.abs() < 1e-18);
    }
}
