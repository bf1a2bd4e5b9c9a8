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
use common::*;
use glam::DVec3;
use rftwin::trace::paths::channel;
use rftwin::{ItuMaterial, PathSolver, Radio, Scene, SolverOptions};
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<()> {
    let args = Args::parse(&[])?;
    args.check_known(&["out", "max-depth", "material", "samples"])?;
    let out = PathBuf::from(args.value("out").unwrap_or("out/quickstart"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let material = ItuMaterial::from_name(args.value("material").unwrap_or("metal"))?;
    let options = SolverOptions {
        frequency_hz: 28e9,
        max_depth: args.parsed("max-depth", 3)?,
        samples: args.parsed("samples", 1_000_000)?,
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
