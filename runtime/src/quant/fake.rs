//! Fake quantisation for quantisation-aware training: float tensors rounded
//! to exactly the values the int8 (or 4-bit) network represents, so a
//! network trained through them sees the quantisation error during
//! training, and the backward pass of that rounding.
//!
//! - Activations, per tensor, asymmetric ([`fake_quantize`]): `x = s
//!   (clamp(round(x / s) + z, lo, hi) - z)`, the same float operations as
//!   the generated `quantize_input` (`libm::roundf`, ties away from zero,
//!   the `as i32` conversion, a saturating add, the clamp) followed by the
//!   generated `dequantize_output` (`s * (q - z) as f32`), so the value is
//!   bit for bit the one the int8 network holds. `[lo, hi]` is `[-128,
//!   127]`, or the clamp of a fused ReLU or ReLU6 ([`clamp_range`]).
//! - Weights, per output channel, symmetric ([`fake_quantize_weights`]):
//!   `w = s_o clamp(round(w / s_o), -qmax, qmax)`, `s_o = max |w_o| / qmax`,
//!   for `bits` of 8 ([`quantize_symmetric`] exactly), 4 or 2 ([`packed`]).
//!
//! The backward ([`fake_quantize_backward`]) is the straight-through
//! estimator with clipping, as PyTorch's `FakeQuantize`: the rounding is
//! treated as the identity (its true derivative is 0 almost everywhere, which
//! would stop all learning), and the clamp keeps its own derivative, 0
//! outside `[lo, hi]`, so values that saturate get no gradient pushing them
//! further out. The scale and zero point are fixed here (observed, as in
//! PyTorch's default QAT); the variants that learn them (LSQ, PACT) are out
//! of scope.
//!
//! [`clamp_range`]: super::clamp_range
//! [`quantize_symmetric`]: super::quantize_symmetric
//! [`packed`]: super::packed

use super::{symmetric_scale, symmetric_step};

/// The integer the int8 network holds for `v` before the clamp:
/// `round(v / scale) + zero`, as the generated `quantize_input` computes it
/// (the conversion saturates, NaN is 0).
#[inline]
fn step(v: f32, scale: f32, zero: i32) -> i32 {
    (libm::roundf(v / scale) as i32).saturating_add(zero)
}

/// Fake-quantises `x` in place to the grid of scale `scale` and zero point
/// `zero`, clamped to `[lo, hi]` in steps: `x = scale * (clamp(round(x /
/// scale) + zero, lo, hi) - zero)`, the value the int8 network represents.
/// Keep a copy of `x` for [`fake_quantize_backward`].
pub fn fake_quantize(x: &mut [f32], scale: f32, zero: i32, lo: i32, hi: i32) {
    debug_assert!(lo <= hi);
    for v in x {
        let q = step(*v, scale, zero).clamp(lo, hi);
        *v = scale * (q - zero) as f32;
    }
}

/// The straight-through estimator of [`fake_quantize`] with clipping
/// (PyTorch's `FakeQuantize` backward): `g[i]` is kept where
/// `round(x_before[i] / scale) + zero` is within `[lo, hi]` and set to 0
/// elsewhere. `x_before` is the input of the forward (before it was
/// rounded in place), `g` the gradient of its output, turned into the
/// gradient of its input. See the module documentation for why.
pub fn fake_quantize_backward(
    x_before: &[f32],
    g: &mut [f32],
    scale: f32,
    zero: i32,
    lo: i32,
    hi: i32,
) {
    assert_eq!(
        x_before.len(),
        g.len(),
        "fake_quantize_backward: {} inputs, {} gradients",
        x_before.len(),
        g.len()
    );
    for (g, &v) in g.iter_mut().zip(x_before) {
        if !(lo..=hi).contains(&step(v, scale, zero)) {
            *g = 0.0;
        }
    }
}

