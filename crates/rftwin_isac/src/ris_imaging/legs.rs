//! Learnable per-leg multipath coupling: a generalisation of the interference matrix `A`
//! of paper 000's P3 (eq. 26–27) that follows the configuration.
//!
//! Every measured term is a product of two legs, `TX_t → v_m` and `v_m → RX_r`. Paper
//! 000's interference `A[(t,r), m] = Σ_p ρ_p [h(t, b_p) h(b_p, v_m) h(v_m, r) + h(t, v_m)
//! h(v_m, b_p) h(b_p, r)]` is a background leg times a free-space line-of-sight leg. In a
//! room the background leg (a wall) also meets the *other* leg's RIS part — TX → wall →
//! v_m → RIS → RX — which changes with the configuration, so no fixed `A` represents it.
//! Here the background is learnt per leg instead: `W_in(t, m)` and `W_out(m, r)` (one per
//! subcarrier) are added to the known free-space legs `F_in,k`, `F_out,k` (line of sight
//! plus the RIS part of configuration `k`), and the model gains
//!
//! `Δy_ik(t, r) = c_i Σ_m σ_m [W_in F_out,ik + F_in,ik W_out + W_in W_out]`,
//!
//! the terms of `(F_in + W_in)(F_out + W_out) − F_in F_out`. It contains paper 000's `Aσ`
//! (`W` against `F`'s line of sight) and adds the wall–RIS couplings, with `(N_t + N_r) N_v`
//! unknowns per subcarrier against `A`'s `N_t N_r N_v`. Paths that reach the RIS through
//! a wall within one leg (TX → wall → RIS → v_m) stay outside the model.
//!
//! Scaling: the legs are stored normalised by their RMS, `F̃ = F / f` (per subcarrier and
//! side), and the parameters in measurement units, `P_in = c f_out W_in`,
//! `P_out = c f_in W_out`, so that
//! `Δy = Σ_m σ_m [P_in F̃_out + F̃_in P_out + P_in P_out / μ]` with `μ = c f_in f_out`:
//! every term is of the order of the data, and one learning rate suits `A` and the legs.
//! Parameters are f32 pairs `(Re, Im)`, all `P_in[i][m][t]`, then all `P_out[i][m][r]`.

use super::channel::Hops;
use super::configurations::ris_configurations;
use super::operator::{complex_gemm, configured_ris_hops};
use super::RisImagingConfig;
use crate::error::{invalid, Result};
use num_complex::Complex32;
use rayon::prelude::*;
use rftwin_core::Complex;

/// The free-space legs of a sensing configuration at every subcarrier and configuration,
/// normalised, with what the learnt leg coupling needs.
#[derive(Debug, Clone)]
pub struct SensingLegs {
    nt: usize,
    nr: usize,
    nv: usize,
    subcarriers: usize,
    configurations: usize,
    /// `F̃_in[b][m][t]`, `b = i·K + k`.
    inward: Vec<Complex32>,
    /// `F̃_out[b][m][r]`.
    outward: Vec<Complex32>,
    /// `μ_i = c_i f_in,i f_out,i` per subcarrier.
    mu: Vec<f32>,
    /// `(c_i, f_in,i, f_out,i)` per subcarrier.
    scales: Vec<[f64; 3]>,
    /// Unit line-of-sight vectors over the TX antennas, `[i][m][t]`, and over the RX
    /// antennas, `[i][m][r]` (zero where a voxel has no line of sight).
    los_in: Vec<Complex32>,
    los_out: Vec<Complex32>,
    /// Keep the couplings orthogonal to the line-of-sight vectors.
    orthogonal: bool,
}

/// `v ← v − u (uᴴ v)` for a unit (or zero) `u`.
fn project_out(v: &mut [Complex32], u: &[Complex32]) {
    let d: Complex32 = u.iter().zip(v.iter()).map(|(a, b)| a.conj() * b).sum();
    v.iter_mut().zip(u).for_each(|(x, a)| *x -= a * d);
}

