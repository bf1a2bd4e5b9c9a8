//! Helpers shared by the examples: argument parsing, JSON output of paths, plots.
#![allow(dead_code)]

use anyhow::{anyhow, bail, Context, Result};
use glam::DVec3;
use rftwin::Paths;
use serde_json::{json, Value};
use std::path::Path;

/// Parses `x,y,z`.
pub fn parse_vec3(s: &str, what: &str) -> Result<DVec3> {
    let parts: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("{what}: expected x,y,z, got '{s}'"))?;
    if parts.len() != 3 {
        bail!("{what}: expected 3 comma-separated numbers, got '{s}'");
    }
    Ok(DVec3::new(parts[0], parts[1], parts[2]))
}

/// A tiny `--flag value` parser over the process arguments.
pub struct Args {
    pub positional: Vec<String>,
    pairs: Vec<(String, Option<String>)>,
}

impl Args {
    /// Parses the arguments; `switches` lists flags that take no value.
    pub fn parse(switches: &[&str]) -> Result<Args> {
        let mut positional = Vec::new();
        let mut pairs = Vec::new();
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                if switches.contains(&name) {
                    pairs.push((name.to_string(), None));
                } else {
                    let v = it.next().ok_or_else(|| anyhow!("--{name} needs a value"))?;
                    pairs.push((name.to_string(), Some(v)));
                }
            } else {
                positional.push(a);
            }
        }
        Ok(Args { positional, pairs })
    }
    pub fn flag(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }
    pub fn value(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(n, _)| n == name).filter_map(|(_, v)| v.as_deref()).collect()
    }
    pub fn parsed<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.value(name) {
            None => Ok(default),
            Some(v) => v.parse::<T>().map_err(|e| anyhow!("--{name} {v}: {e}")),
        }
    }
    /// Fails on flags not in `known`.
    pub fn check_known(&self, known: &[&str]) -> Result<()> {
        for (n, _) in &self.pairs {
            if !known.contains(&n.as_str()) {
                bail!("unknown option --{n} (known: {})", known.iter().map(|k| format!("--{k}")).collect::<Vec<_>>().join(", "));
            }
        }
        Ok(())
    }
}

/// The paths as JSON (`a` in the Sionna convention).
pub fn paths_json(paths: &Paths) -> Value {
    let list: Vec<Value> = (0..paths.num_paths())
        .map(|i| {
            let p = paths.path(i);
            let (theta_t, phi_t) = rftwin::core::antenna::theta_phi(p.k_tx);
            let (theta_r, phi_r) = rftwin::core::antenna::theta_phi(p.k_rx);
            json!({
                "tau_s": p.tau,
                "a_re": p.a.re,
                "a_im": p.a.im,
                "interactions": p.interactions.iter().map(|t| t.name()).collect::<Vec<_>>(),
                "objects": paths.object_names_of(i),
                "primitives": p.primitives,
                "vertices": p.vertices.iter().map(|v| [v.x, v.y, v.z]).collect::<Vec<_>>(),
                "theta_t": theta_t, "phi_t": phi_t, "theta_r": theta_r, "phi_r": phi_r,
            })
        })
        .collect();
    json!({
        "frequency_hz": paths.frequency_hz,
        "num_paths": paths.num_paths(),
        "dropped_candidates": paths.stats.dropped_candidates,
        "stats": {
            "rays_launched": paths.stats.rays_launched,
            "candidates": paths.stats.candidates,
            "rejected_candidates": paths.stats.rejected_candidates,
            "duplicate_paths": paths.stats.duplicate_paths,
        },
        "paths": list,
    })
}

/// Writes pretty JSON, creating parent directories.
pub fn write_json(path: &Path, value: &Value) -> Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    std::fs::write(path, serde_json::to_string_pretty(value)?).with_context(|| format!("writing {}", path.display()))
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
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let font: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");
        let _ = plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, font);
    });
}

/// Stem plot of the CIR magnitude [dB] against delay [ns].
pub fn plot_cir(path: &Path, title: &str, taus_ns: &[f64], mags_db: &[f64]) -> Result<()> {
    use plotters::prelude::*;
    register_font();
    let root = BitMapBackend::new(path, (900, 500)).into_drawing_area();
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
    Ok(())
}
