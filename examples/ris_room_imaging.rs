//! RIS-ISAC imaging on ray-traced measurements: a room (concrete floor, ceiling and
//! walls, a wooden table and cabinet) with the imaging RIS on the front wall, the TX/RX
//! arrays of paper 000 in front of it and a car body (the mesh of `rftwin::inverse::shapes`,
//! scaled to 1.4 m) in the region of interest. The car's silhouette on the ROI plane is the
//! target `σ`; solver (A) traces every leg between the arrays and the target's voxels —
//! line of sight, wall reflections and RIS paths, all 40 random RIS configurations from one
//! trace (`rftwin::isac::ris_imaging::traced`). The INR imager then reconstructs the target
//! from the background-calibrated, noisy measurements with and without learning the
//! multipath interference (paper 000 Sec. IV-A), next to the same imager on the free-space
//! channel model's data.
//!
//! ```text
//! cargo run --release --example ris_room_imaging        # ≈ 1 min tracing + 3 × 200 epochs
//! cargo run --release --example ris_room_imaging -- --epochs 1000 --ris 50 --voxels 50
//! cargo run --release --example ris_room_imaging -- --voxels 24 --traced-operator  # imager on the traced operator
//! ```
//!
//! Two more runs keep only the configuration-independent part of the traced multipath
//! (no RIS in the wall-coupled legs), the interference model of the paper.
//!
//! Writes `images.png` (truth | free-space data | traced, learning Â | traced, no
//! learning | static multipath, learning Â | static, no learning), `ris_room_imaging.json`;
//! the summary gives the scene's SIR (the traced target signal's free-space part against
//! its multipath part, and against each of its static and configuration-dependent parts),
//! PSNR/SSIM of the five runs, `learning_gain_db` and `static_learning_gain_db`.

#[path = "common/mod.rs"]
mod common;
#[path = "common/ris.rs"]
mod ris;

use anyhow::{bail, Result};
use clap::Parser;
use glam::DVec3;
use rftwin::core::constants::SPEED_OF_LIGHT;
use rftwin::inverse::inr::TrainOptions;
use rftwin::inverse::shapes::CarBody;
use rftwin::isac::geometry::{Ris, VoxelGrid};
use rftwin::isac::metrics::{psnr, ssim};
use rftwin::isac::ris_imaging::multipath::calibrated_noise_std;
use rftwin::isac::ris_imaging::operator::ForwardOperator;
use rftwin::isac::ris_imaging::traced::{Part, TracedSensing};
use rftwin::isac::ris_imaging::RisImagingConfig;
use rftwin::isac::targets::GrayImage;
use rftwin::{BackendChoice, Mesh, PathSolver, Scene, SceneGeometry, SolverOptions};
use serde_json::json;
use std::time::Instant;

/// INR imaging of a car in a furnished room from ray-traced RIS-ISAC measurements, with
/// and without multipath learning.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// RIS elements per side (λ/2 elements)
    #[arg(long, default_value_t = 32)]
    ris: usize,
    /// ROI voxels per side (λ/2.5 voxels)
    #[arg(long, default_value_t = 40)]
    voxels: usize,
    /// RIS configurations K
    #[arg(long, default_value_t = 40)]
    k: usize,
    /// Training epochs of each run
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Rays shot per leg solve
    #[arg(long, default_value_t = 5_000)]
    samples: usize,
    /// Also trace every ROI voxel and train with the traced free-space operator (the
    /// channel model with the tracer's polarimetric transport) instead of the scalar model:
    /// 16 legs per voxel instead of per target voxel
    #[arg(long)]
    traced_operator: bool,
    /// Seed of the RIS phases, noise and networks
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value = "out/ris_room_imaging")]
    out: std::path::PathBuf,
}

/// The room: the front wall (x = 0) carries the RIS; the arrays stand at x = 1 m.
fn room() -> Result<Scene> {
    let mut s = Scene::new();
    let slab = |min: [f64; 3], max: [f64; 3]| Mesh::cuboid(DVec3::from_array(min), DVec3::from_array(max));
    s.add_object("floor", slab([-0.2, -3.2, -1.7], [6.7, 3.2, -1.5]), "itu_concrete")?;
    s.add_object("ceiling", slab([-0.2, -3.2, 2.0], [6.7, 3.2, 2.2]), "itu_concrete")?;
    s.add_object("front_wall", slab([-0.2, -3.2, -1.5], [0.0, 3.2, 2.0]), "itu_concrete")?;
    s.add_object("back_wall", slab([6.5, -3.2, -1.5], [6.7, 3.2, 2.0]), "itu_concrete")?;
    s.add_object("left_wall", slab([0.0, 3.0, -1.5], [6.5, 3.2, 2.0]), "itu_concrete")?;
    s.add_object("right_wall", slab([0.0, -3.2, -1.5], [6.5, -3.0, 2.0]), "itu_concrete")?;
    s.add_object("table", slab([2.0, 1.8, -1.5], [2.8, 2.6, -0.75]), "itu_wood")?;
    s.add_object("cabinet", slab([5.0, -2.9, -1.5], [5.6, -2.2, 0.3]), "itu_wood")?;
    Ok(s)
}