/// Unit vectors of consecutive runs of `n` values (zero runs stay zero).
fn unit_vectors(v: &[Complex], n: usize) -> Vec<Complex32> {
    v.chunks_exact(n)
        .flat_map(|run| {
            let norm = run.iter().map(|x| x.norm_sqr()).sum::<f64>().sqrt();
            run.iter().map(move |x| if norm > 0.0 { Complex32::new((x.re / norm) as f32, (x.im / norm) as f32) } else { Complex32::new(0.0, 0.0) })
        })
        .collect()
}

impl SensingLegs {
    /// From legs in channel-model units, `inward[b][m][t]` and `outward[b][m][r]`, their
    /// line-of-sight parts `los_in[i][m][t]`, `los_out[i][m][r]`, and the measurement
    /// factor `c_i = s g_vox(λ_i)` per subcarrier.
    pub(crate) fn from_legs(config: &RisImagingConfig, inward: Vec<Complex>, outward: Vec<Complex>, [los_in, los_out]: [&[Complex]; 2], factor: &[f64]) -> Result<Self> {
        let (nt, nr, nv) = (config.tx.elements, config.rx.elements, config.roi.count());
        let (subcarriers, configurations) = (config.band.subcarriers, config.configurations);
        let blocks = subcarriers * configurations;
        if inward.len() != blocks * nv * nt || outward.len() != blocks * nv * nr || factor.len() != subcarriers || los_in.len() != subcarriers * nv * nt || los_out.len() != subcarriers * nv * nr {
            return Err(invalid("legs", format!("{} inward and {} outward legs for {blocks} blocks of {nv} voxels, {nt} TX and {nr} RX antennas", inward.len(), outward.len())));
        }
        let rms = |legs: &[Complex], i: usize, per_block: usize| {
            let part = &legs[i * configurations * per_block..(i + 1) * configurations * per_block];
            (part.iter().map(|v| v.norm_sqr()).sum::<f64>() / part.len() as f64).sqrt()
        };
        let (mut mu, mut scales) = (Vec::with_capacity(subcarriers), Vec::with_capacity(subcarriers));
        let (mut inward32, mut outward32) = (Vec::with_capacity(inward.len()), Vec::with_capacity(outward.len()));
        for (i, &c) in factor.iter().enumerate() {
            let (f_in, f_out) = (rms(&inward, i, nv * nt), rms(&outward, i, nv * nr));
            if !(f_in > 0.0 && f_out > 0.0 && f_in.is_finite() && f_out.is_finite() && c.is_finite() && c > 0.0) {
                return Err(invalid("legs", format!("subcarrier {i}: legs of RMS {f_in:e} (in) and {f_out:e} (out) with factor {c:e}; all must be finite and > 0")));
            }
            let to32 = |v: &Complex, f: f64| Complex32::new((v.re / f) as f32, (v.im / f) as f32);
            let range = |per_block: usize| i * configurations * per_block..(i + 1) * configurations * per_block;
            inward32.extend(inward[range(nv * nt)].iter().map(|v| to32(v, f_in)));
            outward32.extend(outward[range(nv * nr)].iter().map(|v| to32(v, f_out)));
            mu.push((c * f_in * f_out) as f32);
            scales.push([c, f_in, f_out]);
        }
        let (los_in, los_out) = (unit_vectors(los_in, nt), unit_vectors(los_out, nr));
        Ok(SensingLegs { nt, nr, nv, subcarriers, configurations, inward: inward32, outward: outward32, mu, scales, los_in, los_out, orthogonal: false })
    }

