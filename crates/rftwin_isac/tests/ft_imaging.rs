//! FT wavenumber-domain imaging against the spec's test cases (`ft_wavenumber_imaging.md`
//! §12, numbers from an independent prototype), at small sizes.

#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin_core::Complex;
use rftwin_isac::codebook::Codebook;
use rftwin_isac::ft::ecr::{EcrRecovery, Recovery};
use rftwin_isac::ft::ftcs::{FtCs, StepRule};
use rftwin_isac::ft::ista::{sensing_matrix_bytes, SensingMatrix};
use rftwin_isac::ft::limits::{Nyquist, ResolutionLimits};
use rftwin_isac::ft::measurement::{measure, Measurements};
use rftwin_isac::ft::saa::{SaaGrid, SaaImager};
use rftwin_isac::ft::sparse::SparseOptions;
use rftwin_isac::ft::{point_ecr, FtSetup, PointTarget};
use rftwin_isac::metrics::{detect, nmse, normalized_magnitude, null_distance};
use rftwin_isac::IsacError;

fn nine_points() -> Vec<PointTarget> {
    let c = [-4.0, 0.0, 4.0];
    c.iter().flat_map(|&y| c.iter().map(move |&z| PointTarget { position: DVec3::new(0.0, y, z), amplitude: 1.0 })).collect()
}

/// `‖ê/scale − e‖² / ‖e‖²` over every subcarrier (ECR on the full RIS).
fn ecr_nmse(setup: &FtSetup, codebook: &Codebook, recovery: Recovery, targets: &[PointTarget]) -> f64 {
    let meas = measure(setup, codebook, targets, 0.0, 1).unwrap();
    let rec = EcrRecovery::new(setup, codebook, recovery).unwrap();
    let got = rec.recover_all(&meas).unwrap();
    let (mut err, mut norm) = (0.0, 0.0);
    for (k, e_hat) in setup.band.wavenumbers().iter().zip(&got) {
        let e = point_ecr(&setup.ris, setup.ue, targets, *k);
        err += e_hat.iter().zip(&e).map(|(a, b)| (a / meas.scale - b).norm_sqr()).sum::<f64>();
        norm += e.iter().map(|v| v.norm_sqr()).sum::<f64>();
    }
    err / norm
}

#[test]
fn t1_ecr_round_trip_pinv_and_quantisation() {
    let setup = FtSetup::default();
    let m = setup.ris.count();
    let targets = nine_points();
    let full = ecr_nmse(&setup, &Codebook::dft(&setup.ris, m).unwrap(), Recovery::Fast, &targets);
    assert!(full < 1e-20, "continuous DFT round trip NMSE {full:e}");
    for (pilots, expected) in [(m / 4, 0.63), (m / 16, 0.94)] {
        let got = ecr_nmse(&setup, &Codebook::dft(&setup.ris, pilots).unwrap(), Recovery::Fast, &targets);
        assert!((got - expected).abs() < 0.05, "pinv T = {pilots}: NMSE {got} vs {expected}");
    }
    for (bits, expected) in [(2, 0.20), (1, 0.73)] {
        let cb = Codebook::dft(&setup.ris, m).unwrap().quantized(bits).unwrap();
        let got = ecr_nmse(&setup, &cb, Recovery::Fast, &targets);
        assert!((got - expected).abs() < 0.05, "{bits}-bit IFFT recovery: NMSE {got} vs {expected}");
    }
}

#[test]
fn t1_exact_inverse_for_2_bit_and_rank_deficient_1_bit() {
    let mut setup = FtSetup::default();
    setup.ris.elements = [8, 8];
    let m = setup.ris.count();
    let targets = [PointTarget { position: DVec3::new(0.5, 1.0, -0.5), amplitude: 1.0 }];
    let two_bit = Codebook::dft(&setup.ris, m).unwrap().quantized(2).unwrap();
    let got = ecr_nmse(&setup, &two_bit, Recovery::Inverse, &targets);
    assert!(got < 1e-20, "2-bit matrix inversion NMSE {got:e}");
    let one_bit = Codebook::dft(&setup.ris, m).unwrap().quantized(1).unwrap();
    // rows t and M − t of the 1-bit DFT coincide (except where a phase ties at ±π/2)
    match EcrRecovery::new(&setup, &one_bit, Recovery::Inverse) {
        Err(IsacError::RankDeficient { rank, size, .. }) => assert!(rank < m && size == m, "rank {rank} of {size}"),
        other => panic!("1-bit DFT inversion must be refused as rank-deficient, got {other:?}"),
    }
    // a Hadamard codebook is exact with 1-bit (±1) phases
    let hadamard = Codebook::hadamard(&setup.ris).unwrap();
    assert_eq!(hadamard.rank(), m);
    assert!(ecr_nmse(&setup, &hadamard, Recovery::Fast, &targets) < 1e-20);
    assert!(ecr_nmse(&setup, &hadamard, Recovery::Inverse, &targets) < 1e-20);
}

