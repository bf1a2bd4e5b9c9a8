//! RIS apertures: planar element grids in a plane of constant x.

use crate::error::{invalid, Result};
use glam::DVec3;
use serde::{Deserialize, Serialize};

/// A reconfigurable intelligent surface (or any planar sampling aperture): `M_y × M_z`
/// elements tiled edge to edge in the plane `x = centre.x`, facing ±x.
///
/// Element `(m_y, m_z)` sits at `centre + (0, (m_y − (M_y−1)/2) ξ_y, (m_z − (M_z−1)/2) ξ_z)`
/// and has the vector index `m = m_y·M_z + m_z` (row-major, y outer) everywhere in this
/// crate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ris {
    /// Centre of the surface \[m\].
    pub centre: DVec3,
    /// Element counts `[M_y, M_z]`.
    pub elements: [usize; 2],
    /// Element size (and spacing) `[ξ_y, ξ_z]` \[m\].
    pub element_size: [f64; 2],
}

impl Ris {
    /// A validated surface.
    pub fn new(centre: DVec3, elements: [usize; 2], element_size: [f64; 2]) -> Result<Self> {
        let ris = Ris { centre, elements, element_size };
        ris.validate()?;
        Ok(ris)
    }

    /// Checks counts ≥ 1, positive finite sizes and a finite centre.
    pub fn validate(&self) -> Result<()> {
        if self.elements.contains(&0) {
            return Err(invalid("ris.elements", format!("{:?}: need at least one element along each axis", self.elements)));
        }
        if !self.element_size.iter().all(|s| s.is_finite() && *s > 0.0) {
            return Err(invalid("ris.element_size", format!("{:?}: sizes must be positive and finite", self.element_size)));
        }
        if !self.centre.is_finite() {
            return Err(invalid("ris.centre", format!("{:?} is not finite", self.centre)));
        }
        Ok(())
    }

    /// `M = M_y·M_z`.
    pub fn count(&self) -> usize {
        self.elements[0] * self.elements[1]
    }

    /// The same aperture as a scene RIS (`rftwin_core::ris::RisSurface`, normal +x, up +z:
    /// identical element order and positions), with one all-ones configuration.
    pub fn surface(&self, name: &str) -> Result<rftwin_core::ris::RisSurface> {
        rftwin_core::ris::RisSurface::new(name, self.centre, DVec3::X, DVec3::Z, self.elements, self.element_size).map_err(|e| invalid("ris", e.to_string()))
    }

    /// Side lengths `[L_y, L_z] = [M_y ξ_y, M_z ξ_z]` \[m\].
    pub fn size(&self) -> [f64; 2] {
        [self.elements[0] as f64 * self.element_size[0], self.elements[1] as f64 * self.element_size[1]]
    }

    /// Element offsets from the centre along axis `axis` (0: y, 1: z) \[m\].
    pub fn offsets(&self, axis: usize) -> Vec<f64> {
        let n = self.elements[axis];
        (0..n).map(|i| (i as f64 - (n as f64 - 1.0) / 2.0) * self.element_size[axis]).collect()
    }

    /// Position of element `m` (vector index) \[m\].
    pub fn element_position(&self, m: usize) -> DVec3 {
        let (iy, iz) = (m / self.elements[1], m % self.elements[1]);
        let off = |i: usize, axis: usize| (i as f64 - (self.elements[axis] as f64 - 1.0) / 2.0) * self.element_size[axis];
        self.centre + DVec3::new(0.0, off(iy, 0), off(iz, 1))
    }

    /// Every element position, in vector order.
    pub fn positions(&self) -> Vec<DVec3> {
        (0..self.count()).map(|m| self.element_position(m)).collect()
    }

    /// The grid of `Q_y × Q_z` blocks as a coarser surface (block centres are the means of
    /// their elements' positions); an error unless `Q_y | M_y` and `Q_z | M_z`.
    pub fn blocks(&self, q: [usize; 2]) -> Result<Ris> {
        if q.contains(&0) || !self.elements[0].is_multiple_of(q[0]) || !self.elements[1].is_multiple_of(q[1]) {
            return Err(invalid("block", format!("{}×{} blocks do not divide the {}×{} RIS", q[0], q[1], self.elements[0], self.elements[1])));
        }
        Ris::new(self.centre, [self.elements[0] / q[0], self.elements[1] / q[1]], [self.element_size[0] * q[0] as f64, self.element_size[1] * q[1] as f64])
    }

