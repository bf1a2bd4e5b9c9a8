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
//! [`crate::paths::image_method::resolve_chain`], the constraint that switches there is
//! identified — a reflection or refraction point on the border edge of its face, or a
//! segment grazing an occluder's edge — and, with that constraint `c(x, θ) = 0` in dual
//! numbers, `∂x*/∂θ = −(∂c/∂θ) / (∂c/∂x)`. The crossing adds
//! `(P(x*⁻) − P(x*⁺)) ∂x*/∂θ / (m Δx)` to its cell: exact in x, so the term converges
//! as the midpoint rule does in y. A path born and dead between two neighbouring points
//! is not seen (neither endpoint has it); `m` sets the resolution.
//!
//! Paths: LoS, specular reflections and refractions. Diffracted paths are smooth where
//! the others jump (see `docs/capabilities.md`) but have boundaries of their own; the
//! boundary term is refused for a solver with diffraction on.

use crate::scene_geometry::chain::REFRACTION_CODE;
use crate::error::{Result, TraceError};
use crate::physics::field::{path_coefficient, FieldInteraction};
use crate::scene_geometry::SceneGeometry;
use crate::tolerance;
use crate::paths::gradients::{path_gradients, path_points, reevaluate_path, GradientParam, Perturbation};
use crate::paths::image_method::{resolve_chain, source_images, ResolvedChain};
use crate::paths::solver::PathSolver;
use glam::DVec3;
use rayon::prelude::*;
use rftwin_core::constants::wavelength;
use rftwin_core::dual::{Dual, V3};
use rftwin_core::{Antenna, Complex, InteractionType, Paths, Radio, Scene};

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
}

impl CellCoverage {
    /// Interior plus boundary term per cell and component.
    pub fn gradient(&self) -> Vec<Vec<f64>> {
        self.interior.iter().zip(&self.boundary).map(|(i, b)| i.iter().zip(b).map(|(x, y)| x + y).collect()).collect()
    }
}

/// A path's identity across receivers: per interaction the chain code the candidate
/// search uses (mirror plane, or [`REFRACTION_CODE`]) and the plane it lies in.
type Family = Vec<(u32, u32)>;

/// A piece of a scan line: a family valid over `x` (values at both ends), or a crossing.
#[derive(Debug, Clone)]
enum Piece {
    Span { x: [f64; 2], power: [f64; 2], grad: [Vec<f64>; 2] },
    Crossing { x: f64, rate: Option<Vec<f64>> },
}

/// The switching constraint at a crossing.
#[derive(Debug, Clone, Copy)]
enum Constraint {
    /// Interaction `step`'s point crosses edge `(a, b)` of triangle `tri`, its face.
    Edge { step: usize, a: DVec3, b: DVec3, tri: usize },
    /// Path point `point` (0 the source, the last the receiver) crosses the plane of
    /// triangle `tri`.
    Plane { point: usize, tri: usize },
    /// Segment `segment` (path point `segment` to `segment + 1`, point 0 the source)
    /// touches edge `(a, b)` of triangle `tri`.
    Grazed { segment: usize, a: DVec3, b: DVec3, tri: usize },
}

struct Context<'a> {
    solver: &'a PathSolver,
    scene: &'a Scene,
    geom: &'a SceneGeometry,
    tx: &'a Radio,
    rx_antenna: &'a Antenna,
    materials: Vec<(Complex, f64)>,
    lambda: f64,
    param: Option<&'a GradientParam>,
    /// The grid's first cell border along x and the cell width.
    cell_x0: f64,
    cell_dx: f64,
}

