//! GPU vs CPU: closest-hit throughput on the raybench meshes and the Munich path solve,
//! with the adapter's name. Prints a table; the summary holds the numbers.
//!
//! ```text
//! cargo run --release --example gpu_bench -- [--raybench DIR] [--rays N] [--gpu-batch N] [--munich path/munich.xml]
//! ```
//! `--gpu-batch N` also times one GPU call of `N` rays (the ray list repeated), which
//! shows how much of the per-call time is fixed cost (upload, dispatch, read-back).
//! `--raybench` is the output folder of `../shared/bench/raybench/gen.py` (meshes/,
//! rays/). Without it only the Munich solve is measured.

#[path = "common/mod.rs"]
mod common;

use anyhow::{Context, Result};
use clap::Parser;
use common::*;
use glam::DVec3;
use rayon::prelude::*;
use rftwin::bvh::{Bvh, Bvh4, Ray};
use rftwin::gpu::bvh::GpuBvh;
use rftwin::gpu::layout::{GpuRay, NO_HIT};
use rftwin::{BackendChoice, PathSolver, Radio, SceneGeometry, SolverOptions};
use std::path::PathBuf;
use std::time::Instant;

/// GPU against CPU: closest-hit throughput on the raybench workloads and the Munich path
/// solve, with the adapter's name.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// The raybench folder (meshes/ and rays/) for the throughput rows
    #[arg(long)]
    raybench: Option<PathBuf>,
    /// Rays per workload at most
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u32).range(1..))]
    rays: u32,
    /// Also time one GPU call of N rays (0: off)
    #[arg(long, default_value_t = 0)]
    gpu_batch: usize,
    /// The Munich scene XML (default: ../shared/reference/sionna/scenes/munich/munich.xml)
    #[arg(long)]
    munich: Option<PathBuf>,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(m) = &cli.munich {
        anyhow::ensure!(m.exists(), "--munich {}: no such file", m.display());
    }
    let ctx = rftwin::gpu::context::shared().context("the GPU benchmark needs an adapter")?;
    println!("adapter: {}", ctx.describe());
    let max_rays = cli.rays as usize;
    let gpu_batch = cli.gpu_batch;
    let mut rows = Vec::new();
    let mut summary = serde_json::Map::new();
    summary.insert("adapter".into(), ctx.describe().into());
    if let Some(dir) = cli.raybench.clone() {
        for (mesh, rays) in [("terrain_100k", "w1_incoherent"), ("terrain_1m", "w3_incoherent")] {
            let m = rftwin::core::io::load_mesh(dir.join(format!("meshes/{mesh}.obj")))?;
            let tris: Vec<[DVec3; 3]> = m.triangles.iter().map(|t| t.map(|i| m.vertices[i as usize])).collect();
            let bytes = std::fs::read(dir.join(format!("rays/{rays}.bin")))?;
            let rays_cpu: Vec<Ray> = bytes
                .chunks_exact(24)
                .take(max_rays)
                .map(|c| {
                    let f = |k: usize| f32::from_le_bytes([c[4 * k], c[4 * k + 1], c[4 * k + 2], c[4 * k + 3]]);
                    Ray::new([f(0), f(1), f(2)], [f(3), f(4), f(5)], 0.0, f32::INFINITY)
                })
                .collect();
            let bvh = Bvh::build(&tris);
            let wide = Bvh4::from_bvh(&bvh);
            let gpu = GpuBvh::upload(ctx, &bvh)?;
            let gpu_rays: Vec<GpuRay> = rays_cpu.iter().map(GpuRay::from).collect();
            let mut tg = Vec::new();
            let mut hits_gpu = 0;
            for k in 0..4 {
                let t = Instant::now();
                let h = gpu.closest_hits(ctx, &gpu_rays)?;
                if k > 0 {
                    tg.push(t.elapsed().as_secs_f64());
                }
                hits_gpu = h.iter().filter(|h| h.triangle != NO_HIT).count();
            }
            let t = Instant::now();
            let hits_cpu: usize = rays_cpu
                .par_chunks(4096)
                .map(|c| {
                    let mut out = vec![None; c.len()];
                    wide.closest_hits(c, &mut out);
                    out.iter().filter(|h| h.is_some()).count()
                })
                .sum();
            let tc = t.elapsed().as_secs_f64();
            let (g, c) = (rays_cpu.len() as f64 / median(tg) / 1e6, rays_cpu.len() as f64 / tc / 1e6);
            rows.push(format!("{:<28} {:>12.2} {:>12.2} {:>10} {:>10}", format!("{mesh} / {rays}"), g, c, hits_gpu, hits_cpu));
            summary.insert(format!("{mesh}_gpu_mrays_per_s"), g.into());
            summary.insert(format!("{mesh}_cpu_mrays_per_s"), c.into());
            if gpu_batch > gpu_rays.len() {
                let batch: Vec<GpuRay> = gpu_rays.iter().cycle().take(gpu_batch).copied().collect();
                let mut tb = Vec::new();
                for k in 0..4 {
                    let t = Instant::now();
                    let h = gpu.closest_hits(ctx, &batch)?;
                    anyhow::ensure!(h.len() == batch.len(), "the GPU returned {} hits for {} rays", h.len(), batch.len());
                    if k > 0 {
                        tb.push(t.elapsed().as_secs_f64());
                    }
                }
                let gb = batch.len() as f64 / median(tb) / 1e6;
                rows.push(format!("{:<28} {:>12.2} {:>12} {:>10} {:>10}", format!("{mesh}, GPU batch {}", batch.len()), gb, "", "", ""));
                summary.insert(format!("{mesh}_gpu_batch_mrays_per_s"), gb.into());
                summary.insert("gpu_batch".into(), batch.len().into());
            }
        }
    }
    let munich = cli.munich.clone().unwrap_or_else(|| PathBuf::from("../shared/reference/sionna/scenes/munich/munich.xml"));
    if munich.exists() {
        let scene = rftwin::core::io::load_scene(&munich)?;
        let geom = SceneGeometry::new(&scene);
        let (tx, rx) = (Radio::isotropic(DVec3::new(8.5, 21.0, 27.0)), Radio::isotropic(DVec3::new(45.0, 90.0, 1.5)));
        let mut times = Vec::new();
        for backend in [BackendChoice::Gpu, BackendChoice::Cpu] {
            let solver = PathSolver::new(SolverOptions { max_depth: 3, samples: 1_000_000, refraction: true, backend, ..Default::default() });
            let mut v = Vec::new();
            let mut n = 0;
            for _ in 0..3 {
                let t = Instant::now();
                n = solver.solve(&scene, &geom, &tx, &rx)?.num_paths();
                v.push(t.elapsed().as_secs_f64());
            }
            times.push((median(v), n));
        }
        rows.push(format!("{:<28} {:>10.3} s {:>10.3} s {:>10} {:>10}", "Munich solve (1e6, d3)", times[0].0, times[1].0, times[0].1, times[1].1));
        summary.insert("munich_gpu_s".into(), times[0].0.into());
        summary.insert("munich_cpu_s".into(), times[1].0.into());
    }
    // Solver (B) and the surrogate chain: the scattering_bench workload (icosphere of
    // 20,480 triangles, 1e5 rays) and the spatial surrogate + VJP over its echoes.
    {
        use rftwin::radar::spectrum::{AngleGrid, Spectrum};
        use rftwin::radar::surrogate::{spatial_surrogate, spatial_surrogate_vjp, RangeKernel, SurrogateEcho, SurrogateOptions};
        use rftwin::radar::surrogate_gpu::{spatial_surrogate_gpu, spatial_surrogate_vjp_gpu};
        use rftwin::trace::scattering::{surface_scattering, ScatteringOptions};
        let mut scene = rftwin::Scene::new();
        scene.add_object("target", rftwin::Mesh::icosphere(DVec3::new(0.0, 1.2, 0.0), 0.25, 5), "itu_metal")?;
        let geom = SceneGeometry::new(&scene);
        let mut t_b = Vec::new();
        let mut n_b = Vec::new();
        let mut echoes = Vec::new();
        for backend in [BackendChoice::Gpu, BackendChoice::Cpu] {
            let opts = ScatteringOptions { samples: 100_000, backend, ..Default::default() };
            let mut v = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                let res = surface_scattering(&scene, &geom, DVec3::ZERO, &opts)?;
                v.push(t.elapsed().as_secs_f64());
                n_b.push(res.samples.len());
                echoes = res.echoes();
            }
            t_b.push(median(v));
        }
        rows.push(format!("{:<28} {:>10.4} s {:>10.4} s {:>10} {:>10}", "solver B (1e5 rays, 20k tris)", t_b[0], t_b[1], n_b[0], n_b[n_b.len() - 1]));
        summary.insert("solver_b_gpu_s".into(), t_b[0].into());
        summary.insert("solver_b_cpu_s".into(), t_b[1].into());
        let lambda = 299792458.0 / 77e9;
        let se: Vec<SurrogateEcho> = echoes.iter().map(|e| SurrogateEcho::from_echo(e, DVec3::ZERO)).collect();
        let bins: Vec<f64> = (0..16).map(|k| 0.9 + 0.0375 * k as f64).collect();
        let dirs = AngleGrid::uniform(9, 0.3, 9, 0.3).directions();
        let so = SurrogateOptions { sigma_m: 0.0375, kernel: RangeKernel::Gaussian, aperture_radius_m: 4.0 * lambda, wavelength: lambda, random_phase_seed: Some(1) };
        let mut q = Spectrum::zeros([bins.len(), dirs.len(), 1]);
        q.data.iter_mut().enumerate().for_each(|(i, x)| *x = ((i * 7919) % 13) as f64 / 13.0 - 0.5);
        let (mut tg, mut tc) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            let t = Instant::now();
            spatial_surrogate_gpu(ctx, &se, &bins, &dirs, &so)?;
            spatial_surrogate_vjp_gpu(ctx, &se, &bins, &dirs, &so, &q)?;
            tg.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            spatial_surrogate(&se, &bins, &dirs, &so)?;
            spatial_surrogate_vjp(&se, &bins, &dirs, &so, &q)?;
            tc.push(t.elapsed().as_secs_f64());
        }
        let label = format!("surrogate+VJP ({}×{}×{})", se.len(), bins.len(), dirs.len());
        rows.push(format!("{:<28} {:>10.4} s {:>10.4} s {:>10} {:>10}", label, median(tg.clone()), median(tc.clone()), "", ""));
        summary.insert("surrogate_vjp_gpu_s".into(), median(tg).into());
        summary.insert("surrogate_vjp_cpu_s".into(), median(tc).into());
    }
    println!("{:<28} {:>12} {:>12} {:>10} {:>10}", "workload", "GPU", "CPU", "GPU hits", "CPU hits");
    for r in rows {
        println!("{r}");
    }
    println!("(closest-hit rows in Mrays/s, the rest in seconds, median of 3-5 runs; solver B 'hits' = samples; CPU: 4-wide BVH, {} threads)", rayon::current_num_threads());
    println!("summary: {}", serde_json::Value::Object(summary));
    Ok(())
}
