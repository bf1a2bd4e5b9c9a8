//! rftwin's JSON scene format.
//!
//! ```json
//! {
//!   "materials": [
//!     { "name": "itu_concrete", "itu": "concrete", "thickness": 0.2 },
//!     { "name": "my_glass", "eps_r": 6.3, "sigma": 0.1, "thickness": 0.01 }
//!   ],
//!   "objects": [
//!     { "name": "ground", "material": "itu_concrete",
//!       "mesh": { "quad_xy": { "x": [-50, 50], "y": [-50, 50], "z": 0 } } },
//!     { "name": "box", "material": "itu_metal",
//!       "mesh": { "cuboid": { "min": [0, 0, 0], "max": [1, 2, 3] } },
//!       "translation": [5, 0, 0] },
//!     { "name": "car", "material": "my_glass", "mesh": { "file": "meshes/car.obj" } },
//!     { "name": "ball", "material": "itu_metal",
//!       "mesh": { "icosphere": { "center": [0, 0, 1], "radius": 0.5, "subdivisions": 2 } } },
//!     { "name": "tri", "material": "itu_wood",
//!       "mesh": { "triangles": { "vertices": [[0,0,0],[1,0,0],[0,1,0]], "indices": [[0,1,2]] } } }
//!   ],
//!   "ris": [
//!     { "name": "ris", "centre": [0, 5, 2], "normal": [0, -1, 0], "up": [0, 0, 1],
//!       "elements": [32, 32], "element_size": [0.005, 0.005],
//!       "configurations": [ { "amplitude": [1, …], "phase": [0, …] } ],
//!       "model": { "kind": "element_sum" } }
//!   ]
//! }
//! ```
//!
//! Materials named `itu_<type>` need no declaration (default thickness 0.1 m). Mesh
//! files (`.obj`, `.ply`) are relative to the JSON file. Unknown fields are errors.

use crate::error::{Error, Result};
use crate::io::load_mesh;
use crate::material::{ItuMaterial, MaterialModel, RadioMaterial, DEFAULT_THICKNESS};
use crate::mesh::Mesh;
use crate::scene::Scene;
use glam::DVec3;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonScene {
    #[serde(default)]
    materials: Vec<JsonMaterial>,
    objects: Vec<JsonObject>,
    /// RIS in the layout of [`crate::ris::RisSurface::from_json`].
    #[serde(default)]
    ris: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonMaterial {
    name: String,
    itu: Option<String>,
    eps_r: Option<f64>,
    sigma: Option<f64>,
    thickness: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonObject {
    name: String,
    material: String,
    mesh: JsonMesh,
    translation: Option<[f64; 3]>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum JsonMesh {
    File(String),
    Cuboid { min: [f64; 3], max: [f64; 3] },
    QuadXy { x: [f64; 2], y: [f64; 2], z: f64 },
    Icosphere { center: [f64; 3], radius: f64, subdivisions: u32 },
    Triangles { vertices: Vec<[f64; 3]>, indices: Vec<[u32; 3]> },
}

/// Loads a JSON scene file.
pub fn load_json_scene(path: &Path) -> Result<Scene> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_json_scene(&text, path.parent().unwrap_or_else(|| Path::new(".")), path)
}

/// Parses JSON scene text; `base` resolves mesh file names.
pub fn parse_json_scene(text: &str, base: &Path, path: &Path) -> Result<Scene> {
    let doc: JsonScene = serde_json::from_str(text).map_err(|e| Error::parse(path, "JSON", e.to_string()))?;
    let mut scene = Scene::new();
    for m in doc.materials {
        let thickness = m.thickness.unwrap_or(DEFAULT_THICKNESS);
        let model = match (m.itu.as_deref(), m.eps_r, m.sigma) {
            (Some(kind), None, None) => MaterialModel::Itu(ItuMaterial::from_name(kind)?),
            (None, Some(eps_r), sigma) => MaterialModel::Custom { eps_r, sigma: sigma.unwrap_or(0.0) },
            _ => {
                return Err(Error::parse(
                    path,
                    "JSON",
                    format!("material '{}' needs either \"itu\" or \"eps_r\" (with optional \"sigma\"), not both", m.name),
                ))
            }
        };
        scene.add_material(RadioMaterial { name: m.name, model, thickness })?;
    }
    for o in doc.objects {
        let v = |a: [f64; 3]| DVec3::from_array(a);
        let mut mesh = match o.mesh {
            JsonMesh::File(f) => load_mesh(base.join(f))?,
            JsonMesh::Cuboid { min, max } => Mesh::cuboid(v(min), v(max)),
            JsonMesh::QuadXy { x, y, z } => Mesh::quad_xy(x[0], x[1], y[0], y[1], z),
            JsonMesh::Icosphere { center, radius, subdivisions } => {
                if subdivisions > 7 {
                    return Err(Error::parse(path, "JSON", format!("object '{}': icosphere subdivisions {subdivisions} > 7", o.name)));
                }
                Mesh::icosphere(v(center), radius, subdivisions)
            }
            JsonMesh::Triangles { vertices, indices } => Mesh { vertices: vertices.into_iter().map(v).collect(), triangles: indices },
        };
        if let Some(t) = o.translation {
            mesh.translate(v(t));
        }
        scene.add_object(&o.name, mesh, &o.material)?;
    }
    if scene.objects().is_empty() {
        return Err(Error::parse(path, "JSON", "the scene has no objects"));
    }
    for r in doc.ris {
        let ris = crate::ris::RisSurface::from_json(&r.to_string()).map_err(|e| Error::parse(path, "JSON", e.to_string()))?;
        scene.add_ris(ris).map_err(|e| Error::parse(path, "JSON", e.to_string()))?;
    }
    Ok(scene)
}
