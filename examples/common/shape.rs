//! The mesh the shape examples reconstruct: the built-in car body or a file.
#![allow(dead_code)]

use anyhow::{Context, Result};
use glam::DVec3;
use rftwin::inverse::shape::SUBDIVISIONS;
use rftwin::inverse::shapes::CarBody;
use rftwin::Mesh;

/// The built-in target (the default car body) or a mesh file centred at the origin.
pub fn target(path: Option<&str>) -> Result<Mesh> {
    Ok(match path {
        Some(p) => {
            let mut m = rftwin::core::io::load_mesh(p).with_context(|| format!("loading {p}"))?;
            let (lo, hi) = m.bounds().context("the mesh has no vertices")?;
            m.translate(-(lo + hi) / 2.0);
            m
        }
        None => CarBody::default().mesh(DVec3::ZERO, SUBDIVISIONS),
    })
}

