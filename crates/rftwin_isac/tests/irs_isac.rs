//! IRS-ISAC building blocks (spec `irs_isac_architectures.md`, tests A–G).
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use rftwin_core::Complex;
use rftwin_isac::irs_isac::{beam_scan, channel_control, coding, db, hybrid, target_irs::TargetIrs, ula_steering, vehicular, virtual_los};

fn random_phases(rng: &mut Pcg64, n: usize) -> DVector<Complex> {
    DVector::from_fn(n, |_, _| Complex::from_polar(1.0, rng.gen::<f64>() * std::f64::consts::TAU))
}

#[test]
fn a1_a_rank_one_bs_irs_channel_hides_the_target_angle() {
    let (m, n) = (32, 8);
    let mut rng = Pcg64::seed_from_u64(3);
    let g_irs = ula_steering(m, 0.5, 0.3);
    let b_bs = ula_steering(n, 0.5, -0.2);
    let rank_one = &g_irs * b_bs.transpose();
    let two_path = &rank_one + ula_steering(m, 0.5, -0.6) * ula_steering(n, 0.5, 0.5).transpose() * Complex::new(0.7, 0.2);
    let alpha = Complex::new(1.0, 0.5);
    let theta = 20f64.to_radians();
    let v1 = random_phases(&mut rng, m);
    let v2 = random_phases(&mut rng, m);
    let one = virtual_los::conditioning(&virtual_los::fisher_information(&rank_one, std::slice::from_ref(&v1), alpha, theta, 1.0));
    let two_configs = virtual_los::conditioning(&virtual_los::fisher_information(&rank_one, &[v1.clone(), v2], alpha, theta, 1.0));
    let two_paths = virtual_los::conditioning(&virtual_los::fisher_information(&two_path, &[v1], alpha, theta, 1.0));
    assert!(one < 1e-12, "rank-one G, one configuration: λmin/λmax = {one:e}");
    assert!(two_configs >= 1e-9, "two configurations: {two_configs:e}");
    assert!(two_paths >= 1e-9, "two-path G: {two_paths:e}");
}

#[test]
fn a2_aligned_phases_gain_12_db_per_doubling_over_random_ones() {
    let mut rng = Pcg64::seed_from_u64(5);
    let alpha = Complex::new(1.0, 0.0);
    let mut last = None;
    for m in [16usize, 32, 64] {
        let (g, a) = (random_phases(&mut rng, m), random_phases(&mut rng, m));
        let best = virtual_los::echo_power(&g, &a, &virtual_los::aligned_phases(&g, &a), alpha);
        assert!((best / (m as f64).powi(4) - 1.0).abs() < 1e-9);
        if let Some(prev) = last {
            assert!((db(best / prev) - 12.04).abs() < 0.1);
        }
        last = Some(best);
        let draws = 20_000;
        let random = (0..draws).map(|_| virtual_los::echo_power(&g, &a, &random_phases(&mut rng, m), alpha)).sum::<f64>() / draws as f64;
        let m_f = m as f64;
        assert!((random / (2.0 * m_f * m_f - m_f) - 1.0).abs() < 0.06, "M = {m}: random mean {random} vs 2M² − M = {}", 2.0 * m_f * m_f - m_f);
        assert!((db(best / random) - db(m_f * m_f / (2.0 - 1.0 / m_f))).abs() < 0.3);
    }
}

