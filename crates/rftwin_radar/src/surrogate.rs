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
    /// Kernel width σ \[m\].
    pub sigma_m: f64,
    /// Range kernel.
    pub kernel: RangeKernel,
    /// Aperture radius `r` of the Airy kernel \[m\].
    pub aperture_radius_m: f64,
    /// Wavelength λ \[m\] (`k = 2π/λ`).
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
    /// Range `r` \[m\]: half the round-trip path length from the array centre.
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

/// Refuses echoes whose range, direction or weight is not finite — an echo at the array
/// centre has no direction (`0/0`) and would turn the whole spectrum into NaN.
fn check_echoes(echoes: &[SurrogateEcho]) -> Result<()> {
    for (i, e) in echoes.iter().enumerate() {
        let unit = (e.direction.length() - 1.0).abs() < 1e-6;
        if !(e.range.is_finite() && e.direction.is_finite() && unit && e.weight.re.is_finite() && e.weight.im.is_finite()) {
            return Err(RadarError::InvalidSetting {
                name: "echoes",
                message: format!("echo {i} (range {} m, direction {:?}, weight {}) is not finite: an echo at the array centre has no direction", e.range, e.direction, e.weight),
            });
        }
    }
    Ok(())
}

/// Eq. (17): the surrogate range profile at bin ranges `bin_ranges`.
pub fn range_surrogate(echoes: &[SurrogateEcho], bin_ranges: &[f64], opts: &SurrogateOptions) -> Result<Vec<Complex>> {
    opts.validate()?;
    check_echoes(echoes)?;
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
    check_echoes(echoes)?;
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
    check_echoes(echoes)?;
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
    check_echoes(echoes)?;
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

/// The phase-averaged (incoherent) spatial surrogate: the expectation of
/// [`spatial_surrogate`] over independent uniform echo phases,
/// `S̄(k, u) = Σ_i |w_i|² G_i(k)² A_i(u)²`. A Monte Carlo estimate of it from surface
/// samples converges as 1/√N, whereas one draw of the coherent spectrum carries
/// fully developed speckle whatever N — so S̄ is the one to fit when samples are drawn
/// afresh every iteration. Gaussian range kernel only (dims `[bins, directions, 1]`).
pub fn spatial_power_surrogate(echoes: &[SurrogateEcho], bin_ranges: &[f64], directions: &[DVec3], opts: &SurrogateOptions) -> Result<Spectrum> {
    power_check(opts, echoes)?;
    let kr = 2.0 * PI / opts.wavelength * opts.aperture_radius_m;
    let s2 = opts.sigma_m * opts.sigma_m;
    let nd = directions.len();
    let a2: Vec<Vec<f64>> = echoes.par_iter().map(|e| directions.iter().map(|u| airy_kernel(*u, e.direction, kr).0.powi(2)).collect()).collect();
    let mut spec = Spectrum::zeros([bin_ranges.len(), nd, 1]);
    spec.data.par_chunks_mut(nd).zip(bin_ranges.par_iter()).for_each(|(row, &d)| {
        for (e, a2) in echoes.iter().zip(&a2) {
            let g2 = (-(e.range - d).powi(2) / s2).exp() * e.weight.norm_sqr();
            if g2 < 1e-300 {
                continue;
            }
            for (r, a) in row.iter_mut().zip(a2) {
                *r += g2 * a;
            }
        }
    });
    Ok(spec)
}

/// Derivative of one echo along a direction in parameter space, for
/// [`spatial_power_surrogate_jvp`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EchoTangent {
    /// `ṙ` [m per parameter unit].
    pub range: f64,
    /// `ḋ` of the unit direction (orthogonal to it).
    pub direction: DVec3,
    /// `ṗ` of the echo's power `|w|²`.
    pub power: f64,
}

impl EchoTangent {
    /// From the derivative of the echo's point `ṗoint` and of its power `ṗ`, for an echo
    /// seen from `center` (see [`SurrogateEcho::from_echo`]).
    pub fn from_point(point: DVec3, center: DVec3, d_point: DVec3, d_power: f64) -> Self {
        let d = point - center;
        let len = d.length();
        let u = d / len;
        EchoTangent { range: u.dot(d_point), direction: (d_point - u * u.dot(d_point)) / len, power: d_power }
    }
}

