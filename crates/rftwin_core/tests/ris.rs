//! RIS surfaces: layout, profiles, the element-sum leg against closed forms (Tang et al.,
//! IEEE TWC 2021, far-field beamforming), and bad input.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin_core::ris::{RisProfile, RisSurface};
use rftwin_core::Complex;
use std::f64::consts::{PI, TAU};

const LAMBDA: f64 = 0.01; // 30 GHz
const K: f64 = TAU / LAMBDA;

fn wall(side: usize) -> RisSurface {
    RisSurface::new("ris", DVec3::ZERO, DVec3::X, DVec3::Z, [side, side], [LAMBDA / 2.0; 2]).unwrap()
}

#[test]
fn elements_follow_the_isac_layout() {
    let ris = RisSurface::new("r", DVec3::new(1.0, 2.0, 3.0), DVec3::X, DVec3::Z, [2, 3], [0.1, 0.2]).unwrap();
    // m = m_y·M_z + m_z at centre + (m_y − ½)·0.1 ŷ + (m_z − 1)·0.2 ẑ
    assert!((ris.element_position(0) - DVec3::new(1.0, 1.95, 2.8)).length() < 1e-12);
    assert!((ris.element_position(5) - DVec3::new(1.0, 2.05, 3.2)).length() < 1e-12);
    let (uy, uz, n) = ris.frame();
    assert!((uy - DVec3::Y).length() < 1e-12 && (uz - DVec3::Z).length() < 1e-12 && (n - DVec3::X).length() < 1e-12);
}

#[test]
fn a_phase_gradient_aligns_every_element_for_its_plane_waves_and_steers_the_peak() {
    let ris = wall(16);
    let dir = |az: f64| DVec3::new(az.to_radians().cos(), az.to_radians().sin(), 0.0);
    let (from, to) = (dir(30.0), dir(-50.0));
    let profile = ris.phase_gradient(from, to, K).unwrap();
    let array = |o: DVec3| ris.positions().iter().enumerate().map(|(m, p)| profile.coefficient(m) * Complex::from_polar(1.0, K * (from + o).dot(*p))).sum::<Complex>().norm();
    assert!((array(to) - 256.0).abs() < 1e-9, "coherent sum {}", array(to));
    // The far-field peak over azimuth is at −50° (generalised Snell's law), well within
    // one beamwidth (≈ λ/(M ξ cos θ) ≈ 11° here).
    let peak = (-900..=900).map(|i| i as f64 / 10.0).max_by(|a, b| array(dir(*a)).total_cmp(&array(dir(*b)))).unwrap();
    assert!((peak - (-50.0)).abs() < 0.2, "peak at {peak}°");
}

#[test]
fn focused_far_field_power_matches_the_tang_et_al_formula() {
    // Tang et al. (TWC 2021), far-field beamforming, isotropic elements and antennas
    // (G_t = G_r = 1, F = 1, A = 1): P_r/P_t = (M N)² ξ⁴ / (16 π² d₁² d₂²) with the element
    // gain G = 4πξ²/λ². Ours: g_com² |g Σ Γ h h|² with g_com² = λ²/(4π) (G = 1).
    for (side, d1, d2) in [(8usize, 20.0, 30.0), (16, 40.0, 25.0)] {
        let ris = wall(side);
        let tx = DVec3::new(d1 * 0.8, d1 * 0.6, 0.0);
        let rx = DVec3::new(d2 * 0.6, -d2 * 0.8, 0.0);
        let profile = ris.focus(tx, rx, K).unwrap();
        let y = ris.element_sum(&profile, tx, rx, K, ris.element_gain(LAMBDA));
        let ours = LAMBDA * LAMBDA / (4.0 * PI) * y.norm_sqr();
        let xi = LAMBDA / 2.0;
        let m = (side * side) as f64;
        let tang = m * m * xi.powi(4) / (16.0 * PI * PI * d1 * d1 * d2 * d2);
        let db = 10.0 * (ours / tang).log10();
        eprintln!("Tang et al. check, {side}×{side}, d₁ = {d1} m, d₂ = {d2} m: {db:+.4} dB");
        assert!(db.abs() < 0.5, "{side}×{side}: {db:.3} dB from Tang et al.");
    }
}

#[test]
fn focusing_makes_the_element_sum_coherent_and_quantisation_keeps_two_levels() {
    let ris = wall(6);
    let (a, b) = (DVec3::new(0.3, 0.1, 0.05), DVec3::new(0.2, -0.25, 0.0));
    let profile = ris.focus(a, b, K).unwrap();
    let y = ris.element_sum(&profile, a, b, K, 1.0);
    let bound: f64 = ris.positions().iter().map(|p| (rftwin_core::ris::hop(a, *p, K) * rftwin_core::ris::hop(*p, b, K)).norm()).sum();
    assert!((y.norm() - bound).abs() < 1e-12 * bound, "near-field focus {} vs {bound}", y.norm());
    let one_bit = profile.quantized(1).unwrap();
    assert!(one_bit.phase.iter().all(|p| p.abs() < 1e-12 || (p - PI).abs() < 1e-12));
    let loss = ris.element_sum(&one_bit, a, b, K, 1.0).norm() / y.norm();
    assert!(loss > 0.5 && loss < 1.0, "1-bit keeps {loss} of the amplitude (≈ 2/π expected)");
}

