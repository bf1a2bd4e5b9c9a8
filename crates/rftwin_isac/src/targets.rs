//! Imaging targets: grayscale images in [0, 1] (PNG in and out, resized to the ROI grid)
//! and the procedural human silhouettes of spec §9 (they replace the paper's dataset, so
//! every example runs without data files).

use crate::error::{invalid, Result};
use std::path::Path;

/// A grayscale image, row-major, values in [0, 1]; row 0 is the top.
#[derive(Debug, Clone, PartialEq)]
pub struct GrayImage {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Pixel values.
    pub data: Vec<f64>,
}

impl GrayImage {
    /// Reads any image file the `image` crate decodes (PNG here), converts it to grayscale
    /// and resizes it to `rows × cols` (triangle filter).
    pub fn load(path: &Path, rows: usize, cols: usize) -> Result<Self> {
        if rows == 0 || cols == 0 {
            return Err(invalid("image size", format!("{rows} × {cols}")));
        }
        let img = image::open(path).map_err(|e| invalid("target", format!("{}: {e}", path.display())))?;
        let gray = image::imageops::resize(&img.to_luma8(), cols as u32, rows as u32, image::imageops::FilterType::Triangle);
        Ok(GrayImage { rows, cols, data: gray.pixels().map(|p| p.0[0] as f64 / 255.0).collect() })
    }

    /// The image resized to `rows × cols` (triangle filter, values kept in [0, 1]).
    pub fn resized(&self, rows: usize, cols: usize) -> Result<Self> {
        if rows == 0 || cols == 0 {
            return Err(invalid("image size", format!("{rows} × {cols}")));
        }
        let pixels: Vec<f32> = self.data.iter().map(|&v| v as f32).collect();
        let buffer = image::ImageBuffer::<image::Luma<f32>, Vec<f32>>::from_raw(self.cols as u32, self.rows as u32, pixels).ok_or_else(|| invalid("image", "pixel count does not match the size"))?;
        let resized = image::imageops::resize(&buffer, cols as u32, rows as u32, image::imageops::FilterType::Triangle);
        Ok(GrayImage { rows, cols, data: resized.pixels().map(|p| (p.0[0] as f64).clamp(0.0, 1.0)).collect() })
    }

    /// Writes an 8-bit grayscale PNG (values clamped to [0, 1]), through a temporary file
    /// renamed into place.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes: Vec<u8> = self.data.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect();
        let buffer = image::GrayImage::from_raw(self.cols as u32, self.rows as u32, bytes).ok_or_else(|| invalid("image", "pixel count does not match the size"))?;
        let tmp = path.with_extension("png.tmp");
        buffer.save_with_format(&tmp, image::ImageFormat::Png).map_err(|e| invalid("image", format!("{}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, path).map_err(|e| invalid("image", format!("{}: {e}", path.display())))
    }
}

/// SplitMix64 (spec §9): the silhouettes' generator, fixed so they are the same everywhere.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Seeded state.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// Next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[a, b)`.
    pub fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * ((self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64))
    }
}

/// Pose parameter ranges, in draw order: cx, cy, s, lean, uL, eL, uR, eR, hL, kL, hR, kR.
const POSE_RANGES: [(f64, f64); 12] =
    [(40.0, 60.0), (52.0, 60.0), (0.8, 1.0), (-0.15, 0.15), (0.2, 2.2), (0.0, 1.2), (0.2, 2.2), (0.0, 1.2), (0.0, 0.5), (0.0, 0.6), (0.0, 0.5), (0.0, 0.6)];

/// A silhouette pose (spec §9), angles in radians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose(pub [f64; 12]);

impl Pose {
    /// The pose of `seed`.
    pub fn new(seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        Pose(POSE_RANGES.map(|(a, b)| rng.uniform(a, b)))
    }

