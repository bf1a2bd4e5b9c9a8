//! The car-body family shipped in `assets/shapes/` (read by the `shape_prior` example)
//! must be the meshes `CarBody` generates. `RFTWIN_WRITE_ASSETS=1` rewrites the files.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin_core::io::{load_mesh, obj::save_obj};
use rftwin_inverse::shapes::CarBody;
use std::path::PathBuf;

#[test]
fn shipped_car_family_matches_the_generator() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/shapes");
    let mut meshes: Vec<(String, _)> = CarBody::family().iter().enumerate().map(|(k, c)| (format!("car_family_{k}.obj"), c.mesh(DVec3::ZERO, 3))).collect();
    meshes.push(("car_default.obj".into(), CarBody::default().mesh(DVec3::ZERO, 3)));
    if std::env::var_os("RFTWIN_WRITE_ASSETS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, m) in &meshes {
            save_obj(&dir.join(name), m).unwrap();
        }
    }
    for (name, m) in &meshes {
        let shipped = load_mesh(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        // OBJ readers number vertices in order of first use by a face, so compare corner
        // by corner: the same faces in the same order at the same positions
        assert_eq!(shipped.triangles.len(), m.triangles.len(), "{name}: triangle count");
        assert_eq!(shipped.vertices.len(), m.vertices.len(), "{name}: vertex count");
        let worst = shipped.triangles.iter().zip(&m.triangles).flat_map(|(a, b)| (0..3).map(move |k| (a[k], b[k]))).map(|(i, j)| (shipped.vertices[i as usize] - m.vertices[j as usize]).length()).fold(0.0, f64::max);
        // OBJ positions are read as f32
        assert!(worst < 1e-6, "{name}: vertices differ by up to {worst} m");
    }
}
