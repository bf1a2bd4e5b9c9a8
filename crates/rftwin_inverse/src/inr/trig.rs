//! The SIREN's sine layers: `sin` and `cos` of a whole activation block in single
//! precision, written so that the compiler vectorises them (libm's scalar `sinf`/`cosf`
//! took 70 % of the forward pass at the paper's size).
//!
//! Cody–Waite reduction by `π/2` in three parts (exact products for quadrant numbers
//! below 2¹², i.e. `|x| < LIMIT`), then Cephes' single-precision minimax polynomials on
//! `[−π/4, π/4]`; the quadrant comes from the bits of the rounding sum, and the swap and
//! signs are bit operations, so the loop has no branch. Columns with an entry beyond
//! `LIMIT` (or not finite) are evaluated by libm instead.

const TWO_OVER_PI: f32 = std::f32::consts::FRAC_2_PI;
/// `π/2 = DP1 + DP2 + DP3`, each with few enough significant bits for exact products.
const DP1: f32 = 1.570_312_5;
const DP2: f32 = 4.837_513e-4;
const DP3: f32 = 7.549_79e-8;
/// `1.5·2²³`: adding and subtracting it rounds to the nearest integer, and the sum's low
/// mantissa bits are that integer.
const ROUND: f32 = 12_582_912.0;
/// Largest `|x|` the reduction keeps exact.
pub(crate) const LIMIT: f32 = 4096.0;

/// `(sin x, cos x)` for `|x| ≤ LIMIT` (absolute error below 1e-7).
#[inline(always)]
pub(crate) fn sin_cos(x: f32) -> (f32, f32) {
    let shifted = x * TWO_OVER_PI + ROUND;
    let quadrant = shifted.to_bits();
    let q = shifted - ROUND;
    let r = ((x - q * DP1) - q * DP2) - q * DP3;
    let z = r * r;
    let s = r + r * z * (-1.666_665_5e-1 + z * (8.332_161e-3 + z * -1.951_529_6e-4));
    let c = 1.0 - 0.5 * z + z * z * (4.166_664_6e-2 + z * (-1.388_731_6e-3 + z * 2.443_315_7e-5));
    // odd quadrants swap sine and cosine; quadrants 2, 3 negate the sine, 1, 2 the cosine
    let swap = 0u32.wrapping_sub(quadrant & 1);
    let (sb, cb) = (s.to_bits(), c.to_bits());
    let sine = (sb & !swap) | (cb & swap);
    let cosine = (cb & !swap) | (sb & swap);
    (f32::from_bits(sine ^ ((quadrant & 2) << 30)), f32::from_bits(cosine ^ ((quadrant.wrapping_add(1) & 2) << 30)))
}

/// One sine layer on a column-major block with `bias.len()` rows: `z ← sin(κ(z + b))`
/// and `d ← κ cos(κ(z + b))` (the derivative the backward pass needs).
pub(crate) fn sine_layer(z: &mut [f32], d: &mut [f32], bias: &[f32], kappa: f32) {
    let rows = bias.len();
    for (zc, dc) in z.chunks_mut(rows).zip(d.chunks_mut(rows)) {
        for (v, b) in zc.iter_mut().zip(bias) {
            *v = kappa * (*v + b);
        }
        let largest = zc.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        if largest <= LIMIT {
            for (v, dv) in zc.iter_mut().zip(dc.iter_mut()) {
                let (s, c) = sin_cos(*v);
                *v = s;
                *dv = kappa * c;
            }
        } else {
            for (v, dv) in zc.iter_mut().zip(dc.iter_mut()) {
                let (s, c) = v.sin_cos();
                *v = s;
                *dv = kappa * c;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_and_cosine_within_1e7_of_f64_over_the_reduction_range() {
        let mut worst = 0.0f64;
        let special = [0.0, -0.0, 1e-30, std::f32::consts::FRAC_PI_4, std::f32::consts::FRAC_PI_2, std::f32::consts::PI, 3.0 * std::f32::consts::FRAC_PI_2, LIMIT, -LIMIT];
        let grid = (0..400_000).map(|i| (i as f32 / 400_000.0 - 0.5) * 2.0 * LIMIT);
        let fine = (0..200_000).map(|i| (i as f32 / 200_000.0 - 0.5) * 20.0);
        for x in special.into_iter().chain(grid).chain(fine) {
            let (s, c) = sin_cos(x);
            let xd = x as f64;
            worst = worst.max((s as f64 - xd.sin()).abs()).max((c as f64 - xd.cos()).abs());
        }
        assert!(worst < 1e-7, "largest error {worst:e}");
        let (s, c) = sin_cos(f32::NAN);
        assert!(s.is_nan() && c.is_nan());
    }

    #[test]
    fn a_sine_layer_matches_libm_and_falls_back_beyond_the_limit() {
        let bias = [0.1f32, -0.3, 0.7];
        let kappa = 30.0;
        // the second column reaches κ(z + b) = 30·(200 + 0.7) > LIMIT
        let input = [0.5f32, -2.0, 3.0, 1.0, 4.0, 200.0];
        let (mut z, mut d) = (input.to_vec(), vec![0.0; 6]);
        sine_layer(&mut z, &mut d, &bias, kappa);
        for (i, x) in input.iter().enumerate() {
            let u = kappa * (x + bias[i % 3]);
            let (s, c) = u.sin_cos();
            let tolerance = if i < 3 { 1e-6 } else { 0.0 };
            assert!((z[i] - s).abs() <= tolerance && (d[i] - kappa * c).abs() <= 30.0 * tolerance, "entry {i}: {} {} vs {s} {}", z[i], d[i], kappa * c);
        }
    }
}
