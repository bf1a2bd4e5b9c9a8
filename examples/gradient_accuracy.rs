//! Gradient accuracy benchmark (InverTwin Sec. 5.1, Fig. 8): the derivative of every
//! voxel of the 3D surrogate spectrum (range × azimuth × elevation, phase-averaged) with
//! respect to a horizontal translation θ of an object, from
//! (i) central finite differences of the full Monte-Carlo estimate with a large sample
//!     count and common random numbers (the reference),
//! (ii) the interior term only (forward mode: `sample_tangents` → `spatial_power_surrogate_jvp`),
//! (iii) interior + boundary term (`boundary_samples` probes through the same JVP).
//!
//! Cases: `letter` — an extruded letter "A" 1 m in front of the radar with a concrete
//! wall behind it (its shadow on the wall moves with θ); `plate` — a plate sliding
//! partially behind a fixed occluder; `cube` — a cube translated in front of the wall
//! (the set-up of Mitsuba issue #1895, where a wrong boundary term was 2.7× too large).
//!
//! ```text
//! cargo run --release --example gradient_accuracy -- [--cases letter,plate,cube]
//!     [--samples 200000] [--boundary-samples 20000] [--fd-samples 4000000]
//!     [--fd-step 0.002] [--diffuse 0] [--out DIR]
//! ```
//! Prints a table (normalised MAE = mean |estimate − FD| / mean |FD| over all voxels,
//! and the FD noise floor: the same MAE between two FD references with different
//! seeds) and writes, per case, the projected maps (sum over elevation: range ×
//! azimuth; sum over range: elevation × azimuth) of FD, interior and full as PNGs (red =
//! the voxel grows with θ, blue = it shrinks). The summary line holds `mae_interior`,
//! `mae_full`, `time_interior_s` and `time_boundary_s` of the letter case.

#[path = "common/mod.rs"]
mod common;

use anyhow::{bail, Context, Result};
use clap::Parser;
use common::*;
use glam::DVec3;
use rftwin::inverse::plot::{maps, Scale};
use rftwin::inverse::objective::{power_echoes, RadarView};
use rftwin::radar::spectrum::{Reduce, Spectrum};
use rftwin::radar::surrogate::{spatial_power_surrogate, spatial_power_surrogate_jvp, EchoTangent, RangeKernel, SurrogateEcho, SurrogateOptions};
use rftwin::radar::FmcwConfig;
use rftwin::trace::scattering::boundary::{boundary_samples, BoundaryOptions};
use rftwin::trace::scattering::{surface_scattering, ScatteringOptions};
use rftwin::trace::scattering::grad::sample_tangents;
use rftwin::{BackendChoice, Mesh, Scene, SceneGeometry};
use std::time::Instant;

struct Case {
    name: &'static str,
    scene: Scene,
    moving: &'static str,
    look_at: DVec3,
}

/// A rectangle in the x–z plane at depth `y` facing the radar.
fn wall(y: f64, x0: f64, x1: f64, z0: f64, z1: f64) -> Mesh {
    let mut m = Mesh::quad_xy(x0, x1, z0, z1, 0.0);
    for v in &mut m.vertices {
        *v = DVec3::new(v.x, y, v.y);
    }
    m
}

fn case(name: &str) -> Result<Case> {
    let mut s = Scene::new();
    Ok(match name {
        "letter" => {
            s.add_object("letter", Mesh::letter_a(DVec3::new(0.0, 1.0, -0.25), 0.5, 0.4, 0.08, 0.05), "itu_metal")?;
            s.add_object("wall", wall(1.3, -0.6, 0.6, -0.5, 0.5), "itu_concrete")?;
            Case { name: "letter", scene: s, moving: "letter", look_at: DVec3::new(0.0, 1.15, 0.0) }
        }
        "plate" => {
            s.add_object("plate", wall(1.2, -0.2, 0.2, -0.2, 0.2), "itu_metal")?;
            s.add_object("occluder", wall(0.9, -0.4, 0.03, -0.3, 0.3), "itu_concrete")?;
            Case { name: "plate", scene: s, moving: "plate", look_at: DVec3::new(0.0, 1.05, 0.0) }
        }
        "cube" => {
            s.add_object("cube", Mesh::cuboid(DVec3::new(-0.1, 0.9, -0.1), DVec3::new(0.1, 1.1, 0.1)), "itu_metal")?;
            s.add_object("wall", wall(1.3, -0.6, 0.6, -0.5, 0.5), "itu_concrete")?;
            Case { name: "cube", scene: s, moving: "cube", look_at: DVec3::new(0.0, 1.1, 0.0) }
        }
        other => bail!("unknown case '{other}' (letter, plate, cube)"),
    })
}

fn echoes(res: &rftwin::trace::scattering::ScatteringResult, center: DVec3) -> Vec<SurrogateEcho> {
    power_echoes(&res.echoes(), res, center)
}

