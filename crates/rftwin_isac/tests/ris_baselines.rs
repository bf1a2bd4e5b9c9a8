//! The FT and CS baselines on the RIS-imaging channel (paper 000, Table IV): paper 001's
//! measurement model (ECR, steering, codebook) must reproduce the RIS-imaging operator's
//! TX–ROI–RIS–RX term up to the closed-form constant, and the imagers must find a
//! single bright voxel.

#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin_isac::ft::measurement::measure;
use rftwin_isac::ft::sparse::SparseOptions;
use rftwin_isac::ft::PointTarget;
use rftwin_isac::geometry::{Ris, Ula, UlaAnchor, VoxelGrid};
use rftwin_isac::ris_imaging::baselines::TableIvView;
use rftwin_isac::ris_imaging::operator::ForwardOperator;
use rftwin_isac::ris_imaging::{RisImagingConfig, RisMode, SensingPaths};
use std::f64::consts::PI;

/// An 8×8 RIS of λ/2 at the origin, a 1×8×8 ROI of λ/2 at 10λ, one TX and two RX antennas,
/// the full DFT codebook, only TX–ROI–RIS–RX, no noise.
fn small() -> RisImagingConfig {
    let lambda = 0.1;
    RisImagingConfig {
        configurations: 64,
        ris: Ris { centre: DVec3::ZERO, elements: [8, 8], element_size: [lambda / 2.0; 2] },
        roi: VoxelGrid { centre: DVec3::new(10.0 * lambda, 0.0, 0.0), dims: [1, 8, 8], voxel: lambda / 2.0 },
        tx: Ula { position: DVec3::new(5.0 * lambda, 3.0 * lambda, 0.0), elements: 1, spacing: lambda / 2.0, anchor: UlaAnchor::Start },
        rx: Ula { position: DVec3::new(5.0 * lambda, -3.0 * lambda, 0.0), elements: 2, spacing: lambda / 2.0, anchor: UlaAnchor::Start },
        ris_mode: RisMode::Dft,
        paths: SensingPaths::roi_ris_only(),
        noise_power_dbm: None,
        ..Default::default()
    }
}

/// The index of the largest value.
fn brightest(image: &[f64]) -> usize {
    (0..image.len()).max_by(|&a, &b| image[a].total_cmp(&image[b])).unwrap()
}

fn one_hot(n: usize, m: usize) -> Vec<f64> {
    let mut v = vec![0.0; n];
    v[m] = 1.0;
    v
}

#[test]
fn the_ft_model_reproduces_the_roi_ris_term_up_to_the_closed_form_constant() {
    let config = small();
    let view = TableIvView::new(&config).unwrap();
    let operator = ForwardOperator::new(&config).unwrap();
    let lambda = config.wavelength();
    for m in [0, 27, 63] {
        let y = operator.apply(&one_hot(config.roi.count(), m)).unwrap();
        let ours = view.measurements(&y).unwrap();
        let target = PointTarget { position: view.voxel_positions()[m], amplitude: 1.0 };
        let theirs = measure(view.setup(), view.codebook(), &[target], 0.0, 0).unwrap();
        // y = s g_ris g_vox / (4π)^{3/2} · (paper 001's channel before its unit-power scaling)
        let constant = config.scale * config.ris_gain(lambda) * config.voxel_gain(lambda) / (4.0 * PI).powf(1.5) / theirs.scale;
        let mut worst: f64 = 0.0;
        for (a, b) in ours.h.iter().flatten().flatten().zip(theirs.h.iter().flatten().flatten()) {
            let want = b * constant / config.scale;
            worst = worst.max((a - want).norm() / want.norm().max(1e-300));
        }
        assert!(worst < 1e-9, "voxel {m}: worst relative difference {worst:e}");
    }
}

#[test]
fn the_ft_imager_puts_a_single_voxel_at_its_place() {
    let config = small();
    let view = TableIvView::new(&config).unwrap();
    let operator = ForwardOperator::new(&config).unwrap();
    let m = 3 * 8 + 5;
    let image = view.ft_image(&operator.apply(&one_hot(config.roi.count(), m)).unwrap()).unwrap();
    let peak = brightest(&image.image);
    let (pr, pc) = (peak / 8, peak % 8);
    assert!(pr.abs_diff(3) <= 1 && pc.abs_diff(5) <= 1, "peak at ({pr}, {pc}), voxel at (3, 5)");
    assert!((image.image[peak] - 1.0).abs() < 1e-12);
}

#[test]
fn cs_with_sparsity_one_recovers_a_single_voxel() {
    let config = small();
    let view = TableIvView::new(&config).unwrap();
    let operator = ForwardOperator::new(&config).unwrap();
    let m = 6 * 8 + 1;
    let options = SparseOptions { sparsity: 1, iterations: 40, ..Default::default() };
    let image = view.cs_image(&operator.apply(&one_hot(config.roi.count(), m)).unwrap(), &options, 1 << 30).unwrap();
    let peak = brightest(&image.image);
    assert_eq!(peak, m);
    assert_eq!(image.largest_allocation_bytes, 16 * 64 * 2 * 64);
}

#[test]
fn configurations_outside_table_iv_are_refused_with_the_reason() {
    let cases: [(&str, RisImagingConfig); 4] = [
        ("paths", RisImagingConfig { paths: SensingPaths::default(), ..small() }),
        ("tx.elements", RisImagingConfig { tx: Ula { elements: 2, ..small().tx }, ..small() }),
        ("configurations", RisImagingConfig { configurations: 32, ..small() }),
        ("configurations", RisImagingConfig { ris_mode: RisMode::Random, ..small() }),
    ];
    for (field, config) in cases {
        let err = TableIvView::new(&config).unwrap_err().to_string();
        assert!(err.contains(field), "{field}: {err}");
    }
    let config = small();
    let view = TableIvView::new(&config).unwrap();
    assert!(view.measurements(&[0.0; 3]).is_err());
    let mut y = vec![0.0; config.measurement_len()];
    y[0] = f64::NAN;
    assert!(view.measurements(&y).is_err());
    assert!(view.ft_image(&vec![0.0; config.measurement_len()]).is_err(), "an all-zero measurement is an error, not a NaN image");
    let budget = TableIvView::new(&config).unwrap().cs_image(&vec![1.0; config.measurement_len()], &SparseOptions::default(), 1000).unwrap_err().to_string();
    assert!(budget.contains("131072"), "{budget}");
}
