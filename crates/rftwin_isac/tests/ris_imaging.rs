//! The RIS-ISAC sensing channel and its affine operator against the spec's golden values
//! (`ris_inr_imaging.md` §10, T1–T5, from an independent float64 prototype) and the
//! operator identities of §3.

#![allow(clippy::unwrap_used)]

use glam::DVec3;
use nalgebra::DMatrix;
use rftwin_core::Complex;
use rftwin_isac::channel::hop;
use rftwin_isac::ris_imaging::channel::{sensing_terms, stack, Hops, SensingTerms};
use rftwin_isac::ris_imaging::configurations::ris_configurations;
use rftwin_isac::ris_imaging::operator::ForwardOperator;
use rftwin_isac::ris_imaging::{RisImagingConfig, RisMode};

fn close(what: &str, got: Complex, want: Complex, rel: f64) {
    let err = (got - want).norm() / want.norm();
    assert!(err <= rel, "{what}: {got} vs {want} (relative error {err:e})");
}

fn close_re(what: &str, got: f64, want: f64, rel: f64) {
    let err = ((got - want) / want).abs();
    assert!(err <= rel, "{what}: {got} vs {want} (relative error {err:e})");
}

fn frob(m: &DMatrix<Complex>) -> f64 {
    m.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt()
}

fn c(re: f64, im: f64) -> Complex {
    Complex::new(re, im)
}

/// The default geometry with `ω = 1` (all phases 0), `K = 1`.
fn unit_phases(sigma: &[f64]) -> (RisImagingConfig, SensingTerms) {
    let config = RisImagingConfig { configurations: 1, ..Default::default() };
    let k = config.band.centre_wavenumber();
    let hops = Hops::new(&config, k);
    let ones = vec![c(1.0, 0.0); config.ris.count()];
    let terms = sensing_terms(&config, &hops, config.wavelength(), sigma, Some(&ones)).unwrap();
    (config, terms)
}

fn disk() -> Vec<f64> {
    (0..100).flat_map(|row| (0..100).map(move |col| if (row as f64 - 49.5).powi(2) + (col as f64 - 49.5).powi(2) <= 400.0 { 1.0 } else { 0.0 })).collect()
}

#[test]
fn t1_gains_and_hops() {
    let config = RisImagingConfig::default();
    let lambda = config.wavelength();
    close_re("g_ris", config.ris_gain(lambda), 0.0886226925452758, 1e-9);
    close_re("g_vox", config.voxel_gain(lambda), 0.014179630807244128, 1e-9);
    let k = config.band.centre_wavenumber();
    let (tx0, rx0) = (config.tx.positions()[0], config.rx.positions()[0]);
    let (ris0, roi0) = (config.ris.positions()[0], config.roi.positions()[0]);
    assert_eq!(roi0, DVec3::new(4.0, -49.5 * 0.02, 49.5 * 0.02), "ROI pixel (0, 0) is top left");
    close("h(TX0, ROI0)", hop(tx0, roi0, k), c(-0.0391029735, -0.0646486347), 1e-9);
    close("h(TX0, RIS0)", hop(tx0, ris0, k), c(-0.0300627542, -0.0988735491), 1e-9);
    close("h(ROI0, RX0)", hop(roi0, rx0, k), c(-0.0749535492, 0.0485334958), 1e-9);
    close("h(ROI0, RIS0)", hop(roi0, ris0, k), c(0.0129401979, 0.0602405490), 1e-9);
    close("h(RIS0, RX0)", hop(ris0, rx0, k), c(0.1740067519, 0.0302193959), 1e-9);
}

