//! Point targets from the ray tracer: a mesh target sampled by solver (B) from the UE
//! (the illuminator), each surface sample kept only if the RIS sees it, turned into a
//! point scatterer — so the FT and CS imagers run on geometry that is not a point cloud.
//!
//! A sample of area weight `A` (Monte Carlo, `1/(N p_A)`) and solver (B) amplitude
//! `a = λ/((4π)^{3/2} d²) · σ` (its monostatic spreading towards the UE at distance `d`)
//! becomes a scatterer of `σ = a (4π)^{3/2} d² / λ = (2√π/λ) |R̄| g(θ) A` — the spec's
//! `ρ √(4π) A_v / λ` with the reflectivity `ρ = |R̄| g(θ)` of solver (B)'s scattering model
//! (incidence from the UE). The bistatic ECR then adds the UE → sample → element phases
//! and spreading ([`super::point_ecr`]).

use super::{FtSetup, PointTarget};
use crate::error::{invalid, Result};
use rftwin_core::constants::SPEED_OF_LIGHT;
use rftwin_core::Scene;
use rftwin_trace::scattering::{surface_scattering, ScatteringOptions};
use rftwin_trace::SceneGeometry;
use std::f64::consts::PI;

/// Scatterers of a traced scene and what the tracer dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct TracedTargets {
    /// One scatterer per surface sample seen by the UE and the RIS.
    pub targets: Vec<PointTarget>,
    /// Rays cast from the UE.
    pub rays: u64,
    /// Samples dropped because part of the RIS (a corner or its centre) does not see them.
    pub partially_visible: u64,
    /// Samples dropped because no tested RIS point sees them.
    pub ris_occluded: u64,
}

/// Samples the target objects of `scene` (`options.targets`, empty: all) from the UE of
/// `setup` with `options.samples` rays at the band's centre frequency; visibility from
/// the RIS is tested at its four corner elements and its centre. The setup must be in SI
/// units (`Band::si`).
pub fn traced_targets(scene: &Scene, setup: &FtSetup, options: &ScatteringOptions) -> Result<TracedTargets> {
    setup.validate()?;
    if (setup.band.wave_speed - SPEED_OF_LIGHT).abs() > 1e-9 * SPEED_OF_LIGHT {
        return Err(invalid("band", format!("wave speed {}: ray-traced targets need SI units (Band::si)", setup.band.wave_speed)));
    }
    let ris = &setup.ris;
    let [my, mz] = ris.elements;
    let corners = [0, mz - 1, (my - 1) * mz, my * mz - 1].map(|m| ris.element_position(m));
    let mut opts = options.clone();
    opts.frequency_hz = setup.band.centre;
    opts.elements = corners.iter().copied().chain([ris.centre]).collect();
    opts.second_bounce = false;
    let geom = SceneGeometry::new(scene);
    let result = surface_scattering(scene, &geom, setup.ue, &opts)?;
    let lambda = setup.band.centre_wavelength();
    let targets = result
        .samples
        .iter()
        .map(|s| {
            let d = s.point.distance(setup.ue);
            PointTarget { position: s.point, amplitude: s.amplitude.norm() * (4.0 * PI).powf(1.5) * d * d / lambda }
        })
        .collect();
    Ok(TracedTargets { targets, rays: result.rays, partially_visible: result.partially_visible, ris_occluded: result.element_occluded })
}
