//! Successive imaging with priors (paper 000, Sec. IV-B, Table VI): a silhouette moves
//! over three frames; frame 0 is imaged from scratch, frames 1 and 2 both from scratch and
//! from the previous frame's trained network, with the same epoch budget.
//!
//! ```text
//! cargo run --release --example ris_imaging_dynamic                     # 1000 + 2×2×200 epochs
//! cargo run --release --example ris_imaging_dynamic -- --first-epochs 5000 --two-people
//! cargo run --release --example ris_imaging_dynamic -- --paper        # the paper's protocol: 5000 + 2×2×200 epochs
//! ```
//!
//! The defaults are the reference implementation's rate (1e-4) and clipping (1), at which
//! a network trained from scratch is already good after 200 epochs, so a prior gains less
//! (≈ 3 dB). `--paper` takes the paper's Table VI protocol — learning rate 1e-3, clipping
//! at 2, the first frame trained 5000 epochs — at which training from scratch starts slowly
//! and the prior gains ≈ 9–10 dB (docs/benchmarks.md).
//!
//! Writes `frame{t}.png` (truth | from scratch | with prior) and `summary.json` to `--out`
//! (default `out/ris_imaging_dynamic`); ends with one `summary: {json}` line.

mod common;
#[path = "common/ris.rs"]
mod ris;

use anyhow::Result;
use clap::Parser;
use rftwin::inverse::inr::TrainOptions;
use rftwin::isac::metrics::{psnr, ssim};
use rftwin::isac::ris_imaging::factored::FactoredOperator;
use rftwin::isac::ris_imaging::RisImagingConfig;
use rftwin::isac::targets::{pixel_max, GrayImage, Pose};
use serde_json::json;

/// Table VI of paper 000: three frames of a moving person imaged from scratch and from
/// the previous frame's network (successive imaging with priors).
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Epochs of the first frame (from scratch)
    #[arg(long, default_value_t = 1000)]
    first_epochs: usize,
    /// Epochs of frames 1 and 2 (scratch and prior)
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Initial learning rate (the reference's 1e-4; the paper's Table VI used 1e-3)
    #[arg(long, default_value_t = 1e-4)]
    lr: f64,
    /// Largest gradient norm (the reference's 1; the paper's 2)
    #[arg(long, default_value_t = 1.0)]
    clip_norm: f64,
    /// The paper's Table VI protocol: --lr 1e-3 --clip-norm 2 --first-epochs 5000
    #[arg(long, conflicts_with_all = ["lr", "clip_norm", "first_epochs"])]
    paper: bool,
    /// Two people in the scene
    #[arg(long)]
    two_people: bool,
    /// Seed of the motion, RIS phases, noise and networks
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value = "out/ris_imaging_dynamic")]
    out: std::path::PathBuf,
    /// Start over instead of resuming from the checkpoints in --out
    #[arg(long)]
    fresh: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let out = common::prepare_output(&cli.out, cli.fresh)?;
    let seed = cli.seed;
    let (first_epochs, lr, clip_norm) = if cli.paper { (5000, 1e-3, 2.0) } else { (cli.first_epochs, cli.lr, cli.clip_norm) };
    let epochs = cli.epochs;
    if first_epochs == 0 || epochs == 0 {
        anyhow::bail!("--first-epochs and --epochs must be ≥ 1");
    }
    let frame = |t: f64| -> Result<GrayImage> {
        let one = Pose::at(seed, t).render();
        Ok(if cli.two_people { pixel_max(&one, &Pose::at(seed + 10, t).render())? } else { one })
    };
    let config = RisImagingConfig { seed, ..Default::default() };
    let [_, rows, cols] = config.roi.dims;
    if !(lr > 0.0 && lr.is_finite() && clip_norm > 0.0 && clip_norm.is_finite()) {
        anyhow::bail!("--lr and --clip-norm must be positive and finite (got {lr} and {clip_norm})");
    }
    let options = TrainOptions { epochs: first_epochs, seed, lr, clip_norm, ..Default::default() };

    let truth0 = frame(0.0)?;
    let started = std::time::Instant::now();
    // one operator for every frame: each frame's measurements come from its f64 form
    let reference = FactoredOperator::new(&config)?;
    let op = reference.to_f32();
    let setup_s = started.elapsed().as_secs_f64();
    let measure = |truth: &GrayImage| -> Result<Vec<f32>> { Ok(ris::noisy(&config, &reference.apply(&truth.data)?)) };
    let y = measure(&truth0)?;
    let first = ris::train_with_progress("frame 0", &op, &y, &truth0, &options, None)?;
    let (p0, s0) = (psnr(&first.image, &truth0.data)?, ssim(&first.image, &truth0.data, rows, cols)?);
    println!("frame 0 from scratch, {} epochs: PSNR {p0:.2} dB, SSIM {s0:.3}", first.training.history.len());
    let mut rows_out = vec![json!({"frame": 0, "epochs": first.training.history.len(), "psnr_db": p0, "ssim": s0})];
    let mut prior = first.training.network;
    let short = TrainOptions { epochs, ..options.clone() };
    let mut gains = Vec::new();
    for t in 1..3 {
        let truth = frame(t as f64)?;
        let y = measure(&truth)?;
        let scratch = ris::train_with_progress(&format!("frame {t} scratch"), &op, &y, &truth, &short, None)?;
        let warm = ris::train_with_progress(&format!("frame {t} prior"), &op, &y, &truth, &short, Some(prior.clone()))?;
        let (ps, ss) = (psnr(&scratch.image, &truth.data)?, ssim(&scratch.image, &truth.data, rows, cols)?);
        let (pp, sp) = (psnr(&warm.image, &truth.data)?, ssim(&warm.image, &truth.data, rows, cols)?);
        let similarity = ssim(&truth.data, &frame(t as f64 - 1.0)?.data, rows, cols)?;
        println!("frame {t}, {epochs} epochs: from scratch {ps:.2} dB / {ss:.3}; with prior {pp:.2} dB / {sp:.3} (SSIM to the previous frame {similarity:.3})");
        rftwin::inverse::plot::heatmaps(
            &out.join(format!("frame{t}.png")),
            &[("truth", &ris::flip(&truth.data, rows, cols)), ("from scratch", &ris::flip(&scratch.image, rows, cols)), ("with prior", &ris::flip(&warm.image, rows, cols))],
            rows,
            cols,
        )?;
        gains.push(pp - ps);
        rows_out.push(json!({"frame": t, "epochs": epochs, "scratch_psnr_db": ps, "scratch_ssim": ss, "prior_psnr_db": pp, "prior_ssim": sp, "ssim_to_previous_frame": similarity}));
        prior = warm.training.network;
    }
    let summary = json!({"lr": lr, "clip_norm": clip_norm, "protocol": if cli.paper { "paper" } else { "reference" }, "frames": rows_out, "min_prior_gain_db": gains.iter().cloned().fold(f64::INFINITY, f64::min), "setup_s": setup_s, "seconds_per_epoch": first.seconds_per_epoch});
    common::write_json(&out.join("summary.json"), &summary)?;
    println!("summary: {summary}");
    Ok(())
}
