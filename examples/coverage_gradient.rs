//! Gradient of a coverage map with respect to an object's translation (InverTwin Fig. 6):
//! a transmitter on a mast, two buildings and a metal vehicle on a concrete ground; for
//! every cell of a receiver grid 1.5 m above the ground, the cell-averaged path gain
//! `P̄ = mean over the cell of Σ|a|²` and its derivative `∂P̄/∂x` with respect to the
//! vehicle's x translation — solver (A)'s interior gradient alone, and with the boundary
//! term of the paths born and dying inside the cell (`rftwin::trace::coverage`) — next
//! to central finite differences of the coverage map.
//!
//! ```text
//! cargo run --release --example coverage_gradient -- [--cells 48] [--per-cell 3]
//!     [--object vehicle] [--axis x|y|z] [--delta 1e-4] [--freq 3.5e9] [--max-depth 2]
//!     [--out DIR] [--scene FILE --object NAME --tx x,y,z --half-size 14 --height 1.5]
//! ```
//! Writes `coverage_gradient.png` (coverage in dB; ∂P̄/∂x in dB/m from the interior term,
//! from interior and boundary terms, and from finite differences; red = increase, blue =
//! decrease, grey = inside an object) and `coverage.json`. The interior term misses what appears or disappears as
//! the object moves (the shadow edge, the rim of the reflection footprint). Of the cells
//! the object influences (any estimate above 10⁻³ dB/m), the summary counts those where
//! an estimate differs from the finite differences by more than 10 % of the larger
//! (`differ_interior`, `differ_full`) and the median relative difference of each. The
//! default step `--delta` is small because a crossing that passes a cell border during
//! the difference splits its contribution between two cells in the finite differences.

#[path = "common/mod.rs"]
mod common;

use anyhow::{bail, Context, Result};
use clap::Parser;
use common::*;
use glam::DVec3;
use rftwin::inverse::plot::{maps, Scale};
use rftwin::trace::coverage::{cell_coverage, CellGrid, CoverageRequest};
use rftwin::trace::paths::gradients::GradientParam;
use rftwin::{Antenna, BackendChoice, Mesh, PathSolver, Radio, Scene, SceneGeometry, SolverOptions};
use std::time::Instant;

/// The built-in street.
fn scene() -> rftwin::core::Result<Scene> {
    let mut s = Scene::new();
    s.add_object("ground", Mesh::quad_xy(-15.0, 15.0, -15.0, 15.0, 0.0), "itu_concrete")?;
    s.add_object("building_a", Mesh::cuboid(DVec3::new(-6.0, 6.0, 0.0), DVec3::new(4.0, 12.0, 10.0)), "itu_concrete")?;
    s.add_object("building_b", Mesh::cuboid(DVec3::new(2.0, -12.0, 0.0), DVec3::new(10.0, -7.0, 8.0)), "itu_brick")?;
    s.add_object("vehicle", Mesh::cuboid(DVec3::new(-2.0, -1.0, 0.0), DVec3::new(2.5, 1.0, 1.8)), "itu_metal")?;
    Ok(s)
}