#[test]
fn t2_t3_all_ones_image() {
    let (config, terms) = unit_phases(&vec![1.0; 10_000]);
    close("TX-RIS-RX[0,0]", terms.tx_ris_rx[(0, 0)], c(-1.456483e-01, 5.306127e-02), 1e-6);
    close_re("‖TX-RIS-RX‖", frob(&terms.tx_ris_rx), 1.1534581269, 1e-7);
    close("TX-ROI-RX[0,0]", terms.tx_roi_rx[(0, 0)], c(-4.055515e-02, -4.168763e-03), 1e-6);
    close_re("‖TX-ROI-RX‖", frob(&terms.tx_roi_rx), 3.677836e-01, 1e-6);
    close("TX-RIS-ROI-RX[0,0]", terms.tx_ris_roi_rx[(0, 0)], c(4.353151e-02, 5.145667e-03), 1e-6);
    close_re("‖TX-RIS-ROI-RX‖", frob(&terms.tx_ris_roi_rx), 2.917290e-01, 1e-6);
    // mirror (identity f): TX0 and RX0 are mirror images in y, the image is symmetric
    close("TX-ROI-RIS-RX[0,0]", terms.tx_roi_ris_rx[(0, 0)], terms.tx_ris_roi_rx[(0, 0)], 1e-9);
    close_re("‖TX-ROI-RIS-RX‖", frob(&terms.tx_roi_ris_rx), 2.753475e-01, 1e-6);
    let total = terms.total();
    close("TOTAL[0,0]", total[(0, 0)], c(-9.914040e-02, 5.918384e-02), 1e-6);
    close("TOTAL[7,3]", total[(7, 3)], c(8.660314e-02, -2.357172e-02), 1e-6);
    close_re("‖TOTAL‖", frob(&total), 1.222077, 1e-6);
    let y = stack(&total, config.scale);
    for (j, want) in [(0, -10.905444), (1, 9.512855), (2, 12.285352), (3, -16.140787), (64, 6.510223), (65, -13.498476), (66, 15.690422), (67, 3.418324)] {
        close_re(&format!("y[{j}]"), y[j], want, 1e-6);
    }
    close_re("‖y‖", y.iter().map(|v| v * v).sum::<f64>().sqrt(), 134.42847, 1e-6);
}

#[test]
fn t4_centred_disk_and_the_operator_matches_the_direct_sum() {
    let sigma = disk();
    assert_eq!(sigma.iter().filter(|&&v| v > 0.0).count(), 1264);
    let (config, terms) = unit_phases(&sigma);
    close("TX-ROI-RX[0,0]", terms.tx_roi_rx[(0, 0)], c(-9.283894e-02, -8.267045e-03), 1e-6);
    close_re("‖TX-ROI-RX‖", frob(&terms.tx_roi_rx), 4.368539e-01, 1e-6);
    close("TX-RIS-ROI-RX[0,0]", terms.tx_ris_roi_rx[(0, 0)], c(2.502303e-02, 1.771655e-02), 1e-6);
    close_re("‖TX-RIS-ROI-RX‖", frob(&terms.tx_ris_roi_rx), 4.817287e-01, 1e-6);
    close_re("‖TX-ROI-RIS-RX‖", frob(&terms.tx_roi_ris_rx), 1.469266e-01, 1e-6);
    let total = terms.total();
    close("TOTAL[0,0]", total[(0, 0)], c(-1.884411e-01, 8.022733e-02), 1e-6);
    close("TOTAL[7,3]", total[(7, 3)], c(1.006539e-01, -3.038539e-02), 1e-6);
    close_re("‖TOTAL‖", frob(&total), 1.264120, 1e-6);
    let y = stack(&total, config.scale);
    for (j, want) in [(0, -20.728526), (1, 2.643202), (2, 11.258450), (3, -14.396372), (64, 8.825006), (65, -18.655359), (66, 8.870765), (67, -0.469369)] {
        close_re(&format!("y[{j}]"), y[j], want, 1e-6);
    }
    close_re("‖y‖", y.iter().map(|v| v * v).sum::<f64>().sqrt(), 139.05325, 1e-6);
    let dependent = &total - &terms.tx_ris_rx;
    close_re("mean |Y − C|²", dependent.iter().map(|v| v.norm_sqr()).sum::<f64>() / 64.0, 3.5320e-3, 1e-4);
    // identity (a): c + Mσ equals the direct four-term sum
    let ones = vec![vec![c(1.0, 0.0); config.ris.count()]];
    let op = ForwardOperator::with_configurations(&config, Some(&ones)).unwrap();
    let via_operator = op.apply(&sigma).unwrap();
    let scale = y.iter().map(|v| v.abs()).fold(0.0, f64::max);
    let diff = via_operator.iter().zip(&y).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(diff <= 1e-12 * scale, "operator vs direct sum: max |Δ| {diff:e}");
}

