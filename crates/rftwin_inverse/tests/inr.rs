//! The INR imager: the network facts of spec §4 (T7), its gradient against finite
//! differences, the schedule, and a small training that images a disk.

#![allow(clippy::unwrap_used)]

mod common;

use rftwin_inverse::inr::train::clip_gradient;
use rftwin_inverse::inr::{grid_points, train, Decision, Network, NetworkOptions, Schedule, TrainOptions};
use rftwin_isac::metrics::psnr;
use rftwin_isac::ris_imaging::operator::ForwardOperator;
use rftwin_isac::ris_imaging::RisImagingConfig;

#[test]
fn the_paper_network_has_its_size_initialisation_and_encoding() {
    let net = Network::new(2, &NetworkOptions::default(), 1).unwrap();
    assert_eq!(net.parameter_count(), 394_753);
    let p = net.parameters();
    // layer sizes: 512×256, 4 × 256×256, 256×1, then the biases 256 ×5 and 1
    let w1 = &p[..512 * 256];
    let later = &p[512 * 256..512 * 256 + 4 * 65_536 + 256];
    let b1 = &p[394_753 - 1281..394_753 - 1025];
    let b_rest = &p[394_753 - 1025..];
    let max = |s: &[f32]| s.iter().fold(0f32, |a, v| a.max(v.abs()));
    assert!(max(w1) <= 1.0 / 512.0 && max(w1) > 0.9 / 512.0, "L1 weights {}", max(w1));
    assert!(max(later) <= 0.005_103_1 && max(later) > 0.0049, "L2–L6 weights {}", max(later));
    assert!(max(b1) <= 0.044_194_2 && max(b1) > 0.04, "L1 biases {}", max(b1));
    assert!(max(b_rest) <= 0.0625 && max(b_rest) > 0.06, "other biases {}", max(b_rest));
    // γ(p): 512 values, sin block first
    let point = [0.3, 0.7];
    let enc = net.encode(&point).unwrap().as_vec();
    assert_eq!(enc.len(), 512);
    let v = 2.0 * std::f64::consts::PI * (net.frequencies[0] as f64 * 0.3 + net.frequencies[1] as f64 * 0.7);
    assert!((enc[0] as f64 - v.sin()).abs() < 1e-5 && (enc[256] as f64 - v.cos()).abs() < 1e-5);
    // the initial output is near 0.44 (sigmoid of a small field)
    let out = net.forward(&net.encode(&grid_points(8, 8)).unwrap());
    let mean = out.iter().sum::<f32>() / out.len() as f32;
    assert!(out.iter().all(|&v| v > 0.0 && v < 1.0) && (0.3..0.6).contains(&mean), "initial mean {mean}");
}

#[test]
fn network_gradient_matches_finite_differences() {
    let options = NetworkOptions { features: 8, width: 16, layers: 3, kappa: 3.0, ..Default::default() };
    let mut net = Network::new(2, &options, 4).unwrap();
    let enc = net.encode(&grid_points(3, 3)).unwrap();
    let g: Vec<f32> = (0..9).map(|i| 0.1 * i as f32 - 0.3).collect();
    let (_, grad) = net.forward_backward(&enc, |_| Ok(g.clone())).unwrap();
    let params = net.parameters();
    let objective = |net: &Network| net.forward(&enc).iter().zip(&g).map(|(a, b)| *a as f64 * *b as f64).sum::<f64>();
    for j in [0, 17, 100, params.len() - 20, params.len() - 1] {
        let h = 1e-2f32;
        let (mut up, mut down) = (params.clone(), params.clone());
        up[j] += h;
        down[j] -= h;
        net.set_parameters(&up).unwrap();
        let f_up = objective(&net);
        net.set_parameters(&down).unwrap();
        let f_down = objective(&net);
        let fd = (f_up - f_down) / (2.0 * h as f64);
        assert!((grad[j] as f64 - fd).abs() <= 2e-3 * fd.abs().max(1e-2), "parameter {j}: {} vs finite difference {fd}", grad[j]);
    }
}

