//! MF-RIS ISAC (spec `mf_ris_isac.md` §10): tests M1–M5, M7, M9, M11 and bad input.
//! M6 and M8 (means over seeds, sweeps) run in the `mf_ris` example; their numbers are
//! in docs/benchmarks.md.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use rftwin_core::Complex;
use rftwin_isac::mf_ris::ao::{alternating_optimisation_from, exhaustive_search, feasible_start};
use rftwin_isac::mf_ris::model::principal_generalized_eigenvector;
use rftwin_isac::mf_ris::{alternating_optimisation, optimise_system, Method, beamformer, coefficients, setup::dbm_to_watts, AoOptions, AoStatus, Design, MfRisChannels, MfRisSetup, Problem, Protocol, QosForm};

fn db(x: f64) -> f64 {
    10.0 * x.log10()
}

fn random_complex(rng: &mut Pcg64, r: usize, c: usize) -> DMatrix<Complex> {
    DMatrix::from_fn(r, c, |_, _| Complex::new(rng.gen::<f64>() - 0.5, rng.gen::<f64>() - 0.5))
}

fn ratio(a: &DMatrix<Complex>, b: &DMatrix<Complex>, u: &DVector<Complex>) -> f64 {
    u.dotc(&(a * u)).re / u.dotc(&(b * u)).re
}

#[test]
fn m1_lemma_1_attains_the_largest_generalized_eigenvalue() {
    let mut rng = Pcg64::seed_from_u64(1);
    for n in [2, 5, 8] {
        let x = random_complex(&mut rng, n, 3);
        let a = &x * x.adjoint();
        let y = random_complex(&mut rng, n, n);
        let b = &y * y.adjoint() + DMatrix::identity(n, n) * Complex::new(0.1, 0.0);
        let (value, u) = principal_generalized_eigenvector(&a, &b).unwrap();
        assert!((u.norm() - 1.0).abs() < 1e-12);
        assert!((ratio(&a, &b, &u) - value).abs() < 1e-9 * value, "n = {n}");
        // Independent: power iteration on B⁻¹A converges to the same eigenvalue.
        let binv_a = b.clone().try_inverse().unwrap() * &a;
        let mut z = DVector::from_element(n, Complex::new(1.0, 0.0));
        for _ in 0..2000 {
            z = &binv_a * &z;
            z /= Complex::new(z.norm(), 0.0);
        }
        assert!((ratio(&a, &b, &z) - value).abs() < 1e-9 * value, "power iteration {} vs {value}", ratio(&a, &b, &z));
        for _ in 0..1000 {
            let w = random_complex(&mut rng, n, 1).column(0).into_owned();
            assert!(ratio(&a, &b, &w) <= value * (1.0 + 1e-12));
        }
    }
}

fn default_problem(seed: u64) -> (MfRisSetup, Problem) {
    let setup = MfRisSetup::default();
    let ch = MfRisChannels::generate(&setup, seed).unwrap();
    let p = Problem::instances(&setup, &ch).unwrap().remove(0);
    (setup, p)
}

fn start(p: &Problem, seed: u64) -> Design {
    feasible_start(p, &AoOptions { seed, ..Default::default() }, true).unwrap().expect("feasible start at the defaults")
}

/// M3: every constraint of (17) at a design.
fn assert_feasible(p: &Problem, d: &Design, when: &str) {
    for (k, g) in p.user_sinrs(d).iter().enumerate() {
        assert!(*g >= p.sinr_min * (1.0 - 1e-4), "{when}: user {k} SINR {g} < γ_min {}", p.sinr_min);
    }
    assert!(p.bs_power(d) <= p.p_max * (1.0 + 1e-6), "{when}: BS power {} > {}", p.bs_power(d), p.p_max);
    assert!(p.ris_power(d) <= p.p_o * (1.0 + 1e-6), "{when}: RIS power {} > {}", p.ris_power(d), p.p_o);
    let (load, forbidden) = p.coefficient_load(&d.v);
    assert!(load <= 1.0 + 1e-6 && !forbidden, "{when}: element load {load}, forbidden {forbidden}");
}

