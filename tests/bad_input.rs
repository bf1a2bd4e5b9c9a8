//! Bad input gives an error that names the problem — never a panic, a hang or a
//! plausible wrong answer. Each case here panicked or returned a silent value before.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin::radar::spectrum::Spectrum;
use rftwin::radar::{MimoArray, Reduce};
use rftwin::{ItuMaterial, Mesh, PathSolver, Radio, ScatteringOptions, ScatteringSolver, Scene, SceneGeometry, SolverOptions};

fn radios() -> (Radio, Radio) {
    (Radio::isotropic(DVec3::new(-22.0, 1.0, 9.0)), Radio::isotropic(DVec3::new(24.0, -2.0, 1.5)))
}

#[test]
fn a_geometry_built_from_another_scene_is_refused() {
    let canyon = Scene::canyon(ItuMaterial::Metal);
    let mut small = Scene::new();
    small.add_object("plate", Mesh::quad_xy(-1.0, 1.0, -1.0, 1.0, 0.0), "itu_metal").unwrap();
    let (tx, rx) = radios();
    let solver = PathSolver::new(SolverOptions { max_depth: 2, samples: 10_000, backend: rftwin::BackendChoice::Cpu, ..Default::default() });
    for (scene, other) in [(&canyon, &small), (&small, &canyon)] {
        let err = solver.solve(scene, &SceneGeometry::new(other), &tx, &rx).unwrap_err().to_string();
        assert!(err.contains("geometry"), "{err}");
        let b = ScatteringSolver::new(ScatteringOptions { samples: 100, backend: rftwin::BackendChoice::Cpu, ..Default::default() });
        assert!(b.solve(scene, &SceneGeometry::new(other), DVec3::new(0.0, -3.0, 1.0)).is_err());
    }
    // same object count, one object's triangles differ
    let mut moved = canyon.clone();
    moved.object_mut("box_a").unwrap().mesh.triangles.pop();
    assert!(solver.solve(&canyon, &SceneGeometry::new(&moved), &tx, &rx).is_err());
    // the matching geometry still solves
    assert!(solver.solve(&canyon, &SceneGeometry::new(&canyon), &tx, &rx).unwrap().num_paths() > 0);
}

#[test]
fn spectrum_helpers_refuse_inconsistent_shapes() {
    assert_eq!(Spectrum::zeros([0, 3, 3]).argmax(), None);
    assert_eq!(Spectrum { dims: [2, 2, 2], data: vec![1.0; 3] }.argmax(), None);
    assert_eq!(Spectrum { dims: [1, 2, 1], data: vec![0.0, 5.0] }.argmax(), Some([0, 1, 0]));
    assert!(Spectrum { dims: [2, 2, 2], data: vec![1.0; 3] }.project(Reduce::Max).is_err());
}

#[test]
fn an_array_without_receivers_has_no_channels() {
    let array = MimoArray { tx: vec![DVec3::ZERO], rx: Vec::new() };
    assert_eq!(array.num_channels(), 0);
    assert_eq!(array.pair(0), None);
    assert!(array.virtual_offsets().is_empty());
    let full = MimoArray { tx: vec![DVec3::X, DVec3::Y], rx: vec![DVec3::Z] };
    assert_eq!(full.pair(1), Some((DVec3::Y, DVec3::Z)));
    assert_eq!(full.pair(2), None);
}

#[test]
fn relative_error_of_a_zero_truth_is_an_error() {
    use rftwin::inverse::metrics::relative_error;
    assert!(relative_error(1.0, 0.0).is_err());
    assert!(relative_error(f64::INFINITY, 2.0).is_err());
    assert_eq!(relative_error(3.0, 2.0).unwrap(), 0.5);
}

#[test]
fn auto_backend_never_picks_a_software_adapter() {
    use rftwin::trace::backend::{resolve, Backend};
    let chosen = resolve(rftwin::BackendChoice::Auto).unwrap();
    match rftwin::gpu::context::shared() {
        // a hardware GPU is chosen, a software one (llvmpipe) is not
        Ok(c) if !c.is_software() => assert!(matches!(chosen, Backend::Gpu(_)), "{}", chosen.name()),
        _ => assert!(matches!(chosen, Backend::Cpu), "auto chose {}", chosen.name()),
    }
    // an explicit GPU request still uses whatever adapter exists
    if let Ok(c) = rftwin::gpu::context::shared() {
        assert!(matches!(resolve(rftwin::BackendChoice::Gpu).unwrap(), Backend::Gpu(g) if std::ptr::eq(g, c)));
    }
}

