//! Fourier-transform wavenumber-domain 3-D imaging through a RIS (paper 001; spec
//! `ft_wavenumber_imaging.md`): the UE–ROI–RIS–AP measurement model, equivalent channel
//! response (ECR) recovery, the subimage accumulation algorithm (Algorithm 1), Nyquist
//! and resolution limits, ISTA on an explicit sensing matrix (Algorithm 2) and the
//! integrated FT–CS imager whose operators are the SAA's (Algorithm 3).
//!
//! Geometry: the RIS lies in the plane `x = D > 0` (its centre), the region of interest
//! (ROI) at `x < D`; range is x, cross-range y and z.

pub mod ecr;
pub mod ftcs;
pub mod ista;
pub mod limits;
pub mod measurement;
pub mod saa;
pub mod sparse;
#[cfg(feature = "trace")]
pub mod traced;

use crate::band::Band;
use crate::error::{invalid, Result};
use crate::geometry::Ris;
use glam::DVec3;
use rftwin_core::Complex;
use serde::{Deserialize, Serialize};

/// The imaging system: RIS, user equipment (the illuminator), access-point antennas and
/// band. Lengths in the band's unit (metres, or centre wavelengths when normalised).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FtSetup {
    /// The RIS (its centre at `(D, y, z)`, `D > 0`).
    pub ris: Ris,
    /// Single-antenna UE position.
    pub ue: DVec3,
    /// AP antenna positions (each processed on its own, the ECRs averaged).
    pub ap: Vec<DVec3>,
    /// Sensing subcarriers.
    pub band: Band,
    /// `C`, the constant of antenna gains in `h = C W (b ⊙ e)` (eq. 3).
    pub gain: f64,
}

impl Default for FtSetup {
    /// The spec's defaults in normalised units: 32×32 RIS of λ/2 elements at `D = 10`,
    /// UE at `15 (cos 30°, sin 30°, 0)`, one AP antenna at `(−40, 60, 0)`, 11 subcarriers
    /// over `B = 0.1 f_c`.
    fn default() -> Self {
        let theta = 30f64.to_radians();
        FtSetup {
            ris: Ris { centre: DVec3::new(10.0, 0.0, 0.0), elements: [32, 32], element_size: [0.5, 0.5] },
            ue: 15.0 * DVec3::new(theta.cos(), theta.sin(), 0.0),
            ap: vec![DVec3::new(-40.0, 60.0, 0.0)],
            band: Band::default(),
            gain: 1.0,
        }
    }
}

impl FtSetup {
    /// Checks the parts and that the RIS is at `x = D > 0` with the UE not on its plane.
    pub fn validate(&self) -> Result<()> {
        self.ris.validate()?;
        self.band.validate()?;
        if self.ap.is_empty() {
            return Err(invalid("ap", "no AP antenna"));
        }
        if !(self.ue.is_finite() && self.ap.iter().all(|a| a.is_finite())) {
            return Err(invalid("positions", "UE and AP positions must be finite"));
        }
        if self.ris.centre.x <= 0.0 {
            return Err(invalid("ris.centre", format!("x = {} : the RIS must lie at x = D > 0, in front of the ROI at the origin", self.ris.centre.x)));
        }
        if !(self.gain.is_finite() && self.gain > 0.0) {
            return Err(invalid("gain", format!("{} must be positive and finite", self.gain)));
        }
        Ok(())
    }

    /// `D`, the range of the RIS plane.
    pub fn distance(&self) -> f64 {
        self.ris.centre.x
    }
}

/// A point scatterer with scattering coefficient `σ` (√RCS).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PointTarget {
    /// Position.
    pub position: DVec3,
    /// `σ`.
    pub amplitude: f64,
}

/// The ECR of point targets at the aperture's samples, subcarrier wavenumber `k`:
/// `e(m) = Σ_v σ_v e^{−jk(R_T + R_R)} / (R_T R_R)` (eq. 4, discrete).
pub fn point_ecr(aperture: &Ris, ue: DVec3, targets: &[PointTarget], k: f64) -> Vec<Complex> {
    aperture
        .positions()
        .iter()
        .map(|&r| {
            targets
                .iter()
                .map(|p| {
                    let (rt, rr) = (ue.distance(p.position), p.position.distance(r));
                    Complex::from_polar(p.amplitude / (rt * rr), -k * (rt + rr))
                })
                .sum()
        })
        .collect()
}
