//! The channel as a function of a RIS profile: the affine form `H = c + Σ Γ_m B_m` and
//! the reverse-mode phase gradient (CPU and GPU).

use crate::error::{Result, TraceError};
use rftwin_core::paths::{RisPath, RisTerm};
use rftwin_core::{Complex, Paths};

/// The CFR at `frequency_hz` as an affine function of RIS `ris`'s coefficients:
/// `H(f) = c + Σ_m Γ_m B_m`, with `c` everything else (ordinary paths, other RIS, model
/// (b) terms) and `B_m = Σ b e^{−j2π f τ}` over the element's terms. Optimising a
/// profile over many receivers needs only these `M + 1` numbers per receiver. Paths
/// through `ris` twice make `H` quadratic in its profile: an error.
pub fn element_responses(paths: &Paths, ris: usize, frequency_hz: f64) -> Result<(Complex, Vec<Complex>)> {
    let mut c: Complex = paths.tau.iter().zip(&paths.a).map(|(&t, &a)| a * rftwin_core::paths::propagation_phasor(frequency_hz, t)).sum();
    for p in paths.ris_paths.iter().filter(|p| !p.meets(ris)) {
        c += paths.ris_response(p, frequency_hz);
    }
    let (b, surface) = element_sums(paths, ris, frequency_hz, |_| true)?;
    Ok((c + surface, b))
}

/// `B_m = Σ b e^{−j2π f τ}` over the element terms of the families of RIS `ris` that
/// `keep` accepts, and the sum of their model (b) terms (whose coefficient includes the
/// profile). A family through two RIS interactions that meets `ris` is not affine in its
/// profile: an error naming it.
pub fn element_sums(paths: &Paths, ris: usize, frequency_hz: f64, keep: impl Fn(&RisPath) -> bool) -> Result<(Vec<Complex>, Complex)> {
    let gamma = ris_gamma(paths, ris)?;
    let mut b = vec![Complex::new(0.0, 0.0); gamma.len()];
    let mut surface = Complex::new(0.0, 0.0);
    for p in paths.ris_paths.iter().filter(|p| p.meets(ris) && keep(p)) {
        if let Some(second) = &p.second {
            return Err(TraceError::InvalidInput {
                name: "paths",
                message: format!("a family through RIS {} and RIS {} makes the channel a product of two profiles, not affine in RIS {ris}'s; use the CFR and paths::ris::phase_vjp, or solve with max_ris_interactions = 1", p.ris, second.ris),
            });
        }
        for t in &p.terms {
            let y = t.b * rftwin_core::paths::propagation_phasor(frequency_hz, t.tau);
            if t.element == RisTerm::SURFACE {
                surface += y;
            } else {
                b[t.element as usize] += y;
            }
        }
    }
    Ok((b, surface))
}

/// `Γ` of RIS `ris`, or an error naming how many RIS the paths know.
fn ris_gamma(paths: &Paths, ris: usize) -> Result<&[Complex]> {
    paths.ris_gamma.get(ris).map(Vec::as_slice).ok_or_else(|| TraceError::InvalidInput { name: "ris", message: format!("index {ris}: the paths know {} RIS", paths.ris_gamma.len()) })
}

/// One element's share of a RIS term in a phase VJP: `∂(Γ_m c)/∂φ_m = j Γ_m c`, with
/// `c = b` for one RIS interaction and `c = b Γ_n` (the other interaction's
/// coefficient) for two; a term through the same RIS twice gives one share per element.
struct ElementShare {
    element: usize,
    /// `c`: the term's coefficient without `Γ_m` (and without the propagation phase).
    c: Complex,
    tau: f64,
}

