//! PLY meshes (ASCII and binary) through `ply-rs-bw`.

use crate::error::{Error, Result};
use crate::mesh::Mesh;
use glam::DVec3;
use ply_rs_bw::parser::Parser;
use ply_rs_bw::ply::{DefaultElement, Property};
use std::path::Path;

fn scalar(p: &Property) -> Option<f64> {
    Some(match *p {
        Property::Char(v) => v as f64,
        Property::UChar(v) => v as f64,
        Property::Short(v) => v as f64,
        Property::UShort(v) => v as f64,
        Property::Int(v) => v as f64,
        Property::UInt(v) => v as f64,
        Property::Float(v) => v as f64,
        Property::Double(v) => v,
        _ => return None,
    })
}

fn index_list(p: &Property) -> Option<Vec<i64>> {
    Some(match p {
        Property::ListChar(v) => v.iter().map(|&x| x as i64).collect(),
        Property::ListUChar(v) => v.iter().map(|&x| x as i64).collect(),
        Property::ListShort(v) => v.iter().map(|&x| x as i64).collect(),
        Property::ListUShort(v) => v.iter().map(|&x| x as i64).collect(),
        Property::ListInt(v) => v.iter().map(|&x| x as i64).collect(),
        Property::ListUInt(v) => v.iter().map(|&x| x as i64).collect(),
        _ => return None,
    })
}

/// Loads the `vertex` (x, y, z) and `face` (`vertex_indices` or `vertex_index`)
/// elements of a PLY file; polygons are fan-triangulated.
pub fn load_ply(path: &Path) -> Result<Mesh> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = std::io::BufReader::new(file);
    let ply = Parser::<DefaultElement>::new()
        .read_ply(&mut reader)
        .map_err(|e| Error::parse(path, "PLY", ascii_vertex_problem(path).unwrap_or_else(|| e.to_string())))?;
    let err = |m: String| Error::parse(path, "PLY", m);
    let vertex_elems = ply.payload.get("vertex").ok_or_else(|| err("no 'vertex' element".into()))?;
    let mut vertices = Vec::with_capacity(vertex_elems.len());
    for (i, v) in vertex_elems.iter().enumerate() {
        let coord = |k: &str| {
            v.get(k).and_then(scalar).ok_or_else(|| err(format!("vertex {i} has no numeric property '{k}'")))
        };
        vertices.push(DVec3::new(coord("x")?, coord("y")?, coord("z")?));
    }
    let faces = ply.payload.get("face").ok_or_else(|| err("no 'face' element".into()))?;
    let mut triangles = Vec::with_capacity(faces.len());
    for (i, f) in faces.iter().enumerate() {
        let idx = f
            .get("vertex_indices")
            .or_else(|| f.get("vertex_index"))
            .and_then(index_list)
            .ok_or_else(|| err(format!("face {i} has no integer list 'vertex_indices'")))?;
        if idx.len() < 3 {
            return Err(err(format!("face {i} has {} vertices; at least 3 are needed", idx.len())));
        }
        if let Some(bad) = idx.iter().find(|&&x| x < 0 || x as usize >= vertices.len()) {
            return Err(err(format!("face {i} refers to vertex {bad} but the file has {} vertices", vertices.len())));
        }
        for k in 1..idx.len() - 1 {
            triangles.push([idx[0] as u32, idx[k] as u32, idx[k + 1] as u32]);
        }
    }
    let mesh = Mesh { vertices, triangles };
    mesh.validate(&path.display().to_string())?;
    Ok(mesh)
}

/// For an ASCII PLY the parser refused: the first vertex line holding a value that is
/// not a finite number (`nan` stops the parser with a dump of the line), named by index.
fn ascii_vertex_problem(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let (header, body) = text.split_once("end_header")?;
    if !header.lines().any(|l| l.trim().starts_with("format ascii")) {
        return None;
    }
    let count: usize = header.lines().find_map(|l| l.trim().strip_prefix("element vertex ")).and_then(|n| n.trim().parse().ok())?;
    body.lines().skip(1).take(count).enumerate().find_map(|(i, line)| {
        line.split_whitespace()
            .find(|tok| !tok.parse::<f64>().is_ok_and(f64::is_finite))
            .map(|tok| format!("vertex {i} is not finite: '{tok}'"))
    })
}
