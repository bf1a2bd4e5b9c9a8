//! Table II of paper 000: the INR imager and its ablations — random RIS + sine + Fourier
//! features (α = 0.01 and α = 0), DFT RIS configurations, no encoding, ReLU, no RIS — on
//! the built-in silhouette, at 200 epochs and (with `--epochs N`) at N.
//!
//! ```text
//! cargo run --release --example ris_imaging_table2                 # 200 epochs, ≈ 6 min on 2 cores
//! cargo run --release --example ris_imaging_table2 -- --epochs 1000
//! ```
//!
//! Writes `table2.md` and `summary.json` to `--out` (default `out/ris_imaging_table2`);
//! ends with one `summary: {json}` line.

mod common;
#[path = "common/ris.rs"]
mod ris;

use anyhow::Result;
use clap::Parser;
use rftwin::inverse::inr::{Activation, TrainOptions};
use rftwin::isac::metrics::{mse, psnr, ssim};
use rftwin::isac::ris_imaging::{RisImagingConfig, RisMode};
use serde_json::json;

/// Table II of paper 000: the INR imager and its ablations at 200 epochs and, with
/// --epochs, at that budget too; prints the table and writes table2.md.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// A second epoch budget besides 200
    #[arg(long)]
    epochs: Option<usize>,
    /// Target: a PNG file, `phantom`, or `silhouette:S` (default: the silhouette of seed 0)
    #[arg(long)]
    target: Option<String>,
    /// Seed of the RIS phases, the noise and the networks
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value = "out/ris_imaging_table2")]
    out: std::path::PathBuf,
    /// Empty the output directory first
    #[arg(long)]
    fresh: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let out = common::prepare_output(&cli.out, cli.fresh)?;
    let seed = cli.seed;
    let mut budgets = vec![200usize];
    match cli.epochs {
        Some(0) => anyhow::bail!("--epochs 0: train at least one epoch"),
        Some(e) if e != 200 => budgets.push(e),
        _ => {}
    }
    let base = RisImagingConfig { seed, ..Default::default() };
    let [_, rows, cols] = base.roi.dims;
    let truth = ris::target(cli.target.as_deref(), rows, cols)?;
    // (column, RIS mode, activation, encoding, α)
    let columns = [
        ("random + sin + PE, α = 0.01", RisMode::Random, Activation::Sin, true, 0.01),
        ("random + sin + PE, α = 0", RisMode::Random, Activation::Sin, true, 0.0),
        ("DFT RIS", RisMode::Dft, Activation::Sin, true, 0.01),
        ("no encoding", RisMode::Random, Activation::Sin, false, 0.01),
        ("ReLU", RisMode::Random, Activation::Relu, true, 0.01),
        ("no RIS", RisMode::None, Activation::Sin, true, 0.01),
    ];
    let mut table = String::from("| column | epochs | MSE | PSNR [dB] | SSIM | s/epoch |\n|---|---|---|---|---|---|\n");
    let mut results = Vec::new();
    for (name, mode, activation, encoding, alpha) in columns {
        let config = RisImagingConfig { ris_mode: mode, ..base.clone() };
        let (op, y, _) = ris::measurements(&config, &truth.data)?;
        for &epochs in &budgets {
            let mut options = TrainOptions { epochs, alpha, seed, ..Default::default() };
            options.network.activation = activation;
            options.network.no_encoding = !encoding;
            let run = ris::train_with_progress(name, &op, &y, &truth, &options, None)?;
            let (m, p, s) = (mse(&run.image, &truth.data)?, psnr(&run.image, &truth.data)?, ssim(&run.image, &truth.data, rows, cols)?);
            println!("{name:<28} {epochs:>5} epochs: MSE {m:.4}, PSNR {p:6.2} dB, SSIM {s:.3}");
            table += &format!("| {name} | {epochs} | {m:.4} | {p:.2} | {s:.3} | {:.3} |\n", run.seconds_per_epoch.unwrap_or(0.0));
            results.push(json!({"column": name, "epochs": epochs, "mse": m, "psnr_db": p, "ssim": s, "seconds_per_epoch": run.seconds_per_epoch}));
        }
    }
    println!("\n{table}");
    rftwin::core::io::write_atomic(&out.join("table2.md"), table.as_bytes())?;
    let summary = json!({"rows": results});
    common::write_json(&out.join("summary.json"), &summary)?;
    println!("summary: {summary}");
    Ok(())
}
