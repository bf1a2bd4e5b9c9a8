//! One scan line of a coverage map: receivers solved along x, the pieces where each
//! path family is valid, the crossings where one is born or dies, and their integrals
//! deposited into the cells.

use super::{CellGrid, Context, Family, FamilyValue};
use crate::error::Result;
use crate::paths::gradients::path_gradients;
use rayon::prelude::*;

/// A scan line `y = const` at height `z`, and what it computes.
pub(super) struct ScanLine<'c, 'a> {
    /// The solve's shared inputs.
    pub(super) ctx: &'c Context<'a>,
    /// The line's y \[m\].
    pub(super) y: f64,
    /// The receivers' height \[m\].
    pub(super) z: f64,
    /// Whether crossings contribute the boundary term.
    pub(super) boundary: bool,
    /// Components of the parameter (0 without one).
    pub(super) nc: usize,
}

/// A piece of a scan line: a family valid over `x` (values at both ends), or a crossing.
#[derive(Debug, Clone)]
pub(super) enum Piece {
    Span { x: [f64; 2], power: [f64; 2], grad: [Vec<f64>; 2] },
    Crossing { x: f64, rate: Option<Vec<f64>> },
}

/// One scan line's integrals along x per cell: `∫ P dx`, `∫ ∂P/∂θ dx` and the boundary
/// sum `Σ jump · ∂x*/∂θ`.
pub(super) struct LineResult {
    pub(super) power: Vec<f64>,
    pub(super) interior: Vec<Vec<f64>>,
    pub(super) boundary: Vec<Vec<f64>>,
    pub(super) receivers: u64,
    pub(super) crossings: u64,
    pub(super) unidentified: u64,
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

impl ScanLine<'_, '_> {
    pub(super) fn integrate(&self, grid: &CellGrid) -> Result<LineResult> {
        let (nx, m) = (grid.cells[0], grid.per_cell);
        let (dx, _) = grid.cell_size();
        // the grid's ends, then the midpoints of the m sub-intervals of every cell
        let mut xs = vec![grid.x[0]];
        xs.extend((0..nx * m).map(|j| grid.x[0] + (j as f64 + 0.5) * dx / m as f64));
        xs.push(grid.x[1]);
        let solved: Vec<Vec<FamilyValue>> = xs.par_iter().map(|&x| self.solve_receiver(x)).collect::<Result<_>>()?;
        let near = |j: usize| -> Vec<&[FamilyValue]> { solved[j.saturating_sub(1)..(j + 3).min(solved.len())].iter().map(|v| v.as_slice()).collect() };
        let mut intervals: Vec<Vec<Piece>> = (0..xs.len() - 1)
            .into_par_iter()
            .map(|j| self.interval(&near(j), [&solved[j], &solved[j + 1]], [xs[j], xs[j + 1]]))
            .collect::<Result<_>>()?;
        // Paths that live only near a boundary (a corner path by a face that sweeps over
        // the receivers) may be valid at no receiver of the line: solve beside every
        // crossing as well, and redo the intervals where that finds new paths.
        let redone: Vec<(usize, Vec<Piece>, u64)> = intervals
            .par_iter()
            .enumerate()
            .map(|(j, pieces)| self.redo_beside_crossings(pieces, &near(j), [&solved[j], &solved[j + 1]], [xs[j], xs[j + 1]], dx).map(|r| r.map(|(p, n)| (j, p, n))))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let mut extra_receivers = 0;
        for (j, pieces, solves) in redone {
            extra_receivers += solves;
            if !pieces.is_empty() {
                intervals[j] = pieces;
            }
        }
        let mut out = self.deposit_pieces(grid, intervals.into_iter().flatten());
        out.receivers = xs.len() as u64 + extra_receivers;
        Ok(out)
    }

