//! Table IV of paper 000: the INR imager against the FT (paper 001's SAA after DFT
//! ECR recovery) and CS (ISTA on the explicit sensing matrix) imagers on one channel —
//! only the TX–ROI–RIS–RX term, one TX and one RX antenna, DFT RIS phases, D = 40λ — for
//! pixel sizes λ/5, λ/2.5 and λ over the same 20λ × 20λ region. The INR sees K = 500 and
//! K = 2500 configurations, FT and CS the full K = N_s = 2500.
//!
//! ```text
//! cargo run --release --example ris_imaging_baselines                  # 300 INR epochs, ≈ 8 min on 2 cores
//! cargo run --release --example ris_imaging_baselines -- --epochs 1000 --pixels 5
//! ```
//!
//! Flags: `--target FILE.png|phantom` (else the built-in silhouette), `--epochs N`, `--pixels
//! "5,2.5,1"` (λ/ξ_v), `--k-inr "500,2500"`, `--sparsity F` (fraction of voxels CS keeps,
//! default 0.15), `--iterations N` (CS), `--seed S`, `--out DIR`. Writes
//! `table4_<λ/ξ>.png` (truth | INR… | FT | CS), `table4.md` and `summary.json` to `--out`
//! (default `out/ris_imaging_baselines`); ends with one `summary: {json}` line.

mod common;
#[path = "common/ris.rs"]
mod ris;

use anyhow::{bail, Result};
use clap::Parser;
use rftwin::inverse::inr::TrainOptions;
use rftwin::isac::ft::sparse::SparseOptions;
use rftwin::isac::metrics::{psnr, ssim};
use rftwin::isac::ris_imaging::baselines::TableIvView;
use rftwin::isac::ris_imaging::operator::ForwardOperator;
use rftwin::isac::ris_imaging::{RisImagingConfig, RisMode, SensingPaths};
use serde_json::json;
use std::time::Instant;

/// Table IV of paper 000: the INR imager against the FT and CS imagers on the
/// TX–ROI–RIS–RX channel (one TX and one RX antenna, DFT RIS phases) at several pixel
/// sizes over the same 20λ × 20λ region.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Target: a PNG file, `phantom`, or `silhouette:S` (default: the silhouette of seed 0)
    #[arg(long)]
    target: Option<String>,
    /// INR training epochs
    #[arg(long, default_value_t = 300)]
    epochs: usize,
    /// Pixel sizes as λ/ξ_v, comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = vec![5.0, 2.5, 1.0])]
    pixels: Vec<f64>,
    /// Configurations K the INR sees, comma-separated (FT and CS see K = N_s)
    #[arg(long, value_delimiter = ',', default_values_t = vec![500, 2500])]
    k_inr: Vec<usize>,
    /// Fraction of the voxels CS keeps
    #[arg(long, default_value_t = 0.15)]
    sparsity: f64,
    /// CS (ISTA) iterations
    #[arg(long, default_value_t = 50)]
    iterations: usize,
    /// Seed of the noise and the networks
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value = "out/ris_imaging_baselines")]
    out: std::path::PathBuf,
    /// Empty the output directory first
    #[arg(long)]
    fresh: bool,
}

