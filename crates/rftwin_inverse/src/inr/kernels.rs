//! The network's forward and backward passes written out (the "hand-written kernel"
//! path): multithreaded matrixmultiply GEMMs through nalgebra views and rayon for the
//! element-wise sines (vectorised, `super::trig`), with no gradient for the constant
//! input and the cosines kept from the forward pass. dfdx's tape computes the same gradient
//! ([`super::Network::forward_backward`], the reference a test compares against) but
//! single-threads the element-wise operations and differentiates the input too: this path
//! is about 1.5× faster at the paper's size.
//!
//! Layout: an activation matrix is column-major `width × N` (one column per point); a
//! dfdx weight tensor `(in, out)` row-major is the column-major `out × in` matrix `Wᵀ`
//! with the same data, so the weight gradient's data is the flat gradient as is.

use super::network::{Activation, Network};
use crate::error::{InverseError, Result};
use dfdx::prelude::HasShape;
use nalgebra::{DMatrix, Dyn, MatrixView};
use rayon::prelude::*;

/// `Wᵀ` (out × in) of layer `l` and its bias.
fn layer(net: &Network, l: usize) -> (DMatrix<f32>, Vec<f32>) {
    let (fan_in, fan_out) = (net.weights[l].shape().0, net.weights[l].shape().1);
    (DMatrix::from_vec(fan_out, fan_in, net.weights[l].as_vec()), net.biases[l].as_vec())
}

/// The transposed view of a column-major matrix (no copy).
fn transposed(m: &DMatrix<f32>) -> MatrixView<'_, f32, Dyn, Dyn, Dyn, Dyn> {
    MatrixView::from_slice_with_strides_generic(m.as_slice(), Dyn(m.ncols()), Dyn(m.nrows()), Dyn(m.nrows()), Dyn(1))
}

/// `Σ_j m[:, j]`: the sum of a column-major matrix's columns (the bias gradient), read in
/// memory order (a row iterator strides across the whole matrix).
fn column_sum(m: &DMatrix<f32>) -> Vec<f32> {
    let rows = m.nrows();
    if rows == 0 {
        return Vec::new();
    }
    m.as_slice()
        .par_chunks(64 * rows)
        .map(|block| {
            let mut sum = vec![0.0f32; rows];
            for column in block.chunks(rows) {
                sum.iter_mut().zip(column).for_each(|(s, v)| *s += v);
            }
            sum
        })
        .reduce(|| vec![0.0f32; rows], |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
            a
        })
}

/// The encoded points as the first activation (`2N_pe × N`, column-major).
pub fn input_matrix(net: &Network, encoded: &super::network::Matrix) -> DMatrix<f32> {
    let (n, width) = (encoded.shape().0, encoded.shape().1);
    let _ = net;
    DMatrix::from_vec(width, n, encoded.as_vec())
}

/// The activation, derivative and back-propagation buffers of [`forward_backward_in`],
/// kept between epochs: a fresh `width × N` matrix per layer and epoch costs page faults
/// and zeroing comparable to the element-wise work itself.
#[derive(Debug, Default)]
pub struct Workspace {
    /// `activations[l]`: layer `l`'s output (the input of layer `l + 1`).
    activations: Vec<DMatrix<f32>>,
    /// `derivatives[l]`: `∂a/∂z` of layer `l`'s output.
    derivatives: Vec<DMatrix<f32>>,
    /// `∂/∂z` of the layer being differentiated, and the one below it.
    dz: DMatrix<f32>,
    da: DMatrix<f32>,
}

/// `m` resized to `rows × cols` (its contents are overwritten by the caller; resizing keeps
/// the allocation when the size does not change).
fn shaped(m: &mut DMatrix<f32>, rows: usize, cols: usize) {
    if m.shape() != (rows, cols) {
        *m = DMatrix::zeros(rows, cols);
    }
}

/// `σ̂` and the gradient of `Σ g_m σ̂_m` with respect to every parameter (in
/// [`Network::parameters`]' order), with the seconds of the forward pass, the upstream
/// callback and the backward pass.
pub fn forward_backward(net: &Network, input: &DMatrix<f32>, upstream: impl FnOnce(&[f32]) -> Result<Vec<f32>>) -> Result<(Vec<f32>, Vec<f32>, [f64; 3])> {
    forward_backward_in(&mut Workspace::default(), net, input, upstream)
}

