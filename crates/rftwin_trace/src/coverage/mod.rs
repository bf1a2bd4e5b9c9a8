//! Cell-averaged coverage of solver (A) and its gradient, boundary term included.
//!
//! A coverage map's cell holds the incoherent path gain averaged over the cell,
//! `P̄ = (1/|C|) ∫_C Σ_i |a_i(r)|² dr`. For a point receiver, `Σ|a_i|²` jumps where a
//! path appears or disappears (a reflection point runs off its face, a segment is
//! blocked); averaged over a cell, those jumps become a smooth function of the scene
//! whose derivative has a boundary term:
//!
//! `∂P̄/∂θ = (1/|C|) ∫_C Σ_i ∂|a_i|²/∂θ dr + (1/|C|) Σ_i ∫_{Γ_i ∩ C} ±|a_i|² v_n dl`,
//!
//! with `Γ_i` the curves in the receiver plane where path `i` is born or dies and `v_n`
//! their normal velocity. The estimate integrates exactly along `m` scan lines per cell
//! (constant y, midpoint rule in y): on each line the receivers at `m` points per cell
//! are solved; wherever a path (its chain of mirror planes) is valid at one point and
//! not at the next, the crossing `x*` is found by bisection with
//! [`crate::paths::image_method::trace_chain`], the constraint that switches there is
//! the one `trace_chain` reports failing just past it — a reflection or refraction
//! point on the border edge of its face, or a segment grazing an occluder's edge — and, with that constraint `c(x, θ) = 0` in dual
//! numbers, `∂x*/∂θ = −(∂c/∂θ) / (∂c/∂x)`. The crossing adds
//! `(P(x*⁻) − P(x*⁺)) ∂x*/∂θ / (m Δx)` to its cell: exact in x, so the term converges
//! as the midpoint rule does in y. A path born and dead between two neighbouring points
//! is not seen (neither endpoint has it); `m` sets the resolution.
//!
//! Paths: LoS, specular reflections and refractions. Diffracted paths are smooth where
//! the others jump (see `docs/capabilities.md`) but have boundaries of their own; the
//! boundary term is refused for a solver with diffraction on.

mod crossing;
mod scan_line;

use crate::error::{Result, TraceError};
use crate::paths::gradients::{reevaluate_path, GradientParam, Perturbation, Reevaluation};
use crate::paths::image_method::{trace_chain, ResolvedChain};
use crate::paths::solver::PathSolver;
use crate::physics::field::{path_coefficient, FieldInteraction};
use crate::scene_geometry::chain::REFRACTION_CODE;
use crate::scene_geometry::SceneGeometry;
use glam::DVec3;
use rayon::prelude::*;
use rftwin_core::constants::wavelength;
use rftwin_core::dual::V3;
use rftwin_core::{Antenna, Complex, InteractionType, Paths, Radio, Scene};
use scan_line::ScanLine;

/// A grid of receiver cells in the horizontal plane `z`.
#[derive(Debug, Clone, PartialEq)]
pub struct CellGrid {
    /// x extent `[min, max]` \[m\].
    pub x: [f64; 2],
    /// y extent `[min, max]` \[m\].
    pub y: [f64; 2],
    /// Height of the receivers \[m\].
    pub z: f64,
    /// Cells along x and y.
    pub cells: [usize; 2],
    /// `m`: scan lines per cell (along y) and receivers per cell on each line (along x).
    pub per_cell: usize,
}

impl CellGrid {
    /// Cell size `(Δx, Δy)` \[m\].
    pub fn cell_size(&self) -> (f64, f64) {
        ((self.x[1] - self.x[0]) / self.cells[0] as f64, (self.y[1] - self.y[0]) / self.cells[1] as f64)
    }

    /// Scan lines in all (`cells[1] · per_cell`).
    pub fn scan_lines(&self) -> usize {
        self.cells[1] * self.per_cell
    }

