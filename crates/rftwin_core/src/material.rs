//! Radio materials: the ITU-R P.2040-3 table (Table 3) and custom slabs.
//!
//! Every material is a homogeneous slab of thickness `d` \[m\]. Its relative
//! permittivity follows `εr' = a · f_GHz^b` and its conductivity `σ = c · f_GHz^d`
//! [S/m]; the complex relative permittivity is `η = εr' − j σ / (ε0 ω)`.

use crate::constants::VACUUM_PERMITTIVITY;
use crate::dual::Real;
use crate::error::{Error, Result};
use crate::Complex;
use std::f64::consts::PI;

/// Largest slab thickness a material may have \[m\].
pub const MAX_THICKNESS: f64 = 1e4;
/// Largest relative permittivity a custom material may have.
pub const MAX_EPS_R: f64 = 1e6;
/// Largest conductivity a custom material may have \[S/m\].
pub const MAX_SIGMA: f64 = 1e10;

/// Default slab thickness \[m\] (Sionna RT's default as well).
pub const DEFAULT_THICKNESS: f64 = 0.1;

/// One row of ITU-R P.2040-3 Table 3: `εr' = a f^b`, `σ = c f^d`, valid for
/// `f_min_ghz ≤ f ≤ f_max_ghz`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItuParameters {
    /// Coefficient `a` of the relative permittivity.
    pub a: f64,
    /// Exponent `b` of the relative permittivity.
    pub b: f64,
    /// Coefficient `c` of the conductivity [S/m].
    pub c: f64,
    /// Exponent `d` of the conductivity.
    pub d: f64,
    /// Lowest valid frequency \[GHz\].
    pub f_min_ghz: f64,
    /// Highest valid frequency \[GHz\].
    pub f_max_ghz: f64,
}

const fn row(a: f64, b: f64, c: f64, d: f64, f_min_ghz: f64, f_max_ghz: f64) -> ItuParameters {
    ItuParameters { a, b, c, d, f_min_ghz, f_max_ghz }
}

/// The materials of ITU-R P.2040-3 Table 3, named as in Sionna RT (`itu_<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItuMaterial {
    /// Vacuum (≈ air).
    Vacuum,
    /// Concrete.
    Concrete,
    /// Brick.
    Brick,
    /// Plasterboard.
    Plasterboard,
    /// Wood.
    Wood,
    /// Glass (two frequency ranges).
    Glass,
    /// Ceiling board (two frequency ranges).
    CeilingBoard,
    /// Chipboard.
    Chipboard,
    /// Plywood.
    Plywood,
    /// Marble.
    Marble,
    /// Floorboard.
    Floorboard,
    /// Metal.
    Metal,
    /// Very dry ground.
    VeryDryGround,
    /// Medium dry ground.
    MediumDryGround,
    /// Wet ground.
    WetGround,
}

impl ItuMaterial {
    /// Every material of the table.
    pub const ALL: [ItuMaterial; 15] = [
        ItuMaterial::Vacuum,
        ItuMaterial::Concrete,
        ItuMaterial::Brick,
        ItuMaterial::Plasterboard,
        ItuMaterial::Wood,
        ItuMaterial::Glass,
        ItuMaterial::CeilingBoard,
        ItuMaterial::Chipboard,
        ItuMaterial::Plywood,
        ItuMaterial::Marble,
        ItuMaterial::Floorboard,
        ItuMaterial::Metal,
        ItuMaterial::VeryDryGround,
        ItuMaterial::MediumDryGround,
        ItuMaterial::WetGround,
    ];

