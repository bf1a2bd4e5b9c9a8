//! A scene parameter in dual numbers: the moved object's vertices and planes, the
//! materials, the radio positions.

use crate::error::Result;
use crate::scene_geometry::SceneGeometry;
use num_complex::Complex as C;
use rftwin_core::dual::{Dual, V3};
use rftwin_core::Scene;

type D = Dual<3>;

use super::{pose_pivot, GradientParam};

fn dvec(v: glam::DVec3, variable: bool) -> V3<D> {
    if variable {
        V3([D::variable(v.x, 0), D::variable(v.y, 1), D::variable(v.z, 2)])
    } else {
        V3::cst(v)
    }
}

/// A scene parameter as dual numbers: the moved object's vertices and planes, the
/// materials' η and thicknesses, the end points — each with the parameter's components
/// as variables `0..components`.
pub(crate) struct Perturbation {
    pub(crate) param: GradientParam,
    moved_object: Option<u32>,
    pivot: glam::DVec3,
    /// `(η, thickness)` per material.
    pub(crate) etas: Vec<(C<D>, D)>,
    pub(crate) tx_p: V3<D>,
    pub(crate) rx_p: V3<D>,
}

impl Perturbation {
    pub(crate) fn new(scene: &Scene, frequency_hz: f64, tx: glam::DVec3, rx: glam::DVec3, param: &GradientParam) -> Result<Self> {
        let f = frequency_hz;
        let moved_object = match param {
            GradientParam::ObjectTranslation(n) | GradientParam::ObjectRotation(n) | GradientParam::ObjectScale(n) => Some(scene.object_index(n)? as u32),
            _ => None,
        };
        let pivot = moved_object.map_or(glam::DVec3::ZERO, |o| pose_pivot(&scene.objects()[o as usize].mesh));
        let material_param = match param {
            GradientParam::MaterialEpsR(n) | GradientParam::MaterialSigma(n) | GradientParam::MaterialThickness(n) => {
                Some(scene.find_material(n)?)
            }
            _ => None,
        };
        // η of every material, with the requested component as variable 0.
        let varied = param.slab_component();
        let etas: Vec<(C<D>, D)> = scene.slab_table_with(f, |i, c, v| {
            if material_param == Some(i) && varied == Some(c) {
                D::variable(v, 0)
            } else {
                D::constant(v)
            }
        })?;
        let tx_p = dvec(tx, *param == GradientParam::TxPosition);
        let rx_p = dvec(rx, *param == GradientParam::RxPosition);
        Ok(Perturbation { param: param.clone(), moved_object, pivot, etas, tx_p, rx_p })
    }

    /// `x' = c + M (x − c) + t` for a vertex of the moved object.
    fn transform(&self, v: glam::DVec3) -> V3<D> {
        let Some((_, kind)) = self.param.pose() else { return V3::cst(v) };
        let id = kind.identity();
        let moved = kind.apply(V3::<D>::cst(v - self.pivot), [0, 1, 2].map(|c| D::variable(id[c], c)));
        V3::<D>::cst(self.pivot).plus(moved)
    }

    /// Point `p` of triangle `tri`, moving with the triangle's object.
    pub(crate) fn point(&self, geom: &SceneGeometry, p: glam::DVec3, tri: usize) -> V3<D> {
        if self.moved_object == Some(geom.object[tri]) {
            self.transform(p)
        } else {
            V3::cst(p)
        }
    }

    /// Unit normal and offset of triangle `tri`'s plane.
    pub(crate) fn plane(&self, geom: &SceneGeometry, tri: usize) -> (V3<D>, D) {
        if self.moved_object == Some(geom.object[tri]) {
            let [v0, v1, v2] = geom.triangles[tri].map(|v| self.transform(v));
            let n = v1.minus(v0).cross(v2.minus(v0)).normalize();
            (n, n.dot(v0))
        } else {
            constant_plane(geom, tri)
        }
    }
}

/// Unit normal and offset of an unmoved triangle's plane, as dual constants.
pub(super) fn constant_plane<const N: usize>(geom: &SceneGeometry, tri: usize) -> (V3<Dual<N>>, Dual<N>) {
    (V3::cst(geom.normals[tri]), Dual::constant(geom.normals[tri].dot(geom.triangles[tri][0])))
}
