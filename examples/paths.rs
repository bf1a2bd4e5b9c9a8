//! Scene to paths on the command line, for checking the solver against other tracers.
//!
//! ```text
//! cargo run --release --example paths -- <scene.xml|scene.json> --freq <Hz> \
//!     --tx x,y,z --rx x,y,z --max-depth N [--refraction] [--diffraction] \
//!     [--edge-diffraction] [--shadow-only] [--samples N] [--seed N] \
//!     [--threads N] [--repeat N] [--translate <object>:dx,dy,dz]... [--grad <param>]... \
//!     --out paths.json
//! ```
//! `--diffraction` adds first-order UTD edge diffraction (one diffraction per path, with
//! reflections before and after it); `--edge-diffraction` also diffracts at open mesh
//! borders; `--shadow-only` keeps diffracted paths only in the shadow region of the
//! incident field (Sionna's `diffraction_lit_region=False`).
//! `--translate` moves an object before solving (repeatable). `--grad` (repeatable)
//! adds interior gradients to the JSON, `"gradients": {"<param>": {"total_power": [..],
//! "tau": [[..] per path], "power": [[..] per path]}}` — derivatives of P = Σ|a|², of each
//! τ and of each |a|², one entry per parameter component; `<param>` is one of
//! `object/<name>/translation`, `tx/position`, `rx/position`, `material/<name>/eps_r`,
//! `material/<name>/sigma`.
//! `--backend cpu|gpu|auto` picks where the candidate search runs (default auto: the GPU
//! when an adapter exists).
//! Exact duplicate triangles within an object (CAD/OSM export artefacts) are removed on
//! load and counted (`--keep-duplicates` keeps them).
//! `--repeat N` solves N times and reports the median solve time (a benchmark).
//! Antennas are single isotropic V-polarised elements; `a` follows Sionna RT's
//! convention (no propagation phase). The last line is `summary: {json}`.

#[path = "common/mod.rs"]
mod common;

use anyhow::{Context, Result};
use clap::Parser;
use common::*;
use rftwin::core::io::{load_scene_with, LoadOptions};
use rftwin::{path_gradients, GradientParam, PathSolver, Radio, SceneGeometry, SolverOptions};
use std::path::PathBuf;
use std::time::Instant;

