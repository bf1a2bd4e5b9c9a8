//! What the RIS-imaging examples share: measurements of a target through the sensing
//! operator, and INR training with a progress bar.
#![allow(dead_code)]

use anyhow::Result;
use rftwin::inverse::inr::interference::LearnedTerm;
use rftwin::inverse::inr::{grid_points, train_with_term, EpochRecord, Network, TrainOptions, Training};
use rftwin::isac::metrics::psnr;
use rftwin::isac::ris_imaging::factored::FactoredOperator;
use rftwin::isac::ris_imaging::operator::{ForwardOperator, SensingOperator};
use rftwin::isac::ris_imaging::RisImagingConfig;
use rftwin::isac::targets::{phantom, GrayImage, Pose};
use std::time::Instant;

/// The f32 operator in its factors and the noisy measurements of image `truth`, with the
/// seconds the operator's precomputation took (the imaging examples' default: a quarter of
/// the dense operator's memory and at least its speed, `docs/benchmarks.md`).
pub fn measurements(config: &RisImagingConfig, truth: &[f64]) -> Result<(FactoredOperator<f32>, Vec<f32>, f64)> {
    let started = Instant::now();
    let operator = FactoredOperator::new(config)?;
    let y = noisy(config, &operator.apply(truth)?);
    Ok((operator.to_f32(), y, started.elapsed().as_secs_f64()))
}

/// [`measurements`], or with the dense operator `M` when `dense` (for comparison; the same
/// numbers).
pub fn measurements_with(config: &RisImagingConfig, truth: &[f64], dense: bool) -> Result<(Box<dyn SensingOperator>, Vec<f32>, f64)> {
    if !dense {
        let (op, y, s) = measurements(config, truth)?;
        return Ok((Box::new(op), y, s));
    }
    let started = Instant::now();
    let operator = ForwardOperator::new(config)?;
    let y = noisy(config, &operator.apply(truth)?);
    Ok((Box::new(operator.to_f32()), y, started.elapsed().as_secs_f64()))
}

/// `clean` with the configuration's measurement noise (its seed).
pub fn noisy(config: &RisImagingConfig, clean: &[f64]) -> Vec<f32> {
    let std = (config.noise_variance() / 2.0).sqrt() * config.scale;
    add_noise(clean, std, config.seed)
}

/// The target named by `--target`: a PNG file, `phantom` (the built-in ellipse phantom),
/// `silhouette:S` (the built-in silhouette of seed S) or, without the flag, the
/// silhouette of seed 0 — at `rows × cols`.
pub fn target(name: Option<&str>, rows: usize, cols: usize) -> Result<GrayImage> {
    let image = match name {
        None | Some("silhouette") => Pose::new(0).render(),
        Some("phantom") => phantom(rows.max(cols))?,
        Some(s) if s.starts_with("silhouette:") => {
            let seed = &s["silhouette:".len()..];
            Pose::new(seed.parse().map_err(|e| anyhow::anyhow!("--target {s}: seed {seed}: {e}"))?).render()
        }
        Some(path) => return Ok(GrayImage::load(std::path::Path::new(path), rows, cols)?),
    };
    if (image.rows, image.cols) == (rows, cols) {
        return Ok(image);
    }
    Ok(image.resized(rows, cols)?)
}

/// Gaussian noise of standard deviation `std` per real value, seeded.
pub fn add_noise(y: &[f64], std: f64, seed: u64) -> Vec<f32> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed ^ 0x5EED);
    y.iter()
        .map(|&v| {
            let (u1, u2): (f64, f64) = (rng.gen::<f64>().max(f64::MIN_POSITIVE), rng.gen());
            (v + std * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
        })
        .collect()
}

/// A training and what the progress bar saw.
pub struct Run {
    /// The training.
    pub training: Training,
    /// Image PSNR per epoch \[dB\].
    pub psnr: Vec<f64>,
    /// Median wall time per epoch \[s\] (`None` when no epoch ran: a finished run
    /// resumed from its checkpoint).
    pub seconds_per_epoch: Option<f64>,
    /// The best model's image.
    pub image: Vec<f64>,
}