#[test]
fn m2_the_quadratic_transforms_equal_the_objective_at_their_optimal_auxiliaries() {
    let (_, p) = default_problem(0);
    let d = start(&p, 0);
    let obj = p.objective(&d);
    let fw = beamformer::quadratic_transform(&p, &d, &beamformer::auxiliary(&p, &d));
    let fv = coefficients::quadratic_transform(&p, &d, &coefficients::auxiliary(&p, &d));
    assert!((fw - obj).abs() < 1e-10 * obj, "{fw} vs {obj}");
    assert!((fv - obj).abs() < 1e-10 * obj, "{fv} vs {obj}");
    // At another point the transform with the old auxiliaries lower-bounds the objective.
    let y = beamformer::auxiliary(&p, &d);
    let mut other = d.clone();
    beamformer::beamformer_step(&p, &mut other, QosForm::Exact).unwrap();
    assert!(beamformer::quadratic_transform(&p, &other, &y) <= p.objective(&other) * (1.0 + 1e-10));
}

#[test]
fn m3_m4_every_step_is_feasible_and_never_lowers_the_objective() {
    for protocol in [Protocol::Es, Protocol::Ms] {
        let mut setup = MfRisSetup { protocol, ..Default::default() };
        setup.rate_min = 0.5;
        let ch = MfRisChannels::generate(&setup, 1).unwrap();
        let p = Problem::instances(&setup, &ch).unwrap().remove(0);
        let mut d = start(&p, 1);
        assert_feasible(&p, &d, "start");
        let mut last = p.objective(&d);
        for it in 0..3 {
            for form in [QosForm::Exact, QosForm::Sca] {
                let out = beamformer::beamformer_step(&p, &mut d, form).unwrap();
                assert_feasible(&p, &d, &format!("{protocol:?} W-step ({form:?}) {it}: {:?}", out.status));
                assert!(out.after >= last * (1.0 - 1e-6), "{protocol:?} W-step lowered {last} → {}", out.after);
                last = out.after;
            }
            let out = coefficients::coefficient_step(&p, &mut d).unwrap();
            assert_feasible(&p, &d, &format!("{protocol:?} v-step {it}: {:?}", out.status));
            assert!(out.after >= last * (1.0 - 1e-6), "{protocol:?} v-step lowered {last} → {}", out.after);
            last = out.after;
        }
        let r = alternating_optimisation_from(&p, d, &AoOptions { outer: 4, ..Default::default() }, true).unwrap();
        for pair in r.trace.windows(2) {
            assert!(pair[1] >= pair[0] * (1.0 - 1e-6), "{protocol:?}: AO trace fell {} → {}", pair[0], pair[1]);
        }
        assert_feasible(&p, &r.design, "AO end");
    }
}

#[test]
fn m5_line_of_sight_regression_value() {
    let mut setup = MfRisSetup { kappa_db: f64::INFINITY, rate_min: 0.25, ..Default::default() };
    setup.users_r = vec![DVec3::new(10.0, -15.0, 0.0)];
    setup.users_t = vec![DVec3::new(8.0, 15.0, 0.0)];
    let ch = MfRisChannels::generate(&setup, 0).unwrap();
    let p = Problem::instances(&setup, &ch).unwrap().remove(0);
    let best = (0..6)
        .map(|seed| alternating_optimisation(&p, &AoOptions { seed, ..Default::default() }).unwrap())
        .max_by(|a, b| a.objective.total_cmp(&b.objective))
        .unwrap();
    let total = db(best.objective);
    eprintln!("M5: γ_r + γ_t = {total:.3} dB (spec −16.49 ± 0.3)");
    assert!((total - (-16.49)).abs() <= 0.3, "γ_r + γ_t = {total:.2} dB, spec −16.49 ± 0.3");
    let gamma_t = db(p.echo_sinr(1, &best.design, &best.design.u[1]));
    assert!((gamma_t - (-16.5)).abs() < 0.5, "γ_t = {gamma_t:.2} dB (prototype −16.5)");
}

