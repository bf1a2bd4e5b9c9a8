//! Subimage accumulation (SAA), Algorithm 1 (spec §4): per subcarrier, the ECR on the
//! aperture is zero-padded, transformed to the wavenumber domain (centred 2-D FFT),
//! back-propagated to each range slice with `Φ = e^{+j k_x (D − x_n)}` (evanescent bins
//! masked), optionally oversampled, transformed back, compensated for the transmit path
//! with `Ψ = R_T e^{+jk R_T}` and cropped to the ROI; the subimages add coherently.
//!
//! [`SaaImager::backward`] is that per-subcarrier map (Algorithm 3's `B_i` after ECR
//! recovery) and [`SaaImager::forward`] inverts its steps in reverse order (`F_i`
//! before the measurement step).

use crate::error::{invalid, Result};
use crate::fft::CentredFft2;
use crate::geometry::Ris;
use glam::DVec3;
use rayon::prelude::*;
use rftwin_core::Complex;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// The image grid of the SAA: range slices, the cross-range box and the FFT sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaaGrid {
    /// Range slices `x_n` (all `< D`).
    pub slices: Vec<f64>,
    /// Cross-range box `[[y_min, y_max], [z_min, z_max]]` the image is cropped to.
    pub cross_range: [[f64; 2]; 2],
    /// Zero-padded aperture size `[N_y, N_z]` (even, `≥ [M_y, M_z]`); `None`: `2 M`.
    pub padded: Option<[usize; 2]>,
    /// Oversampling `O ≥ 1` (cross-range voxel `d / O`).
    pub oversampling: usize,
    /// Mask the evanescent bins `k_y² + k_z² ≥ k²` (on by default; off only for operator
    /// identities).
    pub evanescent_mask: bool,
}

impl Default for SaaGrid {
    /// One slice at `x = 0`, the box `|y|, |z| ≤ 8`, `N = 2M`, `O = 2`.
    fn default() -> Self {
        SaaGrid { slices: vec![0.0], cross_range: [[-8.0, 8.0], [-8.0, 8.0]], padded: None, oversampling: 2, evanescent_mask: true }
    }
}

/// Algorithm 1 for one aperture, UE and band, with the grid's geometry precomputed.
#[derive(Debug, Clone)]
pub struct SaaImager {
    aperture: Ris,
    ue: DVec3,
    wavenumbers: Vec<f64>,
    slices: Vec<f64>,
    mask: bool,
    n: [usize; 2],
    oversampling: usize,
    small: CentredFft2,
    large: CentredFft2,
    /// Output-grid indices kept by the crop, per cross-range axis.
    keep: [Vec<usize>; 2],
    /// Output-grid coordinates, per cross-range axis.
    coords: [Vec<f64>; 2],
}

impl SaaImager {
    /// Checks the grid against the aperture and plans the FFTs.
    pub fn new(aperture: &Ris, ue: DVec3, wavenumbers: &[f64], grid: &SaaGrid) -> Result<Self> {
        aperture.validate()?;
        let d = aperture.centre.x;
        if wavenumbers.is_empty() || wavenumbers.iter().any(|k| !(k.is_finite() && *k > 0.0)) {
            return Err(invalid("wavenumbers", "need at least one positive finite wavenumber"));
        }
        if grid.slices.is_empty() || grid.slices.iter().any(|x| !(x.is_finite() && *x < d)) {
            return Err(invalid("slices", format!("need at least one range slice, each finite and < D = {d}")));
        }
        if grid.oversampling == 0 {
            return Err(invalid("oversampling", "must be ≥ 1"));
        }
        let m = aperture.elements;
        let n = grid.padded.unwrap_or([2 * m[0], 2 * m[1]]);
        if (0..2).any(|a| n[a] < m[a] || !n[a].is_multiple_of(2)) {
            return Err(invalid("padded", format!("{n:?}: the padded size must be even and ≥ the aperture's {m:?}")));
        }
        let o = grid.oversampling;
        let mut keep: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        let mut coords: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        for a in 0..2 {
            let spacing = aperture.element_size[a];
            let offset = if m[a].is_multiple_of(2) { spacing / 2.0 } else { 0.0 };
            let centre = if a == 0 { aperture.centre.y } else { aperture.centre.z };
            coords[a] = (0..o * n[a]).map(|j| centre + offset + (j as f64 - (o * n[a]) as f64 / 2.0) * spacing / o as f64).collect();
            let [lo, hi] = grid.cross_range[a];
            let slack = 1e-9 * spacing;
            keep[a] = (0..o * n[a]).filter(|&j| coords[a][j] >= lo - slack && coords[a][j] <= hi + slack).collect();
            if keep[a].is_empty() {
                return Err(invalid("cross_range", format!("the box {:?} holds no point of the imaged span [{:.3}, {:.3}]", grid.cross_range[a], coords[a][0], coords[a][o * n[a] - 1])));
            }
        }
        Ok(SaaImager {
            aperture: aperture.clone(),
            ue,
            wavenumbers: wavenumbers.to_vec(),
            slices: grid.slices.clone(),
            mask: grid.evanescent_mask,
            n,
            oversampling: o,
            small: CentredFft2::new(n),
            large: CentredFft2::new([o * n[0], o * n[1]]),
            keep,
            coords,
        })
    }

