//! D: a hybrid IRS with receive sensors and active elements (spec §D): the SNRs of the
//! three-hop sensor link (BS → IRS → target → sensors) and the four-hop BS link (… →
//! IRS → BS), line of sight, optimal phases, BS MRT toward the IRS.

/// The link budget's inputs (linear units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HybridLink {
    /// BS transmit power P.
    pub power: f64,
    /// BS antennas N.
    pub bs_antennas: f64,
    /// IRS elements M.
    pub elements: f64,
    /// Sensing elements M_s.
    pub sensors: f64,
    /// BS–IRS path gain β_BI = β_IB.
    pub bs_irs_gain: f64,
    /// IRS → target → IRS coefficient power |α|².
    pub target_gain: f64,
    /// Sensor noise σ_s².
    pub sensor_noise: f64,
    /// BS receiver noise σ_B².
    pub bs_noise: f64,
    /// Amplifier noise σ_0² of active elements.
    pub amplifier_noise: f64,
}

impl HybridLink {
    /// `SNR_S = P N β_BI M² |α|² M_s / σ_s²`.
    pub fn sensor_snr(&self) -> f64 {
        self.power * self.bs_antennas * self.bs_irs_gain * self.elements.powi(2) * self.target_gain * self.sensors / self.sensor_noise
    }

    /// The four-hop echo power at the BS, `S_B = P N β_BI M² |α|² M² β_IB N`.
    pub fn bs_signal(&self) -> f64 {
        self.power * self.bs_antennas * self.bs_irs_gain * self.elements.powi(2) * self.target_gain * self.elements.powi(2) * self.bs_irs_gain * self.bs_antennas
    }

    /// `SNR_B = S_B / σ_B²` (passive elements).
    pub fn bs_snr(&self) -> f64 {
        self.bs_signal() / self.bs_noise
    }

    /// `SNR_B,act = β² S_B / (σ_B² + β σ_0² M N β_IB)`: active elements of power gain β on
    /// both passes; their noise reaches the BS over the IRS–BS hop.
    pub fn active_bs_snr(&self, beta: f64) -> f64 {
        beta * beta * self.bs_signal() / (self.bs_noise + beta * self.amplifier_noise * self.elements * self.bs_antennas * self.bs_irs_gain)
    }
}

/// Path gain `C_0 d^{−α}`.
pub fn path_gain(c0_db: f64, distance: f64, exponent: f64) -> f64 {
    10f64.powf(c0_db / 10.0) * distance.powf(-exponent)
}
