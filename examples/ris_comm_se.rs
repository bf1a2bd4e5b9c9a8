//! Imaging-augmented communication (paper 000 Sec. V, Fig. 17; spec `ris_inr_imaging.md`
//! §8): the RIS phases that maximise a user's spectral efficiency, chosen with and without
//! what imaging found, over the noise power.
//!
//! - (a) user inside the ROI: case 1 aims at the located hand, case 2 at the rough
//!   position, case 3 draws random phases;
//! - (b) user outside the ROI: case 1 includes the imaged ROI's multipaths (eq. 30),
//!   case 2 drops them (eq. 29), case 3 random.
//!
//! ```text
//! cargo run --release --example ris_comm_se                      # the ROI image is the true disk
//! cargo run --release --example ris_comm_se -- --image inr       # case 1 uses the INR's image
//! cargo run --release --example ris_comm_se -- --ris-side 16 --target silhouette
//! ```
//!
//! Writes `se_inside.png`, `se_outside.png` and `summary.json` to `--out` (default
//! `out/ris_comm_se`) and ends with one `summary: {json}` line.

mod common;
#[path = "common/ris.rs"]
mod ris;

use anyhow::{bail, Result};
use clap::Parser;
use glam::DVec3;
use rftwin::inverse::inr::TrainOptions;
use rftwin::inverse::plot::lines;
use rftwin::isac::geometry::Ris;
use rftwin::isac::ris_imaging::communication::{affine_channel, optimise_phases, random_phase_gains, spectral_efficiency};
use rftwin::isac::ris_imaging::RisImagingConfig;
use rftwin::isac::sdr::RelaxationSolver;
use rftwin::isac::targets::GrayImage;
use rftwin::core::constants::dbm_to_watts;
use serde_json::json;

/// Spectral efficiency with RIS phases from imaging (paper 000 Fig. 17).
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Side of the square communication RIS (elements of λ/2)
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=64))]
    ris_side: u32,
    /// The ROI content for the outside scenario: disk, silhouette, phantom or a PNG file
    #[arg(long, default_value = "disk")]
    target: String,
    /// The image case 1 uses outside the ROI: the true one, or the INR's reconstruction
    #[arg(long, value_enum, default_value_t = ImageSource::Truth)]
    image: ImageSource,
    /// INR training epochs (with --image inr)
    #[arg(long, default_value_t = 300)]
    epochs: usize,
    /// Located user (hand) inside the ROI "x,y,z" [wavelengths]
    #[arg(long, default_value = "40,10,10", allow_hyphen_values = true)]
    hand: String,
    /// Rough user position without imaging [wavelengths]
    #[arg(long, default_value = "40,0,0", allow_hyphen_values = true)]
    rough: String,
    /// User outside the ROI [wavelengths]
    #[arg(long, default_value = "30,-20,20", allow_hyphen_values = true)]
    outside: String,
    /// Transmit power [dBm]
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    transmit_dbm: f64,
    /// Random draws (Gaussian randomisation and case 3)
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    draws: u32,
    /// Seed
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value = "out/ris_comm_se")]
    out: std::path::PathBuf,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum ImageSource {
    /// The true reflectivity
    Truth,
    /// The INR imager's reconstruction (paper 000 Secs. III–IV)
    Inr,
}


