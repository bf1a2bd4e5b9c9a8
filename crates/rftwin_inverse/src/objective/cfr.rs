//! Material estimation from channel frequency responses: the CFR misfit at several
//! receivers as a function of one material's `(εr, σ)`, optimised in log space.

use crate::driver::{Evaluation, Problem};
use crate::error::{InverseError, Result};
use crate::loss::{cfr_misfit, chain};
use rftwin_core::{Complex, Radio, RadioMaterial, Scene};
use rftwin_trace::paths::channel::{cfr, cfr_gradient};
use rftwin_trace::paths::gradients::{path_gradients, GradientParam};
use rftwin_trace::{PathSolver, SceneGeometry};
use std::time::Instant;

/// CFRs at every receiver, their derivatives with respect to `(εr, σ)` when asked for,
/// and the seconds spent solving and differentiating.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    /// `H(f)` per receiver and frequency.
    pub h: Vec<Vec<Complex>>,
    /// `∂H/∂εr` and `∂H/∂σ` per receiver and frequency (empty without gradients).
    pub dh: [Vec<Vec<Complex>>; 2],
    /// Seconds in the path solver.
    pub solve_s: f64,
    /// Seconds in the path gradients.
    pub grad_s: f64,
    /// Paths (over all receivers) with an interaction on an object of the material.
    pub material_paths: usize,
}

/// The misfit `Σ |H(f; εr, σ) − H_obs(f)|²` over receivers and frequencies (normalised
/// as [`cfr_misfit`]) of one material, a [`Problem`] of one parameter group
/// `(ln εr, ln σ)` (log space keeps both positive and balances their scales).
#[derive(Debug)]
pub struct CfrObjective {
    /// The scene; the unknown material is replaced in place per evaluation, so `geom`'s
    /// material indices stay valid.
    pub base: Scene,
    /// Traceable geometry of `base`.
    pub geom: SceneGeometry,
    /// Name of the unknown material (already in `base`).
    pub material: String,
    /// Its slab thickness \[m\] (known).
    pub thickness: f64,
    /// The path solver (frequency, depth, refraction).
    pub solver: PathSolver,
    /// The transmitter.
    pub tx: Radio,
    /// The receivers.
    pub rx: Vec<Radio>,
    /// Frequencies of the CFR \[Hz\].
    pub freqs: Vec<f64>,
    /// Observed CFR per receiver and frequency.
    pub observed: Vec<Vec<Complex>>,
    /// The true `(εr, σ)` when known: adds relative-error metrics to every evaluation.
    pub truth: Option<(f64, f64)>,
}

impl CfrObjective {
    /// CFRs at every receiver with the material at `(eps_r, sigma)`, and with
    /// `with_grad` their derivatives.
    pub fn channels(&self, eps_r: f64, sigma: f64, with_grad: bool) -> Result<Channels> {
        let mut scene = self.base.clone();
        scene.add_material(RadioMaterial::custom(&self.material, eps_r, sigma, self.thickness)?)?;
        let geom = &self.geom;
        let mut out = Channels::default();
        let params = [GradientParam::MaterialEpsR(self.material.clone()), GradientParam::MaterialSigma(self.material.clone())];
        for rx in &self.rx {
            let t0 = Instant::now();
            let paths = self.solver.solve(&scene, geom, &self.tx, rx)?;
            let material = scene.find_material(&self.material)?;
            out.material_paths += (0..paths.num_paths()).filter(|&i| paths.path(i).objects.iter().any(|&o| scene.objects().get(o as usize).is_some_and(|ob| ob.material == material))).count();
            out.h.push(cfr(&paths, &self.freqs));
            let t1 = Instant::now();
            out.solve_s += (t1 - t0).as_secs_f64();
            if with_grad {
                for (dh, param) in out.dh.iter_mut().zip(&params) {
                    let g = path_gradients(&scene, geom, &paths, &self.tx, rx, param)?;
                    dh.push(cfr_gradient(&paths, &g, 0, &self.freqs));
                }
            }
            out.grad_s += t1.elapsed().as_secs_f64();
        }
        Ok(out)
    }
}

impl Problem for CfrObjective {
    fn evaluate(&mut self, _it: usize, v: &[Vec<f64>]) -> Result<Evaluation> {
        let (eps_r, sigma) = (v[0][0].exp(), v[0][1].exp());
        let ch = self.channels(eps_r, sigma, true)?;
        if ch.material_paths == 0 {
            // the CFR does not depend on the material: its gradient is exactly zero and
            // the optimiser would return the starting values as the estimate
            return Err(InverseError::invalid(
                "material",
                format!("'{}' lies on none of the paths to the {} receiver(s): the channel does not depend on it, so it cannot be estimated (move the radios so that paths reflect on or pass through it)", self.material, self.rx.len()),
            ));
        }
        let (simulate_s, backward_s) = (ch.solve_s, ch.grad_s);
        let (loss, dl) = cfr_misfit(&ch.h, &self.observed)?;
        let g = [chain(&dl, &ch.dh[0]), chain(&dl, &ch.dh[1])];
        // chain rule to the log-parameters
        let grad = vec![g[0] * eps_r, g[1] * sigma];
        let mut metrics: std::collections::BTreeMap<String, f64> = [("eps_r".to_string(), eps_r), ("sigma".to_string(), sigma)].into_iter().collect();
        if let Some((e, s)) = self.truth {
            metrics.insert("eps_r_error".into(), (eps_r / e - 1.0).abs());
            metrics.insert("sigma_error".into(), (sigma / s - 1.0).abs());
        }
        Ok(Evaluation { loss, gradients: vec![grad], simulate_s, backward_s, metrics })
    }
}
