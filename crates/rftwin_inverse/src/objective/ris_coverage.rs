//! RIS phase optimisation over a coverage region: maximise the mean narrowband received
//! power `J(φ) = (1/R) Σ_r |H_r(f_c)|²` over `R` receivers with respect to the phases of
//! one RIS, from paths that solver (A) traced through it.
//!
//! Each receiver's channel is affine in the coefficients, `H_r = c_r + Σ_m Γ_m B_rm`
//! ([`rftwin_trace::paths::ris::element_responses`]), with `Γ_m = a_m e^{jφ_m}`. The loss
//! is `−10 log₁₀ J` (so learning rates are in radians per dB, whatever the link budget) and
//! its gradient is the phase VJP `∂J/∂φ_m = (2/R) Σ_r Re{conj(H_r) j Γ_m B_rm}`.

use crate::driver::{Evaluation, Problem};
use crate::error::{InverseError, Result};
use rftwin_core::{Complex, Paths};
use rftwin_trace::paths::ris::element_responses;
use std::f64::consts::LN_10;
use std::time::Instant;

/// The coverage objective of one RIS over a set of receivers.
#[derive(Debug, Clone)]
pub struct RisCoverageObjective {
    /// `c_r`: everything that does not go through the RIS's elements.
    constant: Vec<Complex>,
    /// `B_rm`, receiver-major.
    responses: Vec<Complex>,
    /// Element amplitudes `a_m` (fixed).
    amplitude: Vec<f64>,
}

impl RisCoverageObjective {
    /// From the paths of every receiver (solved on the same scene), RIS index `ris`, the
    /// carrier and the element amplitudes.
    pub fn new(paths: &[Paths], ris: usize, frequency_hz: f64, amplitude: Vec<f64>) -> Result<Self> {
        if paths.is_empty() {
            return Err(InverseError::invalid("receivers", "no paths: the coverage region holds no receiver"));
        }
        let mut constant = Vec::with_capacity(paths.len());
        let mut responses = Vec::with_capacity(paths.len() * amplitude.len());
        for (r, p) in paths.iter().enumerate() {
            let (c, b) = element_responses(p, ris, frequency_hz).map_err(|e| InverseError::invalid("paths", format!("receiver {r}: {e}")))?;
            if b.len() != amplitude.len() {
                return Err(InverseError::invalid("amplitude", format!("{} amplitudes for a RIS of {} elements", amplitude.len(), b.len())));
            }
            constant.push(c);
            responses.extend(b);
        }
        Ok(RisCoverageObjective { constant, responses, amplitude })
    }

    /// Receivers.
    pub fn receivers(&self) -> usize {
        self.constant.len()
    }

    fn coefficients(&self, phases: &[f64]) -> Vec<Complex> {
        self.amplitude.iter().zip(phases).map(|(&a, &p)| Complex::from_polar(a, p)).collect()
    }

    /// `H_r` for every receiver.
    pub fn channels(&self, phases: &[f64]) -> Vec<Complex> {
        let gamma = self.coefficients(phases);
        let m = gamma.len();
        self.constant.iter().enumerate().map(|(r, c)| c + self.responses[r * m..(r + 1) * m].iter().zip(&gamma).map(|(b, g)| b * g).sum::<Complex>()).collect()
    }

    /// `|H_r|²` for every receiver.
    pub fn powers(&self, phases: &[f64]) -> Vec<f64> {
        self.channels(phases).iter().map(|h| h.norm_sqr()).collect()
    }

    /// `J`, the mean received power gain.
    pub fn mean_power(&self, phases: &[f64]) -> f64 {
        self.powers(phases).iter().sum::<f64>() / self.receivers() as f64
    }

    /// `∂J/∂φ_m` for every element (one pass over `B`).
    pub fn mean_power_gradient(&self, phases: &[f64]) -> Vec<f64> {
        let gamma = self.coefficients(phases);
        let m = gamma.len();
        let h = self.channels(phases);
        let scale = 2.0 / self.receivers() as f64;
        let j = Complex::new(0.0, 1.0);
        let mut grad = vec![0.0; m];
        for (r, hr) in h.iter().enumerate() {
            let row = &self.responses[r * m..(r + 1) * m];
            for ((g, b), gm) in grad.iter_mut().zip(row).zip(&gamma) {
                *g += scale * (hr.conj() * j * gm * b).re;
            }
        }
        grad
    }
}

impl Problem for RisCoverageObjective {
    fn evaluate(&mut self, _iteration: usize, values: &[Vec<f64>]) -> Result<Evaluation> {
        let phases = values.first().ok_or_else(|| InverseError::invalid("parameter groups", "expected one group of phases"))?;
        if phases.len() != self.amplitude.len() {
            return Err(InverseError::invalid("phases", format!("{} phases for {} elements", phases.len(), self.amplitude.len())));
        }
        let start = Instant::now();
        let j = self.mean_power(phases);
        let simulate_s = start.elapsed().as_secs_f64();
        if j.is_nan() || j <= 0.0 {
            return Err(InverseError::invalid("coverage", format!("mean power {j}: no path reaches the region")));
        }
        let start = Instant::now();
        let factor = -10.0 / (LN_10 * j);
        let gradient = self.mean_power_gradient(phases).into_iter().map(|g| factor * g).collect();
        let mut eval = Evaluation { loss: -10.0 * j.log10(), gradients: vec![gradient], simulate_s, backward_s: start.elapsed().as_secs_f64(), ..Default::default() };
        eval.metrics.insert("mean_power_db".into(), 10.0 * j.log10());
        Ok(eval)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_gradient_matches_central_differences() {
        let b: Vec<Complex> = (0..12).map(|i| Complex::from_polar(1.0 + 0.1 * i as f64, 0.7 * (i * i) as f64)).collect();
        let o = RisCoverageObjective { constant: vec![Complex::new(0.3, -0.2), Complex::new(-0.1, 0.4)], responses: b, amplitude: vec![0.9; 6] };
        let phases: Vec<f64> = (0..6).map(|i| 0.4 * i as f64).collect();
        let g = o.mean_power_gradient(&phases);
        for m in 0..6 {
            let (mut p, mut q) = (phases.clone(), phases.clone());
            p[m] += 1e-6;
            q[m] -= 1e-6;
            let fd = (o.mean_power(&p) - o.mean_power(&q)) / 2e-6;
            assert!((g[m] - fd).abs() < 1e-6 * (1.0 + fd.abs()), "element {m}: {} vs {fd}", g[m]);
        }
    }
}
