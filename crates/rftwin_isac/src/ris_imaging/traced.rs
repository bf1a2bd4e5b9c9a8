//! RIS-ISAC imaging measurements computed by the ray tracer (solver A, RIS paths
//! included) in a scene with walls and furniture, in the layout of
//! [`ForwardOperator`](super::operator::ForwardOperator)'s rows.
//!
//! The target is a set of point scatterers on ROI voxels (`σ_m`, each scattering with
//! `g_vox`, paper 000 eq. 4); everything between them and the radios is traced: for every
//! transmit antenna `t` and voxel `m` the leg `TX_t → v_m`, for every voxel and receive
//! antenna `r` the leg `v_m → RX_r`, each with its line of sight, wall reflections and
//! RIS path families (the scene's RIS 0 is the imaging RIS). With the RIS part of a leg
//! linear in the configuration (`rftwin_trace::paths::ris::element_responses`), all `K`
//! configurations come from one trace. A leg converts to the channel model's units by
//! `√(4π)/λ` (the tracer's `λ/(4πd)` against the model's `1/(√(4π)d)`), so that
//!
//! `y_k[(t,r)] = s g_vox Σ_m σ_m [L_in,k(t,m) L_out,k(m,r) − R_in,k(t,m) R_out,k(m,r)]`,
//!
//! with `L = LoS + walls + R` and `R` the leg's RIS part; the product of two RIS parts
//! (TX–RIS–ROI–RIS–RX) is left out as the channel model leaves it out. The
//! **free-space part** keeps only line-of-sight legs and the RIS families without walls:
//! it is the channel model's `Mσ` (up to the polarimetric transport the scalar model
//! ignores). The rest — every product with a wall in a leg — is the ROI-coupled
//! multipath; of it, the products without a RIS part (`StaticMultipath`) are the
//! configuration-independent interference `Aσ` of Sec. IV-A, the rest (a wall in one
//! leg, the RIS in either) changes with the configuration. The σ-independent part (TX→RX with and without the RIS) is
//! what background calibration (eq. 24) removes, so it is not formed.

use super::configurations::ris_configurations;
use super::RisImagingConfig;
use crate::error::{invalid, Result};
use glam::DVec3;
use rayon::prelude::*;
use rftwin_core::paths::RisPath;
use rftwin_trace::paths::ris::element_sums;
use rftwin_core::{Complex, Paths, Radio, Scene};
use rftwin_trace::{PathSolver, SceneGeometry};
use std::f64::consts::PI;

/// One traced leg at every subcarrier and configuration, in channel-model units.
#[derive(Debug, Clone, PartialEq)]
struct Leg {
    /// Line of sight, per subcarrier.
    los: Vec<Complex>,
    /// Ordinary paths with interactions (walls, furniture), per subcarrier.
    walls: Vec<Complex>,
    /// RIS families without other interactions, per (subcarrier, configuration).
    ris_free: Vec<Complex>,
    /// RIS families through walls, per (subcarrier, configuration).
    ris_walls: Vec<Complex>,
}

/// Which part of the measurements to form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Everything traced.
    All,
    /// Line-of-sight legs and wall-free RIS families only (the channel model's terms).
    FreeSpace,
    /// `All − FreeSpace`: every term with a wall in a leg.
    Multipath,
    /// The part of `Multipath` that does not depend on the RIS configuration (no RIS in
    /// either leg): the interference `Aσ` of paper 000 eq. 26, which the imager can learn.
    StaticMultipath,
    /// The part of `Multipath` whose walls lie in legs without the RIS: a leg's wall part
    /// times the other leg's free-space part (RIS included) or wall part. Changes with the
    /// configuration through the other leg's RIS; a learned wall coupling per leg
    /// represents it.
    LegWalls,
    /// `Multipath − LegWalls`: a leg that reaches the RIS through a wall (or a wall
    /// through the RIS) times the other leg's RIS-free part.
    RisWalls,
}

/// The traced legs of a RIS-ISAC configuration for the voxels of a target's support.
#[derive(Debug, Clone)]
pub struct TracedSensing {
    config: RisImagingConfig,
    /// Voxels traced (indices into the ROI), the support of the target.
    support: Vec<usize>,
    /// `[t][j]` with `j` indexing `support`.
    legs_in: Vec<Leg>,
    /// `[j][r]`.
    legs_out: Vec<Leg>,
    /// Ordinary paths found per leg on average (reporting).
    pub mean_paths_per_leg: f64,
    /// RIS families found per leg on average (reporting).
    pub mean_ris_families_per_leg: f64,
}

