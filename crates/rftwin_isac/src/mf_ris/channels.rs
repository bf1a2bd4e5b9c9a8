//! Channels of the MF-RIS system (spec §3): Rician BS→RIS `G` and RIS→user rows `g`,
//! line-of-sight target responses `H_s` and BS→sensor leakage `F_s`.

use super::setup::MfRisSetup;
use crate::error::Result;
use glam::DVec3;
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64;
use rftwin_core::Complex;

/// Space index of reflection (`y < 0`, the BS side).
pub const SPACE_R: usize = 0;
/// Space index of refraction (`y > 0`).
pub const SPACE_T: usize = 1;

/// `[a(u)]_i = e^{jκ u·δ_i}` for element offsets `δ_i`.
pub fn steering(offsets: &[DVec3], u: DVec3, k: f64) -> DVector<Complex> {
    DVector::from_iterator(offsets.len(), offsets.iter().map(|d| Complex::from_polar(1.0, k * u.dot(*d))))
}

/// The element offsets of the three arrays (spec §1), λ/2 spacing.
#[derive(Debug, Clone)]
pub struct ArrayOffsets {
    /// BS ULA along x, centred.
    pub bs: Vec<DVec3>,
    /// MF-RIS UPA in the x–z plane, `m = m_x·M_z + m_z`.
    pub ris: Vec<DVec3>,
    /// One side's sensing elements: `M_v` vertical above the surface, then `M_h`
    /// horizontal beside it.
    pub sensors: Vec<DVec3>,
}

impl ArrayOffsets {
    /// Offsets for `setup`.
    pub fn new(setup: &MfRisSetup) -> Self {
        let d = setup.wavelength() / 2.0;
        let n = setup.bs_antennas;
        let [mx, mz] = setup.ris_elements;
        let bs = (0..n).map(|i| DVec3::new((i as f64 - (n as f64 - 1.0) / 2.0) * d, 0.0, 0.0)).collect();
        let ris = (0..mx * mz).map(|m| DVec3::new(((m / mz) as f64 - (mx as f64 - 1.0) / 2.0) * d, 0.0, ((m % mz) as f64 - (mz as f64 - 1.0) / 2.0) * d)).collect();
        let [mv, mh] = setup.sensing_elements;
        let sensors = (0..mv)
            .map(|i| DVec3::new(0.0, 0.0, (i as f64 + 1.0) * d + mz as f64 * d / 2.0))
            .chain((0..mh).map(|i| DVec3::new((i as f64 + 1.0) * d + mx as f64 * d / 2.0, 0.0, 0.0)))
            .collect();
        ArrayOffsets { bs, ris, sensors }
    }
}

/// Every channel of one realisation.
#[derive(Debug, Clone)]
pub struct MfRisChannels {
    /// BS→RIS `G ∈ C^{M×N}`.
    pub g: DMatrix<Complex>,
    /// RIS→user rows `g_{s,k} ∈ C^M`, per space `[r, t]`.
    pub users: [Vec<DVector<Complex>>; 2],
    /// Multi-target responses `H_s ∈ C^{M_s×M}` (eq. 14), per space.
    pub targets: [DMatrix<Complex>; 2],
    /// BS→sensor leakage `F_s ∈ C^{M_s×N}`, per space.
    pub leakage: [DMatrix<Complex>; 2],
    /// RIS→targets→RIS responses `H'_s = Σ_j α_j a_RIS(u_j) a_RIS(u_j)ᵀ` (M × M), for
    /// surfaces whose echo returns to the BS.
    pub round_trip: [DMatrix<Complex>; 2],
}

fn path_gain(c0: f64, d: f64, exponent: f64) -> f64 {
    c0 * d.powf(-exponent)
}

fn cn(rng: &mut Pcg64) -> Complex {
    let re: f64 = StandardNormal.sample(rng);
    let im: f64 = StandardNormal.sample(rng);
    Complex::new(re, im) * std::f64::consts::FRAC_1_SQRT_2
}