/// Forward-mode derivative (JVP) of [`spatial_power_surrogate`]: the change of every
/// spectrum value when the echoes move along `tangents` — all voxels in one pass. An
/// echo of zero weight with a power tangent is a probe: it adds `ṗ K²` (the boundary
/// term's contribution at a point).
pub fn spatial_power_surrogate_jvp(echoes: &[SurrogateEcho], tangents: &[EchoTangent], bin_ranges: &[f64], directions: &[DVec3], opts: &SurrogateOptions) -> Result<Spectrum> {
    power_check(opts, echoes)?;
    if tangents.len() != echoes.len() {
        return Err(RadarError::Shape(format!("{} tangents for {} echoes", tangents.len(), echoes.len())));
    }
    let kr = 2.0 * PI / opts.wavelength * opts.aperture_radius_m;
    let s2 = opts.sigma_m * opts.sigma_m;
    let nd = directions.len();
    // per echo and direction: A², and Ȧ² = 2A (∂A/∂d · ḋ)
    let k: Vec<Vec<(f64, f64)>> = echoes
        .par_iter()
        .zip(tangents.par_iter())
        .map(|(e, t)| {
            directions
                .iter()
                .map(|u| {
                    let (a, da) = airy_kernel(*u, e.direction, kr);
                    (a * a, 2.0 * a * da.dot(t.direction))
                })
                .collect()
        })
        .collect();
    let mut out = Spectrum::zeros([bin_ranges.len(), nd, 1]);
    out.data.par_chunks_mut(nd).zip(bin_ranges.par_iter()).for_each(|(row, &d)| {
        for ((e, t), k) in echoes.iter().zip(tangents).zip(&k) {
            let g2 = (-(e.range - d).powi(2) / s2).exp();
            if g2 < 1e-300 {
                continue;
            }
            let p = e.weight.norm_sqr();
            // d/dθ (p G² A²) = ṗ G² A² + p (∂G²/∂r ṙ) A² + p G² Ȧ²
            let c0 = t.power * g2 + p * g2 * 2.0 * (d - e.range) / s2 * t.range;
            let c1 = p * g2;
            for (r, (a2, da2)) in row.iter_mut().zip(k) {
                *r += c0 * a2 + c1 * da2;
            }
        }
    });
    Ok(out)
}

fn power_check(opts: &SurrogateOptions, echoes: &[SurrogateEcho]) -> Result<()> {
    opts.validate()?;
    check_echoes(echoes)?;
    if opts.kernel != RangeKernel::Gaussian {
        return Err(RadarError::InvalidSetting { name: "kernel", message: "the phase-averaged surrogate supports the Gaussian range kernel only".into() });
    }
    Ok(())
}

/// VJP of [`spatial_power_surrogate`].
pub fn spatial_power_surrogate_vjp(echoes: &[SurrogateEcho], bin_ranges: &[f64], directions: &[DVec3], opts: &SurrogateOptions, grad: &Spectrum) -> Result<Vec<EchoGradient>> {
    power_check(opts, echoes)?;
    let nd = directions.len();
    if grad.dims != [bin_ranges.len(), nd, 1] {
        return Err(RadarError::Shape(format!("gradient dims {:?}, spectrum has {:?}", grad.dims, [bin_ranges.len(), nd, 1])));
    }
    let kr = 2.0 * PI / opts.wavelength * opts.aperture_radius_m;
    let s2 = opts.sigma_m * opts.sigma_m;
    Ok(echoes
        .par_iter()
        .map(|e| {
            let airy: Vec<(f64, DVec3)> = directions.iter().map(|u| airy_kernel(*u, e.direction, kr)).collect();
            let p = e.weight.norm_sqr();
            let mut out = EchoGradient::default();
            let mut dw = 0.0;
            for (b, &d) in bin_ranges.iter().enumerate() {
                let g2 = (-(e.range - d).powi(2) / s2).exp();
                if g2 < 1e-300 {
                    continue;
                }
                let row = &grad.data[b * nd..(b + 1) * nd];
                let (mut sa, mut sd) = (0.0, DVec3::ZERO);
                for ((a, da), gs) in airy.iter().zip(row) {
                    sa += gs * a * a;
                    sd += *da * (gs * 2.0 * a);
                }
                dw += g2 * sa;
                // ∂G²/∂r = 2 G² (d − r)/σ²
                out.range += p * sa * g2 * 2.0 * (d - e.range) / s2;
                out.direction += sd * (p * g2);
            }
            // ∂|w|²/∂(Re w, Im w) = 2 w
            out.weight = e.weight * (2.0 * dw);
            out
        })
        .collect())
}

