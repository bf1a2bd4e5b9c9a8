//! Differentiable radar surrogates (InverTwin §3.4) and their exact VJPs.
//!
//! **Range surrogate** (eq. 17): `R_s(k) = Σ_i G_i(k) w_i` with Gaussian kernels around
//! each echo's range `r_i` at bin range `D_k`, `e_i(k) = exp(−(r_i − D_k)² / 2σ²)`:
//! - [`RangeKernel::Normalized`] — eq. 17 as printed, `G_i = e_i / Σ_j e_j`. Every bin is a
//!   convex combination of the echo weights, so the profile does not decay away from the
//!   echoes (a bin 2 m from the target still holds the full amplitude).
//! - [`RangeKernel::Gaussian`] — unnormalised, `G_i = e_i`: the profile decays like the
//!   real one. The examples use this one, because observations made by the FFT pipeline
//!   decay away from the target and the normalised kernel cannot match them.
//!
//! Derivatives, with `h_m = (D_k − r_m)/σ²`: unnormalised `∂R/∂r_m = h_m e_m w_m`;
//! normalised `∂R/∂r_m = h_m G_m (w_m − R)` — this includes the cross terms through the
//! normaliser (`j ≠ i`) that eq. 18 as printed omits (eq. 18 keeps only the `i = m`
//! term `G_m h_m (1 − G_m) w_m`).
//!
//! **Spatial surrogate** (eq. 20): each echo gets an Airy-disc angular kernel
//! `A_i(u) = (2 J1(x)/x)²`, `x = k r sin ψ_i(u)`, `ψ_i` the angle between the look
//! direction `u` and the echo direction `d_i`, `r` the aperture radius, and a random
//! phase `ρ_i` (seeded). The range–angle spectrum is `S(k, u) = |Σ_i G_i(k) A_i(u) w_i e^{jρ_i}|²`:
//! echoes still interfere, but their phases no longer depend on their ranges.

use crate::error::{RadarError, Result};
use crate::signal::Echo;
use crate::spectrum::Spectrum;
use glam::DVec3;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use rftwin_core::Complex;
use std::f64::consts::PI;

/// Which range kernel to use (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeKernel {
    /// Eq. (17) as printed: kernels normalised over the echoes in every bin.
    Normalized,
    /// Unnormalised Gaussian kernels.
    Gaussian,
}

/// Surrogate settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurrogateOptions {
    /// Kernel width σ [m].
    pub sigma_m: f64,
    /// Range kernel.
    pub kernel: RangeKernel,
    /// Aperture radius `r` of the Airy kernel [m].
    pub aperture_radius_m: f64,
    /// Wavelength λ [m] (`k = 2π/λ`).
    pub wavelength: f64,
    /// Seed of the per-echo random phases; `None` keeps the echoes' own phases only.
    pub random_phase_seed: Option<u64>,
}

impl SurrogateOptions {
    /// Checks σ, r and λ.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("sigma_m", self.sigma_m), ("aperture_radius_m", self.aperture_radius_m), ("wavelength", self.wavelength)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(RadarError::InvalidSetting { name, message: format!("must be > 0, got {v}") });
            }
        }
        Ok(())
    }
}

/// An echo as the surrogates see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurrogateEcho {
    /// Range `r` [m]: half the round-trip path length from the array centre.
    pub range: f64,
    /// Unit direction from the array centre.
    pub direction: DVec3,
    /// Complex weight `w = α e^{jφ}`.
    pub weight: Complex,
}

/// Gradient of a real loss with respect to one [`SurrogateEcho`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EchoGradient {
    /// `∂L/∂r` [1/m].
    pub range: f64,
    /// `∂L/∂d` (the direction as a free 3-vector; project before use).
    pub direction: DVec3,
    /// `∂L/∂Re w + j ∂L/∂Im w`.
    pub weight: Complex,
}

impl SurrogateEcho {
    /// The surrogate view of `echo` seen from the array centre `center`.
    pub fn from_echo(echo: &Echo, center: DVec3) -> Self {
        let d = echo.point - center;
        let len = d.length();
        SurrogateEcho { range: len + 0.5 * echo.extra_path_m, direction: d / len, weight: echo.a }
    }

    /// Chains an [`EchoGradient`] back to the echo's point and amplitude:
    /// `(∂L/∂point, ∂L/∂a)`.
    pub fn point_gradient(echo: &Echo, center: DVec3, g: &EchoGradient) -> (DVec3, Complex) {
        let d = echo.point - center;
        let len = d.length();
        let u = d / len;
        // r = |p − c| + extra/2: ∂r/∂p = u;  d = (p − c)/|p − c|: ∂d/∂p = (I − u uᵀ)/|p − c|
        let dir = (g.direction - u * u.dot(g.direction)) / len;
        (g.range * u + dir, g.weight)
    }
}