/// A 20×20 ROI (λ/5) and 20×20 RIS: the operator identities at a size a debug test runs fast.
fn small(mode: RisMode, configurations: usize) -> RisImagingConfig {
    let mut config = RisImagingConfig { configurations, ris_mode: mode, ..Default::default() };
    config.roi.dims = [1, 20, 20];
    config.ris.elements = [20, 20];
    config
}

fn random_image(n: usize, seed: u64) -> Vec<f64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    (0..n).map(|_| rng.gen::<f64>()).collect()
}

#[test]
fn t5_operator_identities() {
    // the spec's DFT case at full size: K = 4, rows 0, 625, 1250, 1875, the disk
    let config = RisImagingConfig { configurations: 4, ris_mode: RisMode::Dft, ..Default::default() };
    let op = ForwardOperator::new(&config).unwrap();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    close_re("‖c‖", norm(op.offset.as_slice()), 193.33431, 1e-6);
    close_re("‖c + Mσ‖", norm(&op.apply(&disk()).unwrap()), 217.59687, 1e-6);
    close_re("‖M‖_F", op.matrix.norm(), 27.078039, 1e-6);

    let config = small(RisMode::Random, 3);
    let op = ForwardOperator::new(&config).unwrap();
    let nv = config.roi.count();
    let (s1, s2) = (random_image(nv, 1), random_image(nv, 2));
    // (b) f(0) = c; (c) linearity of f − c
    assert_eq!(op.apply(&vec![0.0; nv]).unwrap(), op.offset.as_slice().to_vec());
    let (a, b) = (0.7, -1.3);
    let mixed: Vec<f64> = s1.iter().zip(&s2).map(|(x, y)| a * x + b * y).collect();
    let (f1, f2, fm) = (op.apply_linear(&s1).unwrap(), op.apply_linear(&s2).unwrap(), op.apply_linear(&mixed).unwrap());
    let scale = fm.iter().map(|v| v.abs()).fold(0.0, f64::max);
    assert!(fm.iter().zip(f1.iter().zip(&f2)).all(|(m, (x, y))| (m - (a * x + b * y)).abs() <= 1e-12 * scale), "f − c is not linear");
    // (d) adjoint: ⟨Mσ, r⟩ = ⟨σ, Mᵀr⟩
    let r = random_image(op.rows(), 3);
    let lhs: f64 = f1.iter().zip(&r).map(|(x, y)| x * y).sum();
    let rhs: f64 = s1.iter().zip(op.adjoint(&r).unwrap()).map(|(x, y)| x * y).sum();
    close_re("⟨Mσ, r⟩ vs ⟨σ, Mᵀr⟩", lhs, rhs, 1e-12);
    // (a) against the direct sum for every configuration
    let omega = ris_configurations(&config).unwrap().unwrap();
    let hops = Hops::new(&config, config.band.centre_wavenumber());
    let y = op.apply(&s1).unwrap();
    for (k, w) in omega.iter().enumerate() {
        let direct = stack(&sensing_terms(&config, &hops, config.wavelength(), &s1, Some(w)).unwrap().total(), config.scale);
        let block = &y[k * config.block_len()..(k + 1) * config.block_len()];
        let diff = block.iter().zip(&direct).map(|(p, q)| (p - q).abs()).fold(0.0, f64::max);
        assert!(diff <= 1e-12 * scale.max(1.0), "configuration {k}: operator vs direct sum {diff:e}");
    }
    // (e) swapping the arrays transposes Y
    let mut swapped = config.clone();
    std::mem::swap(&mut swapped.tx, &mut swapped.rx);
    let hops_swapped = Hops::new(&swapped, swapped.band.centre_wavenumber());
    let y_k = sensing_terms(&config, &hops, config.wavelength(), &s1, Some(&omega[0])).unwrap().total();
    let y_t = sensing_terms(&swapped, &hops_swapped, swapped.wavelength(), &s1, Some(&omega[0])).unwrap().total();
    assert!((y_k.transpose() - y_t).iter().all(|v| v.norm() <= 1e-12 * frob(&y_k)), "swapping TX and RX must transpose Y");
    // (g) no RIS: K identical blocks, and TX-ROI-RX alone
    let none = ForwardOperator::new(&small(RisMode::None, 3)).unwrap();
    let yn = none.apply(&s1).unwrap();
    let bl = config.block_len();
    assert!(yn[..bl] == yn[bl..2 * bl] && yn[..bl] == yn[2 * bl..], "no-RIS blocks differ");
    assert!(none.offset.iter().all(|&v| v == 0.0));
    // (h) the gradient of ½‖f(σ) − y‖² is Mᵀ(f(σ) − y): central differences
    let target = random_image(op.rows(), 9);
    let loss = |s: &[f64]| 0.5 * op.apply(s).unwrap().iter().zip(&target).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
    let residual: Vec<f64> = op.apply(&s1).unwrap().iter().zip(&target).map(|(a, b)| a - b).collect();
    let grad = op.adjoint(&residual).unwrap();
    for m in [0, 57, 399] {
        let h = 1e-4;
        let (mut up, mut down) = (s1.clone(), s1.clone());
        up[m] += h;
        down[m] -= h;
        close_re(&format!("∂L/∂σ[{m}]"), grad[m], (loss(&up) - loss(&down)) / (2.0 * h), 1e-6);
    }
    // f32 variant agrees
    let y32 = op.to_f32().apply(&s1.iter().map(|&v| v as f32).collect::<Vec<_>>()).unwrap();
    let err = y32.iter().zip(&y).map(|(a, b)| (*a as f64 - b).abs()).fold(0.0, f64::max);
    assert!(err <= 1e-5 * scale, "f32 operator differs by {err:e}");
}

