//! FT wavenumber-domain 3-D imaging through a RIS (paper 001, spec
//! `ft_wavenumber_imaging.md`): point targets seen by a UE, the RIS and one AP antenna,
//! imaged by the subimage accumulation (Algorithm 1), ISTA on the explicit sensing matrix
//! (Algorithm 2) or the integrated FT–CS imager (Algorithm 3). Lengths are in centre
//! wavelengths.
//!
//! ```text
//! cargo run --release --example ft_imaging                       # nine points, SAA
//! cargo run --release --example ft_imaging -- --bits 1           # 1-bit RIS phases
//! cargo run --release --example ft_imaging -- --pilots 0.0625    # DFT pseudo-inverse
//! cargo run --release --example ft_imaging -- --ris 64x64 --blocks 4x4 --algorithm ftcs
//! cargo run --release --example ft_imaging -- --points E --ris 64x64 --blocks 4x4 --algorithm ftcs
//! cargo run --release --example ft_imaging -- --points "0,0,0" --slices=-12:0.05:12 --oversampling 4
//! cargo run --release --example ft_imaging -- --figure resolution   # T3 grid vs the limits
//! cargo run --release --example ft_imaging -- --figure cost         # T8: Algorithms 1–3
//! cargo run --release --example ft_imaging -- --figure mesh         # a ray-traced letter "A"
//! ```
//!
//! Writes PNGs (cross-range and range maximum projections) and `summary.json` to `--out`
//! (default `out/ft_imaging`) and ends with one `summary: {json}` line.

mod common;