fn image(setup: &FtSetup, grid: &SaaGrid, targets: &[PointTarget], noise: f64) -> (SaaImager, Vec<f64>) {
    let cb = Codebook::dft(&setup.ris, setup.ris.count()).unwrap();
    let meas = measure(setup, &cb, targets, noise, 3).unwrap();
    let rec = EcrRecovery::new(setup, &cb, Recovery::Fast).unwrap();
    let imager = SaaImager::new(rec.aperture(), setup.ue, &setup.band.wavenumbers(), grid).unwrap();
    let img = imager.image(&rec.recover_all(&meas).unwrap()).unwrap();
    assert!(img.iter().all(|v| v.re.is_finite() && v.im.is_finite()), "non-finite voxel");
    (imager, normalized_magnitude(&img))
}

fn peak(imager: &SaaImager, img: &[f64]) -> DVec3 {
    let best = (0..img.len()).max_by(|&a, &b| img[a].total_cmp(&img[b])).unwrap();
    imager.voxel_positions()[best]
}

#[test]
fn t2_point_targets_peak_on_their_voxel() {
    let slices: Vec<f64> = (0..=80).map(|j| -4.0 + 0.1 * j as f64).collect();
    let cases = [(DVec3::ZERO, 10.0, 30.0), (DVec3::new(1.0, 2.5, -1.5), 10.0, 60.0), (DVec3::new(-2.0, -3.0, 2.0), 20.0, 30.0)];
    for (p, d, theta) in cases {
        let mut setup = FtSetup::default();
        setup.ris.centre.x = d;
        let t = f64::to_radians(theta);
        setup.ue = 15.0 * DVec3::new(t.cos(), t.sin(), 0.0);
        let grid = SaaGrid { slices: slices.iter().map(|x| x + p.x).collect(), cross_range: [[p.y - 2.0, p.y + 2.0], [p.z - 2.0, p.z + 2.0]], ..Default::default() };
        let (imager, img) = image(&setup, &grid, &[PointTarget { position: p, amplitude: 1.0 }], 0.0);
        let q = peak(&imager, &img);
        let limits = ResolutionLimits::at(&setup, p).unwrap();
        assert!((q.y - p.y).abs() < 1e-9 && (q.z - p.z).abs() < 1e-9, "{p:?}: cross-range peak at {q:?}");
        let tol = 0.1f64.max(0.05 * limits.range) + 1e-9;
        assert!((q.x - p.x).abs() <= tol, "{p:?}: range peak at {} (tolerance {tol})", q.x);
    }
}

#[test]
fn t3_resolution_between_the_limits() {
    let setup = FtSetup::default();
    let limits = ResolutionLimits::at(&setup, DVec3::ZERO).unwrap();
    assert!((limits.range - 2.53).abs() < 0.01 && (limits.cross_range[0] - 0.800).abs() < 0.001, "{limits:?}");
    let target = [PointTarget { position: DVec3::ZERO, amplitude: 1.0 }];
    // range profile through the peak
    let step = 0.05;
    let grid = SaaGrid { slices: (0..=240).map(|j| -6.0 + step * j as f64).collect(), cross_range: [[-0.1, 0.1], [-0.1, 0.1]], ..Default::default() };
    let (_, img) = image(&setup, &grid, &target, 0.0);
    let range_null = null_distance(&img, step).unwrap();
    assert!(range_null >= 0.95 * limits.range && range_null <= 1.05 * limits.range_upper, "range null {range_null} outside [{}, {}]", 0.95 * limits.range, 1.05 * limits.range_upper);
    assert!((range_null - 3.95).abs() <= 0.15, "range null {range_null} vs the prototype's 3.95");
    // cross-range profile along y at x = 0 (O = 8: 1/16 λ steps)
    let grid = SaaGrid { slices: vec![0.0], cross_range: [[-3.0, 3.0], [0.0, 0.0]], oversampling: 8, ..Default::default() };
    let (imager, img) = image(&setup, &grid, &target, 0.0);
    let dy = imager.axes()[1][1] - imager.axes()[1][0];
    let cross = null_distance(&img, dy).unwrap();
    assert!((cross / limits.cross_range[0] - 1.0).abs() <= 0.12, "cross-range null {cross} vs DRL {}", limits.cross_range[0]);
}

