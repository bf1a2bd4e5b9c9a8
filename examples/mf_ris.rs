//! Multi-functional RIS ISAC (paper 002, spec `mf_ris_isac.md`): a BS serves users and
//! senses targets on both sides of an MF-RIS; the alternating optimisation (Algorithm 3)
//! maximises the echo SINR γ_r + γ_t under the users' QoS, the BS power and the MF-RIS
//! amplification budget.
//!
//! ```text
//! cargo run --release --example mf_ris                        # ES protocol, defaults of spec §9
//! cargo run --release --example mf_ris -- --protocol ms --m 8x8 --rmin 1
//! cargo run --release --example mf_ris -- --figure compare    # ES / MS / TS / random (M6)
//! cargo run --release --example mf_ris -- --figure trends     # M, power, sensors, R_min (M8)
//! cargo run --release --example mf_ris -- --figure speed      # AO time per iteration vs M
//! cargo run --release --example mf_ris -- --figure hardware   # MF-RIS vs active, passive, STAR-RIS
//! cargo run --release --example mf_ris -- --figure sdr        # proposed vs SDR: objective and time
//! ```
//!
//! Writes PNGs and `summary.json` to `--out` (default `out/mf_ris`) and ends with one
//! `summary: {json}` line.

mod common;

use anyhow::{bail, Context, Result};
use clap::Parser;
use glam::DVec3;
use rftwin::inverse::plot::lines;
use rftwin::isac::mf_ris::channels::{steering, ArrayOffsets};
use rftwin::isac::mf_ris::setup::Hardware;
use rftwin::isac::mf_ris::{optimise_system, AoOptions, MfRisChannels, MfRisSetup, Method, Protocol, SystemResult};
use serde_json::json;
use std::path::Path;

/// MF-RIS ISAC: echo-SINR maximisation by alternating optimisation (paper 002).
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Which figure
    #[arg(long, value_enum, default_value_t = Figure::Single)]
    figure: Figure,
    /// MF-RIS elements MxxMz
    #[arg(long, default_value = "4x4")]
    m: String,
    /// Element sharing protocol: es, ms or ts
    #[arg(long, default_value = "es")]
    protocol: Protocol,
    /// Surface: mf-ris, active, passive or star (the last three echo back to the BS)
    #[arg(long, default_value = "mf-ris")]
    hardware: Hardware,
    /// Users in the reflection space "x,y,z;…" [m] (default: spec §9)
    #[arg(long, allow_hyphen_values = true)]
    users_r: Option<String>,
    /// Users in the refraction space [m]
    #[arg(long, allow_hyphen_values = true)]
    users_t: Option<String>,
    /// Targets in the reflection space [m]
    #[arg(long, allow_hyphen_values = true)]
    targets_r: Option<String>,
    /// Targets in the refraction space [m]
    #[arg(long, allow_hyphen_values = true)]
    targets_t: Option<String>,
    /// Rician factor [dB] ("inf": line of sight only)
    #[arg(long, default_value_t = 3.0, allow_hyphen_values = true)]
    kappa_db: f64,
    /// Minimum user rate R_min [bit/s/Hz]
    #[arg(long, default_value_t = 0.5)]
    rmin: f64,
    /// Total power P = P_max + P_o [dBm]
    #[arg(long, default_value_t = 30.0, allow_hyphen_values = true)]
    power_dbm: f64,
    /// MF-RIS amplification budget P_o [dBm]
    #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
    ris_power_dbm: f64,
    /// Seed of the NLoS channel components (and the first initialisation)
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Best of N random initialisations
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    inits: u32,
    /// Channel seeds averaged in the compare and trends figures
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=100))]
    seeds: u32,
    /// Output directory
    #[arg(long, default_value = "out/mf_ris")]
    out: std::path::PathBuf,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Figure {
    /// One optimisation: convergence and beampatterns
    Single,
    /// ES, MS, TS and random coefficients over channel seeds (M6)
    Compare,
    /// Trends over M, total power, sensing elements and R_min (M8)
    Trends,
    /// AO seconds per iteration over M
    Speed,
    /// MF-RIS (ES) against active, passive and STAR-RIS at the same total power, over M
    Hardware,
    /// The proposed algorithm against the SDR baseline: objective and time
    Sdr,
}

