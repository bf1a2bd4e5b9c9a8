//! RIS phase optimisation by gradient over a coverage region (the differentiable-RIS use
//! case): in the built-in street (`examples/common/ris_street.rs`) a RIS on the south wall
//! serves the side street that the north-west block shadows from the transmitter.
//! Solver (A) traces every receiver of the region once (element-sum RIS paths, walls,
//! ground, first-order diffraction); the mean received power over the region is then
//! maximised with respect to the RIS phases by Adam on the phase VJP
//! (`rftwin::inverse::objective::RisCoverageObjective`), starting from the phase-gradient
//! profile that steers the transmitter's plane wave to the region's centre, and the result
//! is projected to 1- and 2-bit phases.
//!
//! ```text
//! cargo run --release --example ris_optimise -- [--freq 3.5e9] [--side 48] [--step 0.5]
//!     [--iterations 300] [--samples 20000] [--cost-side 100] [--out DIR] [--quiet]
//! ```
//! Writes `ris_optimise.png` (region maps: RIS off, phase gradient, optimised, 1 bit, on
//! one dB scale), `ris_phases.png` (the optimised and gradient profiles), `loss.png` and
//! `history.json` (the driver's), `ris_optimise.json`. The summary gives the region's mean
//! power for each profile and the gains `gain_db_vs_off`, `gain_db_vs_gradient_profile`,
//! `gain_db_after_quantisation` (1 bit vs off), `quantisation_loss_db` (optimised − 1 bit),
//! and the cost of the phase VJP against the CFR it differentiates on a `cost_side²` RIS
//! (`reverse_forward_ratio`).

#[path = "common/mod.rs"]
mod common;
#[path = "common/ris_street.rs"]
mod ris_street;

use anyhow::{bail, Result};
use clap::Parser;
use common::*;
use glam::DVec3;
use rftwin::core::ris::RisProfile;
use rftwin::inverse::objective::RisCoverageObjective;
use rftwin::inverse::plot::{maps, Scale};
use rftwin::trace::paths::channel::cfr;
use rftwin::trace::paths::ris::phase_vjp;
use rftwin::{Complex, Radio, SceneGeometry};
use ris_street::*;
use std::time::Instant;

/// RIS phase optimisation over the shadowed side street (coverage gain vs RIS off, vs the
/// phase-gradient profile, and after 1-bit projection).
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    street: StreetArgs,
    /// Receiver spacing in the region [m]
    #[arg(long, default_value_t = 0.5)]
    step: f64,
    /// Adam iterations
    #[arg(long, default_value_t = 300)]
    iterations: usize,
    /// Elements per side of the RIS on which the VJP cost is measured (0: skip)
    #[arg(long, default_value_t = 100)]
    cost_side: usize,
    /// Output directory
    #[arg(long, default_value = "out/ris_optimise")]
    out: std::path::PathBuf,
}

