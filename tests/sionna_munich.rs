//! Solver (A) against Sionna RT 2.2.0 on the Munich scene (38,936 triangles):
//! 28 GHz, TX (8.5, 21, 27), RX (45, 90, 1.5), max depth 3, LoS + specular +
//! refraction. Reference: ../shared/reference/sionna/munich/munich_d3_refr.json
//! (copied to tests/golden/sionna).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use glam::DVec3;
use rftwin::core::io::load_scene;
use rftwin::{PathSolver, Radio, SolverOptions};

for_each_backend!(munich_depth3_refraction_finds_the_13_sionna_paths, super::munich_matches_sionna);

fn munich_matches_sionna(backend: rftwin::BackendChoice) {
    let scene = load_scene(shared_reference("sionna/scenes/munich/munich.xml")).unwrap();
    assert_eq!(scene.num_triangles(), 38_936);
    let opts = SolverOptions { backend, frequency_hz: 28e9, max_depth: 3, samples: 1_000_000, refraction: true, ..Default::default() };
    let paths = PathSolver::new(opts)
        .solve_scene(&scene, &Radio::isotropic(DVec3::new(8.5, 21.0, 27.0)), &Radio::isotropic(DVec3::new(45.0, 90.0, 1.5)))
        .unwrap();
    let doc = load_json(&golden("sionna/munich_d3_refr.json"));
    let refs = reference_paths(&doc);
    assert_eq!(refs.len(), 13);
    assert_eq!(paths.stats.dropped_candidates, 0);
    // Same tolerances as the canyon: τ 1e-6, a 1e-3 relative, vertices 1 mm.
    assert_paths_match("munich", &paths, &refs, 1e-6, 1e-3, 1e-3);
}
