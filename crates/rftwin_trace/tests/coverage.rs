//! Cell-averaged coverage gradients across solver (A)'s validity boundaries, against
//! closed forms and central finite differences of finely sampled cell averages.

#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rayon::prelude::*;
use rftwin_core::{Antenna, Mesh, Radio, Scene};
use rftwin_trace::coverage::{cell_coverage, CellGrid, CoverageRequest};
use rftwin_trace::{BackendChoice, GradientParam, PathSolver, SceneGeometry, SolverOptions};

fn solver() -> PathSolver {
    PathSolver::new(SolverOptions {
        frequency_hz: 3.5e9,
        max_depth: 2,
        samples: 4000,
        refraction: false,
        backend: BackendChoice::Cpu,
        ..Default::default()
    })
}

const TX: DVec3 = DVec3::new(0.0, 0.0, 5.0);

/// A 4 m × 4 m metal plate on z = 0 under the transmitter; with `wall`, a concrete wall
/// x ∈ [1, 1.2], 2.8 m high, between the transmitter and the receivers.
fn scene(wall: bool) -> Scene {
    let mut s = Scene::new();
    s.add_object("plate", Mesh::quad_xy(-2.0, 2.0, -2.0, 2.0, 0.0), "itu_metal").unwrap();
    if wall {
        s.add_object("wall", Mesh::cuboid(DVec3::new(1.0, -6.0, 0.0), DVec3::new(1.2, 6.0, 2.8)), "itu_concrete").unwrap();
    }
    s
}

/// Receivers 1 m above the plate, x ∈ [2, 3] in two cells, one cell row around y = 0.
fn grid(per_cell: usize) -> CellGrid {
    CellGrid { x: [2.0, 3.0], y: [-0.25, 0.25], z: 1.0, cells: [2, 1], per_cell }
}

/// Mean power of cell 0 (x ∈ [2, 2.5]) on the same scan lines as `grid(lines)`, with `n`
/// receivers per line.
fn mean_cell0(scene: &Scene, lines: usize, n: usize) -> f64 {
    let s = solver();
    let g = grid(lines);
    let (_, dy) = g.cell_size();
    let geom = SceneGeometry::new(scene);
    let pts: Vec<DVec3> = (0..lines)
        .flat_map(|l| (0..n).map(move |j| DVec3::new(2.0 + 0.5 * (j as f64 + 0.5) / n as f64, g.y[0] + (l as f64 + 0.5) * dy / lines as f64, g.z)))
        .collect();
    let sum: f64 = pts.par_iter().map(|&p| s.solve(scene, &geom, &Radio::isotropic(TX), &Radio::isotropic(p)).unwrap().total_power()).sum();
    sum / pts.len() as f64
}

/// `scene` with `object` moved by `d`.
fn translated(scene: &Scene, object: &str, d: DVec3) -> Scene {
    let mut sc = scene.clone();
    sc.translate_object(object, d).unwrap();
    sc
}

/// `∂P̄/∂(translation along axis)` of cell 0 by central differences of [`mean_cell0`].
fn fd_cell0(base: &Scene, object: &str, axis: DVec3, lines: usize, n: usize, h: f64) -> f64 {
    (mean_cell0(&translated(base, object, axis * h), lines, n) - mean_cell0(&translated(base, object, axis * -h), lines, n)) / (2.0 * h)
}

