//! IRS-empowered ISAC building blocks (paper 003, a survey; spec
//! `irs_isac_architectures.md`): minimal simulatable models of the architectures the
//! survey describes, each with the number its test checks.
//!
//! - [`virtual_los`] (A): a blocked target sensed over the IRS, identifiability with a
//!   rank-one BS–IRS channel, passive-beamforming gain.
//! - [`beam_scan`] (B): the IRS as an anchor, exhaustive and hierarchical codebooks.
//! - [`target_irs`] (C): an IRS on the target, echo focusing and secure sensing.
//! - [`hybrid`] (D): link budgets of an IRS with receive sensors and active elements.
//! - [`coding`] (E): several targets over one IRS–BS link, separated by coded IRS
//!   configurations (OMP).
//! - [`channel_control`] (F): MRT, ZF and max–min beamforming on orthogonalised channels.
//! - [`vehicular`] (G): the mutual-assistance protocol of IRS-equipped vehicles.
//!
//! Conventions (spec §0): time factor `e^{+jωt}`, `κ = 2π/λ`, steering `[a(u)]_i =
//! e^{jκ u·δ_i}`; a ULA with spacing `d` along one axis has `[a(s)]_m = e^{jκ d m s}`,
//! `s = sin θ`; SNRs are linear unless a name says dB.

pub mod beam_scan;
pub mod channel_control;
pub mod coding;
pub mod hybrid;
pub mod target_irs;
pub mod vehicular;
pub mod virtual_los;

use nalgebra::DVector;
use rftwin_core::Complex;

/// `[a(s)]_m = e^{j 2π (d/λ) m s}`, `m = 0..M`: a ULA of spacing `d` (in wavelengths
/// `d_over_lambda`) toward `s = sin θ`.
pub fn ula_steering(m: usize, d_over_lambda: f64, s: f64) -> DVector<Complex> {
    DVector::from_fn(m, |i, _| Complex::from_polar(1.0, std::f64::consts::TAU * d_over_lambda * i as f64 * s))
}

/// dB of a power ratio.
pub fn db(x: f64) -> f64 {
    10.0 * x.log10()
}
