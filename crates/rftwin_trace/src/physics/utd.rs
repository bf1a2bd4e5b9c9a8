//! Uniform theory of diffraction (UTD) for a wedge: Fresnel integrals, the
//! Kouyoumjian–Pathak transition function and the wedge diffraction operator.
//!
//! The variant implemented is Kouyoumjian–Pathak's four-term coefficient for a wedge of
//! exterior angle `nπ` with a Luebbers-type heuristic for lossy (here: ITU slab) faces:
//! the two reflection-boundary terms are weighted by the slab's TE/TM reflection
//! coefficients of face 0 and face n, each at the true 3-D incidence angle of the
//! incident ray on that face (`cos θ = |k̂ᵢ·n̂|`; Luebbers' `|sin φ'|`, `|sin(nπ − φ)|`
//! are exact only at normal incidence) and applied in the TE/TM basis of its face — and
//! the spherical-wave distance parameter
//! `L = s s' sin²β₀ / (s + s')`. A diffracted path's coefficient is
//! `a = (λ/4π) · D / √(s' s (s + s'))` (times the reflections before and after), `s'`
//! and `s` being the unfolded path lengths from the transmitter to the edge and from
//! the edge to the receiver (`docs/physics.md`).
//!
//! Everything is generic over [`Real`] so the same code gives exact forward-mode
//! derivatives in [`rftwin_core::dual::Dual`] numbers.

use crate::physics::field::{real, slab_coefficients, CVec3};
use num_complex::Complex as C;
use rftwin_core::dual::{atan2, Real, V3};
use std::f64::consts::PI;

/// `1 / (z + (1/2)/(z + 1/(z + (3/2)/(z + …))))` by the modified Lentz method: the
/// continued fraction of `√π e^{z²} erfc(z)` (converges for `Re z > 0`, fast for `|z| ≳ 1.5`).
fn erfc_continued_fraction(z: C<f64>) -> C<f64> {
    let tiny = C::new(1e-300, 0.0);
    let mut f = z;
    let mut cc = f;
    let mut d = C::new(0.0, 0.0);
    for k in 1..500 {
        let a = k as f64 / 2.0;
        d = z + d * a;
        if d.norm() < 1e-300 {
            d = tiny;
        }
        cc = z + cc.inv() * a;
        if cc.norm() < 1e-300 {
            cc = tiny;
        }
        d = d.inv();
        let delta = cc * d;
        f *= delta;
        if (delta - 1.0).norm() < 1e-16 {
            break;
        }
    }
    f.inv()
}

/// Power series of the Fresnel integrals (`|u| < 1.5`):
/// `C = Σ (−1)^k (π/2)^{2k} u^{4k+1} / ((2k)! (4k+1))`,
/// `S = Σ (−1)^k (π/2)^{2k+1} u^{4k+3} / ((2k+1)! (4k+3))`.
fn fresnel_series(x: f64) -> (f64, f64) {
    let t = PI / 2.0 * x * x;
    let (mut c, mut s) = (0.0, 0.0);
    let mut term = x; // (π/2)^m x^{2m+1} / m!
    for m in 0..60 {
        let contrib = term / (2 * m + 1) as f64;
        match m % 4 {
            0 => c += contrib,
            1 => s += contrib,
            2 => c -= contrib,
            _ => s -= contrib,
        }
        term *= t / (m + 1) as f64;
        if term.abs() < 1e-18 * (c.abs() + s.abs()) {
            break;
        }
    }
    (c, s)
}

/// Fresnel integrals `(C(u), S(u)) = ∫₀ᵘ (cos, sin)(π t²/2) dt` (odd in `u`), accurate
/// to ~1e-15: power series below `|u| = 1.5`, above it
/// `C + jS = (1+j)/2 · [1 − erfc(z)]`, `z = √π (1 − j) u / 2`, with `erfc` from its
/// continued fraction.
pub fn fresnel_cs(u: f64) -> (f64, f64) {
    let x = u.abs();
    let (c, s) = if x < 1.5 {
        fresnel_series(x)
    } else {
        let z = C::new(1.0, -1.0) * (PI.sqrt() * x / 2.0);
        let erfc = (-z * z).exp() / PI.sqrt() * erfc_continued_fraction(z);
        let cs = C::new(0.5, 0.5) * (C::new(1.0, 0.0) - erfc);
        (cs.re, cs.im)
    };
    if u < 0.0 {
        (-c, -s)
    } else {
        (c, s)
    }
}