/// The plate's reflection reaches receivers at height 1 only for |x| < 2.4: the rim of
/// the footprint moves at 1.2 × the plate's x velocity. The boundary term must be
/// `(1/Δx) · mean over the scan lines of P_reflection(rim) · 1.2`, and with the interior
/// term match finite differences.
#[test]
fn reflection_footprint_rim() {
    let scene = scene(false);
    let geom = SceneGeometry::new(&scene);
    let param = GradientParam::ObjectTranslation("plate".into());
    let g = grid(4);
    let cov = cell_coverage(&solver(), &scene, &geom, &Radio::isotropic(TX), &CoverageRequest { grid: &g, rx_antenna: &Antenna::default(), param: Some(&param), boundary_term: true, progress: None }).unwrap();
    assert_eq!(cov.unidentified, 0);
    assert_eq!(cov.crossings, 4, "one rim crossing per scan line");
    // closed form: image source (0, 0, −5); reflected power at the rim of each line
    let lambda = 299_792_458.0 / 3.5e9;
    let (_, dy) = g.cell_size();
    let mut expected = 0.0;
    for l in 0..4 {
        let y = g.y[0] + (l as f64 + 0.5) * dy / 4.0;
        let rim = DVec3::new(2.4, y, 1.0);
        let d = (rim - DVec3::new(0.0, 0.0, -5.0)).length();
        // metal (σ = 1e7 S/m): |R| within 1e-3 of 1; V-polarised ends see the whole
        // reflected field (it stays in the vertical plane of incidence)
        expected += (lambda / (4.0 * std::f64::consts::PI * d)).powi(2) * 1.2 / 0.5 / 4.0;
    }
    let b = cov.boundary[0][0];
    println!("boundary term {b:.5e}, closed form (|R| = 1) {expected:.5e}; y, z components {:.2e} {:.2e}", cov.boundary[0][1], cov.boundary[0][2]);
    assert!((b - expected).abs() < 0.02 * expected, "{b} vs {expected}");
    assert!(cov.boundary[0][1].abs() < 1e-6 * expected, "a y translation does not move the rim x = 2.4 (y ≈ 0)");
    assert_eq!(cov.boundary[1][0], 0.0, "no crossing in cell 1");

    // x: the image does not move (interior 0), the rim does; z: both
    for (c, axis) in [(0, DVec3::X), (2, DVec3::Z)] {
        let fd = fd_cell0(&scene, "plate", axis, 4, 2000, 0.02);
        let (interior, full) = (cov.interior[0][c], cov.gradient()[0][c]);
        println!("cell 0, component {c}: interior {interior:.5e}, interior + boundary {full:.5e}, FD {fd:.5e}");
        assert!((full - fd).abs() < 0.05 * fd.abs(), "interior + boundary {full} vs FD {fd}");
        assert!((interior - fd).abs() > 0.2 * fd.abs(), "interior alone {interior} should miss the rim (FD {fd})");
    }
}

/// A wall moving in x moves the LoS shadow edge (x = 4 · (1.2 + t) / 2.2 at height 1)
/// and the blocked part of the reflections; interior + boundary match finite
/// differences, interior alone does not.
#[test]
fn occluder_shadow_edges() {
    let scene = scene(true);
    let geom = SceneGeometry::new(&scene);
    let param = GradientParam::ObjectTranslation("wall".into());
    let g = grid(4);
    let cov = cell_coverage(&solver(), &scene, &geom, &Radio::isotropic(TX), &CoverageRequest { grid: &g, rx_antenna: &Antenna::default(), param: Some(&param), boundary_term: true, progress: None }).unwrap();
    println!("crossings {}, unidentified {}", cov.crossings, cov.unidentified);
    assert_eq!(cov.unidentified, 0);
    assert!(cov.crossings >= 4);
    let fd = fd_cell0(&scene, "wall", DVec3::X, 4, 2000, 0.02);
    let (interior, full) = (cov.interior[0][0], cov.gradient()[0][0]);
    println!("cell 0: interior {interior:.5e}, interior + boundary {full:.5e}, FD {fd:.5e}");
    assert!((full - fd).abs() < 0.05 * fd.abs(), "interior + boundary {full} vs FD {fd}");
    assert!((interior - fd).abs() > 0.5 * fd.abs(), "interior alone {interior} should miss the shadow edge (FD {fd})");
}

#[test]
fn bad_settings_are_errors() {
    let scene = scene(false);
    let geom = SceneGeometry::new(&scene);
    let tx = Radio::isotropic(TX);
    let param = GradientParam::ObjectTranslation("plate".into());
    let run = |g: &CellGrid, p: Option<&GradientParam>, boundary: bool, s: &PathSolver| cell_coverage(s, &scene, &geom, &tx, &CoverageRequest { grid: g, rx_antenna: &Antenna::default(), param: p, boundary_term: boundary, progress: None });
    let s = solver();
    assert!(run(&CellGrid { x: [1.0, 1.0], ..grid(2) }, None, false, &s).is_err());
    assert!(run(&CellGrid { cells: [0, 1], ..grid(2) }, None, false, &s).is_err());
    assert!(run(&grid(0), None, false, &s).is_err());
    assert!(run(&grid(2), None, true, &s).is_err(), "a boundary term needs a parameter");
    assert!(run(&grid(2), Some(&GradientParam::RxPosition), false, &s).is_err());
    let diffracting = PathSolver::new(SolverOptions { diffraction: true, ..s.options });
    assert!(run(&grid(2), Some(&param), true, &diffracting).is_err());
    // without a parameter: powers only; 2 lines of 2 · 2 receivers and the grid's two
    // ends, plus two beside each of the 2 rim crossings
    let cov = run(&grid(2), None, false, &s).unwrap();
    assert!(cov.interior.is_empty() && cov.boundary.is_empty());
    assert_eq!(cov.crossings, 2);
    assert_eq!(cov.receivers, 2 * (2 * 2 + 2) + 2 * 2);
    let p00 = s.solve(&scene, &geom, &tx, &Radio::isotropic(DVec3::new(2.125, -0.125, 1.0))).unwrap().total_power();
    assert!(cov.power[0] > 0.0 && (cov.power[0] - p00).abs() < 0.5 * p00);
}