fn positions(text: &Option<String>, default: &[DVec3], what: &str) -> Result<Vec<DVec3>> {
    match text {
        None => Ok(default.to_vec()),
        Some(t) => t.split(';').filter(|s| !s.trim().is_empty()).map(|s| common::parse_vec3(s, what)).collect(),
    }
}

fn parse_grid(s: &str) -> Result<[usize; 2]> {
    let parts: Vec<usize> = s.split('x').map(|p| p.trim().parse::<usize>()).collect::<Result<_, _>>().with_context(|| format!("--m: expected MxxMz, got '{s}'"))?;
    if parts.len() != 2 || parts.contains(&0) {
        bail!("--m: expected two positive counts MxxMz, got '{s}'");
    }
    Ok([parts[0], parts[1]])
}

fn db(x: f64) -> f64 {
    10.0 * x.log10()
}

fn setup_from(cli: &Cli) -> Result<MfRisSetup> {
    let d = MfRisSetup::default();
    let setup = MfRisSetup {
        ris_elements: parse_grid(&cli.m)?,
        protocol: cli.protocol,
        hardware: cli.hardware,
        users_r: positions(&cli.users_r, &d.users_r, "--users-r")?,
        users_t: positions(&cli.users_t, &d.users_t, "--users-t")?,
        targets_r: positions(&cli.targets_r, &d.targets_r, "--targets-r")?,
        targets_t: positions(&cli.targets_t, &d.targets_t, "--targets-t")?,
        kappa_db: cli.kappa_db,
        rate_min: cli.rmin,
        total_power_dbm: cli.power_dbm,
        ris_power_dbm: cli.ris_power_dbm,
        ..d
    };
    setup.validate()?;
    Ok(setup)
}

fn run(setup: &MfRisSetup, seed: u64, method: Method, inits: u32) -> Result<SystemResult> {
    let ch = MfRisChannels::generate(setup, seed)?;
    Ok(optimise_system(setup, &ch, method, &AoOptions { seed, ..Default::default() }, inits as usize)?)
}

/// Mean echo SINR in dB over seeds (the mean of the dB values, as the spec's prototype).
fn mean_db(setup: &MfRisSetup, seeds: u32, method: Method, inits: u32, bar: &indicatif::ProgressBar) -> Result<(f64, usize)> {
    let mut sum = 0.0;
    let mut feasible = 0;
    for seed in 0..seeds as u64 {
        let r = run(setup, seed, method, inits)?;
        if r.feasible {
            sum += db(r.objective);
            feasible += 1;
        }
        bar.inc(1);
    }
    Ok((if feasible > 0 { sum / feasible as f64 } else { f64::NAN }, feasible))
}

