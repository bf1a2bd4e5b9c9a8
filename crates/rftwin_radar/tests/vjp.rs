//! Every VJP of the radar crate against central finite differences (f64).
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rand::{Rng, SeedableRng};
use rftwin_core::Complex;
use rftwin_radar::loss::multiscale_mse;
use rftwin_radar::spectrum::Spectrum;
use rftwin_radar::surrogate::*;
use rftwin_radar::Echo;

fn rng(seed: u64) -> rand_pcg::Pcg64 {
    rand_pcg::Pcg64::seed_from_u64(seed)
}

fn random_echoes(r: &mut rand_pcg::Pcg64, n: usize) -> Vec<SurrogateEcho> {
    (0..n)
        .map(|_| SurrogateEcho {
            range: r.gen_range(0.8..1.4),
            direction: DVec3::new(r.gen_range(-0.3..0.3), 1.0, r.gen_range(-0.3..0.3)).normalize(),
            weight: Complex::new(r.gen_range(-1.0..1.0), r.gen_range(-1.0..1.0)),
        })
        .collect()
}

fn opts(kernel: RangeKernel) -> SurrogateOptions {
    SurrogateOptions { sigma_m: 0.04, kernel, aperture_radius_m: 0.0155, wavelength: 0.0039, random_phase_seed: Some(7) }
}

use rftwin_core::testing::assert_close as close;

#[test]
fn range_surrogate_vjp_matches_finite_differences() {
    for kernel in [RangeKernel::Gaussian, RangeKernel::Normalized] {
        for seed in 0..5 {
            let mut r = rng(seed);
            let echoes = random_echoes(&mut r, 4);
            let bins: Vec<f64> = (0..40).map(|k| 0.7 + 0.02 * k as f64).collect();
            let c: Vec<Complex> = bins.iter().map(|_| Complex::new(r.gen_range(-1.0..1.0), r.gen_range(-1.0..1.0))).collect();
            let o = opts(kernel);
            // L = Σ Re(conj(c_k) R_k)  ⇒  ∂L/∂R_k = c_k
            let loss = |e: &[SurrogateEcho]| range_surrogate(e, &bins, &o).unwrap().iter().zip(&c).map(|(x, ck)| (ck.conj() * x).re).sum::<f64>();
            let g = range_surrogate_vjp(&echoes, &bins, &o, &c).unwrap();
            let h = 1e-6;
            for i in 0..echoes.len() {
                let mut p = echoes.clone();
                let mut m = echoes.clone();
                p[i].range += h;
                m[i].range -= h;
                close(&format!("{kernel:?} seed {seed} dL/dr_{i}"), g[i].range, (loss(&p) - loss(&m)) / (2.0 * h), 1e-6, 1e-9);
                for (part, dw) in [("re", Complex::new(h, 0.0)), ("im", Complex::new(0.0, h))] {
                    let mut p = echoes.clone();
                    let mut m = echoes.clone();
                    p[i].weight += dw;
                    m[i].weight -= dw;
                    let fd = (loss(&p) - loss(&m)) / (2.0 * h);
                    let an = if part == "re" { g[i].weight.re } else { g[i].weight.im };
                    close(&format!("{kernel:?} seed {seed} dL/dw_{i}.{part}"), an, fd, 1e-6, 1e-9);
                }
            }
        }
    }
}

#[test]
fn printed_eq18_misses_the_normaliser_cross_terms() {
    // With two overlapping echoes the cross terms are large: eq. 18 alone is wrong.
    let echoes = vec![
        SurrogateEcho { range: 1.0, direction: DVec3::Y, weight: Complex::new(1.0, 0.0) },
        SurrogateEcho { range: 1.03, direction: DVec3::Y, weight: Complex::new(-2.0, 0.5) },
    ];
    let o = opts(RangeKernel::Normalized);
    let bins = [1.01];
    let g = range_surrogate_vjp(&echoes, &bins, &o, &[Complex::new(1.0, 0.0)]).unwrap();
    // eq. 18 as printed: ∂R/∂r_0 = G_0 h_0 (1 − G_0) w_0
    let l = |r: f64| -(r - 1.01f64).powi(2) / (2.0 * 0.04f64 * 0.04);
    let (e0, e1) = (l(1.0).exp(), l(1.03).exp());
    let g0 = e0 / (e0 + e1);
    let h0 = (1.01 - 1.0) / (0.04 * 0.04);
    let printed = (g0 * h0 * (1.0 - g0) * echoes[0].weight).re;
    // The difference is exactly the omitted cross term −h_0 G_0 G_1 Re(w_1).
    let cross = -h0 * g0 * (1.0 - g0) * echoes[1].weight.re;
    assert!((g[0].range - printed - cross).abs() < 1e-9 * printed.abs(), "exact {} printed {printed} cross {cross}", g[0].range);
    assert!((g[0].range - printed).abs() > 0.5 * printed.abs(), "exact {} vs printed {printed}", g[0].range);
    // and the exact one is what finite differences give
    let f = |r0: f64| {
        let mut e = echoes.clone();
        e[0].range = r0;
        range_surrogate(&e, &bins, &o).unwrap()[0].re
    };
    close("dR/dr_0", g[0].range, (f(1.0 + 1e-7) - f(1.0 - 1e-7)) / 2e-7, 1e-6, 1e-9);
}