/// The car body turned to show its side to the RIS (length along y), scaled to
/// `length` metres and centred on `centre`, and its silhouette on the ROI grid: a voxel is
/// occupied where a ray along +x through its centre meets the body.
fn car_silhouette(roi: &VoxelGrid, centre: DVec3, length: f64) -> Result<(Vec<f64>, usize)> {
    let car = CarBody::default();
    let mut mesh = car.mesh(DVec3::ZERO, 3);
    let scale = length / car.length;
    for v in &mut mesh.vertices {
        *v = centre + DVec3::new(-v.y, v.x, v.z) * scale;
    }
    let mut scene = Scene::new();
    scene.add_object("car", mesh, "itu_metal")?;
    let geom = SceneGeometry::new(&scene);
    let sigma: Vec<f64> = roi.positions().iter().map(|p| if geom.closest_hit(DVec3::new(p.x - 3.0, p.y, p.z), DVec3::X, 0.0, 6.0, None).is_some() { 1.0 } else { 0.0 }).collect();
    let support = sigma.iter().filter(|s| **s > 0.0).count();
    Ok((sigma, support))
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if !(2..=100).contains(&cli.ris) || !(4..=100).contains(&cli.voxels) || cli.k == 0 || cli.epochs == 0 || cli.samples == 0 {
        bail!("--ris must be in 2..=100, --voxels in 4..=100, --k, --epochs and --samples ≥ 1");
    }
    let out = common::prepare_output(&cli.out, false)?;
    let mut config = RisImagingConfig { seed: cli.seed, configurations: cli.k, ..Default::default() };
    config.band.wave_speed = SPEED_OF_LIGHT;
    let lambda = config.wavelength();
    config.ris = Ris::new(DVec3::ZERO, [cli.ris, cli.ris], [lambda / 2.0; 2])?;
    config.roi = VoxelGrid { centre: DVec3::new(40.0 * lambda, 0.0, 0.0), dims: [1, cli.voxels, cli.voxels], voxel: lambda / 2.5 };
    config.validate()?;
    let side = cli.voxels as f64 * config.roi.voxel;
    let (sigma, support_len) = car_silhouette(&config.roi, config.roi.centre - DVec3::new(0.0, 0.0, 0.1 * side), 0.9 * side)?;
    if support_len == 0 {
        bail!("the car's silhouette covers no voxel of the ROI");
    }
    let support: Vec<usize> = if cli.traced_operator { (0..sigma.len()).collect() } else { (0..sigma.len()).filter(|&m| sigma[m] > 0.0).collect() };
    let mut scene = room()?;
    scene.add_ris(config.ris.surface("ris")?)?;
    let solver = PathSolver::new(SolverOptions { frequency_hz: config.band.centre, max_depth: 2, samples: cli.samples, refraction: false, backend: BackendChoice::Cpu, ..Default::default() });
    let legs = (config.tx.elements + config.rx.elements) * support.len();
    println!("room with a {0}×{0} RIS on the front wall, car silhouette of {1} voxels in a {2}×{2} ROI ({3:.2} m) at {4:.1} m; tracing {legs} legs …", cli.ris, support.len(), cli.voxels, side, config.roi.centre.x);
    let t0 = Instant::now();
    let bar = common::progress_bar(legs as u64, "tracing legs");
    let traced = TracedSensing::trace(&scene, &solver, &config, &support, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let trace_s = t0.elapsed().as_secs_f64();

    let free = traced.measurements(&sigma, Part::FreeSpace)?;
    let multipath = traced.measurements(&sigma, Part::Multipath)?;
    let all = traced.measurements(&sigma, Part::All)?;
    let fixed = traced.measurements(&sigma, Part::StaticMultipath)?;
    let energy = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
    let sir_db = 10.0 * (energy(&free) / energy(&multipath)).log10();
    let static_sir_db = 10.0 * (energy(&free) / energy(&fixed)).log10();
    let dynamic_sir_db = 10.0 * (energy(&free) / energy(&multipath.iter().zip(&fixed).map(|(a, b)| a - b).collect::<Vec<_>>())).log10();
    let operator = ForwardOperator::new(&config)?;
    let model = operator.apply_linear(&sigma)?;
    let mismatch_db = 10.0 * (energy(&free.iter().zip(&model).map(|(a, b)| a - b).collect::<Vec<_>>()) / energy(&model)).log10();
    println!("traced in {trace_s:.1} s ({:.1} paths and {:.1} RIS families per leg); SIR {sir_db:.2} dB (configuration-independent multipath alone {static_sir_db:.2} dB, configuration-dependent alone {dynamic_sir_db:.2} dB); traced free-space part vs channel model: {mismatch_db:.1} dB", traced.mean_paths_per_leg, traced.mean_ris_families_per_leg);

    let std = calibrated_noise_std(&config, 10)?;
    // the imager's operator: the scalar channel model, or the traced free-space operator
    let f32_model = if cli.traced_operator { traced.operator(Part::FreeSpace).to_f32() } else { operator.to_f32().without_offset() };
    let truth = GrayImage { rows: cli.voxels, cols: cli.voxels, data: sigma.clone() };
    let options = TrainOptions { epochs: cli.epochs, seed: cli.seed, ..Default::default() };
    let pairs = config.tx.elements * config.rx.elements;
    let metrics = |image: &[f64]| -> Result<(f64, f64)> { Ok((psnr(image, &sigma)?, ssim(image, &sigma, cli.voxels, cli.voxels)?)) };
    // reference data: the imager's own operator applied to the target (free space)
    let reference_data = if cli.traced_operator { free.clone() } else { model.clone() };
    let reference = ris::train_with_progress("free-space data", &f32_model, &ris::add_noise(&reference_data, std, cli.seed), &truth, &options, None)?;
    let y = ris::add_noise(&all, std, cli.seed);
    let learnt = ris::train_with_progress("traced, learning Â", &f32_model, &y, &truth, &TrainOptions { interference_pairs: Some(pairs), ..options.clone() }, None)?;
    let plain = ris::train_with_progress("traced, no learning", &f32_model, &y, &truth, &options, None)?;
    // the paper's multipath model: only the configuration-independent coupling present
    let y_static = ris::add_noise(&free.iter().zip(&fixed).map(|(a, b)| a + b).collect::<Vec<_>>(), std, cli.seed);
    let learnt_static = ris::train_with_progress("static multipath, learning Â", &f32_model, &y_static, &truth, &TrainOptions { interference_pairs: Some(pairs), ..options.clone() }, None)?;
    let plain_static = ris::train_with_progress("static multipath, no learning", &f32_model, &y_static, &truth, &options, None)?;
    let (p_ls, s_ls) = metrics(&learnt_static.image)?;
    let (p_ps, s_ps) = metrics(&plain_static.image)?;
    let (p_ref, s_ref) = metrics(&reference.image)?;
    let (p_learn, s_learn) = metrics(&learnt.image)?;
    let (p_plain, s_plain) = metrics(&plain.image)?;
    println!("free-space data:       PSNR {p_ref:.2} dB, SSIM {s_ref:.3}");
    println!("traced, learning Â:    PSNR {p_learn:.2} dB, SSIM {s_learn:.3}");
    println!("traced, no learning:   PSNR {p_plain:.2} dB, SSIM {s_plain:.3}");
    println!("static multipath only, learning Â: PSNR {p_ls:.2} dB, SSIM {s_ls:.3}; no learning: PSNR {p_ps:.2} dB, SSIM {s_ps:.3}");
    let n = cli.voxels;
    let panels = [("car silhouette", ris::flip(&sigma, n, n)), ("free-space model data", ris::flip(&reference.image, n, n)), ("traced, learning Â", ris::flip(&learnt.image, n, n)), ("traced, no learning", ris::flip(&plain.image, n, n)), ("static multipath, learning Â", ris::flip(&learnt_static.image, n, n)), ("static multipath, no learning", ris::flip(&plain_static.image, n, n))];
    let refs: Vec<(&str, &[f64])> = panels.iter().map(|(t, d)| (*t, d.as_slice())).collect();
    rftwin::inverse::plot::heatmaps(&out.join("images.png"), &refs, n, n)?;
    let summary = json!({
        "ris_elements": config.ris.count(),
        "voxels": sigma.len(),
        "target_voxels": support.len(),
        "configurations": config.configurations,
        "epochs": cli.epochs,
        "legs": legs,
        "paths_per_leg": traced.mean_paths_per_leg,
        "ris_families_per_leg": traced.mean_ris_families_per_leg,
        "trace_seconds": trace_s,
        "sir_db": sir_db,
        "free_space_part_vs_model_db": mismatch_db,
        "operator": if cli.traced_operator { "traced free space" } else { "scalar channel model" },
        "free_space_model": {"psnr_db": p_ref, "ssim": s_ref},
        "traced_learning": {"psnr_db": p_learn, "ssim": s_learn},
        "traced_no_learning": {"psnr_db": p_plain, "ssim": s_plain},
        "learning_gain_db": p_learn - p_plain,
        "static_sir_db": static_sir_db,
        "dynamic_sir_db": dynamic_sir_db,
        "static_multipath_learning": {"psnr_db": p_ls, "ssim": s_ls},
        "static_multipath_no_learning": {"psnr_db": p_ps, "ssim": s_ps},
        "static_learning_gain_db": p_ls - p_ps,
        "peak_memory_mb": common::peak_memory_mb(),
    });
    common::write_json(&out.join("ris_room_imaging.json"), &json!({"summary": summary}))?;
    println!("wrote {}", out.display());
    println!("summary: {summary}");
    Ok(())
}