#[test]
fn m7_the_proposed_algorithm_is_within_half_a_db_of_exhaustive_search() {
    let mut setup = MfRisSetup { ris_elements: [2, 1], rate_min: 0.1, ..Default::default() };
    setup.users_r.truncate(1);
    setup.users_t.truncate(1);
    let ch = MfRisChannels::generate(&setup, 0).unwrap();
    let p = Problem::instances(&setup, &ch).unwrap().remove(0);
    let proposed = (0..3).map(|seed| alternating_optimisation(&p, &AoOptions { seed, ..Default::default() }).unwrap()).max_by(|a, b| a.objective.total_cmp(&b.objective)).unwrap();
    let (_, exhaustive) = exhaustive_search(&p, &proposed.design.w).unwrap().expect("a feasible grid point");
    eprintln!("M7: proposed {:.3} dB, exhaustive {:.3} dB", db(proposed.objective), db(exhaustive));
    assert!(db(proposed.objective) >= db(exhaustive) - 0.5, "proposed {:.2} dB vs exhaustive {:.2} dB", db(proposed.objective), db(exhaustive));
}

#[test]
fn m9_the_beampattern_points_at_the_targets() {
    let (setup, p) = default_problem(0);
    let r = alternating_optimisation(&p, &AoOptions::default()).unwrap();
    let off = rftwin_isac::mf_ris::channels::ArrayOffsets::new(&setup);
    let k = 2.0 * std::f64::consts::PI / setup.wavelength();
    let gw = &p.g * &r.design.w;
    let m = p.elements();
    let power = |s: usize, u: DVec3| {
        let a = rftwin_isac::mf_ris::channels::steering(&off.ris, u, k);
        let row = a.component_mul(&r.design.v.rows(s * m, m));
        (row.transpose() * &gw).norm_squared()
    };
    for (s, targets, side) in [(0, &setup.targets_r, -1.0), (1, &setup.targets_t, 1.0)] {
        let mut grid = Vec::new();
        for i in 0..60 {
            for j in 0..30 {
                let (az, el) = (std::f64::consts::PI * (i as f64 + 0.5) / 60.0, std::f64::consts::PI * (j as f64 + 0.5) / 30.0 - std::f64::consts::FRAC_PI_2);
                grid.push(power(s, DVec3::new(az.cos() * el.cos(), side * az.sin() * el.cos(), el.sin())));
            }
        }
        grid.sort_by(f64::total_cmp);
        let median = grid[grid.len() / 2];
        let toward = targets.iter().map(|t| db(power(s, t.normalize()) / median)).sum::<f64>() / targets.len() as f64;
        eprintln!("M9: space {s}: {toward:.2} dB above the median toward the targets");
        assert!(toward >= 3.0, "space {s}: mean gain toward the targets {toward:.1} dB above the median (spec ≥ 3 dB)");
    }
}

#[test]
fn m11_a_tight_amplification_budget_is_met_with_equality() {
    let mut objectives = Vec::new();
    for p_o_dbm in [10.0, -10.0] {
        let setup = MfRisSetup { ris_power_dbm: p_o_dbm, ..Default::default() };
        let ch = MfRisChannels::generate(&setup, 0).unwrap();
        let p = Problem::instances(&setup, &ch).unwrap().remove(0);
        let r = alternating_optimisation(&p, &AoOptions::default()).unwrap();
        assert!(matches!(r.status, AoStatus::Converged | AoStatus::IterationLimit), "{:?}", r.status);
        for pair in r.trace.windows(2) {
            assert!(pair[1] >= pair[0] * (1.0 - 1e-6));
        }
        let used = p.ris_power(&r.design);
        if p_o_dbm < 0.0 {
            assert!((used / dbm_to_watts(p_o_dbm) - 1.0).abs() < 1e-6, "RIS output {used:e} vs P_o {:e}", dbm_to_watts(p_o_dbm));
        }
        objectives.push(r.objective);
    }
    eprintln!("M11: P_o = 10 dBm {:.2} dB, −10 dBm {:.2} dB", db(objectives[0]), db(objectives[1]));
    assert!(objectives[1] < objectives[0], "a tighter P_o should lower the objective: {objectives:?}");
}