/// The hand-written passes against dfdx's tape, with a fresh workspace and with one
/// reused across calls (as the training loop does), for two networks and point sets in
/// turn: buffers of the previous call must not leak into the next.
#[test]
fn the_hand_written_kernels_agree_with_the_dfdx_tape() {
    use rftwin_inverse::inr::kernels::{forward_backward, forward_backward_in, input_matrix, Workspace};
    let mut shared = Workspace::default();
    for activation in [rftwin_inverse::inr::Activation::Sin, rftwin_inverse::inr::Activation::Relu] {
        for (seed, [rows, cols]) in [(9, [5, 7]), (4, [3, 6]), (9, [5, 7])] {
            let options = NetworkOptions { features: 16, width: 32, layers: 4, activation, ..Default::default() };
            let net = Network::new(2, &options, seed).unwrap();
            let enc = net.encode(&grid_points(rows, cols)).unwrap();
            let g: Vec<f32> = (0..rows * cols).map(|i| ((i * 7 + seed as usize) % 11) as f32 / 11.0 - 0.4).collect();
            let (out_ref, grad_ref) = net.forward_backward(&enc, |_| Ok(g.clone())).unwrap();
            let input = input_matrix(&net, &enc);
            let fresh = forward_backward(&net, &input, |_| Ok(g.clone())).unwrap();
            let reused = forward_backward_in(&mut shared, &net, &input, |_| Ok(g.clone())).unwrap();
            assert_eq!((&fresh.0, &fresh.1), (&reused.0, &reused.1), "{activation:?}: a reused workspace changed the result");
            let (out, grad) = (fresh.0, fresh.1);
            assert!(out.iter().zip(&out_ref).all(|(a, b)| (a - b).abs() < 1e-5), "{activation:?}: outputs differ");
            let scale = grad_ref.iter().fold(0f32, |a, v| a.max(v.abs()));
            let worst = grad.iter().zip(&grad_ref).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst <= 1e-4 * scale, "{activation:?}: gradients differ by {worst} (scale {scale})");
        }
    }
}

#[test]
fn schedule_and_clipping_follow_the_reference() {
    let mut s = Schedule::new(&TrainOptions::default());
    let mut halvings = Vec::new();
    let mut stop = None;
    for epoch in 0..1000 {
        let before = s.lr;
        match s.observe(1.0) {
            Decision::Stop => {
                stop = Some(epoch);
                break;
            }
            Decision::Improved => assert_eq!(epoch, 0),
            _ => {}
        }
        if s.lr < before {
            halvings.push(epoch);
        }
    }
    assert_eq!(halvings, vec![51, 102, 153]);
    assert_eq!(stop, Some(201));
    let mut g = vec![1.0f32, 2.0, 2.0];
    let norm = clip_gradient(&mut g, 1.0);
    let after = g.iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!((norm - 3.0).abs() < 1e-12 && (after - 0.99999967).abs() < 1e-6, "{after}");
    // instability: ten times the best restores and halves
    let mut s = Schedule::new(&TrainOptions::default());
    s.observe(1.0);
    assert_eq!(s.observe(11.0), Decision::Restore);
    assert!((s.lr - 0.5e-4).abs() < 1e-18);
}

/// A small imaging system — an `n × n` ROI of 5 cm voxels, an `n × n` RIS of λ/2, `k`
/// configurations, `antennas` per array (`None`: the paper's 8) — and a disk of squared
/// radius `r2` voxels at the ROI's centre.
fn small_system(n: usize, k: usize, antennas: Option<usize>, r2: f64) -> (RisImagingConfig, Vec<f64>) {
    let mut config = RisImagingConfig { configurations: k, ..Default::default() };
    config.roi.dims = [1, n, n];
    config.roi.voxel = 0.05;
    config.ris.elements = [n, n];
    if let Some(a) = antennas {
        config.tx.elements = a;
        config.rx.elements = a;
    }
    let c = (n as f64 - 1.0) / 2.0;
    let truth = (0..n).flat_map(|r| (0..n).map(move |col| if (r as f64 - c).powi(2) + (col as f64 - c).powi(2) <= r2 { 1.0 } else { 0.0 })).collect();
    (config, truth)
}

