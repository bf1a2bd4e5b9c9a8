//! RIS-aided ISAC imaging with a physics-informed implicit neural representation (paper
//! 000, Table II configuration; spec `ris_inr_imaging.md`): 8-antenna TX and RX ULAs, a
//! 50×50 RIS taking K = 40 random configurations, a 100×100 region of λ/5 pixels at
//! D = 40λ; the INR (Fourier features + SIREN) is fitted to the measured channel through
//! the precomputed affine sensing operator.
//!
//! ```text
//! cargo run --release --example ris_imaging                        # built-in silhouette, 200 epochs
//! cargo run --release --example ris_imaging -- --epochs 1000 --target my.png
//! cargo run --release --example ris_imaging -- --target phantom    # the built-in second target
//! cargo run --release --example ris_imaging -- --ris none          # Table II ablations
//! cargo run --release --example ris_imaging -- --activation relu --no-encoding
//! ```
//!
//! Writes `truth.png` (the target on the ROI grid), `truth_image_error.png`, `training.png`,
//! `image.png` (and `render.png` with `--render N`) and `summary.json` to `--out` (default
//! `out/ris_imaging`); ends with one `summary: {json}` line.

mod common;
#[path = "common/ris.rs"]
mod ris;

use anyhow::{bail, Result};
use clap::Parser;
use rftwin::inverse::inr::{grid_points, Activation, TrainOptions};
use rftwin::isac::metrics::{mse, psnr, ssim};
use rftwin::isac::ris_imaging::{RisImagingConfig, RisMode};
use rftwin::isac::targets::GrayImage;
use serde_json::json;