/// SE over the noise powers: cases 1 and 2 from their gains on the true channel, case 3
/// the mean SE over the random draws.
fn curves(case1: f64, case2: f64, case3: &[f64], p_t: f64, noise_dbm: &[f64]) -> [Vec<f64>; 3] {
    [
        noise_dbm.iter().map(|n| spectral_efficiency(case1, p_t, dbm_to_watts(*n))).collect(),
        noise_dbm.iter().map(|n| spectral_efficiency(case2, p_t, dbm_to_watts(*n))).collect(),
        noise_dbm.iter().map(|n| case3.iter().map(|g| spectral_efficiency(*g, p_t, dbm_to_watts(*n))).sum::<f64>() / case3.len() as f64).collect(),
    ]
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let out = common::prepare_output(&cli.out, false)?;
    let lambda = 0.1;
    let wl = |s: &str, what: &str| common::parse_vec3(s, what).map(|v| v * lambda);
    let (hand, rough, outside) = (wl(&cli.hand, "--hand")?, wl(&cli.rough, "--rough")?, wl(&cli.outside, "--outside")?);
    if !(-200.0..=100.0).contains(&cli.transmit_dbm) {
        bail!("--transmit-dbm {}: outside −200…100 dBm", cli.transmit_dbm);
    }
    let mut config = RisImagingConfig::default();
    let side = cli.ris_side as usize;
    config.ris = Ris::new(DVec3::ZERO, [side, side], [lambda / 2.0; 2])?;
    config.tx.elements = 2;
    let [_, rows, cols] = config.roi.dims;
    let draws = cli.draws as usize;
    let p_t = dbm_to_watts(cli.transmit_dbm);
    let noise: Vec<f64> = (0..=12).map(|i| -120.0 + 5.0 * i as f64).collect();

    // (a) inside the ROI.
    let progress = common::progress_bar(4, "relaxations");
    let truth_in = affine_channel(&config, hand, None)?;
    let c1_in = optimise_phases(&truth_in, RelaxationSolver::Auto, draws, cli.seed)?;
    progress.inc(1);
    let c2_in = optimise_phases(&affine_channel(&config, rough, None)?, RelaxationSolver::Auto, draws, cli.seed)?;
    progress.inc(1);
    let c3_in = random_phase_gains(&truth_in, draws, cli.seed + 7);
    let se_in = curves(c1_in.gain, truth_in.gain(&c2_in.omega), &c3_in, p_t, &noise);

    // (b) outside the ROI: the true ROI and the image case 1 uses.
    let truth_image: Vec<f64> = if cli.target == "disk" {
        (0..rows * cols).map(|m| if ((m / cols) as f64 - (rows as f64 - 1.0) / 2.0).powi(2) + ((m % cols) as f64 - (cols as f64 - 1.0) / 2.0).powi(2) <= 400.0 { 1.0 } else { 0.0 }).collect()
    } else {
        ris::target(Some(&cli.target), rows, cols)?.data
    };
    let (imaged, image_psnr) = match cli.image {
        ImageSource::Truth => (truth_image.clone(), None),
        ImageSource::Inr => {
            progress.set_message("training the INR");
            let imaging = RisImagingConfig::default();
            let (op, y, _) = ris::measurements(&imaging, &truth_image)?;
            let options = TrainOptions { epochs: cli.epochs, seed: imaging.seed, ..Default::default() };
            options.validate()?;
            let truth_gray = GrayImage { rows, cols, data: truth_image.clone() };
            let run = ris::train_with_progress("INR", &op, &y, &truth_gray, &options, None)?;
            let p = rftwin::isac::metrics::psnr(&run.image, &truth_image)?;
            (run.image.clone(), Some(p))
        }
    };
    let truth_out = affine_channel(&config, outside, Some(&truth_image))?;
    let c1_out = optimise_phases(&affine_channel(&config, outside, Some(&imaged))?, RelaxationSolver::Auto, draws, cli.seed)?;
    progress.inc(1);
    let c2_out = optimise_phases(&affine_channel(&config, outside, None)?, RelaxationSolver::Auto, draws, cli.seed)?;
    progress.inc(1);
    progress.finish_and_clear();
    let c3_out = random_phase_gains(&truth_out, draws, cli.seed + 7);
    // How much of the outside channel the ROI's multipaths carry: why case 1 gains little.
    let plain = affine_channel(&config, outside, None)?;
    let roi_share_db = 20.0 * ((&truth_out.b - &plain.b).norm() / plain.b.norm()).log10();
    let se_out = curves(truth_out.gain(&c1_out.omega), truth_out.gain(&c2_out.omega), &c3_out, p_t, &noise);

    for (file, title, se) in [("se_inside.png", "(a) user inside the ROI", &se_in), ("se_outside.png", "(b) user outside the ROI", &se_out)] {
        lines(&out.join(file), title, "noise power σ²_com [dBm]", "SE [bit/s/Hz]", &noise, &[("case 1: with imaging", se[0].clone()), ("case 2: without imaging", se[1].clone()), ("case 3: random phases", se[2].clone())], false)?;
    }
    let at = noise.iter().position(|n| *n == -100.0).unwrap_or(4);
    println!(
        "inside at −100 dBm: case 1 {:.2}, case 2 {:.2}, case 3 {:.2} bit/s/Hz (relaxation rank {}); outside: {:.4}, {:.4}, {:.2}",
        se_in[0][at], se_in[1][at], se_in[2][at], c1_in.rank, se_out[0][at], se_out[1][at], se_out[2][at]
    );
    let summary = json!({
        "se_gain_case1_vs_random_bits": se_in[0][at] - se_in[2][at],
        "se_gain_case1_vs_case2_inside_bits": se_in[0][at] - se_in[1][at],
        "se_gain_case1_vs_case2_outside_bits": se_out[0][at] - se_out[1][at],
        "se_gain_case1_vs_random_outside_bits": se_out[0][at] - se_out[2][at],
        "noise_dbm": noise[at],
        "inside_gains": {"case1": c1_in.gain, "case2": truth_in.gain(&c2_in.omega), "case3_mean": c3_in.iter().sum::<f64>() / c3_in.len() as f64, "relaxation": c1_in.relaxation_bound, "rank": c1_in.rank},
        "outside_gains": {"case1": truth_out.gain(&c1_out.omega), "case2": truth_out.gain(&c2_out.omega), "case3_mean": c3_out.iter().sum::<f64>() / c3_out.len() as f64, "relaxation": c1_out.relaxation_bound, "rank": c1_out.rank},
        "roi_multipath_share_db": roi_share_db, "image": format!("{:?}", cli.image).to_lowercase(), "image_psnr_db": image_psnr, "ris_side": side,
    });
    std::fs::write(out.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;
    println!("summary: {summary}");
    Ok(())
}
