//! The learnt per-leg coupling (`ris_imaging::legs`) against direct sums over the channel
//! model's hops and paper 000's interference matrix, and its reverse mode against finite
//! differences.

#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rand::{Rng, SeedableRng};
use rftwin_core::Complex;
use rftwin_isac::band::Band;
use rftwin_isac::channel::hop;
use rftwin_isac::ris_imaging::configurations::ris_configurations;
use rftwin_isac::ris_imaging::legs::SensingLegs;
use rftwin_isac::ris_imaging::multipath::{interference_measurements, Background};
use rftwin_isac::ris_imaging::{RisImagingConfig, RisMode};

fn small(mode: RisMode, subcarriers: usize) -> RisImagingConfig {
    let mut config = RisImagingConfig { configurations: 3, ris_mode: mode, ..Default::default() };
    config.band = Band { centre: 3e9, spacing: 40e6, subcarriers, wave_speed: 3e8 };
    config.roi.dims = [1, 5, 6];
    config.ris.elements = [6, 5];
    config.tx.elements = 3;
    config.rx.elements = 2;
    config
}

fn random_complex(n: usize, scale: f64, rng: &mut rand_pcg::Pcg64) -> Vec<Complex> {
    (0..n).map(|_| Complex::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0)) * scale).collect()
}

fn image(n: usize, rng: &mut rand_pcg::Pcg64) -> Vec<f32> {
    (0..n).map(|_| rng.gen_range(0.1f32..1.0)).collect()
}

fn relative_error(got: &[f32], want: &[f64]) -> f64 {
    let err: f64 = got.iter().zip(want).map(|(a, b)| (*a as f64 - b).powi(2)).sum();
    let norm: f64 = want.iter().map(|b| b * b).sum();
    (err / norm).sqrt()
}

#[test]
fn a_background_through_line_of_sight_legs_is_the_interference_matrix() {
    // no RIS: the coupling of a point background per leg is paper 000's Aσ (eq. 26)
    let config = small(RisMode::None, 1);
    let legs = SensingLegs::from_model(&config).unwrap();
    let background = Background { points: vec![DVec3::new(3.0, 2.0, 1.5), DVec3::new(5.0, -2.5, 0.5)], reflectivity: vec![1.0, 0.6] };
    let k = config.band.centre_wavenumber();
    let g = config.voxel_gain(config.wavelength());
    let (tx, rx, voxels) = (config.tx.positions(), config.rx.positions(), config.roi.positions());
    let via = |a: DVec3, b: DVec3| -> Complex { background.points.iter().zip(&background.reflectivity).map(|(&p, &rho)| hop(a, p, k) * hop(p, b, k) * rho).sum::<Complex>() * g };
    let w_in: Vec<Complex> = voxels.iter().flat_map(|&v| tx.iter().map(move |&t| (t, v))).map(|(t, v)| via(t, v)).collect();
    let w_out: Vec<Complex> = voxels.iter().flat_map(|&v| rx.iter().map(move |&r| (v, r))).map(|(v, r)| via(v, r)).collect();
    let zero_in = vec![Complex::new(0.0, 0.0); w_in.len()];
    let zero_out = vec![Complex::new(0.0, 0.0); w_out.len()];
    let mut rng = rand_pcg::Pcg64::seed_from_u64(3);
    let sigma = image(voxels.len(), &mut rng);
    let mut y = vec![0.0f32; legs.rows()];
    legs.add_response(&legs.parameters_from_couplings(&w_in, &zero_out).unwrap(), &sigma, &mut y).unwrap();
    legs.add_response(&legs.parameters_from_couplings(&zero_in, &w_out).unwrap(), &sigma, &mut y).unwrap();
    let sigma64: Vec<f64> = sigma.iter().map(|&v| v as f64).collect();
    let want = interference_measurements(&config, &background.interference(&config).unwrap(), &sigma64).unwrap();
    let err = relative_error(&y, &want);
    assert!(err < 1e-5, "leg coupling vs Aσ: relative error {err:e}");
}

