//! Three-dimensional imaging targets: a reflectivity per voxel of a [`VoxelGrid`], in
//! its voxel order (`m = (ix·N_z + row)·N_y + col`), and the checks that a target and a
//! grid agree — a 2-D image cannot be imaged on a 3-D grid nor a volume on a 2-D one.

use crate::error::{invalid, Result};
use crate::geometry::VoxelGrid;
use crate::targets::GrayImage;

/// Reflectivities in [0, 1] on an `N_x × N_z × N_y` voxel grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// `[N_x, N_z, N_y]`: range slices, rows (row 0 on top), columns.
    pub dims: [usize; 3],
    /// One value per voxel, in voxel order.
    pub data: Vec<f64>,
}

impl Volume {
    /// A silhouette extruded along range: `image` is resized to `N_z × N_y` and copied
    /// into the `depth` central range slices; the others are empty. A person seen by the
    /// RIS is a reflecting body a few tens of centimetres deep.
    pub fn extruded(image: &GrayImage, dims: [usize; 3], depth: usize) -> Result<Self> {
        let [nx, nz, ny] = dims;
        if dims.contains(&0) {
            return Err(invalid("volume", format!("{dims:?}: every axis needs at least one voxel")));
        }
        if depth == 0 || depth > nx {
            return Err(invalid("volume depth", format!("{depth} slices: between 1 and N_x = {nx}")));
        }
        let slice = if (image.rows, image.cols) == (nz, ny) { image.clone() } else { image.resized(nz, ny)? };
        let first = (nx - depth) / 2;
        let mut data = vec![0.0; nx * nz * ny];
        for ix in first..first + depth {
            data[ix * nz * ny..(ix + 1) * nz * ny].copy_from_slice(&slice.data);
        }
        Ok(Volume { dims, data })
    }

    /// Range slice `ix` as an image.
    pub fn slice(&self, ix: usize) -> Result<GrayImage> {
        let [nx, nz, ny] = self.dims;
        if ix >= nx {
            return Err(invalid("slice", format!("{ix} of {nx} range slices")));
        }
        Ok(GrayImage { rows: nz, cols: ny, data: self.data[ix * nz * ny..(ix + 1) * nz * ny].to_vec() })
    }

    /// Maximum-intensity projection along range (what a viewer of the scene sees).
    pub fn max_projection(&self) -> GrayImage {
        let [nx, nz, ny] = self.dims;
        let mut data = vec![f64::NEG_INFINITY; nz * ny];
        for ix in 0..nx {
            for (d, v) in data.iter_mut().zip(&self.data[ix * nz * ny..(ix + 1) * nz * ny]) {
                *d = d.max(*v);
            }
        }
        GrayImage { rows: nz, cols: ny, data }
    }

    /// The voxel values for `grid`, or an error naming the mismatch (a volume on a
    /// one-slice grid, or different dimensions).
    pub fn on_grid(&self, grid: &VoxelGrid) -> Result<&[f64]> {
        if self.data.len() != self.dims.iter().product::<usize>() || self.data.iter().any(|v| !v.is_finite()) {
            return Err(invalid("volume", format!("{} finite values expected for {:?}, got {} values", self.dims.iter().product::<usize>(), self.dims, self.data.len())));
        }
        if grid.dims[0] == 1 && self.dims[0] > 1 {
            return Err(invalid("target", format!("a 3-D target of {} range slices cannot be imaged on a 2-D grid (roi.dims = {:?}); give the grid N_x = {} slices", self.dims[0], grid.dims, self.dims[0])));
        }
        if grid.dims != self.dims {
            return Err(invalid("target", format!("volume {:?} does not match the grid {:?} ([N_x, N_z, N_y])", self.dims, grid.dims)));
        }
        Ok(&self.data)
    }
}

impl GrayImage {
    /// The pixel values for a one-slice `grid` (resized to its `N_z × N_y` when needed),
    /// or an error when the grid is 3-D.
    pub fn on_grid(&self, grid: &VoxelGrid) -> Result<GrayImage> {
        let [nx, nz, ny] = grid.dims;
        if nx != 1 {
            return Err(invalid("target", format!("a 2-D image cannot be imaged on a 3-D grid of {nx} range slices; extrude it to a Volume or set roi.dims[0] = 1")));
        }
        if (self.rows, self.cols) == (nz, ny) {
            return Ok(self.clone());
        }
        self.resized(nz, ny)
    }
}
