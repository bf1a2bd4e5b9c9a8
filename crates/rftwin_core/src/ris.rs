//! Reconfigurable intelligent surfaces as scene objects: a planar rectangular grid of
//! elements with per-element complex reflection coefficients (amplitude and phase), any
//! number of configurations (the "glimpses" of RIS imaging), the standard profiles
//! (phase gradient toward a direction, focusing on a point, `b`-bit quantisation) and
//! the element-sum reradiation of one RIS leg.
//!
//! Axes: the surface has unit normal `n` (the side it serves) and an in-plane `up`
//! direction `u_z` (orthogonalised against `n`); `u_y = u_z × n`. Element
//! `m = m_y·M_z + m_z` sits at `centre + (m_y − (M_y−1)/2) ξ_y u_y + (m_z − (M_z−1)/2) ξ_z u_z`
//! — for `n = +x`, `up = +z` exactly the layout of `rftwin_isac::geometry::Ris`.
//! Phases follow the time factor `e^{+jωt}`: a hop of length d has phase `e^{−jkd}`.

use crate::error::{Error, Result};
use crate::Complex;
use glam::DVec3;
use serde::{Deserialize, Serialize};
use std::f64::consts::{PI, TAU};

/// Spherical wave `e^{−jkd}/d`, `d = ‖a − b‖`.
pub fn spherical_wave(a: DVec3, b: DVec3, k: f64) -> Complex {
    let d = a.distance(b);
    Complex::from_polar(1.0 / d, -k * d)
}

/// Point-to-point channel `h(a, b) = e^{−jkd} / (√(4π) d)` (the RIS-ISAC convention of
/// paper 000, eq. 4).
pub fn hop(a: DVec3, b: DVec3, k: f64) -> Complex {
    spherical_wave(a, b, k) / (4.0 * PI).sqrt()
}

/// `e^{j2π·turns}`, or with `bits` the nearest of `e^{j2πq/2^b}`
/// (`q = ⌊turns·2^b + ½⌋ mod 2^b`, ties rounded up): the one phase quantiser of every
/// RIS configuration.
pub fn quantized_phasor(turns: f64, bits: Option<u32>) -> Complex {
    match bits {
        None => Complex::from_polar(1.0, TAU * turns),
        Some(bits) => {
            let levels = 1u64 << bits;
            let q = ((turns.rem_euclid(1.0) * levels as f64 + 0.5).floor() as u64) % levels;
            Complex::from_polar(1.0, TAU * q as f64 / levels as f64)
        }
    }
}

/// Per-element reflection coefficients `Γ_m = a_m e^{jφ_m}` of one configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RisProfile {
    /// Amplitudes `a_m ≥ 0` (1 for an ideal passive element).
    pub amplitude: Vec<f64>,
    /// Phases `φ_m` \[rad\].
    pub phase: Vec<f64>,
}

impl RisProfile {
    /// Every element `amplitude·e^{j·phase}`.
    pub fn uniform(elements: usize, amplitude: f64, phase: f64) -> Self {
        RisProfile { amplitude: vec![amplitude; elements], phase: vec![phase; elements] }
    }

    /// Unit amplitudes with the given phases.
    pub fn from_phases(phase: Vec<f64>) -> Self {
        RisProfile { amplitude: vec![1.0; phase.len()], phase }
    }

    /// `Γ_m`.
    pub fn coefficient(&self, m: usize) -> Complex {
        Complex::from_polar(self.amplitude[m], self.phase[m])
    }

    /// Every `Γ_m`.
    pub fn coefficients(&self) -> Vec<Complex> {
        (0..self.phase.len()).map(|m| self.coefficient(m)).collect()
    }

    /// The phases rounded to `b` bits by [`quantized_phasor`] (amplitudes kept).
    pub fn quantized(&self, bits: u32) -> Result<Self> {
        if !(1..=16).contains(&bits) {
            return Err(Error::InvalidArgument { name: "bits", message: format!("{bits}: phase quantisation takes 1 to 16 bits") });
        }
        Ok(RisProfile { amplitude: self.amplitude.clone(), phase: self.phase.iter().map(|p| quantized_phasor(p / TAU, Some(bits)).arg().rem_euclid(TAU)).collect() })
    }