/// The range null of a point at D = 40, θ_T = 0, B = 0.2: far enough that the aperture adds
/// little range diversity, so the PSF along x is the Dirichlet kernel of the tones. With the
/// spec's 11 tones its first null is c/(2·I·Δf) = 2.273, below the spec's lower bound
/// 0.95·(27a) = 2.275 (27a takes a continuous band of width (I − 1)Δf); with 41 tones over the
/// same B the band is nearly continuous and the null lies inside the spec's bounds.
#[test]
fn t3_far_range_null_follows_the_tones_not_the_continuous_band() {
    let range_null = |tones: usize| {
        let mut setup = FtSetup::default();
        setup.ris.centre.x = 40.0;
        setup.ue = DVec3::new(15.0, 0.0, 0.0);
        setup.band.subcarriers = tones;
        setup.band.spacing = 0.2 / (tones - 1) as f64;
        let step = 0.05;
        let grid = SaaGrid { slices: (0..=200).map(|j| -5.0 + step * j as f64).collect(), cross_range: [[-0.1, 0.1], [-0.1, 0.1]], ..Default::default() };
        let (_, img) = image(&setup, &grid, &[PointTarget { position: DVec3::ZERO, amplitude: 1.0 }], 0.0);
        (null_distance(&img, step).unwrap(), ResolutionLimits::at(&setup, DVec3::ZERO).unwrap(), setup.band)
    };
    let (null, limits, band) = range_null(11);
    let dirichlet = band.wave_speed / (2.0 * band.subcarriers as f64 * band.spacing);
    assert!((null / dirichlet - 1.0).abs() < 0.01, "11 tones: range null {null} vs the Dirichlet null {dirichlet}");
    assert!(null < 0.95 * limits.range, "11 tones: range null {null} is not below the continuous-band bound {}", 0.95 * limits.range);
    assert!(null >= 0.95 * limits.range_tones && null <= 1.05 * limits.range_upper, "11 tones: {null} outside [{}, {}]", 0.95 * limits.range_tones, 1.05 * limits.range_upper);
    let (null, limits, _) = range_null(41);
    assert!(null >= 0.95 * limits.range && null <= 1.05 * limits.range_upper, "41 tones: {null} outside the spec's [{}, {}]", 0.95 * limits.range, 1.05 * limits.range_upper);
}

fn nine_point_detection(elements: usize, bits: Option<u32>) -> (usize, usize, f64) {
    let mut setup = FtSetup::default();
    setup.ris.elements = [elements, elements];
    let mut cb = Codebook::dft(&setup.ris, setup.ris.count()).unwrap();
    if let Some(b) = bits {
        cb = cb.quantized(b).unwrap();
    }
    let targets = nine_points();
    let meas = measure(&setup, &cb, &targets, 0.01, 11).unwrap();
    let rec = EcrRecovery::new(&setup, &cb, Recovery::Fast).unwrap();
    let imager = SaaImager::new(rec.aperture(), setup.ue, &setup.band.wavenumbers(), &SaaGrid::default()).unwrap();
    let img = normalized_magnitude(&imager.image(&rec.recover_all(&meas).unwrap()).unwrap());
    let truth: Vec<[usize; 3]> = targets.iter().map(|t| imager.nearest_voxel(t.position).unwrap()).collect();
    let d = detect(&img, imager.dims(), &truth, 0.3).unwrap();
    (d.detected, d.strongest_on_target, d.max_offtarget)
}

