//! IRS-empowered ISAC building blocks (paper 003, spec `irs_isac_architectures.md`): one
//! figure per architecture A–G with the number its test checks.
//!
//! ```text
//! cargo run --release --example irs_isac
//! cargo run --release --example irs_isac -- --trials 1000 --seed 3
//! ```
//!
//! Writes `a_virtual_los.png` … `g_vehicular.png` and `summary.json` to `--out` (default
//! `out/irs_isac`) and ends with one `summary: {json}` line.

mod common;

use anyhow::{Context, Result};
use clap::Parser;
use glam::DVec3;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use rftwin::inverse::plot::lines;
use rftwin::isac::irs_isac::{beam_scan, channel_control, coding, db, hybrid, target_irs::TargetIrs, ula_steering, vehicular, virtual_los};
use rftwin::Complex;
use serde_json::json;
use std::path::Path;

/// IRS-ISAC building blocks A–G (paper 003).
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Monte-Carlo trials per point (beam scanning)
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(10..=100_000))]
    trials: u32,
    /// Seed
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory
    #[arg(long, default_value = "out/irs_isac")]
    out: std::path::PathBuf,
}

fn phases(rng: &mut Pcg64, n: usize) -> DVector<Complex> {
    DVector::from_fn(n, |_, _| Complex::from_polar(1.0, rng.gen::<f64>() * std::f64::consts::TAU))
}

fn block_a(out: &Path, rng: &mut Pcg64) -> Result<serde_json::Value> {
    let (m, n) = (32, 8);
    let rank_one = ula_steering(m, 0.5, 0.3) * ula_steering(n, 0.5, -0.2).transpose();
    let two_path = &rank_one + ula_steering(m, 0.5, -0.6) * ula_steering(n, 0.5, 0.5).transpose() * Complex::new(0.7, 0.2);
    let (alpha, theta) = (Complex::new(1.0, 0.5), 20f64.to_radians());
    let (v1, v2) = (phases(rng, m), phases(rng, m));
    let cond = |g: &DMatrix<Complex>, v: &[DVector<Complex>]| virtual_los::conditioning(&virtual_los::fisher_information(g, v, alpha, theta, 1.0));
    let ms: Vec<f64> = [8, 16, 32, 64, 128].iter().map(|&m| m as f64).collect();
    let (mut aligned, mut random) = (Vec::new(), Vec::new());
    for &mf in &ms {
        let m = mf as usize;
        let (g, a) = (phases(rng, m), phases(rng, m));
        aligned.push(db(virtual_los::echo_power(&g, &a, &virtual_los::aligned_phases(&g, &a), Complex::new(1.0, 0.0))));
        random.push(db((0..2000).map(|_| virtual_los::echo_power(&g, &a, &phases(rng, m), Complex::new(1.0, 0.0))).sum::<f64>() / 2000.0));
    }
    lines(&out.join("a_virtual_los.png"), "A: four-hop echo power over the IRS", "IRS elements M", "echo power [dB]", &ms, &[("aligned phases (M⁴)", aligned.clone()), ("random phases (2M² − M)", random)], false)?;
    Ok(json!({"fisher_conditioning_rank_one": cond(&rank_one, std::slice::from_ref(&v1)), "two_configurations": cond(&rank_one, &[v1.clone(), v2]), "two_path": cond(&two_path, &[v1]), "db_per_doubling": aligned[3] - aligned[2]}))
}

fn block_b(out: &Path, rng: &mut Pcg64, trials: usize) -> Result<serde_json::Value> {
    let snrs: Vec<f64> = (0..=8).map(|i| 5.0 * i as f64).collect();
    let ex: Vec<f64> = snrs.iter().map(|&s| beam_scan::success_rate(64, 0.25, s, trials, rng, beam_scan::exhaustive_scan).0).collect();
    let hi: Vec<f64> = snrs.iter().map(|&s| beam_scan::success_rate(64, 0.25, s, trials, rng, beam_scan::hierarchical_scan).0).collect();
    lines(&out.join("b_beam_scan.png"), "B: IRS-anchor beam scanning, M = 64, d = λ/4", "SNR at alignment [dB]", "P(within one step)", &snrs, &[("exhaustive (64 measurements)", ex.clone()), ("hierarchical (12 measurements)", hi.clone())], false)?;
    Ok(json!({"exhaustive_10db": ex[2], "exhaustive_20db": ex[4], "hierarchical_20db": hi[4], "hierarchical_30db": hi[6]}))
}

