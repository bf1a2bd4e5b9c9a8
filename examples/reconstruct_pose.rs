//! Pose recovery (InverTwin Sec. 5): a known letter-"A" mesh in front of the radar is
//! displaced by 10 cm and rotated by 10° about a random axis; Adam on the surrogate
//! spectrum loss of two radar views recovers translation and rotation. Each random start
//! is run with the full gradient (interior + boundary) and with the interior term only.
//! Four radar poses (front, right-above, left-below, above); the default MIMO array's
//! aperture (16 half-wavelengths) sets the angular kernel.
//!
//! ```text
//! cargo run --release --example reconstruct_pose -- [--mesh FILE.obj] [--runs 10]
//!     [--iterations 150] [--samples 20000] [--out DIR] [--quiet]
//! ```
//! Writes `runs.csv`, `summary.json` and the loss curves of the first run; the summary
//! line holds `runs`, `successes` and `successes_interior_only` (success: translation
//! error < 5 mm and rotation error < 0.5°).

#[path = "common/mod.rs"]
mod common;

use anyhow::{Context, Result};
use clap::Parser;
use common::*;
use glam::DVec3;
use rand::{Rng, SeedableRng};
use rftwin::inverse::autodiff::{OptimizerKind, ParamGroup, Schedule};
use rftwin::inverse::driver::{Evaluation, Problem, Reconstruction, Settings};
use rftwin::inverse::metrics::pose_error;
use rftwin::inverse::objective::{RadarView, RigidPose, SpectrumObjective};
use rftwin::radar::surrogate::{RangeKernel, SurrogateOptions};
use rftwin::radar::FmcwConfig;
use rftwin::trace::scattering::boundary::{BoundaryOptions, GradientTerms};
use rftwin::trace::scattering::ScatteringOptions;
use rftwin::{BackendChoice, Mesh, Scene};
use std::io::Write;

struct PoseProblem {
    objective: SpectrumObjective,
    pose: RigidPose,
    truth: [f64; 6],
}

impl Problem for PoseProblem {
    fn evaluate(&mut self, it: usize, v: &[Vec<f64>]) -> rftwin::inverse::Result<Evaluation> {
        let p = [v[0][0], v[0][1], v[0][2], v[1][0], v[1][1], v[1][2]];
        self.objective.set_vertices(&self.pose.vertices(&p))?;
        let ev = self.objective.evaluate(it as u64 + 1)?;
        let g = self.pose.pullback(&p, &ev.vertex_grad);
        let e = pose_error(DVec3::new(p[0], p[1], p[2]), DVec3::new(self.truth[0], self.truth[1], self.truth[2]), RigidPose::matrix([p[3], p[4], p[5]]), RigidPose::matrix([self.truth[3], self.truth[4], self.truth[5]]));
        let metrics = [("translation_error_m".to_string(), e.translation_m), ("rotation_error_deg".to_string(), e.rotation_deg)].into_iter().collect();
        Ok(Evaluation { loss: ev.loss, gradients: vec![g[..3].to_vec(), g[3..].to_vec()], simulate_s: ev.timing.simulate_s, backward_s: ev.timing.backward_s, metrics })
    }
}