/// The leg `paths` reduced to its parts at every subcarrier and configuration.
fn reduce(paths: &Paths, frequencies: &[f64], lambdas: &[f64], omega: &[Vec<Complex>]) -> Result<Leg> {
    let zero = Complex::new(0.0, 0.0);
    let (ni, nk) = (frequencies.len(), omega.len());
    let mut leg = Leg { los: vec![zero; ni], walls: vec![zero; ni], ris_free: vec![zero; ni * nk], ris_walls: vec![zero; ni * nk] };
    let free = |family: &RisPath| family.incoming.is_empty() && family.outgoing.is_empty();
    for (i, &f) in frequencies.iter().enumerate() {
        let unit = (4.0 * PI).sqrt() / lambdas[i];
        for p in paths.iter() {
            let a = p.a * rftwin_trace::paths::channel::propagation_phasor(f, p.tau) * unit;
            if p.interactions.is_empty() {
                leg.los[i] += a;
            } else {
                leg.walls[i] += a;
            }
        }
        // other RIS, fixed in their own first configuration, are part of the scene
        for family in paths.ris_paths.iter().filter(|p| p.ris != 0) {
            leg.walls[i] += paths.ris_response(family, f) * unit;
        }
        // RIS 0 uses the element-sum model (`trace` checks): no surface terms
        let (b_free, _) = element_sums(paths, 0, f, free)?;
        let (b_walls, _) = element_sums(paths, 0, f, |p| !free(p))?;
        for (k, w) in omega.iter().enumerate() {
            let configured = |b: &[Complex]| w.iter().zip(b).map(|(w, b)| w * b).sum::<Complex>() * unit;
            leg.ris_free[i * nk + k] = configured(&b_free);
            leg.ris_walls[i * nk + k] = configured(&b_walls);
        }
    }
    Ok(leg)
}

impl TracedSensing {
    /// Traces the legs of `config` for the voxels `support` in `scene`, whose RIS 0 must
    /// be `config.ris` (same elements, positions and order: `Ris::surface`) with the
    /// element-sum model. `progress` is called after every leg.
    pub fn trace(scene: &Scene, solver: &PathSolver, config: &RisImagingConfig, support: &[usize], progress: &(dyn Fn() + Sync)) -> Result<Self> {
        config.validate()?;
        let Some(surface) = scene.ris().first() else {
            return Err(invalid("scene", "no RIS: the imaging RIS must be the scene's RIS 0"));
        };
        if surface.model != rftwin_core::ris::RisModel::ElementSum {
            return Err(invalid("scene", "the imaging RIS must use the element-sum model (its configurations are per element)"));
        }
        let positions = config.ris.positions();
        if surface.count() != positions.len() || surface.positions().iter().zip(&positions).any(|(a, b)| a.distance(*b) > 1e-9) {
            return Err(invalid("scene", format!("RIS 0 '{}' ({} elements) is not the configuration's RIS ({} elements at {})", surface.name, surface.count(), positions.len(), config.ris.centre)));
        }
        let voxels = config.roi.positions();
        if let Some(&m) = support.iter().find(|&&m| m >= voxels.len()) {
            return Err(invalid("support", format!("voxel {m} of a ROI of {}", voxels.len())));
        }
        if support.is_empty() {
            return Err(invalid("support", "no voxel: the target is empty"));
        }
        let omega = ris_configurations(config)?.ok_or_else(|| invalid("configurations", "RIS mode 'none': there is nothing to configure"))?;
        let c = config.band.wave_speed;
        let frequencies = config.band.frequencies();
        let lambdas: Vec<f64> = frequencies.iter().map(|f| c / f).collect();
        if solver.options.frequency_hz <= 0.0 || (solver.options.frequency_hz - config.band.centre).abs() > 1e-6 * config.band.centre {
            return Err(invalid("solver", format!("solves at {} Hz for a band centred on {} Hz", solver.options.frequency_hz, config.band.centre)));
        }
        if (c - rftwin_core::constants::SPEED_OF_LIGHT).abs() > 1e-6 * c {
            return Err(invalid("band", format!("wave speed {c} m/s: the tracer propagates at {} m/s; set band.wave_speed to it", rftwin_core::constants::SPEED_OF_LIGHT)));
        }
        let geom = SceneGeometry::new(scene);
        let (tx, rx) = (config.tx.positions(), config.rx.positions());
        let solve = |a: DVec3, b: DVec3| -> Result<(Leg, usize, usize)> {
            let paths = solver.solve(scene, &geom, &Radio::isotropic(a), &Radio::isotropic(b))?;
            progress();
            Ok((reduce(&paths, &frequencies, &lambdas, &omega)?, paths.num_paths(), paths.ris_paths.len()))
        };
        let jobs_in: Vec<(usize, usize)> = (0..tx.len()).flat_map(|t| (0..support.len()).map(move |j| (t, j))).collect();
        let jobs_out: Vec<(usize, usize)> = (0..support.len()).flat_map(|j| (0..rx.len()).map(move |r| (j, r))).collect();
        let traced_in: Vec<(Leg, usize, usize)> = jobs_in.par_iter().map(|&(t, j)| solve(tx[t], voxels[support[j]])).collect::<Result<_>>()?;
        let traced_out: Vec<(Leg, usize, usize)> = jobs_out.par_iter().map(|&(j, r)| solve(voxels[support[j]], rx[r])).collect::<Result<_>>()?;
        let legs = (traced_in.len() + traced_out.len()) as f64;
        let mean_paths_per_leg = traced_in.iter().chain(&traced_out).map(|l| l.1).sum::<usize>() as f64 / legs;
        let mean_ris_families_per_leg = traced_in.iter().chain(&traced_out).map(|l| l.2).sum::<usize>() as f64 / legs;
        let strip = |v: Vec<(Leg, usize, usize)>| v.into_iter().map(|l| l.0).collect();
        Ok(TracedSensing { config: config.clone(), support: support.to_vec(), legs_in: strip(traced_in), legs_out: strip(traced_out), mean_paths_per_leg, mean_ris_families_per_leg })
    }

