//! RIS inside solver (A): the element-sum paths against the RIS-ISAC channel model of
//! `rftwin_isac` (free space), Tang et al.'s far-field formula, the macroscopic model,
//! multipath legs through walls, occlusion, the phase VJP against central differences,
//! and bad input.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin::core::constants::SPEED_OF_LIGHT;
use rftwin::core::ris::{RisModel, RisProfile, RisSurface};
use rftwin::trace::paths::channel::cfr;
use rftwin::trace::paths::ris::phase_vjp;
use rftwin::trace::paths::solver::{PathSolver, SolverOptions};
use rftwin::trace::BackendChoice;
use rftwin::{Complex, Mesh, Paths, Radio, Scene};
use std::f64::consts::{PI, TAU};

fn solve(scene: &Scene, tx: DVec3, rx: DVec3, frequency_hz: f64, max_depth: usize) -> Paths {
    let o = SolverOptions { frequency_hz, max_depth, samples: 20_000, backend: BackendChoice::Cpu, ..Default::default() };
    PathSolver::new(o).solve_scene(scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap()
}

/// `p` without its ordinary paths: the RIS families alone.
fn ris_families_only(p: Paths) -> Paths {
    Paths { tau: vec![], a: vec![], k_tx: vec![], k_rx: vec![], interactions: vec![], objects: vec![], primitives: vec![], vertices: vec![], ..p }
}

/// A scene whose only object is a small block far behind everything (free space for
/// the paths of interest).
fn free_space() -> Scene {
    let mut scene = Scene::new();
    scene.add_object("far", Mesh::cuboid(DVec3::new(-60.0, -60.0, -60.0), DVec3::new(-59.0, -59.0, -59.0)), "concrete").unwrap();
    scene
}

#[test]
fn free_space_element_terms_equal_the_isac_channel_model_for_every_element_and_configuration() {
    use rftwin::isac::ris_imaging::channel::{sensing_terms, Hops};
    use rftwin::isac::ris_imaging::RisImagingConfig;
    // One row of elements in the plane of the radios (z = 0): with vertically polarised
    // isotropic antennas the polarimetric transport is exactly 1, so the tracer's terms
    // must be λ/√(4π) times the scalar model's to rounding.
    let mut config = RisImagingConfig { ris: rftwin::isac::geometry::Ris::new(DVec3::ZERO, [12, 1], [0.05, 0.05]).unwrap(), ..Default::default() };
    config.roi.dims = [1, 2, 2];
    config.band.wave_speed = SPEED_OF_LIGHT;
    let lambda = config.wavelength();
    let k = TAU / lambda;
    let surface = config.ris.surface("ris").unwrap();
    let mut scene = free_space();
    scene.add_ris(surface.clone()).unwrap();
    let hops = Hops::new(&config, k);
    for (t, r) in [(0usize, 0usize), (7, 3)] {
        let (tx, rx) = (config.tx.positions()[t], config.rx.positions()[r]);
        let paths = solve(&scene, tx, rx, config.band.centre, 1);
        assert_eq!(paths.ris_paths.len(), 1, "one TX–RIS–RX family");
        let family = &paths.ris_paths[0];
        assert_eq!(family.terms.len(), surface.count());
        for term in &family.terms {
            let m = term.element as usize;
            let mut one_hot = vec![Complex::new(0.0, 0.0); surface.count()];
            one_hot[m] = Complex::new(1.0, 0.0);
            let theirs = sensing_terms(&config, &hops, lambda, &[0.0; 4], Some(&one_hot)).unwrap().tx_ris_rx[(t, r)];
            let ours = term.b * rftwin::core::paths::propagation_phasor(config.band.centre, term.tau) * ((4.0 * PI).sqrt() / lambda);
            assert!((ours - theirs).norm() <= 1e-9 * theirs.norm(), "TX {t} RX {r} element {m}: {ours} vs {theirs}");
        }
        // configurations: the family's response with any profile is the model's sum
        let mut paths = paths;
        for seed in 0..3u64 {
            let omega: Vec<Complex> = (0..surface.count()).map(|m| Complex::from_polar(0.5 + 0.04 * m as f64, 0.77 * (seed as f64 + 1.0) * (m * m) as f64)).collect();
            paths.set_ris_profile(0, omega.clone()).unwrap();
            let theirs = sensing_terms(&config, &hops, lambda, &[0.0; 4], Some(&omega)).unwrap().tx_ris_rx[(t, r)];
            let ours = paths.ris_response(&paths.ris_paths[0], config.band.centre) * ((4.0 * PI).sqrt() / lambda);
            assert!((ours - theirs).norm() <= 1e-9 * theirs.norm(), "configuration {seed}: {ours} vs {theirs}");
        }
    }
}

#[test]
fn a_planar_ris_keeps_exact_delays_and_loses_at_most_the_polarisation_mismatch() {
    let (frequency, side) = (28e9, 8usize);
    let lambda = SPEED_OF_LIGHT / frequency;
    let ris = RisSurface::new("ris", DVec3::ZERO, DVec3::X, DVec3::Z, [side, side], [lambda / 2.0; 2]).unwrap();
    let (tx, rx) = (DVec3::new(1.0, 0.6, 0.3), DVec3::new(0.8, -0.7, -0.2));
    let mut scene = free_space();
    scene.add_ris(ris.clone()).unwrap();
    let paths = solve(&scene, tx, rx, frequency, 1);
    let gain = ris.element_gain(lambda);
    for t in &paths.ris_paths[0].terms {
        let p = ris.element_position(t.element as usize);
        let (d1, d2) = (tx.distance(p), p.distance(rx));
        assert!((t.tau * SPEED_OF_LIGHT - (d1 + d2)).abs() < 1e-12, "element {}: delay", t.element);
        let scalar = lambda / (4.0 * PI).sqrt() * gain / (4.0 * PI * d1 * d2);
        let ratio = t.b.norm() / scalar;
        // |P| ≤ 1 (a passive rotation and projections); the vertically polarised field
        // meets the RIS 10–15° off the horizontal plane here, where |P| drops to ≈ 0.84
        assert!(ratio <= 1.0 + 1e-12 && ratio > 0.8, "element {}: |P| = {ratio}", t.element);
    }
    // the RIS sits between nothing here: LoS is kept
    assert_eq!(paths.num_paths(), 1);
}

#[test]
fn far_field_power_matches_tang_et_al_and_the_macroscopic_model() {
    // Tang et al. (TWC 2021), far-field beamforming with isotropic elements (G = 4πξ²/λ²,
    // F = 1) and antennas: P_r/P_t = (M N)² ξ⁴ / (16 π² d₁² d₂²).
    let frequency = 28e9;
    let lambda = SPEED_OF_LIGHT / frequency;
    let k = TAU / lambda;
    let side = 16usize;
    let (d1, d2) = (6.0, 5.0);
    let dir = |az: f64| DVec3::new(az.to_radians().cos(), az.to_radians().sin(), 0.0);
    let (tx, rx) = (dir(30.0) * d1, dir(-50.0) * d2);
    let mut ris = RisSurface::new("ris", DVec3::ZERO, DVec3::X, DVec3::Z, [side, side], [lambda / 2.0; 2]).unwrap();
    ris.configurations[0] = ris.phase_gradient(dir(30.0), dir(-50.0), k).unwrap();
    let mut scene = free_space();
    scene.add_ris(ris.clone()).unwrap();
    let a = solve(&scene, tx, rx, frequency, 1);
    let power_a = a.ris_paths.iter().map(|p| a.ris_response(p, frequency).norm_sqr()).sum::<f64>();
    let xi = lambda / 2.0;
    let m = (side * side) as f64;
    let tang = m * m * xi.powi(4) / (16.0 * PI * PI * d1 * d1 * d2 * d2);
    let db_tang = 10.0 * (power_a / tang).log10();
    ris.model = RisModel::PhaseGradient { from: dir(30.0), to: dir(-50.0) };
    let mut scene_b = free_space();
    scene_b.add_ris(ris).unwrap();
    let b = solve(&scene_b, tx, rx, frequency, 1);
    assert_eq!(b.ris_paths[0].terms.len(), 1, "model (b) is one term");
    let power_b = b.ris_paths.iter().map(|p| b.ris_response(p, frequency).norm_sqr()).sum::<f64>();
    let db_ab = 10.0 * (power_a / power_b).log10();
    eprintln!("RIS far field: element sum vs Tang et al. {db_tang:+.3} dB, vs macroscopic model {db_ab:+.3} dB");
    assert!(db_tang.abs() < 0.5, "{db_tang} dB from Tang et al.");
    assert!(db_ab.abs() < 1.0, "models (a) and (b) differ by {db_ab} dB");
    // the macroscopic model refuses a per-element phase gradient
    assert!(phase_vjp(&b, 0, &[frequency], &[Complex::new(1.0, 0.0)]).unwrap_err().to_string().contains("element-sum"));
    // through the tracer, the element sum's far-field peak over receiver azimuth is at the
    // generalised Snell direction (−50°), within one beamwidth (λ/(Mξ cos 50°) ≈ 11°)
    let power_at = |az: f64| {
        let p = solve(&scene, tx, dir(az) * 40.0, frequency, 1);
        p.ris_paths.iter().map(|f| p.ris_response(f, frequency).norm_sqr()).sum::<f64>()
    };
    let peak = (0..=120).map(|i| -80.0 + 0.5 * i as f64).max_by(|x, y| power_at(*x).total_cmp(&power_at(*y))).unwrap();
    eprintln!("RIS anomalous reflection: peak at {peak}° (designed −50°)");
    assert!((peak + 50.0).abs() < 11.0, "peak at {peak}°");
}

/// A concrete wall in the plane y = −2 (facing +y) and a RIS at x = 0 facing +x.
fn room(side: usize, lambda: f64) -> (Scene, RisSurface) {
    let mut scene = Scene::new();
    let wall = Mesh::new(
        "wall",
        vec![DVec3::new(-1.0, -2.0, -2.0), DVec3::new(6.0, -2.0, -2.0), DVec3::new(6.0, -2.0, 2.0), DVec3::new(-1.0, -2.0, 2.0)],
        vec![[0, 1, 2], [0, 2, 3]],
    )
    .unwrap();
    scene.add_object("wall", wall, "concrete").unwrap();
    let ris = RisSurface::new("ris", DVec3::new(0.0, 0.0, 0.0), DVec3::X, DVec3::Z, [side, side], [lambda / 2.0; 2]).unwrap();
    scene.add_ris(ris.clone()).unwrap();
    (scene, ris)
}

#[test]
fn legs_reflect_off_walls_with_exact_unfolded_lengths_and_the_ris_occludes() {
    let frequency = 28e9;
    let lambda = SPEED_OF_LIGHT / frequency;
    let (scene, ris) = room(4, lambda);
    let (tx, rx) = (DVec3::new(3.0, 1.0, 0.2), DVec3::new(2.0, -1.0, -0.1));
    let paths = solve(&scene, tx, rx, frequency, 2);
    // TX–RIS–RX, TX–wall–RIS–RX, TX–RIS–wall–RX
    let wall = scene.object_index("wall").unwrap() as u32;
    let shapes: Vec<(Vec<u32>, Vec<u32>)> = paths.ris_paths.iter().map(|p| (p.incoming.clone(), p.outgoing.clone())).collect();
    for want in [(vec![], vec![]), (vec![wall], vec![]), (vec![], vec![wall])] {
        assert!(shapes.contains(&want), "missing RIS family {want:?} in {shapes:?}");
    }
    let image_tx = DVec3::new(tx.x, -4.0 - tx.y, tx.z); // mirrored in y = −2
    let through_wall = paths.ris_paths.iter().find(|p| p.incoming == vec![wall]).unwrap();
    for t in &through_wall.terms {
        let p = ris.element_position(t.element as usize);
        assert!((t.tau * SPEED_OF_LIGHT - (image_tx.distance(p) + p.distance(rx))).abs() < 1e-12, "unfolded length of element {}", t.element);
    }
    assert_eq!(paths.stats.ris_hidden_terms, 0);

    // a RIS hung between TX and RX blocks the line of sight
    let mut blocked = scene.clone();
    blocked.add_ris(RisSurface::new("screen", DVec3::new(2.5, 0.0, 0.05), DVec3::new(1.0, 0.1, 0.0), DVec3::Z, [40, 40], [0.025, 0.025]).unwrap()).unwrap();
    let p = solve(&blocked, tx, rx, frequency, 2);
    assert!(p.stats.ris_blocked_paths >= 1, "LoS through the screen must be dropped");
    assert!(p.iter().all(|path| !path.interactions.is_empty()), "no line of sight through the screen");
    // with the RIS switched off in the solver, nothing is blocked or reradiated
    let off = PathSolver::new(SolverOptions { frequency_hz: frequency, max_depth: 2, samples: 20_000, backend: BackendChoice::Cpu, ris: false, ..Default::default() })
        .solve_scene(&blocked, &Radio::isotropic(tx), &Radio::isotropic(rx))
        .unwrap();
    assert!(off.ris_paths.is_empty() && off.stats.ris_blocked_paths == 0 && off.iter().any(|path| path.interactions.is_empty()));
}

#[test]
fn the_phase_vjp_of_a_wideband_power_loss_matches_central_differences() {
    let frequency = 28e9;
    let lambda = SPEED_OF_LIGHT / frequency;
    let (scene, ris) = room(3, lambda);
    let (tx, rx) = (DVec3::new(3.0, 1.0, 0.2), DVec3::new(2.0, -1.0, -0.1));
    let mut paths = solve(&scene, tx, rx, frequency, 2);
    let freqs: Vec<f64> = (0..5).map(|i| frequency + (i as f64 - 2.0) * 50e6).collect();
    let mut profile = ris.focus(tx, rx, TAU / lambda).unwrap();
    profile.amplitude.iter_mut().enumerate().for_each(|(m, a)| *a = 0.7 + 0.02 * m as f64);
    assert_phase_vjp_matches_central_differences(&mut paths, &profile, &freqs);
}

/// The phase VJP of RIS 0 for the wideband power loss `Σ |H(f)|²` at `profile` against
/// central differences of the loss, element by element (within 1 %).
fn assert_phase_vjp_matches_central_differences(paths: &mut Paths, profile: &RisProfile, freqs: &[f64]) {
    let set = |paths: &mut Paths, p: &RisProfile| paths.set_ris_profile(0, p.coefficients()).unwrap();
    let loss = |paths: &Paths| cfr(paths, freqs).iter().map(|h| h.norm_sqr()).sum::<f64>();
    set(paths, profile);
    let h = cfr(paths, freqs);
    let grad = phase_vjp(paths, 0, freqs, &h.iter().map(|h| h * 2.0).collect::<Vec<_>>()).unwrap();
    let step = 1e-6;
    for (m, &g) in grad.iter().enumerate() {
        let mut plus = profile.clone();
        plus.phase[m] += step;
        set(paths, &plus);
        let lp = loss(paths);
        let mut minus = profile.clone();
        minus.phase[m] -= step;
        set(paths, &minus);
        let fd = (lp - loss(paths)) / (2.0 * step);
        set(paths, profile);
        assert!((g - fd).abs() <= 0.01 * fd.abs().max(1e-4 * loss(paths)), "element {m}: {g} vs {fd}");
    }
}

#[test]
fn bad_ris_input_is_a_clear_error() {
    let mut scene = free_space();
    assert!(RisSurface::new("r", DVec3::ZERO, DVec3::X, DVec3::Z, [0, 3], [0.01, 0.01]).unwrap_err().to_string().contains("[0, 3]"));
    let mut ris = RisSurface::new("r", DVec3::ZERO, DVec3::X, DVec3::Z, [2, 2], [0.01, 0.01]).unwrap();
    ris.configurations[0].phase[2] = f64::NAN;
    assert!(scene.add_ris(ris.clone()).unwrap_err().to_string().contains("element 2"));
    ris.configurations[0] = RisProfile::from_phases(vec![0.0; 5]);
    assert!(scene.add_ris(ris.clone()).unwrap_err().to_string().contains("5 phases for 4 elements"));
    ris.configurations[0] = RisProfile::from_phases(vec![0.0; 4]);
    scene.add_ris(ris.clone()).unwrap();
    assert!(scene.add_ris(ris).unwrap_err().to_string().contains("named 'r'"));
    let json = r#"{"name": "w", "centre": [0, 0, 0], "normal": [1, 0, 0], "up": [0, 0, 1], "elements": [4, 4], "element_size": [0.01, 0.01], "size": [0.04, 0.05]}"#;
    assert!(RisSurface::from_json(json).unwrap_err().to_string().contains("does not fit"));
    assert!(RisSurface::from_json(&json.replace("0.05]", "0.04]")).is_ok());
    // a profile of the wrong length or with NaN handed to solved paths
    let mut paths = solve(&scene, DVec3::new(1.0, 0.5, 0.0), DVec3::new(1.0, -0.5, 0.0), 28e9, 1);
    assert!(paths.set_ris_profile(0, vec![Complex::new(1.0, 0.0); 3]).unwrap_err().to_string().contains("3 coefficients"));
    assert!(paths.set_ris_profile(0, vec![Complex::new(f64::NAN, 0.0); 4]).unwrap_err().to_string().contains("element 0"));
    // per-vertex gradients of RIS paths are refused, not zero
    let geom = rftwin::trace::scene_geometry::SceneGeometry::new(&scene);
    let err = rftwin::trace::paths::gradients::path_vertex_gradients(&scene, &geom, &paths, &Radio::isotropic(DVec3::new(1.0, 0.5, 0.0)), &Radio::isotropic(DVec3::new(1.0, -0.5, 0.0)), "far").unwrap_err();
    assert!(err.to_string().contains("RIS"), "{err}");
}

#[test]
fn ris_load_from_json_and_xml_scenes_and_unmodelled_solvers_refuse_them() {
    let dir = std::env::temp_dir().join("rftwin_ris_scene_test");
    std::fs::create_dir_all(&dir).unwrap();
    let json = r#"{ "objects": [ { "name": "ground", "material": "itu_concrete", "mesh": { "quad_xy": { "x": [-5, 5], "y": [-5, 5], "z": 0 } } } ],
        "ris": [ { "name": "panel", "centre": [0, 2, 1.5], "normal": [0, -1, 0], "up": [0, 0, 1], "elements": [3, 2], "element_size": [0.01, 0.01],
                   "model": { "kind": "phase_gradient", "from": [0, -1, 0], "to": [1, -1, 0] } } ] }"#;
    let scene = rftwin::core::io::json::parse_json_scene(json, &dir, &dir.join("s.json")).unwrap();
    assert_eq!(scene.ris().len(), 1);
    assert_eq!((scene.ris()[0].count(), scene.ris()[0].model), (6, RisModel::PhaseGradient { from: DVec3::new(0.0, -1.0, 0.0), to: DVec3::new(1.0, -1.0, 0.0) }));
    assert!(rftwin::core::io::json::parse_json_scene(&json.replace("[3, 2]", "[3, 0]"), &dir, &dir.join("s.json")).unwrap_err().to_string().contains("[3, 0]"));

    rftwin::core::io::obj::save_obj(&dir.join("ground.obj"), &Mesh::quad_xy(-5.0, 5.0, -5.0, 5.0, 0.0)).unwrap();
    let xml = r#"<scene version="2.1.0">
        <bsdf type="itu-radio-material" id="mat-concrete"><string name="type" value="concrete"/></bsdf>
        <shape type="obj" id="mesh-ground"><string name="filename" value="ground.obj"/><ref id="mat-concrete" name="bsdf"/></shape>
        <ris id="ris-wall">
            <point name="centre" x="0" y="2" z="1.5"/><vector name="normal" x="0" y="-1" z="0"/><vector name="up" x="0" y="0" z="1"/>
            <integer name="elements_y" value="2"/><integer name="elements_z" value="2"/>
            <float name="element_size_y" value="0.01"/><float name="element_size_z" value="0.01"/>
            <float name="size_y" value="0.02"/><float name="size_z" value="0.02"/>
            <string name="phases" value="0 1 2 3"/><string name="phases" value="3 2 1 0"/>
        </ris>
    </scene>"#;
    let scene = rftwin::core::io::xml::parse_xml_scene(xml, &dir, &dir.join("s.xml")).unwrap();
    let ris = &scene.ris()[0];
    assert_eq!((ris.name.as_str(), ris.count(), ris.configurations.len(), ris.configurations[1].phase[0]), ("wall", 4, 2, 3.0));
    assert!(rftwin::core::io::xml::parse_xml_scene(&xml.replace(r#"value="0.02"/><float name="size_z""#, r#"value="0.05"/><float name="size_z""#), &dir, &dir.join("s.xml")).unwrap_err().to_string().contains("does not fit"));
    assert!(rftwin::core::io::xml::parse_xml_scene(&xml.replace("0 1 2 3", "0 1 2"), &dir, &dir.join("s.xml")).unwrap_err().to_string().contains("3 phases for 4 elements"));

    // solvers that do not model RIS refuse the scene instead of ignoring the surface
    let geom = rftwin::trace::scene_geometry::SceneGeometry::new(&scene);
    let solver = PathSolver::new(SolverOptions { frequency_hz: 3e9, max_depth: 1, samples: 1000, backend: BackendChoice::Cpu, ..Default::default() });
    let grid = rftwin::CellGrid { x: [-2.0, 2.0], y: [-2.0, 2.0], z: 1.0, cells: [2, 2], per_cell: 1 };
    let antenna = rftwin::Antenna::default();
    let request = rftwin::CoverageRequest { grid: &grid, rx_antenna: &antenna, param: None, boundary_term: false, progress: None };
    let err = rftwin::cell_coverage(&solver, &scene, &geom, &Radio::isotropic(DVec3::new(0.0, 0.0, 2.0)), &request).unwrap_err();
    assert!(err.to_string().contains("does not model RIS") && err.to_string().contains("wall"), "{err}");
    let err = rftwin::trace::scattering::surface_scattering(&scene, &geom, DVec3::new(0.0, 0.0, 2.0), &Default::default()).unwrap_err();
    assert!(err.to_string().contains("solver (B)"), "{err}");
}

#[test]
fn radio_and_ris_pose_gradients_of_the_cfr_match_central_differences() {
    use rftwin::trace::paths::channel::cfr_gradient;
    use rftwin::trace::paths::gradients::{path_gradients, GradientParam};
    use rftwin::trace::scene_geometry::SceneGeometry;
    let frequency = 28e9;
    let lambda = SPEED_OF_LIGHT / frequency;
    let mut ris = RisSurface::new("panel", DVec3::new(0.0, 0.0, 0.1), DVec3::new(1.0, 0.1, 0.0), DVec3::Z, [6, 5], [lambda / 2.0; 2]).unwrap();
    let (tx, rx) = (DVec3::new(1.2, 0.7, 0.3), DVec3::new(0.9, -0.8, -0.2));
    ris.configurations[0] = ris.focus(tx, rx + DVec3::new(0.05, 0.0, 0.0), TAU / lambda).unwrap();
    let freqs = [frequency - 1e8, frequency, frequency + 2e8];
    let o = SolverOptions { frequency_hz: frequency, max_depth: 1, samples: 2000, los: false, backend: BackendChoice::Cpu, ..Default::default() };
    let h_of = |ris: &RisSurface, tx: DVec3, rx: DVec3| {
        let mut scene = free_space();
        scene.add_ris(ris.clone()).unwrap();
        cfr(&PathSolver::new(o).solve_scene(&scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap(), &freqs)
    };
    let mut scene = free_space();
    scene.add_ris(ris.clone()).unwrap();
    let paths = PathSolver::new(o).solve_scene(&scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap();
    assert_eq!((paths.num_paths(), paths.ris_paths.len()), (0, 1));
    let geom = SceneGeometry::new(&scene);
    for name in ["tx/position", "rx/position", "ris/panel/translation", "ris/panel/rotation"] {
        let param = GradientParam::parse(name).unwrap();
        let g = path_gradients(&scene, &geom, &paths, &Radio::isotropic(tx), &Radio::isotropic(rx), &param).unwrap();
        for c in 0..3 {
            let step = 1e-6;
            let shifted = |sign: f64| {
                let mut e = DVec3::ZERO;
                e[c] = sign * step;
                match name {
                    "tx/position" => h_of(&ris, tx + e, rx),
                    "rx/position" => h_of(&ris, tx, rx + e),
                    "ris/panel/translation" => h_of(&RisSurface { centre: ris.centre + e, ..ris.clone() }, tx, rx),
                    _ => {
                        // rotate the frame (normal and up) about the centre: R = Rz Ry Rx
                        let rot = glam::DMat3::from_rotation_z(e.z) * glam::DMat3::from_rotation_y(e.y) * glam::DMat3::from_rotation_x(e.x);
                        h_of(&RisSurface { normal: rot * ris.normal.normalize(), up: rot * ris.up, ..ris.clone() }, tx, rx)
                    }
                }
            };
            let (hp, hm) = (shifted(1.0), shifted(-1.0));
            let an = cfr_gradient(&paths, &g, c, &freqs);
            for (i, a) in an.iter().enumerate() {
                let fd = (hp[i] - hm[i]) / (2.0 * step);
                assert!((a - fd).norm() <= 0.01 * fd.norm().max(1e-3 * an.iter().map(|x| x.norm()).fold(0.0, f64::max)), "{name}[{c}] at {} GHz: {a} vs {fd}", freqs[i] / 1e9);
            }
        }
    }
    // with a wall in the legs (TX–wall–RIS–RX, TX–RIS–wall–RX), on the RIS families alone
    // (the ordinary paths would hide an error in them)
    let (t2, r2) = (DVec3::new(3.0, 1.0, 0.2), DVec3::new(2.0, -1.0, -0.1));
    let o2 = SolverOptions { frequency_hz: frequency, max_depth: 2, samples: 20_000, backend: BackendChoice::Cpu, ..Default::default() };
    let make = |param: &str, e: DVec3| {
        let (mut scene, ris) = room(3, lambda);
        if param == "ris/ris/translation" {
            scene.ris_mut("ris").unwrap().centre = ris.centre + e;
        }
        scene
    };
    let p2 = PathSolver::new(o2).solve_scene(&make("", DVec3::ZERO), &Radio::isotropic(t2), &Radio::isotropic(r2)).unwrap();
    assert!(p2.ris_paths.iter().any(|f| !f.incoming.is_empty()) && p2.ris_paths.iter().any(|f| !f.outgoing.is_empty()));
    assert_ris_family_gradients(make, &["tx/position", "rx/position", "ris/ris/translation"], [t2, r2], o2, |_| true);
}

#[test]
fn traced_free_space_sensing_equals_the_channel_model_operator() {
    use rftwin::isac::geometry::{Ris, Ula, UlaAnchor, VoxelGrid};
    use rftwin::isac::ris_imaging::operator::ForwardOperator;
    use rftwin::isac::ris_imaging::traced::{Part, TracedSensing};
    use rftwin::isac::ris_imaging::RisImagingConfig;
    // everything in the plane z = 0 with vertical polarisation: the polarimetric transport
    // is 1 and the traced free-space part must be the scalar model's Mσ
    let mut config = RisImagingConfig { configurations: 3, ..Default::default() };
    config.band.wave_speed = SPEED_OF_LIGHT;
    let lambda = config.wavelength();
    config.ris = Ris::new(DVec3::ZERO, [6, 1], [lambda / 2.0; 2]).unwrap();
    config.roi = VoxelGrid { centre: DVec3::new(2.0, 0.0, 0.0), dims: [1, 1, 5], voxel: lambda / 2.0 };
    config.tx = Ula { position: DVec3::new(1.0, 1.0, 0.0), elements: 3, spacing: lambda / 2.0, anchor: UlaAnchor::Start };
    config.rx = Ula { position: DVec3::new(1.0, -1.0, 0.0), elements: 2, spacing: lambda / 2.0, anchor: UlaAnchor::Start };
    let mut scene = free_space();
    scene.add_ris(config.ris.surface("ris").unwrap()).unwrap();
    let solver = PathSolver::new(SolverOptions { frequency_hz: config.band.centre, max_depth: 1, samples: 2000, backend: BackendChoice::Cpu, ..Default::default() });
    let sigma = [0.0, 1.0, 0.5, 0.0, 0.8];
    let support: Vec<usize> = (0..5).collect();
    let traced = TracedSensing::trace(&scene, &solver, &config, &support, &|| {}).unwrap();
    let free = traced.measurements(&sigma, Part::FreeSpace).unwrap();
    let model = ForwardOperator::new(&config).unwrap().apply_linear(&sigma).unwrap();
    let norm = model.iter().map(|v| v * v).sum::<f64>().sqrt();
    let err = free.iter().zip(&model).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
    assert!(err <= 1e-9 * norm, "traced free-space part vs model: {err} of {norm}");
    // the parts add up, and the operator reproduces the measurements
    let all = traced.measurements(&sigma, Part::All).unwrap();
    let multipath = traced.measurements(&sigma, Part::Multipath).unwrap();
    assert!(all.iter().zip(&free).zip(&multipath).all(|((a, f), m)| (a - f - m).abs() <= 1e-12 * norm));
    let by_operator = traced.operator(Part::All).apply_linear(&sigma).unwrap();
    assert!(by_operator.iter().zip(&all).all(|(a, b)| (a - b).abs() <= 1e-12 * norm));
    // the traced free-space legs are the channel model's legs: the learnt leg coupling
    // gives the same response on either
    use rftwin::isac::ris_imaging::legs::SensingLegs;
    let (traced_legs, model_legs) = (traced.free_space_legs().unwrap(), SensingLegs::from_model(&config).unwrap());
    let params: Vec<f32> = (0..model_legs.parameter_count()).map(|j| ((j * 37 % 101) as f32 / 50.0 - 1.0) * 1e-3).collect();
    let sigma32: Vec<f32> = sigma.iter().map(|&v| v as f32).collect();
    let (mut a, mut b) = (vec![0.0f32; model_legs.rows()], vec![0.0f32; model_legs.rows()]);
    traced_legs.add_response(&params, &sigma32, &mut a).unwrap();
    model_legs.add_response(&params, &sigma32, &mut b).unwrap();
    let norm = b.iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!(norm > 0.0 && a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= 1e-4 * norm), "traced vs model legs");
    // a voxel with σ ≠ 0 outside the traced support is refused
    let partial = TracedSensing::trace(&scene, &solver, &config, &[1, 2], &|| {}).unwrap();
    assert!(partial.measurements(&sigma, Part::All).unwrap_err().to_string().contains("voxel 4"));
}

#[test]
fn traced_multipath_splits_into_leg_walls_and_ris_through_walls() {
    use rftwin::isac::geometry::{Ris, Ula, UlaAnchor, VoxelGrid};
    use rftwin::isac::ris_imaging::traced::{Part, TracedSensing};
    use rftwin::isac::ris_imaging::RisImagingConfig;
    // a floor under everything: walls in the legs, and the RIS reached through the floor
    let mut config = RisImagingConfig { configurations: 2, ..Default::default() };
    config.band.wave_speed = SPEED_OF_LIGHT;
    let lambda = config.wavelength();
    config.ris = Ris::new(DVec3::ZERO, [4, 4], [lambda / 2.0; 2]).unwrap();
    config.roi = VoxelGrid { centre: DVec3::new(2.0, 0.0, 0.0), dims: [1, 1, 3], voxel: lambda / 2.0 };
    config.tx = Ula { position: DVec3::new(1.0, 1.0, 0.0), elements: 2, spacing: lambda / 2.0, anchor: UlaAnchor::Start };
    config.rx = Ula { position: DVec3::new(1.0, -1.0, 0.0), elements: 1, spacing: lambda / 2.0, anchor: UlaAnchor::Start };
    let mut scene = Scene::new();
    scene.add_object("floor", Mesh::cuboid(DVec3::new(-1.0, -4.0, -1.2), DVec3::new(5.0, 4.0, -1.0)), "itu_concrete").unwrap();
    scene.add_ris(config.ris.surface("ris").unwrap()).unwrap();
    let solver = PathSolver::new(SolverOptions { frequency_hz: config.band.centre, max_depth: 2, samples: 4000, backend: BackendChoice::Cpu, ..Default::default() });
    let sigma = [1.0, 0.5, 0.8];
    let traced = TracedSensing::trace(&scene, &solver, &config, &[0, 1, 2], &|| {}).unwrap();
    let part = |p| traced.measurements(&sigma, p).unwrap();
    let (multipath, legs, through, fixed) = (part(Part::Multipath), part(Part::LegWalls), part(Part::RisWalls), part(Part::StaticMultipath));
    let energy = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
    let norm = energy(&multipath).sqrt();
    assert!(energy(&legs) > 0.0 && energy(&through) > 0.0 && energy(&fixed) > 0.0, "the floor must appear in every part: {} {} {}", energy(&legs), energy(&through), energy(&fixed));
    assert!(multipath.iter().zip(&legs).zip(&through).all(|((m, l), t)| (m - l - t).abs() <= 1e-12 * norm), "Multipath = LegWalls + RisWalls");
    // the static part is configuration-independent, the leg walls are not
    let block = config.block_len();
    assert!((0..block).all(|j| (fixed[j] - fixed[block + j]).abs() <= 1e-12 * norm));
    assert!((0..block).any(|j| (legs[j] - legs[block + j]).abs() > 1e-6 * norm));
}

/// Object pose, material and refraction-leg gradients of RIS families: a wall whose
/// reflection feeds the RIS (and the receiver) and a glass pane that the legs cross by
/// refraction, each CFR derivative against central differences of re-solves.
#[test]
fn object_material_and_refraction_leg_gradients_of_ris_families_match_central_differences() {
    use rftwin::core::material::RadioMaterial;
    use rftwin::trace::paths::channel::cfr_gradient;
    use rftwin::trace::paths::gradients::{path_gradients, GradientParam};
    use rftwin::trace::scene_geometry::SceneGeometry;
    let frequency = 28e9;
    let lambda = SPEED_OF_LIGHT / frequency;
    let (wall_eps, pane_eps) = ((5.0, 0.1, 0.2), (6.0, 0.05, 0.02));
    let scene_with = |wall: (f64, f64, f64), pane: (f64, f64, f64), wall_shift: DVec3| {
        let mut scene = Scene::new();
        scene.add_ris(RisSurface::new("ris", DVec3::ZERO, DVec3::X, DVec3::Z, [3, 3], [lambda / 2.0; 2]).unwrap()).unwrap();
        scene.add_material(RadioMaterial::custom("wallmat", wall.0, wall.1, wall.2).unwrap()).unwrap();
        scene.add_material(RadioMaterial::custom("panemat", pane.0, pane.1, pane.2).unwrap()).unwrap();
        // a side wall at y = −2.5
        let mut wall_mesh = Mesh::quad_xy(-1.0, 6.0, -2.0, 2.0, 0.0);
        for v in &mut wall_mesh.vertices {
            *v = DVec3::new(v.x, -2.5, v.y) + wall_shift;
        }
        scene.add_object("side", wall_mesh, "wallmat").unwrap();
        // a pane at x = 1.5 between the radios and the RIS
        let mut pane = Mesh::quad_xy(-0.3, 1.8, -1.0, 1.0, 0.0);
        for v in &mut pane.vertices {
            *v = DVec3::new(1.5, v.x, v.y);
        }
        scene.add_object("pane", pane, "panemat").unwrap();
        scene
    };
    let (tx, rx) = (DVec3::new(3.0, 1.0, 0.2), DVec3::new(2.0, -1.0, -0.1));
    let freqs = [frequency - 1e8, frequency, frequency + 2e8];
    let o = SolverOptions { frequency_hz: frequency, max_depth: 2, samples: 20_000, backend: BackendChoice::Cpu, ..Default::default() };
    let solve = |scene: &Scene| ris_families_only(PathSolver::new(o).solve_scene(scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap());
    let scene = scene_with(wall_eps, pane_eps, DVec3::ZERO);
    let paths = solve(&scene);
    let (side, pane) = (scene.object_index("side").unwrap() as u32, scene.object_index("pane").unwrap() as u32);
    let has = |object: u32, refraction: bool| {
        paths.ris_paths.iter().any(|f| f.incoming.iter().zip(&f.incoming_refraction).chain(f.outgoing.iter().zip(&f.outgoing_refraction)).any(|(&o, &r)| o == object && r == refraction))
    };
    assert!(has(side, false) && has(pane, true), "families: {:?}", paths.ris_paths.iter().map(|f| (&f.incoming, &f.incoming_refraction, &f.outgoing, &f.outgoing_refraction)).collect::<Vec<_>>());
    let geom = SceneGeometry::new(&scene);
    let h_base = cfr(&paths, &freqs);
    let cases: [(&str, f64, usize); 7] = [
        ("object/side/translation", 1e-6, 3),
        ("object/pane/translation", 1e-6, 3),
        ("object/pane/rotation", 1e-6, 3),
        ("material/wallmat/eps_r", 1e-5, 1),
        ("material/wallmat/sigma", 1e-5, 1),
        ("material/panemat/eps_r", 1e-5, 1),
        ("material/panemat/thickness", 1e-6, 1),
    ];
    for (name, step, components) in cases {
        let g = path_gradients(&scene, &geom, &paths, &Radio::isotropic(tx), &Radio::isotropic(rx), &GradientParam::parse(name).unwrap()).unwrap();
        assert!(g.ris.iter().flatten().any(|t| t.b.iter().any(|d| d.norm() > 0.0)), "{name}: some RIS term must depend on it");
        for c in 0..components {
            let h = |sign: f64| {
                let d = sign * step;
                let mut e = DVec3::ZERO;
                e[c] = d;
                let (mut w, mut p) = (wall_eps, pane_eps);
                let moved = match name {
                    "object/side/translation" => scene_with(w, p, e),
                    "object/pane/translation" => {
                        let mut s = scene_with(w, p, DVec3::ZERO);
                        s.object_mut("pane").unwrap().mesh.vertices.iter_mut().for_each(|v| *v += e);
                        s
                    }
                    "object/pane/rotation" => {
                        // R = Rz Ry Rx about the vertex centroid
                        let mut s = scene_with(w, p, DVec3::ZERO);
                        let mesh = &mut s.object_mut("pane").unwrap().mesh;
                        let centre = mesh.vertices.iter().sum::<DVec3>() / mesh.vertices.len() as f64;
                        let rot = glam::DMat3::from_rotation_z(e.z) * glam::DMat3::from_rotation_y(e.y) * glam::DMat3::from_rotation_x(e.x);
                        mesh.vertices.iter_mut().for_each(|v| *v = centre + rot * (*v - centre));
                        s
                    }
                    _ => {
                        match name {
                            "material/wallmat/eps_r" => w.0 += d,
                            "material/wallmat/sigma" => w.1 += d,
                            "material/panemat/eps_r" => p.0 += d,
                            _ => p.2 += d,
                        }
                        scene_with(w, p, DVec3::ZERO)
                    }
                };
                cfr(&solve(&moved), &freqs)
            };
            let (hp, hm) = (h(1.0), h(-1.0));
            let an = cfr_gradient(&paths, &g, c, &freqs);
            for (i, a) in an.iter().enumerate() {
                let fd = (hp[i] - hm[i]) / (2.0 * step);
                // a derivative the geometry makes zero (the pane moved along a straight
                // refracted leg) is compared with the rounding floor of the differences
                let floor = (1e-3 * an.iter().map(|x| x.norm()).fold(0.0, f64::max)).max(1e-7 * h_base[i].norm());
                assert!((a - fd).norm() <= 0.01 * fd.norm().max(floor), "{name}[{c}] at {} GHz: {a} vs {fd} (|H| {})", freqs[i] / 1e9, h_base[i].norm());
            }
        }
    }
}

fn solve_twice(scene: &Scene, tx: DVec3, rx: DVec3, frequency_hz: f64, max_depth: usize) -> Paths {
    let o = SolverOptions { frequency_hz, max_depth, samples: 20_000, backend: BackendChoice::Cpu, max_ris_interactions: 2, ..Default::default() };
    PathSolver::new(o).solve_scene(scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap()
}

/// TX → RIS A → RIS B → RX in free space, everything in the plane z = 0: with vertically
/// polarised isotropic antennas the transport is exactly 1, so every term is the
/// closed form `(λ/√(4π)) g_A g_B h(tx, a_m) h(a_m, b_n) h(b_n, rx)` with
/// `h(d) = 1/(√(4π) d)`, and the family's response is the double sum over both profiles.
#[test]
fn two_ris_in_free_space_give_the_closed_form_double_sum() {
    let frequency = 28e9;
    let lambda = SPEED_OF_LIGHT / frequency;
    let a = RisSurface::new("a", DVec3::ZERO, DVec3::X, DVec3::Z, [6, 1], [lambda / 2.0; 2]).unwrap();
    let b = RisSurface::new("b", DVec3::new(2.0, 3.0, 0.0), DVec3::new(-1.0, -0.2, 0.0), DVec3::Z, [5, 1], [lambda / 2.0; 2]).unwrap();
    let (tx, rx) = (DVec3::new(2.0, -1.5, 0.0), DVec3::new(-1.0, 2.0, 0.0));
    let mut scene = free_space();
    scene.add_ris(a.clone()).unwrap();
    scene.add_ris(b.clone()).unwrap();
    let mut paths = solve_twice(&scene, tx, rx, frequency, 2);
    let family = paths.ris_paths.iter().find(|p| p.ris == 0 && p.second.as_ref().is_some_and(|s| s.ris == 1 && s.middle.is_empty())).expect("a TX → a → b → RX family");
    assert!(family.incoming.is_empty() && family.outgoing.is_empty());
    assert_eq!(family.terms.len(), a.count() * b.count(), "every element pair");
    let (ga, gb) = (a.element_gain(lambda), b.element_gain(lambda));
    let h = |d: f64| 1.0 / ((4.0 * PI).sqrt() * d);
    for t in &family.terms {
        let (pa, pb) = (a.element_position(t.element as usize), b.element_position(t.second_element.unwrap() as usize));
        let (l1, l2, l3) = (tx.distance(pa), pa.distance(pb), pb.distance(rx));
        assert!((t.tau * SPEED_OF_LIGHT - (l1 + l2 + l3)).abs() < 1e-12, "delay of {:?}", (t.element, t.second_element));
        let closed = lambda / (4.0 * PI).sqrt() * ga * gb * h(l1) * h(l2) * h(l3);
        assert!((t.b - Complex::new(closed, 0.0)).norm() <= 1e-9 * closed, "{:?}: {} vs {closed}", (t.element, t.second_element), t.b);
    }
    // both profiles enter the response as Γ_A,m Γ_B,n
    let profile = |n: usize, seed: f64| (0..n).map(|m| Complex::from_polar(0.6 + 0.05 * m as f64, seed * (m * m + 1) as f64)).collect::<Vec<_>>();
    let (wa, wb) = (profile(a.count(), 0.37), profile(b.count(), 1.91));
    paths.set_ris_profile(0, wa.clone()).unwrap();
    paths.set_ris_profile(1, wb.clone()).unwrap();
    let family = paths.ris_paths.iter().find(|p| p.ris == 0 && p.second.is_some()).unwrap();
    let mut closed = Complex::new(0.0, 0.0);
    for (m, &pa) in a.positions().iter().enumerate() {
        for (n, &pb) in b.positions().iter().enumerate() {
            let (l1, l2, l3) = (tx.distance(pa), pa.distance(pb), pb.distance(rx));
            closed += wa[m] * wb[n] * lambda / (4.0 * PI).sqrt() * ga * gb * h(l1) * h(l2) * h(l3) * rftwin::core::paths::propagation_phasor(frequency, (l1 + l2 + l3) / SPEED_OF_LIGHT);
        }
    }
    let ours = paths.ris_response(family, frequency);
    assert!((ours - closed).norm() <= 1e-9 * closed.norm(), "{ours} vs {closed}");
    // one interaction only (the default): no such family
    assert!(solve(&scene, tx, rx, frequency, 2).ris_paths.iter().all(|p| p.second.is_none()));
}

/// TX → RIS → metal plate → RIS → RX: the same RIS twice. Exact unfolded delays (the
/// element seen in the plate's mirror), the phase VJP of a wideband power loss (each
/// element enters twice) against central differences, and the computations that cannot
/// take such paths refuse them.
#[test]
fn a_ris_met_twice_through_a_plate_has_exact_delays_and_a_matching_phase_vjp() {
    let frequency = 28e9;
    let lambda = SPEED_OF_LIGHT / frequency;
    let ris = RisSurface::new("ris", DVec3::ZERO, DVec3::X, DVec3::Z, [3, 3], [lambda / 2.0; 2]).unwrap();
    let mut scene = Scene::new();
    let mut plate = Mesh::quad_xy(-0.3, 0.3, -0.3, 0.3, 0.0);
    for v in &mut plate.vertices {
        *v = DVec3::new(0.8, v.x, v.y);
    }
    scene.add_object("plate", plate, "metal").unwrap();
    scene.add_ris(ris.clone()).unwrap();
    let (tx, rx) = (DVec3::new(0.4, 0.6, 0.1), DVec3::new(0.4, -0.6, -0.1));
    let mut paths = solve_twice(&scene, tx, rx, frequency, 3);
    let plate_id = scene.object_index("plate").unwrap() as u32;
    let twice = paths.ris_paths.iter().find(|p| p.incoming.is_empty() && p.outgoing.is_empty() && p.second.as_ref().is_some_and(|s| s.ris == 0 && s.middle == vec![plate_id])).expect("TX → RIS → plate → RIS → RX");
    assert_eq!(twice.terms.len(), ris.count() * ris.count());
    for t in &twice.terms {
        let (pm, pn) = (ris.element_position(t.element as usize), ris.element_position(t.second_element.unwrap() as usize));
        let image_n = DVec3::new(1.6 - pn.x, pn.y, pn.z); // mirrored in x = 0.8
        let length = tx.distance(pm) + pm.distance(image_n) + pn.distance(rx);
        assert!((t.tau * SPEED_OF_LIGHT - length).abs() < 1e-12, "delay of {:?}", (t.element, t.second_element));
    }
    // the phase VJP through every family, the twice-met one included
    let freqs: Vec<f64> = (0..4).map(|i| frequency + (i as f64 - 1.5) * 80e6).collect();
    let mut profile = ris.focus(tx, rx, TAU / lambda).unwrap();
    profile.amplitude.iter_mut().enumerate().for_each(|(m, a)| *a = 0.8 + 0.02 * m as f64);
    // the twice-met family alone too, so that its quadratic dependence decides the check
    let mut only_twice = Paths { ris_paths: vec![twice.clone()], ..ris_families_only(paths.clone()) };
    for paths in [&mut paths, &mut only_twice] {
        assert_phase_vjp_matches_central_differences(paths, &profile, &freqs);
    }
    // not affine in the profile
    let err = rftwin::trace::paths::ris::element_responses(&paths, 0, frequency).unwrap_err().to_string();
    assert!(err.contains("not affine"), "{err}");
    // bad option values
    let bad = PathSolver::new(SolverOptions { frequency_hz: frequency, max_ris_interactions: 3, backend: BackendChoice::Cpu, ..Default::default() });
    assert!(bad.solve_scene(&scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap_err().to_string().contains("max_ris_interactions"));
}

/// Geometry gradients of two-RIS families (the families alone: the single-RIS ones
/// would hide an error in them) against central differences of full re-solves: the RIS
/// met twice through a plate (radios, RIS pose, the plate of the middle leg) and two RIS
/// in free space (the second RIS's pose).
#[test]
fn geometry_gradients_of_two_ris_families_match_central_differences() {
    let frequency = 28e9;
    let lambda = SPEED_OF_LIGHT / frequency;
    // the RIS met twice through a metal plate at x = 0.8
    let plate_scene = |param: &str, e: DVec3| {
        let mut ris = RisSurface::new("ris", DVec3::ZERO, DVec3::new(1.0, 0.05, 0.0), DVec3::Z, [3, 3], [lambda / 2.0; 2]).unwrap();
        let mut plate = Mesh::quad_xy(-0.3, 0.3, -0.3, 0.3, 0.0);
        for v in &mut plate.vertices {
            *v = DVec3::new(0.8, v.x, v.y);
        }
        match param {
            "object/plate/translation" => plate.vertices.iter_mut().for_each(|v| *v += e),
            "ris/ris/translation" => ris.centre += e,
            "ris/ris/rotation" => (ris.normal, ris.up) = rotated(&ris, e),
            _ => {}
        }
        let mut scene = Scene::new();
        scene.add_object("plate", plate, "metal").unwrap();
        scene.add_ris(ris).unwrap();
        scene
    };
    let names = ["tx/position", "rx/position", "ris/ris/translation", "ris/ris/rotation", "object/plate/translation"];
    assert_two_ris_gradients(plate_scene, &names, [DVec3::new(0.4, 0.6, 0.1), DVec3::new(0.4, -0.6, -0.1)], 3, frequency);
    // RIS a → RIS b in free space, b tilted out of the radios' plane
    let two_scene = |param: &str, e: DVec3| {
        let a = RisSurface::new("a", DVec3::ZERO, DVec3::X, DVec3::Z, [3, 2], [lambda / 2.0; 2]).unwrap();
        let mut b = RisSurface::new("b", DVec3::new(2.0, 3.0, 0.2), DVec3::new(-1.0, -0.2, 0.1), DVec3::Z, [2, 3], [lambda / 2.0; 2]).unwrap();
        match param {
            "ris/b/translation" => b.centre += e,
            "ris/b/rotation" => (b.normal, b.up) = rotated(&b, e),
            _ => {}
        }
        let mut scene = free_space();
        scene.add_ris(a).unwrap();
        scene.add_ris(b).unwrap();
        scene
    };
    assert_two_ris_gradients(two_scene, &["ris/b/translation", "ris/b/rotation", "rx/position"], [DVec3::new(2.0, -1.5, 0.3), DVec3::new(-1.0, 2.0, -0.2)], 2, frequency);
}

/// The frame (normal, up) of `ris` rotated by `R = Rz Ry Rx` of angles `e` about its centre.
fn rotated(ris: &RisSurface, e: DVec3) -> (DVec3, DVec3) {
    let rot = glam::DMat3::from_rotation_z(e.z) * glam::DMat3::from_rotation_y(e.y) * glam::DMat3::from_rotation_x(e.x);
    (rot * ris.normal.normalize(), rot * ris.up)
}

/// The CFR gradients of the two-RIS families of `make("", 0)` between `tx` and `rx` for
/// every parameter of `names` against central differences of re-solves of
/// `make(name, ±step·e_c)` (radio positions move the radios instead), within 1 %.
fn assert_two_ris_gradients(make: impl Fn(&str, DVec3) -> Scene, names: &[&str], ends: [DVec3; 2], max_depth: usize, frequency: f64) {
    let o = SolverOptions { frequency_hz: frequency, max_depth, samples: 20_000, backend: BackendChoice::Cpu, max_ris_interactions: 2, ..Default::default() };
    assert_ris_family_gradients(make, names, ends, o, |f| f.second.is_some());
}

/// The CFR gradients of the RIS families of `make("", 0)` that `keep` selects (solved
/// with `options` between `tx` and `rx`) for every parameter of `names` against central
/// differences of re-solves of `make(name, ±step·e_c)` (radio positions move the radios
/// instead), within 1 %.
fn assert_ris_family_gradients(make: impl Fn(&str, DVec3) -> Scene, names: &[&str], [tx, rx]: [DVec3; 2], options: SolverOptions, keep: impl Fn(&rftwin::core::paths::RisPath) -> bool) {
    use rftwin::trace::paths::channel::cfr_gradient;
    use rftwin::trace::paths::gradients::{path_gradients, GradientParam};
    use rftwin::trace::scene_geometry::SceneGeometry;
    let frequency = options.frequency_hz;
    let families = |scene: &Scene, tx: DVec3, rx: DVec3| {
        let mut p = ris_families_only(PathSolver::new(options).solve_scene(scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap());
        p.ris_paths.retain(&keep);
        p
    };
    let freqs = [frequency - 1e8, frequency, frequency + 2e8];
    let scene = make("", DVec3::ZERO);
    let paths = families(&scene, tx, rx);
    assert!(!paths.ris_paths.is_empty(), "no RIS family to check");
    let geom = SceneGeometry::new(&scene);
    for &name in names {
        let g = path_gradients(&scene, &geom, &paths, &Radio::isotropic(tx), &Radio::isotropic(rx), &GradientParam::parse(name).unwrap()).unwrap();
        assert!(g.ris.iter().flatten().any(|t| t.tau.iter().any(|d| *d != 0.0) || t.b.iter().any(|d| d.norm() > 0.0)), "{name}: the RIS terms must depend on it");
        for c in 0..3 {
            let step = 1e-6;
            let h = |sign: f64| {
                let mut e = DVec3::ZERO;
                e[c] = sign * step;
                let p = match name {
                    "tx/position" => families(&scene, tx + e, rx),
                    "rx/position" => families(&scene, tx, rx + e),
                    _ => families(&make(name, e), tx, rx),
                };
                assert_eq!(p.ris_paths.len(), paths.ris_paths.len(), "{name}: the families change under a step of {step}");
                cfr(&p, &freqs)
            };
            let (hp, hm) = (h(1.0), h(-1.0));
            let an = cfr_gradient(&paths, &g, c, &freqs);
            for (i, a) in an.iter().enumerate() {
                let fd = (hp[i] - hm[i]) / (2.0 * step);
                assert!((a - fd).norm() <= 0.01 * fd.norm().max(1e-3 * an.iter().map(|x| x.norm()).fold(0.0, f64::max)), "{name}[{c}] at {} GHz: {a} vs {fd}", freqs[i] / 1e9);
            }
        }
    }
}

/// Model (b) terms (one per family: the aperture factor at the images of both ends)
/// differentiated with respect to the radios, the RIS pose and a wall in the legs, against
/// central differences of re-solves.
#[test]
fn macroscopic_model_gradients_match_central_differences() {
    let frequency = 28e9;
    let lambda = SPEED_OF_LIGHT / frequency;
    let (tx, rx) = (DVec3::new(3.0, 1.0, 0.2), DVec3::new(2.0, -1.0, -0.1));
    let make = |param: &str, e: DVec3| {
        let (mut scene, mut ris) = room(8, lambda);
        // steered 10° off the direct pair, so the aperture factor is on its main lobe's slope
        let turn = glam::DMat3::from_rotation_z(0.17);
        ris.model = RisModel::PhaseGradient { from: tx, to: turn * rx };
        match param {
            "ris/ris/translation" => ris.centre += e,
            "ris/ris/rotation" => (ris.normal, ris.up) = rotated(&ris, e),
            "object/wall/translation" => scene.object_mut("wall").unwrap().mesh.vertices.iter_mut().for_each(|v| *v += e),
            _ => {}
        }
        *scene.ris_mut("ris").unwrap() = ris;
        scene
    };
    let o = SolverOptions { frequency_hz: frequency, max_depth: 2, samples: 20_000, backend: BackendChoice::Cpu, ..Default::default() };
    let names = ["tx/position", "rx/position", "ris/ris/translation", "ris/ris/rotation", "object/wall/translation"];
    assert_ris_family_gradients(make, &names, [tx, rx], o, |f| f.terms.iter().all(|t| t.element == rftwin::core::paths::RisTerm::SURFACE));
}
