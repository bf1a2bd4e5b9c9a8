//! RIS-aided integrated sensing and communication (ISAC) models of rftwin.
//!
//! Module map (each layer uses only those above it):
//! - [`error`] — typed errors naming the offending values.
//! - [`geometry`] — RIS / aperture element grids ([`Ris`]); [`band`] — OFDM subcarriers
//!   ([`Band`]); [`channel`] — free-space hops.
//! - [`fft`] — centred 2-D DFTs (rustfft); [`codebook`] — RIS codebooks (DFT, Hadamard,
//!   block-controlled; quantised phases; rank checks).
//! - [`metrics`] — normalised images, NMSE, detection of point targets.
//! - [`ris_imaging`] — the RIS-ISAC sensing channel of paper 000 (ULAs, RIS
//!   configurations, ROI voxel grids, four sensing terms) and its affine forward
//!   operator `y = c + Mσ` with the σ-independent products precomputed.
//! - [`ft`] — FT wavenumber-domain imaging (paper 001): measurements, ECR recovery, the
//!   SAA (Algorithm 1), Nyquist and resolution limits, ISTA (Algorithm 2), FT–CS
//!   (Algorithm 3).
//!
//! - [`targets`] — grayscale images (PNG), procedural silhouettes and a phantom;
//!   [`volume`] — 3-D targets and their grid checks.
//!
//! This crate knows no optimiser (the INR imager's training lives in `rftwin_inverse`).
//!
//! ```
//! use rftwin_isac::codebook::Codebook;
//! use rftwin_isac::ft::{ecr::{EcrRecovery, Recovery}, measurement::measure, saa::{SaaGrid, SaaImager}, FtSetup, PointTarget};
//! use glam::DVec3;
//!
//! # fn main() -> Result<(), rftwin_isac::IsacError> {
//! let mut setup = FtSetup::default();
//! setup.ris.elements = [16, 16];
//! let codebook = Codebook::dft(&setup.ris, setup.ris.count())?;
//! let target = PointTarget { position: DVec3::new(0.0, 1.0, -1.0), amplitude: 1.0 };
//! let h = measure(&setup, &codebook, &[target], 0.01, 7)?;
//! let recovery = EcrRecovery::new(&setup, &codebook, Recovery::Fast)?;
//! let imager = SaaImager::new(recovery.aperture(), setup.ue, &setup.band.wavenumbers(), &SaaGrid::default())?;
//! let image = imager.image(&recovery.recover_all(&h)?)?;
//! let peak = (0..image.len()).max_by(|&a, &b| image[a].norm().total_cmp(&image[b].norm())).unwrap();
//! assert!(imager.voxel_positions()[peak].distance(target.position) < 0.3);
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod band;
pub mod channel;
pub mod codebook;
pub mod conic;
pub mod error;
pub mod fft;
pub mod ft;
pub mod geometry;
pub mod irs_isac;
pub mod metrics;
pub mod mf_ris;
pub mod ris_imaging;
#[cfg(feature = "sdp")]
pub mod sdr;
pub mod targets;
pub mod volume;

pub use band::Band;
pub use codebook::Codebook;
pub use error::{IsacError, Result};
pub use geometry::Ris;