/// The Table IV channel at pixel size `λ / per_wavelength` with `k` DFT configurations.
fn table_iv(per_wavelength: f64, k: usize, seed: u64) -> Result<RisImagingConfig> {
    let mut config = RisImagingConfig { configurations: k, ris_mode: RisMode::Dft, paths: SensingPaths::roi_ris_only(), seed, ..Default::default() };
    let lambda = config.wavelength();
    let side = 20.0 * per_wavelength;
    if (side - side.round()).abs() > 1e-9 || side < 2.0 {
        bail!("--pixels {per_wavelength}: 20λ must hold a whole number (≥ 2) of λ/{per_wavelength} pixels");
    }
    let n = side.round() as usize;
    config.roi.dims = [1, n, n];
    config.roi.voxel = lambda / per_wavelength;
    config.tx.elements = 1;
    config.rx.elements = 1;
    Ok(config)
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let (epochs, seed, pixels, k_inr, sparsity_fraction, iterations) = (cli.epochs, cli.seed, cli.pixels.clone(), cli.k_inr.clone(), cli.sparsity, cli.iterations);
    if !(sparsity_fraction > 0.0 && sparsity_fraction <= 1.0) {
        bail!("--sparsity {sparsity_fraction}: a fraction of the voxels in (0, 1]");
    }
    if epochs == 0 || iterations == 0 || pixels.is_empty() || k_inr.contains(&0) {
        bail!("--epochs and --iterations must be ≥ 1, --pixels non-empty and every --k-inr ≥ 1");
    }
    for &p in &pixels {
        table_iv(p, 1, seed)?;
    }
    let out = common::prepare_output(&cli.out, cli.fresh)?;
    let full = ris::target(cli.target.as_deref(), 100, 100)?;
    let mut table = String::from("| pixel | algorithm | K | PSNR [dB] | SSIM | seconds |\n|---|---|---|---|---|---|\n");
    let mut rows_json = Vec::new();
    for &per_wavelength in &pixels {
        let config = table_iv(per_wavelength, 2500, seed)?;
        let n = config.roi.dims[1];
        let truth = full.resized(n, n)?;
        let mut panels: Vec<(String, Vec<f64>)> = vec![("ground truth".into(), truth.data.clone())];
        let mut record = |name: &str, k: usize, image: &[f64], seconds: f64, panels: &mut Vec<(String, Vec<f64>)>| -> Result<()> {
            let (p, s) = (psnr(image, &truth.data)?, ssim(image, &truth.data, n, n)?);
            println!("λ/{per_wavelength:<4} {name:<4} K = {k:>4}: PSNR {p:6.2} dB, SSIM {s:.3} ({seconds:.1} s)");
            table += &format!("| λ/{per_wavelength} | {name} | {k} | {p:.2} | {s:.3} | {seconds:.1} |\n");
            rows_json.push(json!({"pixel": format!("lambda/{per_wavelength}"), "algorithm": name, "k": k, "psnr_db": p, "ssim": s, "seconds": seconds}));
            panels.push((format!("{name} K={k}"), image.to_vec()));
            Ok(())
        };
        for &k in &k_inr {
            let config = table_iv(per_wavelength, k, seed)?;
            let (op, y, _) = ris::measurements(&config, &truth.data)?;
            let started = Instant::now();
            let options = TrainOptions { epochs, seed, ..Default::default() };
            let run = ris::train_with_progress(&format!("INR λ/{per_wavelength} K={k}"), &op, &y, &truth, &options, None)?;
            record("INR", k, &run.image, started.elapsed().as_secs_f64(), &mut panels)?;
        }
        // FT and CS: the same channel with all 2500 DFT configurations, in f64
        let operator = ForwardOperator::new(&config)?;
        let std = (config.noise_variance() / 2.0).sqrt() * config.scale;
        let y: Vec<f64> = ris::add_noise(&operator.apply(&truth.data)?, std, config.seed).iter().map(|&v| v as f64).collect();
        drop(operator);
        let view = TableIvView::new(&config)?;
        let started = Instant::now();
        let ft = view.ft_image(&y)?;
        record("FT", 2500, &ft.image, started.elapsed().as_secs_f64(), &mut panels)?;
        let started = Instant::now();
        let options = SparseOptions { sparsity: ((sparsity_fraction * (n * n) as f64).round() as usize).max(1), iterations, ..Default::default() };
        let cs = view.cs_image(&y, &options, 4 << 30)?;
        record("CS", 2500, &cs.image, started.elapsed().as_secs_f64(), &mut panels)?;
        let flipped: Vec<(String, Vec<f64>)> = panels.iter().map(|(t, d)| (t.clone(), ris::flip(d, n, n))).collect();
        let refs: Vec<(&str, &[f64])> = flipped.iter().map(|(t, d)| (t.as_str(), d.as_slice())).collect();
        rftwin::inverse::plot::heatmaps(&out.join(format!("table4_{per_wavelength}.png")), &refs, n, n)?;
    }
    println!("\n{table}");
    rftwin::core::io::write_atomic(&out.join("table4.md"), table.as_bytes())?;
    let summary = json!({"epochs": epochs, "rows": rows_json});
    common::write_json(&out.join("summary.json"), &summary)?;
    println!("summary: {summary}");
    Ok(())
}