#[cfg(test)]
mod power_tests {
    use super::*;

    #[test]
    fn power_surrogate_is_the_phase_average_and_its_vjp_matches_finite_differences() {
        let opts = SurrogateOptions { sigma_m: 0.04, kernel: RangeKernel::Gaussian, aperture_radius_m: 0.008, wavelength: 0.0039, random_phase_seed: Some(1) };
        let echoes: Vec<SurrogateEcho> = (0..5)
            .map(|i| SurrogateEcho { range: 1.0 + 0.03 * i as f64, direction: DVec3::new(0.05 * i as f64 - 0.1, 1.0, 0.02 * i as f64).normalize(), weight: Complex::new(1.0 + 0.1 * i as f64, -0.2) })
            .collect();
        let bins: Vec<f64> = (0..8).map(|k| 0.95 + 0.03 * k as f64).collect();
        let dirs: Vec<DVec3> = (0..6).map(|k| DVec3::new(0.04 * k as f64 - 0.1, 1.0, 0.03).normalize()).collect();
        let s = spatial_power_surrogate(&echoes, &bins, &dirs, &opts).unwrap();
        // the mean of the coherent spectrum over many phase draws
        let draws = 4000;
        let mut mean = vec![0.0; s.data.len()];
        for k in 0..draws {
            let c = spatial_surrogate(&echoes, &bins, &dirs, &SurrogateOptions { random_phase_seed: Some(100 + k), ..opts }).unwrap();
            mean.iter_mut().zip(&c.data).for_each(|(m, x)| *m += x / draws as f64);
        }
        let peak = s.data.iter().cloned().fold(0.0, f64::max);
        for (a, b) in s.data.iter().zip(&mean) {
            assert!((a - b).abs() < 0.05 * peak, "{a} vs {b}");
        }
        // VJP against finite differences of L = Σ c·S
        let c = Spectrum { dims: s.dims, data: (0..s.data.len()).map(|i| ((i * 7) % 11) as f64 / 11.0 - 0.3).collect() };
        let loss = |e: &[SurrogateEcho]| spatial_power_surrogate(e, &bins, &dirs, &opts).unwrap().data.iter().zip(&c.data).map(|(a, b)| a * b).sum::<f64>();
        let g = spatial_power_surrogate_vjp(&echoes, &bins, &dirs, &opts, &c).unwrap();
        let h = 1e-7;
        for i in 0..echoes.len() {
            let fd = |f: &dyn Fn(&mut SurrogateEcho)| {
                let (mut p, mut m) = (echoes.clone(), echoes.clone());
                f(&mut p[i]);
                // the mirrored perturbation
                let e = echoes[i];
                m[i] = SurrogateEcho { range: 2.0 * e.range - p[i].range, direction: 2.0 * e.direction - p[i].direction, weight: 2.0 * e.weight - p[i].weight };
                (loss(&p) - loss(&m)) / (2.0 * h)
            };
            let scale = 1e-3 * (1.0 + g[i].range.abs() + g[i].weight.norm() + g[i].direction.length());
            assert!((fd(&|e| e.range += h) - g[i].range).abs() < scale);
            assert!((fd(&|e| e.weight.re += h) - g[i].weight.re).abs() < scale);
            assert!((fd(&|e| e.weight.im += h) - g[i].weight.im).abs() < scale);
            assert!((fd(&|e| e.direction.x += h) - g[i].direction.x).abs() < scale);
            assert!((fd(&|e| e.direction.z += h) - g[i].direction.z).abs() < scale);
        }
        let bad = SurrogateOptions { kernel: RangeKernel::Normalized, ..opts };
        assert!(spatial_power_surrogate(&echoes, &bins, &dirs, &bad).is_err());
    }

