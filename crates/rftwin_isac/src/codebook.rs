//! RIS codebooks: the `T × M` matrix `W` whose row `t` is the RIS configuration applied
//! during pilot `t` (paper 001 §§III–IV; spec `ft_wavenumber_imaging.md` §3).

use crate::error::{invalid, IsacError, Result};
use crate::fft::dft;
use crate::geometry::{block_index, Ris};
use glam::DVec3;
use nalgebra::DMatrix;
use rayon::prelude::*;
use rftwin_core::Complex;
use std::f64::consts::PI;

/// Which configurations the rows of a codebook are.
#[derive(Debug, Clone, PartialEq)]
pub enum CodebookKind {
    /// The first `T` rows of the `M`-point DFT, `[F_M]_{t,m} = e^{−j2π t m / M}`.
    Dft,
    /// The Sylvester–Hadamard matrix (`M` a power of two): orthogonal with ±1 entries, so
    /// exactly invertible with 1-bit phases.
    Hadamard,
    /// Block-controlled RIS: `Q_y × Q_z` blocks share row `t` of the `M_b`-point DFT;
    /// element `m` adds the in-block phase `φ_m = k_c (d_m − d̄_{b(m)})` that cancels its
    /// path-length difference to the AP (footnote 6 of paper 001).
    Block {
        /// Block size `[Q_y, Q_z]`.
        q: [usize; 2],
        /// `φ_m` per element \[rad\].
        compensation: Vec<f64>,
    },
}

/// A codebook over an `M_y × M_z` RIS, optionally with `b`-bit phase quantisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Codebook {
    /// The rows.
    pub kind: CodebookKind,
    /// `[M_y, M_z]` of the RIS it drives.
    pub elements: [usize; 2],
    /// Pilots `T` (rows).
    pub pilots: usize,
    /// `Some(b)`: every phase rounded to the nearest of `{2π q / 2^b}`.
    pub bits: Option<u32>,
}

impl Codebook {
    /// The first `pilots` rows of the DFT over the RIS's `M` elements.
    pub fn dft(ris: &Ris, pilots: usize) -> Result<Self> {
        let m = ris.count();
        if pilots == 0 || pilots > m {
            return Err(invalid("pilots", format!("{pilots} pilots for a {m}-element RIS: need 1 ≤ T ≤ M")));
        }
        Ok(Codebook { kind: CodebookKind::Dft, elements: ris.elements, pilots, bits: None })
    }

    /// The `M × M` Sylvester–Hadamard codebook (`M` a power of two).
    pub fn hadamard(ris: &Ris) -> Result<Self> {
        let m = ris.count();
        if !m.is_power_of_two() {
            return Err(invalid("codebook", format!("a Hadamard codebook needs a power-of-two element count, not {m}")));
        }
        Ok(Codebook { kind: CodebookKind::Hadamard, elements: ris.elements, pilots: m, bits: None })
    }

    /// The block codebook with all `M_b = M / Q` rows, compensated towards the AP antenna
    /// `ap` at the centre wavenumber `k_c` (RIS phases are frequency-flat).
    pub fn block(ris: &Ris, q: [usize; 2], ap: DVec3, k_c: f64) -> Result<Self> {
        let blocks = ris.blocks(q)?;
        let compensation = (0..ris.count())
            .map(|m| k_c * (ris.element_position(m).distance(ap) - blocks.element_position(ris.block_of(m, q)).distance(ap)))
            .collect();
        Ok(Codebook { kind: CodebookKind::Block { q, compensation }, elements: ris.elements, pilots: blocks.count(), bits: None })
    }

    /// The same codebook with `bits`-bit phases (1 or 2).
    pub fn quantized(mut self, bits: u32) -> Result<Self> {
        if !(1..=8).contains(&bits) {
            return Err(invalid("bits", format!("{bits}: phase quantisation takes 1 to 8 bits")));
        }
        self.bits = Some(bits);
        Ok(self)
    }

    /// Elements `M`.
    pub fn element_count(&self) -> usize {
        self.elements[0] * self.elements[1]
    }

