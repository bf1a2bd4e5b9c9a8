//! The optimisation-landscape experiment of InverTwin Fig. 4: a letter "A" in front of
//! the radar is translated along the line of sight over ±5 wavelengths, and the loss
//! against the observation at the true position is recorded for
//! - the raw pipeline: squared error of the complex range profiles (IF synthesis +
//!   Hamming FFT) of every channel, and
//! - the surrogate: multi-scale MSE of the Airy/Gaussian range–angle surrogate spectrum
//!   (unnormalised Gaussian kernel, σ = one range bin, seeded random phases).
//!
//! Surface samples are drawn once at the true pose and ride with the target (points on
//! the reference surface, as in InverTwin's reparameterisation). Writes
//! `landscape.png` and `landscape.csv`; the summary holds `minima_raw` and
//! `minima_surrogate`.
//!
//! ```text
//! cargo run --release --example landscape -- [--out DIR] [--steps N] [--samples N]
//! ```

#[path = "common/mod.rs"]
mod common;

use anyhow::{Context, Result};
use clap::Parser;
use common::*;
use glam::DVec3;
use rftwin::radar::loss::multiscale_mse;
use rftwin::radar::signal::{if_signals, range_profiles};
use rftwin::radar::spectrum::AngleGrid;
use rftwin::radar::surrogate::{spatial_surrogate, RangeKernel, SurrogateEcho, SurrogateOptions};
use rftwin::radar::{FmcwConfig, MimoArray};
use rftwin::trace::scattering::{surface_scattering, ScatteringOptions};
use rftwin::{Mesh, Scene, SceneGeometry};
use std::io::Write;
use std::path::PathBuf;

/// InverTwin Fig. 4: loss versus translation of a letter along the line of sight for the
/// raw FFT pipeline and the surrogate; writes landscape.png and landscape.csv.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Output directory
    #[arg(long, default_value = "out/landscape")]
    out: PathBuf,
    /// Translation steps over ±5 wavelengths (at least 3)
    #[arg(long, default_value_t = 201, value_parser = clap::value_parser!(u32).range(3..))]
    steps: u32,
    /// Surface samples of solver (B)
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..))]
    samples: u32,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let (steps, samples) = (cli.steps as usize, cli.samples as usize);
    let out = cli.out.clone();
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    let cfg = FmcwConfig::default();
    let lambda = cfg.wavelength();
    let center = DVec3::ZERO;
    // 2 Tx × 4 Rx (8 channels) keeps the raw pipeline cheap; the landscape is along range.
    let full = MimoArray::default_upa(center, lambda);
    let array = MimoArray { tx: full.tx[..2].to_vec(), rx: full.rx[..4].to_vec() };
    let mut scene = Scene::new();
    scene.add_object("letter_a", Mesh::letter_a(DVec3::new(0.0, 1.0, -0.25), 0.5, 0.4, 0.08, 0.05), "itu_metal")?;
    let geom = SceneGeometry::new(&scene);
    let scat = surface_scattering(&scene, &geom, center, &ScatteringOptions { frequency_hz: cfg.carrier_hz, samples, ..Default::default() })?;
    let base = scat.echoes();
    println!("letter A: {} triangles, {} surface samples of {} rays", scene.num_triangles(), base.len(), scat.rays);

    let bins: Vec<f64> = (20..40).map(|k| cfg.bin_range(k)).collect();
    let grid = AngleGrid::uniform(15, 0.4, 15, 0.4);
    let dirs = grid.directions();
    let sopts = SurrogateOptions {
        sigma_m: cfg.range_resolution(),
        kernel: RangeKernel::Gaussian,
        aperture_radius_m: 2.0 * lambda,
        wavelength: lambda,
        random_phase_seed: Some(7),
    };
    let simulate = |shift: f64| -> Result<(Vec<Vec<rftwin::Complex>>, rftwin::radar::Spectrum)> {
        let echoes: Vec<rftwin::core::Echo> = base.iter().map(|e| rftwin::core::Echo { point: e.point + DVec3::Y * shift, ..*e }).collect();
        let profiles = range_profiles(&cfg, &if_signals(&cfg, &array, &echoes)?)?;
        let se: Vec<SurrogateEcho> = echoes.iter().map(|e| SurrogateEcho::from_echo(e, center)).collect();
        let spec = spatial_surrogate(&se, &bins, &dirs, &sopts)?;
        Ok((profiles, spec))
    };
    let (obs_raw, obs_sur) = simulate(0.0)?;
    let shifts: Vec<f64> = (0..steps).map(|i| -5.0 * lambda + 10.0 * lambda * i as f64 / (steps - 1) as f64).collect();
    let mut raw = Vec::with_capacity(steps);
    let mut sur = Vec::with_capacity(steps);
    for &s in &shifts {
        let (p, spec) = simulate(s)?;
        let l: f64 = p.iter().zip(&obs_raw).flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).norm_sqr())).sum();
        raw.push(l);
        sur.push(multiscale_mse(&spec, &obs_sur, 3)?.0);
    }
    let norm = |v: &[f64]| -> Vec<f64> {
        let m = v.iter().cloned().fold(f64::MIN_POSITIVE, f64::max);
        v.iter().map(|x| x / m).collect()
    };
    let (raw_n, sur_n) = (norm(&raw), norm(&sur));
    let (minima_raw, minima_sur) = (count_local_minima(&raw), count_local_minima(&sur));
    let x_wl: Vec<f64> = shifts.iter().map(|s| s / lambda).collect();
    plot_lines(
        &out.join("landscape.png"),
        "Loss vs translation along range (letter A, 77 GHz)",
        "translation [wavelengths]",
        "loss / max",
        &x_wl,
        &[("raw FFT pipeline", &raw_n), ("surrogate (Airy + Gaussian)", &sur_n)],
    )?;
    let mut csv = std::fs::File::create(out.join("landscape.csv"))?;
    writeln!(csv, "translation_m,translation_wavelengths,loss_raw,loss_surrogate")?;
    for i in 0..steps {
        writeln!(csv, "{},{},{},{}", shifts[i], x_wl[i], raw[i], sur[i])?;
    }
    println!("local minima over ±5 λ: raw pipeline {minima_raw}, surrogate {minima_sur}; wrote {}", out.join("landscape.png").display());
    let summary = serde_json::json!({
        "minima_raw": minima_raw, "minima_surrogate": minima_sur, "steps": steps,
        "surface_samples": base.len(), "wavelength_m": lambda,
    });
    println!("summary: {summary}");
    Ok(())
}
