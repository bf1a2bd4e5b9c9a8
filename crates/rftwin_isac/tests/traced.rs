//! FT imaging of a ray-traced mesh target: solver (B)'s surface samples as scatterers.

#![cfg(feature = "trace")]
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin_core::{Mesh, Scene};
use rftwin_isac::codebook::Codebook;
use rftwin_isac::ft::ecr::{EcrRecovery, Recovery};
use rftwin_isac::ft::measurement::measure;
use rftwin_isac::ft::saa::{SaaGrid, SaaImager};
use rftwin_isac::ft::traced::traced_targets;
use rftwin_isac::ft::limits::ResolutionLimits;
use rftwin_isac::ft::FtSetup;
use rftwin_isac::metrics::normalized_magnitude;
use rftwin_isac::{Band, Ris};
use rftwin_trace::scattering::ScatteringOptions;
use rftwin_trace::BackendChoice;
use std::f64::consts::PI;

/// The spec's geometry in metres at 3 GHz (λ ≈ 0.1 m): 32×32 RIS of λ/2 at D = 10 λ.
fn setup() -> FtSetup {
    let band = Band::si(3e9, 3e7, 11);
    let l = band.centre_wavelength();
    let t = 30f64.to_radians();
    FtSetup { ris: Ris::new(DVec3::new(10.0 * l, 0.0, 0.0), [32, 32], [l / 2.0, l / 2.0]).unwrap(), ue: 15.0 * l * DVec3::new(t.cos(), t.sin(), 0.0), ap: vec![DVec3::new(-40.0 * l, 60.0 * l, 0.0)], band, gain: 1.0 }
}

/// A 0.3 m × 0.3 m metal plate (2 cm thick) whose front face is the plane x = 0,
/// centred at (0, y0, z0).
fn plate(y0: f64, z0: f64) -> Scene {
    let mut s = Scene::new();
    s.add_object("plate", Mesh::cuboid(DVec3::new(-0.02, y0 - 0.15, z0 - 0.15), DVec3::new(0.0, y0 + 0.15, z0 + 0.15)), "itu_metal").unwrap();
    s
}

#[test]
fn a_traced_plate_is_imaged_on_its_front_face() {
    let setup = setup();
    let (y0, z0) = (0.2, -0.1);
    let options = ScatteringOptions { samples: 20_000, diffuse: 0.3, backend: BackendChoice::Cpu, ..Default::default() };
    let traced = traced_targets(&plate(y0, z0), &setup, &options).unwrap();
    assert!(traced.targets.len() > 1000, "{} samples", traced.targets.len());
    // every scatterer on the front face (the one both the UE and the RIS see)
    assert!(traced.targets.iter().all(|t| t.position.x.abs() < 1e-9 && (t.position.y - y0).abs() <= 0.15 + 1e-9), "a sample off the front face");
    // σ = (2√π/λ)|R̄| g(θ) A: summed over the face, between the diffuse floor and the
    // full physical-optics value (2√π/λ)·A for |R̄| ≤ 1, g ≤ 1
    let lambda = setup.band.centre_wavelength();
    let total: f64 = traced.targets.iter().map(|t| t.amplitude).sum();
    let bound = 2.0 * PI.sqrt() / lambda * 0.09;
    assert!(total > 0.3 * 0.3 * bound && total <= 1.05 * bound, "Σσ = {total} vs (2√π/λ)A = {bound}");

    let codebook = Codebook::dft(&setup.ris, setup.ris.count()).unwrap();
    let meas = measure(&setup, &codebook, &traced.targets, 0.0, 1).unwrap();
    let rec = EcrRecovery::new(&setup, &codebook, Recovery::Fast).unwrap();
    let grid = SaaGrid { slices: (0..=40).map(|j| -0.4 + 0.02 * j as f64).collect(), cross_range: [[-0.8, 0.8], [-0.8, 0.8]], ..Default::default() };
    let imager = SaaImager::new(rec.aperture(), setup.ue, &setup.band.wavenumbers(), &grid).unwrap();
    let img = normalized_magnitude(&imager.image(&rec.recover_all(&meas).unwrap()).unwrap());
    let positions = imager.voxel_positions();
    let peak = positions[(0..img.len()).max_by(|&a, &b| img[a].total_cmp(&img[b])).unwrap()];
    assert!((peak.y - y0).abs() <= 0.15 + lambda / 4.0 && (peak.z - z0).abs() <= 0.15 + lambda / 4.0, "peak {peak:?} off the plate");
    // an extended face is not a point: its scatterers' phases across the aperture move
    // the range peak (−0.12 m here); it stays within one range resolution cell (27a)
    let delta_x = ResolutionLimits::at(&setup, DVec3::new(0.0, y0, z0)).unwrap().range;
    assert!(peak.x.abs() <= delta_x, "range peak {} m from the face, resolution {delta_x} m", peak.x);
}

#[test]
fn traced_targets_need_si_units() {
    let mut s = setup();
    s.band = Band::default();
    s.ris.centre.x = 10.0;
    let err = traced_targets(&plate(0.0, 0.0), &s, &ScatteringOptions { samples: 100, backend: BackendChoice::Cpu, ..Default::default() }).unwrap_err();
    assert!(err.to_string().contains("SI units"), "{err}");
}