#[test]
fn the_coupling_meets_the_other_legs_ris_part_in_every_configuration() {
    let config = small(RisMode::Random, 2);
    let legs = SensingLegs::from_model(&config).unwrap();
    let omega = ris_configurations(&config).unwrap().unwrap();
    let (tx, rx, voxels, ris) = (config.tx.positions(), config.rx.positions(), config.roi.positions(), config.ris.positions());
    let (nt, nr, nv, nk) = (tx.len(), rx.len(), voxels.len(), config.configurations);
    let mut rng = rand_pcg::Pcg64::seed_from_u64(5);
    let scale = 1e-3;
    let (w_in, w_out) = (random_complex(2 * nv * nt, scale, &mut rng), random_complex(2 * nv * nr, scale, &mut rng));
    let sigma = image(nv, &mut rng);
    let mut y = vec![0.0f32; legs.rows()];
    legs.add_response(&legs.parameters_from_couplings(&w_in, &w_out).unwrap(), &sigma, &mut y).unwrap();
    // c_i Σ_m σ_m [W_in F_out,k + F_in,k W_out + W_in W_out], the legs summed over the RIS here
    let mut want = vec![0.0; y.len()];
    for (i, &kw) in config.band.wavenumbers().iter().enumerate() {
        let lambda = 2.0 * std::f64::consts::PI / kw;
        let (c, g_ris) = (config.scale * config.voxel_gain(lambda), config.ris_gain(lambda));
        for (kk, w) in omega.iter().enumerate() {
            let row0 = (i * nk + kk) * 2 * nt * nr;
            for t in 0..nt {
                for r in 0..nr {
                    let mut v = Complex::new(0.0, 0.0);
                    for m in 0..nv {
                        let f_in = hop(tx[t], voxels[m], kw) + (0..ris.len()).map(|n| hop(tx[t], ris[n], kw) * w[n] * hop(ris[n], voxels[m], kw)).sum::<Complex>() * g_ris;
                        let f_out = hop(voxels[m], rx[r], kw) + (0..ris.len()).map(|n| hop(voxels[m], ris[n], kw) * w[n] * hop(ris[n], rx[r], kw)).sum::<Complex>() * g_ris;
                        let (a, b) = (w_in[(i * nv + m) * nt + t], w_out[(i * nv + m) * nr + r]);
                        v += (a * f_out + f_in * b + a * b) * (sigma[m] as f64);
                    }
                    want[row0 + t * nr + r] = v.re * c;
                    want[row0 + nt * nr + t * nr + r] = v.im * c;
                }
            }
        }
    }
    let err = relative_error(&y, &want);
    assert!(err < 1e-5, "leg coupling vs direct sum: relative error {err:e}");
    // the RIS part matters: without it the sum differs
    let blocks_differ = (0..nt * nr).any(|j| (want[j] - want[2 * nt * nr + j]).abs() > 1e-3 * want[j].abs().max(1e-30));
    assert!(blocks_differ, "configurations 0 and 1 give the same block: the test would not see the RIS");
}

#[test]
fn the_reverse_pass_equals_central_differences() {
    let config = small(RisMode::Random, 2);
    reverse_pass_matches(SensingLegs::from_model(&config).unwrap());
    reverse_pass_matches(SensingLegs::from_model(&config).unwrap().orthogonal_to_line_of_sight());
}

