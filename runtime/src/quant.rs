//! The integer arithmetic of int8 inference, as TensorFlow Lite's int8
//! quantisation specification defines it, so that parameters and results
//! are interchangeable with it: a real value is `scale * (q - zero_point)`;
//! weights are int8, symmetric (zero point 0), per output channel;
//! activations int8, asymmetric, per tensor; biases and accumulators int32.
//! Rescaling an accumulator to the output's scale multiplies by a real
//! factor `M = s_in s_w / s_out` held as a Q31 fixed-point multiplier and a
//! power-of-two shift ([`Multiplier`]), with gemmlowp's rounding, so no float
//! is on the inference path. The rounding is the default of TFLite and
//! CMSIS-NN, two roundings (the doubling high multiply, then the shift);
//! their single-rounding builds (`TFLITE_SINGLE_ROUNDING`,
//! `CMSIS_NN_USE_SINGLE_ROUNDING`) can differ by one step.
//!
//! What is here: the arithmetic and the reference (scalar) int8 dense and
//! convolution layers. `network!` does not generate a quantised type yet.

use crate::math;

/// A real factor `m * 2^(shift - 31)`, `m` in `[2^30, 2^31)` (or 0):
/// TFLite's `(quantized_multiplier, shift)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Multiplier {
    /// Q31 mantissa.
    pub m: i32,
    /// Power of two: left if positive, right if negative.
    pub shift: i32,
}

impl Multiplier {
    /// TFLite's `QuantizeMultiplier`: the nearest Q31 mantissa of `real`
    /// (non-negative, finite) and its exponent; factors below `2^-31` are 0,
    /// and exponents are clamped to 30 (the largest factor TFLite holds).
    pub fn new(real: f64) -> Self {
        if real.is_nan() || real <= 0.0 || !real.is_finite() {
            return Multiplier { m: 0, shift: 0 };
        }
        let (mantissa, exp) = libm::frexp(real);
        // mantissa in [0.5, 1): Q31 is at most 2^31, which carries into exp.
        let mut q = libm::round(mantissa * (1u64 << 31) as f64) as i64;
        let mut shift = exp;
        if q == 1 << 31 {
            q /= 2;
            shift += 1;
        }
        if shift < -31 {
            return Multiplier { m: 0, shift: 0 };
        }
        if shift > 30 {
            return Multiplier {
                m: i32::MAX,
                shift: 30,
            };
        }
        Multiplier { m: q as i32, shift }
    }

    /// `round(x * real)` in TFLite's arithmetic: `x` shifted left, the
    /// doubling high multiply, then a rounding right shift.
    #[inline]
    pub fn apply(self, x: i32) -> i32 {
        let (left, right) = if self.shift > 0 {
            (self.shift, 0)
        } else {
            (0, -self.shift)
        };
        rounding_divide_by_pot(
            saturating_rounding_doubling_high_mul(x.wrapping_mul(1 << left), self.m),
            right,
        )
    }
}

/// gemmlowp's `SaturatingRoundingDoublingHighMul`: `round(a b / 2^31)`, a
/// positive tie up and a negative one toward zero (its nudge is `2^30` or
/// `1 - 2^30`), saturating the one overflow (`MIN * MIN`).
#[inline]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = i64::from(a) * i64::from(b);
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // Truncating division, as C's.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// gemmlowp's `RoundingDivideByPOT`: `x / 2^exponent` rounded to nearest,
/// ties away from zero; `exponent` in `0..=31`.
#[inline]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    debug_assert!((0..=31).contains(&exponent));
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// Symmetric int8 quantisation of one channel's weights: the scale
/// `max |w| / 127` (1 for an all-zero channel) and `round(w / scale)`.
pub fn quantize_symmetric(w: &[f32], q: &mut [i8]) -> f32 {
    debug_assert_eq!(w.len(), q.len());
    let max = w.iter().fold(0.0f32, |m, &v| m.max(math::abs(v)));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    for (q, &v) in q.iter_mut().zip(w) {
        *q = libm::roundf(v / scale).clamp(-127.0, 127.0) as i8;
    }
    scale
}

/// Asymmetric int8 parameters for values in `[min, max]` (widened to hold
/// 0, as TFLite requires): `(scale, zero_point)`.
pub fn asymmetric_params(min: f32, max: f32) -> (f32, i32) {
    let (min, max) = (min.min(0.0), max.max(0.0));
    if max == min {
        return (1.0, 0);
    }
    let scale = (max - min) / 255.0;
    let zero = libm::roundf(-128.0 - min / scale) as i32;
    (scale, zero.clamp(-128, 127))
}

