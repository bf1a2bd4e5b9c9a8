//! The GPU surrogates and VJPs against the CPU reference (both kernels, range and
//! spatial): values within single precision of the largest value. Without an adapter
//! the test prints `SKIPPED: no GPU adapter` and passes, unless RFTWIN_REQUIRE_GPU=1.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "gpu")]

use glam::DVec3;
use rand::{Rng, SeedableRng};
use rftwin_core::Complex;
use rftwin_radar::spectrum::{AngleGrid, Spectrum};
use rftwin_radar::surrogate::*;
use rftwin_radar::surrogate_gpu::*;

fn context() -> Option<&'static rftwin_gpu::GpuContext> {
    rftwin_gpu::context::shared_or_skip()
}

fn echoes(n: usize, seed: u64) -> Vec<SurrogateEcho> {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let d = DVec3::new(rng.gen_range(-0.3..0.3), 1.0, rng.gen_range(-0.2..0.2)).normalize();
            SurrogateEcho { range: rng.gen_range(1.0..1.6), direction: d, weight: Complex::from_polar(rng.gen_range(0.1..1.0), rng.gen_range(0.0..std::f64::consts::TAU)) * 1e-3 }
        })
        .collect()
}

use rftwin_core::testing::assert_all_close as close;

fn flat(g: &[EchoGradient]) -> [Vec<f64>; 3] {
    [
        g.iter().map(|x| x.range).collect(),
        g.iter().flat_map(|x| [x.direction.x, x.direction.y, x.direction.z]).collect(),
        g.iter().flat_map(|x| [x.weight.re, x.weight.im]).collect(),
    ]
}

#[test]
fn gpu_surrogates_and_vjps_match_the_cpu() {
    let Some(ctx) = context() else { return };
    let e = echoes(300, 1);
    let bins: Vec<f64> = (0..48).map(|k| 0.9 + 0.0175 * k as f64).collect();
    let grid = AngleGrid::uniform(9, 0.4, 5, 0.25);
    let dirs = grid.directions();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(9);
    for kernel in [RangeKernel::Gaussian, RangeKernel::Normalized] {
        let opts = SurrogateOptions { sigma_m: 0.03, kernel, aperture_radius_m: 0.02, wavelength: 0.0039, random_phase_seed: Some(5) };
        // range surrogate
        let (rc, rg) = (range_surrogate(&e, &bins, &opts).unwrap(), range_surrogate_gpu(ctx, &e, &bins, &opts).unwrap());
        let parts = |v: &[Complex]| v.iter().flat_map(|c| [c.re, c.im]).collect::<Vec<_>>();
        close(&format!("{kernel:?} range surrogate"), &parts(&rg), &parts(&rc), 1e-5);
        let grad: Vec<Complex> = bins.iter().map(|_| Complex::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0))).collect();
        let (gc, gg) = (range_surrogate_vjp(&e, &bins, &opts, &grad).unwrap(), range_surrogate_vjp_gpu(ctx, &e, &bins, &opts, &grad).unwrap());
        for (what, a, b) in [("range", 0), ("direction", 1), ("weight", 2)].map(|(w, i)| (w, flat(&gg)[i].clone(), flat(&gc)[i].clone())) {
            if what == "direction" {
                assert!(a.iter().all(|x| *x == 0.0), "the range surrogate has no direction gradient");
                continue;
            }
            close(&format!("{kernel:?} range VJP {what}"), &a, &b, 1e-4);
        }
        // spatial surrogate
        let (sc, sg) = (spatial_surrogate(&e, &bins, &dirs, &opts).unwrap(), spatial_surrogate_gpu(ctx, &e, &bins, &dirs, &opts).unwrap());
        close(&format!("{kernel:?} spatial surrogate"), &sg.data, &sc.data, 1e-4);
        let mut q = Spectrum::zeros(sc.dims);
        q.data.iter_mut().for_each(|x| *x = rng.gen_range(-1.0..1.0));
        let (gc, gg) = (spatial_surrogate_vjp(&e, &bins, &dirs, &opts, &q).unwrap(), spatial_surrogate_vjp_gpu(ctx, &e, &bins, &dirs, &opts, &q).unwrap());
        let (fc, fg) = (flat(&gc), flat(&gg));
        for (i, what) in ["range", "direction", "weight"].iter().enumerate() {
            close(&format!("{kernel:?} spatial VJP {what}"), &fg[i], &fc[i], 1e-3);
        }
    }
    // shape errors, not panics
    let opts = SurrogateOptions { sigma_m: 0.03, kernel: RangeKernel::Gaussian, aperture_radius_m: 0.02, wavelength: 0.0039, random_phase_seed: None };
    assert!(range_surrogate_vjp_gpu(ctx, &e, &bins, &opts, &[Complex::new(0.0, 0.0)]).is_err());
    assert!(spatial_surrogate_vjp_gpu(ctx, &e, &bins, &dirs, &opts, &Spectrum::zeros([1, 1, 1])).is_err());
    assert!(spatial_surrogate_gpu(ctx, &e, &bins, &dirs, &SurrogateOptions { sigma_m: -1.0, ..opts }).is_err());
}