    /// The legs of the scalar channel model of `config` (line of sight plus the RIS part
    /// of every configuration, whatever `config.paths` keeps: the background couples to
    /// the physical legs).
    pub fn from_model(config: &RisImagingConfig) -> Result<Self> {
        config.validate()?;
        let omega = ris_configurations(config)?;
        let (nt, nr, nv, nk) = (config.tx.elements, config.rx.elements, config.roi.count(), config.configurations);
        let blocks = config.band.subcarriers * nk;
        let zero = Complex::new(0.0, 0.0);
        let (mut inward, mut outward) = (vec![zero; blocks * nv * nt], vec![zero; blocks * nv * nr]);
        let mut factor = Vec::new();
        let (mut los_in, mut los_out) = (Vec::with_capacity(config.band.subcarriers * nv * nt), Vec::with_capacity(config.band.subcarriers * nv * nr));
        for (i, &wavenumber) in config.band.wavenumbers().iter().enumerate() {
            let lambda = 2.0 * std::f64::consts::PI / wavenumber;
            let hops = Hops::new(config, wavenumber);
            factor.push(config.scale * config.voxel_gain(lambda));
            los_in.extend((0..nv).flat_map(|m| (0..nt).map(move |t| (t, m))).map(|(t, m)| hops.tx_roi[(t, m)]));
            los_out.extend((0..nv).flat_map(|m| (0..nr).map(move |r| (m, r))).map(|(m, r)| hops.roi_rx[(m, r)]));
            // the RIS parts of every configuration at once: (K·N_t × N_v) and (N_v × K·N_r)
            let ris_parts = omega.as_ref().map(|w| {
                let (tx_w, w_rx) = configured_ris_hops(&hops, w, config.ris_gain(lambda));
                (complex_gemm(&tx_w, &hops.roi_ris.transpose()), complex_gemm(&hops.roi_ris, &w_rx))
            });
            for k in 0..nk {
                let b = i * nk + k;
                for m in 0..nv {
                    for t in 0..nt {
                        inward[(b * nv + m) * nt + t] = hops.tx_roi[(t, m)] + ris_parts.as_ref().map_or(zero, |(g, _)| g[(k * nt + t, m)]);
                    }
                    for r in 0..nr {
                        outward[(b * nv + m) * nr + r] = hops.roi_rx[(m, r)] + ris_parts.as_ref().map_or(zero, |(_, q)| q[(m, k * nr + r)]);
                    }
                }
            }
        }
        Self::from_legs(config, inward, outward, [&los_in, &los_out], &factor)
    }

    /// The same legs with every coupling kept orthogonal to the voxel's line-of-sight
    /// vector over the antennas (`W_in(·, m) ⟂ h(·, m)`, `W_out(m, ·) ⟂ h(m, ·)`): a
    /// coupling along the line of sight only rescales the target's own term `σ_m F_in F_out`,
    /// so without the constraint the coupling can absorb image errors; a wall's image source
    /// arrives from another direction and keeps its coupling.
    pub fn orthogonal_to_line_of_sight(mut self) -> Self {
        self.orthogonal = true;
        self
    }

    /// Learnable values: `2 (N_t + N_r) N_v` per subcarrier.
    pub fn parameter_count(&self) -> usize {
        2 * self.subcarriers * (self.nt + self.nr) * self.nv
    }

    /// The parameters of known couplings in channel-model units, `w_in[i][m][t]` and
    /// `w_out[i][m][r]` (a known background, or a starting point).
    pub fn parameters_from_couplings(&self, w_in: &[Complex], w_out: &[Complex]) -> Result<Vec<f32>> {
        let (per_in, per_out) = (self.nv * self.nt, self.nv * self.nr);
        if w_in.len() != self.subcarriers * per_in || w_out.len() != self.subcarriers * per_out {
            return Err(invalid("couplings", format!("{} inward and {} outward values for {} subcarriers of {per_in} and {per_out}", w_in.len(), w_out.len(), self.subcarriers)));
        }
        let mut params = Vec::with_capacity(self.parameter_count());
        for (i, [c, _, f_out]) in self.scales.iter().enumerate() {
            params.extend(w_in[i * per_in..(i + 1) * per_in].iter().flat_map(|w| [(w.re * c * f_out) as f32, (w.im * c * f_out) as f32]));
        }
        for (i, [c, f_in, _]) in self.scales.iter().enumerate() {
            params.extend(w_out[i * per_out..(i + 1) * per_out].iter().flat_map(|w| [(w.re * c * f_in) as f32, (w.im * c * f_in) as f32]));
        }
        Ok(params)
    }

    /// Voxels `N_v`.
    pub fn voxels(&self) -> usize {
        self.nv
    }

    /// Measurements of one configuration's block, `2 N_t N_r`.
    fn block_len(&self) -> usize {
        2 * self.nt * self.nr
    }

    /// Measurements in all, in the operator's row layout.
    pub fn rows(&self) -> usize {
        self.subcarriers * self.configurations * self.block_len()
    }