    #[test]
    fn power_surrogate_jvp_matches_finite_differences_and_the_vjp() {
        let opts = SurrogateOptions { sigma_m: 0.04, kernel: RangeKernel::Gaussian, aperture_radius_m: 0.008, wavelength: 0.0039, random_phase_seed: None };
        let center = DVec3::new(0.0, -0.1, 0.05);
        let points: Vec<DVec3> = (0..6).map(|i| DVec3::new(0.05 * i as f64 - 0.12, 1.0 + 0.02 * i as f64, 0.03 * (i % 3) as f64)).collect();
        let weights: Vec<f64> = (0..6).map(|i| 0.8 + 0.1 * i as f64).collect();
        let velocity: Vec<DVec3> = (0..6).map(|i| DVec3::new(0.3, -0.2 + 0.1 * i as f64, 0.5)).collect();
        let dweight: Vec<f64> = (0..6).map(|i| 0.2 - 0.07 * i as f64).collect();
        let echoes_at = |t: f64| -> Vec<SurrogateEcho> {
            points.iter().zip(&weights).zip(velocity.iter().zip(&dweight)).map(|((p, w), (v, dw))| SurrogateEcho::from_echo(&Echo { point: *p + *v * t, a: Complex::new(w + dw * t, 0.0), extra_path_m: 0.0 }, center)).collect()
        };
        let bins: Vec<f64> = (0..10).map(|k| 0.95 + 0.025 * k as f64).collect();
        let dirs: Vec<DVec3> = (0..7).map(|k| DVec3::new(0.05 * k as f64 - 0.15, 1.0, 0.02).normalize()).collect();
        let echoes = echoes_at(0.0);
        // ṗ = 2 w ẇ for a real weight
        let tangents: Vec<EchoTangent> = points.iter().zip(&weights).zip(velocity.iter().zip(&dweight)).map(|((p, w), (v, dw))| EchoTangent::from_point(*p, center, *v, 2.0 * w * dw)).collect();
        let jvp = spatial_power_surrogate_jvp(&echoes, &tangents, &bins, &dirs, &opts).unwrap();
        let h = 1e-6;
        let (sp, sm) = (spatial_power_surrogate(&echoes_at(h), &bins, &dirs, &opts).unwrap(), spatial_power_surrogate(&echoes_at(-h), &bins, &dirs, &opts).unwrap());
        let peak = jvp.data.iter().map(|x| x.abs()).fold(0.0, f64::max);
        assert!(peak > 0.0);
        for ((j, a), b) in jvp.data.iter().zip(&sp.data).zip(&sm.data) {
            let fd = (a - b) / (2.0 * h);
            assert!((j - fd).abs() < 1e-5 * peak, "{j} vs {fd}");
        }
        // ⟨c, J t⟩ = ⟨Jᵀ c, t⟩ with the VJP
        let c = Spectrum { dims: jvp.dims, data: (0..jvp.data.len()).map(|i| ((i * 5) % 9) as f64 / 9.0 - 0.4).collect() };
        let g = spatial_power_surrogate_vjp(&echoes, &bins, &dirs, &opts, &c).unwrap();
        let lhs: f64 = c.data.iter().zip(&jvp.data).map(|(a, b)| a * b).sum();
        let rhs: f64 = g.iter().zip(&tangents).zip(&echoes).map(|((g, t), e)| g.range * t.range + g.direction.dot(t.direction) + g.weight.re * t.power / (2.0 * e.weight.re)).sum();
        assert!((lhs - rhs).abs() < 1e-9 * lhs.abs().max(1.0), "{lhs} vs {rhs}");
        // a probe (zero weight) adds ṗ K²
        let probe = [SurrogateEcho { weight: Complex::new(0.0, 0.0), ..echoes[0] }];
        let t = [EchoTangent { power: 3.0, ..Default::default() }];
        let a = spatial_power_surrogate_jvp(&probe, &t, &bins, &dirs, &opts).unwrap();
        let b = spatial_power_surrogate(&[SurrogateEcho { weight: Complex::new(3f64.sqrt(), 0.0), ..echoes[0] }], &bins, &dirs, &opts).unwrap();
        assert!(a.data.iter().zip(&b.data).all(|(x, y)| (x - y).abs() < 1e-12 * peak.max(1.0)));
        assert!(spatial_power_surrogate_jvp(&echoes, &tangents[1..], &bins, &dirs, &opts).is_err());
    }
}
