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