#[test]
fn orthogonal_couplings_ignore_the_line_of_sight_direction() {
    // a coupling along a voxel's line-of-sight vector is projected away: adding it to the
    // parameters leaves the response unchanged, while the unconstrained legs respond
    let config = small(RisMode::Random, 1);
    let (nt, nv) = (config.tx.elements, config.roi.count());
    let k = config.band.centre_wavenumber();
    let (tx, voxels) = (config.tx.positions(), config.roi.positions());
    let mut rng = rand_pcg::Pcg64::seed_from_u64(4);
    let sigma = image(nv, &mut rng);
    let base_in = random_complex(nv * nt, 1e-3, &mut rng);
    let zero_out = vec![Complex::new(0.0, 0.0); nv * config.rx.elements];
    // + c_m h(·, m) for every voxel
    let along: Vec<Complex> = (0..nv).flat_map(|m| (0..nt).map(move |t| (t, m))).map(|(t, m)| base_in[m * nt + t] + hop(tx[t], voxels[m], k) * Complex::new(0.3, -0.2) * (1.0 + m as f64)).collect();
    for (orthogonal, same) in [(true, true), (false, false)] {
        let legs = SensingLegs::from_model(&config).unwrap();
        let legs = if orthogonal { legs.orthogonal_to_line_of_sight() } else { legs };
        let response = |w_in: &[Complex]| {
            let mut y = vec![0.0f32; legs.rows()];
            legs.add_response(&legs.parameters_from_couplings(w_in, &zero_out).unwrap(), &sigma, &mut y).unwrap();
            y
        };
        let (a, b) = (response(&base_in), response(&along));
        let norm = a.iter().map(|v| v * v).sum::<f32>().sqrt();
        let diff = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt();
        assert_eq!(diff <= 1e-4 * norm, same, "orthogonal {orthogonal}: response changed by {diff} of {norm}");
    }
}

fn reverse_pass_matches(legs: SensingLegs) {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(9);
    let params: Vec<f32> = (0..legs.parameter_count()).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
    let sigma = image(legs.voxels(), &mut rng);
    let g: Vec<f32> = (0..legs.rows()).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
    // L = ⟨g, Δy⟩, so ∂L/∂Δy = g
    let loss = |p: &[f32], s: &[f32]| -> f64 {
        let mut y = vec![0.0f32; legs.rows()];
        legs.add_response(p, s, &mut y).unwrap();
        y.iter().zip(&g).map(|(a, b)| *a as f64 * *b as f64).sum()
    };
    let mut grad_sigma = vec![0.0f32; legs.voxels()];
    let grad = legs.backward(&params, &sigma, &g, &mut grad_sigma).unwrap();
    let h = 1e-2f32;
    let check = |what: &str, analytic: f32, plus: f64, minus: f64, norm: f64| {
        let fd = (plus - minus) / (2.0 * h as f64);
        assert!((analytic as f64 - fd).abs() <= 1e-2 * norm, "{what}: reverse {analytic} vs central differences {fd}");
    };
    let norm_p = grad.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt() / (grad.len() as f64).sqrt();
    for _ in 0..40 {
        let j = rng.gen_range(0..params.len());
        let (mut up, mut down) = (params.clone(), params.clone());
        up[j] += h;
        down[j] -= h;
        check(&format!("parameter {j}"), grad[j], loss(&up, &sigma), loss(&down, &sigma), norm_p);
    }
    let norm_s = grad_sigma.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt() / (grad_sigma.len() as f64).sqrt();
    for m in 0..sigma.len() {
        let (mut up, mut down) = (sigma.clone(), sigma.clone());
        up[m] += h;
        down[m] -= h;
        check(&format!("σ_{m}"), grad_sigma[m], loss(&params, &up), loss(&params, &down), norm_s);
    }
}

#[test]
fn wrong_sizes_are_errors() {
    let config = small(RisMode::Random, 1);
    let legs = SensingLegs::from_model(&config).unwrap();
    let sigma = vec![0.5f32; legs.voxels()];
    let mut y = vec![0.0f32; legs.rows()];
    let err = legs.add_response(&[0.0; 3], &sigma, &mut y).unwrap_err().to_string();
    assert!(err.contains("3 parameters"), "{err}");
    let params = vec![0.0f32; legs.parameter_count()];
    let err = legs.add_response(&params, &sigma[1..], &mut y).unwrap_err().to_string();
    assert!(err.contains("voxels"), "{err}");
    assert!(legs.parameters_from_couplings(&[], &[]).is_err());
}
