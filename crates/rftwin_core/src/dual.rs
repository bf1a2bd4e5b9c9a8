//! Forward-mode dual numbers for exact derivatives of smooth re-evaluations.
//!
//! [`Dual<N>`] carries a value and `N` partial derivatives; it implements
//! `num_traits::Num`, so `num_complex::Complex<Dual<N>>` has the usual arithmetic.
//! [`Real`] is the scalar interface the generic geometry and field code is written
//! against (implemented by `f64` and `Dual<N>`); [`V3`] is a 3-vector over it, and
//! [`csqrt`] / [`cexp`] are the complex functions that `num_complex` only offers for
//! `Float` types.

use num_complex::Complex;
use num_traits::{Num, One, Zero};
use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

/// Scalar interface of the generic (differentiable) code paths.
pub trait Real: Copy + Num + Neg<Output = Self> + std::fmt::Debug + Send + Sync {
    /// A constant.
    fn cst(x: f64) -> Self;
    /// The value (derivatives dropped).
    fn value(self) -> f64;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Exponential.
    fn exp(self) -> Self;
    /// Absolute value (derivative sign(x) · dx).
    fn abs(self) -> Self {
        if self.value() < 0.0 {
            -self
        } else {
            self
        }
    }
}

impl Real for f64 {
    fn cst(x: f64) -> Self {
        x
    }
    fn value(self) -> f64 {
        self
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn sin(self) -> Self {
        f64::sin(self)
    }
    fn cos(self) -> Self {
        f64::cos(self)
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
}

/// A value with `N` partial derivatives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dual<const N: usize> {
    /// Value.
    pub v: f64,
    /// Partial derivatives.
    pub d: [f64; N],
}

impl<const N: usize> Dual<N> {
    /// A constant (zero derivatives).
    pub fn constant(v: f64) -> Self {
        Dual { v, d: [0.0; N] }
    }
    /// The `i`-th independent variable with value `v`.
    pub fn variable(v: f64, i: usize) -> Self {
        let mut d = [0.0; N];
        d[i] = 1.0;
        Dual { v, d }
    }
    #[inline]
    fn chain(self, v: f64, dv: f64) -> Self {
        Dual { v, d: self.d.map(|x| x * dv) }
    }
}

impl<const N: usize> Add for Dual<N> {
    type Output = Self;
    #[inline]
    fn add(self, o: Self) -> Self {
        let mut d = self.d;
        d.iter_mut().zip(o.d).for_each(|(a, b)| *a += b);
        Dual { v: self.v + o.v, d }
    }
}
impl<const N: usize> Sub for Dual<N> {
    type Output = Self;
    #[inline]
    fn sub(self, o: Self) -> Self {
        let mut d = self.d;
        d.iter_mut().zip(o.d).for_each(|(a, b)| *a -= b);
        Dual { v: self.v - o.v, d }
    }
}
impl<const N: usize> Mul for Dual<N> {
    type Output = Self;
    #[inline]
    fn mul(self, o: Self) -> Self {
        let mut d = [0.0; N];
        for ((di, a), b) in d.iter_mut().zip(self.d).zip(o.d) {
            *di = a * o.v + self.v * b;
        }
        Dual { v: self.v * o.v, d }
    }
}
impl<const N: usize> Div for Dual<N> {
    type Output = Self;
    #[inline]
    fn div(self, o: Self) -> Self {
        let inv = 1.0 / o.v;
        let v = self.v * inv;
        let mut d = [0.0; N];
        for ((di, a), b) in d.iter_mut().zip(self.d).zip(o.d) {
            *di = (a - v * b) * inv;
        }
        Dual { v, d }
    }
}
impl<const N: usize> Rem for Dual<N> {
    type Output = Self;
    /// `a − b·trunc(a/b)`, differentiated with the quotient held fixed.
    fn rem(self, o: Self) -> Self {
        let q = (self.v / o.v).trunc();
        self - o * Dual::constant(q)
    }
}
impl<const N: usize> Neg for Dual<N> {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Dual { v: -self.v, d: self.d.map(|x| -x) }
    }
}
impl<const N: usize> Zero for Dual<N> {
    fn zero() -> Self {
        Dual::constant(0.0)
    }
    fn is_zero(&self) -> bool {
        self.v == 0.0 && self.d.iter().all(|x| *x == 0.0)
    }
}
impl<const N: usize> One for Dual<N> {
    fn one() -> Self {
        Dual::constant(1.0)
    }
}
impl<const N: usize> Num for Dual<N> {
    type FromStrRadixErr = num_traits::ParseFloatError;
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        f64::from_str_radix(s, radix).map(Dual::constant)
    }
}
impl<const N: usize> Real for Dual<N> {
    fn cst(x: f64) -> Self {
        Dual::constant(x)
    }
    fn value(self) -> f64 {
        self.v
    }
    fn sqrt(self) -> Self {
        let s = self.v.sqrt();
        self.chain(s, 0.5 / s)
    }
    fn sin(self) -> Self {
        self.chain(self.v.sin(), self.v.cos())
    }
    fn cos(self) -> Self {
        self.chain(self.v.cos(), -self.v.sin())
    }
    fn exp(self) -> Self {
        let e = self.v.exp();
        self.chain(e, e)
    }
}

