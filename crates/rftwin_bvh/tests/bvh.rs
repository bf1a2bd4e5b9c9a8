//! BVH against the brute-force oracle, degenerate inputs and refit.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rftwin_bvh::{oracle, Bvh, Bvh4, Ray, Traversal};

fn random_soup(seed: u64, n: usize, spread: f64, size: f64) -> Vec<[DVec3; 3]> {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let mut p = || DVec3::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0));
    (0..n)
        .map(|_| {
            let c = p() * spread;
            [c + p() * size, c + p() * size, c + p() * size]
        })
        .collect()
}

fn ray(o: DVec3, d: DVec3) -> Ray {
    Ray::new(o.as_vec3().into(), d.as_vec3().into(), 0.0, f32::INFINITY)
}

fn grid(n: usize) -> Vec<[DVec3; 3]> {
    let mut t = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let (x, y) = (i as f64, j as f64);
            let h = |x: f64, y: f64| (0.3 * x).sin() + (0.2 * y).cos();
            let v = |x: f64, y: f64| DVec3::new(x, y, h(x, y));
            t.push([v(x, y), v(x + 1.0, y), v(x + 1.0, y + 1.0)]);
            t.push([v(x, y), v(x + 1.0, y + 1.0), v(x, y + 1.0)]);
        }
    }
    t
}

fn check_against_oracle(tris: &[[DVec3; 3]], rays: &[Ray]) {
    let bvh = Bvh::build(tris);
    bvh.validate().unwrap();
    let wide = Bvh4::from_bvh(&bvh);
    let mut batch = vec![None; rays.len()];
    wide.closest_hits(rays, &mut batch);
    let mut hits = 0;
    for (k, r) in rays.iter().enumerate() {
        let o = oracle::closest_hit(&bvh.triangles, r);
        for (what, h) in [("BVH4", wide.closest_hit(r)), ("BVH4 batch", batch[k])] {
            assert_eq!(h.map(|h| h.t), o.map(|h| h.t), "{what} vs oracle on {r:?}");
        }
        assert_eq!(wide.any_hit(r), oracle::any_hit(&bvh.triangles, r));
        let a = bvh.closest_hit(r);
        let b = oracle::closest_hit(&bvh.triangles, r);
        match (a, b) {
            (Some(a), Some(b)) => {
                hits += 1;
                assert_eq!(a.t, b.t, "ray {r:?}");
                // Equal t on two triangles (shared edge): either is a correct answer.
                if a.triangle != b.triangle {
                    assert_eq!(a.t, b.t);
                }
            }
            (None, None) => {}
            other => panic!("BVH and oracle disagree on {r:?}: {other:?}"),
        }
        assert_eq!(bvh.any_hit(r), oracle::any_hit(&bvh.triangles, r));
    }
    assert!(hits > 0, "the test rays must hit something");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn closest_and_any_hit_match_the_oracle(seed in 0u64..10_000, n in 1usize..400) {
        let tris = random_soup(seed, n, 5.0, 1.0);
        let mut rng = rand_pcg::Pcg64::seed_from_u64(seed ^ 0xABCD);
        let rays: Vec<Ray> = (0..200).map(|_| {
            let o = DVec3::new(rng.gen_range(-8.0..8.0), rng.gen_range(-8.0..8.0), rng.gen_range(-8.0..8.0));
            let target = tris[rng.gen_range(0..tris.len())][0];
            ray(o, (target - o).normalize())
        }).collect();
        check_against_oracle(&tris, &rays);
    }
}

#[test]
fn heightfield_rays_match_the_oracle() {
    let tris = grid(30);
    let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
    let rays: Vec<Ray> = (0..3000)
        .map(|_| {
            let o = DVec3::new(rng.gen_range(-10.0..40.0), rng.gen_range(-10.0..40.0), rng.gen_range(3.0..20.0));
            let t = DVec3::new(rng.gen_range(0.0..30.0), rng.gen_range(0.0..30.0), 0.0);
            ray(o, (t - o).normalize())
        })
        .collect();
    check_against_oracle(&tris, &rays);
}

#[test]
fn empty_bvh_never_hits() {
    let bvh = Bvh::build(&[]);
    bvh.validate().unwrap();
    let r = ray(DVec3::ZERO, DVec3::X);
    assert!(bvh.closest_hit(&r).is_none());
    assert!(!bvh.any_hit(&r));
    let wide = Bvh4::from_bvh(&bvh);
    assert!(wide.closest_hit(&r).is_none());
    let mut out = vec![Some(rftwin_bvh::Hit { triangle: 0, t: 0.0, u: 0.0, v: 0.0 })];
    wide.closest_hits(&[r], &mut out);
    assert!(out[0].is_none());
}