/// Translation and rotation of a known letter "A" (or --mesh) from random 10 cm / 10°
/// starts, with full (interior + boundary) and interior-only gradients.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Target mesh (OBJ or PLY), centred 1 m in front of the radar (default: a letter A)
    #[arg(long)]
    mesh: Option<String>,
    /// Random starts per gradient kind
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Iterations per run
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u32).range(1..))]
    iterations: u32,
    /// Surface samples per evaluation
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..))]
    samples: u32,
    /// Seed of the starts
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Gradient kinds to run
    #[arg(long, value_enum, default_value_t = Terms::Both)]
    terms: Terms,
    /// Output directory
    #[arg(long, default_value = "out/reconstruct_pose")]
    out: std::path::PathBuf,
    /// No progress bars
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Terms {
    Both,
    Full,
    Interior,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let labels: &[&str] = match cli.terms {
        Terms::Both => &["full", "interior"],
        Terms::Full => &["full"],
        Terms::Interior => &["interior"],
    };
    let out = prepare_output(&cli.out, false)?;
    let (runs, iterations, samples, seed, quiet) = (cli.runs as usize, cli.iterations as usize, cli.samples as usize, cli.seed, cli.quiet);

    let cfg = FmcwConfig::default();
    let lambda = cfg.wavelength();
    let target_at = DVec3::new(0.0, 1.0, 0.0);
    let mesh = match cli.mesh.as_deref() {
        Some(p) => {
            let mut m = rftwin::core::io::load_mesh(p).with_context(|| format!("loading {p}"))?;
            let (lo, hi) = m.bounds().context("empty mesh")?;
            m.translate(target_at - (lo + hi) / 2.0);
            m
        }
        None => Mesh::letter_a(target_at - DVec3::new(0.0, 0.0, 0.25), 0.5, 0.4, 0.08, 0.05),
    };
    let mut truth_scene = Scene::new();
    truth_scene.add_object("target", mesh.clone(), "itu_metal")?;
    // four poses: in front, right and above, left and below, above
    let views = [DVec3::ZERO, DVec3::new(0.8, 0.3, 0.3), DVec3::new(-0.7, 0.2, -0.3), DVec3::new(-0.2, 0.3, 0.8)]
        .into_iter()
        .map(|c| RadarView::looking_at(c, target_at, 0.35, 9, 24, 0.5 * cfg.range_resolution()))
        .collect::<rftwin::inverse::Result<Vec<_>>>()?;
    let scattering = ScatteringOptions { frequency_hz: cfg.carrier_hz, samples, backend: BackendChoice::Cpu, ..Default::default() };
    let surrogate = SurrogateOptions { sigma_m: cfg.range_resolution(), kernel: RangeKernel::Gaussian, aperture_radius_m: 4.0 * lambda, wavelength: lambda, random_phase_seed: Some(7) };
    let pose = RigidPose::new(mesh.vertices.clone());
    // one observation of the true pose, shared by every run
    let observed = {
        let mut o = SpectrumObjective::new(truth_scene.clone(), "target", views.clone(), scattering.clone(), surrogate, GradientTerms { interior: true, boundary: None })?;
        o.observe(&truth_scene, 50 * samples, 999)?;
        o.observed().to_vec()
    };
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let mut table = Vec::new();
    let mut csv = std::fs::File::create(out.join("runs.csv"))?;
    writeln!(csv, "run,terms,start_translation_m,start_rotation_deg,translation_error_m,rotation_error_deg,success,iterations,seconds_per_iteration")?;
    println!("{:>3} {:>9} {:>14} {:>14} {:>8}", "run", "terms", "transl. [mm]", "rot. [deg]", "success");
    let (mut ok_full, mut ok_int, mut spi) = (0usize, 0usize, Vec::new());
    for run in 0..runs {
        let dir = DVec3::new(rng.gen::<f64>() - 0.5, rng.gen::<f64>() - 0.5, rng.gen::<f64>() - 0.5).normalize();
        let axis = DVec3::new(rng.gen::<f64>() - 0.5, rng.gen::<f64>() - 0.5, rng.gen::<f64>() - 0.5).normalize();
        let t0 = dir * 0.10;
        // Euler angles of a 10° rotation about `axis`
        let (a, b, c) = glam::DQuat::from_axis_angle(axis, 10f64.to_radians()).to_euler(glam::EulerRot::ZYX);
        let start = [t0.x, t0.y, t0.z, c, b, a];
        for (label, terms) in [("full", GradientTerms { interior: true, boundary: Some(BoundaryOptions { samples: 2000, seed: 3, backend: BackendChoice::Cpu }) }), ("interior", GradientTerms { interior: true, boundary: None })] {
            if !labels.contains(&label) {
                continue;
            }
            let mut objective = SpectrumObjective::new(truth_scene.clone(), "target", views.clone(), scattering.clone(), surrogate, terms)?;
            objective.set_observed(observed.clone())?;
            let mut problem = PoseProblem { objective, pose: pose.clone(), truth: [0.0; 6] };
            let run_dir = (run == 0).then(|| out.join(format!("run0_{label}")));
            if let Some(d) = &run_dir {
                let _ = std::fs::remove_dir_all(d);
            }
            let settings = Settings { iterations, out_dir: run_dir.clone(), progress: !quiet, resume: false, ..Default::default() };
            let groups = vec![
                ParamGroup::new("translation", &start[..3], 0.01, OptimizerKind::adam())?.with_schedule(Schedule::Cosine { iterations, floor: 0.02 }),
                ParamGroup::new("rotation", &start[3..], 0.02, OptimizerKind::adam())?.with_schedule(Schedule::Cosine { iterations, floor: 0.02 }),
            ];
            let mut rec = Reconstruction::new(groups, settings)?;
            rec.run(&mut problem)?;
            let v = rec.values();
            if let Some(d) = &run_dir {
                // the estimate as OBJ, observed vs simulated spectra, error vs iteration
                let p = [v[0][0], v[0][1], v[0][2], v[1][0], v[1][1], v[1][2]];
                let est = Mesh { vertices: problem.pose.vertices(&p), triangles: mesh.triangles.clone() };
                rftwin::core::io::obj::save_obj(&d.join("estimate.obj"), &est)?;
                problem.objective.set_vertices(&est.vertices)?;
                let sim = problem.objective.evaluate(999_999)?.spectra;
                problem.objective.plot_views(d, &[("estimate", &sim)])?;
                let it: Vec<f64> = rec.history.iter().map(|r| r.iteration as f64).collect();
                let m = |k: &str, s: f64| rec.history.iter().map(|r| r.metrics.get(k).map_or(f64::NAN, |x| x * s)).collect::<Vec<_>>();
                rftwin::inverse::plot::lines(&d.join("error.png"), "Pose error", "iteration", "log10 error", &it, &[("translation [mm]", m("translation_error_m", 1e3)), ("rotation [deg]", m("rotation_error_deg", 1.0))], true)?;
            }
            let e = pose_error(DVec3::new(v[0][0], v[0][1], v[0][2]), DVec3::ZERO, RigidPose::matrix([v[1][0], v[1][1], v[1][2]]), RigidPose::matrix([0.0; 3]));
            let success = e.translation_m < 5e-3 && e.rotation_deg < 0.5;
            if label == "full" {
                ok_full += success as usize;
                spi.push(rec.timing());
            } else {
                ok_int += success as usize;
            }
            println!("{run:>3} {label:>9} {:>14.2} {:>14.3} {:>8}", e.translation_m * 1e3, e.rotation_deg, success);
            writeln!(csv, "{run},{label},0.1,10,{},{},{success},{},{}", e.translation_m, e.rotation_deg, rec.history.len(), rec.timing().seconds_per_iteration)?;
            table.push(serde_json::json!({"run": run, "terms": label, "translation_error_m": e.translation_m, "rotation_error_deg": e.rotation_deg, "success": success}));
        }
    }
    let n = spi.len().max(1) as f64;
    let mean = |f: fn(&rftwin::inverse::driver::IterationTiming) -> f64| spi.iter().map(f).sum::<f64>() / n;
    let summary = serde_json::json!({
        "runs": runs, "successes": ok_full, "successes_interior_only": ok_int,
        "seconds_per_iteration": mean(|t| t.seconds_per_iteration), "simulate_s": mean(|t| t.simulate_s),
        "backward_s": mean(|t| t.backward_s), "optimizer_s": mean(|t| t.optimizer_s),
        "backend": "cpu", "samples": samples, "iterations": iterations,
    });
    write_json(&out.join("summary.json"), &serde_json::json!({"summary": summary, "runs": table}))?;
    println!("summary: {summary}");
    Ok(())
}