    /// Image dimensions `[N_x, n_y, n_z]` after cropping; voxel `v = (ix·n_y + iy)·n_z + iz`.
    pub fn dims(&self) -> [usize; 3] {
        [self.slices.len(), self.keep[0].len(), self.keep[1].len()]
    }

    /// Voxel count.
    pub fn voxel_count(&self) -> usize {
        self.dims().iter().product()
    }

    /// Coordinates of the image's axes: slices, then the kept y and z.
    pub fn axes(&self) -> [Vec<f64>; 3] {
        [self.slices.clone(), self.keep[0].iter().map(|&j| self.coords[0][j]).collect(), self.keep[1].iter().map(|&j| self.coords[1][j]).collect()]
    }

    /// Every voxel centre, in voxel order.
    pub fn voxel_positions(&self) -> Vec<DVec3> {
        let [xs, ys, zs] = self.axes();
        let mut out = Vec::with_capacity(self.voxel_count());
        for &x in &xs {
            for &y in &ys {
                out.extend(zs.iter().map(|&z| DVec3::new(x, y, z)));
            }
        }
        out
    }

    /// The voxel nearest to `p` (by axis), `None` outside the image's span.
    pub fn nearest_voxel(&self, p: DVec3) -> Option<[usize; 3]> {
        let axes = self.axes();
        let mut out = [0; 3];
        for (a, (axis, v)) in axes.iter().zip([p.x, p.y, p.z]).enumerate() {
            let step = if axis.len() > 1 { (axis[1] - axis[0]).abs() } else { f64::INFINITY };
            let (j, dist) = axis.iter().enumerate().map(|(j, c)| (j, (c - v).abs())).min_by(|a, b| a.1.total_cmp(&b.1))?;
            if axis.len() > 1 && dist > step {
                return None;
            }
            if axis.len() == 1 && dist > 1e-9 + self.aperture.element_size[0].min(self.aperture.element_size[1]) {
                return None;
            }
            out[a] = j;
        }
        Some(out)
    }

    /// Subcarriers.
    pub fn subcarriers(&self) -> usize {
        self.wavenumbers.len()
    }

    /// The largest buffer one operator application allocates \[bytes\] (complex f64).
    pub fn largest_buffer_bytes(&self) -> u128 {
        let o = self.oversampling;
        16 * (self.voxel_count().max(o * o * self.n[0] * self.n[1])) as u128
    }

    /// `Φ(q)` of subcarrier `i` at bin `(qy, qz)` for slice `x`, 0 where evanescent.
    fn propagator(&self, k: f64, qy: usize, qz: usize, x: f64) -> Complex {
        let ky = 2.0 * PI * (qy as f64 - self.n[0] as f64 / 2.0) / (self.n[0] as f64 * self.aperture.element_size[0]);
        let kz = 2.0 * PI * (qz as f64 - self.n[1] as f64 / 2.0) / (self.n[1] as f64 * self.aperture.element_size[1]);
        let kx2 = k * k - ky * ky - kz * kz;
        if self.mask && kx2 <= 0.0 {
            return Complex::new(0.0, 0.0);
        }
        Complex::from_polar(1.0, kx2.max(0.0).sqrt() * (self.aperture.centre.x - x))
    }

    /// `Ψ = R_T e^{+jk R_T}` at `p`.
    fn transmit_compensation(&self, k: f64, p: DVec3) -> Complex {
        let rt = self.ue.distance(p);
        Complex::from_polar(rt, k * rt)
    }

    fn element_origin(&self) -> [usize; 2] {
        let m = self.aperture.elements;
        [self.n[0] / 2 - m[0] / 2, self.n[1] / 2 - m[1] / 2]
    }