    /// Centre of cell `(ix, iy)`.
    pub fn cell_center(&self, ix: usize, iy: usize) -> DVec3 {
        let (dx, dy) = self.cell_size();
        DVec3::new(self.x[0] + (ix as f64 + 0.5) * dx, self.y[0] + (iy as f64 + 0.5) * dy, self.z)
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(TraceError::InvalidInput { name: "grid", message: m });
        if !(self.x[0].is_finite() && self.x[1].is_finite() && self.y[0].is_finite() && self.y[1].is_finite() && self.z.is_finite()) {
            return bad(format!("extents and height must be finite, got x {:?}, y {:?}, z {}", self.x, self.y, self.z));
        }
        if !(self.x[1] > self.x[0] && self.y[1] > self.y[0]) {
            return bad(format!("needs x[1] > x[0] and y[1] > y[0], got x {:?}, y {:?}", self.x, self.y));
        }
        if self.cells[0] == 0 || self.cells[1] == 0 || self.per_cell == 0 {
            return bad(format!("cells and per_cell must be > 0, got {:?} and {}", self.cells, self.per_cell));
        }
        Ok(())
    }
}

/// Cell averages and their derivatives (cells row-major: `iy · cells[0] + ix`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CellCoverage {
    /// Cells along x and y.
    pub cells: [usize; 2],
    /// Cell-averaged path gain `P̄ = mean Σ|a|²`.
    pub power: Vec<f64>,
    /// Components of the parameter (0 without one).
    pub components: usize,
    /// Interior term of `∂P̄/∂θ` per cell and component (empty without a parameter).
    pub interior: Vec<Vec<f64>>,
    /// Boundary term per cell and component (zeros unless requested).
    pub boundary: Vec<Vec<f64>>,
    /// Receivers solved.
    pub receivers: u64,
    /// Path births and deaths found on the scan lines.
    pub crossings: u64,
    /// Crossings whose switching constraint could not be identified, or whose constraint
    /// does not move with the receiver: left out of the boundary term.
    pub unidentified: u64,
    /// The closed object enclosing the transmitter, if any: why a map is (nearly) empty.
    pub tx_inside: Option<String>,
}

impl CellCoverage {
    /// Interior plus boundary term per cell and component.
    pub fn gradient(&self) -> Vec<Vec<f64>> {
        self.interior.iter().zip(&self.boundary).map(|(i, b)| i.iter().zip(b).map(|(x, y)| x + y).collect()).collect()
    }
}

/// A path's identity across receivers: per interaction the chain code the candidate
/// search uses (mirror plane, or [`REFRACTION_CODE`]) and the plane it lies in.
pub(super) type Family = Vec<(u32, u32)>;

/// What [`cell_coverage`] computes: the grid, the receivers' antenna, and optionally a
/// parameter to differentiate with respect to and the boundary term.
#[derive(Clone, Copy)]
pub struct CoverageRequest<'a> {
    /// The receiver cells.
    pub grid: &'a CellGrid,
    /// Antenna of every receiver.
    pub rx_antenna: &'a Antenna,
    /// Differentiate with respect to this parameter (`None`: the map only).
    pub param: Option<&'a GradientParam>,
    /// Add the boundary term of paths born and dying in a cell (needs `param`).
    pub boundary_term: bool,
    /// Called after every scan line (progress bars).
    pub progress: Option<&'a (dyn Fn() + Sync)>,
}

impl std::fmt::Debug for CoverageRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoverageRequest")
            .field("grid", self.grid)
            .field("rx_antenna", self.rx_antenna)
            .field("param", &self.param)
            .field("boundary_term", &self.boundary_term)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl<'a> CoverageRequest<'a> {
    /// The map alone on `grid`, every receiver with `rx_antenna`.
    pub fn map(grid: &'a CellGrid, rx_antenna: &'a Antenna) -> Self {
        CoverageRequest { grid, rx_antenna, param: None, boundary_term: false, progress: None }
    }

    /// Also the interior gradient with respect to `param`, and the boundary term if
    /// `boundary_term`.
    pub fn gradient(self, param: &'a GradientParam, boundary_term: bool) -> Self {
        CoverageRequest { param: Some(param), boundary_term, ..self }
    }

    /// Calls `progress` after every scan line.
    pub fn with_progress(self, progress: &'a (dyn Fn() + Sync)) -> Self {
        CoverageRequest { progress: Some(progress), ..self }
    }
}