/// The factored operator equals the dense one — products, adjoint and offset — for random
/// and absent RIS configurations, several subcarriers and every choice of modelled terms,
/// in f64 (1e-12) and f32 (1e-5), and holds less than half its memory (8 × 8 antennas, K = 3).
#[test]
fn the_factored_operator_equals_the_dense_one() {
    use rftwin_isac::ris_imaging::factored::FactoredOperator;
    use rftwin_isac::ris_imaging::operator::SensingOperator;
    let mut configs = vec![small(RisMode::Random, 3), small(RisMode::None, 2)];
    let mut wide = small(RisMode::Random, 2);
    wide.band.subcarriers = 3;
    wide.direct_path = true;
    configs.push(wide.clone());
    for which in 0..4 {
        let mut c = wide.clone();
        match which {
            0 => c.paths.tx_roi_rx = false,
            1 => c.paths.tx_ris_roi_rx = false,
            2 => c.paths.tx_roi_ris_rx = false,
            _ => c.paths.tx_ris_rx = false,
        }
        configs.push(c);
    }
    for (n, config) in configs.iter().enumerate() {
        let (dense, factored) = (ForwardOperator::new(config).unwrap(), FactoredOperator::new(config).unwrap());
        assert_eq!((factored.rows(), factored.voxels()), (dense.rows(), dense.voxels()));
        let sigma = random_image(dense.voxels(), 5 + n as u64);
        let r = random_image(dense.rows(), 7 + n as u64);
        let (yd, yf) = (dense.apply(&sigma).unwrap(), factored.apply(&sigma).unwrap());
        let (gd, gf) = (dense.adjoint(&r).unwrap(), factored.adjoint(&r).unwrap());
        let worst = |a: &[f64], b: &[f64]| {
            let scale = a.iter().map(|v| v.abs()).fold(0.0, f64::max);
            a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max) / scale
        };
        assert!(worst(&yd, &yf) <= 1e-12, "config {n}: c + Mσ differs by {:e}", worst(&yd, &yf));
        assert!(worst(&gd, &gf) <= 1e-12, "config {n}: Mᵀr differs by {:e}", worst(&gd, &gf));
        let f32_op = factored.to_f32();
        let y32 = SensingOperator::apply(&f32_op, &sigma.iter().map(|&v| v as f32).collect::<Vec<_>>()).unwrap();
        assert!(worst(&yd, &y32.iter().map(|&v| v as f64).collect::<Vec<_>>()) <= 1e-5, "config {n}: f32 products");
        let g32 = SensingOperator::adjoint(&f32_op, &r.iter().map(|&v| v as f32).collect::<Vec<_>>()).unwrap();
        assert!(worst(&gd, &g32.iter().map(|&v| v as f64).collect::<Vec<_>>()) <= 1e-4, "config {n}: f32 adjoint");
    }
    let config = small(RisMode::Random, 3);
    let dense = SensingOperator::bytes(&ForwardOperator::new(&config).unwrap().to_f32());
    let factored = SensingOperator::bytes(&FactoredOperator::new(&config).unwrap().to_f32());
    assert!(factored * 2 < dense, "factored {factored} B vs dense {dense} B");
    // bad input
    assert!(FactoredOperator::new(&config).unwrap().apply(&[0.5; 3]).is_err());
    assert!(FactoredOperator::new(&config).unwrap().adjoint(&[0.5; 3]).is_err());
}

