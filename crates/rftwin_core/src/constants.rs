//! Physical constants (SI, CODATA values as used by Sionna RT and scipy).

/// Speed of light in vacuum `c` [m/s].
pub const SPEED_OF_LIGHT: f64 = 299_792_458.0;

/// Vacuum permittivity `ε0` [F/m].
pub const VACUUM_PERMITTIVITY: f64 = 8.854_187_812_8e-12;

/// Power in dBm → W.
pub fn dbm_to_watts(dbm: f64) -> f64 {
    10f64.powf((dbm - 30.0) / 10.0)
}

/// Wavelength `λ = c / f` \[m\] of frequency `f` \[Hz\].
pub fn wavelength(frequency_hz: f64) -> f64 {
    SPEED_OF_LIGHT / frequency_hz
}
