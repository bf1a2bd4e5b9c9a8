//! A RIS on a street-canyon wall serving a shadowed receiver: coverage maps of the
//! built-in street (`examples/common/ris_street.rs`) with the RIS off, with the
//! phase-gradient profile toward the side street, and with the profile optimised over the
//! side street (as `ris_optimise` does), plus the paths of one shadowed receiver.
//!
//! ```text
//! cargo run --release --example ris_paths -- [--freq 3.5e9] [--side 48] [--step 1]
//!     [--iterations 150] [--samples 20000] [--rx x,y,z] [--out DIR] [--quiet]
//! ```
//! Writes `ris_coverage.png` (received power in dB on one scale, blocks grey),
//! `paths_rx.json` (every path of the receiver `--rx`, RIS path families included, with
//! the optimised profile) and `ris_paths.json`. The summary gives the mean power of the
//! street and of the shadowed side street for each profile and the receiver's
//! RIS path families.

#[path = "common/mod.rs"]
mod common;
#[path = "common/ris_street.rs"]
mod ris_street;

use anyhow::{bail, Result};
use clap::Parser;
use common::*;
use rftwin::inverse::objective::RisCoverageObjective;
use rftwin::inverse::plot::{maps, Scale};
use rftwin::{Complex, Radio, SceneGeometry};
use ris_street::*;
use std::time::Instant;

/// Coverage of a street with a RIS: off, phase gradient, optimised.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    street: StreetArgs,
    /// Map spacing [m]
    #[arg(long, default_value_t = 1.0)]
    step: f64,
    /// Adam iterations of the profile optimisation over the side street
    #[arg(long, default_value_t = 150)]
    iterations: usize,
    /// The receiver whose paths are written, x,y,z [m]
    #[arg(long, allow_hyphen_values = true, default_value = "4,20,1.5")]
    rx: String,
    /// Output directory
    #[arg(long, default_value = "out/ris_paths")]
    out: std::path::PathBuf,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    cli.street.validate()?;
    if cli.iterations == 0 {
        bail!("--iterations must be ≥ 1");
    }
    let rx = parse_vec3(&cli.rx, "--rx")?;
    let out = prepare_output(&cli.out, false)?;
    let t0 = Instant::now();
    let (scene, ris) = street(cli.street.freq, cli.street.side)?;
    let solver = solver(cli.street.freq, cli.street.samples);
    let amplitude = vec![1.0; ris.count()];

    // the profile: optimised over the side street from the phase gradient toward it
    let (region, _, _) = grid(SHADOW, cli.step / 2.0)?;
    let region_paths = solve_receivers(&solver, &scene, &region, "side street")?;
    let centre = glam::DVec3::new((SHADOW[0] + SHADOW[1]) / 2.0, (SHADOW[2] + SHADOW[3]) / 2.0, RX_HEIGHT);
    let gradient = gradient_phases(&ris, centre, cli.street.freq)?;
    let optimised = optimise(&mut RisCoverageObjective::new(&region_paths, 0, cli.street.freq, amplitude.clone())?, &gradient, cli.iterations, &out.join("run"), cli.street.quiet)?;

    // the street map (receivers inside the blocks are not traced)
    let area = [-16.0, 16.0, -5.0, 28.0];
    let (points, cols, rows) = grid(area, cli.step)?;
    let open: Vec<usize> = (0..points.len()).filter(|&i| !inside_block(points[i])).collect();
    let open_points: Vec<glam::DVec3> = open.iter().map(|&i| points[i]).collect();
    let paths = solve_receivers(&solver, &scene, &open_points, "street map")?;
    let on = RisCoverageObjective::new(&paths, 0, cli.street.freq, amplitude.clone())?;
    let off = RisCoverageObjective::new(&paths, 0, cli.street.freq, vec![0.0; ris.count()])?;
    let zero = vec![0.0; ris.count()];
    let in_shadow: Vec<bool> = open_points.iter().map(|p| p.x >= SHADOW[0] && p.x <= SHADOW[1] && p.y >= SHADOW[2] && p.y <= SHADOW[3]).collect();
    let mut panels = Vec::new();
    let mut means = Vec::new();
    for (o, ph) in [(&off, &zero), (&on, &gradient), (&on, &optimised)] {
        let powers = o.powers(ph);
        let mut map = vec![f64::NAN; points.len()];
        for (k, &i) in open.iter().enumerate() {
            map[i] = db(powers[k]);
        }
        let mean = |sel: &dyn Fn(usize) -> bool| db(powers.iter().enumerate().filter(|(k, _)| sel(*k)).map(|(_, p)| p).sum::<f64>() / powers.iter().enumerate().filter(|(k, _)| sel(*k)).count().max(1) as f64);
        means.push((mean(&|_| true), mean(&|k| in_shadow[k])));
        panels.push(map);
    }
    let hi = panels.iter().flatten().copied().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    let lo = hi - 70.0;
    let names = ["RIS off", "phase gradient", "optimised"];
    let titles: Vec<String> = names.iter().zip(&means).map(|(n, (_, s))| format!("{n}: side street {s:.1} dB")).collect();
    let refs: Vec<(&str, &[f64], Scale)> = titles.iter().zip(&panels).map(|(t, p)| (t.as_str(), p.as_slice(), Scale::Range(lo, hi))).collect();
    maps(&out.join("ris_coverage.png"), &refs, rows, cols, (area[0], area[1], area[2], area[3]), "x [m]", "y [m]")?;

    // the paths of one receiver, with the optimised profile
    let mut rx_paths = solver.solve(&scene, &SceneGeometry::new(&scene), &Radio::isotropic(TX), &Radio::isotropic(rx))?;
    rx_paths.set_ris_profile(0, optimised.iter().map(|&p| Complex::from_polar(1.0, p)).collect())?;
    rftwin::core::io::paths_json::write_paths(&out.join("paths_rx.json"), &rx_paths)?;
    let families: Vec<serde_json::Value> = rx_paths
        .ris_paths
        .iter()
        .map(|p| serde_json::json!({"incoming": p.incoming.iter().map(|&o| rx_paths.object_names[o as usize].clone()).collect::<Vec<_>>(), "outgoing": p.outgoing.iter().map(|&o| rx_paths.object_names[o as usize].clone()).collect::<Vec<_>>(), "terms": p.terms.len(), "power_db": db(rx_paths.ris_response(p, cli.street.freq).norm_sqr())}))
        .collect();
    println!("receiver {rx}: {} ordinary paths, {} RIS path families", rx_paths.num_paths(), families.len());
    for (n, (street_db, shadow_db)) in names.iter().zip(&means) {
        println!("{n:>15}: street mean {street_db:.2} dB, side street mean {shadow_db:.2} dB");
    }
    let summary = serde_json::json!({
        "receivers": open_points.len(),
        "ris_elements": ris.count(),
        "street_mean_db": {"off": means[0].0, "phase_gradient": means[1].0, "optimised": means[2].0},
        "side_street_mean_db": {"off": means[0].1, "phase_gradient": means[1].1, "optimised": means[2].1},
        "side_street_gain_db_vs_off": means[2].1 - means[0].1,
        "rx_ordinary_paths": rx_paths.num_paths(),
        "rx_ris_families": families,
        "ris_blocked_paths": rx_paths.stats.ris_blocked_paths,
        "seconds": t0.elapsed().as_secs_f64(),
        "peak_memory_mb": peak_memory_mb(),
    });
    write_json(&out.join("ris_paths.json"), &serde_json::json!({"summary": summary}))?;
    println!("wrote {}", out.display());
    println!("summary: {summary}");
    Ok(())
}