    /// Frame `t` of `seed`'s motion: `p₀ + t·U(−0.05, 0.05)·(range width)`, offsets drawn
    /// from `SplitMix64(seed + 1)`.
    pub fn at(seed: u64, t: f64) -> Self {
        let mut p = Pose::new(seed);
        let mut rng = SplitMix64::new(seed.wrapping_add(1));
        for (v, (a, b)) in p.0.iter_mut().zip(POSE_RANGES) {
            *v += t * rng.uniform(-0.05, 0.05) * (b - a);
        }
        p
    }

    /// The right hand (row, col) in pixels: where the communication user's device is.
    pub fn right_hand(&self) -> [f64; 2] {
        self.limbs().1[1].1
    }

    /// (shapes, [left, right] arm segments): ellipses and capsules in (row, col).
    #[allow(clippy::type_complexity)]
    fn limbs(&self) -> (Vec<Shape>, [([f64; 2], [f64; 2]); 2]) {
        let [cx, cy, s, lean, ul, el, ur, er, hl, kl, hr, kr] = self.0;
        let h = [cy, cx];
        let up = [-lean.cos(), lean.sin()];
        let side = [lean.sin(), lean.cos()];
        let at = |p: [f64; 2], a: f64, v: [f64; 2]| [p[0] + a * v[0], p[1] + a * v[1]];
        let dir = |a: f64, g: f64| [-up[0] * a.cos() + g * side[0] * a.sin(), -up[1] * a.cos() + g * side[1] * a.sin()];
        let mut shapes = vec![Shape::Ellipse { centre: at(h, 17.0 * s, up), half: [9.0 * s, 17.0 * s], side, up }, Shape::Ellipse { centre: at(h, 41.0 * s, up), half: [6.0 * s, 7.5 * s], side, up }];
        let mut hands = [([0.0; 2], [0.0; 2]); 2];
        for (i, (g, u, e, hip, knee)) in [(-1.0, ul, el, hl, kl), (1.0, ur, er, hr, kr)].into_iter().enumerate() {
            let shoulder = at(at(h, 31.0 * s, up), 9.0 * s * g, side);
            let elbow = at(shoulder, 14.0 * s, dir(u, g));
            let hand = at(elbow, 13.0 * s, dir(u + e, g));
            shapes.push(Shape::Capsule { a: shoulder, b: elbow, radius: 2.8 * s });
            shapes.push(Shape::Capsule { a: elbow, b: hand, radius: 2.3 * s });
            let pelvis = at(h, 5.0 * s * g, side);
            let knee_p = at(pelvis, 19.0 * s, dir(hip, g));
            shapes.push(Shape::Capsule { a: pelvis, b: knee_p, radius: 4.0 * s });
            shapes.push(Shape::Capsule { a: knee_p, b: at(knee_p, 18.0 * s, dir(hip - knee, g)), radius: 3.2 * s });
            hands[i] = (elbow, hand);
        }
        (shapes, hands)
    }

    /// The silhouette on a 100×100 canvas: each pixel the fraction of its 4×4 subsamples
    /// inside any shape (multiples of 1/16).
    pub fn render(&self) -> GrayImage {
        let (shapes, _) = self.limbs();
        let n = 100;
        let data = supersampled(n, |q| if shapes.iter().any(|s| s.contains(q)) { 1.0 } else { 0.0 });
        GrayImage { rows: n, cols: n, data }
    }
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    Ellipse { centre: [f64; 2], half: [f64; 2], side: [f64; 2], up: [f64; 2] },
    Capsule { a: [f64; 2], b: [f64; 2], radius: f64 },
}

impl Shape {
    fn contains(&self, q: [f64; 2]) -> bool {
        let dot = |u: [f64; 2], v: [f64; 2]| u[0] * v[0] + u[1] * v[1];
        match *self {
            Shape::Ellipse { centre, half, side, up } => {
                let d = [q[0] - centre[0], q[1] - centre[1]];
                (dot(d, side) / half[0]).powi(2) + (dot(d, up) / half[1]).powi(2) <= 1.0
            }
            Shape::Capsule { a, b, radius } => {
                let (ab, aq) = ([b[0] - a[0], b[1] - a[1]], [q[0] - a[0], q[1] - a[1]]);
                let t = (dot(aq, ab) / dot(ab, ab).max(1e-300)).clamp(0.0, 1.0);
                let d = [aq[0] - t * ab[0], aq[1] - t * ab[1]];
                dot(d, d) <= radius * radius
            }
        }
    }
}