#[test]
fn b1_b2_b3_exhaustive_and_hierarchical_beam_scans() {
    let mut rng = Pcg64::seed_from_u64(11);
    let (m, d) = (64, 0.25);
    let (ex10, n_ex) = beam_scan::success_rate(m, d, 10.0, 300, &mut rng, beam_scan::exhaustive_scan);
    let (ex20, _) = beam_scan::success_rate(m, d, 20.0, 300, &mut rng, beam_scan::exhaustive_scan);
    let (hi20, n_hi) = beam_scan::success_rate(m, d, 20.0, 300, &mut rng, beam_scan::hierarchical_scan);
    let (hi30, _) = beam_scan::success_rate(m, d, 30.0, 300, &mut rng, beam_scan::hierarchical_scan);
    assert_eq!((n_ex, n_hi), (64, 12));
    assert!((ex10 - 0.81).abs() < 0.08, "exhaustive at 10 dB: {ex10} (prototype 0.81)");
    assert!(ex20 >= 0.99, "exhaustive at 20 dB: {ex20}");
    assert!(hi30 >= 0.95, "hierarchical at 30 dB: {hi30} (spec ≥ 0.95)");
    assert!(hi20 < ex20, "B3: hierarchical {hi20} should trail exhaustive {ex20} at 20 dB");
    // d = λ/2 aliases: s = 0.7 reads as s − 1.
    let (est, _) = beam_scan::exhaustive_scan(m, 0.5, 0.7, 1e6, &mut rng);
    assert!((est - (-0.3)).abs() <= 2.0 / m as f64, "aliased estimate {est}");
}

#[test]
fn c1_c2_target_mounted_irs_focuses_and_hides_its_echo() {
    let lambda = 0.1;
    let sigma_b = 0.01;
    let u = DVec3::X;
    for (side, coherent_db, random_db) in [(4, 23.6, 11.3), (8, 35.2, 17.1), (16, 47.2, 23.1)] {
        let irs = TargetIrs::planar(side, side, lambda / 2.0, lambda, sigma_b);
        assert!((irs.cell_rcs - 7.85e-3).abs() < 1e-5);
        let gain = db(irs.echo(&irs.focus(u), u, u).norm_sqr() / sigma_b);
        let mt = (side * side) as f64;
        assert!((gain - coherent_db).abs() < 0.1, "M_T = {mt}: {gain:.2} dB (spec {coherent_db})");
        assert!((db((sigma_b + mt * irs.cell_rcs) / sigma_b) - random_db).abs() < 0.1);
    }
    let irs = TargetIrs::planar(8, 8, lambda / 2.0, lambda, sigma_b);
    let dir = |deg: f64| DVec3::new(deg.to_radians().cos(), deg.to_radians().sin(), 0.0);
    let (u_l, u_e) = (dir(20.0), dir(-35.0));
    let v = irs.secure(u_l, u_e, 1e3, 200);
    let legit = db(irs.echo(&v, u_l, u_l).norm_sqr() / sigma_b);
    let eaves = db(irs.echo(&v, u_l, u_e).norm_sqr() / sigma_b);
    let eaves_focus = db(irs.echo(&irs.focus(u_l), u_l, u_e).norm_sqr() / sigma_b);
    assert!(legit >= 30.0, "legitimate echo {legit:.1} dB over bare (spec ≥ 30)");
    assert!(eaves <= -10.0, "eavesdropper {eaves:.1} dB (spec ≤ −10; focus only: {eaves_focus:.1} dB)");
    assert!(eaves < eaves_focus);
}

#[test]
fn d1_d2_sensor_link_budget_and_active_elements() {
    let beta = hybrid::path_gain(-30.0, 45.0, 2.2);
    assert!((db(beta) - (-66.4)).abs() < 0.05, "β_IB = {:.2} dB", db(beta));
    for (m, want) in [(16.0, 42.3), (64.0, 30.2), (256.0, 18.2)] {
        let link = hybrid::HybridLink { power: 1.0, bs_antennas: 8.0, elements: m, sensors: 8.0, bs_irs_gain: beta, target_gain: 1e-6, sensor_noise: 1e-12, bs_noise: 1e-12, amplifier_noise: 1e-12 };
        let ratio = db(link.sensor_snr() / link.bs_snr());
        assert!((ratio - want).abs() < 0.1, "M = {m}: sensor link ahead by {ratio:.2} dB (spec {want})");
        assert!((link.sensor_snr() / link.bs_snr() - 8.0 / (m * m * 8.0 * beta)).abs() < 1e-9 * link.sensor_snr() / link.bs_snr());
    }
    let link = hybrid::HybridLink { power: 1.0, bs_antennas: 8.0, elements: 64.0, sensors: 8.0, bs_irs_gain: beta, target_gain: 1e-6, sensor_noise: 1e-12, bs_noise: 1e-12, amplifier_noise: 1e-10 };
    let slope = |b: f64| (db(link.active_bs_snr(b * 1.01)) - db(link.active_bs_snr(b))) / db(1.01);
    let betas: Vec<f64> = (0..60).map(|i| 10f64.powf(-4.0 + i as f64 * 0.25)).collect();
    for w in betas.windows(2) {
        assert!(link.active_bs_snr(w[1]) > link.active_bs_snr(w[0]), "SNR_B,act must rise with β");
    }
    assert!((slope(1e-4) - 2.0).abs() < 0.01 && (slope(1e10) - 1.0).abs() < 0.01, "slopes {} and {}", slope(1e-4), slope(1e10));
}

