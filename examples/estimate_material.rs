//! Material estimation from channel measurements: a 6 m × 5 m × 3 m room whose east wall
//! is of an unknown dielectric; the channel frequency responses (CFR) between one access
//! point and sixteen receivers over a 3.5 GHz, 100 MHz band are observed (with complex
//! Gaussian noise at the given SNR), and Adam on the CFR misfit recovers the wall's
//! relative permittivity εr and conductivity σ from solver (A)'s material gradients.
//!
//! ```text
//! cargo run --release --example estimate_material -- [--eps-r 6.5] [--sigma 0.2]
//!     [--start-eps-r 4.0] [--start-sigma 0.05] [--snr-db 40] [--iterations 200]
//!     [--out DIR] [--quiet] [--freq 3.5e9] [--bandwidth 100e6] [--thickness 0.3]
//!     [--scene FILE --object NAME --tx x,y,z --rx x,y,z [--rx …]]
//! ```
//! Parameters are optimised as `ln εr` and `ln σ` (both positive, similar scales).
//! Writes `cfr.png` (observed, start and estimate at one receiver), `parameters.png`
//! (relative errors vs iteration), `history.json`, `loss.png` and `summary.json`; the
//! summary line holds `eps_r_error` and `sigma_error` (relative).

#[path = "common/mod.rs"]
mod common;

use anyhow::{Context, Result};
use clap::Parser;
use common::*;
use glam::DVec3;
use rand::{Rng, SeedableRng};
use rftwin::core::Complex;
use rftwin::inverse::autodiff::{OptimizerKind, ParamGroup, Schedule};
use rftwin::inverse::driver::{Reconstruction, Settings};
use rftwin::inverse::objective::CfrObjective;
use rftwin::trace::SceneGeometry;
use rftwin::{BackendChoice, Mesh, PathSolver, Radio, RadioMaterial, Scene, SolverOptions};
use std::path::PathBuf;

const WALL: &str = "unknown_wall";
/// The unknown wall is a 30 cm slab: thick and lossy enough that its back face does not
/// echo (at σ = 0.2 S/m the round trip through it attenuates by ≈ 90 dB), so the CFR
/// constrains (εr, σ) through the front-face Fresnel coefficient without the
/// thickness resonances that make a thin slab's misfit multimodal in εr.
const THICKNESS: f64 = 0.3;

/// A rectangle from corner `o` spanned by `u` and `v` (two triangles).
fn rect(o: DVec3, u: DVec3, v: DVec3) -> Mesh {
    Mesh { vertices: vec![o, o + u, o + u + v, o + v], triangles: vec![[0, 1, 2], [0, 2, 3]] }
}

/// The built-in room; its east wall has the material `WALL`.
fn room() -> rftwin::core::Result<Scene> {
    let (x, y, z) = (6.0, 5.0, 3.0);
    let mut s = Scene::new();
    s.add_material(RadioMaterial::custom(WALL, 1.0, 0.0, THICKNESS)?)?;
    s.add_object("floor", rect(DVec3::ZERO, DVec3::X * x, DVec3::Y * y), "itu_concrete")?;
    s.add_object("ceiling", rect(DVec3::Z * z, DVec3::X * x, DVec3::Y * y), "itu_plasterboard")?;
    s.add_object("west", rect(DVec3::ZERO, DVec3::Y * y, DVec3::Z * z), "itu_concrete")?;
    s.add_object("east", rect(DVec3::X * x, DVec3::Y * y, DVec3::Z * z), WALL)?;
    s.add_object("south", rect(DVec3::ZERO, DVec3::X * x, DVec3::Z * z), "itu_brick")?;
    s.add_object("north", rect(DVec3::Y * y, DVec3::X * x, DVec3::Z * z), "itu_glass")?;
    Ok(s)
}