/// A scene file (Sionna/Mitsuba XML or rftwin JSON) to propagation paths: delays,
/// coefficients, directions and interactions as JSON, with optional interior gradients.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// The scene (.xml or .json)
    scene: PathBuf,
    /// Carrier frequency [Hz]
    #[arg(long, default_value_t = 28e9)]
    freq: f64,
    /// Transmitter position x,y,z [m]
    #[arg(long, allow_hyphen_values = true)]
    tx: String,
    /// Receiver position x,y,z [m]
    #[arg(long, allow_hyphen_values = true)]
    rx: String,
    /// Most interactions per path
    #[arg(long, default_value_t = 3)]
    max_depth: usize,
    /// Rays shot from the transmitter
    #[arg(long, default_value_t = 1_000_000)]
    samples: usize,
    /// Seed of the ray directions and reflect/refract choices
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Worker threads (default: all cores)
    #[arg(long)]
    threads: Option<usize>,
    /// Solve N times and report the median time
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Where the candidate search runs
    #[arg(long, default_value = "auto")]
    backend: String,
    /// Thin-slab refraction
    #[arg(long)]
    refraction: bool,
    /// First-order UTD wedge diffraction
    #[arg(long)]
    diffraction: bool,
    /// Also diffract at open mesh borders (implies --diffraction)
    #[arg(long)]
    edge_diffraction: bool,
    /// Keep diffracted paths only in the incident field's shadow region
    #[arg(long)]
    shadow_only: bool,
    /// No line-of-sight path
    #[arg(long)]
    no_los: bool,
    /// Move an object before solving: <object>:dx,dy,dz (repeatable)
    #[arg(long, allow_hyphen_values = true)]
    translate: Vec<String>,
    /// Add interior gradients for a parameter (repeatable), e.g. object/box_a/translation
    #[arg(long)]
    grad: Vec<String>,
    /// Keep exact duplicate triangles instead of removing them
    #[arg(long)]
    keep_duplicates: bool,
    /// The paths JSON
    #[arg(long, default_value = "paths.json")]
    out: PathBuf,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    set_threads(cli.threads)?;
    let scene_path = cli.scene.clone();
    let tx = parse_vec3(&cli.tx, "--tx")?;
    let rx = parse_vec3(&cli.rx, "--rx")?;
    let options = SolverOptions {
        frequency_hz: cli.freq,
        max_depth: cli.max_depth,
        samples: cli.samples,
        los: !cli.no_los,
        specular_reflection: true,
        refraction: cli.refraction,
        diffraction: cli.diffraction || cli.edge_diffraction,
        edge_diffraction: cli.edge_diffraction,
        diffraction_lit_region: !cli.shadow_only,
        seed: cli.seed,
        backend: rftwin::BackendChoice::parse(&cli.backend)?,
        ..Default::default()
    };
    // parameters are checked before the scene is loaded
    let grad_params: Vec<GradientParam> = cli.grad.iter().map(|g| GradientParam::parse(g)).collect::<Result<_, _>>()?;
    let backend_name = rftwin::trace::backend::resolve(options.backend)?.name();
    println!("backend: {backend_name}");
    let out = cli.out.clone();

    let t = Instant::now();
    let load_options = LoadOptions { keep_duplicate_triangles: cli.keep_duplicates };
    let (mut scene, report) = load_scene_with(&scene_path, &load_options).with_context(|| format!("loading {}", scene_path.display()))?;
    for line in report.lines() {
        eprintln!("note: {line}");
    }
    for t in &cli.translate {
        let (name, offset) = t.split_once(':').with_context(|| format!("--translate expects <object>:dx,dy,dz, got '{t}'"))?;
        scene.translate_object(name, parse_vec3(offset, "--translate")?)?;
    }
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let geom = SceneGeometry::new(&scene);
    let bvh_build_s = t.elapsed().as_secs_f64();
    let repeat = cli.repeat as usize;
    let solver = PathSolver::new(options);
    let mut times = Vec::with_capacity(repeat);
    let mut paths = None;
    // a stated cost before a long solve, and a spinner with the elapsed time during it
    let bounces = options.samples as f64 * options.max_depth.max(1) as f64;
    let spinner = (bounces > 2e7).then(|| {
        let per_s = 1e7 * rayon::current_num_threads() as f64;
        println!("shooting {} rays to depth {}: about {:.0} s at ~10⁷ ray-bounces/s per thread (measured on the canyon)", options.samples, options.max_depth, bounces / per_s);
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message("solving");
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    });
    for _ in 0..repeat {
        let t = Instant::now();
        paths = Some(solver.solve(&scene, &geom, &Radio::isotropic(tx), &Radio::isotropic(rx))?);
        times.push(t.elapsed().as_secs_f64());
    }
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let paths = paths.context("no solve ran")?;
    times.sort_by(f64::total_cmp);
    let solve_s = times[times.len() / 2];

    for (who, inside) in [("transmitter", paths.stats.tx_inside), ("receiver", paths.stats.rx_inside)] {
        if let Some(o) = inside.and_then(|o| paths.object_names.get(o as usize)) {
            eprintln!("warning: the {who} is inside the closed object '{o}': only paths through its walls can reach it");
        }
    }
    print_path_table(&paths);
    let mut doc = rftwin::core::io::paths_json::to_json(&paths);
    if !grad_params.is_empty() {
        let t = Instant::now();
        let mut grads = serde_json::Map::new();
        for p in &grad_params {
            let g = path_gradients(&scene, &geom, &paths, &Radio::isotropic(tx), &Radio::isotropic(rx), p)?;
            println!("d(Σ|a|²)/d {} = {:?}", p.name(), g.total_power);
            grads.insert(p.name(), serde_json::json!({ "total_power": g.total_power, "tau": g.tau, "power": g.power }));
        }
        doc["gradients"] = serde_json::Value::Object(grads);
        println!("gradients: {:.4} s", t.elapsed().as_secs_f64());
    }
    write_json(&out, &doc)?;
    println!("wrote {}", out.display());
    let summary = serde_json::json!({
        "num_paths": paths.num_paths(),
        "dropped_candidates": paths.stats.dropped_candidates,
        "candidates": paths.stats.candidates,
        "solve_time_s": solve_s,
        "solve_time_min_s": times[0],
        "repeats": repeat,
        "scene_load_s": load_s,
        "bvh_build_s": bvh_build_s,
        "triangles": geom.num_triangles(),
        "duplicate_triangles": report.duplicate_triangles.iter().map(|(_, n)| n).sum::<usize>(),
        "duplicates_kept": report.duplicates_kept,
        "threads": rayon::current_num_threads(),
        "backend": backend_name,
    });
    println!("summary: {summary}");
    Ok(())
}