/// Pixel-wise maximum of two images of the same size (two people in one frame).
pub fn pixel_max(a: &GrayImage, b: &GrayImage) -> Result<GrayImage> {
    if (a.rows, a.cols) != (b.rows, b.cols) {
        return Err(invalid("image", format!("{}×{} and {}×{}", a.rows, a.cols, b.rows, b.cols)));
    }
    Ok(GrayImage { rows: a.rows, cols: a.cols, data: a.data.iter().zip(&b.data).map(|(x, y)| x.max(*y)).collect() })
}

/// A Shepp–Logan-style phantom on an `n × n` canvas: ten ellipses (an outer shell of
/// reflectivity 1, a 0.4 interior, two dark lobes, a bright region and five small spots
/// down to 2.3 % of the width) whose contributions add, clamped to [0, 1]. It is the
/// second target family next to the silhouettes: extended grey levels and fine detail
/// instead of one binary body. Each pixel averages 4×4 subsamples.
pub fn phantom(n: usize) -> Result<GrayImage> {
    if n < 2 {
        return Err(invalid("phantom size", format!("{n}: at least 2 pixels")));
    }
    // (centre x, centre y, half-axis x, half-axis y, rotation [deg], added value), in
    // [−1, 1]² with y up
    const ELLIPSES: [(f64, f64, f64, f64, f64, f64); 10] = [
        (0.0, 0.0, 0.69, 0.92, 0.0, 1.0),
        (0.0, -0.0184, 0.6624, 0.874, 0.0, -0.6),
        (0.22, 0.0, 0.11, 0.31, -18.0, -0.3),
        (-0.22, 0.0, 0.16, 0.41, 18.0, -0.3),
        (0.0, 0.35, 0.21, 0.25, 0.0, 0.4),
        (0.0, 0.1, 0.046, 0.046, 0.0, 0.5),
        (0.0, -0.1, 0.046, 0.046, 0.0, 0.5),
        (-0.08, -0.605, 0.046, 0.023, 0.0, 0.5),
        (0.0, -0.605, 0.023, 0.023, 0.0, 0.5),
        (0.06, -0.605, 0.023, 0.046, 0.0, 0.5),
    ];
    // pixel coordinates (centres at integers) to [−1, 1]², y up
    let data = supersampled(n, |[r, c]| {
        let (x, y) = (2.0 * (c + 0.5) / n as f64 - 1.0, 1.0 - 2.0 * (r + 0.5) / n as f64);
        let value: f64 = ELLIPSES
            .iter()
            .filter(|&&(cx, cy, hx, hy, deg, _)| {
                let (s, c) = deg.to_radians().sin_cos();
                let (dx, dy) = (x - cx, y - cy);
                ((c * dx + s * dy) / hx).powi(2) + ((-s * dx + c * dy) / hy).powi(2) <= 1.0
            })
            .map(|e| e.5)
            .sum();
        value.clamp(0.0, 1.0)
    });
    Ok(GrayImage { rows: n, cols: n, data })
}

/// An `n × n` canvas, each pixel the mean of `value` at its 4×4 subsample points, given in
/// pixel coordinates `[row, col]` (pixel centres at integers).
fn supersampled(n: usize, value: impl Fn([f64; 2]) -> f64) -> Vec<f64> {
    let sub = |i: usize, k: usize| i as f64 - 0.5 + (k as f64 + 0.5) / 4.0;
    (0..n * n).map(|p| (0..16).map(|k| value([sub(p / n, k / 4), sub(p % n, k % 4)])).sum::<f64>() / 16.0).collect()
}
