//! Radar signal chain and differentiable surrogates (InverTwin, paper 004 §3.4).
//!
//! - [`config`]: the FMCW waveform and the TDM-MIMO array (default: 77 GHz, 4 GHz
//!   sweep, 16 × 16 virtual uniform planar array).
//! - [`ofdm`]: OFDM subcarrier channel and range profile by inverse FFT.
//! - [`signal`]: IF signal synthesis from echoes (eq. 15) and the Hamming-windowed range
//!   FFT (eq. 16, rustfft).
//! - [`spectrum`]: range–angle and 3D spatial spectra by Bartlett beamforming and MUSIC.
//! - [`surrogate`]: the Gaussian range surrogate (eq. 17, normalised as printed and
//!   unnormalised) and the Airy-disc spatial surrogate (eq. 20), each with its exact
//!   vector–Jacobian product.
//! - [`loss`]: the multi-scale MSE over spectra and its gradient.
//!
//! Complex gradients follow one convention throughout: for a real loss `L` of a complex
//! value `z = x + jy`, the gradient is `∂L/∂x + j ∂L/∂y`, so `dL = Re(conj(g) dz)`.
#![warn(missing_docs)]

pub mod config;
pub mod error;
pub mod loss;
pub mod ofdm;
pub mod signal;
pub mod spectrum;
pub mod surrogate;
#[cfg(feature = "gpu")]
pub mod surrogate_gpu;

pub use config::{FmcwConfig, MimoArray};
pub use error::RadarError;
pub use ofdm::OfdmConfig;
pub use signal::Echo;
pub use spectrum::{AngleGrid, Reduce, Spectrum};