#[test]
fn unmeetable_qos_is_reported_infeasible_with_the_best_common_rate() {
    let setup = MfRisSetup { rate_min: 12.0, ..Default::default() };
    let ch = MfRisChannels::generate(&setup, 0).unwrap();
    let p = Problem::instances(&setup, &ch).unwrap().remove(0);
    let r = alternating_optimisation(&p, &AoOptions { draws: 3, ..Default::default() }).unwrap();
    match r.status {
        AoStatus::Infeasible { best_min_rate, reason } => {
            assert!(best_min_rate > 0.5 && best_min_rate < 12.0, "{best_min_rate}");
            assert!(reason.contains("γ_min"), "{reason}");
        }
        other => panic!("expected infeasible, got {other:?}"),
    }
}

#[test]
fn bad_configurations_are_errors_naming_the_value() {
    let cases: Vec<(MfRisSetup, &str)> = vec![
        (MfRisSetup { ris_elements: [0, 4], ..Default::default() }, "ris_elements"),
        (MfRisSetup { total_power_dbm: 10.0, ris_power_dbm: 10.0, ..Default::default() }, "total_power_dbm"),
        (MfRisSetup { beta_max: f64::NAN, ..Default::default() }, "beta_max"),
        (MfRisSetup { bs_antennas: 0, ..Default::default() }, "bs_antennas"),
        (MfRisSetup { users_t: vec![DVec3::new(1.0, -1.0, 0.0)], ..Default::default() }, "users_t"),
    ];
    for (setup, name) in cases {
        let err = MfRisChannels::generate(&setup, 0).unwrap_err().to_string();
        assert!(err.contains(name), "{err}");
    }
    let setup = MfRisSetup::default();
    let mut ch = MfRisChannels::generate(&setup, 0).unwrap();
    ch.g[(0, 0)] = Complex::new(f64::NAN, 0.0);
    assert!(Problem::instances(&setup, &ch).unwrap_err().to_string().contains("non-finite"));
    assert!(MfRisSetup::from_json(r#"{"beta_max": -1}"#).unwrap_err().to_string().contains("beta_max"));
    assert_eq!(MfRisSetup::from_json("{}").unwrap(), MfRisSetup::default());
}

#[test]
fn m6_energy_splitting_beats_mode_switching_and_random_coefficients() {
    let mean_db = |protocol: Protocol, method: Method| {
        let setup = MfRisSetup { protocol, ..Default::default() };
        (0..4u64)
            .map(|seed| {
                let ch = MfRisChannels::generate(&setup, seed).unwrap();
                let r = optimise_system(&setup, &ch, method, &AoOptions { seed, ..Default::default() }, 1).unwrap();
                assert!(r.feasible, "{protocol:?} {method:?} seed {seed} infeasible");
                db(r.objective)
            })
            .sum::<f64>()
            / 4.0
    };
    let es = mean_db(Protocol::Es, Method::Proposed);
    let ms = mean_db(Protocol::Ms, Method::Proposed);
    let random = mean_db(Protocol::Es, Method::Random);
    assert!(es >= ms + 1.0, "ES {es:.2} dB vs MS {ms:.2} dB (spec: ES ≥ MS + 1 dB)");
    assert!(es >= random + 5.0, "ES {es:.2} dB vs random {random:.2} dB (spec: ES ≥ random + 5 dB)");
}

#[test]
fn the_sdr_baseline_is_feasible_and_bounded_by_the_exhaustive_grid() {
    let mut setup = MfRisSetup { ris_elements: [2, 1], rate_min: 0.1, ..Default::default() };
    setup.users_r.truncate(1);
    setup.users_t.truncate(1);
    let ch = MfRisChannels::generate(&setup, 0).unwrap();
    let p = Problem::instances(&setup, &ch).unwrap().remove(0);
    let opts = AoOptions { outer: 3, inner: 1, ..Default::default() };
    let sdr = rftwin_isac::mf_ris::sdr::sdr_baseline(&p, &opts, 100).unwrap();
    assert_feasible(&p, &sdr.design, "SDR");
    let proposed = alternating_optimisation(&p, &AoOptions::default()).unwrap();
    let random = rftwin_isac::mf_ris::random_baseline(&p, &AoOptions::default()).unwrap();
    let (_, grid) = exhaustive_search(&p, &proposed.design.w).unwrap().expect("a feasible grid point");
    let (s, r, g) = (db(sdr.objective), db(random.objective), db(grid.max(proposed.objective)));
    assert!(s >= r - 0.5, "SDR {s:.2} dB below random {r:.2} dB");
    assert!(s <= g + 1.0, "SDR {s:.2} dB above the best known point {g:.2} dB by more than the grid can explain");
}

#[test]
fn the_mf_ris_beats_surfaces_that_echo_back_to_the_bs_at_equal_total_power() {
    use rftwin_isac::mf_ris::setup::Hardware;
    let mut echo = Vec::new();
    for hardware in [Hardware::MfRis, Hardware::ActiveRis, Hardware::PassiveRis, Hardware::StarRis] {
        let setup = MfRisSetup { hardware, rate_min: 0.1, ..Default::default() };
        let ch = MfRisChannels::generate(&setup, 0).unwrap();
        let r = optimise_system(&setup, &ch, Method::Proposed, &AoOptions::default(), 1).unwrap();
        assert!(r.feasible, "{hardware:?} infeasible at R_min = 0.1");
        for (p, run) in &r.runs {
            assert_feasible(p, &run.design, &format!("{hardware:?}"));
            if hardware == Hardware::PassiveRis {
                let m = p.elements();
                for i in 0..2 * m {
                    let want = if p.is_free(i / m, i % m) { 1.0 } else { 0.0 };
                    assert!((run.design.v[i].norm() - want).abs() < 1e-9, "passive element {i}: |v| = {}", run.design.v[i].norm());
                }
            }
        }
        // Passive surfaces spend nothing on amplification: the BS gets the whole budget.
        let p_max = Problem::instances(&setup, &ch).unwrap()[0].p_max;
        assert!((p_max - if hardware.is_active() { 0.99 } else { 1.0 }).abs() < 1e-12);
        echo.push(db(r.objective));
    }
    // Sensing at the surface skips the two hops back to the BS (tens of dB).
    assert!(echo[0] > echo[1] + 20.0, "MF-RIS {:.1} dB vs active RIS {:.1} dB", echo[0], echo[1]);
    assert!(echo[1] > echo[2] && echo[1] > echo[3], "active RIS {:.1} dB vs passive {:.1} / STAR {:.1} dB", echo[1], echo[2], echo[3]);
}

#[test]
fn m8_the_echo_sinr_follows_the_spec_trends() {
    let mean_db = |setup: MfRisSetup| {
        (0..3u64)
            .map(|seed| {
                let ch = MfRisChannels::generate(&setup, seed).unwrap();
                let r = optimise_system(&setup, &ch, Method::Proposed, &AoOptions { seed, ..Default::default() }, 1).unwrap();
                assert!(r.feasible, "{:?} seed {seed} infeasible", setup.ris_elements);
                db(r.objective)
            })
            .sum::<f64>()
            / 3.0
    };
    let d = MfRisSetup::default;
    let m: Vec<f64> = [[2, 4], [4, 4], [4, 8]].iter().map(|&e| mean_db(MfRisSetup { ris_elements: e, ..d() })).collect();
    let p: Vec<f64> = [25.0, 30.0, 35.0].iter().map(|&pw| mean_db(MfRisSetup { total_power_dbm: pw, ..d() })).collect();
    let s: Vec<f64> = [[1, 1], [2, 2], [4, 4]].iter().map(|&e| mean_db(MfRisSetup { sensing_elements: e, ..d() })).collect();
    let r: Vec<f64> = [0.25, 0.5, 0.75].iter().map(|&rm| mean_db(MfRisSetup { rate_min: rm, ..d() })).collect();
    eprintln!("M8: M {m:?}, P {p:?}, M_s {s:?}, R_min {r:?}");
    for w in m.windows(2) {
        assert!(w[1] - w[0] >= 4.0, "M doubling gained {:.2} dB (spec ≥ 4): {m:?}", w[1] - w[0]);
    }
    assert!(p.windows(2).all(|w| w[1] > w[0]), "echo SINR must rise with power: {p:?}");
    assert!(s.windows(2).all(|w| w[1] >= w[0] - 0.05), "echo SINR must not fall with more sensors: {s:?}");
    assert!(r.windows(2).all(|w| w[1] <= w[0] + 0.05), "echo SINR must not rise with R_min: {r:?}");
}
