//! Gradients of channel paths with respect to every vertex of one object.

use crate::error::Result;
use crate::scene_geometry::SceneGeometry;
use num_complex::Complex as C;
use rftwin_core::constants::wavelength;
use rftwin_core::dual::{Dual, V3};
use rftwin_core::{InteractionType, Paths, Radio, Scene};


use super::perturbation::constant_plane;
use super::reevaluation::{check_reevaluation, diffracted_path_layout, path_triangles, reevaluate_diffracted_path, reevaluate_path, Reevaluation};

/// Derivatives of channel paths with respect to the vertex positions of one object.
#[derive(Debug, Clone, PartialEq)]
pub struct VertexPathGradients {
    /// Object index.
    pub object: usize,
    /// `∂(Σ|a|²)/∂v` per vertex of the object's mesh.
    pub total_power: Vec<glam::DVec3>,
    /// Per path: the vertices the path depends on, with its derivatives.
    pub per_path: Vec<Vec<VertexGradient>>,
}

/// A path's derivatives with respect to one vertex of the object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VertexGradient {
    /// Vertex index in the object's mesh.
    pub vertex: u32,
    /// `∂τ/∂v` \[s/m\].
    pub d_tau: glam::DVec3,
    /// `∂|a|²/∂v` \[1/m\].
    pub d_power: glam::DVec3,
}

/// Interior gradients of `paths` with respect to every vertex of `object` (the mesh
/// deforms, its planes tilt). Each interaction on the object differentiates its own
/// triangle's nine coordinates; occurrences are summed.
pub fn path_vertex_gradients(scene: &Scene, geom: &SceneGeometry, paths: &Paths, tx: &Radio, rx: &Radio, object: &str) -> Result<VertexPathGradients> {
    crate::paths::ris::refuse_vertex_gradients(paths, format!("vertices of {object}"))?;
    let o = scene.object_index(object)?;
    let f = paths.frequency_hz;
    let lambda = wavelength(f);
    let etas: Vec<(C<Dual<9>>, Dual<9>)> = scene.slab_table_with(f, |_, _, v| Dual::constant(v))?;
    let mesh = &scene.objects()[o].mesh;
    let mut out = VertexPathGradients { object: o, total_power: vec![glam::DVec3::ZERO; mesh.vertices.len()], per_path: Vec::new() };
    let re = Reevaluation { etas: &etas, geom, ends: [V3::<Dual<9>>::cst(tx.position), V3::<Dual<9>>::cst(rx.position)], radios: [tx, rx], lambda };
    for i in 0..paths.num_paths() {
        let diffracted = if paths.path(i).interactions.contains(&InteractionType::Diffraction) {
            Some(diffracted_path_layout(paths, i, geom)?)
        } else {
            None
        };
        let tris = match &diffracted {
            // the wedge's faces move the edge and its angle: both are differentiated
            Some(d) => d.triangles.iter().map(|&t| (t as usize, false)).chain(d.wedge.faces.iter().map(|&f| (f as usize, false))).collect(),
            None => path_triangles(paths, i, geom)?,
        };
        let mut entries: Vec<VertexGradient> = Vec::new();
        // each distinct triangle once: a pass makes all its occurrences in the path variable
        let mut actives: Vec<usize> = tris.iter().map(|t| t.0).filter(|&t| geom.object[t] as usize == o).collect();
        actives.sort_unstable();
        actives.dedup();
        for active in actives {
            let local = geom.local_index[active] as usize;
            let idx = mesh.triangles[local];
            let plane = |tri: usize| -> (V3<Dual<9>>, Dual<9>) {
                if tri != active {
                    return constant_plane(geom, tri);
                }
                let v: Vec<V3<Dual<9>>> = (0..3)
                    .map(|k| {
                        let p = mesh.vertices[idx[k] as usize];
                        V3([Dual::variable(p.x, 3 * k), Dual::variable(p.y, 3 * k + 1), Dual::variable(p.z, 3 * k + 2)])
                    })
                    .collect();
                let n = v[1].minus(v[0]).cross(v[2].minus(v[0])).normalize();
                (n, n.dot(v[0]))
            };
            let (tau, a) = match &diffracted {
                Some(d) => {
                    let point = |p: glam::DVec3, tri: usize| -> V3<Dual<9>> {
                        match (0..3).find(|&k| tri == active && mesh.vertices[idx[k] as usize] == p) {
                            Some(k) => V3([Dual::variable(p.x, 3 * k), Dual::variable(p.y, 3 * k + 1), Dual::variable(p.z, 3 * k + 2)]),
                            None => V3::cst(p),
                        }
                    };
                    reevaluate_diffracted_path(d, plane, point, &re)
                }
                None => reevaluate_path(&tris, plane, &re),
            };
            check_reevaluation(paths, i, tau.v, C::new(a.re.v, a.im.v))?;
            let power = a.re * a.re + a.im * a.im;
            for (k, &vi) in idx.iter().enumerate() {
                let dt = glam::DVec3::new(tau.d[3 * k], tau.d[3 * k + 1], tau.d[3 * k + 2]);
                let dp = glam::DVec3::new(power.d[3 * k], power.d[3 * k + 1], power.d[3 * k + 2]);
                out.total_power[vi as usize] += dp;
                match entries.iter_mut().find(|e| e.vertex == vi) {
                    Some(e) => {
                        e.d_tau += dt;
                        e.d_power += dp;
                    }
                    None => entries.push(VertexGradient { vertex: vi, d_tau: dt, d_power: dp }),
                }
            }
        }
        out.per_path.push(entries);
    }
    Ok(out)
}