/// Median seconds of `reps` runs of `f`.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    median((0..reps).map(|_| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64()
    }).collect())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    cli.street.validate()?;
    if cli.iterations == 0 {
        bail!("--iterations must be ≥ 1");
    }
    let out = prepare_output(&cli.out, false)?;
    let t0 = Instant::now();
    let (scene, ris) = street(cli.street.freq, cli.street.side)?;
    let (receivers, cols, rows) = grid(SHADOW, cli.step)?;
    let solver = solver(cli.street.freq, cli.street.samples);
    println!("RIS {0}×{0} ({1:.2} m) at {2}, {3} receivers in the side street x ∈ [{4}, {5}] m, y ∈ [{6}, {7}] m, {8} GHz …", cli.street.side, ris.size()[0], ris.centre, receivers.len(), SHADOW[0], SHADOW[1], SHADOW[2], SHADOW[3], cli.street.freq / 1e9);
    let paths = solve_receivers(&solver, &scene, &receivers, "tracing")?;
    let trace_s = t0.elapsed().as_secs_f64();
    let families: usize = paths.iter().map(|p| p.ris_paths.len()).sum();
    let mut objective = RisCoverageObjective::new(&paths, 0, cli.street.freq, vec![1.0; ris.count()])?;

    let centre = DVec3::new((SHADOW[0] + SHADOW[1]) / 2.0, (SHADOW[2] + SHADOW[3]) / 2.0, RX_HEIGHT);
    let gradient = gradient_phases(&ris, centre, cli.street.freq)?;
    let t1 = Instant::now();
    let optimised = optimise(&mut objective, &gradient, cli.iterations, &out.join("run"), cli.street.quiet)?;
    let optimise_s = t1.elapsed().as_secs_f64();
    let quantised = |bits: u32| -> Result<Vec<f64>> { Ok(RisProfile::from_phases(optimised.clone()).quantized(bits)?.phase) };
    let (one_bit, two_bit) = (quantised(1)?, quantised(2)?);

    // RIS off: the surface stays (it occludes the wall behind it) but reradiates nothing
    let off = RisCoverageObjective::new(&paths, 0, cli.street.freq, vec![0.0; ris.count()])?;
    let zero = vec![0.0; ris.count()];
    let p_db = |o: &RisCoverageObjective, ph: &[f64]| db(o.mean_power(ph));
    let (off_db, grad_db, opt_db, one_db, two_db) = (p_db(&off, &zero), p_db(&objective, &gradient), p_db(&objective, &optimised), p_db(&objective, &one_bit), p_db(&objective, &two_bit));
    println!("mean power in the region: RIS off {off_db:.2} dB, phase gradient {grad_db:.2} dB, optimised {opt_db:.2} dB, 1 bit {one_db:.2} dB, 2 bit {two_db:.2} dB");

    // maps on one dB scale
    let map = |o: &RisCoverageObjective, ph: &[f64]| -> Vec<f64> { o.powers(ph).into_iter().map(db).collect() };
    let panels = [map(&off, &zero), map(&objective, &gradient), map(&objective, &optimised), map(&objective, &one_bit)];
    let hi = panels.iter().flatten().copied().fold(f64::NEG_INFINITY, f64::max);
    let lo = panels.iter().flatten().copied().filter(|v| *v > -250.0).fold(f64::INFINITY, f64::min).max(hi - 60.0);
    let titles = [format!("RIS off: {off_db:.1} dB"), format!("phase gradient: {grad_db:.1} dB"), format!("optimised: {opt_db:.1} dB"), format!("1-bit: {one_db:.1} dB")];
    let panel_refs: Vec<(&str, &[f64], Scale)> = titles.iter().zip(&panels).map(|(t, p)| (t.as_str(), p.as_slice(), Scale::Range(lo, hi))).collect();
    maps(&out.join("ris_optimise.png"), &panel_refs, rows, cols, (SHADOW[0], SHADOW[1], SHADOW[2], SHADOW[3]), "x [m]", "y [m]")?;
    let wrap = |p: &[f64]| -> Vec<f64> { p.iter().map(|x| x.rem_euclid(std::f64::consts::TAU)).collect() };
    // RIS element m = m_y·M_z + m_z: rows along z (up), columns along y
    let to_image = |p: &[f64]| -> Vec<f64> { (0..cli.street.side).flat_map(|z| (0..cli.street.side).map(move |y| (y, z))).map(|(y, z)| p[y * cli.street.side + z]).collect() };
    let half = ris.size()[0] / 2.0;
    maps(
        &out.join("ris_phases.png"),
        &[("phase gradient [rad]", &to_image(&wrap(&gradient)), Scale::Range(0.0, std::f64::consts::TAU)), ("optimised [rad]", &to_image(&wrap(&optimised)), Scale::Range(0.0, std::f64::consts::TAU))],
        cli.street.side,
        cli.street.side,
        (-half, half, -half, half),
        "along the wall [m]",
        "up [m]",
    )?;

    // cost of the reverse pass against the forward CFR on a large RIS (one receiver)
    let (mut cost_forward_s, mut cost_reverse_s) = (f64::NAN, f64::NAN);
    if cli.cost_side > 0 {
        let (big_scene, _) = street(cli.street.freq, cli.cost_side)?;
        let p = solver.solve(&big_scene, &SceneGeometry::new(&big_scene), &Radio::isotropic(TX), &Radio::isotropic(centre))?;
        let freqs: Vec<f64> = (0..64).map(|i| cli.street.freq + (i as f64 - 32.0) * 1e6).collect();
        let h = cfr(&p, &freqs);
        let cot: Vec<Complex> = h.iter().map(|x| x * 2.0).collect();
        cost_forward_s = time(5, || {
            std::hint::black_box(cfr(&p, &freqs));
        });
        let mut grad = Ok(Vec::new());
        cost_reverse_s = time(5, || grad = phase_vjp(&p, 0, &freqs, &cot));
        let grad = grad?;
        if grad.len() != cli.cost_side * cli.cost_side {
            bail!("the VJP returned {} values for {} elements", grad.len(), cli.cost_side * cli.cost_side);
        }
        println!("{0}×{0} RIS, 64 subcarriers: CFR {1:.4} s, phase VJP {2:.4} s (ratio {3:.2})", cli.cost_side, cost_forward_s, cost_reverse_s, cost_reverse_s / cost_forward_s);
    }

    let summary = serde_json::json!({
        "receivers": receivers.len(),
        "ris_elements": ris.count(),
        "ris_path_families": families,
        "mean_power_db": {"off": off_db, "phase_gradient": grad_db, "optimised": opt_db, "one_bit": one_db, "two_bit": two_db},
        "gain_db_vs_off": opt_db - off_db,
        "gain_db_vs_gradient_profile": opt_db - grad_db,
        "gain_db_after_quantisation": one_db - off_db,
        "quantisation_loss_db": opt_db - one_db,
        "two_bit_loss_db": opt_db - two_db,
        "trace_seconds": trace_s,
        "optimise_seconds": optimise_s,
        "cost_side": cli.cost_side,
        "forward_cfr_seconds": cost_forward_s,
        "reverse_vjp_seconds": cost_reverse_s,
        "reverse_forward_ratio": cost_reverse_s / cost_forward_s,
        "peak_memory_mb": peak_memory_mb(),
    });
    write_json(&out.join("ris_optimise.json"), &serde_json::json!({"summary": summary, "phases_optimised": optimised, "phases_gradient": gradient}))?;
    println!("wrote {}", out.display());
    println!("summary: {summary}");
    Ok(())
}