#[test]
fn t4_quantised_phases_raise_the_off_target_level() {
    let (det_c, top_c, off_c) = nine_point_detection(32, None);
    let (det_2, top_2, off_2) = nine_point_detection(32, Some(2));
    let (det_1, top_1, off_1) = nine_point_detection(32, Some(1));
    let (_, _, off_1_large) = nine_point_detection(64, Some(1));
    for (name, det, top) in [("continuous", det_c, top_c), ("2-bit", det_2, top_2), ("1-bit", det_1, top_1)] {
        assert!(det == 9 && top == 9, "{name}: {det} detected, {top} of the 9 strongest maxima on target");
    }
    assert!(off_1 > 1.5 * off_c, "1-bit off-target {off_1} vs continuous {off_c}");
    assert!((off_2 - off_c).abs() < 0.05, "2-bit off-target {off_2} vs continuous {off_c}");
    assert!(off_1_large < off_1, "1-bit 64×64 {off_1_large} vs 32×32 {off_1}");
}

/// Single-subcarrier operators `F_i = remeasure ∘ forward`, `B_i = backward ∘ recover`.
fn operators(setup: &FtSetup, grid: &SaaGrid) -> (EcrRecovery, SaaImager) {
    let cb = Codebook::dft(&setup.ris, setup.ris.count()).unwrap();
    let rec = EcrRecovery::new(setup, &cb, Recovery::Fast).unwrap();
    let imager = SaaImager::new(rec.aperture(), setup.ue, &setup.band.wavenumbers(), grid).unwrap();
    (rec, imager)
}

fn random(n: usize, seed: u64) -> Vec<Complex> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    (0..n).map(|_| Complex::new(rng.gen::<f64>() - 0.5, rng.gen::<f64>() - 0.5)).collect()
}

fn max_rel(a: &[Complex], b: &[Complex]) -> f64 {
    let scale = b.iter().map(|v| v.norm()).fold(0.0, f64::max);
    a.iter().zip(b).map(|(x, y)| (x - y).norm()).fold(0.0, f64::max) / scale
}

#[test]
fn t6_operator_identities() {
    let mut setup = FtSetup::default();
    setup.ris.elements = [8, 8];
    let m = setup.ris.count();
    // no crop, O = 1, N = M, mask off: F_i(B_i(h)) = h
    let bare = SaaGrid { slices: vec![-1.0, 0.0, 0.5], cross_range: [[-10.0, 10.0], [-10.0, 10.0]], padded: Some([8, 8]), oversampling: 1, evanescent_mask: false };
    let (rec, imager) = operators(&setup, &bare);
    for i in [0, 5, 10] {
        let h = random(m, i as u64);
        let back = rec.remeasure(0, i, &imager.forward(i, &imager.backward(i, &rec.recover(0, i, &h))));
        assert!(max_rel(&back, &h) < 1e-12, "subcarrier {i}: F(B(h)) ≠ h ({:e})", max_rel(&back, &h));
    }
    // the spec's grid with the mask: F_i(B_i(F_i(x))) = F_i(x)
    // (the aperture unpadded and the image uncropped, so that only the mask is idempotent)
    let masked = SaaGrid { slices: vec![-1.0, 0.0, 0.5], cross_range: [[-10.0, 10.0], [-10.0, 10.0]], padded: Some([8, 8]), oversampling: 2, evanescent_mask: true };
    let (rec, imager) = operators(&setup, &masked);
    let f = |i: usize, x: &[Complex]| rec.remeasure(0, i, &imager.forward(i, x));
    let b = |i: usize, h: &[Complex]| imager.backward(i, &rec.recover(0, i, h));
    for i in [0, 10] {
        let x = random(imager.voxel_count(), 40 + i as u64);
        let fx = f(i, &x);
        let again = f(i, &b(i, &fx));
        assert!(max_rel(&again, &fx) < 1e-12, "subcarrier {i}: F(B(F(x))) ≠ F(x) ({:e})", max_rel(&again, &fx));
    }
}

