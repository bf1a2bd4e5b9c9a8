//! Spatial spectra of range profiles: Bartlett beamforming and MUSIC.
//!
//! The far-field steering vector of channel `v` towards unit direction `u` is
//! `s_v(u) = exp(−j 2π u · q_v / λ)` with `q_v = tx + rx − 2c` (see
//! [`MimoArray::virtual_offsets`]): a point at range `R` in direction `u` gives channel
//! phases `exp(j 2π f0 τ_v)`, `τ_v ≈ 2R/c − u · q_v / c`.

use crate::config::{FmcwConfig, MimoArray};
use crate::error::{RadarError, Result};
use glam::DVec3;
use nalgebra::DMatrix;
use rayon::prelude::*;
use rftwin_core::Complex;
use std::f64::consts::PI;

/// Azimuth × elevation grid in the radar frame (`forward` = boresight).
#[derive(Debug, Clone, PartialEq)]
pub struct AngleGrid {
    /// Azimuth angles \[rad\], positive towards `right`.
    pub azimuth: Vec<f64>,
    /// Elevation angles \[rad\], positive towards `up`.
    pub elevation: Vec<f64>,
    /// Boresight.
    pub forward: DVec3,
    /// Azimuth axis.
    pub right: DVec3,
    /// Elevation axis.
    pub up: DVec3,
}

impl AngleGrid {
    /// `na × ne` angles spread evenly over `±half_fov_az`, `±half_fov_el` \[rad\], for the
    /// default array orientation (boresight +y, right +x, up +z).
    pub fn uniform(na: usize, half_fov_az: f64, ne: usize, half_fov_el: f64) -> Self {
        let lin = |n: usize, h: f64| -> Vec<f64> {
            if n <= 1 {
                vec![0.0; n]
            } else {
                (0..n).map(|i| -h + 2.0 * h * i as f64 / (n - 1) as f64).collect()
            }
        };
        AngleGrid { azimuth: lin(na, half_fov_az), elevation: lin(ne, half_fov_el), forward: DVec3::Y, right: DVec3::X, up: DVec3::Z }
    }

    /// Unit direction of (azimuth, elevation).
    pub fn direction(&self, az: f64, el: f64) -> DVec3 {
        el.cos() * (az.sin() * self.right + az.cos() * self.forward) + el.sin() * self.up
    }

    /// All directions, azimuth-major (`index = ia * ne + ie`).
    pub fn directions(&self) -> Vec<DVec3> {
        let mut d = Vec::with_capacity(self.azimuth.len() * self.elevation.len());
        for &a in &self.azimuth {
            for &e in &self.elevation {
                d.push(self.direction(a, e));
            }
        }
        d
    }
}

/// A real spectrum over (range bin, azimuth, elevation), row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// `[range bins, azimuths, elevations]`.
    pub dims: [usize; 3],
    /// Values, index `(r · na + a) · ne + e`.
    pub data: Vec<f64>,
}

impl Spectrum {
    /// Zeros of the given dimensions.
    pub fn zeros(dims: [usize; 3]) -> Self {
        Spectrum { dims, data: vec![0.0; dims[0] * dims[1] * dims[2]] }
    }
    /// Value at (range bin, azimuth, elevation).
    pub fn at(&self, r: usize, a: usize, e: usize) -> f64 {
        self.data[(r * self.dims[1] + a) * self.dims[2] + e]
    }
    /// Index of the largest value as (range bin, azimuth, elevation); `None` for an
    /// empty spectrum or one whose dims disagree with its data.
    pub fn argmax(&self) -> Option<[usize; 3]> {
        if self.data.is_empty() || self.data.len() != self.dims.iter().product::<usize>() {
            return None;
        }
        let i = (0..self.data.len()).max_by(|&a, &b| self.data[a].total_cmp(&self.data[b]))?;
        let e = i % self.dims[2];
        let a = (i / self.dims[2]) % self.dims[1];
        Some([i / (self.dims[1] * self.dims[2]), a, e])
    }

