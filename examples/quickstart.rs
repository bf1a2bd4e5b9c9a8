//! Traces the built-in street-canyon scene (the scene of the Sionna RT reference
//! data), prints the path table and writes `paths.json` and a PNG of the channel
//! impulse response.
//!
//! ```text
//! cargo run --release --example quickstart -- [--out DIR] [--max-depth N] [--material metal|wood|...]
//! ```

#[path = "common/mod.rs"]
mod common;

use anyhow::{Context, Result};
use clap::Parser;
use common::*;
use glam::DVec3;
use rftwin::trace::paths::channel;
use rftwin::{ItuMaterial, PathSolver, Radio, Scene, SolverOptions};
use std::path::PathBuf;
use std::time::Instant;

/// Traces the built-in street-canyon scene, prints the path table and writes paths.json
/// and a CIR plot.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Output directory
    #[arg(long, default_value = "out/quickstart")]
    out: PathBuf,
    /// Most interactions per path
    #[arg(long, default_value_t = 3)]
    max_depth: usize,
    /// ITU material of box_a (metal, wood, concrete, …)
    #[arg(long, default_value = "metal")]
    material: String,
    /// Rays shot from the transmitter
    #[arg(long, default_value_t = 1_000_000)]
    samples: usize,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let material = ItuMaterial::from_name(&cli.material)?;
    let out = cli.out.clone();
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let options = SolverOptions {
        frequency_hz: 28e9,
        max_depth: cli.max_depth,
        samples: cli.samples,
        refraction: true,
        ..Default::default()
    };

    let scene = Scene::canyon(material);
    let tx = Radio::isotropic(DVec3::new(-22.0, 1.0, 9.0));
    let rx = Radio::isotropic(DVec3::new(24.0, -2.0, 1.5));
    println!(
        "canyon scene: {} triangles, box_a of itu_{}; TX {} RX {}; {} GHz, max depth {}, {} rays",
        scene.num_triangles(),
        material.name(),
        tx.position,
        rx.position,
        options.frequency_hz / 1e9,
        options.max_depth,
        options.samples
    );
    let t = Instant::now();
    let paths = PathSolver::new(options).solve_scene(&scene, &tx, &rx)?;
    let solve_s = t.elapsed().as_secs_f64();
    print_path_table(&paths);

    write_json(&out.join("paths.json"), &rftwin::core::io::paths_json::to_json(&paths))?;
    let cir = channel::cir(&paths);
    let taus: Vec<f64> = cir.iter().map(|c| c.0 * 1e9).collect();
    let mags: Vec<f64> = cir.iter().map(|c| 20.0 * c.1.norm().log10()).collect();
    let png = out.join("cir.png");
    plot_cir(&png, "Channel impulse response, canyon scene, 28 GHz", &taus, &mags)?;
    let power_db = 10.0 * paths.total_power().log10();
    println!("received power gain Σ|a|² = {power_db:.2} dB; wrote {} and {}", out.join("paths.json").display(), png.display());
    let summary = serde_json::json!({
        "num_paths": paths.num_paths(),
        "total_power_db": power_db,
        "dropped_candidates": paths.stats.dropped_candidates,
        "solve_time_s": solve_s,
        "output_dir": out.display().to_string(),
    });
    println!("summary: {summary}");
    Ok(())
}
