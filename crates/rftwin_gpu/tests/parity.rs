//! GPU kernels against their CPU twins. Without an adapter the tests print
//! `SKIPPED: no GPU adapter` and pass, unless RFTWIN_REQUIRE_GPU=1.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rand::{Rng, SeedableRng};
use rftwin_bvh::{Bvh, Ray, Traversal};
use rftwin_gpu::bvh::GpuBvh;
use rftwin_gpu::layout::{GpuRay, NO_HIT};
use rftwin_gpu::GpuContext;

fn context() -> Option<&'static GpuContext> {
    rftwin_gpu::context::shared_or_skip()
}

fn meshes() -> Vec<(&'static str, Vec<[DVec3; 3]>)> {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(1);
    let mut p = || DVec3::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0));
    let soup: Vec<[DVec3; 3]> = (0..3000).map(|_| {
        let c = p() * 10.0;
        [c + p(), c + p(), c + p()]
    }).collect();
    let sphere = rftwin_core::Mesh::icosphere(DVec3::new(1.0, 2.0, 3.0), 4.0, 4);
    let sphere_tris = sphere.triangles.iter().map(|t| t.map(|i| sphere.vertices[i as usize])).collect();
    let mut terrain = Vec::new();
    for i in 0..60 {
        for j in 0..60 {
            let h = |x: f64, y: f64| DVec3::new(x, y, (0.3 * x).sin() * (0.2 * y).cos() * 3.0);
            let (x, y) = (i as f64, j as f64);
            terrain.push([h(x, y), h(x + 1.0, y), h(x + 1.0, y + 1.0)]);
            terrain.push([h(x, y), h(x + 1.0, y + 1.0), h(x, y + 1.0)]);
        }
    }
    vec![("soup", soup), ("icosphere", sphere_tris), ("terrain", terrain)]
}

#[test]
fn gpu_closest_hits_match_the_cpu_bvh() {
    let Some(ctx) = context() else { return };
    for (name, tris) in meshes() {
        let bvh = Bvh::build(&tris);
        let gpu = GpuBvh::upload(ctx, &bvh).unwrap();
        let (lo, hi) = tris.iter().flatten().fold((DVec3::splat(f64::MAX), DVec3::splat(f64::MIN)), |(a, b), v| (a.min(*v), b.max(*v)));
        let c = (lo + hi) / 2.0;
        let r = (hi - lo).length();
        let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
        let rays: Vec<Ray> = (0..20_000)
            .map(|_| {
                let o = c + DVec3::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0)).normalize() * r;
                let t = lo + DVec3::new(rng.gen::<f64>(), rng.gen::<f64>(), rng.gen::<f64>()) * (hi - lo);
                Ray::new(o.as_vec3().into(), (t - o).normalize().as_vec3().into(), 0.0, f32::INFINITY)
            })
            .collect();
        let gpu_rays: Vec<GpuRay> = rays.iter().map(GpuRay::from).collect();
        let hits = gpu.closest_hits(ctx, &gpu_rays).unwrap();
        // any-hit with t_max at 60 % of the CPU's closest hit (or the full ray): exact agreement
        let shortened: Vec<Ray> = rays
            .iter()
            .map(|r| match bvh.closest_hit(r) {
                Some(h) if h.t > 0.0 => Ray::new(r.o, r.d, 0.0, h.t * 0.6),
                _ => *r,
            })
            .collect();
        let any_gpu = gpu.any_hits(ctx, &shortened.iter().map(GpuRay::from).collect::<Vec<_>>()).unwrap();
        let any_mismatch = shortened.iter().zip(&any_gpu).filter(|(r, g)| bvh.any_hit(r) != **g).count();
        assert!(any_mismatch * 1000 <= rays.len(), "{name}: any-hit disagrees on {any_mismatch} rays");
        let any_full = gpu.any_hits(ctx, &gpu_rays).unwrap();
        assert!(rays.iter().zip(&any_full).all(|(r, g)| bvh.any_hit(r) == *g), "{name}: any-hit on full rays");
        let (mut n_hit, mut id_mismatch) = (0, 0);
        for (ray, g) in rays.iter().zip(&hits) {
            let cpu = bvh.closest_hit(ray);
            match cpu {
                None => assert_eq!(g.triangle, NO_HIT, "{name}: GPU hit where the CPU misses"),
                Some(h) => {
                    assert_ne!(g.triangle, NO_HIT, "{name}: GPU miss where the CPU hits t = {}", h.t);
                    assert!((g.t - h.t).abs() <= 1e-5 * h.t.abs().max(1.0), "{name}: t {} vs {}", g.t, h.t);
                    n_hit += 1;
                    // the same triangle, except for exact ties on a shared edge
                    if g.triangle != h.triangle {
                        id_mismatch += 1;
                    }
                }
            }
        }
        assert!(n_hit > 1000, "{name}: {n_hit} hits");
        assert!(id_mismatch * 1000 <= n_hit, "{name}: {id_mismatch} of {n_hit} hits on another triangle");
        println!("{name}: {n_hit} hits, {id_mismatch} on a different (tied) triangle");
    }
}

#[test]
fn empty_bvh_and_empty_ray_lists_are_fine_on_the_gpu() {
    let Some(ctx) = context() else { return };
    let gpu = GpuBvh::upload(ctx, &Bvh::build(&[])).unwrap();
    let hits = gpu.closest_hits(ctx, &[GpuRay { origin: [0.0; 3], t_min: 0.0, dir: [1.0, 0.0, 0.0], t_max: 1e30 }]).unwrap();
    assert_eq!(hits[0].triangle, NO_HIT);
    assert!(gpu.closest_hits(ctx, &[]).unwrap().is_empty());
}