struct Row {
    name: &'static str,
    mae_interior: f64,
    mae_full: f64,
    fd_floor: f64,
    time_interior: f64,
    time_boundary: f64,
    boundary_points: usize,
}

fn mae(est: &[f64], fd: &[f64]) -> f64 {
    let n = fd.iter().map(|x| x.abs()).sum::<f64>();
    est.iter().zip(fd).map(|(a, b)| (a - b).abs()).sum::<f64>() / n.max(f64::MIN_POSITIVE)
}

/// InverTwin Fig. 8: per-voxel derivatives of the 3-D spectrum w.r.t. a translation —
/// finite differences vs interior only vs interior + boundary — on three cases.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Cases, comma-separated: letter, plate, cube
    #[arg(long, value_delimiter = ',', default_values_t = vec!["letter".to_string(), "plate".to_string(), "cube".to_string()])]
    cases: Vec<String>,
    /// Surface samples of the gradient evaluation
    #[arg(long, default_value_t = 200_000)]
    samples: usize,
    /// Boundary (silhouette) samples
    #[arg(long, default_value_t = 20_000)]
    boundary_samples: usize,
    /// Surface samples of each finite-difference spectrum
    #[arg(long, default_value_t = 4_000_000)]
    fd_samples: usize,
    /// Finite-difference step [m]
    #[arg(long, default_value_t = 0.002)]
    fd_step: f64,
    /// Diffuse share of the scattering (0 to 1)
    #[arg(long, default_value_t = 0.0)]
    diffuse: f64,
    /// Output directory
    #[arg(long, default_value = "out/gradient_accuracy")]
    out: std::path::PathBuf,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let (samples, nb_samples, fd_samples, h, diffuse) = (cli.samples, cli.boundary_samples, cli.fd_samples, cli.fd_step, cli.diffuse);
    if samples == 0 || nb_samples == 0 || fd_samples == 0 || h.is_nan() || h <= 0.0 || !(0.0..=1.0).contains(&diffuse) {
        bail!("sample counts must be > 0, --fd-step > 0 and --diffuse in [0, 1]");
    }
    for name in &cli.cases {
        case(name.trim())?;
    }
    let out = prepare_output(&cli.out, false)?;
    let cfg = FmcwConfig::default();
    let lambda = cfg.wavelength();
    let surrogate = SurrogateOptions { sigma_m: cfg.range_resolution(), kernel: RangeKernel::Gaussian, aperture_radius_m: 4.0 * lambda, wavelength: lambda, random_phase_seed: None };
    let center = DVec3::ZERO;
    let opts = |n: usize, seed: u64| ScatteringOptions { frequency_hz: cfg.carrier_hz, samples: n, seed, diffuse, backend: BackendChoice::Cpu, ..Default::default() };
    let mut rows = Vec::new();
    for name in &cli.cases {
        let c = case(name.trim())?;
        let view = RadarView::looking_at(center, c.look_at, 0.35, 9, 40, 0.5 * cfg.range_resolution())?;
        let dirs = view.grid.directions();
        let (na, ne) = (view.grid.azimuth.len(), view.grid.elevation.len());
        let spectrum = |scene: &Scene, n: usize, seed: u64| -> Result<Spectrum> {
            let g = SceneGeometry::new(scene);
            let res = surface_scattering(scene, &g, center, &opts(n, seed))?;
            Ok(spatial_power_surrogate(&echoes(&res, center), &view.bins, &dirs, &surrogate)?)
        };
        let shifted = |dx: f64| -> Result<Scene> {
            let mut s = c.scene.clone();
            s.translate_object(c.moving, DVec3::new(dx, 0.0, 0.0))?;
            Ok(s)
        };
        println!("[{}] finite differences: 2 × 2 solves of {fd_samples} rays, step {h} m …", c.name);
        let (sp, sm) = (shifted(h)?, shifted(-h)?);
        let fd_of = |seed: u64| -> Result<Vec<f64>> {
            let (a, b) = (spectrum(&sp, fd_samples, seed)?, spectrum(&sm, fd_samples, seed)?);
            Ok(a.data.iter().zip(&b.data).map(|(x, y)| (x - y) / (2.0 * h)).collect())
        };
        let fd = fd_of(11)?;
        let fd_floor = mae(&fd_of(12)?, &fd);

        // the velocity field: e_x on the moving object's vertices
        let velocity: Vec<Vec<DVec3>> = c.scene.objects().iter().map(|o| vec![if o.name == c.moving { DVec3::X } else { DVec3::ZERO }; o.mesh.vertices.len()]).collect();
        let geom = SceneGeometry::new(&c.scene);
        let t0 = Instant::now();
        let o = opts(samples, 21);
        let res = surface_scattering(&c.scene, &geom, center, &o)?;
        let se = echoes(&res, center);
        let tan = sample_tangents(&c.scene, &geom, &res, center, &o, &velocity)?;
        // P = a²/w: Ṗ = 2 a ȧ / w (a translation keeps every triangle's area)
        let tangents: Vec<EchoTangent> = res.samples.iter().zip(&tan).map(|(s, (dx, da))| EchoTangent::from_point(s.point, center, *dx, 2.0 * s.amplitude.re * da / s.area_weight)).collect();
        let interior = spatial_power_surrogate_jvp(&se, &tangents, &view.bins, &dirs, &surrogate)?;
        let time_interior = t0.elapsed().as_secs_f64();

        let t1 = Instant::now();
        let b = boundary_samples(&c.scene, &geom, center, &o, &BoundaryOptions { samples: nb_samples, seed: 5, backend: BackendChoice::Cpu })?;
        let probes: Vec<SurrogateEcho> = b.samples.iter().map(|s| SurrogateEcho::from_echo(&rftwin::core::Echo { point: s.point, a: rftwin::core::Complex::new(0.0, 0.0), extra_path_m: 0.0 }, center)).collect();
        // the probe's power rate: f · Σ_k rates_k · v_k (the rates carry the other f)
        let ptan: Vec<EchoTangent> = b
            .samples
            .iter()
            .map(|s| {
                let rate: f64 = s.vertices.iter().zip(&s.rates).map(|((obj, v), r)| r.dot(velocity[*obj as usize][*v as usize])).sum();
                EchoTangent { power: s.density * rate, ..Default::default() }
            })
            .collect();
        let boundary = spatial_power_surrogate_jvp(&probes, &ptan, &view.bins, &dirs, &surrogate)?;
        let time_boundary = t1.elapsed().as_secs_f64();
        let full: Vec<f64> = interior.data.iter().zip(&boundary.data).map(|(a, b)| a + b).collect();

        let row = Row { name: c.name, mae_interior: mae(&interior.data, &fd), mae_full: mae(&full, &fd), fd_floor, time_interior, time_boundary, boundary_points: b.samples.len() };
        println!(
            "[{}] MAE interior {:.3}, full {:.3} (FD noise floor {:.3}); interior {:.2} s, boundary {:.2} s ({} points on {} silhouette edges)",
            c.name, row.mae_interior, row.mae_full, row.fd_floor, row.time_interior, row.time_boundary, row.boundary_points, b.silhouette_edges
        );
        let mk = |d: Vec<f64>| Spectrum { dims: interior.dims, data: d };
        let project = |s: Spectrum| s.on_grid(na, ne).and_then(|s| s.project(Reduce::Sum));
        let (fdp, inp, fup) = (project(mk(fd.clone()))?, project(interior.clone())?, project(mk(full))?);
        let ext_ra = (-0.35, 0.35, view.bins[0], *view.bins.last().unwrap_or(&1.0));
        maps(&out.join(format!("{}_range_azimuth.png", c.name)), &[("finite differences", &fdp.0, Scale::Diverging), ("interior only", &inp.0, Scale::Diverging), ("interior + boundary", &fup.0, Scale::Diverging)], view.bins.len(), na, ext_ra, "azimuth [rad]", "range [m]")?;
        maps(&out.join(format!("{}_elevation_azimuth.png", c.name)), &[("finite differences", &fdp.1, Scale::Diverging), ("interior only", &inp.1, Scale::Diverging), ("interior + boundary", &fup.1, Scale::Diverging)], ne, na, (-0.35, 0.35, -0.35, 0.35), "azimuth [rad]", "elevation [rad]")?;
        rows.push(row);
    }
    println!("\n{:<8} {:>13} {:>9} {:>9} {:>12} {:>12} {:>9}", "case", "MAE interior", "MAE full", "FD floor", "interior [s]", "boundary [s]", "points");
    for r in &rows {
        println!("{:<8} {:>13.3} {:>9.3} {:>9.3} {:>12.2} {:>12.2} {:>9}", r.name, r.mae_interior, r.mae_full, r.fd_floor, r.time_interior, r.time_boundary, r.boundary_points);
    }
    let table: Vec<serde_json::Value> = rows.iter().map(|r| serde_json::json!({"case": r.name, "mae_interior": r.mae_interior, "mae_full": r.mae_full, "fd_noise_floor": r.fd_floor, "time_interior_s": r.time_interior, "time_boundary_s": r.time_boundary, "boundary_points": r.boundary_points})).collect();
    let first = rows.first().context("no case run")?;
    let summary = serde_json::json!({
        "case": first.name, "mae_interior": first.mae_interior, "mae_full": first.mae_full, "time_interior_s": first.time_interior, "time_boundary_s": first.time_boundary,
        "fd_noise_floor": first.fd_floor, "samples": samples, "boundary_samples": nb_samples, "fd_samples": fd_samples, "fd_step_m": h, "diffuse": diffuse, "backend": "cpu",
    });
    write_json(&out.join("summary.json"), &serde_json::json!({"summary": summary, "cases": table}))?;
    println!("summary: {summary}");
    Ok(())
}