/// Per-echo unit-modulus random phase factors `e^{jρ_i}` (seeded), or ones.
pub fn phase_factors(n: usize, seed: Option<u64>) -> Vec<Complex> {
    match seed {
        None => vec![Complex::new(1.0, 0.0); n],
        Some(s) => {
            let mut rng = rand_pcg::Pcg64::seed_from_u64(s);
            (0..n).map(|_| Complex::from_polar(1.0, 2.0 * PI * rng.gen::<f64>())).collect()
        }
    }
}

/// Kernel values `G_i` and log-derivatives `h_i = ∂ log e_i / ∂r_i` for bin range `d`.
fn kernel_row(echoes: &[SurrogateEcho], d: f64, sigma: f64, kernel: RangeKernel, g: &mut [f64], h: &mut [f64]) {
    let s2 = sigma * sigma;
    let mut lmax = f64::NEG_INFINITY;
    for (i, e) in echoes.iter().enumerate() {
        let l = -(e.range - d).powi(2) / (2.0 * s2);
        g[i] = l;
        h[i] = (d - e.range) / s2;
        lmax = lmax.max(l);
    }
    match kernel {
        RangeKernel::Gaussian => g.iter_mut().for_each(|x| *x = x.exp()),
        RangeKernel::Normalized => {
            // log-sum-exp: stays finite where every kernel underflows
            let mut sum = 0.0;
            for x in g.iter_mut() {
                *x = (*x - lmax).exp();
                sum += *x;
            }
            g.iter_mut().for_each(|x| *x /= sum);
        }
    }
}

/// Eq. (17): the surrogate range profile at bin ranges `bin_ranges`.
pub fn range_surrogate(echoes: &[SurrogateEcho], bin_ranges: &[f64], opts: &SurrogateOptions) -> Result<Vec<Complex>> {
    opts.validate()?;
    let n = echoes.len();
    Ok(bin_ranges
        .par_iter()
        .map_init(
            || (vec![0.0; n], vec![0.0; n]),
            |(g, h), &d| {
                kernel_row(echoes, d, opts.sigma_m, opts.kernel, g, h);
                echoes.iter().zip(g.iter()).map(|(e, gi)| e.weight * *gi).sum()
            },
        )
        .collect())
}

/// VJP of [`range_surrogate`]: `grad[k] = ∂L/∂Re R_k + j ∂L/∂Im R_k` → per-echo gradients.
pub fn range_surrogate_vjp(echoes: &[SurrogateEcho], bin_ranges: &[f64], opts: &SurrogateOptions, grad: &[Complex]) -> Result<Vec<EchoGradient>> {
    opts.validate()?;
    if grad.len() != bin_ranges.len() {
        return Err(RadarError::Shape(format!("{} gradients for {} bins", grad.len(), bin_ranges.len())));
    }
    let n = echoes.len();
    let mut out = vec![EchoGradient::default(); n];
    let (mut g, mut h) = (vec![0.0; n], vec![0.0; n]);
    for (&d, &gk) in bin_ranges.iter().zip(grad) {
        kernel_row(echoes, d, opts.sigma_m, opts.kernel, &mut g, &mut h);
        let r: Complex = echoes.iter().zip(&g).map(|(e, gi)| e.weight * *gi).sum();
        for (m, e) in echoes.iter().enumerate() {
            let dr_dr = match opts.kernel {
                RangeKernel::Gaussian => h[m] * g[m] * e.weight,
                RangeKernel::Normalized => h[m] * g[m] * (e.weight - r),
            };
            out[m].range += (gk.conj() * dr_dr).re;
            out[m].weight += gk * g[m];
        }
    }
    Ok(out)
}

/// `f(x) = 2 J1(x) / x` and `f'(x)`.
pub fn airy_amplitude(x: f64) -> (f64, f64) {
    if x.abs() < 1e-4 {
        return (1.0 - x * x / 8.0, -x / 4.0);
    }
    let (j0, j1) = (libm::j0(x), libm::j1(x));
    (2.0 * j1 / x, 2.0 * (x * j0 - 2.0 * j1) / (x * x))
}

/// Airy kernel `A = f(k r sin ψ)²` between look direction `u` and echo direction `d`,
/// and `∂A/∂d`.
pub fn airy_kernel(u: DVec3, d: DVec3, kr: f64) -> (f64, DVec3) {
    let c = u.cross(d);
    let s = c.length();
    let (f, df) = airy_amplitude(kr * s);
    let a = f * f;
    if s < 1e-12 {
        return (a, DVec3::ZERO);
    }
    // ∂s/∂d = (c × u) / s
    (a, 2.0 * f * df * kr * c.cross(u) / s)
}

