//! The FFT pipeline against geometry: range bins, Bartlett and MUSIC directions.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin_core::Complex;
use rftwin_radar::signal::{if_signals, range_profiles};
use rftwin_radar::spectrum::{bartlett, music, AngleGrid};
use rftwin_radar::{Echo, FmcwConfig, MimoArray};

fn point(center: DVec3, range: f64, az: f64, el: f64) -> Echo {
    let u = DVec3::new(az.sin() * el.cos(), az.cos() * el.cos(), el.sin());
    Echo { point: center + range * u, a: Complex::new(1e-3, 0.0), extra_path_m: 0.0 }
}

#[test]
fn bartlett_finds_a_point_target_in_range_and_angle() {
    let cfg = FmcwConfig::default();
    let center = DVec3::new(0.0, 0.0, 1.0);
    let array = MimoArray::default_upa(center, cfg.wavelength());
    let (az, el, range) = (0.2, -0.1, 1.3);
    let profiles = range_profiles(&cfg, &if_signals(&cfg, &array, &[point(center, range, az, el)]).unwrap()).unwrap();
    let grid = AngleGrid::uniform(41, 0.6, 41, 0.6);
    let spec = bartlett(&cfg, &array, &profiles, &grid, 0..64).unwrap();
    let [k, ia, ie] = spec.argmax().unwrap();
    assert!((cfg.bin_range(k) - range).abs() <= cfg.range_resolution(), "range bin {k}");
    let step = 1.2 / 40.0;
    assert!((grid.azimuth[ia] - az).abs() <= step, "azimuth {}", grid.azimuth[ia]);
    assert!((grid.elevation[ie] - el).abs() <= step, "elevation {}", grid.elevation[ie]);
}

#[test]
fn music_peaks_at_both_of_two_targets() {
    let cfg = FmcwConfig::default();
    let center = DVec3::ZERO;
    let array = MimoArray::default_upa(center, cfg.wavelength());
    let range = 1.5;
    // Ranges 5 cm apart: across the snapshot window (neighbouring range bins) the two
    // echoes change phase differently, so they are not coherent (MUSIC needs that).
    let echoes = [point(center, range, -0.15, 0.0), point(center, range + 0.05, 0.25, 0.0)];
    let profiles = range_profiles(&cfg, &if_signals(&cfg, &array, &echoes).unwrap()).unwrap();
    let k = (range / cfg.range_resolution()).round() as usize;
    let grid = AngleGrid::uniform(121, 0.6, 1, 0.0);
    let p = music(&cfg, &array, &profiles, &grid, k, 3, 2).unwrap();
    // the two largest local maxima are at the two azimuths
    let mut peaks: Vec<(f64, f64)> = (1..p.len() - 1).filter(|&i| p[i] > p[i - 1] && p[i] >= p[i + 1]).map(|i| (p[i], grid.azimuth[i])).collect();
    peaks.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut top: Vec<f64> = peaks.iter().take(2).map(|p| p.1).collect();
    top.sort_by(f64::total_cmp);
    assert!((top[0] + 0.15).abs() < 0.011 && (top[1] - 0.25).abs() < 0.011, "MUSIC peaks at {top:?}");
    assert!(music(&cfg, &array, &profiles, &grid, k, 3, 0).is_err());
}