/// A quantised dense layer, TFLite's `FullyConnected` for int8:
/// `y[o] = clamp(zp_y + M_o (sum_i (x[i] - zp_x) w[o][i] + bias[o]))`, with
/// `w: [out][in]` symmetric per output channel and `M_o` its multiplier.
/// The reference every faster int8 dense kernel must equal bit for bit.
pub fn dense_i8(
    x: &[i8],
    zp_x: i32,
    w: &[i8],
    bias: &[i32],
    mult: &[Multiplier],
    zp_y: i32,
    (lo, hi): (i32, i32),
    y: &mut [i8],
) {
    let (n_in, n_out) = (x.len(), y.len());
    debug_assert_eq!(w.len(), n_in * n_out);
    for (o, y) in y.iter_mut().enumerate() {
        let row = &w[o * n_in..][..n_in];
        let acc = row.iter().zip(x).fold(bias[o], |acc, (&w, &x)| {
            acc.wrapping_add((i32::from(x) - zp_x) * i32::from(w))
        });
        *y = (mult[o].apply(acc) + zp_y).clamp(lo, hi) as i8;
    }
}

/// The quantisation of one int8 layer's input, weights and output:
/// `zp_x`, `zp_y` the zero points, `mult` one [`Multiplier`] per output
/// channel, `(lo, hi)` the clamp of the output (the activation's range).
#[derive(Clone, Copy, Debug)]
pub struct Requant<'a> {
    /// Zero point of the input.
    pub zp_x: i32,
    /// Zero point of the output.
    pub zp_y: i32,
    /// One multiplier per output channel.
    pub mult: &'a [Multiplier],
    /// Output clamp, within `[-128, 127]`.
    pub clamp: (i32, i32),
}