    /// The same values with the angular axes `[directions, 1]` of a surrogate spectrum
    /// (directions in [`AngleGrid::directions`] order, azimuth-major) split into
    /// `[azimuths, elevations]` of an `na × ne` grid.
    pub fn on_grid(&self, na: usize, ne: usize) -> Result<Spectrum> {
        if self.dims[1] * self.dims[2] != na * ne || self.data.len() != self.dims.iter().product::<usize>() {
            return Err(RadarError::Shape(format!("a spectrum of dims {:?} ({} values) is not {} bins × {na} × {ne} angles", self.dims, self.data.len(), self.dims[0])));
        }
        Ok(Spectrum { dims: [self.dims[0], na, ne], data: self.data.clone() })
    }

    /// The two images people look at: range × azimuth (rows = range bins, reduced over
    /// elevation) and elevation × azimuth (rows = elevations, reduced over range), each
    /// row-major with `dims[1]` columns. A surrogate spectrum (`[bins, directions, 1]`)
    /// needs [`Spectrum::on_grid`] first.
    pub fn project(&self, reduce: Reduce) -> Result<(Vec<f64>, Vec<f64>)> {
        let [nb, na, ne] = self.dims;
        if self.data.len() != nb * na * ne {
            return Err(RadarError::Shape(format!("spectrum dims {:?} but {} values", self.dims, self.data.len())));
        }
        let (init, f): (f64, fn(f64, f64) -> f64) = match reduce {
            Reduce::Sum => (0.0, |acc, x| acc + x),
            Reduce::Max => (0.0, f64::max),
        };
        let (mut range_azimuth, mut elevation_azimuth) = (vec![init; nb * na], vec![init; ne * na]);
        for r in 0..nb {
            for a in 0..na {
                for e in 0..ne {
                    let x = self.data[(r * na + a) * ne + e];
                    range_azimuth[r * na + a] = f(range_azimuth[r * na + a], x);
                    elevation_azimuth[e * na + a] = f(elevation_azimuth[e * na + a], x);
                }
            }
        }
        Ok((range_azimuth, elevation_azimuth))
    }
}

/// How [`Spectrum::project`] reduces the dropped axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    /// Sum (energy-like images; linear in the spectrum, so gradients project too).
    Sum,
    /// Maximum starting from 0 (spectra are non-negative: the brightest scatterer).
    Max,
}

/// Steering vectors (directions × channels).
pub fn steering_vectors(array: &MimoArray, wavelength: f64, directions: &[DVec3]) -> Vec<Vec<Complex>> {
    let q = array.virtual_offsets();
    directions.iter().map(|u| q.iter().map(|qv| Complex::from_polar(1.0, -2.0 * PI * u.dot(*qv) / wavelength)).collect()).collect()
}

fn check_profiles(array: &MimoArray, profiles: &[Vec<Complex>], bins: &std::ops::Range<usize>) -> Result<()> {
    if array.num_channels() == 0 {
        return Err(RadarError::Shape(format!("the array has no channels ({} Tx, {} Rx elements)", array.tx.len(), array.rx.len())));
    }
    if profiles.len() != array.num_channels() {
        return Err(RadarError::Shape(format!("{} range profiles for {} channels", profiles.len(), array.num_channels())));
    }
    if let Some(p) = profiles.iter().find(|p| p.len() < bins.end) {
        return Err(RadarError::Shape(format!("a range profile has {} bins, bins up to {} were asked for", p.len(), bins.end)));
    }
    Ok(())
}

/// Bartlett (delay-and-sum) spectrum `P(k, u) = |s(u)ᴴ R[k]|² / V²` over the range
/// bins `bins` and the angle grid.
pub fn bartlett(cfg: &FmcwConfig, array: &MimoArray, profiles: &[Vec<Complex>], grid: &AngleGrid, bins: std::ops::Range<usize>) -> Result<Spectrum> {
    check_profiles(array, profiles, &bins)?;
    let dirs = grid.directions();
    if dirs.is_empty() {
        return Err(RadarError::Shape(format!("the angle grid is empty ({} azimuths × {} elevations)", grid.azimuth.len(), grid.elevation.len())));
    }
    let steer = steering_vectors(array, cfg.wavelength(), &dirs);
    let v2 = (array.num_channels() as f64).powi(2);
    let nd = dirs.len();
    let mut spec = Spectrum::zeros([bins.len(), grid.azimuth.len(), grid.elevation.len()]);
    spec.data.par_chunks_mut(nd).zip(bins.clone().into_par_iter()).for_each(|(row, k)| {
        for (d, s) in steer.iter().enumerate() {
            let z: Complex = s.iter().zip(profiles).map(|(sv, p)| sv.conj() * p[k]).sum();
            row[d] = z.norm_sqr() / v2;
        }
    });
    Ok(spec)
}

