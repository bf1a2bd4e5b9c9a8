//! One optimisation instance of problem (17) (spec §5) and the metrics of §4: user
//! SINRs (eq. 9), echo SINRs (eq. 16), BS and MF-RIS powers, and the sensing filter of
//! Lemma 1 (§6.1).
//!
//! The time-switching protocol is two instances with one active space each; energy
//! splitting and mode switching are one instance with both. The coefficient vector is
//! always `v = [v_r; v_t]` (`2M`), the feasible set says which entries may be non-zero.

use super::channels::{MfRisChannels, SPACE_R, SPACE_T};
use super::setup::{dbm_to_watts, Hardware, MfRisSetup, Protocol};
use crate::error::{invalid, Result};
use nalgebra::{DMatrix, DVector};
use std::borrow::Cow;
use rftwin_core::Complex;

/// Which coefficients an element may use (spec §2, (17d)).
#[derive(Debug, Clone, PartialEq)]
pub enum FeasibleSet {
    /// `|v_{r,m}|² + |v_{t,m}|² ≤ β_max`.
    EnergySplitting,
    /// `reflect[m]`: element m reflects only (else refracts only); `|v_{s,m}|² ≤ β_max`.
    ModeSwitching(Vec<bool>),
    /// Only space `s` is active: `v_{other} = 0`, `|v_{s,m}|² ≤ β_max`.
    SingleSpace(usize),
}

/// A user served in this instance.
#[derive(Debug, Clone)]
pub struct UserLink {
    /// Its space (0 = r, 1 = t).
    pub space: usize,
    /// RIS→user row `g ∈ C^M`.
    pub g: DVector<Complex>,
}

/// A sensed space of this instance.
#[derive(Debug, Clone)]
pub struct SensingSpace {
    /// 0 = r, 1 = t.
    pub space: usize,
    /// Where the echo is received: `H_s` (M_s × M) at the sensing elements, or the
    /// round trip `H'_s` (M × M) back to the BS, whose receive matrix `GᵀΘ_sH'_s` depends
    /// on the coefficients ([`Problem::sensing_matrix`]).
    pub h: DMatrix<Complex>,
    /// `true` when the echo returns to the BS through the surface.
    pub at_bs: bool,
    /// `F_s` (M_s × N; zero for an echo at the BS).
    pub f: DMatrix<Complex>,
    /// Weight of γ_s in the objective (1, or the time fraction λ_s under TS).
    pub weight: f64,
}

/// One instance of problem (17): channels, budgets and the feasible set.
#[derive(Debug, Clone)]
pub struct Problem {
    /// `G` (M × N).
    pub g: DMatrix<Complex>,
    /// Users in column order (W̄'s first columns).
    pub users: Vec<UserLink>,
    /// Sensed spaces.
    pub spaces: Vec<SensingSpace>,
    /// Coefficient constraints.
    pub feasible: FeasibleSet,
    /// BS power P_max \[W\].
    pub p_max: f64,
    /// MF-RIS amplification budget P_o \[W\].
    pub p_o: f64,
    /// β_max.
    pub beta_max: f64,
    /// σ_0² \[W\].
    pub amp_noise: f64,
    /// σ_k² = σ_s² \[W\].
    pub noise: f64,
    /// γ_min of every user.
    pub sinr_min: f64,
    /// Passive RIS: the coefficients must end with unit modulus.
    pub unit_modulus: bool,
}

/// A point of problem (17): `W̄ = [w_1 … w_K, W_0]` (N × (K + N)), `v = [v_r; v_t]`,
/// one unit-norm filter per sensed space.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Beamformer W̄.
    pub w: DMatrix<Complex>,
    /// Coefficients `[v_r; v_t]` (2M).
    pub v: DVector<Complex>,
    /// Sensing filters `u_s`, in the order of [`Problem::spaces`].
    pub u: Vec<DVector<Complex>>,
}

