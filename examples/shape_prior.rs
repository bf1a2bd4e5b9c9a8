//! The `reconstruct` case with and without a shape prior (InverTwin Fig. 9): a PCA basis
//! fitted to the car-body family shipped in `assets/shapes/` (eight bodies; the target,
//! the default body, is not one of them) stands in for the paper's pre-trained decoder.
//! Both runs start from the same sphere — the prior run from its projection onto the
//! basis — and see the same observations and sample seeds.
//!
//! ```text
//! cargo run --release --example shape_prior -- [--components 6] [--coarse 40]
//!     [--iterations 160] [--samples 10000] [--out DIR] [--fresh] [--quiet]
//!     [--family DIR]   (car_family_*.obj and the target car_default.obj, one topology,
//!                       star-shaped about the origin)
//! ```
//! `iterations_without_prior` / `iterations_with_prior`: the first iteration at which
//! a run's loss (mean of the last 5 iterations, the loss being a Monte-Carlo estimate)
//! reaches the no-prior run's final loss (mean of its last 10). Writes `convergence.png`
//! (loss of both runs), `chamfer.png`, both meshes as OBJ and `summary.json`.

#[path = "common/mod.rs"]
mod common;
#[path = "common/shape.rs"]
mod shape;

use anyhow::{Context, Result};
use clap::Parser;
use common::*;
use glam::DVec3;
use rftwin::inverse::driver::Record;
use rftwin::inverse::metrics::mesh_distance;
use rftwin::inverse::prior::ShapePrior;
use rftwin::inverse::reparam::flatten;
use rftwin::inverse::shapes::CarBody;
use rftwin::{BackendChoice, Mesh};
use rftwin::inverse::shape::*;
use shape::target;
use std::path::{Path, PathBuf};

/// The family and the target: `car_family_*.obj` and `car_default.obj` in
/// `assets/shapes/` when present (so a user can swap in their own), else generated from
/// [`CarBody`].
fn family(dir: Option<&str>) -> Result<(Vec<Mesh>, Mesh, String)> {
    let user = dir.is_some();
    let dir = dir.map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/shapes"), PathBuf::from);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("car_family_")) && p.extension().is_some_and(|e| e == "obj")).collect()).unwrap_or_default();
    files.sort();
    if files.is_empty() && user {
        anyhow::bail!("no car_family_*.obj in {}", dir.display());
    }
    if files.is_empty() {
        return Ok((CarBody::family().iter().map(|c| c.mesh(DVec3::ZERO, SUBDIVISIONS)).collect(), target(None)?, "CarBody::family()".into()));
    }
    let load = |p: &Path| rftwin::core::io::load_mesh(p).with_context(|| format!("loading {}", p.display()));
    let meshes = files.iter().map(|p| load(p)).collect::<Result<Vec<_>>>()?;
    Ok((meshes, load(&dir.join("car_default.obj"))?, format!("{} meshes in {}", files.len(), dir.display())))
}

/// First iteration whose trailing 5-iteration mean loss is ≤ `target`.
fn first_reaching(history: &[Record], target: f64) -> Option<usize> {
    (0..history.len()).find(|&k| {
        let w = &history[k.saturating_sub(4)..=k];
        w.iter().map(|r| r.loss).sum::<f64>() / w.len() as f64 <= target
    })
}

