//! Fig. 13 of paper 000: a 3-D target imaged on a coarse λ/2 voxel grid with 10
//! subcarriers, then rendered from the trained field at finer resolutions (λ/5 over the
//! whole box, λ/20 on the range slice N_x/2) — the INR is a continuous function of
//! position, so the training grid does not fix the output grid.
//!
//! The ROI is the paper's 1.6 × 0.4 × 2 m box (y × x × z) as 32 × 8 × 40 voxels at
//! D = 40λ; the band is 10 subcarriers over 400 MHz around 3 GHz (range resolution
//! c/2B = 0.375 m, about the box's depth). The target is the built-in silhouette extruded
//! 0.2 m deep. The default RIS is 50×50 (the paper's 100×100 with `--ris-elements 100`:
//! 4× the one-off precomputation).
//!
//! ```text
//! cargo run --release --example ris_imaging_3d                       # 300 epochs, ≈ 6 min on 2 cores
//! cargo run --release --example ris_imaging_3d -- --epochs 1000 --ris-elements 100
//! ```
//!
//! Flags: `--epochs N`, `--k N`, `--ris-elements N` (N×N), `--subcarriers I`, `--depth
//! SLICES` (target depth in λ/2 slices), `--target FILE.png|phantom` (extruded), `--seed
//! S`, `--out DIR`. Writes `mip.png` (truth | image | error, maximum-intensity projections
//! along range), `slices_truth.png` and `slices_image.png` (every range slice), `render_lambda5_mip.png`,
//! `render_lambda20_slice.png`, `training.png` and `summary.json` to `--out` (default
//! `out/ris_imaging_3d`); ends with one `summary: {json}` line.

mod common;
#[path = "common/ris.rs"]
mod ris;

use anyhow::{bail, Result};
use clap::Parser;
use rftwin::inverse::inr::{voxel_points, TrainOptions};
use rftwin::isac::metrics::{mse, psnr, ssim};
use rftwin::isac::ris_imaging::RisImagingConfig;
use rftwin::isac::targets::GrayImage;
use rftwin::isac::volume::Volume;
use rftwin::isac::Band;
use serde_json::json;

/// Points per axis when the span between the first and last voxel centres, `(n − 1)·from`,
/// is sampled every `to`.
fn resampled(n: usize, from: f64, to: f64) -> usize {
    ((n - 1) as f64 * from / to).round() as usize + 1
}