    /// Checks the length and that every value is finite (amplitudes ≥ 0).
    pub fn validate(&self, elements: usize) -> Result<()> {
        if self.amplitude.len() != elements || self.phase.len() != elements {
            return Err(Error::InvalidArgument { name: "ris profile", message: format!("{} amplitudes and {} phases for {elements} elements", self.amplitude.len(), self.phase.len()) });
        }
        if let Some(m) = (0..elements).find(|&m| !self.phase[m].is_finite()) {
            return Err(Error::InvalidArgument { name: "ris profile", message: format!("phase of element {m} is {}", self.phase[m]) });
        }
        if let Some(m) = (0..elements).find(|&m| !(self.amplitude[m].is_finite() && self.amplitude[m] >= 0.0)) {
            return Err(Error::InvalidArgument { name: "ris profile", message: format!("amplitude of element {m} is {} (must be finite and ≥ 0)", self.amplitude[m]) });
        }
        Ok(())
    }
}

/// How the tracer computes a RIS interaction (`docs/physics.md`, "RIS in the tracer").
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RisModel {
    /// (a) Every element a point scatterer of √RCS gain `g` ([`RisSurface::element_gain`]):
    /// one term per element and path, exact in the near field; cost ∝ elements.
    #[default]
    ElementSum,
    /// (b) The surface as an anomalous mirror for the phase gradient designed for
    /// `[from, to]` ([`RisSurface::phase_gradient_leg`]): one term per path whatever the
    /// element count; valid in the far field of the aperture. The profile is implied by
    /// the design directions, so it has no per-element gradient.
    PhaseGradient {
        /// Design direction toward the source (unit or not).
        from: DVec3,
        /// Design direction toward the receiver.
        to: DVec3,
    },
}

/// A planar rectangular RIS with its configurations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RisSurface {
    /// Name (unique in a scene).
    pub name: String,
    /// Centre \[m\].
    pub centre: DVec3,
    /// Normal of the served side (normalised on use).
    pub normal: DVec3,
    /// In-plane reference direction for the `z` element axis (orthogonalised on use).
    pub up: DVec3,
    /// Elements `[M_y, M_z]`.
    pub elements: [usize; 2],
    /// Element size and spacing `[ξ_y, ξ_z]` \[m\].
    pub element_size: [f64; 2],
    /// Configurations; the first is the active one unless a caller picks another.
    pub configurations: Vec<RisProfile>,
    /// Reradiation model of the tracer.
    pub model: RisModel,
}

impl RisSurface {
    /// A surface with one all-ones configuration, validated.
    pub fn new(name: impl Into<String>, centre: DVec3, normal: DVec3, up: DVec3, elements: [usize; 2], element_size: [f64; 2]) -> Result<Self> {
        let count = elements[0] * elements[1];
        let ris = RisSurface { name: name.into(), centre, normal, up, elements, element_size, configurations: vec![RisProfile::uniform(count, 1.0, 0.0)], model: RisModel::ElementSum };
        ris.validate()?;
        Ok(ris)
    }

    /// `M = M_y·M_z`.
    pub fn count(&self) -> usize {
        self.elements[0] * self.elements[1]
    }

    /// The orthonormal frame `(u_y, u_z, n)`.
    pub fn frame(&self) -> (DVec3, DVec3, DVec3) {
        let n = self.normal.normalize();
        let uz = (self.up - n * self.up.dot(n)).normalize();
        (uz.cross(n), uz, n)
    }

    /// Side lengths `[M_y ξ_y, M_z ξ_z]` \[m\].
    pub fn size(&self) -> [f64; 2] {
        [self.elements[0] as f64 * self.element_size[0], self.elements[1] as f64 * self.element_size[1]]
    }

    /// Position of element `m` in the frame `(u_y, u_z)`.
    fn position_in(&self, m: usize, uy: DVec3, uz: DVec3) -> DVec3 {
        let (iy, iz) = (m / self.elements[1], m % self.elements[1]);
        let off = |i: usize, axis: usize| (i as f64 - (self.elements[axis] as f64 - 1.0) / 2.0) * self.element_size[axis];
        self.centre + uy * off(iy, 0) + uz * off(iz, 1)
    }

    /// Position of element `m`.
    pub fn element_position(&self, m: usize) -> DVec3 {
        let (uy, uz, _) = self.frame();
        self.position_in(m, uy, uz)
    }