/// Cell-averaged coverage of `grid` for transmitter `tx` and receivers with
/// `rx_antenna`; with `param`, its interior gradient, and with `boundary` also the
/// boundary term (see the module docs). `progress` is called after every scan line.
#[allow(clippy::too_many_arguments)]
pub fn cell_coverage(
    solver: &PathSolver,
    scene: &Scene,
    geom: &SceneGeometry,
    tx: &Radio,
    rx_antenna: &Antenna,
    grid: &CellGrid,
    param: Option<&GradientParam>,
    boundary: bool,
    progress: Option<&(dyn Fn() + Sync)>,
) -> Result<CellCoverage> {
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
            let r = ctx.scan_line(grid, y, boundary);
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

/// One scan line's integrals along x per cell: `∫ P dx`, `∫ ∂P/∂θ dx` and the boundary
/// sum `Σ jump · ∂x*/∂θ`.
struct LineResult {
    power: Vec<f64>,
    interior: Vec<Vec<f64>>,
    boundary: Vec<Vec<f64>>,
    receivers: u64,
    crossings: u64,
    unidentified: u64,
}

/// A family's power and its derivative at one receiver.
#[derive(Debug, Clone)]
struct FamilyValue {
    family: Family,
    power: f64,
    grad: Vec<f64>,
}

/// The crossings' positions among `pieces`.
fn crossing_xs(pieces: &[Piece]) -> impl Iterator<Item = f64> + '_ {
    pieces.iter().filter_map(|p| if let Piece::Crossing { x, .. } = p { Some(*x) } else { None })
}

/// The three inner probes of `[xa, xb]`, middle first.
fn probes(xa: f64, xb: f64) -> impl Iterator<Item = f64> {
    [0.5, 0.25, 0.75].into_iter().map(move |t| xa + t * (xb - xa))
}

/// Adds `∫_a^b u` of the linear interpolant `u` (values `ua`, `ub`, per component) to
/// the cells `[x0 + k Δx, x0 + (k + 1) Δx)` the piece overlaps.
fn deposit(acc: &mut [Vec<f64>], x0: f64, dx: f64, [a, b]: [f64; 2], ua: &[f64], ub: &[f64]) {
    if b <= a {
        return;
    }
    let n = acc.len();
    let first = (((a - x0) / dx).floor().max(0.0) as usize).min(n - 1);
    let last = (((b - x0) / dx).floor().max(0.0) as usize).min(n - 1);
    for (k, cell) in acc.iter_mut().enumerate().take(last + 1).skip(first) {
        let (s, e) = ((x0 + k as f64 * dx).max(a), (x0 + (k + 1) as f64 * dx).min(b));
        if e <= s {
            continue;
        }
        let at = |x: f64, c: usize| ua[c] + (ub[c] - ua[c]) * (x - a) / (b - a);
        for (c, v) in cell.iter_mut().enumerate() {
            *v += 0.5 * (e - s) * (at(s, c) + at(e, c));
        }
    }
}

