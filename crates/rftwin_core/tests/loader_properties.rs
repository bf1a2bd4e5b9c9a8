//! Property tests of the loaders on mutated files: whatever bytes a scene or mesh file
//! holds, loading returns a mesh that passes validation or an error — never a panic, a
//! hang, or a mesh with non-finite vertices or out-of-range indices.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use rftwin_core::io::{load_mesh, load_scene};
use std::path::PathBuf;

const OBJ: &str = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nf 1 2 3 4\nf 1 2 5\nf 2 3 5\n";
const PLY: &str = "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\nelement face 2\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n3 0 2 3\n";
const XML: &str = "<scene version=\"2.1.0\">\n<bsdf type=\"itu-radio-material\" id=\"mat-itu_wood\"><string name=\"type\" value=\"wood\"/><float name=\"thickness\" value=\"0.1\"/></bsdf>\n<shape type=\"obj\" id=\"mesh-box\"><string name=\"filename\" value=\"m.obj\"/><ref id=\"mat-itu_wood\" name=\"bsdf\"/><transform name=\"to_world\"><translate x=\"1\" y=\"2\" z=\"3\"/><scale value=\"2\"/></transform></shape>\n</scene>\n";
const JSON: &str = r#"{ "materials": [ { "name": "g", "eps_r": 6.0, "sigma": 0.1, "thickness": 0.01 } ],
  "objects": [ { "name": "ground", "material": "g", "mesh": { "quad_xy": { "x": [-5, 5], "y": [-5, 5], "z": 0 } } },
               { "name": "box", "material": "itu_metal", "mesh": { "cuboid": { "min": [0,0,0], "max": [1,1,1] } }, "translation": [0, 0, 2] } ] }"#;

/// Tokens that broke parsers before: non-finite and huge numbers, negative and huge
/// indices, stray structure.
const TOKENS: [&str; 12] = ["nan", "inf", "-inf", "1e400", "-1", "0", "4294967296", "18446744073709551615", "\n", " ", "<", "}"];

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the byte at a position (fraction of the length).
    Flip(f64, u8),
    /// Cut the file at a position.
    Truncate(f64),
    /// Insert a token at a position.
    Insert(f64, usize),
    /// Delete a span.
    Delete(f64, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0.0..1.0f64, any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        (0.0..1.0f64).prop_map(Mutation::Truncate),
        (0.0..1.0f64, 0..TOKENS.len()).prop_map(|(p, t)| Mutation::Insert(p, t)),
        (0.0..1.0f64, 1..12usize).prop_map(|(p, n)| Mutation::Delete(p, n)),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for m in mutations {
        let at = |p: f64, len: usize| ((p * len as f64) as usize).min(len);
        match *m {
            Mutation::Flip(p, b) if !bytes.is_empty() => {
                let i = at(p, bytes.len() - 1);
                bytes[i] = b;
            }
            Mutation::Flip(..) => {}
            Mutation::Truncate(p) => bytes.truncate(at(p, bytes.len())),
            Mutation::Insert(p, t) => {
                let i = at(p, bytes.len());
                bytes.splice(i..i, TOKENS[t].bytes());
            }
            Mutation::Delete(p, n) => {
                let i = at(p, bytes.len());
                let j = (i + n).min(bytes.len());
                bytes.drain(i..j);
            }
        }
    }
    bytes
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rftwin_loader_props_{tag}_{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn check_mesh(mesh: &rftwin_core::Mesh) {
    assert!(mesh.vertices.iter().all(|v| v.is_finite()));
    assert!(mesh.triangles.iter().flatten().all(|&i| (i as usize) < mesh.vertices.len()));
    assert!(!mesh.triangles.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_meshes_load_or_fail_cleanly(mutations in prop::collection::vec(mutation(), 1..4), ply in any::<bool>()) {
        let dir = temp_dir("mesh");
        let (name, text) = if ply { ("m.ply", PLY) } else { ("m.obj", OBJ) };
        let path = dir.join(name);
        std::fs::write(&path, mutate(text, &mutations)).unwrap();
        if let Ok(mesh) = load_mesh(&path) {
            check_mesh(&mesh);
        }
    }

    #[test]
    fn mutated_scenes_load_or_fail_cleanly(mutations in prop::collection::vec(mutation(), 1..4), json in any::<bool>(), mesh_mutations in prop::collection::vec(mutation(), 0..2)) {
        let dir = temp_dir("scene");
        std::fs::write(dir.join("m.obj"), mutate(OBJ, &mesh_mutations)).unwrap();
        let (name, text) = if json { ("s.json", JSON) } else { ("s.xml", XML) };
        let path = dir.join(name);
        std::fs::write(&path, mutate(text, &mutations)).unwrap();
        if let Ok(scene) = load_scene(&path) {
            prop_assert!(!scene.objects().is_empty());
            for o in scene.objects() {
                check_mesh(&o.mesh);
                prop_assert!(o.material < scene.materials().len());
            }
            for m in scene.materials() {
                prop_assert!(m.validate().is_ok(), "{m:?}");
            }
        }
    }
}
