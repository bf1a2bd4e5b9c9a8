//! Edge diffraction at a building corner: the received field along an arc around the
//! corner, geometrical optics alone vs with first-order UTD diffraction, and the
//! derivative of the received power along the arc from interior gradients vs finite
//! differences.
//!
//! ```text
//! cargo run --release --example diffraction -- [--freq 3.5e9] [--points 4000]
//!     [--radius 30] [--material itu_concrete] [--out DIR]
//! ```
//! A 20 m × 20 m × 30 m building (x, y ∈ [0, 20]) in free space, the transmitter at
//! (−40, −8, 5); receivers on an arc of `--radius` around the corner edge at (20, 0),
//! 5 m high, from −40° to 60° (0° = +x). Crossing 7.6° the line of sight disappears
//! behind the building (incident shadow boundary); crossing −7.6° the south wall's
//! reflection runs off the wall (reflection boundary). Geometrical optics jumps at both;
//! with diffraction the total field is continuous (UTD, `docs/physics.md`).
//! First-order diffraction has boundaries of its own, where a diffracted path appears
//! or vanishes (its Keller point reaches the end of an edge, its diffracted ray grazes a
//! face or is cut by another part of the building); continuity there would need
//! higher-order diffraction, so the curves still step at a few such angles (at 41.8° the
//! receiver crosses the plane of the north wall, and the ray diffracted around the
//! building's far, north-west corner, which grazed that wall, appears).
//! Writes `field.png` (received power in dB: GO only, GO + diffraction, diffraction
//! only), `derivative.png` (∂P/∂ψ of the coherent power `P = |Σ a e^{−j2πfτ}|²` from the
//! paths' interior gradients, diffracted paths included, vs central differences of the
//! sampled P) and `diffraction.json`.

#[path = "common/mod.rs"]
mod common;

use anyhow::{bail, Context, Result};
use clap::Parser;
use common::*;
use glam::DVec3;
use rayon::prelude::*;
use rftwin::core::InteractionType;
use rftwin::{path_gradients, BackendChoice, Complex, GradientParam, Mesh, PathSolver, Radio, Scene, SceneGeometry, SolverOptions};
use std::f64::consts::PI;

struct Sample {
    psi_deg: f64,
    go: Complex,
    total: Complex,
    /// ∂P/∂ψ [1/rad] from the interior gradients (all paths).
    dp: f64,
}