/// A quantised 2-d convolution, TFLite's int8 `Conv2D` (and, with groups
/// equal to channels, `DepthwiseConv2D`) on `[C][H][W]`: padding reads the
/// input's zero point (a real 0), weights `[out][C/groups][k_h][k_w]`
/// symmetric per output channel, an int32 bias per output channel. The
/// reference faster int8 convolutions must equal bit for bit.
pub fn conv2d_i8(
    x: &[i8],
    w: &[i8],
    bias: &[i32],
    g: &crate::kernels::conv2d::Conv2dGeom,
    q: Requant<'_>,
    y: &mut [i8],
) {
    let (cin_g, cout_g) = (g.in_c / g.groups, g.out_c / g.groups);
    debug_assert_eq!(x.len(), g.in_c * g.in_h * g.in_w);
    debug_assert_eq!(w.len(), g.out_c * cin_g * g.k_h * g.k_w);
    debug_assert_eq!(y.len(), g.out_c * g.out_h * g.out_w);
    for o in 0..g.out_c {
        let group = o / cout_g;
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let mut acc = bias[o];
                for ci in 0..cin_g {
                    let c = group * cin_g + ci;
                    for ky in 0..g.k_h {
                        for kx in 0..g.k_w {
                            let iy = (oy * g.stride_h + ky * g.dil_h) as isize - g.pad_h as isize;
                            let ix = (ox * g.stride_w + kx * g.dil_w) as isize - g.pad_w as isize;
                            let inside = (0..g.in_h as isize).contains(&iy)
                                && (0..g.in_w as isize).contains(&ix);
                            if !inside {
                                // A padded element is the zero point: x - zp_x = 0.
                                continue;
                            }
                            let xv =
                                i32::from(x[(c * g.in_h + iy as usize) * g.in_w + ix as usize])
                                    - q.zp_x;
                            let wv = i32::from(w[((o * cin_g + ci) * g.k_h + ky) * g.k_w + kx]);
                            acc = acc.wrapping_add(xv * wv);
                        }
                    }
                }
                let v = q.mult[o].apply(acc) + q.zp_y;
                y[(o * g.out_h + oy) * g.out_w + ox] = v.clamp(q.clamp.0, q.clamp.1) as i8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_high_mul_rounds_and_saturates_as_gemmlowp() {
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN),
            i32::MAX
        );
        assert_eq!(
            saturating_rounding_doubling_high_mul(1 << 30, 1 << 30),
            1 << 29
        );
        // 3 * 2^30 / 2^31 = 1.5 -> 2, but -1.5 -> -1 and -0.5 -> 0: gemmlowp's
        // nudge for a negative product is 1 - 2^30, just under a half.
        assert_eq!(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
        assert_eq!(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
        assert_eq!(saturating_rounding_doubling_high_mul(1, 1 << 30), 1);
        assert_eq!(saturating_rounding_doubling_high_mul(-1, 1 << 30), 0);
        assert_eq!(saturating_rounding_doubling_high_mul(-5, 1 << 30), -2);
    }

    #[test]
    fn rounding_shift_rounds_half_away_from_zero() {
        for (x, e, want) in [
            (5, 1, 3),
            (-5, 1, -3),
            (4, 1, 2),
            (-3, 1, -2),
            (6, 2, 2),
            (-6, 2, -2),
            (7, 0, 7),
            (i32::MIN, 31, -1),
        ] {
            assert_eq!(rounding_divide_by_pot(x, e), want, "{x} / 2^{e}");
        }
    }

    #[test]
    fn multipliers_reproduce_their_factor() {
        let mut rng = crate::Rng::new(3);
        for _ in 0..2000 {
            let real = f64::from(rng.uniform()) * 2f64.powi(rng.below(40) as i32 - 30);
            let q = Multiplier::new(real);
            if real < 2f64.powi(-31) {
                continue;
            }
            assert!((1 << 30..=i32::MAX).contains(&q.m), "{real}: {q:?}");
            let back = f64::from(q.m) * 2f64.powi(q.shift - 31);
            assert!(
                (back - real).abs() <= real * 2f64.powi(-30),
                "{real}: {back}"
            );
            // apply(x) is round(x * real) up to the two roundings: within 1.
            for x in [-100_000, -777, -1, 0, 1, 12_345, 1 << 20] {
                let exact = f64::from(x) * back;
                if exact.abs() < 2e9 {
                    let got = q.apply(x);
                    assert!(
                        (f64::from(got) - exact).abs() <= 1.0,
                        "{x} * {real}: {got} vs {exact}"
                    );
                }
            }
        }
        assert_eq!(Multiplier::new(0.0), Multiplier { m: 0, shift: 0 });
        assert_eq!(
            Multiplier::new(0.5),
            Multiplier {
                m: 1 << 30,
                shift: 0
            }
        );
        assert_eq!(
            Multiplier::new(1.0),
            Multiplier {
                m: 1 << 30,
                shift: 1
            }
        );
        assert_eq!(Multiplier::new(1.0).apply(12_345), 12_345);
    }

    /// A float convolution on the dequantised values, for comparison.
    fn conv_f32(
        x: &[f32],
        w: &[f32],
        g: &crate::kernels::conv2d::Conv2dGeom,
        o: usize,
        oy: usize,
        ox: usize,
    ) -> f32 {
        let (cin_g, cout_g) = (g.in_c / g.groups, g.out_c / g.groups);
        let mut acc = 0.0;
        for ci in 0..cin_g {
            let c = (o / cout_g) * cin_g + ci;
            for ky in 0..g.k_h {
                for kx in 0..g.k_w {
                    let iy = (oy * g.stride_h + ky * g.dil_h) as isize - g.pad_h as isize;
                    let ix = (ox * g.stride_w + kx * g.dil_w) as isize - g.pad_w as isize;
                    if (0..g.in_h as isize).contains(&iy) && (0..g.in_w as isize).contains(&ix) {
                        acc += x[(c * g.in_h + iy as usize) * g.in_w + ix as usize]
                            * w[((o * cin_g + ci) * g.k_h + ky) * g.k_w + kx];
                    }
                }
            }
        }
        acc
    }

    #[test]
    fn conv2d_i8_matches_the_float_convolution_of_its_dequantised_values() {
        use crate::kernels::conv2d::Conv2dGeom;
        // Odd sizes, stride, padding, dilation; then depthwise (groups = channels).
        let geoms = [
            Conv2dGeom {
                in_c: 3,
                in_h: 9,
                in_w: 7,
                out_c: 5,
                out_h: 5,
                out_w: 4,
                k_h: 3,
                k_w: 3,
                stride_h: 2,
                stride_w: 2,
                pad_h: 1,
                pad_w: 1,
                dil_h: 1,
                dil_w: 1,
                groups: 1,
            },
            Conv2dGeom {
                in_c: 4,
                in_h: 7,
                in_w: 7,
                out_c: 4,
                out_h: 7,
                out_w: 7,
                k_h: 3,
                k_w: 3,
                stride_h: 1,
                stride_w: 1,
                pad_h: 2,
                pad_w: 2,
                dil_h: 2,
                dil_w: 2,
                groups: 4,
            },
        ];
        let mut rng = crate::Rng::new(5);
        for g in &geoms {
            let cin_g = g.in_c / g.groups;
            let mut xq = [0i8; 256];
            let mut wq = [0i8; 256];
            let (nx, nw, ny) = (
                g.in_c * g.in_h * g.in_w,
                g.out_c * cin_g * g.k_h * g.k_w,
                g.out_c * g.out_h * g.out_w,
            );
            let (s_x, zp_x) = asymmetric_params(-1.0, 2.0);
            for v in &mut xq[..nx] {
                *v = (rng.below(256) as i32 - 128) as i8;
            }
            let mut s_w = [0f32; 8];
            let mut wf = [0f32; 256];
            for v in &mut wf[..nw] {
                *v = rng.normal() * 0.3;
            }
            let per = cin_g * g.k_h * g.k_w;
            for o in 0..g.out_c {
                s_w[o] = quantize_symmetric(&wf[o * per..][..per], &mut wq[o * per..][..per]);
            }
            // Real values the integers stand for.
            let xr: [f32; 256] = core::array::from_fn(|i| s_x * (i32::from(xq[i]) - zp_x) as f32);
            let wr: [f32; 256] = core::array::from_fn(|i| {
                if i < nw {
                    s_w[i / per] * f32::from(wq[i])
                } else {
                    0.0
                }
            });
            let (s_y, zp_y) = asymmetric_params(-4.0, 4.0);
            let mult: [Multiplier; 8] = core::array::from_fn(|o| {
                Multiplier::new(f64::from(s_x) * f64::from(s_w[o]) / f64::from(s_y))
            });
            let bias = [0i32; 8];
            let mut y = [0i8; 256];
            let q = Requant {
                zp_x,
                zp_y,
                mult: &mult,
                clamp: (-128, 127),
            };
            conv2d_i8(&xq[..nx], &wq[..nw], &bias, g, q, &mut y[..ny]);
            for o in 0..g.out_c {
                for oy in 0..g.out_h {
                    for ox in 0..g.out_w {
                        let want = conv_f32(&xr, &wr, g, o, oy, ox)
                            .clamp(s_y * (-128 - zp_y) as f32, s_y * (127 - zp_y) as f32);
                        let got =
                            s_y * (i32::from(y[(o * g.out_h + oy) * g.out_w + ox]) - zp_y) as f32;
                        // Exact integer products; only the final rescale rounds.
                        assert!(
                            (got - want).abs() <= 0.5 * s_y + 1e-4,
                            "{g:?} ({o}, {oy}, {ox}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn dense_i8_equals_a_wide_reference_and_approximates_f32() {
        let mut rng = crate::Rng::new(11);
        let (n_in, n_out) = (37, 13);
        let w: [f32; 37 * 13] = core::array::from_fn(|_| rng.normal() * 0.2);
        let xf: [f32; 37] = core::array::from_fn(|_| rng.uniform() * 4.0 - 1.0);
        let (s_x, zp_x) = asymmetric_params(-1.0, 3.0);
        let mut x = [0i8; 37];
        for (q, &v) in x.iter_mut().zip(&xf) {
            *q = (libm::roundf(v / s_x) as i32 + zp_x).clamp(-128, 127) as i8;
        }
        let mut wq = [0i8; 37 * 13];
        let mut s_w = [0f32; 13];
        for o in 0..n_out {
            s_w[o] = quantize_symmetric(&w[o * n_in..][..n_in], &mut wq[o * n_in..][..n_in]);
        }
        // Output range from the f32 result.
        let yf: [f32; 13] =
            core::array::from_fn(|o| (0..n_in).map(|i| w[o * n_in + i] * xf[i]).sum());
        let (lo, hi) = yf
            .iter()
            .fold((0.0f32, 0.0f32), |(l, h), &v| (l.min(v), h.max(v)));
        let (s_y, zp_y) = asymmetric_params(lo, hi);
        let bias = [0i32; 13];
        let mult: [Multiplier; 13] = core::array::from_fn(|o| {
            Multiplier::new(f64::from(s_x) * f64::from(s_w[o]) / f64::from(s_y))
        });
        let mut y = [0i8; 13];
        dense_i8(&x, zp_x, &wq, &bias, &mult, zp_y, (-128, 127), &mut y);
        for o in 0..n_out {
            // The same arithmetic in i64, step by step.
            let acc: i64 = (0..n_in)
                .map(|i| (i64::from(x[i]) - i64::from(zp_x)) * i64::from(wq[o * n_in + i]))
                .sum();
            let want = (i64::from(mult[o].apply(acc as i32)) + i64::from(zp_y)).clamp(-128, 127);
            assert_eq!(i64::from(y[o]), want, "output {o}");
            // And the real value within a few steps of the output scale.
            let real = s_y * (i32::from(y[o]) - zp_y) as f32;
            assert!(
                (real - yf[o]).abs() <= 4.0 * s_y + 0.02 * yf[o].abs(),
                "output {o}: {real} vs {}",
                yf[o]
            );
        }
    }
}