    fn check(&self, params: &[f32], sigma: &[f32], rows: usize) -> Result<()> {
        if params.len() != self.parameter_count() || sigma.len() != self.nv || rows != self.rows() {
            return Err(invalid("leg coupling", format!("{} parameters, {} voxels and {rows} measurements for legs of {} parameters, {} voxels and {} measurements", params.len(), sigma.len(), self.parameter_count(), self.nv, self.rows())));
        }
        Ok(())
    }

    /// `(P_in[i], P_out[i])` of subcarrier `i` as complex values (projected when the
    /// couplings are kept orthogonal to the line of sight).
    fn parameters(&self, params: &[f32], i: usize) -> (Vec<Complex32>, Vec<Complex32>) {
        let pairs = |s: &[f32]| s.chunks_exact(2).map(|p| Complex32::new(p[0], p[1])).collect::<Vec<_>>();
        let (n_in, n_out) = (2 * self.nv * self.nt, 2 * self.nv * self.nr);
        let out0 = self.subcarriers * n_in;
        let (mut p_in, mut p_out) = (pairs(&params[i * n_in..(i + 1) * n_in]), pairs(&params[out0 + i * n_out..out0 + (i + 1) * n_out]));
        self.project(i, &mut p_in, &mut p_out);
        (p_in, p_out)
    }

    /// Projects per-voxel vectors `[m][t]` and `[m][r]` of subcarrier `i` orthogonally to
    /// the line of sight, when that is asked for.
    fn project(&self, i: usize, inward: &mut [Complex32], outward: &mut [Complex32]) {
        if !self.orthogonal {
            return;
        }
        let (nv, nt, nr) = (self.nv, self.nt, self.nr);
        for m in 0..nv {
            project_out(&mut inward[m * nt..(m + 1) * nt], &self.los_in[(i * nv + m) * nt..(i * nv + m + 1) * nt]);
            project_out(&mut outward[m * nr..(m + 1) * nr], &self.los_out[(i * nv + m) * nr..(i * nv + m + 1) * nr]);
        }
    }

    /// `y += Δy(params, σ)` (see the module's equation).
    pub fn add_response(&self, params: &[f32], sigma: &[f32], y: &mut [f32]) -> Result<()> {
        self.check(params, sigma, y.len())?;
        let (nt, nr, nv, nk) = (self.nt, self.nr, self.nv, self.configurations);
        let block = self.block_len();
        for i in 0..self.subcarriers {
            let (p_in, p_out) = self.parameters(params, i);
            // W_in W_out does not change with the configuration
            let mut both = vec![Complex32::new(0.0, 0.0); nt * nr];
            for m in (0..nv).filter(|&m| sigma[m] != 0.0) {
                for t in 0..nt {
                    let a = p_in[m * nt + t] * (sigma[m] / self.mu[i]);
                    for r in 0..nr {
                        both[t * nr + r] += a * p_out[m * nr + r];
                    }
                }
            }
            y[i * nk * block..(i + 1) * nk * block].par_chunks_exact_mut(block).enumerate().for_each(|(k, out)| {
                let b = i * nk + k;
                let (f_in, f_out) = (&self.inward[b * nv * nt..(b + 1) * nv * nt], &self.outward[b * nv * nr..(b + 1) * nv * nr]);
                let mut sum = both.clone();
                for m in (0..nv).filter(|&m| sigma[m] != 0.0) {
                    for t in 0..nt {
                        let (a, f) = (p_in[m * nt + t] * sigma[m], f_in[m * nt + t] * sigma[m]);
                        for r in 0..nr {
                            sum[t * nr + r] += a * f_out[m * nr + r] + f * p_out[m * nr + r];
                        }
                    }
                }
                for (j, v) in sum.iter().enumerate() {
                    out[j] += v.re;
                    out[nt * nr + j] += v.im;
                }
            });
        }
        Ok(())
    }

