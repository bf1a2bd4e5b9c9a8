//! Field calculation: ITU-R P.2040 slab coefficients and the polarised path
//! coefficient in the Sionna RT convention (see `docs/physics.md`).
//!
//! Everything is generic over [`Real`], so the same code runs in `f64` (the solver)
//! and in dual numbers (exact derivatives, [`crate::paths::gradients`]).

use glam::DVec3;
use num_complex::Complex as C;
use rftwin_core::dual::{cexp, csqrt, Real, V3};
use rftwin_core::{Antenna, Complex};
use std::f64::consts::PI;

/// Reflection and transmission coefficients of a slab for TE and TM polarisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlabCoefficients<T = f64> {
    /// Reflection, TE (E perpendicular to the plane of incidence).
    pub r_te: C<T>,
    /// Reflection, TM.
    pub r_tm: C<T>,
    /// Transmission, TE.
    pub t_te: C<T>,
    /// Transmission, TM.
    pub t_tm: C<T>,
}

/// A real number as a complex one.
pub(crate) fn real<T: Real>(x: T) -> C<T> {
    C::new(x, T::zero())
}

/// ITU-R P.2040-3 eqs. (37), (43), (44): coefficients of a slab of complex relative
/// permittivity `eta`, thickness `d` \[m\], at wavelength `lambda` \[m\] and incidence
/// cosine `cos_theta = |k·n|`.
///
/// `S = √(η − sin²θ)` (principal branch), `q = 2π d S / λ`,
/// `r_TE = (cos θ − S)/(cos θ + S)`, `r_TM = (η cos θ − S)/(η cos θ + S)`,
/// `R = r (1 − e^{−j2q}) / (1 − r² e^{−j2q})`, `T = (1 − r²) e^{−jq} / (1 − r² e^{−j2q})`.
pub fn slab_coefficients<T: Real>(eta: C<T>, thickness: T, lambda: f64, cos_theta: T) -> SlabCoefficients<T> {
    let cos_t = if cos_theta.value() > 1.0 { T::one() } else if cos_theta.value() < 0.0 { T::zero() } else { cos_theta };
    let sin2 = T::one() - cos_t * cos_t;
    let s = csqrt(eta - real(sin2));
    let q = s * real(thickness * T::cst(2.0 * PI / lambda));
    let mj = C::new(T::zero(), -T::one());
    let e2 = cexp(mj * q * real(T::cst(2.0)));
    let e1 = cexp(mj * q);
    let one = real(T::one());
    let coeff = |r: C<T>| {
        let den = one - r * r * e2;
        (r * (one - e2) / den, (one - r * r) * e1 / den)
    };
    let r_te0 = (real(cos_t) - s) / (real(cos_t) + s);
    let r_tm0 = (eta * real(cos_t) - s) / (eta * real(cos_t) + s);
    let (r_te, t_te) = coeff(r_te0);
    let (r_tm, t_tm) = coeff(r_tm0);
    SlabCoefficients { r_te, r_tm, t_te, t_tm }
}

/// A complex 3-vector (field phasor).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CVec3<T = f64>(pub [C<T>; 3]);

impl<T: Real> CVec3<T> {
    /// A real vector as a phasor.
    pub fn from_real(v: V3<T>) -> Self {
        CVec3(v.0.map(real))
    }
    /// `Σ self_k v_k` (no conjugation) with a real vector.
    pub fn dot_real(&self, v: V3<T>) -> C<T> {
        self.0[0] * real(v.0[0]) + self.0[1] * real(v.0[1]) + self.0[2] * real(v.0[2])
    }
    /// `c · v` for a real vector `v`.
    pub fn scaled_real(c: C<T>, v: V3<T>) -> Self {
        CVec3(v.0.map(|x| c * real(x)))
    }
    /// Component-wise sum.
    pub fn plus(&self, o: &CVec3<T>) -> Self {
        CVec3([self.0[0] + o.0[0], self.0[1] + o.0[1], self.0[2] + o.0[2]])
    }
}

/// One interaction as the field calculation sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldInteraction<T = f64> {
    /// `true` for a transmission (refraction), `false` for a specular reflection.
    pub transmission: bool,
    /// Unit surface normal (either orientation).
    pub normal: V3<T>,
    /// Complex relative permittivity η of the slab.
    pub eta: C<T>,
    /// Slab thickness \[m\].
    pub thickness: T,
}