impl Context<'_> {
    fn receiver(&self, x: f64, y: f64, z: f64) -> Radio {
        Radio { position: DVec3::new(x, y, z), antenna: *self.rx_antenna }
    }

    fn scan_line(&self, grid: &CellGrid, y: f64, boundary: bool) -> Result<LineResult> {
        let (nx, m) = (grid.cells[0], grid.per_cell);
        let (dx, _) = grid.cell_size();
        let nc = self.param.map_or(0, |p| p.components());
        // the grid's ends, then the midpoints of the m sub-intervals of every cell
        let mut xs = vec![grid.x[0]];
        xs.extend((0..nx * m).map(|j| grid.x[0] + (j as f64 + 0.5) * dx / m as f64));
        xs.push(grid.x[1]);
        let solved: Vec<Vec<FamilyValue>> = xs
            .par_iter()
            .map(|&x| {
                let rx = self.receiver(x, y, grid.z);
                let paths = self.solver.solve(self.scene, self.geom, self.tx, &rx)?;
                let grads = match self.param {
                    Some(p) => path_gradients(self.scene, self.geom, &paths, self.tx, &rx, p)?.power,
                    None => vec![Vec::new(); paths.num_paths()],
                };
                let mut values: Vec<FamilyValue> = Vec::new();
                for (i, grad) in grads.into_iter().enumerate() {
                    let family = self.family(&paths, i)?;
                    let power = paths.a[i].norm_sqr();
                    match values.iter_mut().find(|v| v.family == family) {
                        Some(v) => {
                            v.power += power;
                            v.grad.iter_mut().zip(&grad).for_each(|(a, b)| *a += b);
                        }
                        None => values.push(FamilyValue { family, power, grad }),
                    }
                }
                Ok(values)
            })
            .collect::<Result<_>>()?;
        let near = |j: usize| -> Vec<&[FamilyValue]> { solved[j.saturating_sub(1)..(j + 3).min(solved.len())].iter().map(|v| v.as_slice()).collect() };
        let intervals: Vec<Vec<Piece>> = (0..xs.len() - 1)
            .into_par_iter()
            .map(|j| self.interval(&near(j), [&solved[j], &solved[j + 1]], [xs[j], xs[j + 1]], y, grid.z, boundary, nc))
            .collect::<Result<_>>()?;
        // Paths that live only near a boundary (a corner path by a face that sweeps over
        // the receivers) may be valid at no receiver of the line: solve beside every
        // crossing as well, and redo the intervals where that finds new paths.
        let redone: Vec<(usize, Vec<Piece>, u64)> = intervals
            .par_iter()
            .enumerate()
            .map(|(j, pieces)| {
                let mut stars: Vec<f64> = crossing_xs(pieces).collect();
                stars.sort_by(f64::total_cmp);
                stars.dedup_by(|a, b| (*a - *b).abs() < 1e-6 * dx);
                if stars.is_empty() {
                    return Ok(None);
                }
                let known: Vec<&Family> = near(j).iter().flat_map(|vs| vs.iter().map(|v| &v.family)).collect();
                let mut found: Vec<FamilyValue> = Vec::new();
                let mut solves = 0;
                for x in stars {
                    for side in [-1.0, 1.0] {
                        let xp = (x + side * 1e-6 * dx).clamp(xs[j], xs[j + 1]);
                        let paths = self.solver.solve(self.scene, self.geom, self.tx, &self.receiver(xp, y, grid.z))?;
                        solves += 1;
                        for i in 0..paths.num_paths() {
                            let family = self.family(&paths, i)?;
                            if !known.contains(&&family) && !found.iter().any(|f| f.family == family) {
                                found.push(FamilyValue { family, power: 0.0, grad: Vec::new() });
                            }
                        }
                    }
                }
                if found.is_empty() {
                    return Ok(Some((j, Vec::new(), solves)));
                }
                let mut with_found = near(j);
                with_found.push(&found);
                Ok(Some((j, self.interval(&with_found, [&solved[j], &solved[j + 1]], [xs[j], xs[j + 1]], y, grid.z, boundary, nc)?, solves)))
            })
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let mut intervals = intervals;
        let mut extra_receivers = 0;
        for (j, pieces, solves) in redone {
            extra_receivers += solves;
            if !pieces.is_empty() {
                intervals[j] = pieces;
            }
        }
        let pieces: Vec<Piece> = intervals.into_iter().flatten().collect();
        let mut power = vec![vec![0.0; 1]; nx];
        let mut interior = vec![vec![0.0; nc]; nx];
        let mut out = LineResult { power: Vec::new(), interior: Vec::new(), boundary: vec![vec![0.0; nc]; nx], receivers: xs.len() as u64 + extra_receivers, crossings: 0, unidentified: 0 };
        for piece in pieces {
            match piece {
                Piece::Span { x, power: p, grad } => {
                    deposit(&mut power, grid.x[0], dx, x, &[p[0]], &[p[1]]);
                    deposit(&mut interior, grid.x[0], dx, x, &grad[0], &grad[1]);
                }
                Piece::Crossing { x, rate } => {
                    out.crossings += 1;
                    match rate {
                        Some(rate) => {
                            // A crossing on a cell border (axis-aligned scenes put whole rims
                            // there) is a kink of both cells' averages: its one-sided
                            // derivatives differ. Half to each cell: the central derivative.
                            let u = (x - grid.x[0]) / dx;
                            let k = u.round();
                            let cells: &[(f64, f64)] = if (u - k).abs() < 1e-9 { &[(k - 1.0, 0.5), (k, 0.5)] } else { &[(u.floor(), 1.0)] };
                            for &(ix, share) in cells {
                                if ix >= 0.0 && (ix as usize) < nx {
                                    out.boundary[ix as usize].iter_mut().zip(&rate).for_each(|(a, b)| *a += share * b);
                                }
                            }
                        }
                        None if boundary => out.unidentified += 1,
                        None => {}
                    }
                }
            }
        }
        out.power = power.into_iter().map(|p| p[0]).collect();
        out.interior = interior;
        Ok(out)
    }

    /// The pieces of `[xa, xb]`: per family (those the solver found at these two
    /// receivers and their neighbours), the part where it is valid, with its power and
    /// derivative at the ends of that part, and, with `boundary`, each crossing's
    /// contribution. A family valid at neither end is probed at three inner points; if
    /// valid at one, both its crossings are found. A family valid at both ends is probed
    /// at the same points; if lost at one, so are both crossings around it.
    #[allow(clippy::too_many_arguments)]
    fn interval(&self, near: &[&[FamilyValue]], at: [&[FamilyValue]; 2], [xa, xb]: [f64; 2], y: f64, z: f64, boundary: bool, nc: usize) -> Result<Vec<Piece>> {
        // The solver's candidate search can miss a path whose reflection point lies
        // within a hair of its face's edge (a receiver beside a crossing), so the chains
        // one interaction shorter than those found are tested as well: the image method
        // decides them exactly (a reflection that also exists with a ground bounce).
        let found: Vec<&Family> = near.iter().flat_map(|vs| vs.iter().map(|v| &v.family)).collect();
        let mut families: Vec<Family> = found.iter().map(|f| (*f).clone()).collect();
        for f in &found {
            if f.len() >= 2 {
                families.extend((0..f.len()).map(|k| f.iter().enumerate().filter(|&(i, _)| i != k).map(|(_, &e)| e).collect::<Family>()));
            }
        }
        families.sort();
        families.dedup();
        let families: Vec<&Family> = families.iter().collect();
        let mut pieces = Vec::new();
        let mut deferred: Vec<&Family> = Vec::new();
        for family in families {
            // the solver's values where it found the family, else its own re-evaluation
            let value = |end: usize, x: f64| -> Result<Option<(f64, Vec<f64>)>> {
                match at[end].iter().find(|v| &v.family == family) {
                    Some(v) => Ok(Some((v.power, if v.grad.is_empty() { vec![0.0; nc] } else { v.grad.clone() }))),
                    None => self.family_value(family, x, y, z, nc),
                }
            };
            let (ok_a, ok_b) = (self.valid(family, xa, y, z).is_some(), self.valid(family, xb, y, z).is_some());
            match (ok_a, ok_b) {
                (true, true) => {
                    let (Some((pa, ga)), Some((pb, gb))) = (value(0, xa)?, value(1, xb)?) else { continue };
                    // a thin occluder (or a gap between faces) between the two receivers:
                    // the family is lost in between, with a crossing on each side
                    match probes(xa, xb).find(|&x| self.valid(family, x, y, z).is_none()) {
                        Some(x_out) => {
                            pieces.extend(self.cut(family, xa, x_out, (pa, ga), y, z, boundary)?);
                            pieces.extend(self.cut(family, xb, x_out, (pb, gb), y, z, boundary)?);
                        }
                        None => pieces.push(Piece::Span { x: [xa, xb], power: [pa, pb], grad: [ga, gb] }),
                    }
                }
                (true, false) | (false, true) => {
                    let (x_valid, end) = if ok_a { (xa, 0) } else { (xb, 1) };
                    let Some((p, g)) = value(end, x_valid)? else { continue };
                    pieces.extend(self.cut(family, x_valid, if ok_a { xb } else { xa }, (p, g), y, z, boundary)?);
                }
                (false, false) => match probes(xa, xb).find(|&x| self.valid(family, x, y, z).is_some()) {
                    Some(x_in) => pieces.extend(self.both_ways(family, x_in, [xa, xb], y, z, boundary, nc)?),
                    None => deferred.push(family),
                },
            }
        }
        // A family valid at neither end nor probe may still live in a sliver that begins
        // where another family's validity ends (a reflection whose ground-bounce twin
        // crosses the same face edge): probe beside every crossing found so far.
        let eps = 1e-6 * (xb - xa);
        let stars: Vec<f64> = crossing_xs(&pieces).collect();
        for family in deferred {
            let mut beside = stars.iter().flat_map(|&x| [x - eps, x + eps]).filter(|&x| x > xa && x < xb);
            if let Some(x_in) = beside.find(|&x| self.valid(family, x, y, z).is_some()) {
                pieces.extend(self.both_ways(family, x_in, [xa, xb], y, z, boundary, nc)?);
            }
        }
        Ok(pieces)
    }

    /// The pieces of a family valid at `x_in` inside `[xa, xb]` and at neither end: the
    /// spans to its crossings on both sides.
    #[allow(clippy::too_many_arguments)]
    fn both_ways(&self, family: &Family, x_in: f64, [xa, xb]: [f64; 2], y: f64, z: f64, boundary: bool, nc: usize) -> Result<Vec<Piece>> {
        let Some((p, g)) = self.family_value(family, x_in, y, z, nc)? else { return Ok(Vec::new()) };
        let mut pieces = self.cut(family, x_in, xa, (p, g.clone()), y, z, boundary)?;
        pieces.extend(self.cut(family, x_in, xb, (p, g), y, z, boundary)?);
        Ok(pieces)
    }

    /// The piece from `x_valid`, where `family` is valid with power and derivative
    /// `(p, g)`, to its crossing towards `x_invalid`, and the crossing.
    #[allow(clippy::too_many_arguments)]
    fn cut(&self, family: &Family, x_valid: f64, x_invalid: f64, (p, g): (f64, Vec<f64>), y: f64, z: f64, boundary: bool) -> Result<Vec<Piece>> {
        let valid_left = x_valid < x_invalid;
        let ends = |x: f64, p_star: f64| if valid_left { ([x_valid, x], [p, p_star]) } else { ([x, x_valid], [p_star, p]) };
        Ok(match self.crossing(family, if valid_left { [x_valid, x_invalid] } else { [x_invalid, x_valid] }, valid_left, y, z, boundary)? {
            Some((x_star, p_star, rate)) => {
                let (span, power) = ends(x_star, p_star);
                let mut pieces = self.split_at_cell_borders(family, span, power, g, valid_left, y, z)?;
                pieces.push(Piece::Crossing { x: x_star, rate });
                pieces
            }
            None => {
                // the bisection could not settle: the valid end's value up to the midpoint
                let mid = 0.5 * (x_valid + x_invalid);
                let (span, power) = ends(mid, p);
                vec![Piece::Span { x: span, power, grad: [g.clone(), g] }, Piece::Crossing { x: mid, rate: None }]
            }
        })
    }

    /// The span `x` of `family` from its valid end (derivative `g`) to a crossing, as
    /// pieces that end at the cell borders it crosses, with the family re-evaluated
    /// there. Otherwise the cells' shares of the span would come from an interpolant
    /// that runs to the crossing, and a crossing moving in one cell would change its
    /// neighbour's average (its finite difference) while the boundary term goes to the
    /// crossing's cell only.
    #[allow(clippy::too_many_arguments)]
    fn split_at_cell_borders(&self, family: &Family, [a, b]: [f64; 2], [pa, pb]: [f64; 2], g: Vec<f64>, valid_left: bool, y: f64, z: f64) -> Result<Vec<Piece>> {
        let (x0, dx) = (self.cell_x0, self.cell_dx);
        let tol = 1e-9 * dx;
        let borders: Vec<f64> = (((a - x0) / dx).ceil() as i64..=((b - x0) / dx).floor() as i64)
            .map(|k| x0 + k as f64 * dx)
            .filter(|&x| x > a + tol && x < b - tol)
            .collect();
        let whole = |g: Vec<f64>| vec![Piece::Span { x: [a, b], power: [pa, pb], grad: [g.clone(), g] }];
        if borders.is_empty() {
            return Ok(whole(g));
        }
        let mut inner = Vec::with_capacity(borders.len());
        for &x in &borders {
            match self.family_value(family, x, y, z, g.len())? {
                Some((p, gx)) => inner.push((x, p, gx)),
                None => return Ok(whole(g)),
            }
        }
        // the crossing's end takes the derivative of its nearest evaluated point
        let (first, last) = if valid_left {
            ((a, pa, g), (b, pb, inner[inner.len() - 1].2.clone()))
        } else {
            ((a, pa, inner[0].2.clone()), (b, pb, g))
        };
        let mut points = vec![first];
        points.extend(inner);
        points.push(last);
        Ok(points.windows(2).map(|w| Piece::Span { x: [w[0].0, w[1].0], power: [w[0].1, w[1].1], grad: [w[0].2.clone(), w[1].2.clone()] }).collect())
    }

    /// Power and derivative of `family` at receiver `(x, y, z)` by re-evaluation, if
    /// the family is valid there.
    fn family_value(&self, family: &Family, x: f64, y: f64, z: f64, nc: usize) -> Result<Option<(f64, Vec<f64>)>> {
        let Some(r) = self.valid(family, x, y, z) else { return Ok(None) };
        let rx = DVec3::new(x, y, z);
        let p = self.power(&r, rx);
        let Some(param) = self.param else { return Ok(Some((p, vec![0.0; nc]))) };
        let pert = Perturbation::new(self.scene, self.solver.options.frequency_hz, self.tx.position, rx, param)?;
        let tris: Vec<(usize, bool)> = r.triangles.iter().zip(&r.refraction).map(|(&t, &refr)| (t as usize, refr)).collect();
        let rx_radio = self.receiver(x, y, z);
        let (_, a) = reevaluate_path(&tris, |t| pert.plane(self.geom, t), &pert.etas, self.geom, pert.tx_p, pert.rx_p, self.tx, &rx_radio, self.lambda);
        let power = a.re * a.re + a.im * a.im;
        Ok(Some((p, power.d[..nc].to_vec())))
    }

    /// The family of path `i`.
    fn family(&self, paths: &Paths, i: usize) -> Result<Family> {
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

    fn chain(family: &Family) -> Vec<u32> {
        family.iter().map(|f| f.0).collect()
    }

    /// The resolved path of `family` at receiver `(x, y, z)`, if valid.
    fn valid(&self, family: &Family, x: f64, y: f64, z: f64) -> Option<ResolvedChain> {
        let r = resolve_chain(self.geom, &Self::chain(family), self.tx.position, DVec3::new(x, y, z))?;
        // a refraction may pass through any surface; the family names its plane
        r.triangles.iter().zip(family).all(|(&t, f)| self.geom.plane[t as usize] == f.1).then_some(r)
    }

    /// `|a|²` of a resolved path to receiver `rx`.
    fn power(&self, r: &ResolvedChain, rx: DVec3) -> f64 {
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

    /// Bisects `[xa, xb]` for the point `x*` where `family` switches (`valid_a` at
    /// `xa`); returns `x*`, the power there on the valid side and, with `boundary`,
    /// `(P(x*⁻) − P(x*⁺)) ∂x*/∂θ` (`None` if the switching constraint cannot be
    /// identified); `None` altogether if the bisection does not settle.
    #[allow(clippy::type_complexity)]
    fn crossing(&self, family: &Family, [xa, xb]: [f64; 2], valid_a: bool, y: f64, z: f64, boundary: bool) -> Result<Option<(f64, f64, Option<Vec<f64>>)>> {
        let (mut v, mut i) = if valid_a { (xa, xb) } else { (xb, xa) };
        for _ in 0..tolerance::BISECTION_STEPS {
            let mid = 0.5 * (v + i);
            if mid == v || mid == i {
                break;
            }
            if self.valid(family, mid, y, z).is_some() {
                v = mid;
            } else {
                i = mid;
            }
        }
        let Some(resolved) = self.valid(family, v, y, z) else { return Ok(None) };
        let x_star = 0.5 * (v + i);
        let p = self.power(&resolved, DVec3::new(v, y, z));
        let (Some(param), true) = (self.param, boundary) else { return Ok(Some((x_star, p, None))) };
        let Some(constraint) = self.diagnose(family, &resolved, DVec3::new(v, y, z), DVec3::new(i, y, z)) else { return Ok(Some((x_star, p, None))) };
        let f = self.solver.options.frequency_hz;
        let rx = DVec3::new(x_star, y, z);
        let c_theta = self.constraint_value(&resolved, constraint, &Perturbation::new(self.scene, f, self.tx.position, rx, param)?);
        let c_x = self.constraint_value(&resolved, constraint, &Perturbation::new(self.scene, f, self.tx.position, rx, &GradientParam::RxPosition)?);
        let dcdx = c_x.d[0];
        let scale = c_x.d.iter().map(|d| d.abs()).sum::<f64>();
        if dcdx.is_nan() || dcdx.abs() <= 1e-12 * scale + 1e-300 {
            return Ok(Some((x_star, p, None)));
        }
        // valid on the left of x* (v < i): the family's power leaves at x*⁺
        let jump = if v < i { p } else { -p };
        Ok(Some((x_star, p, Some((0..param.components()).map(|c| -jump * c_theta.d[c] / dcdx).collect()))))
    }

    /// Which constraint fails at receiver `rx_invalid` just past the crossing (mirrors
    /// [`resolve_chain`]'s steps).
    fn diagnose(&self, family: &Family, valid: &ResolvedChain, rx_valid: DVec3, rx_invalid: DVec3) -> Option<Constraint> {
        let geom = self.geom;
        let chain = Self::chain(family);
        let k = chain.len();
        let images = source_images(geom, &chain, self.tx.position);
        let eps = geom.eps();
        // a face sweeping over the receiver (it enters or leaves an object): a face
        // between the receiver just before and just after the crossing
        let step = rx_invalid - rx_valid;
        let span = step.length();
        if span > 0.0 {
            let reach = tolerance::SAME_HIT_REL * geom.scale + 2.0 * span;
            let dir = step / span;
            if let Some(h) = geom.closest_hit(rx_invalid - dir * reach, dir, 0.0, 2.0 * reach, None) {
                return Some(Constraint::Plane { point: k + 1, tri: h.triangle as usize });
            }
        }
        let mut cur = rx_invalid;
        let mut skip = None;
        for j in (0..k).rev() {
            let tri_v = valid.triangles[j] as usize;
            let (n, off) = geom.planes[family[j].1 as usize];
            let delta = images[j + 1] - cur;
            let dist = delta.length();
            let d = delta / dist;
            let denom = n.dot(d);
            let t_plane = if denom.abs() > 1e-15 { (off - n.dot(cur)) / denom } else { f64::INFINITY };
            let hit = geom.closest_hit(cur, d, eps, dist, skip);
            let on_face = |h: &crate::scene_geometry::SceneHit| geom.plane[h.triangle as usize] == family[j].1;
            let tol = tolerance::SAME_HIT_REL * geom.scale;
            match hit {
                Some(h) if on_face(&h) => {
                    cur += d * if chain[j] == REFRACTION_CODE { h.t } else { t_plane };
                    skip = Some(h.triangle);
                }
                Some(h) if (h.t - t_plane).abs() <= tol && geom.normals[h.triangle as usize].dot(n).abs() > 1.0 - tolerance::PARALLEL_COS => {
                    // another object's face in the same plane covers the point (a
                    // building's floor on the ground): the point crosses its border
                    let (a, b) = nearest_edge(geom, h.triangle as usize, cur + d * h.t)?;
                    return Some(Constraint::Edge { step: j, a, b, tri: h.triangle as usize });
                }
                Some(h) if h.t < t_plane => {
                    // blocked before the face: the segment from vertex j to `cur` (point
                    // indices j + 1 and j + 2)
                    let (a, b) = nearest_edge(geom, h.triangle as usize, cur + d * h.t)?;
                    return Some(Constraint::Grazed { segment: j + 1, a, b, tri: h.triangle as usize });
                }
                _ => {
                    let q = cur + d * t_plane;
                    if let (true, Some(prev)) = (inside(geom, tri_v, q), skip) {
                        // still on its face, but the way there passes through the face
                        // of the next interaction (a corner where two faces meet): the
                        // point crosses that face's plane
                        return Some(Constraint::Plane { point: j + 1, tri: prev as usize });
                    }
                    // the point left its face: the edge of its triangle it crossed
                    let (a, b) = crossed_edge(geom, tri_v, q)?;
                    return Some(Constraint::Edge { step: j, a, b, tri: tri_v });
                }
            }
        }
        let delta = self.tx.position - cur;
        let dist = delta.length();
        let h = geom.closest_hit(cur, delta / dist, eps, dist - eps, skip)?;
        let (a, b) = nearest_edge(geom, h.triangle as usize, cur + delta / dist * h.t)?;
        Some(Constraint::Grazed { segment: 0, a, b, tri: h.triangle as usize })
    }

    /// The constraint's value `c` (zero at the crossing) in the perturbation's dual
    /// numbers, along the valid side's interactions.
    fn constraint_value(&self, valid: &ResolvedChain, constraint: Constraint, pert: &Perturbation) -> Dual<3> {
        let geom = self.geom;
        let planes: Vec<(V3<Dual<3>>, Dual<3>, bool)> = valid
            .triangles
            .iter()
            .zip(&valid.refraction)
            .map(|(&t, &refr)| {
                let (n, off) = pert.plane(geom, t as usize);
                (n, off, refr)
            })
            .collect();
        let points = path_points(&planes, pert.tx_p, pert.rx_p);
        match constraint {
            Constraint::Edge { step, a, b, tri } => {
                let (ea, eb) = (pert.point(geom, a, tri), pert.point(geom, b, tri));
                let n = pert.plane(geom, tri).0;
                eb.minus(ea).cross(points[step + 1].minus(ea)).dot(n)
            }
            Constraint::Plane { point, tri } => {
                let (n, off) = pert.plane(geom, tri);
                n.dot(points[point]) - off
            }
            Constraint::Grazed { segment, a, b, tri } => {
                let (ea, eb) = (pert.point(geom, a, tri), pert.point(geom, b, tri));
                let (p, q) = (points[segment], points[segment + 1]);
                q.minus(p).dot(ea.minus(p).cross(eb.minus(p)))
            }
        }
    }
}

/// The edge of triangle `tri` that point `p` of its plane, just outside it, lies beyond
/// (opposite its most negative barycentric coordinate).
fn crossed_edge(geom: &SceneGeometry, tri: usize, p: DVec3) -> Option<(DVec3, DVec3)> {
    nearest_edge(geom, tri, p)
}

/// Whether point `p` of triangle `tri`'s plane lies in it, clear of its edges (every
/// barycentric coordinate above 1e-6).
fn inside(geom: &SceneGeometry, tri: usize, p: DVec3) -> bool {
    let [v0, v1, v2] = geom.triangles[tri];
    let [b1, b2] = crate::scene_geometry::barycentric(p, v0, v1, v2);
    b1 > 1e-6 && b2 > 1e-6 && 1.0 - b1 - b2 > 1e-6
}

/// The edge of triangle `tri` nearest to point `p` in it (opposite its smallest
/// barycentric coordinate).
fn nearest_edge(geom: &SceneGeometry, tri: usize, p: DVec3) -> Option<(DVec3, DVec3)> {
    let [v0, v1, v2] = geom.triangles[tri];
    let [b1, b2] = crate::scene_geometry::barycentric(p, v0, v1, v2);
    let b = [1.0 - b1 - b2, b1, b2];
    if !b.iter().all(|x| x.is_finite()) {
        return None;
    }
    let k = (0..3).min_by(|&i, &j| b[i].total_cmp(&b[j]))?;
    let v = [v0, v1, v2];
    Some((v[(k + 1) % 3], v[(k + 2) % 3]))
}