/// Kouyoumjian–Pathak transition function
/// `F(x) = 2j √x e^{jx} ∫_{√x}^∞ e^{−jτ²} dτ = √(πx/2) e^{jx} [(1 − 2S) + j(1 − 2C)]`
/// with `C, S` at `√(2x/π)`, for `x ≥ 0`; `F(0) = 0`, `F → 1` for large `x`.
///
/// Above `x = 9π/8` (`u = 1.5`) it is evaluated as `F = √(x/2) (1 + j) · conj(K(z))`,
/// `K(z) = 1/(z + (1/2)/(z + …))`, `z = (1 − j)√(x/2)`: the factor `e^{jx}` cancels
/// analytically against `erfc`'s `e^{−z²}`, so no large phase is ever formed (the WGSL
/// kernel uses the same form in `f32`).
pub fn transition(x: f64) -> C<f64> {
    if x <= 0.0 {
        return C::new(0.0, 0.0);
    }
    let u = (2.0 * x / PI).sqrt();
    if u < 1.5 {
        let (c, s) = fresnel_series(u);
        C::new(0.0, x).exp() * C::new(1.0 - 2.0 * s, 1.0 - 2.0 * c) * (PI * x / 2.0).sqrt()
    } else {
        let h = (x / 2.0).sqrt();
        C::new(h, h) * erfc_continued_fraction(C::new(h, -h)).conj()
    }
}

/// `dF/dx = F (1/(2x) + j) − j` (from the definition), `x > 0`.
pub fn transition_derivative(x: f64) -> C<f64> {
    let f = transition(x);
    f * C::new(0.5 / x, 1.0) - C::new(0.0, 1.0)
}

/// [`transition`] over any [`Real`] (first-order: value and chain-rule derivative).
pub fn transition_generic<T: Real>(x: T) -> C<T> {
    let xv = x.value();
    let f = transition(xv);
    if xv <= 0.0 {
        return real(T::zero());
    }
    let df = transition_derivative(xv);
    let dx = x - T::cst(xv);
    C::new(T::cst(f.re) + T::cst(df.re) * dx, T::cst(f.im) + T::cst(df.im) * dx)
}


/// The geometry of a wedge as the diffraction operator needs it (all unit vectors).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WedgeFrame<T> {
    /// Edge direction `ê`, oriented so that `t̂₀ = n̂₀ × ê` points from the edge into face 0.
    pub edge: V3<T>,
    /// Outward normal of face 0.
    pub n0: V3<T>,
    /// Outward normal of face n.
    pub nn: V3<T>,
    /// Exterior angle over π (`n`, 1 < n ≤ 2).
    pub n: T,
}

impl<T: Real> WedgeFrame<T> {
    /// The same wedge with its faces' labels swapped (face n becomes face 0, `ê` reversed
    /// so that `t̂₀` still points into face 0).
    pub fn swapped(&self) -> Self {
        WedgeFrame { edge: self.edge.scale(-T::one()), n0: self.nn, nn: self.n0, n: self.n }
    }

    /// `t̂₀ = n̂₀ × ê`, tangent to face 0, pointing away from the edge.
    pub fn t0(&self) -> V3<T> {
        self.n0.cross(self.edge)
    }

    /// Angle `φ ∈ [0, 2π)` of direction `d` around the edge, measured from face 0
    /// (`φ = 0`) through the exterior (face n at `φ = nπ`).
    pub fn angle(&self, d: V3<T>) -> T {
        let p = atan2(d.dot(self.n0), d.dot(self.t0()));
        if p.value() < 0.0 {
            p + T::cst(2.0 * PI)
        } else {
            p
        }
    }
}

