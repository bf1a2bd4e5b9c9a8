//! Cost of solver (B)'s backward pass relative to its forward pass: a 20,480-triangle
//! sphere 1.2 m in front of the radar, 10⁵ rays (median of `--runs`).
//!
//! - forward: surface sampling (BVH rays, pdf, scattering density) + the range–angle
//!   surrogate spectrum;
//! - backward: the surrogate VJP + the chain to every mesh vertex and the object pose.
//!
//! Both are reported with and without the surrogate so the solver's own ratio is
//! visible. Summary keys: `ratio_solver`, `ratio_with_surrogate`.
//!
//! ```text
//! cargo run --release --example scattering_bench -- [--samples N] [--subdivisions S] [--runs N]
//! ```

#[path = "common/mod.rs"]
mod common;

use anyhow::Result;
use clap::Parser;
use common::*;
use glam::DVec3;
use rftwin::radar::loss::multiscale_mse;
use rftwin::radar::spectrum::AngleGrid;
use rftwin::radar::surrogate::{spatial_surrogate, spatial_surrogate_vjp, RangeKernel, SurrogateEcho, SurrogateOptions};
use rftwin::radar::Spectrum;
use rftwin::trace::scattering::{surface_scattering, ScatteringOptions};
use rftwin::trace::scattering::grad::{object_gradient, vertex_gradients, EchoCotangent};
use rftwin::{GradientParam, Mesh, Scene, SceneGeometry};
use std::time::Instant;

/// Cost of solver (B)'s backward pass against its forward pass on a subdivided target.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Surface samples (rays)
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    samples: u32,
    /// Icosphere subdivisions of the target (0 to 7)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=7))]
    subdivisions: u32,
    /// Timed runs (median reported)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Backend: cpu, gpu or auto
    #[arg(long, default_value = "cpu")]
    backend: String,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let backend = rftwin::BackendChoice::parse(&cli.backend)?;
    let samples = cli.samples as usize;
    let subdiv = cli.subdivisions;
    let runs = cli.runs as usize;
    let mut scene = Scene::new();
    scene.add_object("target", Mesh::icosphere(DVec3::new(0.0, 1.2, 0.0), 0.25, subdiv), "itu_metal")?;
    let geom = SceneGeometry::new(&scene);
    let opts = ScatteringOptions { samples, backend, ..Default::default() };
    let lambda = 299792458.0 / opts.frequency_hz;
    let bins: Vec<f64> = (0..16).map(|k| 0.9 + 0.0375 * k as f64).collect();
    let dirs = AngleGrid::uniform(9, 0.3, 9, 0.3).directions();
    let so = SurrogateOptions { sigma_m: 0.0375, kernel: RangeKernel::Gaussian, aperture_radius_m: 4.0 * lambda, wavelength: lambda, random_phase_seed: Some(1) };
    let target = Spectrum::zeros([bins.len(), dirs.len(), 1]);
    let param = GradientParam::parse("object/target/translation")?;

    let (mut fwd_solver, mut fwd_total, mut bwd_solver, mut bwd_total) = (vec![], vec![], vec![], vec![]);
    let mut n_samples = 0;
    let mut grad = vec![];
    for _ in 0..runs {
        let t0 = Instant::now();
        let res = surface_scattering(&scene, &geom, DVec3::ZERO, &opts)?;
        let t1 = Instant::now();
        let echoes = res.echoes();
        let se: Vec<SurrogateEcho> = echoes.iter().map(|e| SurrogateEcho::from_echo(e, DVec3::ZERO)).collect();
        let spec = spatial_surrogate(&se, &bins, &dirs, &so)?;
        let (_, dl) = multiscale_mse(&spec, &target, 3)?;
        let t2 = Instant::now();
        let eg = spatial_surrogate_vjp(&se, &bins, &dirs, &so, &dl)?;
        let cot: Vec<EchoCotangent> = echoes
            .iter()
            .zip(&eg)
            .map(|(e, g)| SurrogateEcho::point_gradient(e, DVec3::ZERO, g).into())
            .collect();
        let t3 = Instant::now();
        let vg = vertex_gradients(&scene, &geom, &res, DVec3::ZERO, &opts, &cot)?;
        grad = object_gradient(&scene, &vg, &param)?;
        let t4 = Instant::now();
        n_samples = res.samples.len();
        fwd_solver.push((t1 - t0).as_secs_f64());
        fwd_total.push((t2 - t0).as_secs_f64());
        bwd_solver.push((t4 - t3).as_secs_f64());
        bwd_total.push((t4 - t2).as_secs_f64());
    }
    let (fs, ft, bs, bt) = (median(fwd_solver), median(fwd_total), median(bwd_solver), median(bwd_total));
    println!("target: {} triangles; {samples} rays, {n_samples} surface samples; {} threads", scene.num_triangles(), rayon::current_num_threads());
    println!("{:<34} {:>10} {:>10} {:>8}", "stage", "forward s", "backward s", "(f+b)/f");
    println!("{:<34} {:>10.4} {:>10.4} {:>8.2}", "solver B (sampling ↔ vertex chain)", fs, bs, (fs + bs) / fs);
    println!("{:<34} {:>10.4} {:>10.4} {:>8.2}", "solver B + surrogate + loss", ft, bt, (ft + bt) / ft);
    println!("dL/d translation = {grad:?}");
    let summary = serde_json::json!({
        "triangles": scene.num_triangles(), "rays": samples, "surface_samples": n_samples,
        "forward_solver_s": fs, "backward_solver_s": bs, "ratio_solver": (fs + bs) / fs,
        "forward_total_s": ft, "backward_total_s": bt, "ratio_with_surrogate": (ft + bt) / ft,
    });
    println!("summary: {summary}");
    Ok(())
}
