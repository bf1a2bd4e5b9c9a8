//! Image quality: normalised magnitude, NMSE against a 0/1 truth (eq. 47), and detection
//! of point targets by local maxima.

use crate::error::{invalid, Result};
use rftwin_core::Complex;

/// `|σ̂| / max |σ̂|` (all zeros for an all-zero image).
pub fn normalized_magnitude(image: &[Complex]) -> Vec<f64> {
    let max = image.iter().map(|v| v.norm()).fold(0.0, f64::max);
    image.iter().map(|v| if max > 0.0 { v.norm() / max } else { 0.0 }).collect()
}

/// `‖σ̃ − σ‖² / ‖σ‖²`.
pub fn nmse(estimate: &[f64], truth: &[f64]) -> Result<f64> {
    if estimate.len() != truth.len() {
        return Err(invalid("truth", format!("{} voxels against an image of {}", truth.len(), estimate.len())));
    }
    let norm: f64 = truth.iter().map(|t| t * t).sum();
    if norm <= 0.0 {
        return Err(invalid("truth", "an all-zero truth has no NMSE"));
    }
    Ok(estimate.iter().zip(truth).map(|(e, t)| (e - t) * (e - t)).sum::<f64>() / norm)
}

/// How many targets an image shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Targets with a local maximum above the threshold within one voxel.
    pub detected: usize,
    /// Which targets those are.
    pub found: Vec<bool>,
    /// The largest local maximum farther than one voxel from every target: sidelobes and
    /// artefacts, not the skirts of the targets' main lobes.
    pub max_offtarget: f64,
    /// Of the `targets.len()` largest local maxima, how many lie within one voxel of a target.
    pub strongest_on_target: usize,
}

fn neighbours(dims: [usize; 3], v: [usize; 3]) -> impl Iterator<Item = [usize; 3]> {
    let range = move |a: usize| v[a].saturating_sub(1)..=(v[a] + 1).min(dims[a] - 1);
    range(0).flat_map(move |x| range(1).flat_map(move |y| range(2).map(move |z| [x, y, z])))
}

fn index(dims: [usize; 3], v: [usize; 3]) -> usize {
    (v[0] * dims[1] + v[1]) * dims[2] + v[2]
}

/// Detection of `targets` (voxel coordinates) in a normalised image of `dims`
/// (`v = (ix·n_y + iy)·n_z + iz`): a target is found when a local maximum (≥ its 26
/// neighbours) above `threshold` lies within one voxel of it.
pub fn detect(image: &[f64], dims: [usize; 3], targets: &[[usize; 3]], threshold: f64) -> Result<Detection> {
    if image.len() != dims.iter().product::<usize>() || dims.contains(&0) {
        return Err(invalid("dims", format!("{dims:?} do not match an image of {} voxels", image.len())));
    }
    if let Some(t) = targets.iter().find(|t| (0..3).any(|a| t[a] >= dims[a])) {
        return Err(invalid("targets", format!("voxel {t:?} is outside the image {dims:?}")));
    }
    let near_target = |v: [usize; 3]| targets.iter().any(|t| (0..3).all(|a| t[a].abs_diff(v[a]) <= 1));
    let mut maxima: Vec<([usize; 3], f64)> = Vec::new();
    let mut max_offtarget: f64 = 0.0;
    for x in 0..dims[0] {
        for y in 0..dims[1] {
            for z in 0..dims[2] {
                let v = [x, y, z];
                let value = image[index(dims, v)];
                if neighbours(dims, v).all(|n| image[index(dims, n)] <= value) && value > 0.0 {
                    maxima.push((v, value));
                    if !near_target(v) {
                        max_offtarget = max_offtarget.max(value);
                    }
                }
            }
        }
    }
    let found: Vec<bool> = targets
        .iter()
        .map(|t| maxima.iter().any(|(m, value)| *value > threshold && (0..3).all(|a| t[a].abs_diff(m[a]) <= 1)))
        .collect();
    maxima.sort_by(|a, b| b.1.total_cmp(&a.1));
    let strongest_on_target = maxima.iter().take(targets.len()).filter(|(m, _)| near_target(*m)).count();
    Ok(Detection { detected: found.iter().filter(|f| **f).count(), found, max_offtarget, strongest_on_target })
}