    /// `W[t, m]`.
    pub fn entry(&self, t: usize, m: usize) -> Complex {
        let big_m = self.element_count();
        let phase_fraction = match &self.kind {
            // −2π (t m mod M)/M as a fraction of a turn in [0, 1), exact from integers
            CodebookKind::Dft => return self.quantize_turn(((big_m - (t * m) % big_m) % big_m) as u128, big_m as u128),
            CodebookKind::Hadamard => return Complex::new(if (t & m).count_ones().is_multiple_of(2) { 1.0 } else { -1.0 }, 0.0),
            CodebookKind::Block { q, compensation } => {
                let mb = big_m / (q[0] * q[1]);
                let b = block_index(self.elements, m, *q);
                let dft_turns = ((mb - (t * b) % mb) % mb) as f64 / mb as f64;
                dft_turns + compensation[m] / (2.0 * PI)
            }
        };
        quantized_phasor(phase_fraction, self.bits)
    }

    /// `e^{j2π n/d}` rounded to the codebook's bits, ties rounded up, from integers.
    fn quantize_turn(&self, n: u128, d: u128) -> Complex {
        match self.bits {
            None => Complex::from_polar(1.0, 2.0 * PI * n as f64 / d as f64),
            Some(bits) => {
                let levels = 1u128 << bits;
                let q = ((2 * n * levels + d) / (2 * d)) % levels;
                Complex::from_polar(1.0, 2.0 * PI * q as f64 / levels as f64)
            }
        }
    }

    /// `W x` (`T` values) for `x` over the `M` elements: by FFT for unquantised DFT and
    /// block codebooks, by the fast Walsh–Hadamard transform, else row by row.
    pub fn apply(&self, x: &[Complex]) -> Vec<Complex> {
        debug_assert_eq!(x.len(), self.element_count());
        match (&self.kind, self.bits) {
            (CodebookKind::Dft, None) => dft(x, false)[..self.pilots].to_vec(),
            (CodebookKind::Hadamard, _) => walsh_hadamard(x),
            (CodebookKind::Block { q, compensation }, None) => {
                let mut z = vec![Complex::new(0.0, 0.0); self.pilots];
                for (m, (&xm, &phi)) in x.iter().zip(compensation).enumerate() {
                    z[block_index(self.elements, m, *q)] += xm * Complex::from_polar(1.0, phi);
                }
                dft(&z, false)
            }
            _ => (0..self.pilots).into_par_iter().map(|t| x.iter().enumerate().map(|(m, &xm)| self.entry(t, m) * xm).sum()).collect(),
        }
    }

    /// `W` as a dense matrix (`T × M`; meant for small `M`).
    pub fn matrix(&self) -> DMatrix<Complex> {
        DMatrix::from_fn(self.pilots, self.element_count(), |t, m| self.entry(t, m))
    }

    /// Numerical rank of `W` (singular values above `σ_max · max(T, M) · ε`).
    pub fn rank(&self) -> usize {
        let s = self.matrix().singular_values();
        let tol = s.max() * self.pilots.max(self.element_count()) as f64 * f64::EPSILON;
        s.iter().filter(|&&v| v > tol).count()
    }

    /// An error unless `W` is square and of full rank.
    pub fn check_invertible(&self) -> Result<()> {
        let m = self.element_count();
        if self.pilots != m {
            return Err(invalid("codebook", format!("{} pilots for {m} elements: matrix inversion needs T = M", self.pilots)));
        }
        let rank = self.rank();
        if rank < m {
            let bits = self.bits.map_or("continuous".to_string(), |b| format!("{b}-bit"));
            return Err(IsacError::RankDeficient { what: format!("{bits} {:?} codebook", self.kind_name()), rank, size: m, advice: "; exact ECR recovery needs full rank: use a Hadamard codebook for 1-bit phases" });
        }
        Ok(())
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            CodebookKind::Dft => "DFT",
            CodebookKind::Hadamard => "Hadamard",
            CodebookKind::Block { .. } => "block",
        }
    }
}

/// The one phase quantiser of every RIS configuration (defined with the RIS scene
/// objects in `rftwin_core::ris`).
pub use rftwin_core::ris::quantized_phasor;

/// Unnormalised fast Walsh–Hadamard transform (Sylvester order: `H[t, m] = (−1)^{popcount(t & m)}`).
pub fn walsh_hadamard(x: &[Complex]) -> Vec<Complex> {
    let mut y = x.to_vec();
    let mut h = 1;
    while h < y.len() {
        for start in (0..y.len()).step_by(2 * h) {
            for i in start..start + h {
                let (a, b) = (y[i], y[i + h]);
                y[i] = a + b;
                y[i + h] = a - b;
            }
        }
        h *= 2;
    }
    y
}
