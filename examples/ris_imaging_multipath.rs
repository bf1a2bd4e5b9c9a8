//! Fig. 14 of paper 000: imaging under multipath from the ROI's surroundings. Four
//! background scatterers couple into the ROI (`vec(H_roi-bg) = Aσ`, spec §6), scaled to
//! each signal-to-interference ratio; the data are background-calibrated (eq. 24, 10
//! empty-ROI acquisitions). Three imagers on the default configuration: the INR learning
//! `Â` jointly with the image (P3), the INR without interference learning, and the INR on
//! interference-free data.
//!
//! ```text
//! cargo run --release --example ris_imaging_multipath                  # SIR −10, 0, 10 dB, 200 epochs, ≈ 8 min on 2 cores
//! cargo run --release --example ris_imaging_multipath -- --sir "-20,-10,0,10,20" --epochs 1000
//! ```
//!
//! Flags: `--sir "…"` (dB), `--epochs N`, `--calibration L`, `--scatterers P`, `--target
//! FILE.png`, `--seed S`, `--out DIR`. Writes `psnr_vs_sir.png`, `images_sir_<…>.png`,
//! `summary.json` to `--out` (default `out/ris_imaging_multipath`); ends with one
//! `summary: {json}` line.

mod common;
#[path = "common/ris.rs"]
mod ris;

use anyhow::{bail, Result};
use clap::Parser;
use rftwin::inverse::inr::{interference, TrainOptions};
use rftwin::isac::metrics::{psnr, ssim};
use rftwin::isac::ris_imaging::multipath::{calibrated_noise_std, interference_measurements, ira_db, response, scaled_to_sir, sir_db, Background};
use rftwin::isac::ris_imaging::factored::FactoredOperator;
use rftwin::isac::ris_imaging::RisImagingConfig;
use serde_json::json;

/// Fig. 14 of paper 000: imaging under background multipath — learning the interference
/// matrix jointly (P3) vs no interference learning vs interference-free, over SIR.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Signal-to-interference ratios [dB], comma-separated
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, default_values_t = vec![-10.0, 0.0, 10.0])]
    sir: Vec<f64>,
    /// Training epochs
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Empty-ROI acquisitions averaged by the background calibration
    #[arg(long, default_value_t = 10)]
    calibration: usize,
    /// Background scatterers
    #[arg(long, default_value_t = 4)]
    scatterers: usize,
    /// Target: a PNG file, `phantom`, or `silhouette:S` (default: the silhouette of seed 0)
    #[arg(long)]
    target: Option<String>,
    /// Solve Â in closed form every epoch (variable projection) instead of the paper's
    /// Adam steps
    #[arg(long)]
    solve_interference: bool,
    /// Seed of the RIS phases, background, noise and networks
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value = "out/ris_imaging_multipath")]
    out: std::path::PathBuf,
    /// Empty the output directory first
    #[arg(long)]
    fresh: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let sirs = cli.sir.clone();
    if sirs.is_empty() || sirs.iter().any(|s| !s.is_finite()) {
        bail!("--sir: give at least one finite value");
    }
    let (epochs, seed, repeats, scatterers) = (cli.epochs, cli.seed, cli.calibration, cli.scatterers);
    if epochs == 0 || repeats == 0 || scatterers == 0 {
        bail!("--epochs, --calibration and --scatterers must be ≥ 1");
    }
    let out = common::prepare_output(&cli.out, cli.fresh)?;
    let config = RisImagingConfig { seed, ..Default::default() };
    let [_, rows, cols] = config.roi.dims;
    let truth = ris::target(cli.target.as_deref(), rows, cols)?;
    let operator = FactoredOperator::new(&config)?;
    let signal = operator.apply_linear(&truth.data)?;
    let model = operator.to_f32().without_offset();
    let background = Background::draw(scatterers, seed)?;
    let a0 = background.interference(&config)?;
    let std = calibrated_noise_std(&config, repeats)?;
    let pairs = config.tx.elements * config.rx.elements;
    let options = TrainOptions { epochs, seed, ..Default::default() };
    let metrics = |image: &[f64]| -> Result<(f64, f64)> { Ok((psnr(image, &truth.data)?, ssim(image, &truth.data, rows, cols)?)) };

    let clean = ris::train_with_progress("interference-free", &model, &ris::add_noise(&signal, std, seed), &truth, &options, None)?;
    let (free_psnr, free_ssim) = metrics(&clean.image)?;
    println!("interference-free: PSNR {free_psnr:.2} dB, SSIM {free_ssim:.3}");
    let mut rows_json = Vec::new();
    let mut curves: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for &target in &sirs {
        let a = scaled_to_sir(&signal, &config, &a0, &truth.data, target)?;
        let measured_sir = sir_db(&signal, &config, &a, &truth.data)?;
        let interference_y = interference_measurements(&config, &a, &truth.data)?;
        let y_clean: Vec<f64> = signal.iter().zip(&interference_y).map(|(s, i)| s + i).collect();
        let y = ris::add_noise(&y_clean, std, seed);
        let learn_options = TrainOptions { interference_pairs: Some(pairs), solve_interference: cli.solve_interference, ..options.clone() };
        let learnt = ris::train_with_progress(&format!("SIR {target} dB, learning Â"), &model, &y, &truth, &learn_options, None)?;
        let plain = ris::train_with_progress(&format!("SIR {target} dB, no learning"), &model, &y, &truth, &options, None)?;
        let (p1, s1) = metrics(&learnt.image)?;
        let (p0, s0) = metrics(&plain.image)?;
        let a_hat = learnt.training.interference.as_deref().ok_or_else(|| anyhow::anyhow!("the training returned no interference matrix"))?;
        let ira = ira_db(&interference::response(a_hat, pairs, &learnt.image), &response(&a, &truth.data)?)?;
        println!("SIR {measured_sir:6.2} dB: learning Â PSNR {p1:.2} dB / SSIM {s1:.3} (IRA {ira:.1} dB); no learning {p0:.2} dB / {s0:.3}");
        curves[0].push(p1);
        curves[1].push(p0);
        curves[2].push(free_psnr);
        rows_json.push(json!({"sir_db": measured_sir, "learning": {"psnr_db": p1, "ssim": s1, "ira_db": ira}, "no_learning": {"psnr_db": p0, "ssim": s0}}));
        let panels = [("ground truth", ris::flip(&truth.data, rows, cols)), ("learning Â", ris::flip(&learnt.image, rows, cols)), ("no learning", ris::flip(&plain.image, rows, cols)), ("interference-free", ris::flip(&clean.image, rows, cols))];
        let refs: Vec<(&str, &[f64])> = panels.iter().map(|(t, d)| (*t, d.as_slice())).collect();
        rftwin::inverse::plot::heatmaps(&out.join(format!("images_sir_{target}.png")), &refs, rows, cols)?;
    }
    let [learning, no_learning, free] = curves;
    rftwin::inverse::plot::lines(&out.join("psnr_vs_sir.png"), "PSNR versus SIR", "SIR [dB]", "PSNR [dB]", &sirs, &[("learning Â (P3)", learning), ("no interference learning", no_learning), ("interference-free", free)], false)?;
    let summary = json!({"epochs": epochs, "interference": if cli.solve_interference { "solved every epoch" } else { "Adam steps" }, "calibration_repeats": repeats, "scatterers": scatterers, "interference_free": {"psnr_db": free_psnr, "ssim": free_ssim}, "rows": rows_json});
    common::write_json(&out.join("summary.json"), &summary)?;
    println!("summary: {summary}");
    Ok(())
}
