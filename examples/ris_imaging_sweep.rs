//! Figs. 9 and 10 of paper 000: INR image quality over the ROI distance D and the number
//! of RIS configurations K, everything else at the defaults (100×100 ROI of λ/5, 50×50
//! random RIS, α = 0.01). The paper finds a best distance that shrinks as K grows (60λ at
//! K = 5, 30λ at K = 40) and, at D = 20λ, SSIM rising from 0.1 to 0.8 as K goes 5 → 80.
//!
//! ```text
//! cargo run --release --example ris_imaging_sweep            # D ∈ {20, 40, 80}λ × K ∈ {5, 20, 40}, 200 epochs, ≈ 10 min on 2 cores
//! cargo run --release --example ris_imaging_sweep -- --full  # the paper's 7 × 5 grid (≈ 40 min)
//! cargo run --release --example ris_imaging_sweep -- --distances "20,60" --ks "5,80" --epochs 1000
//! ```
//!
//! Writes `psnr_map.png`, `ssim_map.png` (heat maps, D down the rows, K along the
//! columns), `sweep.md` and `summary.json` to `--out` (default `out/ris_imaging_sweep`);
//! ends with one `summary: {json}` line.

mod common;
#[path = "common/ris.rs"]
mod ris;

use anyhow::{bail, Result};
use clap::Parser;
use rftwin::inverse::inr::TrainOptions;
use rftwin::inverse::plot::{maps, Scale};
use rftwin::isac::metrics::{psnr, ssim};
use rftwin::isac::ris_imaging::RisImagingConfig;
use serde_json::json;

/// Figs. 9/10 of paper 000: INR image quality over the ROI distance D and the number of
/// RIS configurations K; heat maps, a markdown table and summary.json.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// The paper's 7 × 5 grid (D ∈ {20…200}λ, K ∈ {5…80}) instead of the reduced 3 × 3
    #[arg(long)]
    full: bool,
    /// Distances [λ], comma-separated (overrides the grid's)
    #[arg(long, value_delimiter = ',')]
    distances: Vec<f64>,
    /// Numbers of configurations K, comma-separated (overrides the grid's)
    #[arg(long, value_delimiter = ',')]
    ks: Vec<usize>,
    /// Training epochs per cell
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Target: a PNG file, `phantom`, or `silhouette:S` (default: the silhouette of seed 0)
    #[arg(long)]
    target: Option<String>,
    /// Seed of the RIS phases, the noise and the networks
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value = "out/ris_imaging_sweep")]
    out: std::path::PathBuf,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let (grid_d, grid_k): (Vec<f64>, Vec<usize>) = if cli.full { (vec![20.0, 40.0, 60.0, 80.0, 100.0, 150.0, 200.0], vec![5, 10, 20, 40, 80]) } else { (vec![20.0, 40.0, 80.0], vec![5, 20, 40]) };
    let distances = if cli.distances.is_empty() { grid_d } else { cli.distances.clone() };
    let ks = if cli.ks.is_empty() { grid_k } else { cli.ks.clone() };
    if let Some(d) = distances.iter().find(|d| !(d.is_finite() && **d > 0.0)) {
        bail!("--distances: {d} λ is not a positive distance");
    }
    if ks.contains(&0) {
        bail!("--ks: K = 0 gives no measurement; use K ≥ 1");
    }
    let (epochs, seed) = (cli.epochs, cli.seed);
    if epochs == 0 {
        bail!("--epochs 0: train at least one epoch");
    }
    let out = common::prepare_output(&cli.out, false)?;
    let base = RisImagingConfig { seed, ..Default::default() };
    let [_, rows, cols] = base.roi.dims;
    let truth = ris::target(cli.target.as_deref(), rows, cols)?;
    let lambda = base.wavelength();

    let (mut psnr_map, mut ssim_map) = (vec![0.0; distances.len() * ks.len()], vec![0.0; distances.len() * ks.len()]);
    let mut cells = Vec::new();
    let mut table = format!("| D [λ] | {} |\n|---|{}\n", ks.iter().map(|k| format!("K = {k}")).collect::<Vec<_>>().join(" | "), "---|".repeat(ks.len()));
    for (i, &d) in distances.iter().enumerate() {
        let mut row_cells = Vec::new();
        for (j, &k) in ks.iter().enumerate() {
            let mut config = RisImagingConfig { configurations: k, ..base.clone() };
            config.roi.centre.x = d * lambda;
            let (op, y, _) = ris::measurements(&config, &truth.data)?;
            let options = TrainOptions { epochs, seed, ..Default::default() };
            let run = ris::train_with_progress(&format!("D = {d}λ, K = {k}"), &op, &y, &truth, &options, None)?;
            let (p, s) = (psnr(&run.image, &truth.data)?, ssim(&run.image, &truth.data, rows, cols)?);
            println!("D = {d:>5}λ  K = {k:>3}: PSNR {p:6.2} dB  SSIM {s:.3}");
            // heat-map row 0 is drawn at the bottom: the smallest D at the bottom
            psnr_map[i * ks.len() + j] = p;
            ssim_map[i * ks.len() + j] = s;
            row_cells.push(format!("{p:.2} dB / {s:.3}"));
            cells.push(json!({"distance_wavelengths": d, "k": k, "psnr_db": p, "ssim": s}));
        }
        table.push_str(&format!("| {d} | {} |\n", row_cells.join(" | ")));
    }
    let extent = (0.0, ks.len() as f64, 0.0, distances.len() as f64);
    let x_desc = format!("K: {}", ks.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", "));
    let y_desc = format!("D [λ]: {}", distances.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "));
    maps(&out.join("psnr_map.png"), &[("PSNR [dB]", &psnr_map, Scale::Sequential)], distances.len(), ks.len(), extent, &x_desc, &y_desc)?;
    maps(&out.join("ssim_map.png"), &[("SSIM", &ssim_map, Scale::Sequential)], distances.len(), ks.len(), extent, &x_desc, &y_desc)?;
    rftwin::core::io::write_atomic(&out.join("sweep.md"), format!("PSNR / SSIM after {epochs} epochs\n\n{table}").as_bytes())?;
    println!("{table}");
    // the best distance for each K (the paper's D₀ trend)
    let best_distance: Vec<_> = (0..ks.len())
        .map(|j| {
            let i = (0..distances.len()).max_by(|&a, &b| ssim_map[a * ks.len() + j].total_cmp(&ssim_map[b * ks.len() + j])).unwrap_or(0);
            json!({"k": ks[j], "best_distance_wavelengths": distances[i]})
        })
        .collect();
    let summary = json!({"epochs": epochs, "cells": cells, "best_distance_by_ssim": best_distance});
    common::write_json(&out.join("summary.json"), &summary)?;
    println!("summary: {summary}");
    Ok(())
}