#[test]
fn a_small_inr_images_a_disk() {
    let n = 16;
    let (config, truth) = small_system(n, 16, None, 20.0);
    let op = ForwardOperator::new(&config).unwrap();
    let y: Vec<f32> = op.apply(&truth).unwrap().iter().map(|&v| v as f32).collect();
    let op32 = op.to_f32();
    let options = TrainOptions { network: NetworkOptions { features: 32, width: 64, layers: 4, ..Default::default() }, epochs: 300, lr: 1e-3, ..Default::default() };
    let mut first = None;
    let training = train(&op32, &y, &grid_points(n, n), &options, |_, img| {
        if first.is_none() {
            first = Some(img.to_vec());
        }
        Ok(())
    })
    .unwrap();
    let image: Vec<f64> = training.network.forward(&training.network.encode(&grid_points(n, n)).unwrap()).iter().map(|&v| v as f64).collect();
    let start: Vec<f64> = first.unwrap().iter().map(|&v| v as f64).collect();
    let (p0, p1) = (psnr(&start, &truth).unwrap(), psnr(&image, &truth).unwrap());
    assert!(p1 > 15.0 && p1 > p0 + 8.0, "PSNR {p0:.1} dB at the start, {p1:.1} dB after {} epochs (best {})", training.history.len(), training.best_epoch);
    assert!(training.history.windows(2).any(|w| w[1].train_mse < w[0].train_mse));
}