#[test]
fn normalised_kernel_does_not_decay_but_gaussian_does() {
    let echoes = vec![SurrogateEcho { range: 1.0, direction: DVec3::Y, weight: Complex::new(1.0, 0.0) }];
    let bins = [1.0, 3.0];
    let n = range_surrogate(&echoes, &bins, &opts(RangeKernel::Normalized)).unwrap();
    let g = range_surrogate(&echoes, &bins, &opts(RangeKernel::Gaussian)).unwrap();
    assert!((n[1].norm() - 1.0).abs() < 1e-12, "normalised: a bin 2 m away holds the full amplitude");
    assert!(g[1].norm() < 1e-100 && (g[0].norm() - 1.0).abs() < 1e-12);
}

#[test]
fn airy_kernel_gradient_matches_finite_differences() {
    let mut r = rng(11);
    for _ in 0..20 {
        let u = DVec3::new(r.gen_range(-0.5..0.5), 1.0, r.gen_range(-0.5..0.5)).normalize();
        let d = DVec3::new(r.gen_range(-0.5..0.5), 1.0, r.gen_range(-0.5..0.5));
        let kr = 25.0;
        let (_, g) = airy_kernel(u, d, kr);
        for k in 0..3 {
            let mut e = DVec3::ZERO;
            e[k] = 1e-7;
            let fd = (airy_kernel(u, d + e, kr).0 - airy_kernel(u, d - e, kr).0) / 2e-7;
            close("dA/dd", g[k], fd, 1e-5, 1e-9);
        }
    }
    assert_eq!(airy_kernel(DVec3::Y, DVec3::Y, 10.0).0, 1.0);
}

fn spatial_case(kernel: RangeKernel, seed: u64) {
    let mut r = rng(100 + seed);
    let echoes = random_echoes(&mut r, 3);
    let bins: Vec<f64> = (0..12).map(|k| 0.8 + 0.05 * k as f64).collect();
    let dirs: Vec<DVec3> = (0..15).map(|_| DVec3::new(r.gen_range(-0.3..0.3), 1.0, r.gen_range(-0.3..0.3)).normalize()).collect();
    let o = opts(kernel);
    let q = Spectrum { dims: [bins.len(), dirs.len(), 1], data: (0..bins.len() * dirs.len()).map(|_| r.gen_range(-1.0..1.0)).collect() };
    let loss = |e: &[SurrogateEcho]| spatial_surrogate(e, &bins, &dirs, &o).unwrap().data.iter().zip(&q.data).map(|(s, q)| s * q).sum::<f64>();
    let g = spatial_surrogate_vjp(&echoes, &bins, &dirs, &o, &q).unwrap();
    let h = 1e-6;
    for i in 0..echoes.len() {
        let fd = |f: &dyn Fn(&mut SurrogateEcho)| {
            let (mut p, mut m) = (echoes.clone(), echoes.clone());
            f(&mut p[i]);
            let mut mm = m[i];
            // mirror the perturbation
            let before = mm;
            f(&mut mm);
            let delta_r = mm.range - before.range;
            let delta_d = mm.direction - before.direction;
            let delta_w = mm.weight - before.weight;
            m[i].range -= delta_r;
            m[i].direction -= delta_d;
            m[i].weight -= delta_w;
            (loss(&p) - loss(&m)) / (2.0 * h)
        };
        close(&format!("{kernel:?} {seed} dL/dr_{i}"), g[i].range, fd(&|e| e.range += h), 1e-5, 1e-8);
        for k in 0..3 {
            let an = g[i].direction[k];
            close(&format!("{kernel:?} {seed} dL/dd_{i}[{k}]"), an, fd(&|e| e.direction[k] += h), 1e-5, 1e-8);
        }
        close(&format!("{kernel:?} {seed} dL/dw_{i}.re"), g[i].weight.re, fd(&|e| e.weight.re += h), 1e-5, 1e-8);
        close(&format!("{kernel:?} {seed} dL/dw_{i}.im"), g[i].weight.im, fd(&|e| e.weight.im += h), 1e-5, 1e-8);
    }
}

