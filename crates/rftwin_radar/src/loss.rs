//! Multi-scale MSE over spectra (InverTwin §4.2) and its gradient.
//!
//! `L = Σ_{s=0}^{S−1} mean((P_s(X) − P_s(Y))²)` where `P_s` average-pools by `2^s`
//! along every axis of length > 1 (trailing cells that do not fill a block are dropped).

use crate::error::{RadarError, Result};
use crate::spectrum::Spectrum;

fn pooled_dims(dims: [usize; 3], f: usize) -> [usize; 3] {
    dims.map(|d| if d > 1 { d / f } else { d })
}

fn pool(x: &Spectrum, f: usize) -> Spectrum {
    let pd = pooled_dims(x.dims, f);
    let fs = x.dims.map(|d| if d > 1 { f } else { 1 });
    let mut out = Spectrum::zeros(pd);
    let norm = (fs[0] * fs[1] * fs[2]) as f64;
    for r in 0..pd[0] {
        for a in 0..pd[1] {
            for e in 0..pd[2] {
                let mut s = 0.0;
                for dr in 0..fs[0] {
                    for da in 0..fs[1] {
                        for de in 0..fs[2] {
                            s += x.at(r * fs[0] + dr, a * fs[1] + da, e * fs[2] + de);
                        }
                    }
                }
                out.data[(r * pd[1] + a) * pd[2] + e] = s / norm;
            }
        }
    }
    out
}

/// Multi-scale MSE of `x` against `y` with `scales` levels, and `∂L/∂x`.
pub fn multiscale_mse(x: &Spectrum, y: &Spectrum, scales: usize) -> Result<(f64, Spectrum)> {
    if x.dims != y.dims {
        return Err(RadarError::Shape(format!("spectra dims {:?} and {:?}", x.dims, y.dims)));
    }
    let n: usize = x.dims.iter().product();
    if x.data.len() != n || y.data.len() != n {
        return Err(RadarError::Shape(format!("spectra of dims {:?} need {n} values, got {} and {}", x.dims, x.data.len(), y.data.len())));
    }
    let mut loss = 0.0;
    let mut grad = Spectrum::zeros(x.dims);
    for s in 0..scales.max(1) {
        let f = 1usize << s;
        let pd = pooled_dims(x.dims, f);
        if pd.contains(&0) {
            break;
        }
        let (px, py) = (pool(x, f), pool(y, f));
        let n = px.data.len() as f64;
        let fs = x.dims.map(|d| if d > 1 { f } else { 1 });
        let norm = (fs[0] * fs[1] * fs[2]) as f64;
        for r in 0..pd[0] {
            for a in 0..pd[1] {
                for e in 0..pd[2] {
                    let i = (r * pd[1] + a) * pd[2] + e;
                    let diff = px.data[i] - py.data[i];
                    loss += diff * diff / n;
                    let g = 2.0 * diff / n / norm;
                    for dr in 0..fs[0] {
                        for da in 0..fs[1] {
                            for de in 0..fs[2] {
                                let j = ((r * fs[0] + dr) * x.dims[1] + a * fs[1] + da) * x.dims[2] + e * fs[2] + de;
                                grad.data[j] += g;
                            }
                        }
                    }
                }
            }
        }
    }
    Ok((loss, grad))
}