#[test]
fn bad_surfaces_and_profiles_are_errors_naming_the_value() {
    let err = |r: rftwin_core::Result<RisSurface>| r.unwrap_err().to_string();
    assert!(err(RisSurface::new("r", DVec3::ZERO, DVec3::X, DVec3::Z, [0, 4], [0.1, 0.1])).contains("[0, 4]"));
    assert!(err(RisSurface::new("r", DVec3::ZERO, DVec3::X, DVec3::X, [2, 2], [0.1, 0.1])).contains("parallel"));
    assert!(err(RisSurface::new("r", DVec3::ZERO, DVec3::X, DVec3::Z, [2, 2], [0.0, 0.1])).contains("element size"));
    let mut ris = wall(2);
    ris.configurations.push(RisProfile::from_phases(vec![0.0; 3]));
    assert!(ris.validate().unwrap_err().to_string().contains("3 phases for 4 elements"));
    ris.configurations[1] = RisProfile::from_phases(vec![0.0, f64::NAN, 0.0, 0.0]);
    assert!(ris.validate().unwrap_err().to_string().contains("element 1"));
    assert!(RisProfile::uniform(4, 1.0, 0.0).quantized(0).is_err());
    assert!(wall(2).phase_gradient(DVec3::ZERO, DVec3::X, K).is_err());
    let json = r#"{"name": "w", "centre": [0, 0, 0], "normal": [1, 0, 0], "up": [0, 0, 1], "elements": [2, 3], "element_size": [0.005, 0.005]}"#;
    let loaded = RisSurface::from_json(json).unwrap();
    assert_eq!((loaded.count(), loaded.configurations.len()), (6, 1));
    assert!(RisSurface::from_json(&json.replace("[2, 3]", "[0, 3]")).unwrap_err().to_string().contains("[0, 3]"));
}

#[test]
fn the_phase_vjp_matches_central_differences() {
    let ris = wall(4);
    let (a, b) = (DVec3::new(0.4, 0.2, 0.1), DVec3::new(0.3, -0.3, -0.1));
    let mut profile = ris.focus(a, DVec3::new(0.5, -0.1, 0.0), K).unwrap();
    profile.amplitude.iter_mut().enumerate().for_each(|(m, x)| *x = 0.6 + 0.03 * m as f64);
    let gain = ris.element_gain(LAMBDA);
    let loss = |p: &RisProfile| ris.element_sum(p, a, b, K, gain).norm_sqr();
    let y = ris.element_sum(&profile, a, b, K, gain);
    let grad = ris.element_sum_phase_vjp(&profile, a, b, K, gain, y * 2.0); // ∂|y|²/∂(Re, Im) = 2y
    let h = 1e-6;
    assert_eq!(grad.len(), ris.count());
    for (m, &g) in grad.iter().enumerate() {
        let (mut plus, mut minus) = (profile.clone(), profile.clone());
        plus.phase[m] += h;
        minus.phase[m] -= h;
        let fd = (loss(&plus) - loss(&minus)) / (2.0 * h);
        assert!((g - fd).abs() <= 0.01 * fd.abs().max(1e-3 * loss(&profile)), "element {m}: {g} vs {fd}");
    }
}

#[test]
fn the_macroscopic_model_agrees_with_the_element_sum_in_the_far_field() {
    let ris = wall(16); // 8 cm aperture: far field beyond 2D²/λ ≈ 1.3 m
    let dir = |az: f64| DVec3::new(az.to_radians().cos(), az.to_radians().sin(), 0.0);
    let (from, to) = (dir(30.0), dir(-50.0));
    let profile = ris.phase_gradient(from, to, K).unwrap();
    let gain = ris.element_gain(LAMBDA);
    let tx = from * 60.0;
    let mut worst: f64 = 0.0;
    for az in [-50.0, -48.0, -46.0, -53.0] {
        let rx = dir(az) * 80.0;
        let a_sum = ris.element_sum(&profile, tx, rx, K, gain).norm_sqr();
        let b_mac = ris.phase_gradient_leg([from, to], tx, rx, K, gain).norm_sqr();
        worst = worst.max((10.0 * (a_sum / b_mac).log10()).abs());
    }
    eprintln!("models (a) vs (b), main lobe: worst {worst:.3} dB");
    assert!(worst < 1.0, "models differ by {worst:.2} dB in the main lobe");
}