#[test]
fn t7_t8_ftcs_recovers_nine_points_from_6_percent_without_the_sensing_matrix() {
    let mut setup = FtSetup::default();
    setup.ris.elements = [64, 64];
    let q = [4, 4];
    let codebook = Codebook::block(&setup.ris, q, setup.ap[0], setup.band.centre_wavenumber()).unwrap();
    assert_eq!(codebook.pilots * 16, setup.ris.count(), "6.25 % of the pilots");
    let targets = nine_points();
    let meas: Measurements = measure(&setup, &codebook, &targets, 0.01, 5).unwrap();
    let rec = EcrRecovery::new(&setup, &codebook, Recovery::Fast).unwrap();
    let grid = SaaGrid { oversampling: 4, ..Default::default() };
    let imager = SaaImager::new(rec.aperture(), setup.ue, &setup.band.wavenumbers(), &grid).unwrap();
    assert_eq!(imager.dims(), [1, 33, 33], "voxel 0.5 λ over |y|, |z| ≤ 8");
    let truth_voxels: Vec<[usize; 3]> = targets.iter().map(|t| imager.nearest_voxel(t.position).unwrap()).collect();
    let mut truth = vec![0.0; imager.voxel_count()];
    for v in &truth_voxels {
        truth[(v[0] * 33 + v[1]) * 33 + v[2]] = 1.0;
    }
    let ftcs = FtCs::new(imager, rec, setup.ap.len()).unwrap();
    let options = SparseOptions { sparsity: 18, iterations: 50, ..Default::default() };
    for step in [StepRule::LineSearch, StepRule::Calibrated] {
        let out = ftcs.reconstruct(&meas.h, &options, step).unwrap();
        let img = normalized_magnitude(&out.image);
        let d = detect(&img, ftcs.imager().dims(), &truth_voxels, 0.3).unwrap();
        let e = nmse(&img, &truth).unwrap();
        assert_eq!(d.detected, 9, "{step:?}: {} of 9 detected (NMSE {e})", d.detected);
        assert!(e < 0.25, "{step:?}: NMSE {e} (prototype 0.19)");
        // T8: no T·I × N_v matrix
        let matrix = sensing_matrix_bytes(codebook.pilots, setup.band.subcarriers, 1, ftcs.imager().voxel_count());
        assert!(out.largest_allocation_bytes < matrix / 10, "{} bytes vs the matrix's {matrix}", out.largest_allocation_bytes);
    }
}

#[test]
fn ista_on_the_explicit_matrix_and_its_memory_budget() {
    let mut setup = FtSetup::default();
    setup.ris.elements = [16, 16];
    setup.band.subcarriers = 5;
    let codebook = Codebook::dft(&setup.ris, setup.ris.count()).unwrap();
    let targets = [DVec3::new(0.0, -2.0, 1.0), DVec3::new(0.0, 2.0, -2.0)].map(|p| PointTarget { position: p, amplitude: 1.0 });
    let meas = measure(&setup, &codebook, &targets, 0.0, 2).unwrap();
    let grid = SaaGrid { cross_range: [[-4.0, 4.0], [-4.0, 4.0]], oversampling: 2, ..Default::default() };
    let rec = EcrRecovery::new(&setup, &codebook, Recovery::Fast).unwrap();
    let imager = SaaImager::new(rec.aperture(), setup.ue, &setup.band.wavenumbers(), &grid).unwrap();
    let voxels = imager.voxel_positions();
    let bytes = sensing_matrix_bytes(256, 5, 1, voxels.len());
    match SensingMatrix::new(&setup, &codebook, &voxels, bytes - 1) {
        Err(IsacError::MemoryBudget { needed, .. }) => assert_eq!(needed, bytes),
        other => panic!("expected a budget error, got {other:?}"),
    }
    let a = SensingMatrix::new(&setup, &codebook, &voxels, bytes).unwrap();
    let out = rftwin_isac::ft::ista::ista(&a, &rftwin_isac::ft::ista::stack(&meas), &SparseOptions { sparsity: 6, iterations: 100, ..Default::default() }, 0.9).unwrap();
    let img = normalized_magnitude(&out.image);
    let truth: Vec<[usize; 3]> = targets.iter().map(|t| imager.nearest_voxel(t.position).unwrap()).collect();
    let d = detect(&img, imager.dims(), &truth, 0.3).unwrap();
    assert_eq!(d.detected, 2, "{d:?}");
    assert!(d.max_offtarget < 0.3, "{d:?}");
    assert!(out.image.iter().filter(|v| v.norm() > 0.0).count() <= 6, "at most K non-zeros");
}