    /// The path families at receiver `x` of the line, with their power and derivative.
    fn solve_receiver(&self, x: f64) -> Result<Vec<FamilyValue>> {
        let rx = self.ctx.receiver(x, self.y, self.z);
        let paths = self.ctx.solver.solve(self.ctx.scene, self.ctx.geom, self.ctx.tx, &rx)?;
        let grads = match self.ctx.param {
            Some(p) => path_gradients(self.ctx.scene, self.ctx.geom, &paths, self.ctx.tx, &rx, p)?.power,
            None => vec![Vec::new(); paths.num_paths()],
        };
        let mut values: Vec<FamilyValue> = Vec::new();
        for (i, grad) in grads.into_iter().enumerate() {
            let family = self.ctx.family(&paths, i)?;
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
    }

    /// Solves beside every crossing of `pieces` (interval `[xa, xb]`); if that finds
    /// families unknown around the interval, its pieces redone with them. `None` without
    /// crossings; else the new pieces (empty if nothing new) and the solves spent.
    fn redo_beside_crossings(&self, pieces: &[Piece], near: &[&[FamilyValue]], at: [&[FamilyValue]; 2], [xa, xb]: [f64; 2], dx: f64) -> Result<Option<(Vec<Piece>, u64)>> {
        let mut stars: Vec<f64> = crossing_xs(pieces).collect();
        stars.sort_by(f64::total_cmp);
        stars.dedup_by(|a, b| (*a - *b).abs() < crate::tolerance::PROBE_OFFSET_REL * dx);
        if stars.is_empty() {
            return Ok(None);
        }
        let known: Vec<&Family> = near.iter().flat_map(|vs| vs.iter().map(|v| &v.family)).collect();
        let mut found: Vec<FamilyValue> = Vec::new();
        let mut solves = 0;
        for x in stars {
            for side in [-1.0, 1.0] {
                let xp = (x + side * crate::tolerance::PROBE_OFFSET_REL * dx).clamp(xa, xb);
                let paths = self.ctx.solver.solve(self.ctx.scene, self.ctx.geom, self.ctx.tx, &self.ctx.receiver(xp, self.y, self.z))?;
                solves += 1;
                for i in 0..paths.num_paths() {
                    let family = self.ctx.family(&paths, i)?;
                    if !known.contains(&&family) && !found.iter().any(|f| f.family == family) {
                        found.push(FamilyValue { family, power: 0.0, grad: Vec::new() });
                    }
                }
            }
        }
        if found.is_empty() {
            return Ok(Some((Vec::new(), solves)));
        }
        let mut with_found = near.to_vec();
        with_found.push(&found);
        Ok(Some((self.interval(&with_found, at, [xa, xb])?, solves)))
    }

    /// Integrates the pieces into the cells: `∫ P dx` and `∫ ∂P/∂θ dx` of every span, and
    /// every crossing's boundary contribution to its cell.
    fn deposit_pieces(&self, grid: &CellGrid, pieces: impl Iterator<Item = Piece>) -> LineResult {
        let (nx, nc) = (grid.cells[0], self.nc);
        let (dx, _) = grid.cell_size();
        let mut power = vec![vec![0.0; 1]; nx];
        let mut interior = vec![vec![0.0; nc]; nx];
        let mut out = LineResult { power: Vec::new(), interior: Vec::new(), boundary: vec![vec![0.0; nc]; nx], receivers: 0, crossings: 0, unidentified: 0 };
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
                            let cells: &[(f64, f64)] = if (u - k).abs() < crate::tolerance::CELL_BORDER_REL { &[(k - 1.0, 0.5), (k, 0.5)] } else { &[(u.floor(), 1.0)] };
                            for &(ix, share) in cells {
                                if ix >= 0.0 && (ix as usize) < nx {
                                    out.boundary[ix as usize].iter_mut().zip(&rate).for_each(|(a, b)| *a += share * b);
                                }
                            }
                        }
                        None if self.boundary => out.unidentified += 1,
                        None => {}
                    }
                }
            }
        }
        out.power = power.into_iter().map(|p| p[0]).collect();
        out.interior = interior;
        out
    }

    /// The pieces of `[xa, xb]`: per family (those the solver found at these two
    /// receivers and their neighbours), the part where it is valid, with its power and
    /// derivative at the ends of that part, and, with `boundary`, each crossing's
    /// contribution. A family valid at neither end is probed at three inner points; if
    /// valid at one, both its crossings are found. A family valid at both ends is probed
    /// at the same points; if lost at one, so are both crossings around it.
    fn interval(&self, near: &[&[FamilyValue]], at: [&[FamilyValue]; 2], [xa, xb]: [f64; 2]) -> Result<Vec<Piece>> {
        let (y, z, nc) = (self.y, self.z, self.nc);
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
                    None => self.ctx.family_value(family, x, y, z, nc),
                }
            };
            let (ok_a, ok_b) = (self.ctx.valid(family, xa, y, z).is_some(), self.ctx.valid(family, xb, y, z).is_some());
            match (ok_a, ok_b) {
                (true, true) => {
                    let (Some((pa, ga)), Some((pb, gb))) = (value(0, xa)?, value(1, xb)?) else { continue };
                    // a thin occluder (or a gap between faces) between the two receivers:
                    // the family is lost in between, with a crossing on each side
                    match probes(xa, xb).find(|&x| self.ctx.valid(family, x, y, z).is_none()) {
                        Some(x_out) => {
                            pieces.extend(self.cut(family, xa, x_out, (pa, ga))?);
                            pieces.extend(self.cut(family, xb, x_out, (pb, gb))?);
                        }
                        None => pieces.push(Piece::Span { x: [xa, xb], power: [pa, pb], grad: [ga, gb] }),
                    }
                }
                (true, false) | (false, true) => {
                    let (x_valid, end) = if ok_a { (xa, 0) } else { (xb, 1) };
                    let Some((p, g)) = value(end, x_valid)? else { continue };
                    pieces.extend(self.cut(family, x_valid, if ok_a { xb } else { xa }, (p, g))?);
                }
                (false, false) => match probes(xa, xb).find(|&x| self.ctx.valid(family, x, y, z).is_some()) {
                    Some(x_in) => pieces.extend(self.both_ways(family, x_in, [xa, xb])?),
                    None => deferred.push(family),
                },
            }
        }
        // A family valid at neither end nor probe may still live in a sliver that begins
        // where another family's validity ends (a reflection whose ground-bounce twin
        // crosses the same face edge): probe beside every crossing found so far.
        let eps = crate::tolerance::PROBE_OFFSET_REL * (xb - xa);
        let stars: Vec<f64> = crossing_xs(&pieces).collect();
        for family in deferred {
            let mut beside = stars.iter().flat_map(|&x| [x - eps, x + eps]).filter(|&x| x > xa && x < xb);
            if let Some(x_in) = beside.find(|&x| self.ctx.valid(family, x, y, z).is_some()) {
                pieces.extend(self.both_ways(family, x_in, [xa, xb])?);
            }
        }
        Ok(pieces)
    }
    /// The pieces of a family valid at `x_in` inside `[xa, xb]` and at neither end: the
    /// spans to its crossings on both sides.
    fn both_ways(&self, family: &Family, x_in: f64, [xa, xb]: [f64; 2]) -> Result<Vec<Piece>> {
        let (y, z, nc) = (self.y, self.z, self.nc);
        let Some((p, g)) = self.ctx.family_value(family, x_in, y, z, nc)? else { return Ok(Vec::new()) };
        let mut pieces = self.cut(family, x_in, xa, (p, g.clone()))?;
        pieces.extend(self.cut(family, x_in, xb, (p, g))?);
        Ok(pieces)
    }
    /// The piece from `x_valid`, where `family` is valid with power and derivative
    /// `(p, g)`, to its crossing towards `x_invalid`, and the crossing.
    fn cut(&self, family: &Family, x_valid: f64, x_invalid: f64, (p, g): (f64, Vec<f64>)) -> Result<Vec<Piece>> {
        let valid_left = x_valid < x_invalid;
        let ends = |x: f64, p_star: f64| if valid_left { ([x_valid, x], [p, p_star]) } else { ([x, x_valid], [p_star, p]) };
        Ok(match self.crossing(family, if valid_left { [x_valid, x_invalid] } else { [x_invalid, x_valid] }, valid_left)? {
            Some((x_star, p_star, rate)) => {
                let (span, power) = ends(x_star, p_star);
                let mut pieces = self.split_at_cell_borders(family, span, power, g, valid_left)?;
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
    fn split_at_cell_borders(&self, family: &Family, [a, b]: [f64; 2], [pa, pb]: [f64; 2], g: Vec<f64>, valid_left: bool) -> Result<Vec<Piece>> {
        let (y, z) = (self.y, self.z);
        let (x0, dx) = (self.ctx.cell_x0, self.ctx.cell_dx);
        let tol = crate::tolerance::CELL_BORDER_REL * dx;
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
            match self.ctx.family_value(family, x, y, z, g.len())? {
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
}