impl Problem {
    /// The instances of `setup` under its protocol: one for ES/MS, two (r then t) for TS.
    pub fn instances(setup: &MfRisSetup, ch: &MfRisChannels) -> Result<Vec<Problem>> {
        setup.validate()?;
        if !ch.is_finite() {
            return Err(invalid("channels", "a channel has a non-finite entry (NaN or infinite)"));
        }
        let m = setup.element_count();
        let users = |spaces: &[usize]| -> Vec<UserLink> { spaces.iter().flat_map(|&s| ch.users[s].iter().map(move |g| UserLink { space: s, g: g.clone() })).collect() };
        let targets_in = |s: usize| if s == SPACE_R { !setup.targets_r.is_empty() } else { !setup.targets_t.is_empty() };
        let at_bs = setup.hardware != Hardware::MfRis;
        let n = setup.bs_antennas;
        let spaces = |list: &[usize], weight: f64| -> Vec<SensingSpace> {
            list.iter()
                .filter(|&&s| targets_in(s))
                .map(|&s| {
                    if at_bs {
                        SensingSpace { space: s, h: ch.round_trip[s].clone(), at_bs, f: DMatrix::zeros(n, n), weight }
                    } else {
                        SensingSpace { space: s, h: ch.targets[s].clone(), at_bs, f: ch.leakage[s].clone(), weight }
                    }
                })
                .collect()
        };
        let active = setup.hardware.is_active();
        let base = |users: Vec<UserLink>, spaces: Vec<SensingSpace>, feasible: FeasibleSet, sinr_min: f64| Problem {
            g: ch.g.clone(),
            users,
            spaces,
            feasible,
            p_max: setup.bs_power(),
            p_o: if active { dbm_to_watts(setup.ris_power_dbm) } else { f64::INFINITY },
            beta_max: if active { setup.beta_max } else { 1.0 },
            amp_noise: if active { dbm_to_watts(setup.amplifier_noise_dbm) } else { 0.0 },
            unit_modulus: setup.hardware == Hardware::PassiveRis,
            noise: dbm_to_watts(setup.noise_dbm),
            sinr_min,
        };
        let protocol = match setup.hardware {
            Hardware::MfRis => setup.protocol,
            Hardware::StarRis => Protocol::Es,
            Hardware::ActiveRis | Hardware::PassiveRis => Protocol::Ms,
        };
        Ok(match protocol {
            Protocol::Es => vec![base(users(&[SPACE_R, SPACE_T]), spaces(&[SPACE_R, SPACE_T], 1.0), FeasibleSet::EnergySplitting, setup.sinr_min())],
            Protocol::Ms => {
                // A checkerboard: M/2 elements per space (also the active and passive RIS).
                let mz = setup.ris_elements[1];
                let reflect = (0..m).map(|i| (i / mz + i % mz).is_multiple_of(2)).collect();
                vec![base(users(&[SPACE_R, SPACE_T]), spaces(&[SPACE_R, SPACE_T], 1.0), FeasibleSet::ModeSwitching(reflect), setup.sinr_min())]
            }
            Protocol::Ts => {
                // λ_r = λ_t = 1/2: each slot's users need rate R_min/λ_s (spec §6.5).
                let sinr = 2f64.powf(setup.rate_min / 0.5) - 1.0;
                [SPACE_R, SPACE_T]
                    .into_iter()
                    .filter(|&s| targets_in(s) || !ch.users[s].is_empty())
                    .map(|s| base(users(&[s]), spaces(&[s], 0.5), FeasibleSet::SingleSpace(s), sinr))
                    .collect()
            }
        })
    }

    /// M.
    pub fn elements(&self) -> usize {
        self.g.nrows()
    }

    /// N.
    pub fn antennas(&self) -> usize {
        self.g.ncols()
    }

    /// Q = K + N, the columns of W̄.
    pub fn columns(&self) -> usize {
        self.users.len() + self.antennas()
    }

    /// `v_s` out of `[v_r; v_t]`.
    pub fn block(&self, v: &DVector<Complex>, s: usize) -> DVector<Complex> {
        v.rows(s * self.elements(), self.elements()).into_owned()
    }

    /// May element `m` of space `s` be non-zero?
    pub fn is_free(&self, s: usize, m: usize) -> bool {
        match &self.feasible {
            FeasibleSet::EnergySplitting => true,
            FeasibleSet::ModeSwitching(reflect) => reflect[m] == (s == SPACE_R),
            FeasibleSet::SingleSpace(active) => *active == s,
        }
    }