#[test]
fn spectra_of_empty_arrays_grids_or_overflowing_bins_are_errors() {
    use rftwin::radar::spectrum::{bartlett, music, AngleGrid};
    use rftwin::radar::FmcwConfig;
    let cfg = FmcwConfig::default();
    let array = MimoArray::default_upa(DVec3::ZERO, cfg.wavelength());
    let profiles = vec![vec![rftwin::Complex::new(1.0, 0.0); 8]; array.num_channels()];
    let grid = AngleGrid::uniform(3, 0.3, 3, 0.3);
    assert!(bartlett(&cfg, &array, &profiles, &grid, 0..8).is_ok());
    // an empty angle grid panicked (chunks of zero length), an empty array gave NaN
    let empty_grid = AngleGrid { azimuth: Vec::new(), ..grid.clone() };
    assert!(bartlett(&cfg, &array, &profiles, &empty_grid, 0..8).is_err());
    let no_rx = MimoArray { tx: array.tx.clone(), rx: Vec::new() };
    assert!(bartlett(&cfg, &no_rx, &[], &grid, 0..8).is_err());
    // a bin at the end of usize overflowed its window
    assert!(music(&cfg, &array, &profiles, &grid, usize::MAX, 2, 1).is_err());
    // the range FFT validates the chirp like the IF synthesis does
    let bad = FmcwConfig { samples: 0, ..cfg };
    assert!(rftwin::radar::signal::range_profile(&bad, &[]).is_err());
}

#[test]
fn metrics_and_losses_of_inconsistent_inputs_are_errors() {
    use rftwin::inverse::metrics::mesh_distance;
    use rftwin::radar::loss::multiscale_mse;
    // a zero-area mesh gave a one-sided Chamfer distance
    let flat = Mesh { vertices: vec![DVec3::ZERO, DVec3::X, DVec3::X * 2.0], triangles: vec![[0, 1, 2]] };
    let plate = Mesh::quad_xy(0.0, 1.0, 0.0, 1.0, 0.0);
    assert!(mesh_distance(&flat, &plate, 100).is_err() && mesh_distance(&plate, &flat, 100).is_err());
    assert!(mesh_distance(&plate, &plate, 100).unwrap().chamfer < 1e-9);
    // dims that disagree with the data indexed out of bounds
    let good = Spectrum::zeros([2, 2, 2]);
    let short = Spectrum { dims: [2, 2, 2], data: vec![0.0; 5] };
    assert!(multiscale_mse(&good, &short, 2).is_err() && multiscale_mse(&short, &good, 2).is_err());
    assert!(multiscale_mse(&good, &good, 2).is_ok());
    // an unvalidated mesh with an index past its vertices
    let broken = Mesh { vertices: vec![DVec3::ZERO, DVec3::X, DVec3::Y], triangles: vec![[0, 1, 2], [0, 1, 7]] };
    assert_eq!(broken.degenerate_triangles(), 1);
}

/// The canyon written as XML + OBJ files, `box_a`'s first triangle repeated `copies` times.
fn canyon_files(dir: &std::path::Path, copies: usize) -> std::path::PathBuf {
    let canyon = Scene::canyon(ItuMaterial::Metal);
    std::fs::create_dir_all(dir).unwrap();
    let mut shapes = String::new();
    for o in canyon.objects() {
        let mut mesh = o.mesh.clone();
        if o.name == "box_a" {
            let first = mesh.triangles[0];
            // the same corners in another order and orientation are the same triangle
            mesh.triangles.extend((0..copies).map(|i| if i % 2 == 0 { first } else { [first[2], first[1], first[0]] }));
        }
        rftwin::core::io::obj::save_obj(&dir.join(format!("{}.obj", o.name)), &mesh).unwrap();
        let material = &canyon.materials()[o.material].name;
        shapes.push_str(&format!("<shape type=\"obj\" id=\"mesh-{0}\"><string name=\"filename\" value=\"{0}.obj\"/><ref id=\"mat-{1}\" name=\"bsdf\"/></shape>\n", o.name, material));
    }
    let xml = format!(
        "<scene version=\"2.1.0\">\n<bsdf type=\"itu-radio-material\" id=\"mat-itu_concrete\"><string name=\"type\" value=\"concrete\"/><float name=\"thickness\" value=\"0.1\"/></bsdf>\n\
         <bsdf type=\"itu-radio-material\" id=\"mat-itu_metal\"><string name=\"type\" value=\"metal\"/><float name=\"thickness\" value=\"0.1\"/></bsdf>\n{shapes}</scene>\n"
    );
    let path = dir.join("canyon.xml");
    std::fs::write(&path, xml).unwrap();
    path
}