#[test]
fn bad_configurations_are_errors() {
    let mut config = RisImagingConfig { configurations: 0, ..Default::default() };
    assert!(ForwardOperator::new(&config).unwrap_err().to_string().contains("K = 0"));
    config.configurations = 4;
    config.roi.dims = [1, 0, 100];
    assert!(ForwardOperator::new(&config).unwrap_err().to_string().contains("at least one voxel"));
    config.roi.dims = [1, 100, 100];
    config.ris.elements = [0, 50];
    assert!(ForwardOperator::new(&config).unwrap_err().to_string().contains("at least one element"));
    config.ris.elements = [50, 50];
    config.tx.position.x = f64::NAN;
    assert!(ForwardOperator::new(&config).unwrap_err().to_string().contains("finite"));
    let parsed = RisImagingConfig::from_json(r#"{"configurations": 5, "ris_mode": "dft"}"#).unwrap();
    assert_eq!((parsed.configurations, parsed.ris_mode, parsed.roi.dims), (5, RisMode::Dft, [1, 100, 100]));
    assert!(RisImagingConfig::from_json(r#"{"configurations": "many"}"#).is_err());
}

#[test]
fn the_core_ris_element_sum_equals_the_tx_ris_rx_term() {
    use rftwin_core::ris::RisProfile;
    let mut config = RisImagingConfig { ris: rftwin_isac::geometry::Ris::new(DVec3::new(0.0, 0.1, -0.05), [6, 5], [0.05, 0.05]).unwrap(), ..Default::default() };
    config.roi.dims = [1, 4, 4];
    let lambda = config.wavelength();
    let k = 2.0 * std::f64::consts::PI / lambda;
    let omega: Vec<Complex> = (0..30).map(|n| Complex::from_polar(1.0, 0.37 * n as f64 * n as f64)).collect();
    let terms = sensing_terms(&config, &Hops::new(&config, k), lambda, &[0.0; 16], Some(&omega)).unwrap();
    let mut surface = config.ris.surface("ris").unwrap();
    assert!(surface.positions().iter().zip(config.ris.positions()).all(|(a, b)| a.distance(b) < 1e-15));
    surface.configurations[0] = RisProfile::from_phases(omega.iter().map(|w| w.arg()).collect());
    let (tx, rx) = (config.tx.positions(), config.rx.positions());
    for (t, a) in tx.iter().enumerate() {
        for (r, b) in rx.iter().enumerate() {
            let ours = surface.element_sum(&surface.configurations[0], *a, *b, k, surface.element_gain(lambda));
            let theirs = terms.tx_ris_rx[(t, r)];
            assert!((ours - theirs).norm() <= 1e-9 * theirs.norm(), "TX {t} RX {r}: {ours} vs {theirs}");
        }
    }
}