#[test]
fn e1_coded_configurations_separate_two_targets_and_identical_ones_are_flagged() {
    let (m, t) = (32, 32);
    let mut rng = Pcg64::seed_from_u64(2);
    let g = ula_steering(m, 0.5, 50f64.to_radians().sin());
    let angles = [-20f64, 25.0];
    let alpha = [Complex::new(1.0, 0.0), Complex::from_polar(0.8, 1.0)];
    let grid: Vec<f64> = (0..381).map(|i| -0.95 + 0.005 * i as f64).collect();
    let observe = |codes: &DMatrix<Complex>, rng: &mut Pcg64| {
        let mut y = DVector::from_element(t, Complex::new(0.0, 0.0));
        for (a, c) in angles.iter().zip(&alpha) {
            y += coding::code_column(codes, &g, a.to_radians().sin()) * *c;
        }
        y + DVector::from_fn(t, |_, _| Complex::new(rng.gen::<f64>() - 0.5, rng.gen::<f64>() - 0.5) * (0.01 * 12f64.sqrt() / 2f64.sqrt()))
    };
    let codes = DMatrix::from_fn(t, m, |_, _| Complex::from_polar(1.0, rng.gen::<f64>() * std::f64::consts::TAU));
    let c = DMatrix::from_columns(&angles.iter().map(|a| coding::code_column(&codes, &g, a.to_radians().sin())).collect::<Vec<_>>());
    assert_eq!(coding::rank(&c), 2);
    assert!(coding::condition_number(&c) < 10.0, "cond C = {}", coding::condition_number(&c));
    let y = observe(&codes, &mut rng);
    let mut found: Vec<f64> = coding::locate_targets(&codes, &g, &y, &grid, 2).unwrap().iter().map(|(s, _)| s.asin().to_degrees()).collect();
    found.sort_by(f64::total_cmp);
    for (f, want) in found.iter().zip(angles) {
        assert!((f - want).abs() < 1.0, "found {found:?}, want {angles:?}");
    }
    let same = DMatrix::from_fn(t, m, |_, i| codes[(0, i)]);
    let c_same = DMatrix::from_columns(&angles.iter().map(|a| coding::code_column(&same, &g, a.to_radians().sin())).collect::<Vec<_>>());
    assert_eq!(coding::rank(&c_same), 1);
    let err = coding::locate_targets(&same, &g, &observe(&same, &mut rng), &grid, 2).unwrap_err().to_string();
    assert!(err.contains("rank-deficient"), "{err}");
}