/// Repeated triangles (CAD/OSM exports) made every ray that reached them test every copy:
/// 10⁵ copies of one face never finished. The loader removes exact duplicates within an
/// object and counts them; the solve then sees the clean scene.
#[test]
fn duplicate_triangles_are_removed_on_load_and_counted() {
    use rftwin::core::io::{load_scene_with, LoadOptions};
    let dir = std::env::temp_dir().join(format!("rftwin_duplicates_{}", std::process::id()));
    let path = canyon_files(&dir, 100_000);
    let (scene, report) = load_scene_with(&path, &LoadOptions::default()).unwrap();
    assert_eq!(report.duplicate_triangles, vec![("box_a".to_string(), 100_000)]);
    assert_eq!(scene.num_triangles(), 26, "the canyon's own triangle count");
    let (kept, report) = load_scene_with(&path, &LoadOptions { keep_duplicate_triangles: true }).unwrap();
    assert_eq!(report.duplicate_triangles, vec![("box_a".to_string(), 100_000)]);
    assert_eq!(kept.num_triangles(), 100_026);
    assert!(report.lines()[0].contains("100000 exact duplicate triangle(s) kept"));
    // the cleaned scene traces exactly like the built-in one
    let (tx, rx) = radios();
    let solver = PathSolver::new(SolverOptions { max_depth: 2, samples: 20_000, backend: rftwin::BackendChoice::Cpu, ..Default::default() });
    let canyon = Scene::canyon(ItuMaterial::Metal);
    let clean = solver.solve(&scene, &SceneGeometry::new(&scene), &tx, &rx).unwrap();
    let reference = solver.solve(&canyon, &SceneGeometry::new(&canyon), &tx, &rx).unwrap();
    assert_eq!(clean.num_paths(), reference.num_paths());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn xml_include_and_duplicate_bsdf_ids_are_refused_by_name() {
    let dir = std::env::temp_dir().join(format!("rftwin_xml_refusals_{}", std::process::id()));
    let path = canyon_files(&dir, 0);
    let text = std::fs::read_to_string(&path).unwrap();
    let include = dir.join("include.xml");
    std::fs::write(&include, "<scene version=\"2.1.0\"><include filename=\"canyon.xml\"/></scene>").unwrap();
    let e = rftwin::core::io::load_scene(&include).unwrap_err().to_string();
    assert!(e.contains("<include filename=\"canyon.xml\"> is not supported"), "{e}");
    let twice = dir.join("twice.xml");
    let metal = "<bsdf type=\"itu-radio-material\" id=\"mat-itu_metal\"><string name=\"type\" value=\"wood\"/></bsdf>\n";
    std::fs::write(&twice, text.replacen("<shape", &format!("{metal}<shape"), 1)).unwrap();
    let e = rftwin::core::io::load_scene(&twice).unwrap_err().to_string();
    assert!(e.contains("two bsdfs define material 'itu_metal'"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Transmission through ITU metal underflows to a coefficient of exactly 0: such paths
/// are dropped and counted (Sionna RT omits them), never returned as zero-power paths.
#[test]
fn paths_with_a_zero_coefficient_are_dropped_and_counted() {
    let canyon = Scene::canyon(ItuMaterial::Metal);
    // refraction only, the receiver behind box_a: the one candidate crosses the metal box
    let (tx, rx) = (Radio::isotropic(DVec3::new(0.0, 1.0, 6.0)), Radio::isotropic(DVec3::new(0.0, 25.0, 6.0)));
    let solver = PathSolver::new(SolverOptions { max_depth: 2, samples: 50_000, specular_reflection: false, refraction: true, backend: rftwin::BackendChoice::Cpu, ..Default::default() });
    let paths = solver.solve(&canyon, &SceneGeometry::new(&canyon), &tx, &rx).unwrap();
    assert!(paths.stats.zero_paths >= 1, "{:?}", paths.stats);
    assert!(paths.a.iter().all(|a| a.norm() > 0.0 && a.is_finite()));
    // through wood the same path carries power and is kept
    let wood = Scene::canyon(ItuMaterial::Wood);
    let paths = solver.solve(&wood, &SceneGeometry::new(&wood), &tx, &rx).unwrap();
    assert_eq!(paths.stats.zero_paths, 0);
    assert!(paths.num_paths() >= 1);
}

/// Material values far beyond any real material used to overflow into NaN amplitudes
/// written as `null`; they are refused where the material is made.
#[test]
fn extreme_material_values_are_refused_with_the_range() {
    use rftwin::core::material::{MaterialModel, RadioMaterial};
    let mut scene = Scene::new();
    for (eps_r, sigma, thickness) in [(1e200, 0.0, 0.1), (4.0, 1e200, 0.1), (4.0, 0.0, 1e201)] {
        let m = RadioMaterial { name: "odd".into(), model: MaterialModel::Custom { eps_r, sigma }, thickness };
        let e = scene.add_material(m).unwrap_err().to_string();
        assert!(e.contains("must be in"), "{e}");
    }
    let dir = std::env::temp_dir().join(format!("rftwin_extreme_material_{}", std::process::id()));
    let path = canyon_files(&dir, 0);
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "<bsdf type=\"itu-radio-material\" id=\"mat-itu_metal\"><string name=\"type\" value=\"metal\"/><float name=\"thickness\" value=\"0.1\"/></bsdf>",
        "<bsdf type=\"radio-material\" id=\"mat-itu_metal\"><float name=\"relative_permittivity\" value=\"1e200\"/></bsdf>",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let e = rftwin::core::io::load_scene(&path).unwrap_err().to_string();
    assert!(e.contains("relative permittivity must be in"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_absurd_ray_count_is_refused_before_any_work() {
    let canyon = Scene::canyon(ItuMaterial::Metal);
    let (tx, rx) = radios();
    for samples in [usize::MAX, rftwin::trace::paths::solver::MAX_SAMPLES + 1] {
        let solver = PathSolver::new(SolverOptions { max_depth: 2, samples, backend: rftwin::BackendChoice::Cpu, ..Default::default() });
        let e = solver.solve(&canyon, &SceneGeometry::new(&canyon), &tx, &rx).unwrap_err().to_string();
        assert!(e.contains("above the limit"), "{e}");
    }
}

/// An object scaled or moved to 10⁸–10⁹ m used to remove unrelated paths (line of sight
/// included) with exit 0; such a scene is refused, naming the object.
#[test]
fn a_scene_beyond_the_resolvable_extent_is_refused_by_name() {
    let (tx, rx) = radios();
    let solver = PathSolver::new(SolverOptions { max_depth: 1, samples: 1000, backend: rftwin::BackendChoice::Cpu, ..Default::default() });
    let mut far = Scene::canyon(ItuMaterial::Metal);
    far.translate_object("box_b", DVec3::new(1e9, 0.0, 0.0)).unwrap();
    let e = solver.solve(&far, &SceneGeometry::new(&far), &tx, &rx).unwrap_err().to_string();
    assert!(e.contains("farthest object 'box_b'") && e.contains("above the"), "{e}");
    let mut huge = Scene::canyon(ItuMaterial::Metal);
    for v in &mut huge.object_mut("box_a").unwrap().mesh.vertices {
        *v *= 1e8;
    }
    let e = solver.solve(&huge, &SceneGeometry::new(&huge), &tx, &rx).unwrap_err().to_string();
    assert!(e.contains("largest object 'box_a'"), "{e}");
}

/// A radio inside a closed object found no paths with no hint why; the solve now names
/// the enclosing object.
#[test]
fn a_radio_inside_a_closed_object_is_reported() {
    let canyon = Scene::canyon(ItuMaterial::Metal);
    let solver = PathSolver::new(SolverOptions { max_depth: 2, samples: 5000, backend: rftwin::BackendChoice::Cpu, ..Default::default() });
    let inside = Radio::isotropic(DVec3::new(0.0, 13.0, 6.0));
    let (tx, rx) = radios();
    let paths = solver.solve(&canyon, &SceneGeometry::new(&canyon), &inside, &rx).unwrap();
    let box_a = canyon.object_index("box_a").unwrap() as u32;
    assert_eq!((paths.stats.tx_inside, paths.stats.rx_inside), (Some(box_a), None));
    let json = rftwin::core::io::paths_json::to_json(&paths);
    assert_eq!(json["stats"]["tx_inside_object"], "box_a");
    let outside = solver.solve(&canyon, &SceneGeometry::new(&canyon), &tx, &rx).unwrap();
    assert_eq!((outside.stats.tx_inside, outside.stats.rx_inside), (None, None));
    // the open ground plane encloses nothing
    assert_eq!(canyon.object("ground").unwrap().mesh.contains_point(DVec3::new(0.0, 0.0, 0.0)), None);
}

/// A material on no path has a zero gradient: estimating it used to return the starting
/// values as the estimate. The objective now says why it cannot be estimated.
#[test]
fn a_material_on_no_path_cannot_be_estimated_and_says_why() {
    use rftwin::core::material::RadioMaterial;
    use rftwin::inverse::driver::Problem;
    use rftwin::inverse::objective::CfrObjective;
    let mut scene = Scene::canyon(ItuMaterial::Metal);
    scene.add_material(RadioMaterial::custom("hidden", 4.0, 0.1, 0.1).unwrap()).unwrap();
    // a plate under the ground, seen by nobody
    scene.add_object("buried", Mesh::quad_xy(-1.0, 1.0, -1.0, 1.0, -30.0), "hidden").unwrap();
    let geom = SceneGeometry::new(&scene);
    let (tx, rx) = radios();
    let solver = PathSolver::new(SolverOptions { max_depth: 1, samples: 5000, backend: rftwin::BackendChoice::Cpu, ..Default::default() });
    let freqs = vec![3.5e9, 3.6e9];
    let mut problem = CfrObjective { base: scene, geom, material: "hidden".into(), thickness: 0.1, solver, tx, rx: vec![rx], freqs, observed: vec![vec![rftwin::Complex::new(1e-6, 0.0); 2]], truth: None };
    let e = problem.evaluate(0, &[vec![4f64.ln(), 0.1f64.ln()]]).unwrap_err().to_string();
    assert!(e.contains("'hidden' lies on none of the paths"), "{e}");
}

#[test]
fn a_non_finite_ply_vertex_is_named() {
    let dir = std::env::temp_dir().join(format!("rftwin_ply_nan_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for bad in ["nan", "inf", "1e999", "-NaN"] {
        let path = dir.join("bad.ply");
        let ply = format!("ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 {bad} 0\n3 0 1 2\n");
        std::fs::write(&path, ply).unwrap();
        let e = rftwin::core::io::load_mesh(&path).unwrap_err().to_string();
        assert!(e.contains("vertex 2") && e.contains("not finite"), "{bad}: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Coplanar faces of two objects (a pad's top face in the ground plane): the reflection
/// is attributed by the stated rule — the object listed first wins — not by rounding.
#[test]
fn a_reflection_on_coincident_faces_goes_to_the_object_listed_first() {
    let build = |pad_first: bool| {
        let mut s = Scene::new();
        s.add_material(rftwin::core::material::RadioMaterial::itu(ItuMaterial::Concrete)).unwrap();
        let ground = Mesh::quad_xy(-50.0, 50.0, -50.0, 50.0, 0.0);
        let pad = Mesh::cuboid(DVec3::new(-5.0, -4.0, -1.0), DVec3::new(6.0, 5.0, 0.0));
        let objects = if pad_first { [("pad", pad), ("ground", ground)] } else { [("ground", ground), ("pad", pad)] };
        for (name, mesh) in objects {
            s.add_object(name, mesh, "itu_concrete").unwrap();
        }
        s
    };
    let solver = PathSolver::new(SolverOptions { max_depth: 1, samples: 20_000, backend: rftwin::BackendChoice::Cpu, ..Default::default() });
    for (tx, rx) in [(DVec3::new(-3.0, 0.5, 5.0), DVec3::new(3.0, -0.5, 2.0)), (DVec3::new(-2.0, 3.0, 1.0), DVec3::new(4.0, -2.0, 7.0))] {
        for pad_first in [false, true] {
            let scene = build(pad_first);
            let paths = solver.solve(&scene, &SceneGeometry::new(&scene), &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap();
            let reflected: Vec<&str> = (0..paths.num_paths()).filter(|&i| paths.path(i).interactions.len() == 1).map(|i| paths.object_names_of(i)[0]).collect();
            assert_eq!(reflected, [if pad_first { "pad" } else { "ground" }], "pad listed first: {pad_first}");
        }
    }
}

/// An echo at the array centre has no direction: the surrogate spectra were NaN; the IF
/// signal skipped the chirp's validation.
#[test]
fn surrogates_refuse_an_echo_at_the_array_centre_and_if_signal_validates_the_chirp() {
    use rftwin::radar::surrogate::{range_surrogate, spatial_power_surrogate, spatial_surrogate, RangeKernel, SurrogateEcho, SurrogateOptions};
    use rftwin::radar::FmcwConfig;
    let cfg = FmcwConfig::default();
    let lambda = cfg.wavelength();
    let opts = SurrogateOptions { sigma_m: cfg.range_resolution(), kernel: RangeKernel::Gaussian, aperture_radius_m: 4.0 * lambda, wavelength: lambda, random_phase_seed: None };
    let centre = DVec3::new(0.0, 0.0, 0.0);
    let echoes = [rftwin::Echo { point: DVec3::new(0.0, 1.0, 0.0), a: rftwin::Complex::new(1.0, 0.0), extra_path_m: 0.0 }, rftwin::Echo { point: centre, a: rftwin::Complex::new(1.0, 0.0), extra_path_m: 0.0 }];
    let se: Vec<SurrogateEcho> = echoes.iter().map(|e| SurrogateEcho::from_echo(e, centre)).collect();
    let bins = [0.9, 1.0, 1.1];
    let dirs = [DVec3::Y];
    for e in [range_surrogate(&se, &bins, &opts).err(), spatial_surrogate(&se, &bins, &dirs, &opts).err(), spatial_power_surrogate(&se, &bins, &dirs, &opts).err()] {
        let e = e.expect("an echo at the array centre must be refused").to_string();
        assert!(e.contains("echo 1") && e.contains("array centre"), "{e}");
    }
    assert!(range_surrogate(&se[..1], &bins, &opts).is_ok());
    let bad = FmcwConfig { samples: 0, ..cfg };
    assert!(rftwin::radar::signal::if_signal(&bad, &[(1e-8, rftwin::Complex::new(1.0, 0.0))]).is_err());
    assert!(rftwin::radar::signal::if_signal(&cfg, &[(f64::NAN, rftwin::Complex::new(1.0, 0.0))]).is_err());
}

#[test]
fn a_coverage_map_names_the_object_enclosing_its_transmitter() {
    use rftwin::{cell_coverage, CellGrid, CoverageRequest};
    let canyon = Scene::canyon(ItuMaterial::Metal);
    let solver = PathSolver::new(SolverOptions { max_depth: 1, samples: 2000, backend: rftwin::BackendChoice::Cpu, ..Default::default() });
    let grid = CellGrid { x: [-5.0, 5.0], y: [-5.0, 5.0], z: 1.5, cells: [2, 2], per_cell: 1 };
    let antenna = rftwin::Antenna::isotropic(rftwin::Polarization::V);
    let request = CoverageRequest { grid: &grid, rx_antenna: &antenna, param: None, boundary_term: false, progress: None };
    let geom = SceneGeometry::new(&canyon);
    let inside = cell_coverage(&solver, &canyon, &geom, &Radio::isotropic(DVec3::new(0.0, 13.0, 6.0)), &request).unwrap();
    assert_eq!(inside.tx_inside.as_deref(), Some("box_a"));
    let outside = cell_coverage(&solver, &canyon, &geom, &Radio::isotropic(DVec3::new(0.0, 0.0, 6.0)), &request).unwrap();
    assert_eq!(outside.tx_inside, None);
}