#[test]
fn spatial_surrogate_vjp_matches_finite_differences() {
    for seed in 0..5 {
        spatial_case(RangeKernel::Gaussian, seed);
        spatial_case(RangeKernel::Normalized, seed);
    }
}

#[test]
fn echo_point_gradient_chains_through_range_and_direction() {
    let mut r = rng(5);
    let center = DVec3::new(0.1, -0.2, 0.3);
    let echoes: Vec<Echo> = (0..3)
        .map(|_| Echo {
            point: center + DVec3::new(r.gen_range(-0.3..0.3), r.gen_range(0.9..1.3), r.gen_range(-0.3..0.3)),
            a: Complex::new(r.gen_range(-1.0..1.0), r.gen_range(-1.0..1.0)),
            extra_path_m: 0.0,
        })
        .collect();
    let bins: Vec<f64> = (0..16).map(|k| 0.8 + 0.04 * k as f64).collect();
    let dirs: Vec<DVec3> = (0..10).map(|_| DVec3::new(r.gen_range(-0.3..0.3), 1.0, r.gen_range(-0.3..0.3)).normalize()).collect();
    let o = opts(RangeKernel::Gaussian);
    let q = Spectrum { dims: [bins.len(), dirs.len(), 1], data: (0..bins.len() * dirs.len()).map(|_| r.gen_range(0.0..1.0)).collect() };
    let loss = |e: &[Echo]| {
        let se: Vec<SurrogateEcho> = e.iter().map(|x| SurrogateEcho::from_echo(x, center)).collect();
        spatial_surrogate(&se, &bins, &dirs, &o).unwrap().data.iter().zip(&q.data).map(|(s, q)| s * q).sum::<f64>()
    };
    let se: Vec<SurrogateEcho> = echoes.iter().map(|x| SurrogateEcho::from_echo(x, center)).collect();
    let g = spatial_surrogate_vjp(&se, &bins, &dirs, &o, &q).unwrap();
    for i in 0..echoes.len() {
        let (gp, _) = SurrogateEcho::point_gradient(&echoes[i], center, &g[i]);
        for k in 0..3 {
            let (mut p, mut m) = (echoes.clone(), echoes.clone());
            p[i].point[k] += 1e-7;
            m[i].point[k] -= 1e-7;
            close(&format!("dL/dp_{i}[{k}]"), gp[k], (loss(&p) - loss(&m)) / 2e-7, 1e-5, 1e-8);
        }
    }
}

#[test]
fn multiscale_mse_gradient_matches_finite_differences() {
    let mut r = rng(9);
    let dims = [9, 6, 4];
    let n = dims.iter().product();
    let x = Spectrum { dims, data: (0..n).map(|_| r.gen_range(0.0..1.0)).collect() };
    let y = Spectrum { dims, data: (0..n).map(|_| r.gen_range(0.0..1.0)).collect() };
    let (l, g) = multiscale_mse(&x, &y, 3).unwrap();
    assert!(l > 0.0);
    assert_eq!(multiscale_mse(&y, &y, 3).unwrap().0, 0.0);
    for i in (0..n).step_by(7) {
        let (mut p, mut m) = (x.clone(), x.clone());
        p.data[i] += 1e-6;
        m.data[i] -= 1e-6;
        let fd = (multiscale_mse(&p, &y, 3).unwrap().0 - multiscale_mse(&m, &y, 3).unwrap().0) / 2e-6;
        close(&format!("dL/dx[{i}]"), g.data[i], fd, 1e-6, 1e-12);
    }
    assert!(multiscale_mse(&x, &Spectrum::zeros([1, 1, 1]), 2).is_err());
}