/// MUSIC pseudo-spectrum over the angle grid at range bin `bin`, with the profiles of
/// bins `bin − half_window ..= bin + half_window` as snapshots, `sources` signal
/// eigenvectors and diagonal loading `1e-9 · trace / V`. Returns `na × ne` values
/// `1 / ‖E_nᴴ s(u)‖²` (azimuth-major).
pub fn music(cfg: &FmcwConfig, array: &MimoArray, profiles: &[Vec<Complex>], grid: &AngleGrid, bin: usize, half_window: usize, sources: usize) -> Result<Vec<f64>> {
    let lo = bin.saturating_sub(half_window);
    let hi = bin.checked_add(half_window).and_then(|h| h.checked_add(1)).ok_or_else(|| RadarError::Shape(format!("bin {bin} ± {half_window} overflows")))?;
    let bins = lo..hi;
    check_profiles(array, profiles, &bins)?;
    let v = array.num_channels();
    if sources == 0 || sources >= v {
        return Err(RadarError::InvalidSetting { name: "sources", message: format!("must be in 1..{v}, got {sources}") });
    }
    let m = bins.len();
    let x = DMatrix::<Complex>::from_fn(v, m, |i, j| profiles[i][lo + j]);
    let mut cov = &x * x.adjoint() / Complex::new(m as f64, 0.0);
    let load = 1e-9 * cov.diagonal().iter().map(|c| c.re).sum::<f64>() / v as f64 + f64::MIN_POSITIVE;
    for i in 0..v {
        cov[(i, i)] += Complex::new(load, 0.0);
    }
    let eig = cov.symmetric_eigen();
    let mut order: Vec<usize> = (0..v).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[a].total_cmp(&eig.eigenvalues[b]));
    let noise: Vec<usize> = order[..v - sources].to_vec();
    let dirs = grid.directions();
    let steer = steering_vectors(array, cfg.wavelength(), &dirs);
    Ok(steer
        .par_iter()
        .map(|s| {
            let mut acc = 0.0;
            for &c in &noise {
                let col = eig.eigenvectors.column(c);
                let z: Complex = col.iter().zip(s).map(|(e, sv)| e.conj() * sv).sum();
                acc += z.norm_sqr();
            }
            1.0 / acc.max(f64::MIN_POSITIVE)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projections_reduce_the_dropped_axis() {
        // dims [2 range, 2 az, 3 el]; value = 100 r + 10 a + e
        let mut s = Spectrum::zeros([2, 2, 3]);
        for r in 0..2 {
            for a in 0..2 {
                for e in 0..3 {
                    s.data[(r * 2 + a) * 3 + e] = (100 * r + 10 * a + e) as f64;
                }
            }
        }
        let (ra, ea) = s.project(Reduce::Sum).unwrap();
        // range × azimuth: Σ_e (100 r + 10 a + e) = 300 r + 30 a + 3
        assert_eq!(ra, vec![3.0, 33.0, 303.0, 333.0]);
        // elevation × azimuth: Σ_r = 100 + 20 a + 2 e
        assert_eq!(ea, vec![100.0, 120.0, 102.0, 122.0, 104.0, 124.0]);
        let (ra, ea) = s.project(Reduce::Max).unwrap();
        assert_eq!(ra, vec![2.0, 12.0, 102.0, 112.0]);
        assert_eq!(ea, vec![100.0, 110.0, 101.0, 111.0, 102.0, 112.0]);
        // a surrogate spectrum flattens the angles: [bins, directions, 1]
        let flat = Spectrum { dims: [2, 6, 1], data: s.data.clone() };
        assert_eq!(flat.on_grid(2, 3).unwrap(), s);
        assert!(flat.on_grid(3, 3).is_err());
        assert!(Spectrum { dims: [2, 2, 3], data: vec![0.0; 5] }.project(Reduce::Sum).is_err());
    }
}
