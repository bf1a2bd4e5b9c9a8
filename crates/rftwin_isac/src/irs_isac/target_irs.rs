//! C: an IRS mounted on the target (spec §C). The echo amplitude toward direction `u_o`
//! under illumination from `u_i` is `e(u_o) = √σ_b e^{jφ_b} + √σ_e Σ_m v_m e^{jκ(u_i + u_o)·δ_m}`
//! (bare body of RCS σ_b, cells of RCS σ_e = 4πA²/λ²); `|e|²` is the effective RCS.

use glam::DVec3;
use nalgebra::DVector;
use rftwin_core::Complex;

/// A planar target-mounted IRS: cell offsets and RCSs.
#[derive(Debug, Clone)]
pub struct TargetIrs {
    /// Cell offsets from the IRS centre \[m\].
    pub offsets: Vec<DVec3>,
    /// Wavenumber κ \[rad/m\].
    pub k: f64,
    /// Bare-body RCS σ_b \[m²\] (its phase φ_b is taken as 0 in every direction).
    pub body_rcs: f64,
    /// Cell RCS σ_e \[m²\].
    pub cell_rcs: f64,
}

impl TargetIrs {
    /// `rows × cols` cells of `spacing` in the y–z plane (normal +x), each a flat plate of
    /// area `spacing²`: `σ_e = 4π spacing⁴/λ²`.
    pub fn planar(rows: usize, cols: usize, spacing: f64, wavelength: f64, body_rcs: f64) -> Self {
        let offsets = (0..rows * cols)
            .map(|m| DVec3::new(0.0, ((m / cols) as f64 - (rows as f64 - 1.0) / 2.0) * spacing, ((m % cols) as f64 - (cols as f64 - 1.0) / 2.0) * spacing))
            .collect();
        let area = spacing * spacing;
        TargetIrs { offsets, k: std::f64::consts::TAU / wavelength, body_rcs, cell_rcs: 4.0 * std::f64::consts::PI * area * area / (wavelength * wavelength) }
    }

    /// Cell coefficients `c_m = √σ_e e^{jκ(u_i + u_o)·δ_m}`.
    pub fn coefficients(&self, u_i: DVec3, u_o: DVec3) -> DVector<Complex> {
        DVector::from_iterator(self.offsets.len(), self.offsets.iter().map(|d| Complex::from_polar(self.cell_rcs.sqrt(), self.k * (u_i + u_o).dot(*d))))
    }

    /// `e(u_o)` for configuration `v`.
    pub fn echo(&self, v: &DVector<Complex>, u_i: DVec3, u_o: DVec3) -> Complex {
        Complex::new(self.body_rcs.sqrt(), 0.0) + self.coefficients(u_i, u_o).dot(v)
    }

    /// Monostatic focusing toward `u`: `v_m = e^{j(φ_b − 2κu·δ_m)}`, giving
    /// `|e|² = (√σ_b + M√σ_e)²`.
    pub fn focus(&self, u: DVec3) -> DVector<Complex> {
        DVector::from_iterator(self.offsets.len(), self.offsets.iter().map(|d| Complex::from_polar(1.0, -2.0 * self.k * u.dot(*d))))
    }

    /// Secure sensing: maximise `|e(u_l)|² − λ_p|e(u_e)|²` (monostatic legitimate radar at
    /// `u_l`, eavesdropper at `u_e`) by element-wise coordinate ascent from the focusing
    /// phases; each update `v_m = exp(−j∠(conj(e_L^{∖m}) c_{L,m} − λ_p conj(e_E^{∖m}) c_{E,m}))`
    /// is the exact maximiser over element m.
    pub fn secure(&self, u_l: DVec3, u_e: DVec3, penalty: f64, sweeps: usize) -> DVector<Complex> {
        let mut v = self.focus(u_l);
        let c_l = self.coefficients(u_l, u_l);
        let c_e = self.coefficients(u_l, u_e);
        let mut e_l = self.echo(&v, u_l, u_l);
        let mut e_e = self.echo(&v, u_l, u_e);
        for _ in 0..sweeps {
            for m in 0..v.len() {
                let rest_l = e_l - c_l[m] * v[m];
                let rest_e = e_e - c_e[m] * v[m];
                let g = rest_l.conj() * c_l[m] - rest_e.conj() * c_e[m] * penalty;
                let new = if g.norm() > 0.0 { Complex::from_polar(1.0, -g.arg()) } else { v[m] };
                e_l = rest_l + c_l[m] * new;
                e_e = rest_e + c_e[m] * new;
                v[m] = new;
            }
        }
        v
    }
}