fn single(cli: &Cli, out: &Path) -> Result<serde_json::Value> {
    let setup = setup_from(cli)?;
    let progress = common::progress_bar(2, "optimising");
    let proposed = run(&setup, cli.seed, Method::Proposed, cli.inits)?;
    progress.inc(1);
    let random = run(&setup, cli.seed, Method::Random, cli.inits)?;
    progress.finish_and_clear();
    let mut infeasible = Vec::new();
    for (_, r) in &proposed.runs {
        if let rftwin::isac::mf_ris::AoStatus::Infeasible { reason, best_min_rate } = &r.status {
            eprintln!("infeasible: {reason}; best common rate {best_min_rate:.3} bit/s/Hz");
            infeasible.push(json!({"reason": reason, "best_common_rate": best_min_rate}));
        }
        if !r.rejected_steps.is_empty() {
            eprintln!("note: {} cone programs were not solved to full accuracy and their steps skipped: {:?}", r.rejected_steps.len(), r.rejected_steps);
        }
    }
    // Convergence: the first instance's objective after every sub-step.
    if let Some((_, r)) = proposed.runs.first().filter(|(_, r)| !r.trace.is_empty()) {
        let x: Vec<f64> = (0..r.trace.len()).map(|i| i as f64).collect();
        lines(&out.join("convergence.png"), "Algorithm 3: echo SINR after every sub-step", "sub-step", "γ_r + γ_t [dB]", &x, &[("proposed", r.trace.iter().map(|v| db(*v)).collect())], false)?;
    }
    // Beampatterns in the horizontal plane: P_s(φ) = ‖a_RIS(u)ᵀΘ_sGW̄‖².
    let off = ArrayOffsets::new(&setup);
    let k = 2.0 * std::f64::consts::PI / setup.wavelength();
    let az: Vec<f64> = (0..=360).map(|i| -180.0 + i as f64).collect();
    let mut series = Vec::new();
    for (p, r) in &proposed.runs {
        if r.design.u.is_empty() {
            continue;
        }
        let gw = &p.g * &r.design.w;
        let m = p.elements();
        for (s, name) in [(0, "reflection (y<0)"), (1, "refraction (y>0)")] {
            let v = r.design.v.rows(s * m, m);
            if v.norm() == 0.0 {
                continue;
            }
            // Each space's pattern only over its own half-space (y < 0 reflects, y > 0 refracts).
            let pattern = az.iter().map(|a| {
                if (s == 0) != (*a <= 0.0) {
                    return f64::NAN;
                }
                let u = DVec3::new(a.to_radians().cos(), a.to_radians().sin(), 0.0);
                let row = steering(&off.ris, u, k).component_mul(&v);
                db((row.transpose() * &gw).norm_squared().max(1e-30))
            });
            series.push((name, pattern.collect::<Vec<_>>()));
        }
    }
    let peak = series.iter().flat_map(|(_, s)| s.iter().copied()).filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    let series: Vec<(&str, Vec<f64>)> = series.into_iter().map(|(n, s)| (n, s.into_iter().map(|v| if v.is_finite() { (v - peak).max(-50.0) } else { f64::NAN }).collect())).collect();
    let target_az: Vec<String> = setup.targets_r.iter().chain(&setup.targets_t).map(|t| format!("{:.0}°", t.y.atan2(t.x).to_degrees())).collect();
    lines(&out.join("beampattern.png"), &format!("MF-RIS beampattern in the horizontal plane (targets at {})", target_az.join(", ")), "azimuth from +x [deg]", "relative power [dB]", &az, &series, false)?;
    let users_min = proposed.user_sinrs.iter().copied().fold(f64::INFINITY, f64::min);
    let qos_met = proposed.feasible && proposed.user_sinrs.iter().all(|g| *g >= (2f64.powf(setup.rate_min) - 1.0) * (1.0 - 1e-4));
    Ok(json!({
        "figure": "single",
        "protocol": format!("{:?}", setup.protocol).to_lowercase(),
        "m": setup.element_count(),
        "echo_sinr_db": db(proposed.objective),
        "echo_sinr_r_db": db(proposed.echo_sinr[0]),
        "echo_sinr_t_db": db(proposed.echo_sinr[1]),
        "random_echo_sinr_db": db(random.objective),
        "user_sinr_min_db": db(users_min),
        "qos_met": qos_met,
        "iterations": proposed.iterations,
        "seconds_per_iteration": proposed.seconds_per_iteration,
        "status": if proposed.feasible { "solved" } else { "infeasible" },
        "hardware": format!("{:?}", setup.hardware),
        "infeasible": infeasible,
    }))
}

fn compare(cli: &Cli, out: &Path) -> Result<serde_json::Value> {
    let base = setup_from(cli)?;
    let progress = common::progress_bar(4 * cli.seeds as u64, "compare");
    let mut rows = Vec::new();
    for (name, protocol, method) in [("es", Protocol::Es, Method::Proposed), ("ms", Protocol::Ms, Method::Proposed), ("ts", Protocol::Ts, Method::Proposed), ("random", Protocol::Es, Method::Random)] {
        progress.set_message(name);
        let (mean, feasible) = mean_db(&MfRisSetup { protocol, ..base.clone() }, cli.seeds, method, cli.inits, &progress)?;
        rows.push((name, mean, feasible));
    }
    progress.finish_and_clear();
    let x: Vec<f64> = (0..rows.len()).map(|i| i as f64).collect();
    lines(&out.join("compare.png"), "mean echo SINR: 0 ES, 1 MS, 2 TS, 3 random", "scheme", "γ_r + γ_t [dB]", &x, &[("mean over seeds", rows.iter().map(|r| r.1).collect())], false)?;
    let get = |n: &str| rows.iter().find(|r| r.0 == n).map(|r| r.1).unwrap_or(f64::NAN);
    Ok(json!({
        "figure": "compare", "seeds": cli.seeds,
        "es_db": get("es"), "ms_db": get("ms"), "ts_db": get("ts"), "random_db": get("random"),
        "es_minus_ms_db": get("es") - get("ms"), "es_minus_random_db": get("es") - get("random"),
        "feasible_seeds": rows.iter().map(|r| (r.0, r.2)).collect::<std::collections::BTreeMap<_, _>>(),
    }))
}