#[test]
fn f1_orthogonal_channels_make_mrt_optimal() {
    // Rows of a unitary matrix scaled per user: orthogonal channels.
    let n = 4;
    let q = DMatrix::from_fn(n, n, |i, j| Complex::from_polar(0.5, std::f64::consts::TAU * (i * j) as f64 / n as f64));
    let h = DMatrix::from_fn(3, n, |k, j| q[(k, j)] * (1.0 + k as f64));
    let (mrt, zf) = (channel_control::mrt(&h), channel_control::zf(&h).unwrap());
    for k in 0..3 {
        assert!((mrt.column(k).dotc(&zf.column(k)).norm() - 1.0).abs() < 1e-12);
    }
    let s_mrt = channel_control::sinrs(&h, &(&mrt * Complex::new(0.5, 0.0)), 0.1);
    let s_zf = channel_control::sinrs(&h, &(&zf * Complex::new(0.5, 0.0)), 0.1);
    let g = &h * &mrt;
    for k in 0..3 {
        assert!((s_mrt[k] - s_zf[k]).abs() < 1e-9 * s_zf[k]);
        for j in 0..3 {
            if j != k {
                assert!(g[(k, j)].norm() < 1e-12, "MRT leaks to user {k}");
            }
        }
    }
    let (w, gamma) = channel_control::max_min_beamformer(&h, 1.0, 0.1).unwrap();
    for k in 0..3 {
        let dir = w.column(k) / Complex::new(w.column(k).norm(), 0.0);
        assert!(dir.dotc(&mrt.column(k)).norm() > 1.0 - 1e-6, "max–min column {k} is not along MRT");
    }
    assert!(channel_control::sinrs(&h, &w, 0.1).iter().all(|s| *s >= gamma * (1.0 - 1e-4)));
    // Correlated rows at high SNR: ZF (and the max–min optimum) beat MRT.
    let hc = DMatrix::from_fn(2, n, |k, j| Complex::from_polar(1.0, 0.4 * (j * (k + 1)) as f64));
    let noise = 1e-4;
    let min = |v: Vec<f64>| v.into_iter().fold(f64::INFINITY, f64::min);
    let m_mrt = min(channel_control::sinrs(&hc, &(channel_control::mrt(&hc) * Complex::new(0.5f64.sqrt(), 0.0)), noise));
    let m_zf = min(channel_control::sinrs(&hc, &(channel_control::zf(&hc).unwrap() * Complex::new(0.5f64.sqrt(), 0.0)), noise));
    let (_, m_opt) = channel_control::max_min_beamformer(&hc, 1.0, noise).unwrap();
    assert!(m_zf > m_mrt && m_opt >= m_zf * (1.0 - 1e-4), "MRT {m_mrt}, ZF {m_zf}, max–min {m_opt}");
}

#[test]
fn g1_g2_g3_the_vehicular_mutual_assistance_protocol() {
    let model = vehicular::VehicularModel::default();
    let table = [[9.85, 9.63, 5.23], [6.46, 6.31, 3.41], [8.60, 6.74, 3.67], [5.81, 4.42, 2.38]];
    for ((name, scheme), want) in vehicular::Scheme::ALL.iter().zip(table) {
        let mut last = f64::INFINITY;
        for (gamma_db, w) in [0.0, 5.0, 8.0].iter().zip(want) {
            let r = model.best_rate(*scheme, 10f64.powf(gamma_db / 10.0)).unwrap();
            assert!((r - w).abs() < 0.02, "{name} at {gamma_db} dB: {r:.3} (spec {w})");
            assert!(r <= last + 1e-12);
            last = r;
        }
        assert!(model.best_rate(*scheme, 10f64.powf(1.01)).is_none(), "{name}: Γ > 10 dB must be infeasible");
    }
    for gamma_db in [0.0, 2.0, 5.0, 8.0, 9.5] {
        let g = 10f64.powf(gamma_db / 10.0);
        let proposed = model.best_rate(vehicular::Scheme::ALL[0].1, g).unwrap();
        assert!(vehicular::Scheme::ALL[1..].iter().all(|(_, s)| model.best_rate(*s, g).is_none_or(|r| r <= proposed + 1e-12)));
    }
    for (rate, proposed_db, without_c_db) in [(7.0, 7.0, 4.6), (8.0, 6.35, 2.5)] {
        let p = db(model.best_sensing(vehicular::Scheme::ALL[0].1, rate).unwrap());
        let c = db(model.best_sensing(vehicular::Scheme::ALL[2].1, rate).unwrap());
        assert!((p - proposed_db).abs() < 0.05 && (c - without_c_db).abs() < 0.05, "R₀ = {rate}: {p:.2} / {c:.2} dB (spec {proposed_db} / {without_c_db})");
    }
    for (factor, senses) in [(2.0, true), (0.5, true), (0.1, false), (0.02, false)] {
        let m = vehicular::VehicularModel { prediction_error: factor / 32.0, ..model };
        let (helps, with, pure) = m.sensing_helps();
        assert_eq!(helps, senses, "ε₀ = {factor}/M: {with:.2} vs {pure:.2}");
    }
}
