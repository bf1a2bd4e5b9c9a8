//! Scene and mesh loaders: OBJ (tobj), PLY (ASCII and binary, ply-rs-bw), Sionna /
//! Mitsuba scene XML, and rftwin's own JSON scene format (see [`json`]).

pub mod json;
pub mod obj;
pub mod paths_json;
pub mod ply;
pub mod xml;

use crate::error::{Error, Result};
use crate::mesh::Mesh;
use crate::scene::Scene;
use std::path::Path;

/// Loads a mesh, choosing the reader from the file extension (`.obj` or `.ply`).
pub fn load_mesh(path: impl AsRef<Path>) -> Result<Mesh> {
    let path = path.as_ref();
    match extension(path).as_str() {
        "obj" => obj::load_obj(path),
        "ply" => ply::load_ply(path),
        other => Err(Error::parse(path, "mesh", format!("unsupported mesh extension '.{other}' (use .obj or .ply)"))),
    }
}

/// Loads a scene, choosing the reader from the file extension (`.xml` or `.json`), with
/// the default [`LoadOptions`] (exact duplicate triangles removed; see
/// [`load_scene_with`] for the report).
pub fn load_scene(path: impl AsRef<Path>) -> Result<Scene> {
    Ok(load_scene_with(path, &LoadOptions::default())?.0)
}

/// How a scene file is cleaned on load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadOptions {
    /// Keep triangles that exactly repeat another triangle of the same object (default:
    /// remove them, see [`Scene::drop_duplicate_triangles`]).
    pub keep_duplicate_triangles: bool,
}

/// What loading changed or found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// `(object, count)` of exact duplicate triangles — removed unless
    /// [`LoadOptions::keep_duplicate_triangles`], in which case they are only counted.
    pub duplicate_triangles: Vec<(String, usize)>,
    /// Whether the duplicates were kept ([`LoadOptions::keep_duplicate_triangles`]).
    pub duplicates_kept: bool,
}

impl LoadReport {
    /// One line per finding, for a command-line tool to print; empty when clean.
    pub fn lines(&self) -> Vec<String> {
        let what = if self.duplicates_kept { "kept (every ray reaching them tests each copy)" } else { "removed" };
        self.duplicate_triangles.iter().map(|(o, n)| format!("object '{o}': {n} exact duplicate triangle(s) {what}")).collect()
    }
}

/// [`load_scene`] with options, returning what the cleaning found.
pub fn load_scene_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<(Scene, LoadReport)> {
    let path = path.as_ref();
    let mut scene = match extension(path).as_str() {
        "xml" => xml::load_xml_scene(path),
        "json" => json::load_json_scene(path),
        other => Err(Error::parse(path, "scene", format!("unsupported scene extension '.{other}' (use .xml or .json)"))),
    }?;
    let duplicate_triangles = if options.keep_duplicate_triangles {
        scene.objects().iter().filter_map(|o| {
            let n = o.mesh.duplicate_triangles().len();
            (n > 0).then(|| (o.name.clone(), n))
        }).collect()
    } else {
        scene.drop_duplicate_triangles()
    };
    Ok((scene, LoadReport { duplicate_triangles, duplicates_kept: options.keep_duplicate_triangles }))
}

fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

/// Writes `value` as pretty JSON to `path` ([`write_atomic`]).
pub fn write_json_atomic(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::InvalidArgument { name: "JSON value", message: e.to_string() })?;
    write_atomic(path, text.as_bytes())
}

/// Writes `bytes` to `path`, creating parent folders: the bytes go to `<path>.partial`
/// beside it, which is then renamed over `path`, so an interrupted run never leaves a
/// truncated result (a rename within one folder is atomic).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| Error::write(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::write(path, e))
}
