//! Solver (A) against Sionna RT 2.2.0 on the canyon scene (reference data in
//! tests/golden/sionna, copied from ../shared/reference/sionna/canyon/paths).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use glam::DVec3;
use rftwin::core::io::load_scene;
use rftwin::{ItuMaterial, PathSolver, Radio, Scene, SolverOptions};

fn solve_config(name: &str, scene: &Scene) -> (rftwin::Paths, Vec<RefPath>) {
    let doc = load_json(&golden(&format!("sionna/{name}.json")));
    let v = |x: &serde_json::Value| DVec3::new(x[0].as_f64().unwrap(), x[1].as_f64().unwrap(), x[2].as_f64().unwrap());
    let s = &doc["solver"];
    let opts = SolverOptions {
        backend: rftwin::BackendChoice::Cpu,
        frequency_hz: doc["frequency_hz"].as_f64().unwrap(),
        max_depth: s["max_depth"].as_u64().unwrap() as usize,
        samples: 200_000,
        los: s["los"].as_bool().unwrap(),
        specular_reflection: s["specular_reflection"].as_bool().unwrap(),
        refraction: s["refraction"].as_bool().unwrap(),
        seed: 42,
        ..Default::default()
    };
    let paths = PathSolver::new(opts)
        .solve_scene(scene, &Radio::isotropic(v(&doc["tx"]["position"])), &Radio::isotropic(v(&doc["rx"]["position"])))
        .unwrap();
    assert_eq!(paths.stats.dropped_candidates, 0);
    (paths, reference_paths(&doc))
}

const CONFIGS: [(&str, ItuMaterial); 6] = [
    ("los_metal_d0", ItuMaterial::Metal),
    ("los_metal_d1", ItuMaterial::Metal),
    ("los_metal_d2", ItuMaterial::Metal),
    ("los_metal_d3", ItuMaterial::Metal),
    ("los_wood_d3", ItuMaterial::Wood),
    ("nlos_wood_d2_spec_refr", ItuMaterial::Wood),
];

#[test]
fn builtin_canyon_matches_sionna_on_every_reference_configuration() {
    for (name, mat) in CONFIGS {
        let (paths, refs) = solve_config(name, &Scene::canyon(mat));
        // Sionna computes in f32; the f64 formulas agree with it to ~1e-6.
        assert_paths_match(name, &paths, &refs, 1e-6, 1e-3, 1e-3);
    }
}

#[test]
fn canyon_xml_import_gives_the_same_paths() {
    for (xml, name) in [("canyon_metal.xml", "los_metal_d3"), ("canyon_wood.xml", "nlos_wood_d2_spec_refr")] {
        let scene = load_scene(shared_reference(&format!("sionna/canyon/{xml}"))).unwrap();
        let names: Vec<&str> = scene.objects().iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["ground", "box_a", "box_b"]);
        let (paths, refs) = solve_config(name, &scene);
        assert_paths_match(xml, &paths, &refs, 1e-6, 1e-3, 1e-3);
    }
}