/// εr and σ of a wall from noisy CFRs at several receivers (the built-in room, or
/// --scene with --object, --tx and repeated --rx).
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// True relative permittivity of the unknown wall (simulated observation)
    #[arg(long, default_value_t = 6.5)]
    eps_r: f64,
    /// True conductivity [S/m]
    #[arg(long, default_value_t = 0.2)]
    sigma: f64,
    /// Starting relative permittivity
    #[arg(long, default_value_t = 4.0)]
    start_eps_r: f64,
    /// Starting conductivity [S/m]
    #[arg(long, default_value_t = 0.05)]
    start_sigma: f64,
    /// SNR of the observed CFRs [dB]
    #[arg(long, allow_hyphen_values = true, default_value_t = 40.0)]
    snr_db: f64,
    /// Optimiser iterations
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    iterations: u32,
    /// Seed of the noise
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Carrier frequency [Hz]
    #[arg(long, default_value_t = 3.5e9)]
    freq: f64,
    /// Bandwidth of the 128 subcarriers [Hz]
    #[arg(long, default_value_t = 100e6)]
    bandwidth: f64,
    /// Slab thickness of the unknown material [m]
    #[arg(long, default_value_t = THICKNESS)]
    thickness: f64,
    /// A scene file instead of the built-in room
    #[arg(long, requires_all = ["object", "tx", "rx"])]
    scene: Option<String>,
    /// The object of unknown material (with --scene)
    #[arg(long)]
    object: Option<String>,
    /// Transmitter x,y,z [m] (with --scene)
    #[arg(long, allow_hyphen_values = true)]
    tx: Option<String>,
    /// Receiver x,y,z [m], repeatable (with --scene)
    #[arg(long, allow_hyphen_values = true)]
    rx: Vec<String>,
    /// Output directory
    #[arg(long, default_value = "out/estimate_material")]
    out: PathBuf,
    /// No progress bar
    #[arg(long)]
    quiet: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let truth: (f64, f64) = (cli.eps_r, cli.sigma);
    let start: (f64, f64) = (cli.start_eps_r, cli.start_sigma);
    let (snr_db, iterations, seed) = (cli.snr_db, cli.iterations as usize, cli.seed);
    for (name, v) in [("--eps-r", truth.0), ("--start-eps-r", start.0)] {
        if !(v.is_finite() && v >= 1.0) {
            anyhow::bail!("{name} must be ≥ 1, got {v}");
        }
    }
    for (name, v) in [("--sigma", truth.1), ("--start-sigma", start.1)] {
        if !(v.is_finite() && v > 0.0) {
            anyhow::bail!("{name} must be > 0 (optimised in log scale), got {v}");
        }
    }

    let (f0, bw, thickness) = (cli.freq, cli.bandwidth, cli.thickness);
    if !(f0 > 0.0 && f0.is_finite() && bw > 0.0 && bw < f0 && thickness > 0.0) {
        anyhow::bail!("--freq, --bandwidth (< freq) and --thickness must be > 0");
    }
    let out = cli.out.clone();
    let _ = std::fs::remove_dir_all(out.join("run"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let freqs: Vec<f64> = (0..128).map(|k| f0 - 0.5 * bw + bw * k as f64 / 127.0).collect();
    let solver = PathSolver::new(SolverOptions { frequency_hz: f0, max_depth: 2, samples: 100_000, refraction: false, backend: BackendChoice::Cpu, ..Default::default() });
    // the built-in room, or a scene file with the unknown object named by --object and
    // the radios given by --tx and (repeated) --rx
    let (mut base, tx, rx, object) = match cli.scene.as_deref() {
        None => {
            // a 4 × 4 grid of receivers in the half of the room next to the unknown wall
            let rx = (0..16).map(|k| Radio::isotropic(DVec3::new(3.2 + 0.75 * (k % 4) as f64, 0.9 + 1.05 * (k / 4) as f64, 1.0 + 0.15 * (k % 3) as f64))).collect();
            (room()?, Radio::isotropic(DVec3::new(4.0, 2.5, 2.5)), rx, "east".to_string())
        }
        Some(path) => {
            let scene = rftwin::core::io::load_scene(path).with_context(|| format!("loading {path}"))?;
            let object = cli.object.clone().context("--scene needs --object NAME (the object of unknown material)")?.to_string();
            let tx = parse_vec3(cli.tx.as_deref().context("--scene needs --tx x,y,z")?, "--tx")?;
            let rx = cli.rx.iter().map(|r| parse_vec3(r, "--rx").map(Radio::isotropic)).collect::<Result<Vec<_>>>()?;
            if rx.is_empty() {
                anyhow::bail!("--scene needs at least one --rx x,y,z");
            }
            (scene, Radio::isotropic(tx), rx, object)
        }
    };
    base.add_material(RadioMaterial::custom(WALL, 1.0, 0.0, thickness)?)?;
    base.set_object_material(&object, WALL)?;
    let geom = SceneGeometry::new(&base);
    let mut problem = CfrObjective { base, geom, material: WALL.into(), thickness, solver, tx, rx, freqs: freqs.clone(), observed: Vec::new(), truth: Some(truth) };

    // observation: the true wall, plus complex Gaussian noise at the SNR (per sample,
    // relative to the mean CFR power)
    let clean = problem.channels(truth.0, truth.1, false)?.h;
    let power = clean.iter().flatten().map(|h| h.norm_sqr()).sum::<f64>() / (clean.len() * freqs.len()) as f64;
    let sd = (power / 10f64.powf(snr_db / 10.0) / 2.0).sqrt();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    // Box–Muller: a complex normal of standard deviation `sd` per component
    let mut noise = || {
        let (u1, u2): (f64, f64) = (1.0 - rng.gen::<f64>(), rng.gen());
        Complex::from_polar(sd * (-2.0 * u1.ln()).sqrt(), 2.0 * std::f64::consts::PI * u2)
    };
    problem.observed = clean.iter().map(|h| h.iter().map(|x| *x + noise()).collect()).collect();
    println!("{} triangles, unknown material on '{object}', {} receivers, {} subcarriers over {} MHz at {} GHz, SNR {snr_db} dB", problem.base.num_triangles(), problem.rx.len(), freqs.len(), bw / 1e6, f0 / 1e9);
    println!("truth εr = {}, σ = {} S/m; start εr = {}, σ = {} S/m", truth.0, truth.1, start.0, start.1);

    let group = ParamGroup::new("material", &[start.0.ln(), start.1.ln()], 0.1, OptimizerKind::adam())?.with_schedule(Schedule::Cosine { iterations, floor: 0.01 });
    let settings = Settings { iterations, out_dir: Some(out.join("run")), progress: !cli.quiet, resume: false, ..Default::default() };
    let mut rec = Reconstruction::new(vec![group], settings)?;
    rec.run(&mut problem)?;
    let v = rec.values();
    let (eps_r, sigma) = (v[0][0].exp(), v[0][1].exp());
    let (e_eps, e_sigma) = ((eps_r / truth.0 - 1.0).abs(), (sigma / truth.1 - 1.0).abs());

    // pictures: CFR at the first receiver; relative errors vs iteration
    let h_start = problem.channels(start.0, start.1, false)?.h;
    let h_end = problem.channels(eps_r, sigma, false)?.h;
    let db = |h: &[Complex]| h.iter().map(|x| 20.0 * x.norm().log10()).collect::<Vec<_>>();
    let f_mhz: Vec<f64> = freqs.iter().map(|f| (f - f0) / 1e6).collect();
    rftwin::inverse::plot::lines(
        &out.join("cfr.png"),
        "CFR magnitude at receiver 0",
        &format!("frequency offset from {} GHz [MHz]", f0 / 1e9),
        "|H| [dB]",
        &f_mhz,
        &[("observed", db(&problem.observed[0])), ("start", db(&h_start[0])), ("estimate", db(&h_end[0]))],
        false,
    )?;
    let it: Vec<f64> = rec.history.iter().map(|r| r.iteration as f64).collect();
    let series = |k: &str| rec.history.iter().map(|r| r.metrics.get(k).copied().unwrap_or(f64::NAN)).collect::<Vec<_>>();
    rftwin::inverse::plot::lines(&out.join("parameters.png"), "Relative parameter error", "iteration", "log10 relative error", &it, &[("εr", series("eps_r_error")), ("σ", series("sigma_error"))], true)?;

    let t = rec.timing();
    let summary = serde_json::json!({
        "eps_r_error": e_eps, "sigma_error": e_sigma, "eps_r": eps_r, "sigma": sigma,
        "eps_r_true": truth.0, "sigma_true": truth.1, "snr_db": snr_db, "iterations": rec.history.len(),
        "seconds_per_iteration": t.seconds_per_iteration, "simulate_s": t.simulate_s, "backward_s": t.backward_s, "optimizer_s": t.optimizer_s,
        "final_loss": rec.history.last().map(|r| r.loss), "backend": "cpu",
    });
    write_json(&out.join("summary.json"), &summary)?;
    println!("εr = {eps_r:.4} (true {}, error {:.2} %), σ = {sigma:.5} S/m (true {}, error {:.2} %); results in {}", truth.0, e_eps * 100.0, truth.1, e_sigma * 100.0, out.display());
    println!("summary: {summary}");
    Ok(())
}