    /// `g Θ_s G` for user k (the row whose product with a column of W̄ is its signal).
    pub fn user_effective(&self, k: usize, v: &DVector<Complex>) -> DVector<Complex> {
        let u = &self.users[k];
        let gv = u.g.component_mul(&self.block(v, u.space));
        self.g.transpose() * gv
    }

    /// User k's noise `ν_k = σ_0²‖g Θ_s‖² + σ_k²` (amplified RIS noise plus receiver noise).
    pub fn user_noise(&self, k: usize, v: &DVector<Complex>) -> f64 {
        let u = &self.users[k];
        self.amp_noise * u.g.component_mul(&self.block(v, u.space)).norm_squared() + self.noise
    }

    /// γ_{s,k} of every user (eq. 9).
    pub fn user_sinrs(&self, d: &Design) -> Vec<f64> {
        (0..self.users.len())
            .map(|k| {
                let sig = d.w.transpose() * self.user_effective(k, &d.v);
                let total: f64 = sig.iter().map(|s| s.norm_sqr()).sum();
                let own = sig[k].norm_sqr();
                own / (total - own + self.user_noise(k, &d.v))
            })
            .collect()
    }

    /// The receive-side matrix of sensed space `i` at coefficients `v`: `H_s` for the
    /// sensing elements, `GᵀΘ_sH'_s` (N × M) for an echo returning to the BS. Its product
    /// with `Θ_s G W̄` is the echo.
    pub fn sensing_matrix(&self, i: usize, v: &DVector<Complex>) -> Cow<'_, DMatrix<Complex>> {
        let sp = &self.spaces[i];
        if sp.at_bs {
            Cow::Owned(self.g.transpose() * DMatrix::from_diagonal(&self.block(v, sp.space)) * &sp.h)
        } else {
            Cow::Borrowed(&sp.h)
        }
    }

    /// `u^H H_s Θ_s` (a length-M vector) for sensed space `i`.
    fn filtered_target_row(&self, i: usize, u: &DVector<Complex>, v: &DVector<Complex>) -> DVector<Complex> {
        let sp = &self.spaces[i];
        (self.sensing_matrix(i, v).adjoint() * u).conjugate().component_mul(&self.block(v, sp.space))
    }

    /// γ_s of sensed space `i` with filter `u` (eq. 16).
    pub fn echo_sinr(&self, i: usize, d: &Design, u: &DVector<Complex>) -> f64 {
        let sp = &self.spaces[i];
        let hv = self.filtered_target_row(i, u, &d.v);
        let c = self.g.transpose() * &hv;
        let num = (d.w.transpose() * &c).norm_squared();
        let df = (sp.f.adjoint() * u).conjugate();
        let leak = (d.w.transpose() * &df).norm_squared();
        num / (leak + self.amp_noise * hv.norm_squared() + self.noise * u.norm_squared())
    }

    /// The objective Σ_s weight_s γ_s with the design's filters.
    pub fn objective(&self, d: &Design) -> f64 {
        (0..self.spaces.len()).map(|i| self.spaces[i].weight * self.echo_sinr(i, d, &d.u[i])).sum()
    }

    /// `‖W̄‖_F²`.
    pub fn bs_power(&self, d: &Design) -> f64 {
        d.w.norm_squared()
    }

    /// `p_m = [G W̄ W̄^H G^H]_{mm}`.
    pub fn element_input_power(&self, w: &DMatrix<Complex>) -> Vec<f64> {
        let gw = &self.g * w;
        (0..gw.nrows()).map(|m| gw.row(m).norm_squared()).collect()
    }

    /// MF-RIS output power `Σ_s Σ_m |v_{s,m}|² (p_m + σ_0²)` ((17e)).
    pub fn ris_power(&self, d: &Design) -> f64 {
        let p = self.element_input_power(&d.w);
        let m = self.elements();
        (0..2 * m).map(|i| d.v[i].norm_sqr() * (p[i % m] + self.amp_noise)).sum()
    }

    /// Largest `|v_{r,m}|² + |v_{t,m}|²` (or `|v_{s,m}|²`) relative to β_max, and whether
    /// a coefficient the protocol forbids is non-zero.
    pub fn coefficient_load(&self, v: &DVector<Complex>) -> (f64, bool) {
        let m = self.elements();
        let mut worst = 0.0f64;
        let mut forbidden = false;
        for e in 0..m {
            let (r, t) = (v[e].norm_sqr(), v[m + e].norm_sqr());
            forbidden |= (!self.is_free(0, e) && r > 0.0) || (!self.is_free(1, e) && t > 0.0);
            worst = worst.max((r + t) / self.beta_max);
        }
        (worst, forbidden)
    }

    /// `d` with its filters replaced by the optimal ones of Lemma 1.
    pub fn with_optimal_filters(&self, mut d: Design) -> Result<Design> {
        d.u = self.optimal_filters(&d)?.into_iter().map(|(u, _)| u).collect();
        Ok(d)
    }

    /// Lemma 1: the filter maximising γ_s for every sensed space, with the SINRs.
    pub fn optimal_filters(&self, d: &Design) -> Result<Vec<(DVector<Complex>, f64)>> {
        (0..self.spaces.len())
            .map(|i| {
                let sp = &self.spaces[i];
                let theta = DMatrix::from_diagonal(&self.block(&d.v, sp.space));
                let ht = self.sensing_matrix(i, &d.v).as_ref() * &theta;
                let x = &ht * &self.g * &d.w;
                let fw = &sp.f * &d.w;
                let a = &x * x.adjoint();
                let b = &fw * fw.adjoint() + &ht * ht.adjoint() * Complex::new(self.amp_noise, 0.0) + DMatrix::identity(ht.nrows(), ht.nrows()) * Complex::new(self.noise, 0.0);
                principal_generalized_eigenvector(&a, &b)
            })
            .map(|r| r.map(|(value, u)| (u, value)))
            .collect()
    }
}