use anyhow::{bail, Context, Result};
use clap::Parser;
use glam::DVec3;
use rftwin::isac::codebook::Codebook;
use rftwin::isac::ft::ecr::{EcrRecovery, Recovery};
use rftwin::isac::ft::ftcs::{FtCs, StepRule};
use rftwin::isac::ft::ista::{ista, sensing_matrix_bytes, stack, SensingMatrix};
use rftwin::isac::ft::limits::{Nyquist, ResolutionLimits};
use rftwin::isac::ft::measurement::measure;
use rftwin::isac::ft::saa::{SaaGrid, SaaImager};
use rftwin::isac::ft::sparse::SparseOptions;
use rftwin::isac::ft::{FtSetup, PointTarget};
use rftwin::isac::metrics::{detect, nmse, normalized_magnitude, null_distance};
use rftwin::Complex;
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// FT wavenumber-domain 3-D imaging through a RIS (paper 001): point targets imaged by
/// subimage accumulation (SAA), ISTA or the integrated FT–CS imager; figures for the
/// resolution limits, the cost of Algorithms 1–3 and a ray-traced mesh target.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Which figure
    #[arg(long, value_enum, default_value_t = Figure::Image)]
    figure: Figure,
    /// Targets "x,y,z;x,y,z;…" in wavelengths, or `E` (a letter of 27 points) (default: nine points)
    #[arg(long, allow_hyphen_values = true)]
    points: Option<String>,
    /// RIS elements MyxMz
    #[arg(long, default_value = "32x32")]
    ris: String,
    /// Phase bits: 0 (continuous), 1 or 2
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=2))]
    bits: u32,
    /// Fraction of the pilots (DFT rows) sent
    #[arg(long, default_value_t = 1.0)]
    pilots: f64,
    /// Block-controlled RIS with QyxQz blocks
    #[arg(long)]
    blocks: Option<String>,
    /// Imaging algorithm
    #[arg(long, value_enum, default_value_t = Algorithm::Saa)]
    algorithm: Algorithm,
    /// ISTA / FT–CS iterations
    #[arg(long, default_value_t = 50)]
    iterations: usize,
    /// Coefficients kept by ISTA / FT–CS (default: twice the number of points)
    #[arg(long)]
    sparsity: Option<usize>,
    /// Noise variance
    #[arg(long, default_value_t = 0.01)]
    noise: f64,
    /// Seed of the noise
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Spatial oversampling of the SAA (default: 2, or the block size)
    #[arg(long)]
    oversampling: Option<usize>,
    /// Range slices a:step:b in wavelengths (default: the points' range ± 3 in steps of 0.25)
    #[arg(long, allow_hyphen_values = true)]
    slices: Option<String>,
    /// Memory budget of ISTA's explicit sensing matrix [GB]
    #[arg(long, default_value_t = 4.0)]
    memory_gb: f64,
    /// Surface samples of the mesh figure
    #[arg(long, default_value_t = 200_000)]
    samples: usize,
    /// Output directory
    #[arg(long, default_value = "out/ft_imaging")]
    out: std::path::PathBuf,
    /// Empty the output directory first
    #[arg(long)]
    fresh: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Figure {
    Image,
    Resolution,
    Cost,
    Mesh,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Algorithm {
    Saa,
    Ista,
    Ftcs,
}

/// The cross-range half-width of the imaged box \[λ\].
const ROI_HALF: f64 = 8.0;

fn main() -> Result<()> {
    let cli = Cli::parse();
    let out = common::prepare_output(&cli.out, cli.fresh)?;
    let summary = match cli.figure {
        Figure::Image => image(&cli, &out)?,
        Figure::Resolution => resolution(&out)?,
        Figure::Cost => cost(&out)?,
        Figure::Mesh => mesh(&cli, &out)?,
    };
    common::write_json(&out.join("summary.json"), &summary)?;
    println!("summary: {summary}");
    Ok(())
}

fn parse_pair(s: &str, what: &str) -> Result<[usize; 2]> {
    let parts: Vec<usize> = s.split('x').map(|p| p.trim().parse::<usize>()).collect::<Result<_, _>>().with_context(|| format!("--{what} {s}: expected AxB"))?;
    match parts.as_slice() {
        [a, b] if *a > 0 && *b > 0 => Ok([*a, *b]),
        _ => bail!("--{what} {s}: expected two positive integers AxB"),
    }
}

fn parse_points(s: &str) -> Result<Vec<PointTarget>> {
    s.split(';').filter(|p| !p.trim().is_empty()).map(|p| Ok(PointTarget { position: common::parse_vec3(p, "--points")?, amplitude: 1.0 })).collect()
}

fn parse_slices(s: &str) -> Result<Vec<f64>> {
    let parts: Vec<f64> = s.split(':').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().with_context(|| format!("--slices {s}: expected a:step:b or one x"))?;
    match parts.as_slice() {
        [x] => Ok(vec![*x]),
        [a, step, b] if *step > 0.0 && b >= a && ((b - a) / step) < 1e5 => Ok((0..=((b - a) / step + 1e-9) as usize).map(|j| a + step * j as f64).collect()),
        _ => bail!("--slices {s}: expected a:step:b with step > 0, b ≥ a and at most 1e5 slices"),
    }
}

/// The letter "E" as 27 unit points 1.5 λ apart in the plane x = 0: a bar at y = −4.5
/// from z = −6 to 6 and three arms to y = 4.5 at z = 6, 0, −6.
fn letter_e() -> Vec<PointTarget> {
    let bar = (-4..=4).map(|z| DVec3::new(0.0, -4.5, 1.5 * z as f64));
    let arms = [6.0, 0.0, -6.0].into_iter().flat_map(|z| (-2..=3).map(move |y| DVec3::new(0.0, 1.5 * y as f64, z)));
    bar.chain(arms).map(|position| PointTarget { position, amplitude: 1.0 }).collect()
}

fn nine_points() -> Vec<PointTarget> {
    let c = [-4.0, 0.0, 4.0];
    c.iter().flat_map(|&y| c.iter().map(move |&z| PointTarget { position: DVec3::new(0.0, y, z), amplitude: 1.0 })).collect()
}

/// One imaging run with the flags' configuration.
fn image(args: &Cli, out: &Path) -> Result<serde_json::Value> {
    let mut setup = FtSetup::default();
    setup.ris.elements = parse_pair(&args.ris, "ris")?;
    let targets = match args.points.as_deref() {
        Some("E") => letter_e(),
        Some(p) => parse_points(p)?,
        None => nine_points(),
    };
    if targets.is_empty() {
        bail!("--points: no point given");
    }
    let blocks = args.blocks.as_deref().map(|b| parse_pair(b, "blocks")).transpose()?;
    let bits = args.bits;
    let pilots_fraction = args.pilots;
    if !(pilots_fraction > 0.0 && pilots_fraction <= 1.0) {
        bail!("--pilots {pilots_fraction}: a fraction in (0, 1]");
    }
    let m = setup.ris.count();
    let mut codebook = match blocks {
        Some(q) => Codebook::block(&setup.ris, q, setup.ap[0], setup.band.centre_wavenumber())?,
        None => Codebook::dft(&setup.ris, ((pilots_fraction * m as f64).round() as usize).max(1))?,
    };
    match bits {
        0 => {}
        1 | 2 => codebook = codebook.quantized(bits)?,
        other => bail!("--bits {other}: 0 (continuous), 1 or 2"),
    }
    let xs: Vec<f64> = targets.iter().map(|t| t.position.x).collect();
    let (x_lo, x_hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let slices = match args.slices.as_deref() {
        Some(s) => parse_slices(s)?,
        None if x_hi - x_lo < 1e-12 => vec![x_lo],
        None => parse_slices(&format!("{}:0.25:{}", x_lo - 3.0, x_hi + 3.0))?,
    };
    for t in &targets {
        let p = t.position;
        if p.y.abs() > ROI_HALF || p.z.abs() > ROI_HALF || p.x < slices[0] - 1e-9 || p.x > slices[slices.len() - 1] + 1e-9 {
            bail!("--points: {p:?} is outside the ROI (|y|, |z| ≤ {ROI_HALF}, x in the slices [{}, {}])", slices[0], slices[slices.len() - 1]);
        }
    }
    let oversampling = args.oversampling.unwrap_or_else(|| blocks.map_or(2, |q| q[0].max(q[1])));
    let (noise, seed) = (args.noise, args.seed);
    let algorithm = format!("{:?}", args.algorithm).to_lowercase();
    let options = SparseOptions { sparsity: args.sparsity.unwrap_or(2 * targets.len()), iterations: args.iterations, ..Default::default() };

    let started = Instant::now();
    let meas = measure(&setup, &codebook, &targets, noise, seed)?;
    let recovery = EcrRecovery::new(&setup, &codebook, Recovery::Fast)?;
    let grid = SaaGrid { slices, cross_range: [[-ROI_HALF, ROI_HALF]; 2], oversampling, ..Default::default() };
    let imager = SaaImager::new(recovery.aperture(), setup.ue, &setup.band.wavenumbers(), &grid)?;
    let nyquist = Nyquist::new(recovery.aperture(), &setup.band, [x_hi - x_lo, 2.0 * ROI_HALF, 2.0 * ROI_HALF])?;
    if let Err(e) = nyquist.check() {
        eprintln!("warning: {e}");
    }
    println!(
        "{} RIS {}×{}, {} pilots of {} ({}), {} subcarriers, {} points, σ_n² = {noise}, {} voxels ({:?}), algorithm {algorithm}",
        if blocks.is_some() { "block-controlled" } else { "element-level" },
        setup.ris.elements[0],
        setup.ris.elements[1],
        codebook.pilots,
        m,
        if bits == 0 { "continuous phases".to_string() } else { format!("{bits}-bit phases") },
        setup.band.subcarriers,
        targets.len(),
        imager.voxel_count(),
        imager.dims()
    );
    let (img, peak_bytes, iterations) = match algorithm.as_str() {
        "saa" => (imager.image(&recovery.recover_all(&meas)?)?, imager.largest_buffer_bytes(), 1),
        "ista" => {
            let budget = (args.memory_gb * 1e9) as u128;
            let a = SensingMatrix::new(&setup, &codebook, &imager.voxel_positions(), budget)?;
            let r = ista(&a, &stack(&meas), &options, 0.9)?;
            (r.image, r.largest_allocation_bytes, r.iterations)
        }
        "ftcs" => {
            let ftcs = FtCs::new(imager.clone(), recovery, setup.ap.len())?;
            let r = ftcs.reconstruct(&meas.h, &options, StepRule::LineSearch)?;
            (r.image, r.largest_allocation_bytes, r.iterations)
        }
        other => bail!("--algorithm {other}: saa, ista or ftcs"),
    };
    let seconds = started.elapsed().as_secs_f64();
    let norm = normalized_magnitude(&img);
    let truth_voxels: Vec<[usize; 3]> = targets
        .iter()
        .map(|t| imager.nearest_voxel(t.position).with_context(|| format!("{:?} has no voxel in the image", t.position)))
        .collect::<Result<_>>()?;
    let dims = imager.dims();
    let mut truth = vec![0.0; norm.len()];
    for v in &truth_voxels {
        truth[(v[0] * dims[1] + v[1]) * dims[2] + v[2]] = 1.0;
    }
    let detection = detect(&norm, dims, &truth_voxels, 0.3)?;
    let error = nmse(&norm, &truth)?;
    let axes = imager.axes();
    let [nx, ny, nz] = dims;
    let cross: Vec<f64> = (0..ny * nz).map(|j| (0..nx).map(|ix| norm[ix * ny * nz + j]).fold(0.0, f64::max)).collect();
    plot_map(&out.join("cross_range.png"), "max over range: z (up) × y (right) [λ]", &transpose(&cross, ny, nz), nz, ny, [axes[2][0], axes[2][nz - 1]], [axes[1][0], axes[1][ny - 1]])?;
    if nx > 1 {
        let range: Vec<f64> = (0..nx * ny).map(|j| (0..nz).map(|iz| norm[j * nz + iz]).fold(0.0, f64::max)).collect();
        plot_map(&out.join("range.png"), "max over z: y (up) × range x (right) [λ]", &transpose(&range, nx, ny), ny, nx, [axes[1][0], axes[1][ny - 1]], [axes[0][0], axes[0][nx - 1]])?;
    }
    println!(
        "{} of {} points detected, NMSE {error:.3}, largest off-target peak {:.3}, {seconds:.2} s, largest buffer {:.1} MB; wrote {}",
        detection.detected,
        targets.len(),
        detection.max_offtarget,
        peak_bytes as f64 / 1e6,
        out.display()
    );
    Ok(json!({
        "figure": "image", "algorithm": algorithm, "ris": setup.ris.elements, "pilots": codebook.pilots, "bits": bits,
        "blocks": blocks, "points": targets.len(), "voxels": imager.voxel_count(), "iterations": iterations,
        "detected": detection.detected, "nmse": error, "max_offtarget": detection.max_offtarget,
        "nyquist_holds": nyquist.holds(), "seconds": seconds, "peak_bytes": peak_bytes,
    }))
}

/// `data` (`rows × cols`, row-major) transposed.
fn transpose(data: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    (0..cols * rows).map(|j| data[(j % rows) * cols + j / rows]).collect()
}

/// Heat map of `data` (`rows × cols`, row-major, row 0 at the bottom) over the given
/// coordinate ranges.
fn plot_map(path: &Path, title: &str, data: &[f64], rows: usize, cols: usize, row_range: [f64; 2], col_range: [f64; 2]) -> Result<()> {
    use plotters::prelude::*;
    common::register_font();
    let partial = rftwin::inverse::plot::partial_path(path);
    let root = BitMapBackend::new(&partial, (620, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let step = |r: [f64; 2], n: usize| if n > 1 { (r[1] - r[0]) / (n - 1) as f64 } else { 1.0 };
    let (dr, dc) = (step(row_range, rows), step(col_range, cols));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((col_range[0] - dc / 2.0)..(col_range[1] + dc / 2.0), (row_range[0] - dr / 2.0)..(row_range[1] + dr / 2.0))?;
    chart.configure_mesh().disable_mesh().draw()?;
    chart.draw_series((0..rows).flat_map(|r| (0..cols).map(move |c| (r, c))).map(|(r, c)| {
        let (x, y) = (col_range[0] + c as f64 * dc, row_range[0] + r as f64 * dr);
        Rectangle::new([(x - dc / 2.0, y - dr / 2.0), (x + dc / 2.0, y + dr / 2.0)], rftwin::inverse::plot::sequential(data[r * cols + c].clamp(0.0, 1.0)).filled())
    }))?;
    root.present().with_context(|| format!("writing {}", path.display()))?;
    Ok(rftwin::inverse::plot::commit(path)?)
}

/// Point-spread function of a point at the origin: range null (profile along x) and
/// cross-range null (along y at the peak's slice).
fn psf_nulls(setup: &FtSetup) -> Result<(Option<f64>, Option<f64>)> {
    let codebook = Codebook::dft(&setup.ris, setup.ris.count())?;
    let meas = measure(setup, &codebook, &[PointTarget { position: DVec3::ZERO, amplitude: 1.0 }], 0.0, 1)?;
    let recovery = EcrRecovery::new(setup, &codebook, Recovery::Fast)?;
    let ecr = recovery.recover_all(&meas)?;
    let step = 0.05;
    // x ∈ [−12, 12] as in the spec, widened to twice the upper bound on the null where
    // that is larger, and kept in front of the RIS plane
    let extent = 12f64.max(2.0 * ResolutionLimits::at(setup, DVec3::ZERO)?.range_upper);
    let last = extent.min(setup.distance() - 1.0);
    let range_grid = SaaGrid { slices: (0..).map(|j| -extent + step * j as f64).take_while(|&x| x <= last + 1e-9).collect(), cross_range: [[-0.1, 0.1], [-0.1, 0.1]], ..Default::default() };
    let imager = SaaImager::new(recovery.aperture(), setup.ue, &setup.band.wavenumbers(), &range_grid)?;
    let range = null_distance(&normalized_magnitude(&imager.image(&ecr)?), step);
    let cross_grid = SaaGrid { slices: vec![0.0], cross_range: [[-6.0, 6.0], [0.0, 0.0]], oversampling: 8, ..Default::default() };
    let imager = SaaImager::new(recovery.aperture(), setup.ue, &setup.band.wavenumbers(), &cross_grid)?;
    let y = &imager.axes()[1];
    let cross = null_distance(&normalized_magnitude(&imager.image(&ecr)?), y[1] - y[0]);
    Ok((range, cross))
}

/// T3: measured nulls over D ∈ {10, 20, 40}, θ_T ∈ {0, 30, 60}°, B ∈ {0.05, 0.1, 0.2}
/// against (27a)/(27b) and the upper bound c/(B(1 + cos θ_T)); the range null also against
/// (27a) for the tones sent (`ResolutionLimits::range_tones`), which the far cases need.
fn resolution(out: &Path) -> Result<serde_json::Value> {
    let started = Instant::now();
    let mut rows = Vec::new();
    let (mut range_ok, mut range_tones_ok, mut cross_ok, mut cases) = (0, 0, 0, 0);
    println!("{:>4} {:>5} {:>5} | {:>10} {:>7} {:>7} {:>7} | {:>10} {:>7}", "D", "θ_T", "B", "range null", "DRL_x", "tones", "upper", "cross null", "DRL_y");
    for d in [10.0, 20.0, 40.0] {
        for theta in [0.0f64, 30.0, 60.0] {
            for b in [0.05, 0.1, 0.2] {
                let mut setup = FtSetup::default();
                setup.ris.centre.x = d;
                setup.ue = 15.0 * DVec3::new(theta.to_radians().cos(), theta.to_radians().sin(), 0.0);
                setup.band.spacing = b / (setup.band.subcarriers - 1) as f64;
                let limits = ResolutionLimits::at(&setup, DVec3::ZERO)?;
                let (range, cross) = psf_nulls(&setup)?;
                cases += 1;
                let r_ok = range.is_some_and(|r| r >= 0.95 * limits.range && r <= 1.05 * limits.range_upper);
                let r_tones_ok = range.is_some_and(|r| r >= 0.95 * limits.range_tones && r <= 1.05 * limits.range_upper);
                let c_ok = cross.is_some_and(|c| (c / limits.cross_range[0] - 1.0).abs() <= 0.12);
                range_ok += usize::from(r_ok);
                range_tones_ok += usize::from(r_tones_ok);
                cross_ok += usize::from(c_ok);
                let show = |v: Option<f64>| v.map_or("none".to_string(), |v| format!("{v:.3}"));
                let verdict = match (r_ok, r_tones_ok, c_ok) {
                    (true, _, true) => "",
                    (false, true, true) => "  ← below 0.95·(27a), above 0.95·(27a) for the tones",
                    _ => "  ← outside the bounds",
                };
                println!(
                    "{d:>4} {theta:>5} {b:>5} | {:>10} {:>7.3} {:>7.3} {:>7.3} | {:>10} {:>7.3}{verdict}",
                    show(range),
                    limits.range,
                    limits.range_tones,
                    limits.range_upper,
                    show(cross),
                    limits.cross_range[0],
                );
                rows.push(json!({"d": d, "theta_t_deg": theta, "bandwidth": b, "range_null": range, "drl_x": limits.range, "drl_x_tones": limits.range_tones, "range_upper": limits.range_upper, "cross_null": cross, "drl_y": limits.cross_range[0]}));
            }
        }
    }
    common::write_json(&out.join("resolution.json"), &json!(rows))?;
    Ok(json!({"figure": "resolution", "cases": cases, "range_within_bounds": range_ok, "range_within_tone_bounds": range_tones_ok, "cross_range_within_12pct": cross_ok, "seconds": started.elapsed().as_secs_f64()}))
}

/// T8: Algorithm 2's sensing matrix and iterations against Algorithm 3's, and
/// Algorithm 1 per subcarrier against plain back-projection, at voxel λ/2 and λ/4.
fn cost(out: &Path) -> Result<serde_json::Value> {
    let mut setup = FtSetup::default();
    setup.ris.elements = [64, 64];
    let codebook = Codebook::block(&setup.ris, [4, 4], setup.ap[0], setup.band.centre_wavenumber())?;
    let targets = nine_points();
    let meas = measure(&setup, &codebook, &targets, 0.01, 5)?;
    let recovery = EcrRecovery::new(&setup, &codebook, Recovery::Fast)?;
    let mut rows = Vec::new();
    for (voxel, oversampling) in [(0.5, 4usize), (0.25, 8)] {
        let grid = SaaGrid { oversampling, ..Default::default() };
        let imager = SaaImager::new(recovery.aperture(), setup.ue, &setup.band.wavenumbers(), &grid)?;
        let n_v = imager.voxel_count();
        let matrix_bytes = sensing_matrix_bytes(codebook.pilots, setup.band.subcarriers, 1, n_v);
        let ecr = recovery.recover_all(&meas)?;
        let t = Instant::now();
        let _ = imager.backward(0, &ecr[0]);
        let saa_per_subcarrier = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let _ = back_projection(&imager, recovery.aperture(), setup.ue, setup.band.wavenumbers()[0], &ecr[0]);
        let bp_per_subcarrier = t.elapsed().as_secs_f64();
        let ftcs = FtCs::new(imager.clone(), recovery.clone(), 1)?;
        let options = SparseOptions { sparsity: 18, iterations: 10, tolerance: 0.0, ..Default::default() };
        let t = Instant::now();
        let r3 = ftcs.reconstruct(&meas.h, &options, StepRule::LineSearch)?;
        let alg3_total = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let a = SensingMatrix::new(&setup, &codebook, &imager.voxel_positions(), 8_000_000_000)?;
        let generation = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let r2 = ista(&a, &stack(&meas), &options, 0.9)?;
        let alg2_total = t.elapsed().as_secs_f64();
        println!(
            "voxel {voxel} λ ({n_v} voxels): A {:.1} MB generated in {generation:.2} s; Alg. 2 {:.3} s/it; Alg. 3 {:.3} s/it, 10 iterations {alg3_total:.2} s, largest buffer {:.2} MB; Alg. 1 {saa_per_subcarrier:.4} s per subcarrier vs back-projection {bp_per_subcarrier:.4} s",
            matrix_bytes as f64 / 1e6,
            alg2_total / r2.iterations as f64,
            alg3_total / r3.iterations as f64,
            r3.largest_allocation_bytes as f64 / 1e6
        );
        rows.push(json!({
            "voxel": voxel, "voxels": n_v, "matrix_bytes": matrix_bytes, "matrix_generation_s": generation,
            "alg2_per_iteration_s": alg2_total / r2.iterations as f64, "alg3_per_iteration_s": alg3_total / r3.iterations as f64,
            "alg3_total_10_s": alg3_total, "alg3_peak_bytes": r3.largest_allocation_bytes,
            "saa_per_subcarrier_s": saa_per_subcarrier, "back_projection_per_subcarrier_s": bp_per_subcarrier,
        }));
    }
    common::write_json(&out.join("cost.json"), &json!(rows))?;
    Ok(json!({"figure": "cost", "rows": rows}))
}

/// Plain back-projection `|Σ_m ê(m) e^{+jk(R_T + R_R)} R_T R_R|` on the imager's voxels
/// (the `O(N_v M)` baseline of Algorithm 1).
fn back_projection(imager: &SaaImager, aperture: &rftwin::isac::Ris, ue: DVec3, k: f64, ecr: &[Complex]) -> Vec<Complex> {
    use rayon::prelude::*;
    let elements = aperture.positions();
    imager
        .voxel_positions()
        .par_iter()
        .map(|&p| {
            let rt = ue.distance(p);
            elements.iter().zip(ecr).map(|(&r, &e)| {
                let rr = p.distance(r);
                e * Complex::from_polar(rt * rr, k * (rt + rr))
            }).sum()
        })
        .collect()
}

/// A metal letter "A" (1 m high, in the plane x = 0, facing the RIS) at 3 GHz, sampled by
/// solver (B) from the UE ([`rftwin::isac::ft::traced`]) and imaged by the SAA: the
/// spec's geometry in metres (λ ≈ 0.1 m, 32×32 RIS of λ/2 at D = 1 m).
fn mesh(args: &Cli, out: &Path) -> Result<serde_json::Value> {
    use rftwin::isac::ft::traced::traced_targets;
    use rftwin::isac::{Band, Ris};
    let band = Band::si(3e9, 3e7, 11);
    let l = band.centre_wavelength();
    let t = 30f64.to_radians();
    let setup = FtSetup { ris: Ris::new(DVec3::new(10.0 * l, 0.0, 0.0), [32, 32], [l / 2.0, l / 2.0])?, ue: 15.0 * l * DVec3::new(t.cos(), t.sin(), 0.0), ap: vec![DVec3::new(-40.0 * l, 60.0 * l, 0.0)], band, gain: 1.0 };
    // the letter stands in the x–z plane facing −y; a quarter turn about z faces it to +x
    let mut letter = rftwin::Mesh::letter_a(DVec3::new(0.0, 0.0, -0.5), 1.0, 0.8, 0.15, 0.05);
    letter.vertices.iter_mut().for_each(|v| *v = DVec3::new(-v.y - 0.025, v.x, v.z));
    let mut scene = rftwin::Scene::new();
    scene.add_object("letter", letter, "itu_metal")?;
    let started = Instant::now();
    let options = rftwin::ScatteringOptions { samples: args.samples, diffuse: 0.3, ..Default::default() };
    let traced = traced_targets(&scene, &setup, &options)?;
    let front: Vec<&PointTarget> = traced.targets.iter().filter(|t| t.position.x > -1e-6).collect();
    let codebook = Codebook::dft(&setup.ris, setup.ris.count())?;
    let meas = measure(&setup, &codebook, &traced.targets, args.noise, args.seed)?;
    let recovery = EcrRecovery::new(&setup, &codebook, Recovery::Fast)?;
    let grid = SaaGrid { slices: vec![0.0], cross_range: [[-8.0 * l, 8.0 * l]; 2], oversampling: 2, ..Default::default() };
    let imager = SaaImager::new(recovery.aperture(), setup.ue, &setup.band.wavenumbers(), &grid)?;
    let norm = normalized_magnitude(&imager.image(&recovery.recover_all(&meas)?)?);
    let seconds = started.elapsed().as_secs_f64();
    let [_, ny, nz] = imager.dims();
    let axes = imager.axes();
    let voxel = axes[1][1] - axes[1][0];
    // voxels above half the maximum that lie within one voxel of a front-face sample
    let positions = imager.voxel_positions();
    let bright: Vec<DVec3> = positions.iter().zip(&norm).filter(|(_, &v)| v >= 0.5).map(|(p, _)| *p).collect();
    let on_letter = bright.iter().filter(|p| front.iter().any(|t| (t.position.y - p.y).abs() <= voxel && (t.position.z - p.z).abs() <= voxel)).count();
    // the letter's footprint for reference
    let footprint: Vec<f64> = positions.iter().map(|p| if front.iter().any(|t| (t.position.y - p.y).abs() <= voxel / 2.0 && (t.position.z - p.z).abs() <= voxel / 2.0) { 1.0 } else { 0.0 }).collect();
    let (z_range, y_range) = ([axes[2][0], axes[2][nz - 1]], [axes[1][0], axes[1][ny - 1]]);
    plot_map(&out.join("mesh_image.png"), "SAA image of the traced letter: z (up) × y (right) [m]", &transpose(&norm, ny, nz), nz, ny, z_range, y_range)?;
    plot_map(&out.join("mesh_footprint.png"), "traced front-face samples: z (up) × y (right) [m]", &transpose(&footprint, ny, nz), nz, ny, z_range, y_range)?;
    let fraction = on_letter as f64 / bright.len().max(1) as f64;
    println!(
        "{} scatterers ({} on the front face) from {} rays ({} dropped as partly hidden from the RIS); {} of {} voxels above half the maximum lie on the letter ({:.0} %); {seconds:.1} s; wrote {}",
        traced.targets.len(),
        front.len(),
        traced.rays,
        traced.partially_visible,
        on_letter,
        bright.len(),
        100.0 * fraction,
        out.display()
    );
    Ok(json!({"figure": "mesh", "scatterers": traced.targets.len(), "front_face": front.len(), "rays": traced.rays, "partially_visible": traced.partially_visible,
        "bright_voxels": bright.len(), "bright_on_letter_fraction": fraction, "seconds": seconds}))
}