fn trends(cli: &Cli, out: &Path) -> Result<serde_json::Value> {
    let base = setup_from(cli)?;
    let ms = [[2, 4], [4, 4], [4, 8], [8, 8]];
    let powers = [25.0, 30.0, 35.0];
    let sensors = [[1, 1], [2, 2], [4, 4], [8, 8]];
    let rates = [0.25, 0.5, 0.75];
    let total = (ms.len() + powers.len() + sensors.len() + rates.len()) as u64 * cli.seeds as u64;
    let progress = common::progress_bar(total, "trends");
    let sweep = |label: &str, setups: Vec<(f64, MfRisSetup)>, x_desc: &str, file: &str| -> Result<Vec<(f64, f64)>> {
        progress.set_message(label.to_string());
        let mut pts = Vec::new();
        for (x, s) in setups {
            pts.push((x, mean_db(&s, cli.seeds, Method::Proposed, cli.inits, &progress)?.0));
        }
        let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
        lines(&out.join(file), &format!("mean echo SINR vs {label}"), x_desc, "γ_r + γ_t [dB]", &xs, &[("proposed (ES)", pts.iter().map(|p| p.1).collect())], false)?;
        Ok(pts)
    };
    let m = sweep("M", ms.iter().map(|&e| ((e[0] * e[1]) as f64, MfRisSetup { ris_elements: e, ..base.clone() })).collect(), "M (elements)", "trend_m.png")?;
    let p = sweep("total power", powers.iter().map(|&pw| (pw, MfRisSetup { total_power_dbm: pw, ..base.clone() })).collect(), "P [dBm]", "trend_power.png")?;
    let s = sweep("sensing elements", sensors.iter().map(|&e| ((e[0] + e[1]) as f64, MfRisSetup { sensing_elements: e, ..base.clone() })).collect(), "M_s per side", "trend_sensors.png")?;
    let r = sweep("R_min", rates.iter().map(|&rm| (rm, MfRisSetup { rate_min: rm, ..base.clone() })).collect(), "R_min [bit/s/Hz]", "trend_rmin.png")?;
    progress.finish_and_clear();
    let as_json = |v: &[(f64, f64)]| v.iter().map(|(x, y)| json!([x, y])).collect::<Vec<_>>();
    let min_step = m.windows(2).map(|w| w[1].1 - w[0].1).fold(f64::INFINITY, f64::min);
    Ok(json!({
        "figure": "trends", "seeds": cli.seeds,
        "m_db": as_json(&m), "power_db": as_json(&p), "sensors_db": as_json(&s), "rmin_db": as_json(&r),
        "min_gain_per_doubling_m_db": min_step,
    }))
}

fn speed(cli: &Cli, out: &Path) -> Result<serde_json::Value> {
    let base = setup_from(cli)?;
    let grids = [[2, 2], [4, 4], [4, 8], [8, 8]];
    let progress = common::progress_bar(grids.len() as u64, "speed");
    let mut rows = Vec::new();
    for g in grids {
        let s = MfRisSetup { ris_elements: g, ..base.clone() };
        let t = std::time::Instant::now();
        let r = run(&s, cli.seed, Method::Proposed, 1)?;
        rows.push(((g[0] * g[1]) as f64, r.seconds_per_iteration, r.iterations, t.elapsed().as_secs_f64(), db(r.objective)));
        progress.inc(1);
    }
    progress.finish_and_clear();
    let x: Vec<f64> = rows.iter().map(|r| r.0).collect();
    lines(&out.join("speed.png"), "Algorithm 3: seconds per outer iteration", "M", "seconds", &x, &[("proposed", rows.iter().map(|r| r.1).collect())], true)?;
    Ok(json!({
        "figure": "speed",
        "rows": rows.iter().map(|r| json!({"m": r.0, "seconds_per_iteration": r.1, "iterations": r.2, "seconds": r.3, "echo_sinr_db": r.4})).collect::<Vec<_>>(),
    }))
}

