//! RIS-ISAC imaging on ray-traced measurements: a room (concrete floor, ceiling and
//! walls, a wooden table and cabinet) with the imaging RIS on the front wall, the TX/RX
//! arrays of paper 000 in front of it and a car body (the mesh of `rftwin::inverse::shapes`,
//! scaled to fill 90 % of the ROI) in the region of interest. The car's silhouette on the
//! ROI plane is the target `σ`; solver (A) traces every leg between the arrays and the
//! target's voxels — line of sight, wall reflections and RIS paths, all 40 random RIS
//! configurations from one trace (`rftwin::isac::ris_imaging::traced`). The INR imager
//! then reconstructs the target from the background-calibrated, noisy measurements with
//! and without learning the multipath interference (paper 000 Sec. IV-A, P3), next to the
//! same imager on free-space data.
//!
//! The imager's operator is by default the traced free-space operator (the line-of-sight
//! and wall-free RIS parts of every ROI voxel's traced legs: the channel model with the
//! tracer's polarimetric transport); `--operator scalar` uses paper 000's scalar channel model instead, whose
//! 1–2 % model error on this geometry is enough to spoil the image (see docs/benchmarks.md).
//! `Â` is solved in closed form every epoch (`TrainOptions::solve_interference`);
//! `--adam-interference` takes the paper's Adam steps instead.
//!
//! ```text
//! cargo run --release --example ris_room_imaging                  # ≈ 3 min tracing + 5 × 200 epochs
//! cargo run --release --example ris_room_imaging -- --ft          # and the FT imager (1 TX antenna, 1024 DFT configurations)
//! cargo run --release --example ris_room_imaging -- --operator scalar --voxels 40
//! ```
//!
//! Two more runs keep only the configuration-independent part of the traced multipath
//! (no RIS in the wall-coupled legs), the interference model of the paper; with the traced
//! operator, one more images the same data with the room's whole traced operator (walls
//! included: the digital twin), which needs no interference model.
//!
//! Writes `images.png` (truth | free-space data | traced, learning Â | traced, no
//! learning | static multipath, learning Â | static, no learning [| twin operator] [| leg
//! coupling] [| FT on the model's data | FT on traced data]), `ris_room_imaging.json`; the summary gives the scene's SIR (the
//! traced target signal's free-space part against its multipath part, and against each of
//! its parts), PSNR/SSIM of every run, `learning_gain_db` and `static_learning_gain_db`.

#[path = "common/mod.rs"]
mod common;
#[path = "common/ris.rs"]
mod ris;

use anyhow::{bail, Result};
use clap::{Parser, ValueEnum};
use glam::DVec3;
use rftwin::core::constants::SPEED_OF_LIGHT;
use rftwin::inverse::inr::TrainOptions;
use rftwin::inverse::shapes::CarBody;
use rftwin::isac::geometry::{Ris, VoxelGrid};
use rftwin::isac::metrics::{psnr, ssim};
use rftwin::isac::ris_imaging::baselines::TableIvView;
use rftwin::isac::ris_imaging::legs::SensingLegs;
use rftwin::isac::ris_imaging::multipath::calibrated_noise_std;
use rftwin::isac::ris_imaging::operator::ForwardOperator;
use rftwin::isac::ris_imaging::traced::{Part, TracedSensing};
use rftwin::isac::ris_imaging::{RisImagingConfig, RisMode, SensingPaths};
use rftwin::isac::targets::GrayImage;
use rftwin::{BackendChoice, Mesh, PathSolver, Scene, SceneGeometry, SolverOptions};
use serde_json::json;
use std::time::Instant;

/// The imager's sensing operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Operator {
    /// The traced free-space operator (every ROI voxel traced)
    Traced,
    /// Paper 000's scalar channel model
    Scalar,
}