/// A cell-averaged coverage map and its gradient w.r.t. an object's translation —
/// interior term, interior + boundary term, finite differences (InverTwin Fig. 6).
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Cells per side of the map (2 to 512)
    #[arg(long, default_value_t = 48)]
    cells: usize,
    /// Receivers per cell and side (1 to 32)
    #[arg(long, default_value_t = 3)]
    per_cell: usize,
    /// The object whose translation the gradient is taken with respect to
    #[arg(long, default_value = "vehicle")]
    object: String,
    /// Translation axis
    #[arg(long, value_enum, default_value_t = Axis::X)]
    axis: Axis,
    /// Finite-difference step [m]
    #[arg(long, default_value_t = 1e-4)]
    delta: f64,
    /// Carrier frequency [Hz]
    #[arg(long, default_value_t = 3.5e9)]
    freq: f64,
    /// Most interactions per path
    #[arg(long, default_value_t = 2)]
    max_depth: usize,
    /// Rays shot per solve
    #[arg(long, default_value_t = 20_000)]
    samples: usize,
    /// A scene file (default: the built-in street with a vehicle)
    #[arg(long)]
    scene: Option<String>,
    /// Transmitter position x,y,z [m]
    #[arg(long, allow_hyphen_values = true, default_value = "-10,-3,6")]
    tx: String,
    /// Half the side of the mapped square [m]
    #[arg(long, default_value_t = 14.0)]
    half_size: f64,
    /// Height of the map [m]
    #[arg(long, allow_hyphen_values = true, default_value_t = 1.5)]
    height: f64,
    /// Output directory
    #[arg(long, default_value = "out/coverage_gradient")]
    out: std::path::PathBuf,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Axis {
    X,
    Y,
    Z,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let (n, per_cell, object, delta) = (cli.cells, cli.per_cell, cli.object.clone(), cli.delta);
    let axis = cli.axis as usize;
    if !((2..=512).contains(&n) && (1..=32).contains(&per_cell) && delta > 0.0 && delta.is_finite()) {
        bail!("--cells must be in 2..=512, --per-cell in 1..=32 and --delta > 0");
    }
    let (half, height) = (cli.half_size, cli.height);
    if !(half > 0.0 && half.is_finite() && height.is_finite()) {
        bail!("--half-size must be > 0 and --height finite");
    }
    let tx_position = parse_vec3(&cli.tx, "--tx")?;
    let out = prepare_output(&cli.out, false)?;
    let options = SolverOptions {
        frequency_hz: cli.freq,
        max_depth: cli.max_depth,
        samples: cli.samples,
        refraction: false,
        backend: BackendChoice::Cpu,
        ..Default::default()
    };
    let solver = PathSolver::new(options);
    // the built-in street, or a scene file with --object, --tx, --half-size and --height
    let base = match cli.scene.as_deref() {
        Some(p) => rftwin::core::io::load_scene(p).with_context(|| format!("loading {p}"))?,
        None => scene()?,
    };
    base.object_index(&object)?;
    let mut e = DVec3::ZERO;
    e[axis] = delta;
    let shifted = |sign: f64| -> Result<Scene> {
        let mut s = base.clone();
        s.translate_object(&object, e * sign)?;
        Ok(s)
    };
    let (plus, minus) = (shifted(1.0)?, shifted(-1.0)?);
    let tx = Radio::isotropic(tx_position);
    let grid = CellGrid { x: [-half, half], y: [-half, half], z: height, cells: [n, n], per_cell };
    let param = GradientParam::ObjectTranslation(object.clone());
    let antenna = Antenna::default();
    println!(
        "coverage of {n} × {n} cells ({height} m high, {per_cell} × {per_cell} receivers and {per_cell} scan lines per cell), TX {}, ∂P̄/∂{} of '{object}': interior and boundary terms, and central differences (δ = {delta} m) …",
        tx.position,
        ["x", "y", "z"][axis]
    );
    let bar = indicatif::ProgressBar::new(3 * grid.scan_lines() as u64);
    let tick = || bar.inc(1);
    let t0 = Instant::now();
    let cov = cell_coverage(&solver, &base, &SceneGeometry::new(&base), &tx, &CoverageRequest { grid: &grid, rx_antenna: &antenna, param: Some(&param), boundary_term: true, progress: Some(&tick) })?;
    let seconds = t0.elapsed().as_secs_f64();
    if let Some(o) = &cov.tx_inside {
        eprintln!("warning: the transmitter is inside the closed object '{o}': only paths through its walls leave it");
    }
    let pp = cell_coverage(&solver, &plus, &SceneGeometry::new(&plus), &tx, &CoverageRequest { grid: &grid, rx_antenna: &antenna, param: None, boundary_term: false, progress: Some(&tick) })?;
    let pm = cell_coverage(&solver, &minus, &SceneGeometry::new(&minus), &tx, &CoverageRequest { grid: &grid, rx_antenna: &antenna, param: None, boundary_term: false, progress: Some(&tick) })?;
    bar.finish_and_clear();

    // a cell whose centre is inside an object (any with some height: not the ground) is
    // drawn grey
    let inside: Vec<bool> = (0..n * n)
        .map(|k| {
            let p = grid.cell_center(k % n, k / n);
            base.objects().iter().any(|o| o.mesh.bounds().is_some_and(|(lo, hi)| hi.z - lo.z > 1e-3 && p.cmpge(lo).all() && p.cmple(hi).all()))
        })
        .collect();
    let full = cov.gradient();
    // no-path cells (P̄ = 0) are drawn 100 dB under the strongest cell; gradients in
    // dB/m, 10/ln 10 · (∂P̄/∂x)/P̄ (0 where P̄ = 0: no path, nothing to move)
    let p_max = cov.power.iter().zip(&inside).filter(|(_, i)| !**i).map(|(p, _)| *p).fold(0.0, f64::max);
    let floor = 10.0 * p_max.log10() - 100.0;
    let p_db: Vec<f64> = cov.power.iter().zip(&inside).map(|(&p, &i)| if i { f64::NAN } else if p > 0.0 { (10.0 * p.log10()).max(floor) } else { floor }).collect();
    let db_per_m = |d: f64, p: f64, i: bool| if i { f64::NAN } else if p > 0.0 { 10.0 / std::f64::consts::LN_10 * d / p } else { 0.0 };
    let interior: Vec<f64> = (0..n * n).map(|k| db_per_m(cov.interior[k][axis], cov.power[k], inside[k])).collect();
    let with_boundary: Vec<f64> = (0..n * n).map(|k| db_per_m(full[k][axis], cov.power[k], inside[k])).collect();
    let fd: Vec<f64> = (0..n * n).map(|k| db_per_m((pp.power[k] - pm.power[k]) / (2.0 * delta), cov.power[k], inside[k])).collect();
    // cells the object influences (any estimate above 1e-3 dB/m): an estimate agrees
    // when it is within 10 % of the larger of it and the finite difference
    let compare = |est: &[f64]| -> (usize, usize, f64) {
        let (mut influenced, mut differ, mut rel) = (0, 0, Vec::new());
        for k in 0..n * n {
            let m = interior[k].abs().max(with_boundary[k].abs()).max(fd[k].abs());
            if !m.is_finite() || m < 1e-3 {
                continue;
            }
            influenced += 1;
            let big = est[k].abs().max(fd[k].abs());
            let d = (est[k] - fd[k]).abs();
            if d > 0.1 * big {
                differ += 1;
            }
            rel.push(if big > 0.0 { d / big } else { 0.0 });
        }
        (influenced, differ, median(rel))
    };
    let (influenced, differ_interior, median_interior) = compare(&interior);
    let (_, differ_full, median_full) = compare(&with_boundary);
    let outside = inside.iter().filter(|i| !**i).count();
    let ax = ["x", "y", "z"][axis];
    let png = out.join("coverage_gradient.png");
    maps(
        &png,
        &[
            ("coverage 10 log10 P̄ [dB]", &p_db, Scale::Sequential),
            (&format!("∂P̄/∂{ax}, interior term [dB/m]"), &interior, Scale::Diverging),
            (&format!("∂P̄/∂{ax}, interior + boundary [dB/m]"), &with_boundary, Scale::Diverging),
            (&format!("∂P̄/∂{ax}, finite differences [dB/m]"), &fd, Scale::Diverging),
        ],
        n,
        n,
        (-half, half, -half, half),
        "x [m]",
        "y [m]",
    )?;
    let summary = serde_json::json!({
        "cells": outside, "influenced_cells": influenced,
        "differ_interior": differ_interior, "differ_full": differ_full,
        "median_rel_diff_interior": median_interior, "median_rel_diff_full": median_full,
        "crossings": cov.crossings, "unidentified_crossings": cov.unidentified, "receivers": cov.receivers,
        "seconds": seconds, "object": object, "axis": ax, "delta_m": delta, "per_cell": per_cell, "backend": "cpu",
    });
    let table: Vec<serde_json::Value> = (0..n * n)
        .map(|k| {
            let c = grid.cell_center(k % n, k / n);
            serde_json::json!({"x": c.x, "y": c.y, "power": cov.power[k], "dP_interior": cov.interior[k][axis], "dP_boundary": cov.boundary[k][axis], "dP_fd": (pp.power[k] - pm.power[k]) / (2.0 * delta)})
        })
        .collect();
    write_json(&out.join("coverage.json"), &serde_json::json!({"summary": summary, "cells": table}))?;
    println!(
        "{outside} cells outside objects; of the {influenced} the {object} influences, the interior term differs from finite differences by > 10 % in {differ_interior} (median relative difference {median_interior:.2e}), interior + boundary in {differ_full} ({median_full:.2e}); {} crossings, {} unidentified; {seconds:.1} s for the map and its gradient; wrote {}",
        cov.crossings,
        cov.unidentified,
        png.display()
    );
    println!("summary: {summary}");
    Ok(())
}