/// Eq. (20) combined with eq. (17): `S(k, u) = |Σ_i G_i(k) A_i(u) w_i e^{jρ_i}|²` over
/// bin ranges × look directions (dims `[bins, directions, 1]`).
pub fn spatial_surrogate(echoes: &[SurrogateEcho], bin_ranges: &[f64], directions: &[DVec3], opts: &SurrogateOptions) -> Result<Spectrum> {
    opts.validate()?;
    let n = echoes.len();
    let kr = 2.0 * PI / opts.wavelength * opts.aperture_radius_m;
    let phases = phase_factors(n, opts.random_phase_seed);
    let v: Vec<Complex> = echoes.iter().zip(&phases).map(|(e, p)| e.weight * p).collect();
    let airy: Vec<Vec<f64>> = directions.par_iter().map(|u| echoes.iter().map(|e| airy_kernel(*u, e.direction, kr).0).collect()).collect();
    let nd = directions.len();
    let mut spec = Spectrum::zeros([bin_ranges.len(), nd, 1]);
    spec.data.par_chunks_mut(nd).zip(bin_ranges.par_iter()).for_each(|(row, &d)| {
        let (mut g, mut h) = (vec![0.0; n], vec![0.0; n]);
        kernel_row(echoes, d, opts.sigma_m, opts.kernel, &mut g, &mut h);
        let gv: Vec<Complex> = v.iter().zip(&g).map(|(vi, gi)| vi * *gi).collect();
        for (k, a_row) in airy.iter().enumerate() {
            let z: Complex = gv.iter().zip(a_row).map(|(x, a)| x * *a).sum();
            row[k] = z.norm_sqr();
        }
    });
    Ok(spec)
}

/// VJP of [`spatial_surrogate`]: `grad` holds `∂L/∂S` with the spectrum's dims.
pub fn spatial_surrogate_vjp(echoes: &[SurrogateEcho], bin_ranges: &[f64], directions: &[DVec3], opts: &SurrogateOptions, grad: &Spectrum) -> Result<Vec<EchoGradient>> {
    opts.validate()?;
    let nd = directions.len();
    if grad.dims != [bin_ranges.len(), nd, 1] {
        return Err(RadarError::Shape(format!("gradient dims {:?}, spectrum dims {:?}", grad.dims, [bin_ranges.len(), nd, 1])));
    }
    let n = echoes.len();
    let kr = 2.0 * PI / opts.wavelength * opts.aperture_radius_m;
    let phases = phase_factors(n, opts.random_phase_seed);
    let v: Vec<Complex> = echoes.iter().zip(&phases).map(|(e, p)| e.weight * p).collect();
    let airy: Vec<Vec<(f64, DVec3)>> =
        directions.iter().map(|u| echoes.iter().map(|e| airy_kernel(*u, e.direction, kr)).collect()).collect();
    // Per bin (in parallel): γ_i = ∂L/∂G_i(k), and the contributions to ∂L/∂A_i(u) and ∂L/∂v_i.
    let partial: Vec<(Vec<f64>, Vec<Complex>, Vec<DVec3>)> = bin_ranges
        .par_iter()
        .enumerate()
        .map(|(k, &d)| {
            let (mut g, mut h) = (vec![0.0; n], vec![0.0; n]);
            kernel_row(echoes, d, opts.sigma_m, opts.kernel, &mut g, &mut h);
            let mut gamma = vec![0.0; n];
            let mut gv = vec![Complex::new(0.0, 0.0); n];
            let mut gdir = vec![DVec3::ZERO; n];
            for (ui, a_row) in airy.iter().enumerate() {
                let q = grad.data[k * nd + ui];
                if q == 0.0 {
                    continue;
                }
                let z: Complex = (0..n).map(|i| v[i] * (g[i] * a_row[i].0)).sum();
                let gz = 2.0 * q * z; // ∂L/∂z for S = |z|²
                for i in 0..n {
                    let t = (gz.conj() * v[i]).re; // ∂L/∂(G_i A_i)
                    gamma[i] += t * a_row[i].0;
                    gdir[i] += t * g[i] * a_row[i].1;
                    gv[i] += gz * (g[i] * a_row[i].0);
                }
            }
            // chain γ through the range kernel
            let mut grange = vec![0.0; n];
            let mean: f64 = (0..n).map(|i| g[i] * gamma[i]).sum();
            for m in 0..n {
                grange[m] = match opts.kernel {
                    RangeKernel::Gaussian => h[m] * g[m] * gamma[m],
                    RangeKernel::Normalized => h[m] * g[m] * (gamma[m] - mean),
                };
            }
            (grange, gv, gdir)
        })
        .collect();
    let mut out = vec![EchoGradient::default(); n];
    for (grange, gv, gdir) in partial {
        for i in 0..n {
            out[i].range += grange[i];
            out[i].weight += gv[i];
            out[i].direction += gdir[i];
        }
    }
    // v = w e^{jρ}: ∂L/∂w = ∂L/∂v · e^{−jρ}
    for (o, p) in out.iter_mut().zip(&phases) {
        o.weight *= p.conj();
    }
    Ok(out)
}