/// Receivers inside an object get no path: a box whose face sweeps over the receivers
/// moves the edge of that dead zone (the receiver crosses the face's plane).
#[test]
fn face_sweeping_over_receivers() {
    let mut scene = scene(false);
    scene.add_object("box", Mesh::cuboid(DVec3::new(2.3, -1.0, 0.0), DVec3::new(3.5, 1.0, 2.0)), "itu_metal").unwrap();
    let geom = SceneGeometry::new(&scene);
    let param = GradientParam::ObjectTranslation("box".into());
    let g = grid(4);
    let cov = cell_coverage(&solver(), &scene, &geom, &Radio::isotropic(TX), &CoverageRequest { grid: &g, rx_antenna: &Antenna::default(), param: Some(&param), boundary_term: true, progress: None }).unwrap();
    println!("crossings {}, unidentified {}", cov.crossings, cov.unidentified);
    let fd = fd_cell0(&scene, "box", DVec3::X, 4, 2000, 0.02);
    let (interior, full) = (cov.interior[0][0], cov.gradient()[0][0]);
    println!("cell 0: interior {interior:.5e}, interior + boundary {full:.5e}, FD {fd:.5e}");
    assert_eq!(cov.unidentified, 0);
    assert!((full - fd).abs() < 0.05 * fd.abs(), "interior + boundary {full} vs FD {fd}");
}

/// A 1 cm × 15 cm beam at x ≈ 1.16, z ∈ [2.85, 3] casts a LoS shadow band
/// x ∈ [4·1.1556/2.15, 2·1.1656] = [2.150, 2.331] at height 1, between the receivers
/// x = 2.125 and 2.375 of a 2-receiver cell: the LoS family is valid at both receivers
/// and lost in between. Raising the beam moves the two band edges at different rates
/// (1.000 and 1.166), so the cell's power changes only through those two crossings.
#[test]
fn thin_occluder_between_receivers() {
    let mut scene = scene(false);
    scene.add_object("beam", Mesh::cuboid(DVec3::new(1.1556, -6.0, 2.85), DVec3::new(1.1656, 6.0, 3.0)), "itu_concrete").unwrap();
    let geom = SceneGeometry::new(&scene);
    let param = GradientParam::ObjectTranslation("beam".into());
    let g = grid(2);
    let cov = cell_coverage(&solver(), &scene, &geom, &Radio::isotropic(TX), &CoverageRequest { grid: &g, rx_antenna: &Antenna::default(), param: Some(&param), boundary_term: true, progress: None }).unwrap();
    println!("crossings {}, unidentified {}", cov.crossings, cov.unidentified);
    assert_eq!(cov.unidentified, 0);
    assert!(cov.crossings >= 2 * 3, "per line: both band edges and the plate's rim");
    let dense = mean_cell0(&scene, 2, 4000);
    println!("cell 0 power {:.5e}, dense sampling {dense:.5e}", cov.power[0]);
    assert!((cov.power[0] - dense).abs() < 0.01 * dense, "the band's missing power is counted");
    let fd = fd_cell0(&scene, "beam", DVec3::Z, 2, 8000, 0.02);
    let (interior, full) = (cov.interior[0][2], cov.gradient()[0][2]);
    println!("cell 0, z: interior {interior:.5e}, interior + boundary {full:.5e}, FD {fd:.5e}");
    assert!((full - fd).abs() < 0.05 * fd.abs(), "interior + boundary {full} vs FD {fd}");
    assert!((interior - fd).abs() > 0.5 * fd.abs(), "interior alone {interior} should miss the band edges (FD {fd})");
}