fn block_c(out: &Path) -> Result<serde_json::Value> {
    let irs = TargetIrs::planar(8, 8, 0.05, 0.1, 0.01);
    let dir = |deg: f64| DVec3::new(deg.to_radians().cos(), deg.to_radians().sin(), 0.0);
    let u_l = dir(20.0);
    let secure = irs.secure(u_l, dir(-35.0), 1e3, 200);
    let focus = irs.focus(u_l);
    let az: Vec<f64> = (-90..=90).map(|a| a as f64).collect();
    let pattern = |v: &DVector<Complex>| az.iter().map(|a| db(irs.echo(v, u_l, dir(*a)).norm_sqr() / 0.01)).collect::<Vec<_>>();
    lines(&out.join("c_target_irs.png"), "C: echo of an 8×8 target-mounted IRS lit from 20°", "receiver azimuth [deg]", "RCS over the bare body [dB]", &az, &[("focused on the radar", pattern(&focus)), ("secure (eavesdropper at −35°)", pattern(&secure))], false)?;
    Ok(json!({"legitimate_db": db(irs.echo(&secure, u_l, u_l).norm_sqr() / 0.01), "eavesdropper_db": db(irs.echo(&secure, u_l, dir(-35.0)).norm_sqr() / 0.01), "eavesdropper_focus_only_db": db(irs.echo(&focus, u_l, dir(-35.0)).norm_sqr() / 0.01)}))
}

fn block_d(out: &Path) -> Result<serde_json::Value> {
    let beta = hybrid::path_gain(-30.0, 45.0, 2.2);
    let ms: Vec<f64> = (2..=9).map(|p| 2f64.powi(p)).collect();
    let link = |m: f64| hybrid::HybridLink { power: 1.0, bs_antennas: 8.0, elements: m, sensors: 8.0, bs_irs_gain: beta, target_gain: 1e-6, sensor_noise: 1e-12, bs_noise: 1e-12, amplifier_noise: 1e-12 };
    let adv: Vec<f64> = ms.iter().map(|&m| db(link(m).sensor_snr() / link(m).bs_snr())).collect();
    lines(&out.join("d_hybrid.png"), "D: sensor link over the four-hop BS link", "IRS elements M", "SNR_S / SNR_B [dB]", &ms, &[("N = 8, M_s = 8, d = 45 m", adv.clone())], false)?;
    Ok(json!({"sensor_advantage_db_m16": adv[2], "m64": adv[4], "m256": adv[6]}))
}

fn block_e(out: &Path, rng: &mut Pcg64) -> Result<serde_json::Value> {
    let (m, t) = (32, 32);
    let g = ula_steering(m, 0.5, 50f64.to_radians().sin());
    let grid: Vec<f64> = (0..381).map(|i| -0.95 + 0.005 * i as f64).collect();
    let codes = DMatrix::from_fn(t, m, |_, _| Complex::from_polar(1.0, rng.gen::<f64>() * std::f64::consts::TAU));
    let same = DMatrix::from_fn(t, m, |_, i| codes[(0, i)]);
    let observe = |c: &DMatrix<Complex>, rng: &mut Pcg64| {
        let mut y = coding::code_column(c, &g, (-20f64).to_radians().sin()) + coding::code_column(c, &g, 25f64.to_radians().sin()) * Complex::from_polar(0.8, 1.0);
        y += DVector::from_fn(t, |_, _| Complex::new(rng.gen::<f64>() - 0.5, rng.gen::<f64>() - 0.5) * (0.01 * 6f64.sqrt()));
        y
    };
    let y = observe(&codes, rng);
    let y_same = observe(&same, rng);
    let spectrum = |c: &DMatrix<Complex>, y: &DVector<Complex>| {
        let v: Vec<f64> = grid.iter().map(|&s| { let col = coding::code_column(c, &g, s); col.dotc(y).norm() / col.norm() }).collect();
        let top = v.iter().fold(0.0f64, |a, b| a.max(*b));
        v.into_iter().map(|x| x / top).collect::<Vec<_>>()
    };
    let deg: Vec<f64> = grid.iter().map(|s| s.asin().to_degrees()).collect();
    lines(&out.join("e_coding.png"), "E: matched-filter spectrum, targets at −20° and 25°", "direction [deg]", "normalised correlation", &deg, &[("32 random codes", spectrum(&codes, &y)), ("one configuration repeated", spectrum(&same, &y_same))], false)?;
    let found: Vec<f64> = coding::locate_targets(&codes, &g, &y, &grid, 2)?.iter().map(|(s, _)| s.asin().to_degrees()).collect();
    let refused = coding::locate_targets(&same, &g, &y_same, &grid, 2).err().map(|e| e.to_string());
    let c = DMatrix::from_columns(&[-20f64, 25.0].iter().map(|a| coding::code_column(&codes, &g, a.to_radians().sin())).collect::<Vec<_>>());
    Ok(json!({"found_deg": found, "condition_number": coding::condition_number(&c), "max_coherence": coding::max_coherence(&c), "identical_configurations": refused}))
}