    /// Every element position, in index order.
    pub fn positions(&self) -> Vec<DVec3> {
        let (uy, uz, _) = self.frame();
        (0..self.count()).map(|m| self.position_in(m, uy, uz)).collect()
    }

    /// Checks the grid, the frame and every configuration; errors name the value.
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| Err(Error::InvalidArgument { name: "ris", message: format!("'{}': {message}", self.name) });
        if self.elements.contains(&0) {
            return bad(format!("{:?} elements: a RIS needs at least one along each axis", self.elements));
        }
        if !self.element_size.iter().all(|s| s.is_finite() && *s > 0.0) {
            return bad(format!("element size {:?} must be positive and finite", self.element_size));
        }
        if !(self.centre.is_finite() && self.normal.is_finite() && self.up.is_finite()) || self.normal.length() < 1e-12 {
            return bad(format!("centre {:?}, normal {:?} and up {:?} must be finite with a non-zero normal", self.centre, self.normal, self.up));
        }
        let n = self.normal.normalize();
        if (self.up - n * self.up.dot(n)).length() < 1e-9 * self.up.length().max(1e-300) || self.up.length() == 0.0 {
            return bad(format!("up {:?} is parallel to the normal {:?}", self.up, self.normal));
        }
        if self.configurations.is_empty() {
            return bad("no configuration".to_string());
        }
        if let RisModel::PhaseGradient { from, to } = self.model {
            if !(from.is_finite() && to.is_finite() && from.length() > 0.0 && to.length() > 0.0) {
                return bad(format!("phase-gradient model directions {from:?}, {to:?} must be finite and non-zero"));
            }
        }
        for (i, c) in self.configurations.iter().enumerate() {
            c.validate(self.count()).map_err(|e| Error::InvalidArgument { name: "ris", message: format!("'{}' configuration {i}: {e}", self.name) })?;
        }
        Ok(())
    }

    /// Anomalous reflection: the phases that put every element's contribution in phase
    /// for a plane wave arriving from direction `from` (unit vector toward the source) and
    /// leaving toward `to` (unit vector toward the receiver): `φ_m = −k (ŝ + ô)·(r_m − c)`.
    pub fn phase_gradient(&self, from: DVec3, to: DVec3, k: f64) -> Result<RisProfile> {
        if !(from.is_finite() && to.is_finite() && from.length() > 0.0 && to.length() > 0.0 && k.is_finite() && k > 0.0) {
            return Err(Error::InvalidArgument { name: "phase gradient", message: format!("directions {from:?}, {to:?} must be finite and non-zero, k = {k} positive") });
        }
        let w = from.normalize() + to.normalize();
        Ok(RisProfile::from_phases(self.positions().iter().map(|p| (-k * w.dot(*p - self.centre)).rem_euclid(TAU)).collect()))
    }

    /// Focusing: the phases that compensate the element-sum path lengths from the point
    /// `source` to the point `target`: `φ_m = k(‖r_m − s‖ + ‖r_m − t‖)`.
    pub fn focus(&self, source: DVec3, target: DVec3, k: f64) -> Result<RisProfile> {
        if !(source.is_finite() && target.is_finite() && k.is_finite() && k > 0.0) {
            return Err(Error::InvalidArgument { name: "focus", message: format!("points {source:?}, {target:?} must be finite, k = {k} positive") });
        }
        Ok(RisProfile::from_phases(self.positions().iter().map(|p| (k * (p.distance(source) + p.distance(target))).rem_euclid(TAU)).collect()))
    }

    /// The element-sum reradiation of one RIS leg `a → RIS → b`:
    /// `Σ_m g Γ_m h(a, r_m) h(r_m, b)` with `h` the [`hop`] and `g` the element's √RCS
    /// gain (`√(4π) ξ_y ξ_z / λ` for a flat plate). Exact in the near field.
    pub fn element_sum(&self, profile: &RisProfile, a: DVec3, b: DVec3, k: f64, gain: f64) -> Complex {
        self.element_terms(profile, a, b, k, gain).sum()
    }

    /// The terms `y_m = g Γ_m h(a, r_m) h(r_m, b)` of [`Self::element_sum`].
    fn element_terms<'a>(&'a self, profile: &'a RisProfile, a: DVec3, b: DVec3, k: f64, gain: f64) -> impl Iterator<Item = Complex> + 'a {
        self.positions().into_iter().enumerate().map(move |(m, p)| profile.coefficient(m) * hop(a, p, k) * hop(p, b, k) * gain)
    }

    /// Reverse mode of [`Self::element_sum`] with respect to the phases: for a real loss
    /// `L(y)` with cotangent `ȳ = ∂L/∂Re y + j ∂L/∂Im y`, returns `∂L/∂φ_m` for every
    /// element in one pass (`∂y/∂φ_m = j y_m`, `y_m` the element's term, so
    /// `∂L/∂φ_m = Re{conj(ȳ) j y_m}`); the cost is one forward sum.
    pub fn element_sum_phase_vjp(&self, profile: &RisProfile, a: DVec3, b: DVec3, k: f64, gain: f64, cotangent: Complex) -> Vec<f64> {
        self.element_terms(profile, a, b, k, gain).map(|term| (cotangent.conj() * Complex::new(0.0, 1.0) * term).re).collect()
    }

    /// Model (b), the macroscopic phase-gradient reflection: the surface configured by
    /// [`Self::phase_gradient`] for `[from, to]` acts as an anomalous mirror whose
    /// reradiation from `a` toward `b` is the continuous-aperture integral
    /// `(g/(ξ_yξ_z)) h(a, c) h(c, b) ∫∫ e^{jk q·δ} dA = g M sinc(k q_y L_y/2) sinc(k q_z L_z/2) h h`
    /// with `q = ŝ_a + ô_b − (ŝ + ô)` (ŝ_a, ô_b the directions from the centre to `a`, `b`;
    /// `sinc x = sin x / x`). Its cost does not depend on the element count; valid in the
    /// far field of the aperture (distances ≫ 2D²/λ), where it agrees with the element sum.
    pub fn phase_gradient_leg(&self, [from, to]: [DVec3; 2], a: DVec3, b: DVec3, k: f64, gain: f64) -> Complex {
        let (uy, uz, _) = self.frame();
        let q = (a - self.centre).normalize() + (b - self.centre).normalize() - from.normalize() - to.normalize();
        let sinc = |x: f64| if x.abs() < 1e-12 { 1.0 } else { x.sin() / x };
        let [ly, lz] = self.size();
        let aperture = self.count() as f64 * sinc(k * q.dot(uy) * ly / 2.0) * sinc(k * q.dot(uz) * lz / 2.0);
        hop(a, self.centre, k) * hop(self.centre, b, k) * (gain * aperture)
    }

    /// The element √RCS gain `√(4π) ξ_y ξ_z / λ` at wavelength `lambda`.
    pub fn element_gain(&self, lambda: f64) -> f64 {
        (4.0 * PI).sqrt() * self.element_size[0] * self.element_size[1] / lambda
    }

    /// Loads a surface from rftwin JSON (the fields of this struct; `configurations` may
    /// be omitted for one all-ones configuration) and validates it.
    pub fn from_json(text: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct Raw {
            name: String,
            centre: DVec3,
            normal: DVec3,
            up: DVec3,
            elements: [usize; 2],
            element_size: [f64; 2],
            #[serde(default)]
            configurations: Vec<RisProfile>,
            #[serde(default)]
            model: RisModel,
            /// Optional side lengths; when given they must equal `elements × element_size`.
            size: Option<[f64; 2]>,
        }
        let raw: Raw = serde_json::from_str(text).map_err(|e| Error::InvalidArgument { name: "ris json", message: e.to_string() })?;
        let mut ris = RisSurface { name: raw.name, centre: raw.centre, normal: raw.normal, up: raw.up, elements: raw.elements, element_size: raw.element_size, configurations: raw.configurations, model: raw.model };
        if ris.configurations.is_empty() {
            ris.configurations.push(RisProfile::uniform(ris.count(), 1.0, 0.0));
        }
        ris.validate()?;
        if let Some(size) = raw.size {
            let grid = ris.size();
            let fits = |i: usize| (size[i] - grid[i]).abs() <= 1e-9 * grid[i];
            if !(fits(0) && fits(1)) {
                return Err(Error::InvalidArgument { name: "ris", message: format!("'{}': the element grid {:?} × {:?} m = {grid:?} m does not fit its size {size:?} m", ris.name, ris.elements, ris.element_size) });
            }
        }
        Ok(ris)
    }
}