/// INR imaging of a car in a furnished room from ray-traced RIS-ISAC measurements, with
/// and without multipath learning.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// RIS elements per side (λ/2 elements)
    #[arg(long, default_value_t = 32)]
    ris: usize,
    /// ROI voxels per side (λ/2.5 voxels)
    #[arg(long, default_value_t = 24)]
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
    /// The imager's operator: `traced` traces 16 legs per ROI voxel, `scalar` only the
    /// target's voxels
    #[arg(long, value_enum, default_value_t = Operator::Traced)]
    operator: Operator,
    /// Learn Â by the paper's Adam steps instead of solving it every epoch
    #[arg(long)]
    adam_interference: bool,
    /// Also train with the learnt per-leg wall coupling (`ris_imaging::legs`) beside the
    /// solved Â, its learning rate this multiple of the network's
    #[arg(long)]
    leg_coupling: Option<f64>,
    /// Keep the leg couplings orthogonal to each voxel's line of sight over the antennas
    /// (less sensitive to the learning rate, lower at its best)
    #[arg(long, requires = "leg_coupling")]
    orthogonal_legs: bool,
    /// Also image with the FT imager (paper 001 via paper 000's Table IV: one TX antenna,
    /// the full DFT codebook of K = N_s configurations; a second trace)
    #[arg(long)]
    ft: bool,
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
    if let Some(f) = cli.leg_coupling.filter(|f| !(f.is_finite() && *f > 0.0)) {
        bail!("--leg-coupling {f}: the learning-rate factor must be finite and > 0");
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
    let target_support: Vec<usize> = (0..sigma.len()).filter(|&m| sigma[m] > 0.0).collect();
    let traced_operator = cli.operator == Operator::Traced;
    let support: Vec<usize> = if traced_operator { (0..sigma.len()).collect() } else { target_support.clone() };
    let mut scene = room()?;
    scene.add_ris(config.ris.surface("ris")?)?;
    let solver = PathSolver::new(SolverOptions { frequency_hz: config.band.centre, max_depth: 2, samples: cli.samples, refraction: false, backend: BackendChoice::Cpu, ..Default::default() });
    let legs = (config.tx.elements + config.rx.elements) * support.len();
    println!("room with a {0}×{0} RIS on the front wall, car silhouette of {1} voxels in a {2}×{2} ROI ({3:.2} m) at {4:.1} m; tracing {legs} legs …", cli.ris, support_len, cli.voxels, side, config.roi.centre.x);
    let t0 = Instant::now();
    let trace = |config: &RisImagingConfig, support: &[usize], legs: usize| -> Result<TracedSensing> {
        let bar = common::progress_bar(legs as u64, "tracing legs");
        let traced = TracedSensing::trace(&scene, &solver, config, support, &|| bar.inc(1))?;
        bar.finish_and_clear();
        Ok(traced)
    };
    let traced = trace(&config, &support, legs)?;
    let trace_s = t0.elapsed().as_secs_f64();

    let energy = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
    let part = |p| traced.measurements(&sigma, p);
    let (free, multipath, all, fixed, leg_walls, ris_walls) = (part(Part::FreeSpace)?, part(Part::Multipath)?, part(Part::All)?, part(Part::StaticMultipath)?, part(Part::LegWalls)?, part(Part::RisWalls)?);
    let sir = |v: &[f64]| 10.0 * (energy(&free) / energy(v)).log10();
    let dynamic: Vec<f64> = multipath.iter().zip(&fixed).map(|(a, b)| a - b).collect();
    let (sir_db, static_sir_db, dynamic_sir_db, leg_walls_sir_db, ris_walls_sir_db) = (sir(&multipath), sir(&fixed), sir(&dynamic), sir(&leg_walls), sir(&ris_walls));
    let operator = ForwardOperator::new(&config)?;
    let model = operator.apply_linear(&sigma)?;
    let mismatch_db = 10.0 * (energy(&free.iter().zip(&model).map(|(a, b)| a - b).collect::<Vec<_>>()) / energy(&model)).log10();
    println!("traced in {trace_s:.1} s ({:.1} paths and {:.1} RIS families per leg); SIR {sir_db:.2} dB: configuration-independent multipath alone {static_sir_db:.2} dB, configuration-dependent alone {dynamic_sir_db:.2} dB (walls in legs without the RIS {leg_walls_sir_db:.2} dB, the RIS reached through a wall {ris_walls_sir_db:.2} dB); traced free-space part vs channel model: {mismatch_db:.1} dB", traced.mean_paths_per_leg, traced.mean_ris_families_per_leg);

    let std = calibrated_noise_std(&config, 10)?;
    let f32_model = if traced_operator { traced.operator(Part::FreeSpace).to_f32() } else { operator.to_f32().without_offset() };
    drop(operator);
    let truth = GrayImage { rows: cli.voxels, cols: cli.voxels, data: sigma.clone() };
    let options = TrainOptions { epochs: cli.epochs, seed: cli.seed, ..Default::default() };
    let learning = TrainOptions { interference_pairs: Some(config.tx.elements * config.rx.elements), solve_interference: !cli.adam_interference, ..options.clone() };
    let metrics = |image: &[f64]| -> Result<(f64, f64)> { Ok((psnr(image, &sigma)?, ssim(image, &sigma, cli.voxels, cli.voxels)?)) };
    // reference data: the imager's own operator applied to the target (free space)
    let reference_data = if traced_operator { free.clone() } else { model };
    let reference = ris::train_with_progress("free-space data", &f32_model, &ris::add_noise(&reference_data, std, cli.seed), &truth, &options, None)?;
    let y = ris::add_noise(&all, std, cli.seed);
    let learnt = ris::train_with_progress("traced, learning Â", &f32_model, &y, &truth, &learning, None)?;
    let plain = ris::train_with_progress("traced, no learning", &f32_model, &y, &truth, &options, None)?;
    // the paper's multipath model: only the configuration-independent coupling present
    let y_static = ris::add_noise(&free.iter().zip(&fixed).map(|(a, b)| a + b).collect::<Vec<_>>(), std, cli.seed);
    let learnt_static = ris::train_with_progress("static multipath, learning Â", &f32_model, &y_static, &truth, &learning, None)?;
    let plain_static = ris::train_with_progress("static multipath, no learning", &f32_model, &y_static, &truth, &options, None)?;
    // the room's digital twin as the operator: every traced path, walls included
    let twin_run = if traced_operator {
        let twin = traced.operator(Part::All).to_f32();
        let run = ris::train_with_progress("traced, twin operator", &twin, &y, &truth, &options, None)?;
        let (p, s) = metrics(&run.image)?;
        println!("traced, imaged with the room's traced operator (walls included): PSNR {p:.2} dB, SSIM {s:.3}");
        Some((run.image, json!({"psnr_db": p, "ssim": s})))
    } else {
        None
    };
    let legs_run = match cli.leg_coupling {
        Some(factor) => {
            let leg_model = if traced_operator { traced.free_space_legs()? } else { SensingLegs::from_model(&config)? };
            let leg_model = if cli.orthogonal_legs { leg_model.orthogonal_to_line_of_sight() } else { leg_model };
            let o = TrainOptions { interference_lr_factor: factor, solve_interference: true, ..learning.clone() };
            let run = ris::train_with_learnt_term("traced, learning legs and Â", &f32_model, &leg_model, &y, &truth, &o)?;
            let (p, s) = metrics(&run.image)?;
            println!("traced, learning leg coupling (lr ×{factor}) and Â: PSNR {p:.2} dB, SSIM {s:.3}");
            Some((run.image, json!({"lr_factor": factor, "orthogonal": cli.orthogonal_legs, "psnr_db": p, "ssim": s, "gain_db": p - metrics(&plain.image)?.0})))
        }
        None => None,
    };
    let (p_ref, s_ref) = metrics(&reference.image)?;
    let (p_learn, s_learn) = metrics(&learnt.image)?;
    let (p_plain, s_plain) = metrics(&plain.image)?;
    let (p_ls, s_ls) = metrics(&learnt_static.image)?;
    let (p_ps, s_ps) = metrics(&plain_static.image)?;
    println!("free-space data:       PSNR {p_ref:.2} dB, SSIM {s_ref:.3}");
    println!("traced, learning Â:    PSNR {p_learn:.2} dB, SSIM {s_learn:.3}");
    println!("traced, no learning:   PSNR {p_plain:.2} dB, SSIM {s_plain:.3}");
    println!("static multipath only, learning Â: PSNR {p_ls:.2} dB, SSIM {s_ls:.3}; no learning: PSNR {p_ps:.2} dB, SSIM {s_ps:.3}");
    let n = cli.voxels;
    let mut panels = vec![("car silhouette".to_string(), sigma.clone()), ("free-space data".into(), reference.image.clone()), ("traced, learning Â".into(), learnt.image.clone()), ("traced, no learning".into(), plain.image.clone()), ("static multipath, learning Â".into(), learnt_static.image.clone()), ("static multipath, no learning".into(), plain_static.image.clone())];

    if let Some((image, _)) = &twin_run {
        panels.push(("traced, twin operator".into(), image.clone()));
    }
    if let Some((image, _)) = &legs_run {
        panels.push(("traced, learning legs and Â".into(), image.clone()));
    }
    // the FT imager on the Table IV view of the same room
    let ft = if cli.ft {
        let mut ft_config = config.clone();
        ft_config.tx.elements = 1;
        ft_config.ris_mode = RisMode::Dft;
        ft_config.configurations = ft_config.ris.count();
        ft_config.paths = SensingPaths::roi_ris_only();
        let view = TableIvView::new(&ft_config)?;
        let legs = (1 + ft_config.rx.elements) * target_support.len();
        println!("FT imager: {} DFT configurations, one TX antenna; tracing {legs} legs …", ft_config.configurations);
        let traced_ft = trace(&ft_config, &target_support, legs)?;
        let std_ft = calibrated_noise_std(&ft_config, 10)?;
        let image = |y: &[f64]| -> Result<Vec<f64>> { Ok(view.ft_image(&ris::add_noise(y, std_ft, cli.seed).iter().map(|&v| v as f64).collect::<Vec<_>>())?.image) };
        let on_model = image(&ForwardOperator::new(&ft_config)?.apply_linear(&sigma)?)?;
        let on_free = image(&traced_ft.measurements(&sigma, Part::FreeSpace)?)?;
        let on_all = image(&traced_ft.measurements(&sigma, Part::All)?)?;
        let (m, f, a) = (metrics(&on_model)?, metrics(&on_free)?, metrics(&on_all)?);
        println!("FT on the model's data PSNR {:.2} dB SSIM {:.3}; on traced free-space data {:.2} dB {:.3}; on traced data {:.2} dB {:.3}", m.0, m.1, f.0, f.1, a.0, a.1);
        panels.push(("FT, model data".into(), on_model));
        panels.push(("FT, traced data".into(), on_all));
        Some(json!({"configurations": ft_config.configurations, "model_data": {"psnr_db": m.0, "ssim": m.1}, "traced_free_space": {"psnr_db": f.0, "ssim": f.1}, "traced": {"psnr_db": a.0, "ssim": a.1}}))
    } else {
        None
    };
    let flipped: Vec<(String, Vec<f64>)> = panels.into_iter().map(|(t, d)| (t, ris::flip(&d, n, n))).collect();
    let refs: Vec<(&str, &[f64])> = flipped.iter().map(|(t, d)| (t.as_str(), d.as_slice())).collect();
    rftwin::inverse::plot::heatmaps(&out.join("images.png"), &refs, n, n)?;
    let summary = json!({
        "ris_elements": config.ris.count(),
        "voxels": sigma.len(),
        "target_voxels": support_len,
        "configurations": config.configurations,
        "epochs": cli.epochs,
        "legs": legs,
        "paths_per_leg": traced.mean_paths_per_leg,
        "ris_families_per_leg": traced.mean_ris_families_per_leg,
        "trace_seconds": trace_s,
        "sir_db": sir_db,
        "static_sir_db": static_sir_db,
        "dynamic_sir_db": dynamic_sir_db,
        "leg_walls_sir_db": leg_walls_sir_db,
        "ris_walls_sir_db": ris_walls_sir_db,
        "free_space_part_vs_model_db": mismatch_db,
        "operator": if traced_operator { "traced free space" } else { "scalar channel model" },
        "interference": if cli.adam_interference { "Adam steps" } else { "solved every epoch" },
        "free_space_data": {"psnr_db": p_ref, "ssim": s_ref},
        "traced_learning": {"psnr_db": p_learn, "ssim": s_learn},
        "traced_no_learning": {"psnr_db": p_plain, "ssim": s_plain},
        "learning_gain_db": p_learn - p_plain,
        "static_multipath_learning": {"psnr_db": p_ls, "ssim": s_ls},
        "static_multipath_no_learning": {"psnr_db": p_ps, "ssim": s_ps},
        "static_learning_gain_db": p_ls - p_ps,
        "twin_operator": twin_run.map(|(_, j)| j),
        "leg_coupling": legs_run.map(|(_, j)| j),
        "ft": ft,
        "peak_memory_mb": common::peak_memory_mb(),
    });
    common::write_json(&out.join("ris_room_imaging.json"), &json!({"summary": summary}))?;
    println!("wrote {}", out.display());
    println!("summary: {summary}");
    Ok(())
}