/// The checks every phase VJP makes: `Γ` of RIS `ris`, one cotangent per frequency, and
/// element-sum families only; returns `Γ` and every element share of the RIS's terms.
fn vjp_shares<'p>(paths: &'p Paths, ris: usize, frequencies_hz: &[f64], cotangents: &[Complex]) -> Result<(&'p [Complex], Vec<ElementShare>)> {
    let gamma = ris_gamma(paths, ris)?;
    if frequencies_hz.len() != cotangents.len() {
        return Err(TraceError::InvalidInput { name: "cotangents", message: format!("{} cotangents for {} frequencies", cotangents.len(), frequencies_hz.len()) });
    }
    let families: Vec<&RisPath> = paths.ris_paths.iter().filter(|p| p.meets(ris)).collect();
    if let Some(p) = families.iter().find(|p| p.terms.iter().any(|t| t.element == RisTerm::SURFACE)) {
        return Err(TraceError::UnsupportedGradient {
            param: format!("phases of RIS {ris}"),
            output: format!("a RIS path through objects {:?} → {:?}", p.incoming, p.outgoing),
            reason: "the phase-gradient model (b) has no per-element profile; use the element-sum model".into(),
        });
    }
    let mut shares = Vec::new();
    for p in families {
        for t in &p.terms {
            match (&p.second, t.second_element) {
                (Some(second), Some(n)) => {
                    let (first_gamma, second_gamma) = (paths.ris_gamma[p.ris as usize][t.element as usize], paths.ris_gamma[second.ris as usize][n as usize]);
                    if p.ris as usize == ris {
                        shares.push(ElementShare { element: t.element as usize, c: t.b * second_gamma, tau: t.tau });
                    }
                    if second.ris as usize == ris {
                        shares.push(ElementShare { element: n as usize, c: t.b * first_gamma, tau: t.tau });
                    }
                }
                _ => shares.push(ElementShare { element: t.element as usize, c: t.b, tau: t.tau }),
            }
        }
    }
    Ok((gamma, shares))
}

/// Reverse mode of the CFR with respect to the phases of RIS `ris`: for a real loss
/// `L(H(f₁), …)` with cotangents `H̄_i = ∂L/∂Re H(f_i) + j ∂L/∂Im H(f_i)`, returns
/// `∂L/∂φ_m` for every element (`∂H/∂φ_m = j Γ_m Σ c e^{−j2π f τ}` over the element's
/// shares: `c = b`, or `b Γ_n` through a second RIS interaction). One pass over the
/// terms: the cost of one CFR evaluation.
pub fn phase_vjp(paths: &Paths, ris: usize, frequencies_hz: &[f64], cotangents: &[Complex]) -> Result<Vec<f64>> {
    let (gamma, shares) = vjp_shares(paths, ris, frequencies_hz, cotangents)?;
    let mut grad = vec![0.0; gamma.len()];
    let j = Complex::new(0.0, 1.0);
    for t in shares {
        let m = t.element;
        grad[m] += frequencies_hz.iter().zip(cotangents).map(|(&f, &c)| (c.conj() * j * gamma[m] * t.c * rftwin_core::paths::propagation_phasor(f, t.tau)).re).sum::<f64>();
    }
    Ok(grad)
}

/// [`phase_vjp`] on the backend `choice` resolves to: the GPU kernel `ris_phase_vjp`
/// (one work item per element share of a term, the host sums each element's shares) or the CPU.
/// The GPU path forms `c_f = conj(H̄_f) e^{−j2πfτ₀}` in f64 and sends `τ − τ₀`, so the
/// phases survive f32.
pub fn phase_vjp_on(choice: crate::backend::BackendChoice, paths: &Paths, ris: usize, frequencies_hz: &[f64], cotangents: &[Complex]) -> Result<Vec<f64>> {
    match crate::backend::resolve(choice)? {
        crate::backend::Backend::Cpu => phase_vjp(paths, ris, frequencies_hz, cotangents),
        #[cfg(feature = "gpu")]
        crate::backend::Backend::Gpu(ctx) => {
            let (gamma, shares) = vjp_shares(paths, ris, frequencies_hz, cotangents)?;
            let tau0 = shares.iter().map(|t| t.tau).fold(f64::INFINITY, f64::min);
            let packed: Vec<rftwin_gpu::field::RisTermGpu> = shares
                .iter()
                .map(|t| {
                    let g = gamma[t.element];
                    rftwin_gpu::field::RisTermGpu { b: [t.c.re as f32, t.c.im as f32], gamma: [g.re as f32, g.im as f32], dtau: (t.tau - tau0) as f32, pad: [0.0; 3] }
                })
                .collect();
            let weights: Vec<[f32; 4]> = frequencies_hz
                .iter()
                .zip(cotangents)
                .map(|(&f, c)| {
                    let w = c.conj() * rftwin_core::paths::propagation_phasor(f, tau0);
                    [w.re as f32, w.im as f32, f as f32, 0.0]
                })
                .collect();
            let per_term = rftwin_gpu::field::ris_phase_vjp(ctx, &packed, &weights)?;
            let mut grad = vec![0.0; gamma.len()];
            for (t, g) in shares.iter().zip(per_term) {
                grad[t.element] += g as f64;
            }
            Ok(grad)
        }
    }
}