/// The point on the line `a + t ê` (unit `ê`) where a path from `s` to `r` diffracts
/// (Keller's law: equal angles with the edge), as the parameter `t`; `None` if `s` or
/// `r` lies on the line.
pub fn keller_parameter<T: Real>(a: V3<T>, edge: V3<T>, s: V3<T>, r: V3<T>) -> Option<T> {
    let (ds, dr) = (s.minus(a), r.minus(a));
    let (as_, ar) = (ds.dot(edge), dr.dot(edge));
    let rho_s = ds.minus(edge.scale(as_)).length();
    let rho_r = dr.minus(edge.scale(ar)).length();
    let sum = rho_s + rho_r;
    if rho_s.value() <= 0.0 || rho_r.value() <= 0.0 {
        return None;
    }
    Some(as_ + (ar - as_) * rho_s / sum)
}

/// Material of the wedge faces (both faces share it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WedgeMaterial<T> {
    /// Complex relative permittivity η.
    pub eta: C<T>,
    /// Slab thickness \[m\].
    pub thickness: T,
}

fn cot<T: Real>(x: T) -> T {
    x.cos() / x.sin()
}

/// `cot((π ± β)/2n) · F(kL a^±(β))` — one of the four terms of the diffraction
/// coefficient; `sign` is +1 or −1. On a shadow or reflection boundary (where the
/// cotangent is singular) the Kouyoumjian–Pathak limit
/// `n [√(2πkL) sgn ε − 2kLε e^{jπ/4}] e^{jπ/4}`, `ε = π ± β − 2πnN^±`, is used.
fn utd_term<T: Real>(sign: f64, beta: T, n: T, k_l: T) -> C<T> {
    let nv = n.value();
    // N^± = round((±π + β) / (2πn)) — the integer that most nearly satisfies 2πnN − β = ±π
    let big_n = ((beta.value() + sign * PI) / (2.0 * PI * nv)).round();
    let arg = (T::cst(PI) + beta * T::cst(sign)) / (n * T::cst(2.0));
    let eps = T::cst(PI) + beta * T::cst(sign) - n * T::cst(2.0 * PI * big_n * sign);
    if eps.value().abs() < 1e-9 {
        let e4 = C::new(T::cst((PI / 4.0).cos()), T::cst((PI / 4.0).sin()));
        let sq = (k_l * T::cst(2.0 * PI)).sqrt() * T::cst(eps.value().signum());
        let inner = real(sq) - e4 * real(k_l * eps * T::cst(2.0));
        return inner * e4 * real(n);
    }
    // a^± = 2 cos²((2πnN^± − β)/2)
    let c = (n * T::cst(2.0 * PI * big_n) - beta) * T::cst(0.5);
    let a = c.cos() * c.cos() * T::cst(2.0);
    transition_generic(k_l * a) * real(cot(arg))
}

/// Rotation of a Jones vector's reference frame (propagation `k`) from basis vector
/// `from` to `to`: `[[c, s], [−s, c]]` with `c = from·to`, `s = k·(from × to)`. The
/// components of the second basis vector refer to `k × (first)`.
fn rotator<T: Real>(k: V3<T>, from: V3<T>, to: V3<T>) -> [[T; 2]; 2] {
    let c = from.dot(to);
    let s = k.dot(from.cross(to));
    [[c, s], [-s, c]]
}

type M2<T> = [[C<T>; 2]; 2];

fn mat_mul<T: Real>(a: &M2<T>, b: &M2<T>) -> M2<T> {
    let mut o = [[real(T::zero()); 2]; 2];
    for (i, row) in o.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = a[i][0] * b[0][j] + a[i][1] * b[1][j];
        }
    }
    o
}

fn real_mat<T: Real>(m: [[T; 2]; 2]) -> M2<T> {
    m.map(|r| r.map(real))
}

/// The two legs of a diffraction: unit directions of the incident ray (towards the edge)
/// and of the diffracted ray (away from it), and the unfolded distances from the source
/// to the edge and from the edge to the observer \[m\].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Legs<T> {
    /// Incident direction `k_i`.
    pub k_in: V3<T>,
    /// Diffracted direction `k_o`.
    pub k_out: V3<T>,
    /// Source → edge distance `s'` \[m\].
    pub s_in: T,
    /// Edge → observer distance `s` \[m\].
    pub s_out: T,
}