/// [`forward_backward`] in the buffers of `ws` (the training loop keeps one across epochs).
pub fn forward_backward_in(ws: &mut Workspace, net: &Network, input: &DMatrix<f32>, upstream: impl FnOnce(&[f32]) -> Result<Vec<f32>>) -> Result<(Vec<f32>, Vec<f32>, [f64; 3])> {
    let clock = std::time::Instant::now();
    let n = input.ncols();
    let layers: Vec<(DMatrix<f32>, Vec<f32>)> = (0..net.weights.len()).map(|l| layer(net, l)).collect();
    let last = layers.len() - 1;
    let kappa = net.options.kappa as f32;
    let relu = net.options.activation == Activation::Relu;
    ws.activations.resize_with(last, DMatrix::default);
    ws.derivatives.resize_with(last, DMatrix::default);
    let mut out = Vec::new();
    for (l, (wt, b)) in layers.iter().enumerate() {
        let rows = wt.nrows();
        let (below, here) = ws.activations.split_at_mut(l.min(last));
        let a = below.last().unwrap_or(input);
        if l == last {
            let mut z = DMatrix::<f32>::zeros(rows, n);
            z.gemm(1.0, wt, a, 0.0);
            out = z.iter().zip(b.iter().cycle()).map(|(v, bias)| 1.0 / (1.0 + (-(v + bias)).exp())).collect();
            break;
        }
        let z = &mut here[0];
        shaped(z, rows, n);
        // β = 0: the old contents are not read
        z.gemm(1.0, wt, a, 0.0);
        let d = &mut ws.derivatives[l];
        shaped(d, rows, n);
        // blocks of 64 columns per task
        z.as_mut_slice().par_chunks_mut(64 * rows).zip(d.as_mut_slice().par_chunks_mut(64 * rows)).for_each(|(zc, dc)| {
            if relu {
                for (zc, dc) in zc.chunks_mut(rows).zip(dc.chunks_mut(rows)) {
                    for ((v, dv), bias) in zc.iter_mut().zip(dc.iter_mut()).zip(b) {
                        let u = *v + bias;
                        *dv = if u > 0.0 { 1.0 } else { 0.0 };
                        *v = u.max(0.0);
                    }
                }
            } else {
                super::trig::sine_layer(zc, dc, b, kappa);
            }
        });
    }
    let forward_s = clock.elapsed().as_secs_f64();
    let g = upstream(&out)?;
    if g.len() != n {
        return Err(InverseError::invalid("upstream gradient", format!("{} values for {n} outputs", g.len())));
    }
    let upstream_s = clock.elapsed().as_secs_f64() - forward_s;
    // ∂/∂z of the output layer: g σ(1 − σ)
    shaped(&mut ws.dz, 1, n);
    ws.dz.iter_mut().zip(g.iter().zip(&out)).for_each(|(dz, (g, s))| *dz = g * s * (1.0 - s));
    let mut weight_grads: Vec<Vec<f32>> = vec![Vec::new(); layers.len()];
    let mut bias_grads: Vec<Vec<f32>> = vec![Vec::new(); layers.len()];
    for l in (0..layers.len()).rev() {
        let a = if l == 0 { input } else { &ws.activations[l - 1] };
        let mut dw = DMatrix::<f32>::zeros(ws.dz.nrows(), a.nrows());
        dw.gemm(1.0, &ws.dz, &transposed(a), 0.0);
        weight_grads[l] = dw.as_slice().to_vec();
        bias_grads[l] = column_sum(&ws.dz);
        if l > 0 {
            shaped(&mut ws.da, a.nrows(), n);
            ws.da.gemm(1.0, &transposed(&layers[l].0), &ws.dz, 0.0);
            let d = &ws.derivatives[l - 1];
            ws.da.as_mut_slice().par_chunks_mut(4096).zip(d.as_slice().par_chunks(4096)).for_each(|(x, dv)| x.iter_mut().zip(dv).for_each(|(x, dv)| *x *= dv));
            std::mem::swap(&mut ws.dz, &mut ws.da);
        }
    }
    let mut flat: Vec<f32> = weight_grads.into_iter().flatten().collect();
    flat.extend(bias_grads.into_iter().flatten());
    let backward_s = clock.elapsed().as_secs_f64() - forward_s - upstream_s;
    Ok((out, flat, [forward_s, upstream_s, backward_s]))
}