    /// `σ̂_i`: the subimage of subcarrier `i` from its aperture ECR `e` (`M` values).
    pub fn backward(&self, i: usize, e: &[Complex]) -> Vec<Complex> {
        let ([ny, nz], o, m) = (self.n, self.oversampling, self.aperture.elements);
        let k = self.wavenumbers[i];
        let origin = self.element_origin();
        let mut spectrum = vec![Complex::new(0.0, 0.0); ny * nz];
        for a in 0..m[0] {
            for b in 0..m[1] {
                spectrum[(origin[0] + a) * nz + origin[1] + b] = e[a * m[1] + b];
            }
        }
        self.small.apply(&mut spectrum, false);
        let [_, cy, cz] = self.dims();
        let (big_z, pad) = (o * nz, [(o - 1) * ny / 2, (o - 1) * nz / 2]);
        let gain = (o * o) as f64;
        let mut image = vec![Complex::new(0.0, 0.0); self.voxel_count()];
        let mut g = vec![Complex::new(0.0, 0.0); o * ny * o * nz];
        for (ix, &x) in self.slices.iter().enumerate() {
            g.iter_mut().for_each(|v| *v = Complex::new(0.0, 0.0));
            for qy in 0..ny {
                for qz in 0..nz {
                    g[(qy + pad[0]) * big_z + qz + pad[1]] = spectrum[qy * nz + qz] * self.propagator(k, qy, qz, x) * gain;
                }
            }
            self.large.apply(&mut g, true);
            for (jy, &gy) in self.keep[0].iter().enumerate() {
                for (jz, &gz) in self.keep[1].iter().enumerate() {
                    let p = DVec3::new(x, self.coords[0][gy], self.coords[1][gz]);
                    image[(ix * cy + jy) * cz + jz] = g[gy * big_z + gz] * self.transmit_compensation(k, p);
                }
            }
        }
        image
    }

    /// The aperture ECR of subcarrier `i` that image `sigma` implies: the steps of
    /// [`Self::backward`] inverted in reverse order (the range slices averaged).
    pub fn forward(&self, i: usize, sigma: &[Complex]) -> Vec<Complex> {
        let ([ny, nz], o, m) = (self.n, self.oversampling, self.aperture.elements);
        let k = self.wavenumbers[i];
        let [_, cy, cz] = self.dims();
        let (big_z, pad) = (o * nz, [(o - 1) * ny / 2, (o - 1) * nz / 2]);
        let gain = 1.0 / (o * o) as f64;
        let mut spectrum = vec![Complex::new(0.0, 0.0); ny * nz];
        let mut g = vec![Complex::new(0.0, 0.0); o * ny * o * nz];
        for (ix, &x) in self.slices.iter().enumerate() {
            g.iter_mut().for_each(|v| *v = Complex::new(0.0, 0.0));
            for (jy, &gy) in self.keep[0].iter().enumerate() {
                for (jz, &gz) in self.keep[1].iter().enumerate() {
                    let p = DVec3::new(x, self.coords[0][gy], self.coords[1][gz]);
                    g[gy * big_z + gz] = sigma[(ix * cy + jy) * cz + jz] / self.transmit_compensation(k, p);
                }
            }
            self.large.apply(&mut g, false);
            for qy in 0..ny {
                for qz in 0..nz {
                    spectrum[qy * nz + qz] += g[(qy + pad[0]) * big_z + qz + pad[1]] * gain * self.propagator(k, qy, qz, x).conj();
                }
            }
        }
        let slices = self.slices.len() as f64;
        spectrum.iter_mut().for_each(|v| *v /= slices);
        self.small.apply(&mut spectrum, true);
        let origin = self.element_origin();
        (0..m[0] * m[1]).map(|j| spectrum[(origin[0] + j / m[1]) * nz + origin[1] + j % m[1]]).collect()
    }

    /// `σ̂ = Σ_i σ̂_i` (eq. 21) from one ECR per subcarrier, subcarriers in parallel.
    pub fn image(&self, ecr: &[Vec<Complex>]) -> Result<Vec<Complex>> {
        if ecr.len() != self.subcarriers() || ecr.iter().any(|e| e.len() != self.aperture.count()) {
            return Err(invalid("ecr", format!("expected {} subcarriers × {} aperture samples", self.subcarriers(), self.aperture.count())));
        }
        let zero = || vec![Complex::new(0.0, 0.0); self.voxel_count()];
        Ok((0..ecr.len()).into_par_iter().map(|i| self.backward(i, &ecr[i])).reduce(zero, |mut a, b| {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        }))
    }
}