    /// The voxels traced.
    pub fn support(&self) -> &[usize] {
        &self.support
    }

    /// `part` of the contribution of support voxel `j` (σ = 1) to block `(i, k)` and pair
    /// `(t, r)`, before `g_vox s`.
    fn term(&self, part: Part, i: usize, k: usize, t: usize, r: usize, j: usize) -> Complex {
        let (nr, nk, nj) = (self.config.rx.elements, self.config.configurations, self.support.len());
        let (a, b) = (&self.legs_in[t * nj + j], &self.legs_out[j * nr + r]);
        let ik = i * nk + k;
        let free = |l: &Leg| l.los[i] + l.ris_free[ik];
        let all = |l: &Leg| l.los[i] + l.walls[i] + l.ris_free[ik] + l.ris_walls[ik];
        let ris_all = |l: &Leg| l.ris_free[ik] + l.ris_walls[ik];
        let fixed = |l: &Leg| l.los[i] + l.walls[i];
        let term_free = free(a) * free(b) - a.ris_free[ik] * b.ris_free[ik];
        match part {
            Part::FreeSpace => term_free,
            Part::All => all(a) * all(b) - ris_all(a) * ris_all(b),
            Part::Multipath => all(a) * all(b) - ris_all(a) * ris_all(b) - term_free,
            Part::StaticMultipath => fixed(a) * fixed(b) - a.los[i] * b.los[i],
            Part::LegWalls => a.walls[i] * (free(b) + b.walls[i]) + free(a) * b.walls[i],
            Part::RisWalls => fixed(a) * b.ris_walls[ik] + a.ris_walls[ik] * fixed(b),
        }
    }