    /// Reverse mode of [`add_response`](Self::add_response): for `g = ∂L/∂y`, adds
    /// `∂L/∂σ` to `grad_sigma` and returns `∂L/∂params` (`∂L/∂Re p + j ∂L/∂Im p =
    /// Σ G conj(∂Δy/∂p)` with `G = g_Re + j g_Im`).
    pub fn backward(&self, params: &[f32], sigma: &[f32], g: &[f32], grad_sigma: &mut [f32]) -> Result<Vec<f32>> {
        self.check(params, sigma, g.len())?;
        if grad_sigma.len() != self.nv {
            return Err(invalid("leg coupling", format!("{} σ gradients for {} voxels", grad_sigma.len(), self.nv)));
        }
        let (nt, nr, nv, nk) = (self.nt, self.nr, self.nv, self.configurations);
        let block = self.block_len();
        let n_in = 2 * nv * nt;
        let mut grad = vec![0.0f32; self.parameter_count()];
        let (grad_in_all, grad_out_all) = grad.split_at_mut(self.subcarriers * n_in);
        for i in 0..self.subcarriers {
            let (p_in, p_out) = self.parameters(params, i);
            let blocks: Vec<Vec<Complex32>> = (0..nk).map(|k| (0..nt * nr).map(|j| Complex32::new(g[(i * nk + k) * block + j], g[(i * nk + k) * block + nt * nr + j])).collect()).collect();
            let g_sum: Vec<Complex32> = (0..nt * nr).map(|j| blocks.iter().map(|b| b[j]).sum()).collect();
            let mu = self.mu[i];
            // per voxel: T_in(m, t) = Σ_k Σ_r G_k(t,r) conj(F̃_out,k(m,r)) + Σ_r G_sum(t,r) conj(P_out(m,r))/μ, T_out likewise
            let per_voxel: Vec<(Vec<Complex32>, Vec<Complex32>, f32)> = (0..nv)
                .into_par_iter()
                .map(|m| {
                    let mut t_in = vec![Complex32::new(0.0, 0.0); nt];
                    let mut t_out = vec![Complex32::new(0.0, 0.0); nr];
                    for (k, gk) in blocks.iter().enumerate() {
                        let b = i * nk + k;
                        let f_in = &self.inward[(b * nv + m) * nt..(b * nv + m + 1) * nt];
                        let f_out = &self.outward[(b * nv + m) * nr..(b * nv + m + 1) * nr];
                        for t in 0..nt {
                            for r in 0..nr {
                                let gv = gk[t * nr + r];
                                t_in[t] += gv * f_out[r].conj();
                                t_out[r] += f_in[t].conj() * gv;
                            }
                        }
                    }
                    // ∂L/∂σ_m from the terms linear in the parameters, before adding the bilinear part to T
                    let mut d_sigma: f32 = (0..nt).map(|t| (p_in[m * nt + t] * t_in[t].conj()).re).sum::<f32>() + (0..nr).map(|r| (p_out[m * nr + r] * t_out[r].conj()).re).sum::<f32>();
                    for t in 0..nt {
                        for r in 0..nr {
                            let gv = g_sum[t * nr + r];
                            let bilinear = gv * p_out[m * nr + r].conj() / mu;
                            t_in[t] += bilinear;
                            t_out[r] += p_in[m * nt + t].conj() * gv / mu;
                            d_sigma += (p_in[m * nt + t] * bilinear.conj()).re;
                        }
                    }
                    (t_in, t_out, d_sigma)
                })
                .collect();
            // the gradients of the (projected) couplings, then through the projection (Hermitian)
            let mut g_in = Vec::with_capacity(nv * nt);
            let mut g_out = Vec::with_capacity(nv * nr);
            for (m, (t_in, t_out, d_sigma)) in per_voxel.into_iter().enumerate() {
                grad_sigma[m] += d_sigma;
                g_in.extend(t_in.iter().map(|v| v * sigma[m]));
                g_out.extend(t_out.iter().map(|v| v * sigma[m]));
            }
            self.project(i, &mut g_in, &mut g_out);
            let interleave = |g: &[Complex32], out: &mut [f32]| g.iter().enumerate().for_each(|(j, v)| (out[2 * j], out[2 * j + 1]) = (v.re, v.im));
            interleave(&g_in, &mut grad_in_all[i * n_in..(i + 1) * n_in]);
            interleave(&g_out, &mut grad_out_all[i * 2 * nv * nr..(i + 1) * 2 * nv * nr]);
        }
        Ok(grad)
    }
}