/// Principal square root of a complex number over any [`Real`].
pub fn csqrt<T: Real>(z: Complex<T>) -> Complex<T> {
    let (re, im) = (z.re, z.im);
    let r = (re * re + im * im).sqrt();
    if r.value() == 0.0 {
        return Complex::new(T::zero(), T::zero());
    }
    let half = T::cst(0.5);
    if re.value() >= 0.0 {
        let t = ((r + re) * half).sqrt();
        Complex::new(t, im / (t + t))
    } else {
        let t = ((r - re) * half).sqrt();
        let t = if im.value() < 0.0 { -t } else { t };
        Complex::new(im / (t + t), t)
    }
}

/// Complex exponential over any [`Real`].
pub fn cexp<T: Real>(z: Complex<T>) -> Complex<T> {
    let e = z.re.exp();
    Complex::new(e * z.im.cos(), e * z.im.sin())
}

/// A 3-vector over any [`Real`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct V3<T>(pub [T; 3]);

impl<T: Real> V3<T> {
    /// From `f64` components (constants).
    pub fn cst(v: glam::DVec3) -> Self {
        V3([T::cst(v.x), T::cst(v.y), T::cst(v.z)])
    }
    /// Component values.
    pub fn value(&self) -> glam::DVec3 {
        glam::DVec3::new(self.0[0].value(), self.0[1].value(), self.0[2].value())
    }
    /// Sum.
    pub fn plus(self, o: Self) -> Self {
        V3([self.0[0] + o.0[0], self.0[1] + o.0[1], self.0[2] + o.0[2]])
    }
    /// Difference.
    pub fn minus(self, o: Self) -> Self {
        V3([self.0[0] - o.0[0], self.0[1] - o.0[1], self.0[2] - o.0[2]])
    }
    /// Scaled by `s`.
    pub fn scale(self, s: T) -> Self {
        V3([self.0[0] * s, self.0[1] * s, self.0[2] * s])
    }
    /// Dot product.
    pub fn dot(self, o: Self) -> T {
        self.0[0] * o.0[0] + self.0[1] * o.0[1] + self.0[2] * o.0[2]
    }
    /// Cross product.
    pub fn cross(self, o: Self) -> Self {
        let (a, b) = (self.0, o.0);
        V3([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])
    }
    /// Euclidean length.
    pub fn length(self) -> T {
        self.dot(self).sqrt()
    }
    /// Unit vector.
    pub fn normalize(self) -> Self {
        self.scale(T::one() / self.length())
    }
}

/// `atan2(y, x)` over any [`Real`].
pub fn atan2<T: Real>(y: T, x: T) -> T {
    let (yv, xv) = (y.value(), x.value());
    let r2 = xv * xv + yv * yv;
    if r2 == 0.0 {
        return T::zero();
    }
    T::cst(yv.atan2(xv)) + (T::cst(xv) * y - T::cst(yv) * x) / T::cst(r2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dual_derivatives_match_closed_forms() {
        let x = Dual::<2>::variable(0.7, 0);
        let y = Dual::<2>::variable(-1.3, 1);
        let f = (x * y).sin() + x.exp() / y - (x * x + y * y).sqrt();
        let (xv, yv) = (0.7f64, -1.3f64);
        let r = (xv * xv + yv * yv).sqrt();
        let dfdx = yv * (xv * yv).cos() + xv.exp() / yv - xv / r;
        let dfdy = xv * (xv * yv).cos() - xv.exp() / (yv * yv) - yv / r;
        assert!((f.d[0] - dfdx).abs() < 1e-12 && (f.d[1] - dfdy).abs() < 1e-12);
    }

    #[test]
    fn complex_sqrt_and_exp_match_num_complex_and_fd() {
        for (re, im) in [(3.0, -2.0), (-1.5, 0.4), (-2.0, -0.7), (0.3, 5.0)] {
            let z = Complex::new(re, im);
            assert!((csqrt(z) - z.sqrt()).norm() < 1e-14);
            assert!((cexp(z) - z.exp()).norm() < 1e-12 * z.exp().norm());
            // d sqrt(z)/d re = 1/(2 sqrt z) by holomorphy
            let zd = Complex::new(Dual::<1>::variable(re, 0), Dual::constant(im));
            let s = csqrt(zd);
            let expected = 0.5 / z.sqrt();
            assert!((Complex::new(s.re.d[0], s.im.d[0]) - expected).norm() < 1e-12);
        }
    }
}
