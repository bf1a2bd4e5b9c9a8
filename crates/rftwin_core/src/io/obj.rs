//! Wavefront OBJ meshes through `tobj`.

use crate::error::{Error, Result};
use crate::mesh::Mesh;
use glam::DVec3;
use std::path::Path;

/// Loads every object of an OBJ file into one triangulated mesh.
pub fn load_obj(path: &Path) -> Result<Mesh> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = std::io::BufReader::new(file);
    let options = tobj::LoadOptions { triangulate: true, single_index: false, ignore_points: true, ignore_lines: true };
    let (models, _materials) = tobj::load_obj_buf(&mut reader, &options, |_| Err(tobj::LoadError::OpenFileFailed))
        .map_err(|e| Error::parse(path, "OBJ", e.to_string()))?;
    let mut mesh = Mesh::default();
    for model in &models {
        let m = &model.mesh;
        let vertices: Vec<DVec3> =
            m.positions.chunks_exact(3).map(|p| DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64)).collect();
        let triangles = m.indices.chunks_exact(3).map(|t| [t[0], t[1], t[2]]).collect();
        mesh.append(&Mesh { vertices, triangles });
    }
    mesh.validate(&path.display().to_string())?;
    Ok(mesh)
}

/// Writes `mesh` as a Wavefront OBJ file (`v` and 1-based `f` lines, 9 significant
/// digits — OBJ readers, tobj included, read positions as f32).
pub fn save_obj(path: &Path, mesh: &Mesh) -> Result<()> {
    use std::fmt::Write as _;
    mesh.validate("saved mesh")?;
    let mut s = String::with_capacity(40 * (mesh.vertices.len() + mesh.triangles.len()));
    let _ = writeln!(s, "# rftwin mesh: {} vertices, {} triangles", mesh.vertices.len(), mesh.triangles.len());
    for v in &mesh.vertices {
        let _ = writeln!(s, "v {:.9e} {:.9e} {:.9e}", v.x, v.y, v.z);
    }
    for t in &mesh.triangles {
        let _ = writeln!(s, "f {} {} {}", t[0] + 1, t[1] + 1, t[2] + 1);
    }
    crate::io::write_atomic(path, s.as_bytes())
}