/// The plate's footprint rim (x = 2.4 at height 1) lies exactly on the border of two
/// cells: the cell averages have a kink there (the rim leaves one cell as it enters the
/// other), and the derivative gives half the crossing's term to each cell, which is what
/// central differences of the cell averages see.
#[test]
#[allow(clippy::needless_range_loop)]
fn crossing_on_a_cell_border() {
    let scene = scene(false);
    let s = solver();
    let param = GradientParam::ObjectTranslation("plate".into());
    let g = CellGrid { x: [1.8, 3.0], y: [-0.25, 0.25], z: 1.0, cells: [2, 1], per_cell: 4 };
    let run = |sc: &Scene, p: Option<&GradientParam>| cell_coverage(&s, sc, &SceneGeometry::new(sc), &Radio::isotropic(TX), &CoverageRequest { grid: &g, rx_antenna: &Antenna::default(), param: p, boundary_term: p.is_some(), progress: None }).unwrap();
    let cov = run(&scene, Some(&param));
    let h = 1e-4;
    let (pp, pm) = (run(&translated(&scene, "plate", DVec3::X * h), None), run(&translated(&scene, "plate", DVec3::X * -h), None));
    let full = cov.gradient();
    for c in 0..2 {
        let fd = (pp.power[c] - pm.power[c]) / (2.0 * h);
        println!("cell {c}: interior {:.5e}, boundary {:.5e}, full {:.5e}, FD {fd:.5e}", cov.interior[c][0], cov.boundary[c][0], full[c][0]);
        assert!(fd.abs() > 0.0 && (full[c][0] - fd).abs() < 0.05 * fd.abs(), "cell {c}: {} vs FD {fd}", full[c][0]);
    }
    assert!((cov.boundary[0][0] - cov.boundary[1][0]).abs() < 1e-3 * cov.boundary[0][0].abs(), "half of the rim's term to each cell");
}

/// On this line of the `coverage_gradient` street, the vehicle's west-face reflection
/// lives only in a 4 cm sliver between two receivers (its reflection point between the
/// face's north and top edges), which the solver's candidate search misses at θ = 0 but
/// not at θ = 10⁻⁸ m. The cell averages must not jump: the reflection's ground-bounce
/// twin crosses the same edge, and its one-interaction-shorter chain is tested beside
/// that crossing.
#[test]
fn sliver_family_between_receivers_is_found() {
    let mut scene = Scene::new();
    scene.add_object("ground", Mesh::quad_xy(-15.0, 15.0, -15.0, 15.0, 0.0), "itu_concrete").unwrap();
    scene.add_object("building_a", Mesh::cuboid(DVec3::new(-6.0, 6.0, 0.0), DVec3::new(4.0, 12.0, 10.0)), "itu_concrete").unwrap();
    scene.add_object("building_b", Mesh::cuboid(DVec3::new(2.0, -12.0, 0.0), DVec3::new(10.0, -7.0, 8.0)), "itu_brick").unwrap();
    scene.add_object("vehicle", Mesh::cuboid(DVec3::new(-2.0, -1.0, 0.0), DVec3::new(2.5, 1.0, 1.8)), "itu_metal").unwrap();
    let s = PathSolver::new(SolverOptions { frequency_hz: 3.5e9, max_depth: 2, samples: 20_000, refraction: false, backend: BackendChoice::Cpu, ..Default::default() });
    let tx = Radio::isotropic(DVec3::new(-10.0, -3.0, 6.0));
    // cells 18–20 of row 26 of the 48 × 48 grid over [−14, 14]², its first scan line
    let w = 28.0 / 48.0;
    let y = -14.0 + 26.0 * w + 0.5 * w / 3.0;
    let g = CellGrid { x: [-14.0 + 18.0 * w, -14.0 + 21.0 * w], y: [y - 1e-7, y + 1e-7], z: 1.5, cells: [3, 1], per_cell: 3 };
    let power = |d: f64| {
        let sc = translated(&scene, "vehicle", DVec3::X * d);
        cell_coverage(&s, &sc, &SceneGeometry::new(&sc), &tx, &CoverageRequest { grid: &g, rx_antenna: &Antenna::default(), param: None, boundary_term: false, progress: None }).unwrap().power
    };
    let (base, plus, minus) = (power(0.0), power(1e-8), power(-1e-8));
    for c in 0..3 {
        println!("cell {c}: P̄ {:.7e} at θ = 0, {:.7e} at +1e-8, {:.7e} at −1e-8", base[c], plus[c], minus[c]);
        for other in [plus[c], minus[c]] {
            assert!((other - base[c]).abs() < 1e-6 * base[c], "cell {c}: the average jumps ({} vs {other})", base[c]);
        }
    }
}