    /// The name used by Sionna RT / Mitsuba scenes (`"concrete"`, `"very_dry_ground"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ItuMaterial::Vacuum => "vacuum",
            ItuMaterial::Concrete => "concrete",
            ItuMaterial::Brick => "brick",
            ItuMaterial::Plasterboard => "plasterboard",
            ItuMaterial::Wood => "wood",
            ItuMaterial::Glass => "glass",
            ItuMaterial::CeilingBoard => "ceiling_board",
            ItuMaterial::Chipboard => "chipboard",
            ItuMaterial::Plywood => "plywood",
            ItuMaterial::Marble => "marble",
            ItuMaterial::Floorboard => "floorboard",
            ItuMaterial::Metal => "metal",
            ItuMaterial::VeryDryGround => "very_dry_ground",
            ItuMaterial::MediumDryGround => "medium_dry_ground",
            ItuMaterial::WetGround => "wet_ground",
        }
    }

    /// Looks a material up by name; accepts an `itu_` prefix.
    pub fn from_name(name: &str) -> Result<Self> {
        let key = name.strip_prefix("itu_").unwrap_or(name);
        Self::ALL.iter().copied().find(|m| m.name() == key).ok_or_else(|| Error::UnknownMaterial {
            name: name.to_string(),
            context: String::new(),
            known: Self::ALL.iter().map(|m| m.name()).collect::<Vec<_>>().join(", "),
        })
    }

    /// The table rows (one or two frequency ranges).
    pub fn parameters(self) -> &'static [ItuParameters] {
        match self {
            ItuMaterial::Vacuum => const { &[row(1.0, 0.0, 0.0, 0.0, 0.001, 100.0)] },
            ItuMaterial::Concrete => const { &[row(5.24, 0.0, 0.0462, 0.7822, 1.0, 100.0)] },
            ItuMaterial::Brick => const { &[row(3.91, 0.0, 0.0238, 0.16, 1.0, 40.0)] },
            ItuMaterial::Plasterboard => const { &[row(2.73, 0.0, 0.0085, 0.9395, 1.0, 100.0)] },
            ItuMaterial::Wood => const { &[row(1.99, 0.0, 0.0047, 1.0718, 0.001, 100.0)] },
            ItuMaterial::Glass => const { &[row(6.31, 0.0, 0.0036, 1.3394, 0.1, 100.0), row(5.79, 0.0, 0.0004, 1.658, 220.0, 450.0)] },
            ItuMaterial::CeilingBoard => const { &[row(1.48, 0.0, 0.0011, 1.0750, 1.0, 100.0), row(1.52, 0.0, 0.0029, 1.029, 220.0, 450.0)] },
            ItuMaterial::Chipboard => const { &[row(2.58, 0.0, 0.0217, 0.7800, 1.0, 100.0)] },
            ItuMaterial::Plywood => const { &[row(2.71, 0.0, 0.33, 0.0, 1.0, 40.0)] },
            ItuMaterial::Marble => const { &[row(7.074, 0.0, 0.0055, 0.9262, 1.0, 60.0)] },
            ItuMaterial::Floorboard => const { &[row(3.66, 0.0, 0.0044, 1.3515, 50.0, 100.0)] },
            ItuMaterial::Metal => const { &[row(1.0, 0.0, 1e7, 0.0, 1.0, 100.0)] },
            ItuMaterial::VeryDryGround => const { &[row(3.0, 0.0, 0.00015, 2.52, 1.0, 10.0)] },
            ItuMaterial::MediumDryGround => const { &[row(30.0, -0.4, 0.035, 1.63, 1.0, 10.0)] },
            ItuMaterial::WetGround => const { &[row(30.0, -0.4, 0.15, 1.30, 1.0, 10.0)] },
        }
    }

    /// `(εr', σ [S/m])` at `frequency_hz`, or an error outside the table's ranges.
    pub fn eps_r_sigma(self, frequency_hz: f64) -> Result<(f64, f64)> {
        let f_ghz = frequency_hz / 1e9;
        let rows = self.parameters();
        let p = rows.iter().find(|p| f_ghz >= p.f_min_ghz && f_ghz <= p.f_max_ghz).ok_or_else(|| {
            let ranges: Vec<String> = rows.iter().map(|p| format!("{}–{} GHz", p.f_min_ghz, p.f_max_ghz)).collect();
            Error::InvalidMaterial {
                material: format!("itu_{}", self.name()),
                message: format!(
                    "ITU-R P.2040 gives no parameters at {f_ghz} GHz (valid: {}); use a custom material",
                    ranges.join(", ")
                ),
            }
        })?;
        Ok((p.a * f_ghz.powf(p.b), p.c * f_ghz.powf(p.d)))
    }
}

/// What a [`RadioMaterial`]'s electrical parameters come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaterialModel {
    /// A row of the ITU-R P.2040 table, evaluated at the simulation frequency.
    Itu(ItuMaterial),
    /// Frequency-independent relative permittivity `εr` and conductivity `σ` [S/m].
    Custom {
        /// Relative permittivity (≥ 1).
        eps_r: f64,
        /// Conductivity [S/m] (≥ 0).
        sigma: f64,
    },
}

/// A named radio material: a slab of thickness `d` \[m\] made of an ITU or custom dielectric.
#[derive(Debug, Clone, PartialEq)]
pub struct RadioMaterial {
    /// Name, unique in a scene (`"itu_concrete"`, `"glass_custom"`).
    pub name: String,
    /// Electrical model.
    pub model: MaterialModel,
    /// Slab thickness `d` \[m\] (> 0).
    pub thickness: f64,
}

impl RadioMaterial {
    /// An ITU material with the default thickness, named `itu_<type>`.
    pub fn itu(kind: ItuMaterial) -> Self {
        RadioMaterial { name: format!("itu_{}", kind.name()), model: MaterialModel::Itu(kind), thickness: DEFAULT_THICKNESS }
    }

    /// A custom material; rejects `εr < 1`, `σ < 0`, non-finite values and `d ≤ 0`.
    pub fn custom(name: impl Into<String>, eps_r: f64, sigma: f64, thickness: f64) -> Result<Self> {
        let m = RadioMaterial { name: name.into(), model: MaterialModel::Custom { eps_r, sigma }, thickness };
        m.validate()?;
        Ok(m)
    }

