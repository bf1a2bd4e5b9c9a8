//! The INR network's GPU passes (`inr::gpu`, `rftwin_gpu::mlp`) against the dfdx tape and
//! the CPU kernels, and a short training on the GPU against the same on the CPU.

#![cfg(feature = "gpu")]
#![allow(clippy::unwrap_used)]

mod common;

use rftwin_inverse::inr::gpu::GpuPasses;
use rftwin_inverse::inr::kernels::{forward_backward, input_matrix};
use rftwin_inverse::inr::{grid_points, train, Activation, Network, NetworkOptions, TrainOptions};

#[test]
fn gpu_network_passes_match_the_dfdx_tape_and_the_cpu_kernels() {
    if rftwin_gpu::context::shared_or_skip().is_none() {
        return;
    }
    // widths and point counts below, at and across the 64 × 64 blocks and 16-wide K-tiles
    for activation in [Activation::Sin, Activation::Relu] {
        for (seed, [rows, cols], width) in [(9, [5, 7], 40), (4, [3, 6], 16), (2, [9, 8], 80)] {
            let options = NetworkOptions { features: 12, width, layers: 4, activation, ..Default::default() };
            let net = Network::new(2, &options, seed).unwrap();
            let enc = net.encode(&grid_points(rows, cols)).unwrap();
            let g: Vec<f32> = (0..rows * cols).map(|i| ((i * 7 + seed as usize) % 11) as f32 / 11.0 - 0.4).collect();
            let (out_tape, grad_tape) = net.forward_backward(&enc, |_| Ok(g.clone())).unwrap();
            let input = input_matrix(&net, &enc);
            let (out_cpu, grad_cpu, _) = forward_backward(&net, &input, |_| Ok(g.clone())).unwrap();
            let passes = GpuPasses::new(&net, &input).unwrap();
            let mut seen = None;
            let (out, grad, _) = passes
                .forward_backward(&net, |sigma| {
                    seen = Some(sigma.to_vec());
                    Ok(g.clone())
                })
                .unwrap();
            assert_eq!(seen.as_deref(), Some(out.as_slice()), "the upstream callback sees the returned outputs");
            assert_eq!((out.len(), grad.len()), (out_tape.len(), grad_tape.len()));
            for (what, reference) in [("tape", &out_tape), ("CPU kernels", &out_cpu)] {
                let worst = out.iter().zip(reference.iter()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
                assert!(worst < 1e-5, "{activation:?}, width {width}: outputs differ from the {what} by {worst}");
            }
            for (what, reference) in [("tape", &grad_tape), ("CPU kernels", &grad_cpu)] {
                let scale = reference.iter().fold(0f32, |a, v| a.max(v.abs()));
                let worst = grad.iter().zip(reference.iter()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
                assert!(worst <= 1e-4 * scale, "{activation:?}, width {width}: gradients differ from the {what} by {worst} (scale {scale})");
            }
        }
    }
}

#[test]
fn a_short_training_on_the_gpu_follows_the_cpu() {
    if rftwin_gpu::context::shared_or_skip().is_none() {
        return;
    }
    let (op32, y) = common::striped_8x8();
    let options = TrainOptions { network: NetworkOptions { features: 8, width: 24, layers: 3, ..Default::default() }, lr: 1e-3, epochs: 15, ..Default::default() };
    let points = grid_points(8, 8);
    let cpu = train(&op32, &y, &points, &options, |_, _| Ok(())).unwrap();
    let gpu = train(&op32, &y, &points, &TrainOptions { gpu: true, ..options }, |_, _| Ok(())).unwrap();
    assert_eq!(gpu.history.len(), cpu.history.len());
    for (a, b) in gpu.history.iter().zip(&cpu.history) {
        assert!((a.train_mse - b.train_mse).abs() <= 1e-3 * b.train_mse, "epoch {}: train MSE {} on the GPU, {} on the CPU", a.epoch, a.train_mse, b.train_mse);
    }
    let (pg, pc) = (gpu.network.parameters(), cpu.network.parameters());
    let worst = pg.iter().zip(&pc).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(worst < 1e-3, "parameters after 15 epochs differ by {worst}");
}
