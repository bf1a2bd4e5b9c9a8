//! The MF-RIS system of spec `mf_ris_isac.md` §§1–3 and §9: geometry, powers, noise and
//! protocol as a plain struct with the spec's defaults, loadable from JSON.

use crate::error::{invalid, Result};
use glam::DVec3;
use serde::{Deserialize, Serialize};

pub use rftwin_core::constants::dbm_to_watts;


/// How the MF-RIS elements share reflection (space r, `y < 0`) and refraction (space t).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Energy splitting: every element reflects and refracts,
    /// `|v_{r,m}|² + |v_{t,m}|² ≤ β_max`.
    Es,
    /// Mode switching: a checkerboard of reflect-only and refract-only elements.
    Ms,
    /// Time switching: all elements reflect in one half-slot and refract in the other.
    Ts,
}

impl std::str::FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "es" => Ok(Protocol::Es),
            "ms" => Ok(Protocol::Ms),
            "ts" => Ok(Protocol::Ts),
            other => Err(format!("unknown protocol '{other}' (es, ms or ts)")),
        }
    }
}

/// The surface compared at the same total power (spec §8). For every surface but the
/// MF-RIS the echo is received at the BS (`y = GᵀΘᵀH'ΘGx + n`, the return pass's Θ held
/// at the previous iterate in the coefficient step).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Hardware {
    /// Reflects, refracts and amplifies; two-sided sensing elements (the protocol applies).
    #[default]
    MfRis,
    /// Active RIS: M/2 elements per space, `|v|² ≤ β_max`, amplification noise and P_o.
    ActiveRis,
    /// Passive RIS: M/2 elements per space, `|v| = 1` (relaxed to ≤ 1, phases projected
    /// at the end); P_RIS = 0, so the BS gets the whole budget.
    PassiveRis,
    /// STAR-RIS: `|v_r|² + |v_t|² ≤ 1`, passive (no amplification noise, P_RIS = 0).
    StarRis,
}

impl Hardware {
    /// Does the surface amplify (spend P_o, add σ_0²)?
    pub fn is_active(self) -> bool {
        matches!(self, Hardware::MfRis | Hardware::ActiveRis)
    }
}

impl std::str::FromStr for Hardware {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "mf-ris" | "mf" => Ok(Hardware::MfRis),
            "active" | "active-ris" => Ok(Hardware::ActiveRis),
            "passive" | "passive-ris" => Ok(Hardware::PassiveRis),
            "star" | "star-ris" => Ok(Hardware::StarRis),
            other => Err(format!("unknown surface '{other}' (mf-ris, active, passive or star)")),
        }
    }
}

/// One MF-RIS ISAC system (defaults: spec §9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MfRisSetup {
    /// Carrier frequency \[Hz\].
    pub carrier_hz: f64,
    /// BS transmit antennas N (ULA along x, λ/2).
    pub bs_antennas: usize,
    /// BS array centre \[m\].
    pub bs_position: DVec3,
    /// MF-RIS elements `[M_x, M_z]` (UPA in the x–z plane at the origin, λ/2).
    pub ris_elements: [usize; 2],
    /// Sensing elements per side `[M_v, M_h]` (vertical, horizontal).
    pub sensing_elements: [usize; 2],
    /// Users in the reflection space (`y < 0`) \[m\].
    pub users_r: Vec<DVec3>,
    /// Users in the refraction space (`y > 0`) \[m\].
    pub users_t: Vec<DVec3>,
    /// Targets in the reflection space \[m\].
    pub targets_r: Vec<DVec3>,
    /// Targets in the refraction space \[m\].
    pub targets_t: Vec<DVec3>,
    /// Path loss at 1 m, `C_0` \[dB\] (negative).
    pub c0_db: f64,
    /// Path-loss exponents BS–RIS, RIS–user, RIS–target.
    pub exponents: [f64; 3],
    /// Rician factor of G and g \[dB\]; `+∞` means line of sight only.
    pub kappa_db: f64,
    /// Isolation of the refraction-side sensors from the BS \[dB\].
    pub isolation_db: f64,
    /// Target radar cross-section \[m²\].
    pub rcs_m2: f64,
    /// User and sensor noise power σ_k², σ_s² \[dBm\].
    pub noise_dbm: f64,
    /// Amplification noise σ_0² \[dBm\].
    pub amplifier_noise_dbm: f64,
    /// Total power budget P = P_max + P_o \[dBm\].
    pub total_power_dbm: f64,
    /// MF-RIS amplification budget P_o \[dBm\].
    pub ris_power_dbm: f64,
    /// Largest amplitude-squared gain β_max of an element.
    pub beta_max: f64,
    /// Minimum user rate R_min \[bit/s/Hz\].
    pub rate_min: f64,
    /// Element sharing protocol.
    pub protocol: Protocol,
    /// The surface (hardware baselines of spec §8).
    pub hardware: Hardware,
}