/// Cell-averaged coverage of the request's grid for transmitter `tx`; with a parameter,
/// its interior gradient, and with `boundary_term` also the boundary term (see the
/// module docs).
pub fn cell_coverage(solver: &PathSolver, scene: &Scene, geom: &SceneGeometry, tx: &Radio, request: &CoverageRequest) -> Result<CellCoverage> {
    if solver.options.ris {
        crate::paths::ris::refuse_unmodelled(scene, "cell coverage (scan lines follow mirror-plane chains)")?;
    }
    let CoverageRequest { grid, rx_antenna, param, boundary_term: boundary, progress } = *request;
    grid.validate()?;
    if boundary && param.is_none() {
        return Err(TraceError::InvalidInput { name: "boundary", message: "the boundary term needs a gradient parameter".into() });
    }
    if boundary && solver.options.diffraction {
        return Err(TraceError::InvalidInput {
            name: "boundary",
            message: "the boundary term covers LoS, specular and refracted paths; solve without diffraction or leave the boundary term out".into(),
        });
    }
    if matches!(param, Some(GradientParam::RxPosition)) {
        return Err(TraceError::InvalidInput { name: "param", message: "the receivers are the grid's cells; rx/position is not a parameter of a coverage map".into() });
    }
    let f = solver.options.frequency_hz;
    let materials: Vec<(Complex, f64)> = scene.slab_table(f)?;
    let ctx = Context { solver, scene, geom, tx, rx_antenna, materials, lambda: wavelength(f), param, cell_x0: grid.x[0], cell_dx: grid.cell_size().0 };
    let (nx, ny, m) = (grid.cells[0], grid.cells[1], grid.per_cell);
    let nc = param.map_or(0, |p| p.components());
    let (dx, dy) = grid.cell_size();
    let lines: Vec<(usize, f64)> = (0..ny * m).map(|l| (l / m, grid.y[0] + (l as f64 + 0.5) * dy / m as f64)).collect();
    // per line: (per cell: Σ power, Σ interior), boundary contributions per cell, counts
    let per_line = lines
        .par_iter()
        .map(|&(iy, y)| {
            let r = ScanLine { ctx: &ctx, y, z: grid.z, boundary, nc }.integrate(grid);
            if let Some(p) = progress {
                p();
            }
            r.map(|r| (iy, r))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut out = CellCoverage {
        cells: grid.cells,
        power: vec![0.0; nx * ny],
        components: nc,
        interior: if nc > 0 { vec![vec![0.0; nc]; nx * ny] } else { Vec::new() },
        boundary: if nc > 0 { vec![vec![0.0; nc]; nx * ny] } else { Vec::new() },
        tx_inside: scene.enclosing_object(tx.position).map(|i| scene.objects()[i].name.clone()),
        ..Default::default()
    };
    let scale = 1.0 / (m as f64 * dx);
    for (iy, line) in per_line {
        out.receivers += line.receivers;
        out.crossings += line.crossings;
        out.unidentified += line.unidentified;
        for ix in 0..nx {
            let cell = iy * nx + ix;
            out.power[cell] += line.power[ix] * scale;
            for c in 0..nc {
                out.interior[cell][c] += line.interior[ix][c] * scale;
                out.boundary[cell][c] += line.boundary[ix][c] * scale;
            }
        }
    }
    Ok(out)
}

/// A family's power and its derivative at one receiver.
#[derive(Debug, Clone)]
pub(super) struct FamilyValue {
    pub(super) family: Family,
    pub(super) power: f64,
    pub(super) grad: Vec<f64>,
}

/// What every scan line shares: the solve's inputs and the material table.
pub(super) struct Context<'a> {
    pub(super) solver: &'a PathSolver,
    pub(super) scene: &'a Scene,
    pub(super) geom: &'a SceneGeometry,
    pub(super) tx: &'a Radio,
    pub(super) rx_antenna: &'a Antenna,
    pub(super) materials: Vec<(Complex, f64)>,
    pub(super) lambda: f64,
    pub(super) param: Option<&'a GradientParam>,
    /// The grid's first cell border along x and the cell width.
    pub(super) cell_x0: f64,
    pub(super) cell_dx: f64,
}

impl Context<'_> {
    pub(super) fn receiver(&self, x: f64, y: f64, z: f64) -> Radio {
        Radio { position: DVec3::new(x, y, z), antenna: *self.rx_antenna }
    }
    /// Power and derivative of `family` at receiver `(x, y, z)` by re-evaluation, if
    /// the family is valid there.
    pub(super) fn family_value(&self, family: &Family, x: f64, y: f64, z: f64, nc: usize) -> Result<Option<(f64, Vec<f64>)>> {
        let Some(r) = self.valid(family, x, y, z) else { return Ok(None) };
        let rx = DVec3::new(x, y, z);
        let p = self.power(&r, rx);
        let Some(param) = self.param else { return Ok(Some((p, vec![0.0; nc]))) };
        let pert = Perturbation::new(self.scene, self.solver.options.frequency_hz, self.tx.position, rx, param)?;
        let tris: Vec<(usize, bool)> = r.triangles.iter().zip(&r.refraction).map(|(&t, &refr)| (t as usize, refr)).collect();
        let rx_radio = self.receiver(x, y, z);
        let re = Reevaluation { etas: &pert.etas, geom: self.geom, ends: [pert.tx_p, pert.rx_p], radios: [self.tx, &rx_radio], lambda: self.lambda };
        let (_, a) = reevaluate_path(&tris, |t| pert.plane(self.geom, t), &re);
        let power = a.re * a.re + a.im * a.im;
        Ok(Some((p, power.d[..nc].to_vec())))
    }
    /// The family of path `i`.
    pub(super) fn family(&self, paths: &Paths, i: usize) -> Result<Family> {
        let p = paths.path(i);
        let mut family = Vec::with_capacity(p.interactions.len());
        for (k, t) in p.interactions.iter().enumerate() {
            let tri = self.geom.triangle_index(p.objects[k] as usize, p.primitives[k] as usize).ok_or_else(|| TraceError::InvalidInput {
                name: "paths",
                message: format!("path {i} refers to a triangle not in the scene"),
            })?;
            let plane = self.geom.plane[tri];
            family.push(match t {
                InteractionType::Specular => (plane, plane),
                InteractionType::Refraction => (REFRACTION_CODE, plane),
                other => {
                    return Err(TraceError::InvalidInput { name: "paths", message: format!("coverage cells do not cover {} interactions", other.name()) })
                }
            });
        }
        Ok(family)
    }
    pub(super) fn chain(family: &Family) -> Vec<u32> {
        family.iter().map(|f| f.0).collect()
    }
    /// The resolved path of `family` at receiver `(x, y, z)`, if valid.
    pub(super) fn valid(&self, family: &Family, x: f64, y: f64, z: f64) -> Option<ResolvedChain> {
        // a family names the plane of every interaction, refractions included
        let faces: Vec<u32> = family.iter().map(|f| f.1).collect();
        trace_chain(self.geom, &Self::chain(family), Some(&faces), self.tx.position, DVec3::new(x, y, z)).ok()
    }
    /// `|a|²` of a resolved path to receiver `rx`.
    pub(super) fn power(&self, r: &ResolvedChain, rx: DVec3) -> f64 {
        let inters: Vec<FieldInteraction> = r
            .triangles
            .iter()
            .zip(&r.refraction)
            .map(|(&t, &transmission)| {
                let (eta, thickness) = self.materials[self.geom.material[t as usize] as usize];
                FieldInteraction { transmission, normal: V3::cst(self.geom.normals[t as usize]), eta, thickness }
            })
            .collect();
        let mut points = vec![self.tx.position];
        points.extend_from_slice(&r.vertices);
        points.push(rx);
        path_coefficient(&points, &inters, &self.tx.antenna, self.rx_antenna, self.lambda).norm_sqr()
    }
}
