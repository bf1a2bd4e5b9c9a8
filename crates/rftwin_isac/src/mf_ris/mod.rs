//! Multi-functional RIS ISAC (paper 002; spec `mf_ris_isac.md`): a BS serves users and
//! senses targets on both sides of an MF-RIS that reflects, refracts and amplifies, with
//! two-sided sensing elements. Problem (17) — maximise the sum of the echo SINRs under
//! BS power, user QoS, element and amplification budgets — is solved by the alternating
//! optimisation of §6 (Lemma 1 filter, FP + SOCP beamformer, FP + SCA + SOCP
//! coefficients), each cone program by clarabel through [`crate::conic`].
//!
//! Module map: [`setup`] (parameters, JSON) → [`channels`] (Rician `G`, `g`, targets `H`,
//! leakage `F`) → [`model`] (instances per protocol, SINRs, powers, Lemma 1) →
//! [`beamformer`] (Algorithm 1) and [`coefficients`] (Algorithm 2) → [`ao`] (Algorithm 3,
//! feasible start, random and exhaustive baselines), [`sdr`] (the SDR baseline) →
//! [`system`] (whole setups, best of several initialisations).

pub mod ao;
pub mod beamformer;
pub mod channels;
pub mod coefficients;
pub mod model;
#[cfg(feature = "sdp")]
pub mod sdr;
pub mod setup;
pub mod system;

pub use ao::{alternating_optimisation, random_baseline, AoOptions, AoResult, AoStatus};
pub use system::{optimise_system, Method, SystemResult};
pub use beamformer::QosForm;
pub use channels::MfRisChannels;
pub use model::{Design, FeasibleSet, Problem};
pub use setup::{MfRisSetup, Protocol};