impl Default for MfRisSetup {
    fn default() -> Self {
        MfRisSetup {
            carrier_hz: 3.5e9,
            bs_antennas: 8,
            bs_position: DVec3::new(-20.0, -40.0, 5.0),
            ris_elements: [4, 4],
            sensing_elements: [4, 4],
            users_r: vec![DVec3::new(10.0, -15.0, 0.0), DVec3::new(-12.0, -20.0, -2.0)],
            users_t: vec![DVec3::new(8.0, 15.0, 0.0), DVec3::new(-10.0, 20.0, 1.0)],
            targets_r: vec![DVec3::new(-15.0, -12.0, 3.0), DVec3::new(14.0, -18.0, -3.0)],
            targets_t: vec![DVec3::new(-14.0, 14.0, 2.0), DVec3::new(12.0, 18.0, -2.0)],
            c0_db: -30.0,
            exponents: [2.2, 2.5, 2.0],
            kappa_db: 3.0,
            isolation_db: -20.0,
            rcs_m2: 1.0,
            noise_dbm: -80.0,
            amplifier_noise_dbm: -70.0,
            total_power_dbm: 30.0,
            ris_power_dbm: 10.0,
            beta_max: 10.0,
            rate_min: 0.5,
            protocol: Protocol::Es,
            hardware: Hardware::MfRis,
        }
    }
}

impl MfRisSetup {
    /// Loads a setup from JSON (missing fields take the defaults) and validates it.
    pub fn from_json(text: &str) -> Result<Self> {
        let setup: MfRisSetup = serde_json::from_str(text).map_err(|e| invalid("mf-ris setup", e.to_string()))?;
        setup.validate()?;
        Ok(setup)
    }

    /// Wavelength λ \[m\].
    pub fn wavelength(&self) -> f64 {
        rftwin_core::constants::wavelength(self.carrier_hz)
    }

    /// M = M_x·M_z.
    pub fn element_count(&self) -> usize {
        self.ris_elements[0] * self.ris_elements[1]
    }

    /// BS power P_max = P − P_RIS \[W\] (P_RIS = P_o for amplifying surfaces, else 0).
    pub fn bs_power(&self) -> f64 {
        dbm_to_watts(self.total_power_dbm) - if self.hardware.is_active() { dbm_to_watts(self.ris_power_dbm) } else { 0.0 }
    }

    /// γ_min = 2^{R_min} − 1.
    pub fn sinr_min(&self) -> f64 {
        2f64.powf(self.rate_min) - 1.0
    }

    /// Checks every number, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        let positive = |name: &'static str, v: f64| if v.is_finite() && v > 0.0 { Ok(()) } else { Err(invalid(name, format!("{v}: must be positive and finite"))) };
        let finite = |name: &'static str, v: f64| if v.is_finite() { Ok(()) } else { Err(invalid(name, format!("{v} is not finite"))) };
        positive("carrier_hz", self.carrier_hz)?;
        positive("beta_max", self.beta_max)?;
        positive("rcs_m2", self.rcs_m2)?;
        for (name, v) in [("c0_db", self.c0_db), ("isolation_db", self.isolation_db), ("noise_dbm", self.noise_dbm), ("amplifier_noise_dbm", self.amplifier_noise_dbm), ("total_power_dbm", self.total_power_dbm), ("ris_power_dbm", self.ris_power_dbm)] {
            finite(name, v)?;
        }
        if self.kappa_db.is_nan() || self.kappa_db == f64::NEG_INFINITY {
            return Err(invalid("kappa_db", format!("{}: must be a number (+inf for line of sight only)", self.kappa_db)));
        }
        if !(self.rate_min.is_finite() && self.rate_min >= 0.0) {
            return Err(invalid("rate_min", format!("{}: must be ≥ 0 and finite", self.rate_min)));
        }
        if !self.exponents.iter().all(|e| e.is_finite() && *e > 0.0) {
            return Err(invalid("exponents", format!("{:?}: must be positive and finite", self.exponents)));
        }
        if self.bs_antennas == 0 {
            return Err(invalid("bs_antennas", "0: the BS needs at least one antenna"));
        }
        if self.ris_elements.contains(&0) {
            return Err(invalid("ris_elements", format!("{:?}: the MF-RIS needs at least one element along each axis (M = 0)", self.ris_elements)));
        }
        if self.sensing_elements.iter().sum::<usize>() == 0 {
            return Err(invalid("sensing_elements", "[0, 0]: each side needs at least one sensing element"));
        }
        if self.bs_power() <= 0.0 {
            return Err(invalid("total_power_dbm", format!("P = {} dBm leaves no BS power after the MF-RIS budget P_o = {} dBm", self.total_power_dbm, self.ris_power_dbm)));
        }
        if self.users_r.is_empty() && self.users_t.is_empty() {
            return Err(invalid("users", "no users in either space"));
        }
        if self.targets_r.is_empty() && self.targets_t.is_empty() {
            return Err(invalid("targets", "no targets in either space: the echo SINR is zero"));
        }
        for (name, list, side) in [("users_r", &self.users_r, -1.0), ("users_t", &self.users_t, 1.0), ("targets_r", &self.targets_r, -1.0), ("targets_t", &self.targets_t, 1.0)] {
            for p in list.iter() {
                if !p.is_finite() || p.y * side <= 0.0 {
                    return Err(invalid(name, format!("{p:?}: must be finite with y {} 0 (its space)", if side < 0.0 { "<" } else { ">" })));
                }
            }
        }
        if !self.bs_position.is_finite() || self.bs_position.y >= 0.0 {
            return Err(invalid("bs_position", format!("{:?}: the BS must be in the reflection space (y < 0)", self.bs_position)));
        }
        Ok(())
    }
}