/// Peak-to-first-null distance of a 1-D profile sampled every `step`, averaged over both
/// sides of its maximum (the PSF resolution of spec §11). A null is the first local
/// minimum below half the peak (ripples inside the main lobe are skipped), located to a
/// fraction of a sample by a parabola through it and its neighbours; `None` if a side
/// has no null inside the profile.
pub fn null_distance(profile: &[f64], step: f64) -> Option<f64> {
    let n = profile.len();
    let top = (0..n).max_by(|&a, &b| profile[a].total_cmp(&profile[b]))?;
    let half = 0.5 * profile[top];
    let is_null = |j: usize| profile[j] <= profile[j - 1] && profile[j] <= profile[j + 1] && profile[j] < half;
    let right = (top + 1..n.saturating_sub(1)).find(|&j| is_null(j))?;
    let left = (1..top).rev().find(|&j| is_null(j))?;
    let refine = |j: usize| {
        let (a, b, c) = (profile[j - 1], profile[j], profile[j + 1]);
        let curvature = a - 2.0 * b + c;
        j as f64 + if curvature > 0.0 { 0.5 * (a - c) / curvature } else { 0.0 }
    };
    Some(0.5 * (refine(right) - refine(left)) * step)
}

/// `‖a − b‖² / N` (paper 000, eq. 31).
pub fn mse(a: &[f64], b: &[f64]) -> Result<f64> {
    if a.len() != b.len() || a.is_empty() {
        return Err(invalid("image", format!("images of {} and {} pixels", a.len(), b.len())));
    }
    Ok(a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() / a.len() as f64)
}

/// `10 log10(1 / MSE)` for images in [0, 1] (eq. 32; peak 1).
pub fn psnr(a: &[f64], b: &[f64]) -> Result<f64> {
    Ok(-10.0 * mse(a, b)?.log10())
}

/// SSIM as scikit-image's `structural_similarity(x, y, data_range=1)` defaults (eq. 33):
/// uniform 7×7 windows, sample (co)variances (×49/48), `C₁ = 0.01²`, `C₂ = 0.03²`, the mean
/// over the pixels whose window lies inside the image (at least 3 from every border).
pub fn ssim(x: &[f64], y: &[f64], rows: usize, cols: usize) -> Result<f64> {
    if x.len() != rows * cols || y.len() != rows * cols {
        return Err(invalid("image", format!("{} and {} pixels for a {rows} × {cols} image", x.len(), y.len())));
    }
    if rows < 7 || cols < 7 {
        return Err(invalid("image", format!("{rows} × {cols}: SSIM needs at least 7 × 7 pixels")));
    }
    let (c1, c2, n) = (1e-4, 9e-4, 49.0);
    let mut total = 0.0;
    for r in 3..rows - 3 {
        for c in 3..cols - 3 {
            let (mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for i in r - 3..=r + 3 {
                for j in c - 3..=c + 3 {
                    let (a, b) = (x[i * cols + j], y[i * cols + j]);
                    (sx, sy, sxx, syy, sxy) = (sx + a, sy + b, sxx + a * a, syy + b * b, sxy + a * b);
                }
            }
            let (mx, my) = (sx / n, sy / n);
            let k = n / (n - 1.0);
            let (vx, vy, vxy) = (k * (sxx / n - mx * mx), k * (syy / n - my * my), k * (sxy / n - mx * my));
            total += (2.0 * mx * my + c1) * (2.0 * vxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
        }
    }
    Ok(total / ((rows - 6) * (cols - 6)) as f64)
}
