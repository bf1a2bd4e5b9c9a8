//! Coefficients of resolved paths on the GPU field kernel (`path_field.wgsl`): the
//! packing of solver (A)'s paths, diffracted paths and RIS element terms into the
//! kernel's buffers.

use crate::error::{Result, TraceError};
use crate::scene_geometry::SceneGeometry;
use glam::DVec3;
use rftwin_core::{Complex, Radio};

/// One path for the GPU field kernel: its interaction points (without the end points)
/// and interactions.
pub(crate) type GpuPath<'a> = (&'a [DVec3], Vec<rftwin_gpu::field::FieldInteractionGpu>);

/// A reflection or refraction on triangle `t` for the GPU field kernel.
pub(crate) fn gpu_surface(geom: &SceneGeometry, materials: &[(Complex, f64)], t: u32, refraction: bool) -> rftwin_gpu::field::FieldInteractionGpu {
    use rftwin_gpu::field::{FieldInteractionGpu, KIND_REFLECTION, KIND_REFRACTION};
    let (eta, thickness) = materials[geom.material[t as usize] as usize];
    FieldInteractionGpu {
        normal: geom.normals[t as usize].as_vec3().into(),
        kind: if refraction { KIND_REFRACTION } else { KIND_REFLECTION },
        eta: [eta.re as f32, eta.im as f32],
        thickness: thickness as f32,
        ..Default::default()
    }
}

/// A wedge diffraction for the GPU field kernel.
pub(crate) fn gpu_wedge(geom: &SceneGeometry, materials: &[(Complex, f64)], w: &crate::scene_geometry::wedges::Wedge) -> rftwin_gpu::field::FieldInteractionGpu {
    use rftwin_gpu::field::{FieldInteractionGpu, KIND_DIFFRACTION};
    let (eta, thickness) = materials[geom.material[w.faces[0] as usize] as usize];
    FieldInteractionGpu {
        normal: w.normals[0].as_vec3().into(),
        kind: KIND_DIFFRACTION,
        eta: [eta.re as f32, eta.im as f32],
        thickness: thickness as f32,
        wedge_n: w.n as f32,
        edge: w.edge.as_vec3().into(),
        normal_n: w.normals[1].as_vec3().into(),
        ..Default::default()
    }
}

/// Coefficients of `paths` from the GPU field kernel (`path_field`).
pub(crate) fn gpu_coefficients(ctx: &rftwin_gpu::GpuContext, paths: &[GpuPath], tx: &Radio, rx: &Radio, lambda: f64) -> Result<Vec<Complex>> {
    use rftwin_core::AntennaPattern;
    use rftwin_gpu::field::{path_coefficients, FieldAntenna, FieldParams, FieldPath};
    let antenna = |a: &rftwin_core::Antenna| {
        let m = rftwin_core::antenna::rotation_matrix(a.orientation);
        let col = |c: DVec3| -> [f32; 3] { c.as_vec3().into() };
        let slant = match a.polarization {
            rftwin_core::Polarization::V => 0.0,
            rftwin_core::Polarization::H => std::f64::consts::FRAC_PI_2,
            rftwin_core::Polarization::Slant(z) => z,
        };
        let pattern = match a.pattern {
            AntennaPattern::Isotropic => 0,
            AntennaPattern::ShortDipole => 1,
            AntennaPattern::HalfWaveDipole => 2,
            other => {
                return Err(TraceError::InvalidInput { name: "antenna", message: format!("the GPU field kernel has no {other:?} pattern; use the CPU backend") })
            }
        };
        Ok(FieldAntenna { col0: col(m.x_axis), pattern, col1: col(m.y_axis), slant: slant as f32, col2: col(m.z_axis), pad: 0.0 })
    };
    let mut descriptors = Vec::with_capacity(paths.len());
    let mut points = Vec::new();
    let mut inters = Vec::new();
    for (vertices, interactions) in paths {
        descriptors.push(FieldPath { first_point: points.len() as u32, first_interaction: inters.len() as u32, interactions: vertices.len() as u32, pad: 0 });
        // relative to the transmitter: no large coordinates in f32
        let rel = |p: DVec3| -> [f32; 4] {
            let d = p - tx.position;
            [d.x as f32, d.y as f32, d.z as f32, 0.0]
        };
        points.push([0.0; 4]);
        points.extend(vertices.iter().map(|v| rel(*v)));
        points.push(rel(rx.position));
        inters.extend_from_slice(interactions);
    }
    let params = FieldParams { tx: antenna(&tx.antenna)?, rx: antenna(&rx.antenna)?, wavelength: lambda as f32, count: 0, pad: [0; 2] };
    let a = path_coefficients(ctx, &descriptors, &points, &inters, params)?;
    Ok(a.into_iter().map(|a| Complex::new(a[0] as f64, a[1] as f64)).collect())
}