/// Applies the UTD wedge diffraction to field phasor `e` (transverse to `k_i`):
/// returns the diffracted field phasor (transverse to `k_o`), **without** the spreading
/// factor. `s_in`, `s_out`: unfolded distances from the source to the edge and from the
/// edge to the observer \[m\]; `lambda` \[m\].
///
/// Each face's reflection coefficient is taken at the incidence angle of `k_i` on that
/// face, so the result does not depend on which face `wedge` calls face 0 (Luebbers'
/// angles needed the lit face as face 0 and a blend where both faces are lit).
pub fn apply_diffraction<T: Real>(e: CVec3<T>, legs: &Legs<T>, wedge: &WedgeFrame<T>, material: &WedgeMaterial<T>, lambda: f64) -> CVec3<T> {
    let Legs { k_in: k_i, k_out: k_o, s_in, s_out } = *legs;
    let k = 2.0 * PI / lambda;
    let edge = wedge.edge;
    let n = wedge.n;
    // β₀: angle between the incident ray and the edge (Keller cone half-angle)
    let cos_b = k_i.dot(edge).abs();
    let sin_b = (T::one() - cos_b * cos_b).sqrt();
    let phi_in = wedge.angle(k_i.scale(-T::one()));
    let phi_out = wedge.angle(k_o);
    let l = s_in * s_out / (s_in + s_out) * sin_b * sin_b;
    let k_l = l * T::cst(k);
    let dif = phi_out - phi_in;
    let sum = phi_out + phi_in;
    let d1 = utd_term(1.0, dif, n, k_l);
    let d2 = utd_term(-1.0, dif, n, k_l);
    let d3 = utd_term(1.0, sum, n, k_l);
    let d4 = utd_term(-1.0, sum, n, k_l);
    // −e^{−jπ/4} / (2n √(2πk) sin β₀)
    let factor = C::new(T::cst(-(PI / 4.0).cos()), T::cst((PI / 4.0).sin())) / real(n * T::cst(2.0 * (2.0 * PI * k).sqrt()) * sin_b);

    // Edge-fixed bases: φ̂' = k_i × ê, φ̂ = −k_o × ê (second vectors k × first).
    let phi_hat_in = k_i.cross(edge).normalize();
    let phi_hat_out = k_o.cross(edge).normalize().scale(-T::one());
    // Face reflection terms, each in the TE/TM basis of its face.
    let face_term = |normal: V3<T>, cos_theta: T, d: C<T>| -> M2<T> {
        let s_face = k_i.cross(normal).normalize();
        let c = slab_coefficients(material.eta, material.thickness, lambda, cos_theta);
        let w_in = real_mat(rotator(k_i, phi_hat_in, s_face));
        let w_out = real_mat(rotator(k_o, s_face, phi_hat_out));
        let zero = real(T::zero());
        let r = [[c.r_te * d * factor, zero], [zero, c.r_tm * d * factor]];
        mat_mul(&w_out, &mat_mul(&r, &w_in))
    };
    // Each face's coefficient at the true 3-D incidence angle of the incident ray on that
    // face, cos θ = |k̂ᵢ·n̂| = sin β₀ |sin(angle from the face)|. Luebbers' |sin φ'| and
    // |sin(nπ − φ)| drop the sin β₀ and are exact only at normal incidence: at β₀ = 60°
    // the total field jumped by 3 % of the lost reflection at a lossy face's boundary.
    let r0 = face_term(wedge.n0, k_i.dot(wedge.n0).abs(), d4);
    let rn = face_term(wedge.nn, k_i.dot(wedge.nn).abs(), d3);
    let d12 = -((d1 + d2) * factor);
    let m = [[d12 + r0[0][0] + rn[0][0], r0[0][1] + rn[0][1]], [r0[1][0] + rn[1][0], d12 + r0[1][1] + rn[1][1]]];
    let u1 = e.dot_real(phi_hat_in);
    let u2 = e.dot_real(k_i.cross(phi_hat_in));
    let w1 = m[0][0] * u1 + m[0][1] * u2;
    let w2 = m[1][0] * u1 + m[1][1] * u2;
    CVec3::scaled_real(w1, phi_hat_out).plus(&CVec3::scaled_real(w2, k_o.cross(phi_hat_out)))
}