/// Fig. 13 of paper 000: a 3-D target on a λ/2 voxel grid with 10 subcarriers, rendered
/// from the trained field at λ/5 (whole box) and λ/20 (range slice N_x/2, a training slice).
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Training epochs
    #[arg(long, default_value_t = 300)]
    epochs: usize,
    /// RIS configurations K
    #[arg(long, default_value_t = 40)]
    k: usize,
    /// RIS elements per side (the paper: 100)
    #[arg(long, default_value_t = 50)]
    ris_elements: usize,
    /// Subcarriers over 400 MHz
    #[arg(long, default_value_t = 10)]
    subcarriers: usize,
    /// Target depth in λ/2 range slices
    #[arg(long, default_value_t = 4)]
    depth: usize,
    /// Target: a PNG file, `phantom`, or `silhouette:S`, extruded (default: the silhouette of seed 0)
    #[arg(long)]
    target: Option<String>,
    /// Seed of the RIS phases, the noise and the network
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Use the dense operator instead of its factors (4× the memory, slower here)
    #[arg(long)]
    dense: bool,
    /// Run the network's passes on the GPU (the operator and the optimiser stay on the CPU)
    #[arg(long)]
    gpu: bool,
    /// Output directory
    #[arg(long, default_value = "out/ris_imaging_3d")]
    out: std::path::PathBuf,
    /// Start over instead of resuming from the checkpoint in --out
    #[arg(long)]
    fresh: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let (epochs, seed, ris_n, subcarriers, depth) = (cli.epochs, cli.seed, cli.ris_elements, cli.subcarriers, cli.depth);
    if subcarriers == 0 {
        bail!("--subcarriers 0: at least one subcarrier");
    }
    let mut config = RisImagingConfig { configurations: cli.k, seed, ..Default::default() };
    let lambda = config.wavelength();
    // 400 MHz between the outer subcarriers (B = (I − 1)Δf)
    let spacing = if subcarriers > 1 { 400e6 / (subcarriers - 1) as f64 } else { 0.0 };
    config.band = Band { spacing, subcarriers, ..config.band };
    config.ris.elements = [ris_n, ris_n];
    config.roi.dims = [8, 40, 32];
    config.roi.voxel = lambda / 2.0;
    config.validate()?;
    let options = TrainOptions { epochs, seed, gpu: cli.gpu, ..Default::default() };
    options.validate()?;
    let out = common::prepare_output(&cli.out, cli.fresh)?;
    let [nx, nz, ny] = config.roi.dims;
    let silhouette = ris::target(cli.target.as_deref(), nz, ny)?;
    let truth = Volume::extruded(&silhouette, config.roi.dims, depth)?;
    let truth_data = truth.on_grid(&config.roi)?.to_vec();

    let (op, y, setup_s) = ris::measurements_with(&config, &truth_data, cli.dense)?;
    println!(
        "{ris_n}×{ris_n} RIS, K = {}, {subcarriers} subcarriers over {:.0} MHz, ROI {nx}×{nz}×{ny} voxels of λ/2, {} measurements; operator {:.0} MB (f32{}) built in {setup_s:.1} s",
        config.configurations,
        spacing * (subcarriers.max(1) - 1) as f64 / 1e6,
        op.rows(),
        op.bytes() as f64 / 1e6,
        if cli.dense { "" } else { ", in factors" }
    );
    let points = voxel_points(config.roi.dims);
    let options = TrainOptions { checkpoint: Some(out.join("checkpoint.json")), ..options };
    let run = ris::train_on_points("INR 3-D", &*op, &y, &points, &truth_data, &options, None)?;
    let image = Volume { dims: config.roi.dims, data: run.image.clone() };
    let (m, p) = (mse(&image.data, &truth_data)?, psnr(&image.data, &truth_data)?);
    let (truth_mip, image_mip) = (truth.max_projection(), image.max_projection());
    let mip_ssim = ssim(&image_mip.data, &truth_mip.data, nz, ny)?;

    let error: Vec<f64> = image_mip.data.iter().zip(&truth_mip.data).map(|(a, b)| (a - b).abs()).collect();
    let flip = |d: &[f64], r: usize, c: usize| ris::flip(d, r, c);
    rftwin::inverse::plot::heatmaps(&out.join("mip.png"), &[("truth (MIP)", &flip(&truth_mip.data, nz, ny)), ("INR image (MIP)", &flip(&image_mip.data, nz, ny)), ("|error|", &flip(&error, nz, ny))], nz, ny)?;
    // every range slice side by side, one file for the truth and one for the image
    for (name, volume) in [("slices_truth.png", &truth), ("slices_image.png", &image)] {
        let slices: Vec<(String, Vec<f64>)> = (0..nx).map(|ix| Ok((format!("range slice {ix}"), flip(&volume.slice(ix)?.data, nz, ny)))).collect::<Result<_>>()?;
        let panels: Vec<(&str, &[f64])> = slices.iter().map(|(t, d)| (t.as_str(), d.as_slice())).collect();
        rftwin::inverse::plot::heatmaps(&out.join(name), &panels, nz, ny)?;
    }

    // renders off the training grid
    let voxel = config.roi.voxel;
    let fine = [resampled(nx, voxel, lambda / 5.0), resampled(nz, voxel, lambda / 5.0), resampled(ny, voxel, lambda / 5.0)];
    let rendered = Volume { dims: fine, data: ris::render(&run.training.network, &voxel_points(fine))? };
    rendered.max_projection().save(&out.join("render_lambda5_mip.png"))?;
    let (rz, ry) = (resampled(nz, voxel, lambda / 20.0), resampled(ny, voxel, lambda / 20.0));
    let norm = |i: usize, n: usize| i as f64 / (n - 1) as f64;
    // a training range slice through the body: with 8 slices the field is fitted only at
    // them, and between them (x_norm = 0.5 falls between slices 3 and 4) it is not
    // constrained
    let x_slice = norm(nx / 2, nx);
    let slice_points: Vec<f64> = (0..rz).flat_map(|r| (0..ry).flat_map(move |c| [x_slice, norm(r, rz), norm(c, ry)])).collect();
    GrayImage { rows: rz, cols: ry, data: ris::render(&run.training.network, &slice_points)? }.save(&out.join("render_lambda20_slice.png"))?;

    let epochs_axis: Vec<f64> = (0..run.psnr.len()).map(|e| e as f64).collect();
    rftwin::inverse::plot::lines(&out.join("training.png"), "3-D INR training", "epoch", "volume PSNR [dB]", &epochs_axis, &[("PSNR", run.psnr.clone())], false)?;
    println!(
        "volume PSNR {p:.2} dB (MSE {m:.2e}), MIP SSIM {mip_ssim:.3} after {} epochs; renders {}×{}×{} (λ/5) and {rz}×{ry} (λ/20); {} s per epoch; wrote {}",
        run.training.history.len(),
        fine[0],
        fine[1],
        fine[2],
        run.seconds_per_epoch.map_or("—".to_string(), |v| format!("{v:.3}")),
        out.display()
    );
    let summary = json!({
        "psnr_db": p, "mse": m, "mip_ssim": mip_ssim, "epochs": run.training.history.len(), "best_epoch": run.training.best_epoch,
        "seconds_per_epoch": run.seconds_per_epoch, "setup_s": setup_s, "measurements": op.rows(), "voxels": op.voxels(), "operator": if cli.dense { "dense" } else { "factored" }, "operator_mb": op.bytes() as f64 / 1e6, "network_on_gpu": cli.gpu,
        "render_lambda5_dims": fine, "render_lambda20_slice": [rz, ry], "peak_memory_mb": common::peak_memory_mb(),
    });
    common::write_json(&out.join("summary.json"), &summary)?;
    println!("summary: {summary}");
    Ok(())
}