/// `ŝ = k_i × n / |k_i × n|`; at normal incidence any `ŝ ⊥ k_i` gives the same
/// result (TE and TM coincide), so a fixed perpendicular is used.
fn incidence_basis<T: Real>(k_i: V3<T>, n: V3<T>) -> V3<T> {
    let c = k_i.cross(n);
    if c.length().value() > 1e-12 {
        c.normalize()
    } else {
        let axis = if k_i.0[0].value().abs() < 0.9 { DVec3::X } else { DVec3::Y };
        k_i.cross(V3::cst(axis)).normalize()
    }
}

/// Transports the field phasor `e` through one interaction with incident direction
/// `k_i` and outgoing direction `k_o`:
/// `E_out = X_TE (E·ŝ) ŝ + X_TM (E·p̂_i) p̂_o`, `X = R` or `T`, `p̂ = ŝ × k`.
pub fn apply_interaction<T: Real>(e: CVec3<T>, k_i: V3<T>, k_o: V3<T>, inter: &FieldInteraction<T>, lambda: f64) -> CVec3<T> {
    let cos_theta = k_i.dot(inter.normal).abs();
    let c = slab_coefficients(inter.eta, inter.thickness, lambda, cos_theta);
    let (x_te, x_tm) = if inter.transmission { (c.t_te, c.t_tm) } else { (c.r_te, c.r_tm) };
    let s = incidence_basis(k_i, inter.normal);
    let p_i = s.cross(k_i);
    let p_o = s.cross(k_o);
    CVec3::scaled_real(x_te * e.dot_real(s), s).plus(&CVec3::scaled_real(x_tm * e.dot_real(p_i), p_o))
}

/// Polarised transport along `points` = [tx, v₁, …, v_k, rx]: `C_R(−k_last)ᵀ Π M_k C_T(k_first)`,
/// where `apply(k, E, k_in, k_out)` is interaction `k`'s map of the field phasor. No
/// spreading or normalisation (the callers add theirs).
pub fn transport<T: Real>(points: &[V3<T>], tx: &Antenna, rx: &Antenna, mut apply: impl FnMut(usize, CVec3<T>, V3<T>, V3<T>) -> CVec3<T>) -> C<T> {
    let dirs: Vec<V3<T>> = points.windows(2).map(|w| w[1].minus(w[0]).normalize()).collect();
    let mut e = CVec3::from_real(tx.field_vector_generic(dirs[0]));
    for k in 0..dirs.len() - 1 {
        e = apply(k, e, dirs[k], dirs[k + 1]);
    }
    let last = dirs[dirs.len() - 1];
    e.dot_real(rx.field_vector_generic(last.scale(-T::one())))
}

/// Coefficient `a` of a path through `points` = [tx, v₁, …, v_k, rx] with the given
/// interactions (Sionna RT convention, no propagation phase):
/// `a = (λ / 4π) (1 / L) C_R(−k_last)ᵀ Π M_k C_T(k_first)`, L the total length.
pub fn path_coefficient_generic<T: Real>(points: &[V3<T>], interactions: &[FieldInteraction<T>], tx: &Antenna, rx: &Antenna, lambda: f64) -> C<T> {
    debug_assert_eq!(points.len(), interactions.len() + 2);
    let length = points.windows(2).fold(T::zero(), |acc, w| acc + w[1].minus(w[0]).length());
    let e = transport(points, tx, rx, |k, e, k_i, k_o| apply_interaction(e, k_i, k_o, &interactions[k], lambda));
    e * real(T::cst(lambda / (4.0 * PI)) / length)
}

/// [`path_coefficient_generic`] in `f64` for world points and f64 interactions.
pub fn path_coefficient(points: &[DVec3], interactions: &[FieldInteraction], tx: &Antenna, rx: &Antenna, lambda: f64) -> Complex {
    let pts: Vec<V3<f64>> = points.iter().map(|p| V3::cst(*p)).collect();
    path_coefficient_generic(&pts, interactions, tx, rx, lambda)
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
