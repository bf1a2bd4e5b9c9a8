//! Helpers shared by the examples: vectors from the command line, output folders, JSON
//! output of paths, plots.
#![allow(dead_code)]

use anyhow::{bail, Context, Result};
use glam::DVec3;
use rftwin::Paths;
use serde_json::Value;
use std::path::Path;

/// Parses `x,y,z`.
pub fn parse_vec3(s: &str, what: &str) -> Result<DVec3> {
    let parts: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("{what}: expected x,y,z, got '{s}'"))?;
    if parts.len() != 3 || parts.iter().any(|v| !v.is_finite()) {
        bail!("{what}: expected 3 comma-separated finite numbers, got '{s}'");
    }
    Ok(DVec3::new(parts[0], parts[1], parts[2]))
}

/// The output directory `out` (its default comes from the example's command line),
/// emptied first when `fresh`, and created.
pub fn prepare_output(out: &Path, fresh: bool) -> Result<std::path::PathBuf> {
    let out = out.to_path_buf();
    if fresh {
        let _ = std::fs::remove_dir_all(&out);
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    Ok(out)
}

/// The budget of the two-stage shape reconstruction (`reconstruct`, `shape_prior`).
#[derive(clap::Args, Debug)]
pub struct StageArgs {
    /// Iterations of the affine stage
    #[arg(long, default_value_t = 40)]
    pub coarse: usize,
    /// Iterations of the second (vertex or shape) stage
    #[arg(long, default_value_t = 160)]
    pub iterations: usize,
    /// Surface samples per evaluation
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub samples: u32,
}

/// Sets the number of worker threads (rayon and the GEMMs' own pool) before any work.
pub fn set_threads(threads: Option<usize>) -> Result<()> {
    if let Some(t) = threads {
        if t == 0 {
            anyhow::bail!("--threads 0: at least one thread");
        }
        rayon::ThreadPoolBuilder::new().num_threads(t).build_global()?;
        // matrixmultiply reads this before its first use
        std::env::set_var("MATMUL_NUM_THREADS", t.to_string());
    }
    Ok(())
}

/// Writes pretty JSON, creating parent directories; atomically (temporary file, then
/// rename), so an interrupted run never leaves a truncated file.
pub fn write_json(path: &Path, value: &Value) -> Result<()> {
    Ok(rftwin::core::io::write_json_atomic(path, value)?)
}

/// Prints the path table.
pub fn print_path_table(paths: &Paths) {
    println!("{:>3} {:>12} {:>10} {:>9}  interactions", "#", "tau [ns]", "|a| [dB]", "arg(a)");
    for i in 0..paths.num_paths() {
        let p = paths.path(i);
        let chain: Vec<String> =
            p.interactions.iter().zip(paths.object_names_of(i)).map(|(t, o)| format!("{}@{}", t.name(), o)).collect();
        println!(
            "{:>3} {:>12.4} {:>10.2} {:>9.3}  {}",
            i,
            p.tau * 1e9,
            20.0 * p.a.norm().log10(),
            p.a.arg(),
            if chain.is_empty() { "line of sight".to_string() } else { chain.join(" → ") }
        );
    }
}

/// Registers the bundled font for plotters' text (so plots render without system fonts).
pub fn register_font() {
    rftwin::inverse::plot::register_font();
}

/// Stem plot of the CIR magnitude [dB] against delay [ns].
pub fn plot_cir(path: &Path, title: &str, taus_ns: &[f64], mags_db: &[f64]) -> Result<()> {
    use plotters::prelude::*;
    register_font();
    let partial = rftwin::inverse::plot::partial_path(path);
    let root = BitMapBackend::new(&partial, (900, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let (t0, t1) = taus_ns.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| (a.min(t), b.max(t)));
    let (m0, m1) = mags_db.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| (a.min(t), b.max(t)));
    let pad = ((t1 - t0) * 0.05).max(1.0);
    let floor = (m0 - 10.0).floor();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((t0 - pad)..(t1 + pad), floor..(m1 + 5.0))?;
    chart.configure_mesh().x_desc("delay τ [ns]").y_desc("|a| [dB]").draw()?;
    for (&t, &m) in taus_ns.iter().zip(mags_db) {
        chart.draw_series(LineSeries::new(vec![(t, floor), (t, m)], BLUE.stroke_width(2)))?;
        chart.draw_series(std::iter::once(Circle::new((t, m), 4, BLUE.filled())))?;
    }
    root.present().with_context(|| format!("writing {}", path.display()))?;
    Ok(rftwin::inverse::plot::commit(path)?)
}

/// Line plot of several named series over a shared x axis ([`rftwin::inverse::plot::lines`]).
pub fn plot_lines(path: &Path, title: &str, x_desc: &str, y_desc: &str, x: &[f64], series: &[(&str, &[f64])]) -> Result<()> {
    let series: Vec<(&str, Vec<f64>)> = series.iter().map(|(n, y)| (*n, y.to_vec())).collect();
    Ok(rftwin::inverse::plot::lines(path, title, x_desc, y_desc, x, &series, false)?)
}

/// Number of strict interior local minima of a sampled curve.
pub fn count_local_minima(y: &[f64]) -> usize {
    (1..y.len().saturating_sub(1)).filter(|&i| y[i] < y[i - 1] && y[i] <= y[i + 1]).count()
}

/// Median of a sample (sorts it).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Peak resident memory of this process \[MB\] (Linux `VmHWM`); `None` where the kernel
/// does not report it.
pub fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A progress bar of `len` steps labelled `prefix` (elapsed time, estimate, message).
pub fn progress_bar(len: u64, prefix: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(indicatif::ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}] {msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
    bar.set_prefix(prefix.to_string());
    bar
}