    /// The linear operator of `part` in the layout of
    /// [`ForwardOperator`](super::operator::ForwardOperator) (no offset: background-
    /// calibrated data), with a column per ROI voxel; voxels outside the traced support
    /// have zero columns. Traced with the support = every voxel, `Part::FreeSpace` is the
    /// channel model's `M` with the tracer's polarimetric transport.
    pub fn operator(&self, part: Part) -> super::operator::ForwardOperator {
        let config = &self.config;
        let (nt, nr, nk) = (config.tx.elements, config.rx.elements, config.configurations);
        let block = config.block_len();
        let mut matrix = nalgebra::DMatrix::<f64>::zeros(config.measurement_len(), config.roi.count());
        for (i, f) in config.band.frequencies().iter().enumerate() {
            let g = config.voxel_gain(config.band.wave_speed / f) * config.scale;
            for k in 0..nk {
                let row0 = (i * nk + k) * block;
                for (j, &m) in self.support.iter().enumerate() {
                    for t in 0..nt {
                        for r in 0..nr {
                            let v = self.term(part, i, k, t, r, j) * g;
                            matrix[(row0 + t * nr + r, m)] = v.re;
                            matrix[(row0 + nt * nr + t * nr + r, m)] = v.im;
                        }
                    }
                }
            }
        }
        super::operator::AffineOperator { offset: nalgebra::DVector::zeros(config.measurement_len()), matrix }
    }

    /// The traced free-space legs (line of sight and wall-free RIS families) of every
    /// antenna and voxel, for the learnt leg coupling of
    /// [`SensingLegs`](super::legs::SensingLegs); legs of voxels outside the traced
    /// support are zero, as the operator's columns are.
    pub fn free_space_legs(&self) -> Result<super::legs::SensingLegs> {
        let config = &self.config;
        let (nt, nr, nk, nv, nj) = (config.tx.elements, config.rx.elements, config.configurations, config.roi.count(), self.support.len());
        let blocks = config.band.subcarriers * nk;
        let zero = Complex::new(0.0, 0.0);
        // `value(leg, index)` of every leg, laid out [index][voxel][antenna] per side
        let gather = |count: usize, value: &dyn Fn(&Leg, usize) -> Complex| {
            let (mut inward, mut outward) = (vec![zero; count * nv * nt], vec![zero; count * nv * nr]);
            for index in 0..count {
                for (j, &m) in self.support.iter().enumerate() {
                    for t in 0..nt {
                        inward[(index * nv + m) * nt + t] = value(&self.legs_in[t * nj + j], index);
                    }
                    for r in 0..nr {
                        outward[(index * nv + m) * nr + r] = value(&self.legs_out[j * nr + r], index);
                    }
                }
            }
            (inward, outward)
        };
        let (inward, outward) = gather(blocks, &|l, b| l.los[b / nk] + l.ris_free[b]);
        let (los_in, los_out) = gather(config.band.subcarriers, &|l, i| l.los[i]);
        let factor: Vec<f64> = config.band.frequencies().iter().map(|f| config.voxel_gain(config.band.wave_speed / f) * config.scale).collect();
        super::legs::SensingLegs::from_legs(config, inward, outward, [&los_in, &los_out], &factor)
    }

    /// `part` of the measurements for reflectivities `sigma` (one per ROI voxel; voxels
    /// outside the support must be 0), in the operator's row layout.
    pub fn measurements(&self, sigma: &[f64], part: Part) -> Result<Vec<f64>> {
        let config = &self.config;
        if sigma.len() != config.roi.count() {
            return Err(invalid("image", format!("{} values for a ROI of {} voxels", sigma.len(), config.roi.count())));
        }
        let mut in_support = vec![false; sigma.len()];
        self.support.iter().for_each(|&m| in_support[m] = true);
        if let Some(m) = (0..sigma.len()).find(|&m| sigma[m] != 0.0 && !in_support[m]) {
            return Err(invalid("image", format!("voxel {m} has σ = {} but was not traced", sigma[m])));
        }
        let (nt, nr, nk) = (config.tx.elements, config.rx.elements, config.configurations);
        let nj = self.support.len();
        let block = config.block_len();
        let mut y = vec![0.0; config.measurement_len()];
        let frequencies = config.band.frequencies();
        for (i, f) in frequencies.iter().enumerate() {
            let g_vox = config.voxel_gain(config.band.wave_speed / f);
            for k in 0..nk {
                let row0 = (i * nk + k) * block;
                for t in 0..nt {
                    for r in 0..nr {
                        let mut v = Complex::new(0.0, 0.0);
                        for j in 0..nj {
                            let s = sigma[self.support[j]];
                            if s != 0.0 {
                                v += self.term(part, i, k, t, r, j) * s;
                            }
                        }
                        v *= g_vox * config.scale;
                        y[row0 + t * nr + r] = v.re;
                        y[row0 + nt * nr + t * nr + r] = v.im;
                    }
                }
            }
        }
        Ok(y)
    }
}