fn block_f(out: &Path) -> Result<serde_json::Value> {
    let n = 4;
    let hc = DMatrix::from_fn(2, n, |k, j| Complex::from_polar(1.0, 0.4 * (j * (k + 1)) as f64));
    let snrs: Vec<f64> = (0..=6).map(|i| -10.0 + 10.0 * i as f64).collect();
    let min = |v: Vec<f64>| db(v.into_iter().fold(f64::INFINITY, f64::min));
    let half = Complex::new(0.5f64.sqrt(), 0.0);
    let mut rows = [Vec::new(), Vec::new(), Vec::new()];
    for &s in &snrs {
        let noise = 10f64.powf(-s / 10.0);
        rows[0].push(min(channel_control::sinrs(&hc, &(channel_control::mrt(&hc) * half), noise)));
        let zf = channel_control::zf(&hc).context("the correlated channel should have full rank")?;
        rows[1].push(min(channel_control::sinrs(&hc, &(zf * half), noise)));
        rows[2].push(db(channel_control::max_min_beamformer(&hc, 1.0, noise)?.1));
    }
    lines(&out.join("f_channel_control.png"), "F: correlated users: min SINR of MRT, ZF and the max–min optimum", "P/σ² [dB]", "min SINR [dB]", &snrs, &[("MRT", rows[0].clone()), ("ZF", rows[1].clone()), ("max–min (SOCP)", rows[2].clone())], false)?;
    Ok(json!({"min_sinr_db_at_50db": {"mrt": rows[0][6], "zf": rows[1][6], "max_min": rows[2][6]}}))
}

fn block_g(out: &Path) -> Result<serde_json::Value> {
    let model = vehicular::VehicularModel::default();
    let gammas: Vec<f64> = (0..=40).map(|i| i as f64 * 0.25).collect();
    let series: Vec<(&str, Vec<f64>)> = vehicular::Scheme::ALL.iter().map(|(name, s)| (*name, gammas.iter().map(|g| model.best_rate(*s, 10f64.powf(g / 10.0)).unwrap_or(f64::NAN)).collect())).collect();
    lines(&out.join("g_vehicular.png"), "G: rate vs sensing requirement, IRS-equipped vehicles", "required sensing SNR Γ [dB]", "R* [bit/s/Hz]", &gammas, &series, false)?;
    let at = |i: usize, g: f64| model.best_rate(vehicular::Scheme::ALL[i].1, 10f64.powf(g / 10.0));
    Ok(json!({"rate_at_5db": {"proposed": at(0, 5.0), "without_s": at(1, 5.0), "without_c": at(2, 5.0), "without_sc": at(3, 5.0)}, "sensing_db_at_7_bits": {"proposed": model.best_sensing(vehicular::Scheme::ALL[0].1, 7.0).map(db), "without_c": model.best_sensing(vehicular::Scheme::ALL[2].1, 7.0).map(db)}}))
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let out = common::prepare_output(&cli.out, false)?;
    let mut rng = Pcg64::seed_from_u64(cli.seed);
    let bar = common::progress_bar(7, "blocks");
    let mut summary = serde_json::Map::new();
    summary.insert("a_virtual_los".into(), block_a(&out, &mut rng)?);
    bar.inc(1);
    summary.insert("b_beam_scan".into(), block_b(&out, &mut rng, cli.trials as usize)?);
    bar.inc(1);
    summary.insert("c_target_irs".into(), block_c(&out)?);
    bar.inc(1);
    summary.insert("d_hybrid".into(), block_d(&out)?);
    bar.inc(1);
    summary.insert("e_coding".into(), block_e(&out, &mut rng)?);
    bar.inc(1);
    summary.insert("f_channel_control".into(), block_f(&out)?);
    bar.inc(1);
    summary.insert("g_vehicular".into(), block_g(&out)?);
    bar.finish_and_clear();
    let summary = serde_json::Value::Object(summary);
    std::fs::write(out.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;
    println!("summary: {summary}");
    Ok(())
}