/// The spherical-wave spreading and normalisation of a diffracted path:
/// `(λ/4π) / √(s' s (s' + s))`.
pub fn diffraction_spreading<T: Real>(s_in: T, s_out: T, lambda: f64) -> T {
    T::cst(lambda / (4.0 * PI)) / (s_in * s_out * (s_in + s_out)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresnel_integrals_match_tabulated_values_on_both_branches() {
        // Abramowitz & Stegun, Table 7.7 (and C(∞) = S(∞) = 1/2).
        for (u, c, s) in [
            (0.5, 0.492_344_225_871_446_4, 0.064_732_432_859_999_29),
            (1.0, 0.779_893_400_376_822_8, 0.438_259_147_390_354_8),
            (1.5, 0.445_261_176_039_821_5, 0.697_504_960_082_093),
            (2.0, 0.488_253_406_075_340_8, 0.343_415_678_363_698_2),
            (3.0, 0.605_720_789_297_685_6, 0.496_312_998_967_375),
            (5.0, 0.563_631_188_704_012_2, 0.499_191_381_917_116_9),
        ] {
            let (cc, ss) = fresnel_cs(u);
            assert!((cc - c).abs() < 1e-12 && (ss - s).abs() < 1e-12, "u={u}: ({cc}, {ss}) vs ({c}, {s})");
        }
        // continuity across the switch between series and continued fraction
        let (a, b) = (fresnel_cs(1.5 - 1e-12), fresnel_cs(1.5 + 1e-12));
        assert!((a.0 - b.0).abs() < 1e-11 && (a.1 - b.1).abs() < 1e-11);
        // asymptote C ≈ 1/2 + sin(πu²/2)/(πu)
        let u: f64 = 40.3;
        let (c, _) = fresnel_cs(u);
        assert!((c - (0.5 + (PI * u * u / 2.0).sin() / (PI * u))).abs() < 1e-5);
    }

    #[test]
    fn transition_function_has_its_known_limits() {
        // Large argument: F → 1 + j/(2x).
        let x = 200.0;
        assert!((transition(x) - C::new(1.0, 0.5 / x)).norm() < 1e-4);
        // Small argument (Kouyoumjian–Pathak):
        // F ≈ [√(πx) − 2x e^{jπ/4} − (2/3) x² e^{−jπ/4}] e^{j(π/4 + x)}.
        let x: f64 = 1e-3;
        let e4 = C::new(0.0, PI / 4.0).exp();
        let small = (C::new((PI * x).sqrt(), 0.0) - e4 * (2.0 * x) - e4.conj() * (2.0 / 3.0 * x * x)) * C::new(0.0, PI / 4.0 + x).exp();
        assert!((transition(x) - small).norm() < 1e-6 * small.norm(), "{} vs {small}", transition(x));
        // Tabulated value (Potter et al. 2023, App. B): F(1) = 0.80952548 + 0.23219939j.
        let f = transition(1.0);
        assert!((f - C::new(0.809_525_48, 0.232_199_39)).norm() < 1e-8, "F(1) = {f}");
    }

    #[test]
    fn transition_derivative_matches_finite_differences() {
        for x in [0.01, 0.3, 1.0, 4.0, 30.0] {
            let h = 1e-6 * x;
            let fd = (transition(x + h) - transition(x - h)) / (2.0 * h);
            assert!((fd - transition_derivative(x)).norm() < 1e-6 * (1.0 + fd.norm()), "x={x}");
        }
    }

    #[test]
    fn keller_point_has_equal_angles_with_the_edge() {
        let a = V3::<f64>::cst(glam::DVec3::new(1.0, 2.0, 0.0));
        let e = V3::<f64>::cst(glam::DVec3::new(0.0, 0.6, 0.8));
        let s = V3::<f64>::cst(glam::DVec3::new(-3.0, 0.0, 5.0));
        let r = V3::<f64>::cst(glam::DVec3::new(4.0, 7.0, -2.0));
        let t = keller_parameter(a, e, s, r).unwrap();
        let q = a.plus(e.scale(t));
        let ki = q.minus(s).normalize();
        let ko = r.minus(q).normalize();
        assert!((ki.dot(e) - ko.dot(e)).abs() < 1e-12);
    }

    /// A wedge with edge ẑ, face 0 along +x (outward normal +ŷ), exterior angle 1.5π;
    /// incident field from angle `phi_in` and diffracted towards `phi_out` (radians),
    /// at 70° to the edge. Returns the diffracted field projected on a fixed vector.
    fn wedge_case<T: Real>(phi_in: T, phi_out: f64, swapped: bool) -> C<T> {
        let (sb, cb) = (T::cst(70f64.to_radians().sin()), T::cst(70f64.to_radians().cos()));
        let k_i = V3([-(sb * phi_in.cos()), -(sb * phi_in.sin()), cb]);
        let k_o = V3([T::cst(phi_out.cos()) * sb, T::cst(phi_out.sin()) * sb, cb]);
        let c = |v: [f64; 3]| V3(v.map(T::cst));
        let frame = WedgeFrame { edge: c([0.0, 0.0, 1.0]), n0: c([0.0, 1.0, 0.0]), nn: c([-1.0, 0.0, 0.0]), n: T::cst(1.5) };
        let frame = if swapped { frame.swapped() } else { frame };
        // a field transverse to k_i, mixed polarisation
        let u = k_i.cross(c([0.3, -0.2, 1.0])).normalize();
        let v = k_i.cross(u);
        let e = CVec3::scaled_real(C::new(T::one(), T::zero()), u).plus(&CVec3::scaled_real(C::new(T::cst(0.4), T::cst(-0.7)), v));
        let material = WedgeMaterial { eta: C::new(T::cst(5.24), T::cst(-0.4)), thickness: T::cst(0.1) };
        let out = apply_diffraction(e, &Legs { k_in: k_i, k_out: k_o, s_in: T::cst(30.0), s_out: T::cst(20.0) }, &frame, &material, 0.0107);
        out.dot_real(c([0.6, 0.0, 0.8])) + out.dot_real(c([0.0, 1.0, 0.0])) * C::new(T::zero(), T::one())
    }

    #[test]
    fn coefficient_derivative_in_the_incidence_angle_matches_finite_differences() {
        use rftwin_core::dual::Dual;
        let phi_out = 230f64.to_radians();
        // across the range where both faces are lit (90° < φ' < 180° for n = 1.5) and
        // where only one is
        for phi_in in [40.0f64, 100.0, 120.0, 150.0, 175.0, 200.0] {
            let x = phi_in.to_radians();
            let d = wedge_case(Dual::<1>::variable(x, 0), phi_out, false);
            let h = 1e-6;
            let fd = (wedge_case(x + h, phi_out, false) - wedge_case(x - h, phi_out, false)) / (2.0 * h);
            let ad = C::new(d.re.d[0], d.im.d[0]);
            assert!((ad - fd).norm() < 1e-6 * fd.norm().max(1e-12), "φ' = {phi_in}°: {ad} vs FD {fd}");
        }
    }

    #[test]
    fn coefficient_does_not_depend_on_which_face_is_called_face_0() {
        for phi_in in [10.0, 60.0, 95.0, 120.0, 135.0, 170.0, 200.0, 260.0f64] {
            for phi_out in [30.0, 150.0, 230.0f64] {
                let a = wedge_case(phi_in.to_radians(), phi_out.to_radians(), false);
                let b = wedge_case(phi_in.to_radians(), phi_out.to_radians(), true);
                assert!((a - b).norm() < 1e-12 * a.norm(), "φ' = {phi_in}°, φ = {phi_out}°: {a} vs {b}");
            }
        }
    }

}