#[test]
fn degenerate_triangles_are_never_hit_and_do_not_break_the_build() {
    let mut tris = vec![[DVec3::ZERO, DVec3::X, DVec3::X * 2.0]; 50]; // collinear
    tris.push([DVec3::ONE, DVec3::ONE, DVec3::ONE]); // a point
    tris.push([DVec3::new(-1.0, -1.0, 1.0), DVec3::new(1.0, -1.0, 1.0), DVec3::new(0.0, 1.0, 1.0)]);
    let bvh = Bvh::build(&tris);
    bvh.validate().unwrap();
    let h = bvh.closest_hit(&ray(DVec3::new(0.0, 0.0, 5.0), -DVec3::Z)).unwrap();
    assert_eq!(h.triangle, 51);
    assert!((h.t - 4.0).abs() < 1e-6);
    assert!(bvh.closest_hit(&ray(DVec3::new(1.0, 0.0, 5.0), -DVec3::Z)).is_none());
}

#[test]
fn rays_parallel_to_a_face_miss_it() {
    let tris = vec![[DVec3::ZERO, DVec3::X, DVec3::Y]];
    let bvh = Bvh::build(&tris);
    // a single triangle makes the root a leaf: the 4-wide tree must handle that too
    let wide = Bvh4::from_bvh(&bvh);
    assert_eq!(wide.closest_hit(&ray(DVec3::new(0.2, 0.2, 1.0), -DVec3::Z)).map(|h| h.triangle), Some(0));
    assert!(wide.closest_hit(&ray(DVec3::new(-1.0, 0.2, 0.0), DVec3::X)).is_none());
    assert!(bvh.closest_hit(&ray(DVec3::new(-1.0, 0.2, 0.0), DVec3::X)).is_none());
    assert!(bvh.closest_hit(&ray(DVec3::new(-1.0, 0.2, 1e-3), DVec3::X)).is_none());
}

#[test]
fn rays_starting_on_a_surface_respect_t_min() {
    let tris = vec![[DVec3::new(-1.0, -1.0, 0.0), DVec3::new(1.0, -1.0, 0.0), DVec3::new(0.0, 1.0, 0.0)]];
    let bvh = Bvh::build(&tris);
    let o = [0.0f32, 0.0, 0.0];
    // leaving the surface: the start point itself is at t = 0, excluded by t_min
    assert!(bvh.closest_hit(&Ray::new(o, [0.0, 0.0, 1.0], 1e-4, f32::INFINITY)).is_none());
    // with t_min = 0 the start point counts as a hit at t = 0
    let h = bvh.closest_hit(&Ray::new(o, [0.0, 0.0, 1.0], 0.0, f32::INFINITY)).unwrap();
    assert_eq!(h.t, 0.0);
}

#[test]
fn refit_follows_moved_vertices_and_stays_valid() {
    let mut tris = grid(12);
    let mut bvh = Bvh::build(&tris);
    for t in &mut tris {
        for v in t.iter_mut() {
            v.z += 5.0 + 0.3 * v.x;
        }
    }
    bvh.refit(&tris).unwrap();
    bvh.validate().unwrap();
    let fresh = Bvh::build(&tris);
    let mut rng = rand_pcg::Pcg64::seed_from_u64(3);
    for _ in 0..500 {
        let o = DVec3::new(rng.gen_range(0.0..12.0), rng.gen_range(0.0..12.0), 30.0);
        let r = ray(o, DVec3::new(rng.gen_range(-0.2..0.2), rng.gen_range(-0.2..0.2), -1.0).normalize());
        let (a, b) = (bvh.closest_hit(&r), fresh.closest_hit(&r));
        assert_eq!(a.map(|h| h.t), b.map(|h| h.t));
    }
    assert!(bvh.refit(&tris[1..]).is_err());
}

#[test]
fn validate_detects_a_broken_box() {
    let tris = grid(4);
    let mut bvh = Bvh::build(&tris);
    let last = bvh.nodes.len() - 1;
    bvh.nodes[last].max[2] = -100.0;
    assert!(bvh.validate().is_err());
}

/// Rays parallel to coordinate axes (1/d = ±∞ on two axes), some starting exactly on
/// box planes: same hits as the oracle, and the traversal stays local (an axis the ray
/// is parallel to must still cull boxes: a heightfield ray straight down touches a few
/// leaves, not every leaf under it in z).
#[test]
fn axis_aligned_rays_match_the_oracle_and_stay_local() {
    let tris = grid(64);
    let mut rays = Vec::new();
    for i in 0..40 {
        let (x, y) = (1.0 + 1.5 * i as f64, 60.0 - 1.37 * i as f64);
        rays.push(ray(DVec3::new(x, y, 10.0), DVec3::new(0.0, 0.0, -1.0)));
        rays.push(ray(DVec3::new(x.floor(), y.floor(), 10.0), DVec3::new(0.0, 0.0, -1.0)));
        rays.push(ray(DVec3::new(-5.0, y, 0.3), DVec3::new(1.0, 0.0, 0.0)));
        rays.push(ray(DVec3::new(x, 70.0, 0.2), DVec3::new(0.0, -1.0, 0.0)));
    }
    check_against_oracle(&tris, &rays);
    let bvh = Bvh::build(&tris);
    let wide = Bvh4::from_bvh(&bvh);
    for r in rays.iter().step_by(4) {
        let mut visited = 0;
        wide.traverse(r, |_, _| {
            visited += 1;
            false
        });
        assert!(visited < 200, "a vertical ray visited {visited} of {} triangles", tris.len());
    }
}
