//! The image method's verdict on a chain: the vertices of a valid path at their closed
//! form positions, and for an invalid one the first constraint that fails.

#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin_core::{Mesh, Scene};
use rftwin_trace::paths::image_method::{trace_chain, ChainFailure};
use rftwin_trace::SceneGeometry;

const TX: DVec3 = DVec3::new(0.0, 0.0, 5.0);

/// A 4 m × 4 m metal plate on z = 0 (its triangles first) and a concrete wall
/// x ∈ [1, 1.2], 2.8 m high.
fn geometry() -> SceneGeometry {
    let mut s = Scene::new();
    s.add_object("plate", Mesh::quad_xy(-2.0, 2.0, -2.0, 2.0, 0.0), "itu_metal").unwrap();
    s.add_object("wall", Mesh::cuboid(DVec3::new(1.0, -6.0, 0.0), DVec3::new(1.2, 6.0, 2.8)), "itu_concrete").unwrap();
    SceneGeometry::new(&s)
}

/// Ground reflection point between `TX` and a receiver at `(x, 0, z)`: `x · 5 / (5 + z)`.
fn ground_point(x: f64, z: f64) -> f64 {
    x * TX.z / (TX.z + z)
}

#[test]
fn valid_reflection_lands_on_its_closed_form_point() {
    let geom = geometry();
    let ground = geom.plane[0];
    let rx = DVec3::new(0.6, 0.3, 1.0);
    let path = trace_chain(&geom, &[ground], None, TX, rx).unwrap();
    let expected = DVec3::new(ground_point(0.6, 1.0), ground_point(0.3, 1.0), 0.0);
    assert!((path.vertices[0] - expected).length() < 1e-12, "{:?} vs {expected:?}", path.vertices[0]);
    assert_eq!(geom.object[path.triangles[0] as usize], 0);
}

#[test]
fn reflection_point_off_its_face_is_a_missed_surface_at_the_plane_point() {
    let geom = geometry();
    let ground = geom.plane[0];
    // reflection point at x = 8.33 m, beyond the plate's edge x = 2
    let rx = DVec3::new(-10.0, 0.0, 1.0);
    let failure = trace_chain(&geom, &[ground], None, TX, rx).unwrap_err();
    let ChainFailure::MissedSurface { step, from, dir, hit, plane_t, previous } = failure else { panic!("{failure:?}") };
    assert_eq!((step, hit, previous), (0, None, None));
    assert_eq!(from, rx);
    let q = from + dir * plane_t.unwrap();
    assert!((q - DVec3::new(ground_point(-10.0, 1.0), 0.0, 0.0)).length() < 1e-12, "{q:?}");
}

#[test]
fn wall_before_the_reflection_point_is_the_surface_met() {
    let geom = geometry();
    let ground = geom.plane[0];
    // reflection point x = 1.18 (under the wall); the ray back from the receiver meets
    // the wall's face x = 1.2 first, 0.2 m from the receiver (x = 1.3 → 1.2 at slope 0.12/0.5)
    let rx = DVec3::new(1.3, 0.0, 0.5);
    let failure = trace_chain(&geom, &[ground], None, TX, rx).unwrap_err();
    let ChainFailure::MissedSurface { step: 0, hit: Some(h), plane_t: Some(t_plane), .. } = failure else { panic!("{failure:?}") };
    assert_eq!(geom.object[h.triangle as usize], 1);
    assert!(h.t < t_plane);
    let dx = 1.3 - ground_point(1.3, 0.5);
    let expected = 0.1 / dx * (dx * dx + 0.25f64).sqrt();
    assert!((h.t - expected).abs() < 1e-6, "{} vs {expected}", h.t);
}

#[test]
fn blocked_last_segment_reports_the_hidden_source_from_the_first_vertex() {
    let geom = geometry();
    let ground = geom.plane[0];
    // reflection point x = 1.667; its way up to the transmitter crosses the wall at z ≈ 1.7
    let rx = DVec3::new(2.0, 0.0, 1.0);
    let failure = trace_chain(&geom, &[ground], None, TX, rx).unwrap_err();
    let ChainFailure::SourceHidden { from, previous: Some(tri) } = failure else { panic!("{failure:?}") };
    assert!((from - DVec3::new(ground_point(2.0, 1.0), 0.0, 0.0)).length() < 1e-12);
    assert_eq!(geom.object[tri as usize], 0);
    // line of sight from the same receiver: blocked from the receiver itself
    assert_eq!(trace_chain(&geom, &[], None, TX, rx).unwrap_err(), ChainFailure::SourceHidden { from: rx, previous: None });
}

#[test]
fn named_faces_reject_a_refraction_through_another_plane() {
    let geom = geometry();
    let refraction = rftwin_trace::scene_geometry::chain::REFRACTION_CODE;
    // behind the wall: the line of sight crosses its faces x = 1.0 (z = 2.0) and
    // x = 1.2 (z = 1.4), both under its top z = 2.8
    let rx = DVec3::new(1.5, 0.0, 0.5);
    let any = trace_chain(&geom, &[refraction, refraction], None, TX, rx).unwrap();
    let faces: Vec<u32> = any.triangles.iter().map(|&t| geom.plane[t as usize]).collect();
    assert!(trace_chain(&geom, &[refraction, refraction], Some(&faces), TX, rx).is_ok());
    let swapped = [faces[1], faces[0]];
    let failure = trace_chain(&geom, &[refraction, refraction], Some(&swapped), TX, rx).unwrap_err();
    assert!(matches!(failure, ChainFailure::MissedSurface { step: 1, hit: Some(_), .. }), "{failure:?}");
}
