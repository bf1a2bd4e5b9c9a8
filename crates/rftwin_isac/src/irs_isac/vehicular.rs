//! G: the mutual-assistance protocol of IRS-equipped vehicles (spec §G, our minimal
//! model). In each slot a fraction ρ goes to dedicated sensing (the vehicle's IRS
//! reflecting) and `1 − ρ` to communication (refracting). Sensing results sharpen the
//! beam (sensing-assisted communication); the next vehicle's IRS reflects the spill-over
//! of the current transmission into extra echo (communication-assisted sensing).

/// Model parameters (linear SNRs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VehicularModel {
    /// IRS elements M.
    pub elements: f64,
    /// Direction θ \[rad\].
    pub theta: f64,
    /// Communication SNR per element η_0.
    pub eta_comm: f64,
    /// Echo SNR rate of dedicated sensing η_s.
    pub eta_sense: f64,
    /// Echo SNR rate of the spill-over η_c.
    pub eta_spill: f64,
    /// CRB constant c_crb.
    pub crb: f64,
    /// Angle error of kinematic prediction ε_0 (no sensing assistance).
    pub prediction_error: f64,
}

impl Default for VehicularModel {
    /// M = 32, θ = 30°, η_0 = 0 dB, η_s = 10 dB, η_c = 0.3η_s, c_crb = 2, ε_0 = 2/M.
    fn default() -> Self {
        VehicularModel { elements: 32.0, theta: 30f64.to_radians(), eta_comm: 1.0, eta_sense: 10.0, eta_spill: 3.0, crb: 2.0, prediction_error: 2.0 / 32.0 }
    }
}

/// Which assistance a scheme uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme {
    /// Communication uses the sensed angle (else the kinematic prediction ε_0).
    pub sensing_assists: bool,
    /// The spill-over adds echo (c_a = 1).
    pub communication_assists: bool,
}

impl Scheme {
    /// The proposed scheme and its three benchmarks, with names.
    pub const ALL: [(&'static str, Scheme); 4] = [
        ("proposed", Scheme { sensing_assists: true, communication_assists: true }),
        ("w/o s-assistance", Scheme { sensing_assists: false, communication_assists: true }),
        ("w/o c-assistance", Scheme { sensing_assists: true, communication_assists: false }),
        ("w/o s&c-assistance", Scheme { sensing_assists: false, communication_assists: false }),
    ];
}

/// Points of the time-allocation grid (spec: ≥ 2000).
pub const GRID: usize = 4000;

impl VehicularModel {
    /// Accumulated sensing SNR `Γ_acc = ρη_s + c_a(1 − ρ)η_c`.
    pub fn sensing_snr(&self, scheme: Scheme, rho: f64) -> f64 {
        rho * self.eta_sense + if scheme.communication_assists { (1.0 - rho) * self.eta_spill } else { 0.0 }
    }

    /// Beam-alignment factor `Ḡ(ε) = exp(−(π cos θ)²(M² − 1)ε²/12)`.
    pub fn alignment(&self, error: f64) -> f64 {
        (-(std::f64::consts::PI * self.theta.cos()).powi(2) * (self.elements.powi(2) - 1.0) * error * error / 12.0).exp()
    }

    /// Rate `R = (1 − ρ) log₂(1 + η_0 M² Ḡ(ε))`, ε from the sensing SNR (CRB-type
    /// `1/√(c_crb Γ_acc M²)`) or ε_0; no sensing SNR means no beam (Ḡ = 0).
    pub fn rate(&self, scheme: Scheme, rho: f64) -> f64 {
        let gain = if scheme.sensing_assists {
            let g = self.sensing_snr(scheme, rho);
            if g > 0.0 { self.alignment(1.0 / (self.crb * g * self.elements.powi(2)).sqrt()) } else { 0.0 }
        } else {
            self.alignment(self.prediction_error)
        };
        (1.0 - rho) * (1.0 + self.eta_comm * self.elements.powi(2) * gain).log2()
    }

    fn grid() -> impl Iterator<Item = f64> {
        (0..=GRID).map(|i| i as f64 / GRID as f64)
    }

    /// `R*(Γ) = max_ρ R(ρ) s.t. Γ_acc(ρ) ≥ Γ`; `None` when no ρ meets Γ.
    pub fn best_rate(&self, scheme: Scheme, requirement: f64) -> Option<f64> {
        Self::grid().filter(|&rho| self.sensing_snr(scheme, rho) >= requirement).map(|rho| self.rate(scheme, rho)).max_by(f64::total_cmp)
    }

    /// The largest sensing SNR reachable while the rate stays ≥ `rate`.
    pub fn best_sensing(&self, scheme: Scheme, rate: f64) -> Option<f64> {
        Self::grid().filter(|&rho| self.rate(scheme, rho) >= rate).map(|rho| self.sensing_snr(scheme, rho)).max_by(f64::total_cmp)
    }

    /// The decision rule: with no sensing requirement, does sensing (the proposed scheme)
    /// beat pure communication on the kinematic prediction? Returns both rates.
    pub fn sensing_helps(&self) -> (bool, f64, f64) {
        let with = self.best_rate(Scheme::ALL[0].1, 0.0).unwrap_or(0.0);
        let pure = (1.0 + self.eta_comm * self.elements.powi(2) * self.alignment(self.prediction_error)).log2();
        (with > pure, with, pure)
    }
}