#[test]
fn an_interrupted_training_resumes_to_the_same_result() {
    let (op32, y) = common::striped_8x8();
    let dir = std::env::temp_dir().join(format!("rftwin_inr_ckpt_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("checkpoint.json");
    let base = TrainOptions { network: NetworkOptions { features: 8, width: 16, layers: 3, ..Default::default() }, lr: 1e-3, checkpoint_every: 10, ..Default::default() };
    let points = grid_points(8, 8);
    let straight = train(&op32, &y, &points, &TrainOptions { epochs: 50, ..base.clone() }, |_, _| Ok(())).unwrap();
    // "interrupted" after 30 epochs, then resumed to 50
    let first = TrainOptions { epochs: 30, checkpoint: Some(path.clone()), ..base.clone() };
    train(&op32, &y, &points, &first, |_, _| Ok(())).unwrap();
    let mut resumed_epochs = Vec::new();
    let resumed = train(&op32, &y, &points, &TrainOptions { epochs: 50, ..first.clone() }, |r, _| {
        resumed_epochs.push(r.epoch);
        Ok(())
    })
    .unwrap();
    assert_eq!(resumed_epochs, (30..50).collect::<Vec<_>>(), "only the missing epochs run");
    assert_eq!(resumed.history.len(), 50);
    assert_eq!(resumed.network.parameters(), straight.network.parameters(), "resumed training differs from the uninterrupted one");
    // another configuration refuses the checkpoint
    let other = TrainOptions { alpha: 0.5, ..first };
    assert!(train(&op32, &y, &points, &other, |_, _| Ok(())).unwrap_err().to_string().contains("another configuration"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The learnable interference (eq. 27): `L = ½‖y_b + Âσ − t‖²` summed over blocks; its
/// gradients in `σ` and in `Â` from the module agree with central differences.
#[test]
fn interference_gradients_match_finite_differences() {
    use rftwin_inverse::inr::interference::{add_sigma_gradient, add_to_blocks, block, fold_blocks, parameter_gradient};
    let (pairs, voxels, blocks) = (3, 4, 2);
    let a: Vec<f32> = (0..2 * pairs * voxels).map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.1).collect();
    let sigma: Vec<f32> = (0..voxels).map(|i| 0.2 + 0.15 * i as f32).collect();
    let base: Vec<f32> = (0..2 * pairs * blocks).map(|i| ((i * 13 % 7) as f32 - 3.0) * 0.05).collect();
    let target: Vec<f32> = (0..2 * pairs * blocks).map(|i| ((i * 5 % 9) as f32 - 4.0) * 0.07).collect();
    let loss = |a: &[f32], sigma: &[f32]| -> f64 {
        let mut y = base.clone();
        add_to_blocks(&mut y, &block(a, pairs, sigma));
        y.iter().zip(&target).map(|(p, t)| 0.5 * f64::from(p - t).powi(2)).sum()
    };
    let mut y = base.clone();
    add_to_blocks(&mut y, &block(&a, pairs, &sigma));
    let g: Vec<f32> = y.iter().zip(&target).map(|(p, t)| p - t).collect();
    let folded = fold_blocks(&g, pairs);
    let mut grad_sigma = vec![0.0f32; voxels];
    add_sigma_gradient(&a, &folded, &mut grad_sigma);
    let grad_a = parameter_gradient(&folded, &sigma);
    assert_eq!(grad_a.len(), a.len());
    let h = 1e-3f32;
    for m in 0..voxels {
        let (mut up, mut down) = (sigma.clone(), sigma.clone());
        up[m] += h;
        down[m] -= h;
        let fd = (loss(&a, &up) - loss(&a, &down)) / (2.0 * f64::from(h));
        assert!((fd - f64::from(grad_sigma[m])).abs() < 1e-3, "σ_{m}: fd {fd} vs {}", grad_sigma[m]);
    }
    for k in 0..a.len() {
        let (mut up, mut down) = (a.clone(), a.clone());
        up[k] += h;
        down[k] -= h;
        let fd = (loss(&up, &sigma) - loss(&down, &sigma)) / (2.0 * f64::from(h));
        assert!((fd - f64::from(grad_a[k])).abs() < 1e-3, "Â_{k}: fd {fd} vs {}", grad_a[k]);
    }
}

/// The field renders off the training grid: on `R = 3N − 2` points per axis over the same
/// box, every third point is a training voxel, so that subsampled render equals the
/// image on the grid; in 3-D the normalised coordinates are `(ix, row, col)/(n − 1)`.
#[test]
fn renders_at_3n_minus_2_contain_the_training_grid() {
    use rftwin_inverse::inr::voxel_points;
    let net = Network::new(2, &NetworkOptions { features: 16, width: 32, layers: 3, ..Default::default() }, 5).unwrap();
    let n = 6;
    let r = 3 * n - 2;
    let on_grid = net.forward(&net.encode(&grid_points(n, n)).unwrap());
    let fine = net.forward(&net.encode(&grid_points(r, r)).unwrap());
    for row in 0..n {
        for col in 0..n {
            let (a, b) = (on_grid[row * n + col], fine[3 * row * r + 3 * col]);
            assert!((a - b).abs() <= 1e-6 * a.abs().max(1.0), "pixel ({row}, {col}): {a} vs {b}");
        }
    }
    // off-grid values lie between neighbours' scale, not garbage: finite and in (0, 1)
    assert!(fine.iter().all(|v| v.is_finite() && *v > 0.0 && *v < 1.0));
    assert_eq!(voxel_points([1, 3, 4]), grid_points(3, 4));
    let p = voxel_points([3, 2, 5]);
    assert_eq!(p.len(), 3 * 30);
    // voxel (ix 2, row 1, col 3) = index (2·2 + 1)·5 + 3 = 28
    assert_eq!(&p[28 * 3..29 * 3], &[1.0, 1.0, 0.75]);
    assert!(Network::new(3, &NetworkOptions { features: 8, width: 16, layers: 2, ..Default::default() }, 1).unwrap().encode(&p).is_ok());
}

/// A background that couples into both legs, also through the RIS part of the other leg:
/// learning the per-leg coupling fits the data far better than the operator alone, and
/// it trains beside a solved Â.
#[test]
fn the_learnt_leg_coupling_trains_with_the_network() {
    use rftwin_core::Complex;
    use rftwin_inverse::inr::interference::LearnedTerm;
    use rftwin_inverse::inr::train_with_term;
    use rftwin_isac::ris_imaging::legs::SensingLegs;
    let n = 10;
    let (config, truth) = small_system(n, 8, Some(3), 9.0);
    let op = ForwardOperator::new(&config).unwrap().without_offset();
    let legs = SensingLegs::from_model(&config).unwrap();
    // an inward coupling (linear in its scale) carrying about a third of the signal's energy
    let (nv, nt, nr) = (config.roi.count(), config.tx.elements, config.rx.elements);
    let w = |j: usize, scale: f64| Complex::from_polar(scale * (1.0 + (j % 5) as f64 / 5.0), j as f64 * 2.399);
    let truth32: Vec<f32> = truth.iter().map(|&v| v as f32).collect();
    let clean: Vec<f32> = op.apply(&truth).unwrap().iter().map(|&v| v as f32).collect();
    let energy = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>();
    let coupled = |scale: f64| -> (Vec<f32>, Vec<f32>) {
        let w_in: Vec<Complex> = (0..nv * nt).map(|j| w(j, scale)).collect();
        let w_out = vec![Complex::new(0.0, 0.0); nv * nr];
        let params = legs.parameters_from_couplings(&w_in, &w_out).unwrap();
        let mut delta = vec![0.0f32; clean.len()];
        legs.add_response(&params, &truth32, &mut delta).unwrap();
        (params, delta)
    };
    let ratio = energy(&coupled(1e-3).1) / energy(&clean);
    let (_, delta) = coupled(1e-3 * (0.3 / ratio).sqrt());
    let ratio = energy(&delta) / energy(&clean);
    assert!((0.1..1.0).contains(&ratio), "coupling energy {ratio} of the signal's");
    let y: Vec<f32> = clean.iter().zip(&delta).map(|(a, b)| a + b).collect();
    let op32 = op.to_f32();
    let options = TrainOptions { network: NetworkOptions { features: 32, width: 64, layers: 4, ..Default::default() }, epochs: 150, lr: 1e-3, ..Default::default() };
    let points = grid_points(n, n);
    let fresh = || Network::new(2, &options.network, options.seed).unwrap();
    let with = train_with_term(fresh(), &op32, Some(&legs as &dyn LearnedTerm), &y, &points, &options, |_, _| Ok(())).unwrap();
    let without = train(&op32, &y, &points, &options, |_, _| Ok(())).unwrap();
    let learnt = with.learnt_term.as_ref().unwrap();
    assert_eq!(learnt.len(), legs.parameter_count());
    assert!(learnt.iter().any(|&v| v != 0.0));
    assert!(with.best_train_mse < 0.5 * without.best_train_mse, "train MSE with the leg coupling {:e}, without {:e}", with.best_train_mse, without.best_train_mse);
    // with Â solved beside it, both come back
    let both = TrainOptions { interference_pairs: Some(nt * nr), solve_interference: true, epochs: 3, ..options.clone() };
    let t = train_with_term(fresh(), &op32, Some(&legs as &dyn LearnedTerm), &y, &points, &both, |_, _| Ok(())).unwrap();
    assert_eq!(t.interference.map(|a| a.len()), Some(2 * nt * nr * nv));
    assert_eq!(t.learnt_term.map(|a| a.len()), Some(legs.parameter_count()));
}

/// Solving Â every epoch (variable projection): `Âσ` is the blocks' mean residual, and on
/// data with a strong configuration-independent interference the fit reaches what Adam
/// steps on Â reach only far later.
#[test]
fn solved_interference_is_the_mean_residual_and_fits_fast() {
    use rftwin_inverse::inr::interference::{block, solve};
    let (pairs, blocks, voxels) = (3, 4, 5);
    let y: Vec<f32> = (0..2 * pairs * blocks).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1).collect();
    let y_hat: Vec<f32> = (0..2 * pairs * blocks).map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.1).collect();
    let sigma: Vec<f32> = (0..voxels).map(|m| 0.1 + 0.2 * m as f32).collect();
    let a = solve(&y_hat, &y, pairs, &sigma);
    let response = block(&a, pairs, &sigma);
    for (j, got) in response.iter().enumerate() {
        let mean = (0..blocks).map(|b| y[b * 2 * pairs + j] - y_hat[b * 2 * pairs + j]).sum::<f32>() / blocks as f32;
        assert!((got - mean).abs() < 1e-5, "pair value {j}: Âσ {got} vs mean residual {mean}");
    }
    // a disk behind an interference 3 dB above its signal
    use rftwin_isac::ris_imaging::multipath::{interference_measurements, scaled_to_sir, Background};
    let n = 12;
    let (config, truth) = small_system(n, 16, Some(2), 12.0);
    let op = ForwardOperator::new(&config).unwrap().without_offset();
    let a0 = Background::draw(4, 2).unwrap().interference(&config).unwrap();
    let signal = op.apply(&truth).unwrap();
    let a = scaled_to_sir(&signal, &config, &a0, &truth, -3.0).unwrap();
    let y: Vec<f32> = signal.iter().zip(interference_measurements(&config, &a, &truth).unwrap()).map(|(s, i)| (s + i) as f32).collect();
    let options = TrainOptions { network: NetworkOptions { features: 32, width: 64, layers: 4, ..Default::default() }, epochs: 120, lr: 1e-3, interference_pairs: Some(4), ..Default::default() };
    let op32 = op.to_f32();
    let points = grid_points(n, n);
    let stepped = train(&op32, &y, &points, &options, |_, _| Ok(())).unwrap();
    let solved = train(&op32, &y, &points, &TrainOptions { solve_interference: true, ..options.clone() }, |_, _| Ok(())).unwrap();
    // (the image quality this buys is measured by ris_imaging_multipath at the paper's
    // size; on this 12×12 system both images stay near 9 dB and their order is noise)
    assert!(solved.best_train_mse < 0.5 * stepped.best_train_mse, "train MSE solved {:e}, Adam steps {:e}", solved.best_train_mse, stepped.best_train_mse);
}