/// Trains (from `prior` if given) with a progress bar showing train MSE, PSNR against
/// `truth` and the learning rate.
pub fn train_with_progress(label: &str, operator: &dyn SensingOperator, y: &[f32], truth: &GrayImage, options: &TrainOptions, prior: Option<Network>) -> Result<Run> {
    train_on_points(label, operator, y, &grid_points(truth.rows, truth.cols), &truth.data, options, prior)
}

/// [`train_with_progress`] for any voxel grid: `points` are the normalised voxel
/// coordinates (see `voxel_points`), `truth` the voxel values in voxel order.
pub fn train_on_points(label: &str, operator: &dyn SensingOperator, y: &[f32], points: &[f64], truth: &[f64], options: &TrainOptions, prior: Option<Network>) -> Result<Run> {
    let network = match prior {
        Some(net) => net,
        None => Network::new(points.len() / truth.len().max(1), &options.network, options.seed)?,
    };
    with_progress(label, points, truth, options.epochs, |on_epoch| train_with_term(network, operator, None, y, points, options, on_epoch))
}

/// [`train_with_progress`] of a new network with a learnt `term` in the model (e.g. the
/// per-leg wall coupling).
pub fn train_with_learnt_term(label: &str, operator: &dyn SensingOperator, term: &dyn LearnedTerm, y: &[f32], truth: &GrayImage, options: &TrainOptions) -> Result<Run> {
    let points = grid_points(truth.rows, truth.cols);
    let network = Network::new(2, &options.network, options.seed)?;
    with_progress(label, &points, &truth.data, options.epochs, |on_epoch| train_with_term(network, operator, Some(term), y, &points, options, on_epoch))
}

/// Runs `train` with a progress bar (train MSE, PSNR against `truth`, learning rate) as
/// its epoch observer, then renders the best model at `points`.
fn with_progress(label: &str, points: &[f64], truth: &[f64], epochs: usize, train: impl FnOnce(&mut dyn FnMut(&EpochRecord, &[f32]) -> rftwin::inverse::Result<()>) -> rftwin::inverse::Result<Training>) -> Result<Run> {
    let bar = crate::common::progress_bar(epochs as u64, label);
    let mut seconds = Vec::new();
    let mut curve = Vec::new();
    let mut last = Instant::now();
    let mut on_epoch = |record: &EpochRecord, image: &[f32]| {
        seconds.push(last.elapsed().as_secs_f64());
        last = Instant::now();
        let image: Vec<f64> = image.iter().map(|&v| v as f64).collect();
        let p = psnr(&image, truth).unwrap_or(f64::NAN);
        curve.push(p);
        bar.set_message(format!("train MSE {:.2e}  PSNR {p:.2} dB  lr {:.1e}", record.train_mse, record.lr));
        bar.inc(1);
        Ok(())
    };
    let training = train(&mut on_epoch)?;
    bar.finish_and_clear();
    let image = render(&training.network, points)?;
    seconds.sort_by(f64::total_cmp);
    let seconds_per_epoch = (!seconds.is_empty()).then(|| seconds[seconds.len() / 2]);
    Ok(Run { training, psnr: curve, seconds_per_epoch, image })
}

/// The trained field at normalised `points` (any grid, on or off the training grid), in
/// chunks of 16 384 points so that large renders stay within a few hundred MB.
pub fn render(network: &Network, points: &[f64]) -> Result<Vec<f64>> {
    let chunk = 16_384 * network.input_dim;
    let mut out = Vec::with_capacity(points.len() / network.input_dim.max(1));
    for part in points.chunks(chunk) {
        out.extend(network.forward(&network.encode(part)?).iter().map(|&v| v as f64));
    }
    Ok(out)
}

/// Rows flipped so that row 0 (the top of the scene) is drawn at the top of a heat map
/// whose row axis points up.
pub fn flip(data: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    (0..rows).rev().flat_map(|r| data[r * cols..(r + 1) * cols].iter().copied()).collect()
}