/// RIS-ISAC imaging with a physics-informed INR (paper 000, Table II configuration):
/// K random RIS configurations image a 100×100 region of λ/5 pixels; writes PNGs and
/// summary.json to --out and ends with a `summary: {json}` line.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Target: a PNG file, `phantom`, or `silhouette:S` (default: the silhouette of seed 0)
    #[arg(long)]
    target: Option<String>,
    /// Training epochs
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// RIS configurations K
    #[arg(long, default_value_t = 40)]
    k: usize,
    /// ROI distance from the RIS [wavelengths]
    #[arg(long, default_value_t = 40.0)]
    distance_wavelengths: f64,
    /// RIS configuration family
    #[arg(long, value_enum, default_value_t = RisChoice::Random)]
    ris: RisChoice,
    /// SIREN activation
    #[arg(long, value_enum, default_value_t = ActivationChoice::Sin)]
    activation: ActivationChoice,
    /// No Fourier-feature encoding (Table II ablation)
    #[arg(long)]
    no_encoding: bool,
    /// Weight α of the sparsity term
    #[arg(long, default_value_t = 0.01)]
    alpha: f64,
    /// Initial learning rate
    #[arg(long, default_value_t = 1e-4)]
    lr: f64,
    /// Fit a configuration-independent term `Âσ̂` solved every epoch (paper 000's P3 with
    /// `Â` in closed form): the data term keeps only what changes with the configuration
    #[arg(long)]
    solve_interference: bool,
    /// Run the network's forward and backward passes on the GPU (wgpu; the operator's
    /// products and the optimiser stay on the CPU)
    #[arg(long)]
    gpu: bool,
    /// Use the dense operator instead of its factors (4× the memory; docs/benchmarks.md
    /// compares the two)
    #[arg(long)]
    dense: bool,
    /// Seed of the RIS phases, the noise and the network
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (default: all cores)
    #[arg(long)]
    threads: Option<usize>,
    /// Also render the trained field on an N×N grid (render.png)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..))]
    render: Option<u32>,
    /// Output directory
    #[arg(long, default_value = "out/ris_imaging")]
    out: std::path::PathBuf,
    /// Start over instead of resuming from the checkpoint in --out
    #[arg(long)]
    fresh: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum RisChoice {
    Random,
    Dft,
    None,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ActivationChoice {
    Sin,
    Relu,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    common::set_threads(cli.threads)?;
    let out = common::prepare_output(&cli.out, cli.fresh)?;
    let mut config = RisImagingConfig { configurations: cli.k, seed: cli.seed, ..Default::default() };
    let lambda = config.wavelength();
    config.roi.centre.x = cli.distance_wavelengths * lambda;
    config.ris_mode = match cli.ris {
        RisChoice::Random => RisMode::Random,
        RisChoice::Dft => RisMode::Dft,
        RisChoice::None => RisMode::None,
    };
    config.validate()?;
    let [_, rows, cols] = config.roi.dims;
    let truth = ris::target(cli.target.as_deref(), rows, cols)?;
    // a checkpoint in the output directory: an interrupted run resumes (`--fresh` restarts)
    let mut options = TrainOptions { epochs: cli.epochs, alpha: cli.alpha, lr: cli.lr, gpu: cli.gpu, seed: config.seed, checkpoint: Some(out.join("checkpoint.json")), ..Default::default() };
    if cli.solve_interference {
        (options.interference_pairs, options.solve_interference) = (Some(config.tx.elements * config.rx.elements), true);
    }
    options.network.no_encoding = cli.no_encoding;
    options.network.activation = match cli.activation {
        ActivationChoice::Sin => Activation::Sin,
        ActivationChoice::Relu => Activation::Relu,
    };
    options.validate()?;

    let (op32, y, setup_s) = ris::measurements_with(&config, &truth.data, cli.dense)?;
    println!(
        "{}×{} RIS ({:?}), K = {}, ROI {rows}×{cols} of {:.3} m at D = {:.1} m, {} measurements; operator {:.1} MB (f32{}) built in {setup_s:.2} s",
        config.ris.elements[0],
        config.ris.elements[1],
        config.ris_mode,
        config.configurations,
        config.roi.voxel,
        config.roi.centre.x,
        op32.rows(),
        op32.bytes() as f64 / 1e6,
        if cli.dense { "" } else { ", in factors" }
    );
    let run = ris::train_with_progress("INR", &*op32, &y, &truth, &options, None)?;
    let (training, image, psnr_curve, seconds_per_epoch) = (&run.training, &run.image, &run.psnr, run.seconds_per_epoch);
    let (m, p, s) = (mse(image, &truth.data)?, psnr(image, &truth.data)?, ssim(image, &truth.data, rows, cols)?);
    let median = |k: usize| {
        let mut v: Vec<f64> = training.history.iter().map(|r| r.seconds[k]).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    if training.history.is_empty() {
        bail!("no epoch was run");
    }
    let stages = [median(0), median(1), median(2), median(3)];
    GrayImage { rows, cols, data: image.clone() }.save(&out.join("image.png"))?;
    // the target as imaged (on the ROI grid), so other imagers can be run on the same input
    truth.save(&out.join("truth.png"))?;
    let error: Vec<f64> = image.iter().zip(&truth.data).map(|(a, b)| (a - b).abs()).collect();
    rftwin::inverse::plot::heatmaps(&out.join("truth_image_error.png"), &[("ground truth", &ris::flip(&truth.data, rows, cols)), ("INR image", &ris::flip(image, rows, cols)), ("|error|", &ris::flip(&error, rows, cols))], rows, cols)?;
    let epochs: Vec<f64> = (0..psnr_curve.len()).map(|e| e as f64).collect();
    let train_psnr: Vec<f64> = training.history.iter().map(|r| -10.0 * r.train_mse.log10()).collect();
    rftwin::inverse::plot::lines(&out.join("training.png"), "INR training", "epoch", "dB", &epochs, &[("image PSNR", psnr_curve.to_vec()), ("train PSNR (measurement domain)", train_psnr)], false)?;
    if let Some(r) = cli.render {
        let r = r as usize;
        let rendered: Vec<f64> = training.network.forward(&training.network.encode(&grid_points(r, r))?).iter().map(|&v| v as f64).collect();
        GrayImage { rows: r, cols: r, data: rendered }.save(&out.join("render.png"))?;
    }
    println!(
        "PSNR {p:.2} dB, SSIM {s:.3}, MSE {m:.2e} after {} epochs (best at {}{}); {} s per epoch; wrote {}",
        training.history.len(),
        training.best_epoch,
        if training.stopped_early { ", stopped early" } else { "" },
        seconds_per_epoch.map_or("— (resumed a finished run)".to_string(), |v| format!("{v:.3}")),
        out.display()
    );
    let backend = if cli.gpu { gpu_backend()? } else { "cpu".to_string() };
    let summary = json!({
        "psnr_db": p, "ssim": s, "mse": m, "epochs": training.history.len(), "best_epoch": training.best_epoch,
        "seconds_per_epoch": seconds_per_epoch, "setup_s": setup_s,
        "stage_seconds": {"mlp_forward": stages[0], "physics": stages[1], "mlp_backward": stages[2], "optimiser": stages[3]}, "backend": backend, "operator": if cli.dense { "dense" } else { "factored" }, "operator_mb": op32.bytes() as f64 / 1e6, "threads": rayon::current_num_threads(), "peak_memory_mb": common::peak_memory_mb(),
        "ris": format!("{:?}", config.ris_mode).to_lowercase(), "k": config.configurations, "solve_interference": cli.solve_interference,
    });
    common::write_json(&out.join("summary.json"), &summary)?;
    println!("summary: {summary}");
    Ok(())
}

/// The adapter the `--gpu` passes ran on.
#[cfg(feature = "gpu")]
fn gpu_backend() -> Result<String> {
    Ok(format!("gpu: {}", rftwin::gpu::context::shared()?.describe()))
}

/// Without the `gpu` feature the training has refused `--gpu` before this is asked.
#[cfg(not(feature = "gpu"))]
fn gpu_backend() -> Result<String> {
    anyhow::bail!("--gpu needs rftwin's `gpu` feature")
}