    /// Returns the same material with another slab thickness (validated).
    pub fn with_thickness(mut self, thickness: f64) -> Result<Self> {
        self.thickness = thickness;
        self.validate()?;
        Ok(self)
    }

    /// Checks the parameter ranges.
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| Err(Error::InvalidMaterial { material: self.name.clone(), message });
        // Upper bounds far beyond any physical material (copper: σ = 6e7 S/m) catch unit
        // errors before they overflow the slab coefficients into NaN.
        if !(self.thickness.is_finite() && self.thickness > 0.0 && self.thickness <= MAX_THICKNESS) {
            return bad(format!("slab thickness must be in (0, {MAX_THICKNESS}] m, got {}", self.thickness));
        }
        if let MaterialModel::Custom { eps_r, sigma } = self.model {
            if !(eps_r.is_finite() && (1.0..=MAX_EPS_R).contains(&eps_r)) {
                return bad(format!("relative permittivity must be in [1, {MAX_EPS_R:e}], got {eps_r}"));
            }
            if !(sigma.is_finite() && (0.0..=MAX_SIGMA).contains(&sigma)) {
                return bad(format!("conductivity must be in [0, {MAX_SIGMA:e}] S/m, got {sigma}"));
            }
        }
        Ok(())
    }

    /// `(εr', σ [S/m])` at `frequency_hz`.
    pub fn eps_r_sigma(&self, frequency_hz: f64) -> Result<(f64, f64)> {
        match self.model {
            MaterialModel::Itu(kind) => kind.eps_r_sigma(frequency_hz),
            MaterialModel::Custom { eps_r, sigma } => Ok((eps_r, sigma)),
        }
    }

    /// Complex relative permittivity `η = εr' − j σ / (ε0 · 2π f)` at `frequency_hz`.
    pub fn complex_permittivity(&self, frequency_hz: f64) -> Result<Complex> {
        let (eps_r, sigma) = self.eps_r_sigma(frequency_hz)?;
        Ok(complex_permittivity(eps_r, sigma, frequency_hz))
    }
}

/// `η = εr − j σ / (ε0 · 2π f)`, over any [`Real`]: `f64` for values, dual numbers for
/// derivatives with respect to `εr` or `σ`. The one definition of η in the workspace.
pub fn complex_permittivity<T: Real>(eps_r: T, sigma: T, frequency_hz: f64) -> num_complex::Complex<T> {
    num_complex::Complex::new(eps_r, -sigma / T::cst(VACUUM_PERMITTIVITY * 2.0 * PI * frequency_hz))
}

/// A component of a material's slab model, for [`crate::Scene::slab_table_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlabComponent {
    /// Relative permittivity `εr`.
    EpsR,
    /// Conductivity `σ` \[S/m\].
    Sigma,
    /// Slab thickness `d` \[m\].
    Thickness,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn itu_values_at_28_ghz_match_the_sionna_reference() {
        // ../shared/reference/sionna/README.md: concrete εr = 5.24, σ = 0.62605; wood 1.99, 0.167171.
        let (e, s) = ItuMaterial::Concrete.eps_r_sigma(28e9).unwrap();
        assert_eq!(e, 5.24);
        assert!((s - 0.62605).abs() < 1e-5, "{s}");
        let (e, s) = ItuMaterial::Wood.eps_r_sigma(28e9).unwrap();
        assert_eq!(e, 1.99);
        assert!((s - 0.167171).abs() < 1e-6, "{s}");
        assert_eq!(ItuMaterial::Metal.eps_r_sigma(28e9).unwrap(), (1.0, 1e7));
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for m in ItuMaterial::ALL {
            assert_eq!(ItuMaterial::from_name(&format!("itu_{}", m.name())).unwrap(), m);
        }
        let err = ItuMaterial::from_name("unobtainium").unwrap_err().to_string();
        assert!(err.contains("unobtainium") && err.contains("concrete"), "{err}");
    }

    #[test]
    fn out_of_range_frequency_and_bad_custom_values_are_errors() {
        assert!(ItuMaterial::Brick.eps_r_sigma(77e9).is_err());
        assert!(ItuMaterial::Glass.eps_r_sigma(300e9).is_ok());
        assert!(RadioMaterial::custom("x", 0.3, 0.0, 0.1).unwrap_err().to_string().contains("in [1, "));
        assert!(RadioMaterial::custom("x", 2.0, -1.0, 0.1).is_err());
        assert!(RadioMaterial::custom("x", 2.0, 0.0, 0.0).is_err());
        assert!(RadioMaterial::custom("x", f64::NAN, 0.0, 0.1).is_err());
        assert!(RadioMaterial::custom("x", 2.0, 0.0, 2e4).unwrap_err().to_string().contains("(0, 10000] m"));
    }
}
