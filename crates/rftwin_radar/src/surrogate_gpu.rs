//! The surrogates of [`crate::surrogate`] and their VJPs on the GPU (the `surrogate`
//! kernels of `rftwin_gpu`). Same inputs, outputs and errors as the CPU functions; the
//! kernels run in f32 with ranges taken relative to the first bin, so results agree
//! with the CPU to single precision (tests/gpu_surrogate.rs).

use crate::error::{RadarError, Result};
use crate::spectrum::Spectrum;
use crate::surrogate::{phase_factors, EchoGradient, RangeKernel, SurrogateEcho, SurrogateOptions};
use glam::DVec3;
use rftwin_core::Complex;
use rftwin_gpu::surrogate::{GpuEchoGrad, GpuSurrogate, GpuSurrogateEcho, SurrogateParams};
use rftwin_gpu::GpuContext;
use std::f64::consts::PI;

struct Prepared {
    echoes: Vec<GpuSurrogateEcho>,
    bins: Vec<f32>,
    dirs: Vec<[f32; 3]>,
    params: SurrogateParams,
    phases: Vec<Complex>,
}

fn prepare(echoes: &[SurrogateEcho], bin_ranges: &[f64], directions: Option<&[DVec3]>, opts: &SurrogateOptions) -> Result<Prepared> {
    opts.validate()?;
    let origin = bin_ranges.first().copied().unwrap_or(0.0);
    let phases = match directions {
        Some(_) => phase_factors(echoes.len(), opts.random_phase_seed),
        None => vec![Complex::new(1.0, 0.0); echoes.len()],
    };
    let g: Vec<GpuSurrogateEcho> = echoes
        .iter()
        .zip(&phases)
        .map(|(e, p)| {
            let v = e.weight * p;
            GpuSurrogateEcho { direction: e.direction.as_vec3().into(), range: (e.range - origin) as f32, weight: [v.re as f32, v.im as f32], pad: [0.0; 2] }
        })
        .collect();
    let dirs: Vec<[f32; 3]> = match directions {
        Some(d) => d.iter().map(|u| u.as_vec3().into()).collect(),
        None => vec![[0.0, 0.0, 1.0]],
    };
    let params = SurrogateParams {
        n_echoes: g.len() as u32,
        n_bins: bin_ranges.len() as u32,
        n_dirs: dirs.len() as u32,
        normalized: (opts.kernel == RangeKernel::Normalized) as u32,
        sigma: opts.sigma_m as f32,
        kr: (2.0 * PI / opts.wavelength * opts.aperture_radius_m) as f32,
        airy: directions.is_some() as u32,
        pad: 0,
    };
    if echoes.len() > u32::MAX as usize || bin_ranges.len() * dirs.len() > u32::MAX as usize {
        return Err(RadarError::Shape("more than 2³² echoes or cells for the GPU surrogate".into()));
    }
    Ok(Prepared { echoes: g, bins: bin_ranges.iter().map(|b| (b - origin) as f32).collect(), dirs, params, phases })
}

fn gradients(p: &Prepared, raw: &[GpuEchoGrad], phased: bool) -> Vec<EchoGradient> {
    raw.iter()
        .zip(&p.phases)
        .map(|(g, ph)| {
            let w = Complex::new(g.weight[0] as f64, g.weight[1] as f64);
            EchoGradient {
                range: g.range as f64,
                direction: DVec3::new(g.direction[0] as f64, g.direction[1] as f64, g.direction[2] as f64),
                // v = w e^{jρ}: ∂L/∂w = ∂L/∂v · e^{−jρ}
                weight: if phased { w * ph.conj() } else { w },
            }
        })
        .collect()
}

/// [`crate::surrogate::range_surrogate`] on the GPU.
pub fn range_surrogate_gpu(ctx: &GpuContext, echoes: &[SurrogateEcho], bin_ranges: &[f64], opts: &SurrogateOptions) -> Result<Vec<Complex>> {
    let p = prepare(echoes, bin_ranges, None, opts)?;
    let z = GpuSurrogate::new(ctx)?.field(ctx, &p.echoes, &p.bins, &p.dirs, &p.params)?;
    Ok(z.iter().map(|c| Complex::new(c[0] as f64, c[1] as f64)).collect())
}

/// [`crate::surrogate::range_surrogate_vjp`] on the GPU.
pub fn range_surrogate_vjp_gpu(ctx: &GpuContext, echoes: &[SurrogateEcho], bin_ranges: &[f64], opts: &SurrogateOptions, grad: &[Complex]) -> Result<Vec<EchoGradient>> {
    if grad.len() != bin_ranges.len() {
        return Err(RadarError::Shape(format!("{} gradients for {} bins", grad.len(), bin_ranges.len())));
    }
    let p = prepare(echoes, bin_ranges, None, opts)?;
    let gz: Vec<[f32; 2]> = grad.iter().map(|g| [g.re as f32, g.im as f32]).collect();
    let raw = GpuSurrogate::new(ctx)?.vjp(ctx, &p.echoes, &p.bins, &p.dirs, &p.params, &gz)?;
    Ok(gradients(&p, &raw, false))
}

/// [`crate::surrogate::spatial_surrogate`] on the GPU.
pub fn spatial_surrogate_gpu(ctx: &GpuContext, echoes: &[SurrogateEcho], bin_ranges: &[f64], directions: &[DVec3], opts: &SurrogateOptions) -> Result<Spectrum> {
    let p = prepare(echoes, bin_ranges, Some(directions), opts)?;
    let z = GpuSurrogate::new(ctx)?.field(ctx, &p.echoes, &p.bins, &p.dirs, &p.params)?;
    let mut spec = Spectrum::zeros([bin_ranges.len(), directions.len(), 1]);
    for (s, c) in spec.data.iter_mut().zip(&z) {
        *s = (c[0] as f64).powi(2) + (c[1] as f64).powi(2);
    }
    Ok(spec)
}

/// [`crate::surrogate::spatial_surrogate_vjp`] on the GPU: `grad` holds `∂L/∂S`.
pub fn spatial_surrogate_vjp_gpu(ctx: &GpuContext, echoes: &[SurrogateEcho], bin_ranges: &[f64], directions: &[DVec3], opts: &SurrogateOptions, grad: &Spectrum) -> Result<Vec<EchoGradient>> {
    let nd = directions.len();
    if grad.dims != [bin_ranges.len(), nd, 1] {
        return Err(RadarError::Shape(format!("gradient dims {:?}, spectrum dims {:?}", grad.dims, [bin_ranges.len(), nd, 1])));
    }
    let p = prepare(echoes, bin_ranges, Some(directions), opts)?;
    let gpu = GpuSurrogate::new(ctx)?;
    let z = gpu.field(ctx, &p.echoes, &p.bins, &p.dirs, &p.params)?;
    // S = |z|²: ∂L/∂z = 2 (∂L/∂S) z
    let gz: Vec<[f32; 2]> = z.iter().zip(&grad.data).map(|(c, q)| [(2.0 * q) as f32 * c[0], (2.0 * q) as f32 * c[1]]).collect();
    let raw = gpu.vjp(ctx, &p.echoes, &p.bins, &p.dirs, &p.params, &gz)?;
    Ok(gradients(&p, &raw, true))
}
