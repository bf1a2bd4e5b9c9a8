//! Small imaging systems shared by the INR test files.

use rftwin_isac::ris_imaging::operator::{AffineOperator, ForwardOperator};
use rftwin_isac::ris_imaging::RisImagingConfig;

/// An 8 × 8 ROI of 5 cm voxels, an 8 × 8 RIS, 4 configurations and a striped target
/// (every third diagonal): the f32 operator and its noiseless measurements.
pub fn striped_8x8() -> (AffineOperator<f32>, Vec<f32>) {
    let mut config = RisImagingConfig { configurations: 4, ..Default::default() };
    config.roi.dims = [1, 8, 8];
    config.roi.voxel = 0.05;
    config.ris.elements = [8, 8];
    let truth: Vec<f64> = (0..64).map(|i| if (i / 8 + i % 8) % 3 == 0 { 1.0 } else { 0.0 }).collect();
    let op = ForwardOperator::new(&config).unwrap();
    let y: Vec<f32> = op.apply(&truth).unwrap().iter().map(|&v| v as f32).collect();
    (op.to_f32(), y)
}
