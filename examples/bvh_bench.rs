//! Closest-hit ray-casting benchmark on the raybench workloads
//! (`../shared/bench/raybench/gen.py` writes them).
//!
//! ```text
//! cargo run --release --example bvh_bench -- <mesh.obj> <rays.bin> [--threads N] [--runs N]
//! ```
//! `--binary` traverses the binary tree instead of the 4-wide one; `--single-ray`
//! traverses the 4-wide tree one ray at a time instead of eight interleaved rays.
//! Prints build time, Mrays/s (median of `--runs`) and the hit count; the last line is
//! `summary: {"mrays_per_s": ..., "hits": ..., "build_s": ...}`.

#[path = "common/mod.rs"]
mod common;

use anyhow::{bail, Context, Result};
use clap::Parser;
use common::*;
use rayon::prelude::*;
use rftwin::bvh::{Bvh, Bvh4, Ray, Traversal};
use rftwin::core::io::load_mesh;
use std::time::Instant;

/// Closest-hit throughput on a raybench workload: a mesh and a binary ray file (6
/// little-endian f32 per ray).
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// The mesh (OBJ or PLY)
    mesh: String,
    /// The rays (6 little-endian f32 per ray: origin, direction)
    rays: String,
    /// Worker threads (0: all cores)
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Timed runs (median reported)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Use the binary BVH instead of the 4-wide one
    #[arg(long)]
    binary: bool,
    /// One ray at a time instead of interleaved batches
    #[arg(long)]
    single_ray: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let (threads, runs) = (cli.threads, cli.runs as usize);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().context("thread pool")?;

    let mesh = load_mesh(&cli.mesh).with_context(|| format!("loading {}", cli.mesh))?;
    let tris: Vec<[glam::DVec3; 3]> = mesh.triangles.iter().map(|t| t.map(|i| mesh.vertices[i as usize])).collect();
    let bytes = std::fs::read(&cli.rays).with_context(|| format!("reading {}", cli.rays))?;
    if bytes.len() % 24 != 0 {
        bail!("{}: size {} is not a multiple of 24 bytes (6 little-endian f32 per ray)", cli.rays, bytes.len());
    }
    let rays: Vec<Ray> = bytes
        .chunks_exact(24)
        .map(|c| {
            let f = |k: usize| f32::from_le_bytes([c[4 * k], c[4 * k + 1], c[4 * k + 2], c[4 * k + 3]]);
            Ray::new([f(0), f(1), f(2)], [f(3), f(4), f(5)], 0.0, f32::INFINITY)
        })
        .collect();

    let mut build_times = Vec::new();
    let mut bvh = Bvh::default();
    for _ in 0..3 {
        let t = Instant::now();
        bvh = pool.install(|| Bvh::build(&tris));
        build_times.push(t.elapsed().as_secs_f64());
    }
    bvh.validate()?;
    let t = Instant::now();
    let wide = Bvh4::from_bvh(&bvh);
    let collapse_s = t.elapsed().as_secs_f64();
    let build_s = median(build_times) + collapse_s;
    let use_binary = cli.binary;
    let single_ray = cli.single_ray;

    let mut trace_times = Vec::new();
    let mut hits = 0usize;
    for k in 0..=runs {
        let t = Instant::now();
        let h = pool.install(|| {
            rays.par_chunks(4096)
                .map(|c| {
                    if use_binary {
                        c.iter().filter(|r| bvh.closest_hit(r).is_some()).count()
                    } else if single_ray {
                        c.iter().filter(|r| wide.closest_hit(r).is_some()).count()
                    } else {
                        let mut out = vec![None; c.len()];
                        wide.closest_hits(c, &mut out);
                        out.iter().filter(|h| h.is_some()).count()
                    }
                })
                .sum()
        });
        if k > 0 {
            trace_times.push(t.elapsed().as_secs_f64());
        }
        hits = h;
    }
    let trace_s = median(trace_times);
    let mrays = rays.len() as f64 / trace_s / 1e6;
    println!("mesh      {} ({} triangles, {} BVH nodes)", cli.mesh, tris.len(), bvh.nodes.len());
    println!("rays      {} ({})", cli.rays, rays.len());
    println!("threads   {}", pool.current_num_threads());
    println!(
        "tree      {}",
        match (use_binary, single_ray) {
            (true, _) => "binary (BVH2), one ray at a time",
            (false, true) => "4-wide (BVH4, collapsed from BVH2), one ray at a time",
            (false, false) => "4-wide (BVH4, collapsed from BVH2), 8 interleaved rays with prefetch",
        }
    );
    println!("build     {:.4} s (SAH median of 3, + {:.4} s collapse)", build_s - collapse_s, collapse_s);
    println!("trace     {:.4} s (median of {runs}) = {:.3} Mrays/s", trace_s, mrays);
    println!("hits      {hits}");
    let summary = serde_json::json!({
        "mrays_per_s": mrays, "hits": hits, "build_s": build_s, "trace_s": trace_s,
        "threads": pool.current_num_threads(), "tree": if use_binary { "bvh2" } else if single_ray { "bvh4-single" } else { "bvh4-interleaved" }, "triangles": tris.len(), "rays": rays.len(),
    });
    println!("summary: {summary}");
    Ok(())
}