/// Lemma 1 (spec §6.1): the unit vector `u` maximising `u^H A u / u^H B u` for Hermitian
/// `A ⪰ 0`, `B ≻ 0`, and the maximum `λ_max(B⁻¹A)`. `B = LL^H`, `z` the top eigenvector
/// of `L⁻¹AL^{-H}`, `u = L^{-H}z / ‖L^{-H}z‖`. Both matrices are first divided by the
/// largest diagonal entry of `B`, which leaves the ratio unchanged.
pub fn principal_generalized_eigenvector(a: &DMatrix<Complex>, b: &DMatrix<Complex>) -> Result<(f64, DVector<Complex>)> {
    let n = b.nrows();
    if a.shape() != (n, n) || b.ncols() != n || n == 0 {
        return Err(invalid("generalized eigenproblem", format!("A is {:?}, B is {:?}", a.shape(), b.shape())));
    }
    if !a.iter().chain(b.iter()).all(|v| v.re.is_finite() && v.im.is_finite()) {
        return Err(invalid("generalized eigenproblem", "A or B has a non-finite entry"));
    }
    let scale = (0..n).map(|i| b[(i, i)].re).fold(0.0f64, f64::max);
    if scale <= 0.0 {
        return Err(invalid("generalized eigenproblem", "B is not positive definite (zero noise?)"));
    }
    let (a, b) = (a / Complex::new(scale, 0.0), b / Complex::new(scale, 0.0));
    let chol = b.clone().cholesky().ok_or_else(|| invalid("generalized eigenproblem", "B is not positive definite (zero noise?)"))?;
    let l = chol.l();
    let l_inv = l.solve_lower_triangular(&DMatrix::identity(n, n)).ok_or_else(|| invalid("generalized eigenproblem", "singular Cholesky factor"))?;
    let c = &l_inv * &a * l_inv.adjoint();
    let c = (&c + c.adjoint()) * Complex::new(0.5, 0.0);
    let eig = c.symmetric_eigen();
    let top = (0..n).max_by(|&i, &j| eig.eigenvalues[i].total_cmp(&eig.eigenvalues[j])).unwrap_or(0);
    let z = eig.eigenvectors.column(top).into_owned();
    let u = l_inv.adjoint() * z;
    let u = &u / Complex::new(u.norm(), 0.0);
    Ok((eig.eigenvalues[top].max(0.0), u))
}