#[test]
fn t9_nyquist_holds_for_half_wavelength_elements_and_fails_for_2_lambda_blocks() {
    let setup = FtSetup::default();
    let roi = [16.0, 16.0, 16.0];
    let fine = Nyquist::new(&setup.ris, &setup.band, roi).unwrap();
    assert!(fine.holds() && fine.check().is_ok(), "{fine:?}");
    assert!(fine.max_spacing[0] > 0.5 * setup.band.wave_speed / (setup.band.centre + setup.band.bandwidth() / 2.0));
    let blocks = setup.ris.blocks([4, 4]).unwrap();
    let coarse = Nyquist::new(&blocks, &setup.band, roi).unwrap();
    let err = coarse.check().unwrap_err().to_string();
    assert!(!coarse.holds() && err.contains("(22a)") && err.contains("2.0000"), "{err}");
}

#[test]
fn bad_configurations_are_clear_errors() {
    let setup = FtSetup::default();
    let k_c = setup.band.centre_wavenumber();
    let msg = |r: Result<Codebook, IsacError>| r.unwrap_err().to_string();
    assert!(msg(Codebook::block(&setup.ris, [5, 4], setup.ap[0], k_c)).contains("do not divide"));
    assert!(msg(Codebook::block(&setup.ris, [64, 64], setup.ap[0], k_c)).contains("do not divide"));
    assert!(msg(Codebook::dft(&setup.ris, 2000)).contains("1 ≤ T ≤ M"));
    let cb = Codebook::dft(&setup.ris, setup.ris.count()).unwrap();
    let point = [PointTarget { position: DVec3::ZERO, amplitude: 1.0 }];
    let mut no_band = setup.clone();
    no_band.band.subcarriers = 0;
    assert!(measure(&no_band, &cb, &point, 0.0, 0).unwrap_err().to_string().contains("zero subcarriers"));
    assert!(measure(&setup, &cb, &point, -0.1, 0).unwrap_err().to_string().contains("≥ 0"));
    let behind = [PointTarget { position: DVec3::new(12.0, 0.0, 0.0), amplitude: 1.0 }];
    assert!(measure(&setup, &cb, &behind, 0.0, 0).unwrap_err().to_string().contains("in front of the RIS"));
    let rec = EcrRecovery::new(&setup, &cb, Recovery::Fast).unwrap();
    let outside = SaaGrid { cross_range: [[30.0, 40.0], [-1.0, 1.0]], ..Default::default() };
    assert!(SaaImager::new(rec.aperture(), setup.ue, &setup.band.wavenumbers(), &outside).unwrap_err().to_string().contains("holds no point"));
}

#[test]
fn t5_limited_pilots_pseudo_inverse_fails_blocks_succeed_with_artefacts() {
    let setup = FtSetup::default();
    let targets = nine_points();
    let run = |codebook: Codebook, oversampling: usize| {
        let meas = measure(&setup, &codebook, &targets, 0.01, 3).unwrap();
        let rec = EcrRecovery::new(&setup, &codebook, Recovery::Fast).unwrap();
        let imager = SaaImager::new(rec.aperture(), setup.ue, &setup.band.wavenumbers(), &SaaGrid { oversampling, ..Default::default() }).unwrap();
        let img = normalized_magnitude(&imager.image(&rec.recover_all(&meas).unwrap()).unwrap());
        let truth: Vec<[usize; 3]> = targets.iter().map(|t| imager.nearest_voxel(t.position).unwrap()).collect();
        detect(&img, imager.dims(), &truth, 0.3).unwrap()
    };
    let m = setup.ris.count();
    let full = run(Codebook::dft(&setup.ris, m).unwrap(), 2);
    let pinv = run(Codebook::dft(&setup.ris, m / 16).unwrap(), 2);
    let blocks = run(Codebook::block(&setup.ris, [4, 4], setup.ap[0], setup.band.centre_wavenumber()).unwrap(), 4);
    assert!(pinv.detected <= 5, "pseudo-inverse with 6.25 % of the pilots: {} of 9", pinv.detected);
    assert_eq!(blocks.detected, 9, "4×4 blocks: {blocks:?}");
    // grating-lobe artefacts of the 2 λ block spacing (prototype: ≥ 0.4; ours 0.35)
    assert!(blocks.max_offtarget > full.max_offtarget + 0.08, "blocks {} vs full {}", blocks.max_offtarget, full.max_offtarget);
}