fn hardware(cli: &Cli, out: &Path) -> Result<serde_json::Value> {
    let base = setup_from(cli)?;
    let grids = [[2, 4], [4, 4], [4, 8], [8, 8]];
    let kinds = [("mf-ris", Hardware::MfRis), ("active", Hardware::ActiveRis), ("passive", Hardware::PassiveRis), ("star", Hardware::StarRis)];
    let progress = common::progress_bar((grids.len() * kinds.len()) as u64 * cli.seeds as u64, "hardware");
    let mut series: Vec<(&str, Vec<f64>)> = Vec::new();
    for (name, hw) in kinds {
        progress.set_message(name);
        let mut ys = Vec::new();
        for g in grids {
            ys.push(mean_db(&MfRisSetup { hardware: hw, ris_elements: g, protocol: Protocol::Es, ..base.clone() }, cli.seeds, Method::Proposed, cli.inits, &progress)?.0);
        }
        series.push((name, ys));
    }
    progress.finish_and_clear();
    let x: Vec<f64> = grids.iter().map(|g| (g[0] * g[1]) as f64).collect();
    lines(&out.join("hardware.png"), "echo SINR at the same total power", "M (elements)", "γ_r + γ_t [dB]", &x, &series, false)?;
    Ok(json!({"figure": "hardware", "seeds": cli.seeds, "m": x, "echo_sinr_db": series.iter().map(|(n, v)| (n.to_string(), json!(v))).collect::<serde_json::Map<_, _>>()}))
}

fn sdr(cli: &Cli, out: &Path) -> Result<serde_json::Value> {
    let base = setup_from(cli)?;
    let mut rows = Vec::new();
    // M = 25 runs one SDR iteration only: the coefficient relaxation's two PSD blocks of
    // order 2(M + 1) make its dense KKT system grow as M⁴ (at M = 36 one iteration did not
    // finish in 15 minutes on 2 cores).
    for (grid, outer) in [([2usize, 2], 10), ([3, 3], 10), ([4, 4], 10), ([5, 5], 1)] {
        let s = MfRisSetup { ris_elements: grid, ..base.clone() };
        let ch = MfRisChannels::generate(&s, cli.seed)?;
        let t = std::time::Instant::now();
        let a = optimise_system(&s, &ch, Method::Proposed, &AoOptions { seed: cli.seed, ..Default::default() }, 1)?;
        let ta = t.elapsed().as_secs_f64();
        eprintln!("M = {}: proposed {:.2} dB in {ta:.2} s; running SDR ({outer} outer iterations at most)…", grid[0] * grid[1], db(a.objective));
        let t = std::time::Instant::now();
        let b = optimise_system(&s, &ch, Method::Sdr(100), &AoOptions { seed: cli.seed, outer, inner: 1, ..Default::default() }, 1)?;
        let tb = t.elapsed().as_secs_f64();
        rows.push(json!({"m": grid[0] * grid[1], "proposed_db": db(a.objective), "proposed_seconds": ta, "proposed_seconds_per_iteration": a.seconds_per_iteration, "proposed_iterations": a.iterations,
            "sdr_db": db(b.objective), "sdr_seconds": tb, "sdr_seconds_per_iteration": b.seconds_per_iteration, "sdr_iterations": b.iterations}));
    }
    let x: Vec<f64> = rows.iter().map(|r| r["m"].as_f64().unwrap_or(0.0)).collect();
    let col = |k: &str| rows.iter().map(|r| r[k].as_f64().unwrap_or(f64::NAN)).collect::<Vec<_>>();
    lines(&out.join("sdr_time.png"), "seconds per outer iteration", "M", "seconds", &x, &[("proposed (SOCP)", col("proposed_seconds_per_iteration")), ("SDR", col("sdr_seconds_per_iteration"))], true)?;
    Ok(json!({"figure": "sdr", "rows": rows}))
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let out = common::prepare_output(&cli.out, false)?;
    let summary = match cli.figure {
        Figure::Single => single(&cli, &out)?,
        Figure::Compare => compare(&cli, &out)?,
        Figure::Trends => trends(&cli, &out)?,
        Figure::Speed => speed(&cli, &out)?,
        Figure::Hardware => hardware(&cli, &out)?,
        Figure::Sdr => sdr(&cli, &out)?,
    };
    std::fs::write(out.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;
    println!("summary: {summary}");
    Ok(())
}