/// Fake-quantises the weights `w` (`rows` output channels of
/// `w.len() / rows`, row-major) in place, per row symmetric to `bits` bits:
/// `qmax = 2^(bits - 1) - 1` (127 for 8, 7 for 4, 1 for 2), the row's
/// scale `max |w_row| / qmax` (1 for an all-zero row), `w = scale *
/// clamp(round(w / scale), -qmax, qmax)`. For 8 bits this is exactly the
/// dequantised [`quantize_symmetric`](super::quantize_symmetric), for 4
/// and 2 the dequantised weights of
/// [`Channels::prepare_packed`](super::Channels::prepare_packed).
///
/// The backward is the identity (every weight is within its row's range,
/// so the clipped straight-through estimator passes every gradient).
///
/// # Panics
///
/// If `bits` is not in `2..=8` or `w` is not `rows` rows.
pub fn fake_quantize_weights(w: &mut [f32], rows: usize, bits: u32) {
    assert!(
        (2..=8).contains(&bits),
        "fake_quantize_weights: {bits} bits, not 2 to 8"
    );
    assert!(
        if rows == 0 {
            w.is_empty()
        } else {
            w.len().is_multiple_of(rows)
        },
        "fake_quantize_weights: {} weights in {rows} rows",
        w.len()
    );
    if w.is_empty() {
        return;
    }
    let qmax = (1i32 << (bits - 1)) - 1;
    for row in w.chunks_exact_mut(w.len() / rows) {
        let scale = symmetric_scale(row, qmax);
        for v in row {
            *v = f32::from(symmetric_step(*v, scale, qmax)) * scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::{asymmetric_params, quantize_symmetric};

    /// Random values over `[-span, span]` with a few exact grid points,
    /// halves (rounding ties) and far out-of-range values forced in.
    fn values(rng: &mut crate::Rng, n: usize, span: f32, scale: f32) -> std::vec::Vec<f32> {
        let mut x: std::vec::Vec<f32> =
            (0..n).map(|_| (rng.uniform() * 2.0 - 1.0) * span).collect();
        for (i, v) in x.iter_mut().enumerate().step_by(7) {
            *v = match i % 4 {
                0 => scale * (rng.below(301) as f32 - 150.0),
                1 => scale * (rng.below(301) as f32 - 150.0 + 0.5),
                2 => 1e6,
                _ => -1e6,
            };
        }
        x
    }

    /// Scales, zero points and clamps: the full int8 range at both zero
    /// point extremes (`[0, 2]` puts it at -128, `[-2, 0]` at 127), and the
    /// clamp of a fused ReLU6.
    fn grid(i: usize) -> (f32, i32, i32, i32) {
        let (min, max) = [
            (-1.0, 3.0),
            (-0.25, 0.1),
            (0.0, 2.0),
            (-2.0, 0.0),
            (-1.0, 6.5),
        ][i];
        let (s, z) = asymmetric_params(min, max);
        let [lo, hi] = if i == 4 {
            crate::quant::clamp_range(s, z, 0.0, Some(6.0))
        } else {
            [-128, 127]
        };
        (s, z, lo, hi)
    }

    const GRIDS: usize = 5;

    #[test]
    fn forward_is_the_int8_value() {
        let mut rng = crate::Rng::new(41);
        for i in 0..GRIDS {
            let (s, z, lo, hi) = grid(i);
            for n in [1, 7, 33, 257] {
                let x = values(&mut rng, n, 300.0 * s, s);
                let mut y = x.clone();
                fake_quantize(&mut y, s, z, lo, hi);
                for (&v, &y) in x.iter().zip(&y) {
                    // The generated `quantize_input`, its clamp the layer's.
                    let q = ((crate::math::round(v / s) as i32).saturating_add(z)).clamp(-128, 127);
                    let q = q.clamp(lo, hi) as i8;
                    // The generated `dequantize_output`.
                    let want = s * (i32::from(q) - z) as f32;
                    assert_eq!(y.to_bits(), want.to_bits(), "{v} on grid {i}");
                }
            }
        }
    }

    #[test]
    fn forward_is_idempotent_and_keeps_grid_values() {
        let mut rng = crate::Rng::new(42);
        for i in 0..GRIDS {
            let (s, z, lo, hi) = grid(i);
            for n in [1, 5, 31, 129] {
                let mut once = values(&mut rng, n, 300.0 * s, s);
                fake_quantize(&mut once, s, z, lo, hi);
                let mut twice = once.clone();
                fake_quantize(&mut twice, s, z, lo, hi);
                assert_eq!(once, twice, "grid {i}, n {n}");
                // Every representable value is a fixed point.
                let grid: std::vec::Vec<f32> = (lo..=hi).map(|q| s * (q - z) as f32).collect();
                let mut same = grid.clone();
                fake_quantize(&mut same, s, z, lo, hi);
                assert_eq!(same, grid, "grid {i}");
            }
        }
    }

    #[test]
    fn backward_masks_where_the_clamp_is_active() {
        let mut rng = crate::Rng::new(43);
        for i in 0..GRIDS {
            let (s, z, lo, hi) = grid(i);
            for n in [1, 9, 65, 255] {
                let x = values(&mut rng, n, 300.0 * s, s);
                let g0: std::vec::Vec<f32> = (0..n).map(|_| rng.normal()).collect();
                let mut g = g0.clone();
                fake_quantize_backward(&x, &mut g, s, z, lo, hi);
                let mut kept = 0;
                for j in 0..n {
                    // Directly, the sum in i64 (no saturation to mirror).
                    let r = libm::roundf(x[j] / s) as i64 + i64::from(z);
                    let inside = (i64::from(lo)..=i64::from(hi)).contains(&r);
                    let want = if inside { g0[j] } else { 0.0 };
                    assert_eq!(g[j], want, "x {} on grid {i}", x[j]);
                    kept += usize::from(inside);
                }
                if n > 9 {
                    assert!(kept > 0 && kept < n, "grid {i}: {kept} of {n} kept");
                }
            }
        }
    }

    /// The STE gradient against finite differences of the forward. The
    /// forward is piecewise constant, so an infinitesimal difference is 0
    /// everywhere: the difference is taken over one whole step (`h =
    /// scale`), the quantiser's own resolution, at points a quarter step
    /// from any rounding boundary. Inside the range (the point and both
    /// neighbours unclamped) it is that of the identity, 1, and the STE
    /// passes the gradient; beyond the range it is 0, and so is the STE's.
    #[test]
    fn ste_gradient_matches_a_one_step_difference() {
        let mut rng = crate::Rng::new(44);
        for i in 0..GRIDS {
            let (s, z, lo, hi) = grid(i);
            let n = 301;
            // Loss sum_j c_j fq(x_j), whose STE gradient is c_j * mask_j.
            let c: std::vec::Vec<f32> = (0..n).map(|_| rng.normal()).collect();
            let x: std::vec::Vec<f32> = (0..n)
                .map(|_| {
                    // Integer steps from -200 to 200 plus a quarter-step
                    // offset of either sign: away from the ties.
                    let k = rng.below(401) as f32 - 200.0;
                    let frac = 0.1 + 0.3 * rng.uniform();
                    let frac = if rng.below(2) == 0 { frac } else { -frac };
                    s * (k + frac)
                })
                .collect();
            let mut g = c.clone();
            fake_quantize_backward(&x, &mut g, s, z, lo, hi);
            let (mut inside, mut outside) = (0, 0);
            for j in 0..n {
                let fq = |v: f32| {
                    let mut t = [v];
                    fake_quantize(&mut t, s, z, lo, hi);
                    t[0]
                };
                let fd = c[j] * (fq(x[j] + s) - fq(x[j] - s)) / (2.0 * s);
                let r = libm::roundf(x[j] / s) as i32 + z;
                // Both neighbours r - 1 and r + 1 unclamped.
                if lo < r && r < hi {
                    assert!(
                        (fd - g[j]).abs() <= 1e-3 * c[j].abs(),
                        "{j}: {fd} vs {}",
                        g[j]
                    );
                    assert_eq!(g[j], c[j]);
                    inside += 1;
                } else if r < lo - 1 || r > hi + 1 {
                    assert_eq!(fd, 0.0, "{j}");
                    assert_eq!(g[j], 0.0, "{j}");
                    outside += 1;
                }
            }
            assert!(
                inside > 10 && outside > 10,
                "grid {i}: {inside} in, {outside} out"
            );
        }
    }

    #[test]
    fn weights_at_8_bits_are_the_dequantised_int8_weights() {
        let mut rng = crate::Rng::new(45);
        for (rows, k) in [(1, 1), (3, 7), (5, 33), (7, 1), (11, 129)] {
            let mut w: std::vec::Vec<f32> = (0..rows * k).map(|_| rng.normal() * 0.4).collect();
            // An all-zero row and a single-value row.
            if rows > 2 {
                w[k..2 * k].fill(0.0);
                w[2 * k..3 * k].fill(-0.3);
            }
            let mut fake = w.clone();
            fake_quantize_weights(&mut fake, rows, 8);
            for o in 0..rows {
                let mut q = std::vec![0i8; k];
                let scale = quantize_symmetric(&w[o * k..][..k], &mut q);
                for i in 0..k {
                    let want = f32::from(q[i]) * scale;
                    assert_eq!(
                        fake[o * k + i].to_bits(),
                        want.to_bits(),
                        "{rows}x{k} [{o}][{i}]"
                    );
                }
            }
        }
    }

    #[test]
    fn weights_are_idempotent_on_their_grid_at_every_width() {
        let mut rng = crate::Rng::new(46);
        for bits in [2, 3, 4, 8] {
            let qmax = (1i32 << (bits - 1)) - 1;
            for (rows, k) in [(1, 1), (3, 5), (7, 31), (9, 65)] {
                let mut once: std::vec::Vec<f32> = (0..rows * k).map(|_| rng.normal()).collect();
                fake_quantize_weights(&mut once, rows, bits);
                for row in once.chunks_exact(k) {
                    let scale = symmetric_scale(row, qmax);
                    // At most 2 qmax + 1 distinct values per row, on the grid.
                    for &v in row {
                        let r = v / scale;
                        assert!(
                            (r - libm::roundf(r)).abs() < 1e-4,
                            "{bits} bits: {v} / {scale}"
                        );
                        assert!(libm::roundf(r).abs() <= qmax as f32);
                    }
                }
                let mut twice = once.clone();
                fake_quantize_weights(&mut twice, rows, bits);
                // The row's maximum is qmax steps; the scale recomputed from
                // it can differ from the first by an ulp, and so the values.
                for (a, b) in once.iter().zip(&twice) {
                    assert!(
                        (a - b).abs() <= 2.0 * f32::EPSILON * a.abs(),
                        "{bits}: {a} {b}"
                    );
                }
            }
            // A grid of a power-of-two scale is kept exactly.
            let k = 2 * qmax as usize + 1;
            let grid: std::vec::Vec<f32> = (-qmax..=qmax).map(|q| q as f32 * 0.125).collect();
            let mut same = grid.clone();
            fake_quantize_weights(&mut same, 1, bits);
            assert_eq!(same, grid, "{bits} bits, {k}");
        }
    }

    #[test]
    #[should_panic(expected = "fake_quantize_weights")]
    fn one_bit_weights_panic() {
        fake_quantize_weights(&mut [1.0, 2.0], 1, 1);
    }
}