/// InverTwin Fig. 9: `reconstruct` with a PCA shape prior fitted to a car family against
/// without it.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// PCA components of the prior
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..))]
    components: u32,
    #[command(flatten)]
    stages: StageArgs,
    /// A folder of OBJ meshes of one topology (default: assets/shapes)
    #[arg(long)]
    family: Option<String>,
    /// Output directory
    #[arg(long, default_value = "out/shape_prior")]
    out: std::path::PathBuf,
    /// Start over instead of resuming from the checkpoints in --out
    #[arg(long)]
    fresh: bool,
    /// No progress bars
    #[arg(long)]
    quiet: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let out = prepare_output(&cli.out, cli.fresh)?;
    let (coarse, iterations, components, quiet) = (cli.stages.coarse, cli.stages.iterations, cli.components as usize, cli.quiet);
    let opts = CaseOptions { samples: cli.stages.samples as usize, observe_samples: 200_000, diffuse: 0.0, radius: 0.3, boundary_samples: 0, backend: BackendChoice::Cpu };

    let (meshes, truth, source) = family(cli.family.as_deref())?;
    let prior = ShapePrior::fit(&meshes, components)?;
    if prior.triangles != truth.triangles {
        anyhow::bail!("the family ({source}) and the target do not share one topology");
    }
    // the family is star-shaped about the origin (each body moves the icosphere's
    // vertices along their directions), so the start sphere is the first member
    // projected radially, in the family's vertex numbering
    let start = Mesh { vertices: meshes[0].vertices.iter().map(|v| v.normalize_or_zero() * opts.radius).collect(), triangles: truth.triangles.clone() };
    // how well the basis can express the target at all
    let floor = mesh_distance(&prior.mesh(&prior.encode(&flatten(&truth.vertices))), &truth, 20_000)?.chamfer;
    println!("shape prior: {components} components fitted to {source}; best Chamfer the basis can reach on the target: {:.2} mm", floor * 1e3);

    let mut case = Case::with_start(truth, start, &opts)?;
    let chamfer_start = mesh_distance(&case.start, &case.truth, 20_000)?.chamfer;
    println!("without prior ({coarse} coarse + {iterations} vertex iterations) …");
    let free = two_stage(&mut case, &out.join("no_prior"), coarse, iterations, 30.0, quiet)?;
    let total = free.history.len();
    println!("with prior ({total} iterations) …");
    let with = prior_stage(&mut case, prior, &out, total, quiet)?;

    let tail = &free.history[total.saturating_sub(10)..];
    let target_loss = tail.iter().map(|r| r.loss).sum::<f64>() / tail.len().max(1) as f64;
    let it_without = first_reaching(&free.history, target_loss);
    let it_with = first_reaching(&with.history, target_loss);
    let (d_free, d_with) = (mesh_distance(&free.mesh, &case.truth, 20_000)?, mesh_distance(&with.mesh, &case.truth, 20_000)?);
    rftwin::core::io::obj::save_obj(&out.join("reconstructed_no_prior.obj"), &free.mesh)?;
    rftwin::core::io::obj::save_obj(&out.join("reconstructed_prior.obj"), &with.mesh)?;

    let x: Vec<f64> = (0..total).map(|k| k as f64).collect();
    let loss = |h: &[Record]| h.iter().map(|r| r.loss).collect::<Vec<_>>();
    rftwin::inverse::plot::lines(&out.join("convergence.png"), "Loss with and without the shape prior", "iteration", "loss (log10)", &x, &[("without prior", loss(&free.history)), ("with prior", loss(&with.history)), ("no-prior final loss", vec![target_loss; total])], true)?;
    let (xf, cf) = chamfer_series(&free.history);
    let (_, cw) = chamfer_series(&with.history);
    let mm = |v: Vec<f64>| v.iter().map(|c| c * 1e3).collect::<Vec<_>>();
    rftwin::inverse::plot::lines(&out.join("chamfer.png"), "Chamfer distance to the target", "iteration", "Chamfer [mm]", &xf, &[("without prior", mm(cf)), ("with prior", mm(cw))], false)?;

    let summary = serde_json::json!({
        "iterations_with_prior": it_with.map(|k| k + 1), "iterations_without_prior": it_without.map(|k| k + 1),
        "target_loss": target_loss, "chamfer_start": chamfer_start, "chamfer_no_prior": d_free.chamfer, "chamfer_prior": d_with.chamfer,
        "chamfer_prior_floor": floor, "components": components, "iterations": total, "family": source,
    });
    write_json(&out.join("summary.json"), &serde_json::json!({"summary": summary}))?;
    let show = |k: Option<usize>| k.map_or("never".to_string(), |k| (k + 1).to_string());
    println!(
        "no-prior final loss {target_loss:.4}: reached after {} iterations without the prior, {} with it; Chamfer {:.2} mm → {:.2} mm without, {:.2} mm with; results in {}",
        show(it_without), show(it_with), chamfer_start * 1e3, d_free.chamfer * 1e3, d_with.chamfer * 1e3, out.display()
    );
    println!("summary: {summary}");
    Ok(())
}
