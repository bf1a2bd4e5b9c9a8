//! The RIS street shared by `ris_paths` and `ris_optimise`: a main street along x
//! (y ∈ [−5, 5]) with a side street running north (x ∈ [0, 8], y > 5) between two
//! blocks; the transmitter stands in the main street west of the corner, so the side
//! street is in the shadow of the north-west block. A RIS on the south block's north
//! wall (y = −5), facing the side street, can reach it.
#![allow(dead_code)]

use anyhow::{bail, Result};
use glam::DVec3;
use rayon::prelude::*;
use rftwin::core::constants::SPEED_OF_LIGHT;
use rftwin::core::ris::RisSurface;
use rftwin::inverse::autodiff::{OptimizerKind, ParamGroup, Schedule};
use rftwin::inverse::driver::{Reconstruction, Settings};
use rftwin::inverse::objective::RisCoverageObjective;
use rftwin::{BackendChoice, Mesh, Paths, PathSolver, Radio, Scene, SceneGeometry, SolverOptions};
use std::f64::consts::TAU;
use std::path::Path;

/// The street's command-line settings shared by `ris_paths` and `ris_optimise`.
#[derive(clap::Args, Debug)]
pub struct StreetArgs {
    /// Carrier frequency [Hz]
    #[arg(long, default_value_t = 3.5e9)]
    pub freq: f64,
    /// RIS elements per side (λ/2 elements)
    #[arg(long, default_value_t = 48)]
    pub side: usize,
    /// Rays shot per solve
    #[arg(long, default_value_t = 20_000)]
    pub samples: usize,
    /// No progress bars
    #[arg(long)]
    pub quiet: bool,
}

impl StreetArgs {
    /// Refuses a RIS side outside 1..=400, a non-positive frequency or no rays.
    pub fn validate(&self) -> Result<()> {
        if !((1..=400).contains(&self.side) && self.freq > 0.0 && self.freq.is_finite()) || self.samples == 0 {
            bail!("--side must be in 1..=400, --freq > 0 and --samples ≥ 1");
        }
        Ok(())
    }
}

/// Transmitter position \[m\].
pub const TX: DVec3 = DVec3::new(-12.0, 4.0, 6.0);
/// Receiver height \[m\].
pub const RX_HEIGHT: f64 = 1.5;
/// The shadowed region `[x0, x1] × [y0, y1]` in the side street \[m\].
pub const SHADOW: [f64; 4] = [0.5, 7.5, 10.0, 28.0];

/// The street with a `side × side` RIS of half-wavelength elements at `frequency_hz`.
pub fn street(frequency_hz: f64, side: usize) -> Result<(Scene, RisSurface)> {
    let mut s = Scene::new();
    s.add_object("ground", Mesh::quad_xy(-40.0, 40.0, -20.0, 40.0, 0.0), "itu_concrete")?;
    s.add_object("block_nw", Mesh::cuboid(DVec3::new(-40.0, 5.0, 0.0), DVec3::new(0.0, 40.0, 15.0)), "itu_concrete")?;
    s.add_object("block_ne", Mesh::cuboid(DVec3::new(8.0, 5.0, 0.0), DVec3::new(40.0, 40.0, 15.0)), "itu_concrete")?;
    s.add_object("block_s", Mesh::cuboid(DVec3::new(-40.0, -20.0, 0.0), DVec3::new(40.0, -5.0, 15.0)), "itu_brick")?;
    let lambda = SPEED_OF_LIGHT / frequency_hz;
    let ris = RisSurface::new("ris", DVec3::new(4.0, -5.0, 5.0), DVec3::Y, DVec3::Z, [side, side], [lambda / 2.0; 2])?;
    s.add_ris(ris.clone())?;
    Ok((s, ris))
}

/// Whether `p` (at receiver height) is inside a block.
pub fn inside_block(p: DVec3) -> bool {
    p.y < -5.0 || (p.y > 5.0 && (p.x < 0.0 || p.x > 8.0))
}

/// The solver of both examples: two interactions (the RIS and one more, or two
/// reflections), first-order diffraction so the shadow is not empty without the RIS.
pub fn solver(frequency_hz: f64, samples: usize) -> PathSolver {
    PathSolver::new(SolverOptions { frequency_hz, max_depth: 2, samples, refraction: false, diffraction: true, backend: BackendChoice::Cpu, ..Default::default() })
}

/// Paths from the transmitter to every receiver (in parallel), with a progress bar.
pub fn solve_receivers(solver: &PathSolver, scene: &Scene, receivers: &[DVec3], label: &str) -> Result<Vec<Paths>> {
    let geom = SceneGeometry::new(scene);
    let bar = super::progress_bar(receivers.len() as u64, label);
    let tx = Radio::isotropic(TX);
    let paths: Result<Vec<Paths>, rftwin::trace::TraceError> = receivers
        .par_iter()
        .map(|&p| {
            let r = solver.solve(scene, &geom, &tx, &Radio::isotropic(p));
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    Ok(paths?)
}

/// Receivers on a regular grid of spacing `step` over `[x0, x1] × [y0, y1]` (cell
/// centres, row-major from the south-west), with the grid shape `(cols, rows)`.
pub fn grid(area: [f64; 4], step: f64) -> Result<(Vec<DVec3>, usize, usize)> {
    if !(step > 0.0 && step.is_finite()) {
        bail!("the receiver spacing must be > 0, got {step}");
    }
    let cols = ((area[1] - area[0]) / step).round().max(1.0) as usize;
    let rows = ((area[3] - area[2]) / step).round().max(1.0) as usize;
    if cols * rows > 200_000 {
        bail!("{cols} × {rows} receivers: use a coarser spacing");
    }
    let (dx, dy) = ((area[1] - area[0]) / cols as f64, (area[3] - area[2]) / rows as f64);
    let points = (0..rows).flat_map(|r| (0..cols).map(move |c| DVec3::new(area[0] + (c as f64 + 0.5) * dx, area[2] + (r as f64 + 0.5) * dy, RX_HEIGHT))).collect();
    Ok((points, cols, rows))
}

/// The phase-gradient profile that steers the transmitter's plane wave to `target`.
pub fn gradient_phases(ris: &RisSurface, target: DVec3, frequency_hz: f64) -> Result<Vec<f64>> {
    let k = TAU * frequency_hz / SPEED_OF_LIGHT;
    Ok(ris.phase_gradient(TX - ris.centre, target - ris.centre, k)?.phase)
}

/// Maximises the mean power of `objective` from `start` with Adam (driver of
/// `rftwin::inverse`, progress bar, history in `out`).
pub fn optimise(objective: &mut RisCoverageObjective, start: &[f64], iterations: usize, out: &Path, quiet: bool) -> Result<Vec<f64>> {
    let group = ParamGroup::new("phases", start, 0.2, OptimizerKind::adam())?.with_schedule(Schedule::Cosine { iterations, floor: 0.05 });
    let settings = Settings { iterations, out_dir: Some(out.to_path_buf()), progress: !quiet, resume: false, ..Default::default() };
    let mut run = Reconstruction::new(vec![group], settings)?;
    run.run(objective)?;
    let end = run.values().remove(0);
    // Adam's last iterate is not always its best: never return worse than the start
    if objective.mean_power(&end) < objective.mean_power(start) {
        eprintln!("note: the optimiser ended below its starting profile; keeping the start");
        return Ok(start.to_vec());
    }
    Ok(end)
}

/// `10 log₁₀ x`, with −300 dB for zero.
pub fn db(x: f64) -> f64 {
    if x > 0.0 {
        10.0 * x.log10()
    } else {
        -300.0
    }
}