/// Edge diffraction at a building corner: received power along an arc, geometrical
/// optics vs GO + UTD diffraction, and ∂P/∂ψ from interior gradients vs finite
/// differences.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Carrier frequency [Hz]
    #[arg(long, default_value_t = 3.5e9)]
    freq: f64,
    /// Receivers on the arc (10 to 100000)
    #[arg(long, default_value_t = 4000)]
    points: usize,
    /// Arc radius around the corner [m] (> 1)
    #[arg(long, default_value_t = 30.0)]
    radius: f64,
    /// Material of the building
    #[arg(long, default_value = "itu_concrete")]
    material: String,
    /// Output directory
    #[arg(long, default_value = "out/diffraction")]
    out: std::path::PathBuf,
    /// Empty the output directory first
    #[arg(long)]
    fresh: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let (f, n, radius, material) = (cli.freq, cli.points, cli.radius, cli.material.clone());
    if !(f > 0.0 && f.is_finite() && (10..=100_000).contains(&n) && radius > 1.0 && radius.is_finite()) {
        bail!("--freq must be > 0, --points in 10..=100000, --radius > 1 m");
    }
    let out = prepare_output(&cli.out, cli.fresh)?;
    let mut scene = Scene::new();
    scene
        .add_object("building", Mesh::cuboid(DVec3::new(0.0, 0.0, 0.0), DVec3::new(20.0, 20.0, 30.0)), &material)
        .with_context(|| format!("material '{material}'"))?;
    let geom = SceneGeometry::new(&scene);
    let tx = Radio::isotropic(DVec3::new(-40.0, -8.0, 5.0));
    let corner = DVec3::new(20.0, 0.0, 5.0);
    let options = SolverOptions { frequency_hz: f, max_depth: 1, samples: 20_000, refraction: false, diffraction: true, backend: BackendChoice::Cpu, ..Default::default() };
    let solver = PathSolver::new(options);
    let isb = (8.0f64).atan2(60.0).to_degrees();
    println!("building corner at (20, 0); incident shadow boundary at {isb:.2}°, reflection boundary at {:.2}°; {n} receivers on a {radius} m arc at {} GHz", -isb, f / 1e9);
    let bar = indicatif::ProgressBar::new(n as u64);
    let w = 2.0 * PI * f;
    let rx_param = GradientParam::RxPosition;
    let samples: Vec<Sample> = (0..n)
        .into_par_iter()
        .map(|i| -> Result<Sample> {
            let psi = (-40.0 + 100.0 * i as f64 / (n - 1) as f64).to_radians();
            let rx = Radio::isotropic(corner + radius * DVec3::new(psi.cos(), psi.sin(), 0.0));
            let paths = solver.solve(&scene, &geom, &tx, &rx)?;
            let g = path_gradients(&scene, &geom, &paths, &tx, &rx, &rx_param)?;
            let drx = radius * DVec3::new(-psi.sin(), psi.cos(), 0.0);
            let (mut go, mut total, mut dh) = (Complex::new(0.0, 0.0), Complex::new(0.0, 0.0), Complex::new(0.0, 0.0));
            for k in 0..paths.num_paths() {
                let e = Complex::from_polar(1.0, -w * paths.tau[k]);
                let h = paths.a[k] * e;
                total += h;
                if !paths.path(k).interactions.contains(&InteractionType::Diffraction) {
                    go += h;
                }
                for c in 0..3 {
                    dh += (g.a[k][c] - Complex::new(0.0, w) * paths.a[k] * g.tau[k][c]) * e * drx[c];
                }
            }
            bar.inc(1);
            Ok(Sample { psi_deg: psi.to_degrees(), go, total, dp: 2.0 * (total.conj() * dh).re })
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();

    let db = |h: Complex| 10.0 * h.norm_sqr().max(1e-30).log10();
    let psi: Vec<f64> = samples.iter().map(|s| s.psi_deg).collect();
    let total_db: Vec<f64> = samples.iter().map(|s| db(s.total)).collect();
    // GO vanishes in the shadow: plot from 60 dB below the strongest sample
    let floor = total_db.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v)) - 60.0;
    let go_db: Vec<f64> = samples.iter().map(|s| db(s.go).max(floor)).collect();
    let diff_db: Vec<f64> = samples.iter().map(|s| db(s.total - s.go).max(floor)).collect();
    plot_lines(
        &out.join("field.png"),
        &format!("Received power around a building corner ({} GHz, {radius} m arc)", f / 1e9),
        "azimuth around the corner [deg]",
        "power gain [dB]",
        &psi,
        &[("geometrical optics", &go_db), ("GO + UTD diffraction", &total_db), ("diffraction only", &diff_db)],
    )?;
    // derivative: interior gradients vs central differences of the sampled power
    let dpsi = (psi[1] - psi[0]).to_radians();
    let p: Vec<f64> = samples.iter().map(|s| s.total.norm_sqr()).collect();
    // central differences inside, one-sided at the two ends
    let fd: Vec<f64> = (0..n)
        .map(|i| {
            let (a, b) = (i.saturating_sub(1), (i + 1).min(n - 1));
            (p[b] - p[a]) / ((b - a) as f64 * dpsi)
        })
        .collect();
    let an: Vec<f64> = samples.iter().map(|s| s.dp).collect();
    let scale = an.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let (an_n, fd_n): (Vec<f64>, Vec<f64>) = an.iter().zip(&fd).map(|(a, d)| (a / scale, d / scale)).unzip();
    plot_lines(
        &out.join("derivative.png"),
        "dP/dψ along the arc: interior gradient vs finite differences",
        "azimuth around the corner [deg]",
        "∂P/∂ψ (normalised)",
        &psi,
        &[("interior gradient", &an_n), ("central differences", &fd_n)],
    )?;
    // jumps at the two boundaries: the step of |H| in dB between the neighbouring samples
    // that straddle each, against the median step elsewhere
    let step_db = |series: &[f64], at: f64| -> f64 {
        let i = psi.iter().position(|&x| x > at).unwrap_or(1).max(1);
        (series[i] - series[i - 1]).abs()
    };
    // the largest step among the 20 sample pairs on either side (the field's own
    // variation there: interference fringes)
    let local_db = |at: f64| -> f64 {
        let i = psi.iter().position(|&x| x > at).unwrap_or(1).max(1);
        (i.saturating_sub(21)..(i + 20).min(n - 1)).filter(|&j| j + 1 != i && j + 1 < n && j != i - 1).map(|j| (total_db[j + 1] - total_db[j]).abs()).fold(0.0, f64::max)
    };
    let median_step = median(total_db.windows(2).map(|w| (w[1] - w[0]).abs()).collect());
    let rel_err: Vec<f64> = (1..n - 1).filter(|&i| fd[i].abs() > 1e-3 * scale).map(|i| (an[i] - fd[i]).abs() / fd[i].abs()).collect();
    let summary = serde_json::json!({
        "points": n,
        "isb_deg": isb,
        "go_step_db_isb": step_db(&go_db, isb),
        "total_step_db_isb": step_db(&total_db, isb),
        "go_step_db_rsb": step_db(&go_db, -isb),
        "total_step_db_rsb": step_db(&total_db, -isb),
        "median_step_db_total": median_step,
        "local_max_step_db_isb": local_db(isb),
        "local_max_step_db_rsb": local_db(-isb),
        "derivative_median_rel_diff": median(rel_err.clone()),
        "derivative_points_compared": rel_err.len(),
    });
    println!(
        "step of |H| across the incident shadow boundary: GO {:.2} dB, GO + diffraction {:.3} dB (median step between samples {median_step:.3} dB)",
        summary["go_step_db_isb"].as_f64().unwrap_or(f64::NAN),
        summary["total_step_db_isb"].as_f64().unwrap_or(f64::NAN)
    );
    println!(
        "across the reflection boundary: GO {:.2} dB, GO + diffraction {:.3} dB (largest neighbouring step {:.3} dB: fringes of the line of sight and the reflection)",
        summary["go_step_db_rsb"].as_f64().unwrap_or(f64::NAN),
        summary["total_step_db_rsb"].as_f64().unwrap_or(f64::NAN),
        summary["local_max_step_db_rsb"].as_f64().unwrap_or(f64::NAN)
    );
    println!("∂P/∂ψ, interior gradient vs central differences: median relative difference {:.2e} over {} points", median(rel_err), summary["derivative_points_compared"]);
    write_json(&out.join("diffraction.json"), &summary)?;
    println!("wrote {}", out.display());
    println!("summary: {summary}");
    Ok(())
}
