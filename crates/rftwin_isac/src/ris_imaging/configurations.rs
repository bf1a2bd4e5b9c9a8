//! The RIS configurations `Ω` (`K × N_s`, `|ω| = 1`) of the `K` measurements (spec §2.4).

use super::{RisImagingConfig, RisMode};
use crate::codebook::{quantized_phasor, Codebook};
use crate::error::Result;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use rftwin_core::Complex;

/// `Ω[k][n]`, or `None` for [`RisMode::None`]. Random phases `e^{−j2πu}`, `u ~ U[0, 1)`
/// seeded by `config.seed`; DFT rows `t_k = ⌊k N_s / K⌋`, `ω_{k,n} = e^{−j2π (t_k n mod N_s)/N_s}`
/// (phases from integers). Quantised to `config.phase_bits` by the one quantiser
/// ([`quantized_phasor`]).
pub fn ris_configurations(config: &RisImagingConfig) -> Result<Option<Vec<Vec<Complex>>>> {
    config.validate()?;
    let (k, n) = (config.configurations, config.ris.count());
    match config.ris_mode {
        RisMode::None => Ok(None),
        RisMode::Random => {
            let mut rng = Pcg64::seed_from_u64(config.seed);
            Ok(Some((0..k).map(|_| (0..n).map(|_| quantized_phasor(-rng.gen::<f64>(), config.phase_bits)).collect()).collect()))
        }
        RisMode::Dft => {
            let mut codebook = Codebook::dft(&config.ris, n)?;
            if let Some(bits) = config.phase_bits {
                codebook = codebook.quantized(bits)?;
            }
            Ok(Some((0..k).map(|row| (0..n).map(|m| codebook.entry(row * n / k, m)).collect()).collect()))
        }
    }
}
