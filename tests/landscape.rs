//! The InverTwin Fig. 4 property: along the line of sight the raw FFT pipeline's loss
//! has a local minimum every half wavelength, the surrogate's has one.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin::core::Echo;
use rftwin::radar::loss::multiscale_mse;
use rftwin::radar::signal::{if_signals, range_profiles};
use rftwin::radar::spectrum::AngleGrid;
use rftwin::radar::surrogate::{spatial_surrogate, RangeKernel, SurrogateEcho, SurrogateOptions};
use rftwin::radar::{FmcwConfig, MimoArray};
use rftwin::trace::scattering::{surface_scattering, ScatteringOptions};
use rftwin::{Mesh, Scene, SceneGeometry};

fn minima(y: &[f64]) -> usize {
    (1..y.len() - 1).filter(|&i| y[i] < y[i - 1] && y[i] <= y[i + 1]).count()
}

#[test]
fn surrogate_loss_has_one_minimum_where_the_raw_loss_has_many() {
    let cfg = FmcwConfig::default();
    let lambda = cfg.wavelength();
    let full = MimoArray::default_upa(DVec3::ZERO, lambda);
    let array = MimoArray { tx: full.tx[..1].to_vec(), rx: full.rx[..4].to_vec() };
    let mut scene = Scene::new();
    scene.add_object("a", Mesh::letter_a(DVec3::new(0.0, 1.0, -0.25), 0.5, 0.4, 0.08, 0.05), "itu_metal").unwrap();
    let geom = SceneGeometry::new(&scene);
    let base = surface_scattering(&scene, &geom, DVec3::ZERO, &ScatteringOptions { samples: 2000, ..Default::default() }).unwrap().echoes();
    let bins: Vec<f64> = (20..40).map(|k| cfg.bin_range(k)).collect();
    let dirs = AngleGrid::uniform(7, 0.4, 7, 0.4).directions();
    let so = SurrogateOptions { sigma_m: cfg.range_resolution(), kernel: RangeKernel::Gaussian, aperture_radius_m: 2.0 * lambda, wavelength: lambda, random_phase_seed: Some(7) };
    let sim = |s: f64| {
        let e: Vec<Echo> = base.iter().map(|e| Echo { point: e.point + DVec3::Y * s, ..*e }).collect();
        let p = range_profiles(&cfg, &if_signals(&cfg, &array, &e).unwrap()).unwrap();
        let se: Vec<SurrogateEcho> = e.iter().map(|x| SurrogateEcho::from_echo(x, DVec3::ZERO)).collect();
        (p, spatial_surrogate(&se, &bins, &dirs, &so).unwrap())
    };
    let (op, os) = sim(0.0);
    let (mut raw, mut sur) = (Vec::new(), Vec::new());
    for i in 0..61 {
        let s = -3.0 * lambda + 6.0 * lambda * i as f64 / 60.0;
        let (p, sp) = sim(s);
        raw.push(p.iter().zip(&op).flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).norm_sqr())).sum::<f64>());
        sur.push(multiscale_mse(&sp, &os, 3).unwrap().0);
    }
    // ±3 λ at λ/2 per period: about a dozen minima for the raw loss
    assert!(minima(&raw) >= 10, "raw minima {}", minima(&raw));
    assert_eq!(minima(&sur), 1, "surrogate minima");
    let best = (0..sur.len()).min_by(|&a, &b| sur[a].total_cmp(&sur[b])).unwrap();
    assert_eq!(best, 30, "the surrogate's minimum is at the true position");
}