    /// Index of the `q`-block holding element `m` (block grid vector order).
    pub fn block_of(&self, m: usize, q: [usize; 2]) -> usize {
        block_index(self.elements, m, q)
    }
}

/// Index of the `q`-block holding element `m` of an `elements[0] × elements[1]` grid
/// (block grid vector order, row-major).
pub fn block_index(elements: [usize; 2], m: usize, q: [usize; 2]) -> usize {
    let (iy, iz) = (m / elements[1], m % elements[1]);
    (iy / q[0]) * (elements[1] / q[1]) + iz / q[1]
}

/// Where a ULA's given position sits on the array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UlaAnchor {
    /// The position is element 0; elements follow along +y (the INR reference code).
    #[default]
    Start,
    /// The position is the array's centre (the INR paper's text).
    Centre,
}

/// A uniform linear array along +y.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ula {
    /// Anchor position \[m\].
    pub position: DVec3,
    /// Elements.
    pub elements: usize,
    /// Element spacing \[m\].
    pub spacing: f64,
    /// What `position` is.
    pub anchor: UlaAnchor,
}

impl Ula {
    /// Checks at least one element, a finite position and a positive finite spacing.
    pub fn validate(&self, name: &'static str) -> Result<()> {
        if self.elements == 0 {
            return Err(invalid(name, "a ULA needs at least one element"));
        }
        if !(self.position.is_finite() && self.spacing.is_finite() && self.spacing > 0.0) {
            return Err(invalid(name, format!("position {:?} and spacing {} must be finite (spacing > 0)", self.position, self.spacing)));
        }
        Ok(())
    }

    /// Element positions, element 0 first.
    pub fn positions(&self) -> Vec<DVec3> {
        let first = match self.anchor {
            UlaAnchor::Start => 0.0,
            UlaAnchor::Centre => -(self.elements as f64 - 1.0) / 2.0,
        };
        (0..self.elements).map(|e| self.position + DVec3::new(0.0, (first + e as f64) * self.spacing, 0.0)).collect()
    }
}

/// A voxel grid of the region of interest: `N_x` range slices (x) of `N_z` rows (z, row 0
/// on top) × `N_y` columns (+y), voxel `m = (ix·N_z + row)·N_y + col` at
/// `centre + ((ix − (N_x−1)/2) ξ, (col − (N_y−1)/2) ξ, ((N_z−1)/2 − row) ξ)` — the INR
/// paper's pixel order (one slice: an image, row-major).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoxelGrid {
    /// Centre of the grid \[m\].
    pub centre: DVec3,
    /// `[N_x, N_z, N_y]`.
    pub dims: [usize; 3],
    /// Voxel size `ξ_v` \[m\].
    pub voxel: f64,
}

impl VoxelGrid {
    /// Checks non-zero dimensions, a finite centre and a positive finite voxel size.
    pub fn validate(&self) -> Result<()> {
        if self.dims.contains(&0) {
            return Err(invalid("roi", format!("{:?}: a region of interest needs at least one voxel along each axis", self.dims)));
        }
        if !(self.centre.is_finite() && self.voxel.is_finite() && self.voxel > 0.0) {
            return Err(invalid("roi", format!("centre {:?} and voxel {} must be finite (voxel > 0)", self.centre, self.voxel)));
        }
        Ok(())
    }

    /// `N_v`.
    pub fn count(&self) -> usize {
        self.dims.iter().product()
    }

    /// Every voxel centre, in voxel order.
    pub fn positions(&self) -> Vec<DVec3> {
        let [nx, nz, ny] = self.dims;
        let half = |n: usize| (n as f64 - 1.0) / 2.0;
        let mut out = Vec::with_capacity(self.count());
        for ix in 0..nx {
            for row in 0..nz {
                for col in 0..ny {
                    out.push(self.centre + self.voxel * DVec3::new(ix as f64 - half(nx), col as f64 - half(ny), half(nz) - row as f64));
                }
            }
        }
        out
    }
}