impl MfRisChannels {
    /// One realisation: the NLoS parts drawn from `seed`.
    pub fn generate(setup: &MfRisSetup, seed: u64) -> Result<Self> {
        setup.validate()?;
        let mut rng = Pcg64::seed_from_u64(seed);
        let k = 2.0 * std::f64::consts::PI / setup.wavelength();
        let off = ArrayOffsets::new(setup);
        let c0 = 10f64.powf(setup.c0_db / 10.0);
        let kappa = 10f64.powf(setup.kappa_db / 10.0);
        let (w_los, w_nlos) = if kappa.is_infinite() { (1.0, 0.0) } else { ((kappa / (kappa + 1.0)).sqrt(), (1.0 / (kappa + 1.0)).sqrt()) };
        let [a_br, a_ru, a_t] = setup.exponents;

        let d_br = setup.bs_position.length();
        let u_a = setup.bs_position / d_br;
        let a_ris_bs = steering(&off.ris, u_a, k);
        let a_bs = steering(&off.bs, -u_a, k);
        let phase = Complex::from_polar(1.0, -k * d_br);
        let g_amp = path_gain(c0, d_br, a_br).sqrt();
        let g_los = &a_ris_bs * a_bs.transpose() * phase;
        let g = DMatrix::from_fn(g_los.nrows(), g_los.ncols(), |i, j| g_amp * (w_los * g_los[(i, j)] + w_nlos * cn(&mut rng)));

        let user_row = |p: &DVec3, rng: &mut Pcg64| {
            let d = p.length();
            let a = steering(&off.ris, *p / d, k) * Complex::from_polar(1.0, -k * d);
            let amp = path_gain(c0, d, a_ru).sqrt();
            DVector::from_iterator(a.len(), a.iter().map(|v| amp * (w_los * v + w_nlos * cn(rng))))
        };
        let users_r = setup.users_r.iter().map(|p| user_row(p, &mut rng)).collect();
        let users_t = setup.users_t.iter().map(|p| user_row(p, &mut rng)).collect();

        // Σ_j α_j a_rx(u_j) a_RIS(u_j)ᵀ, α_j = √(σ_RCS C_0² d_j^{−2α_T}): the targets seen
        // by a receive array (`rx`: the sensors, or the RIS itself for the round trip).
        let targets = |rx: &[DVec3], list: &[DVec3]| {
            let mut h = DMatrix::zeros(rx.len(), off.ris.len());
            for p in list {
                let d = p.length();
                let u = *p / d;
                let alpha = (setup.rcs_m2 * c0 * c0 * d.powf(-2.0 * a_t)).sqrt();
                h += steering(rx, u, k) * steering(&off.ris, u, k).transpose() * Complex::new(alpha, 0.0);
            }
            h
        };
        let target_matrix = |list: &[DVec3]| targets(&off.sensors, list);
        let round_trip = |list: &[DVec3]| targets(&off.ris, list);
        let f_r = steering(&off.sensors, u_a, k) * a_bs.transpose() * (phase * g_amp);
        let f_t = &f_r * Complex::new(10f64.powf(setup.isolation_db / 20.0), 0.0);
        Ok(MfRisChannels { g, users: [users_r, users_t], targets: [target_matrix(&setup.targets_r), target_matrix(&setup.targets_t)], leakage: [f_r, f_t], round_trip: [round_trip(&setup.targets_r), round_trip(&setup.targets_t)] })
    }

    /// `true` when every entry is finite.
    pub fn is_finite(&self) -> bool {
        let fin = |m: &DMatrix<Complex>| m.iter().all(|v| v.re.is_finite() && v.im.is_finite());
        fin(&self.g)
            && self.users.iter().flatten().all(|g| g.iter().all(|v| v.re.is_finite() && v.im.is_finite()))
            && self.targets.iter().all(fin)
            && self.leakage.iter().all(fin)
            && self.round_trip.iter().all(fin)
    }
}
