//! Int8 inference, as TensorFlow Lite's int8 quantisation specification
//! defines it, so that parameters and results are interchangeable with it:
//! a real value is `scale * (q - zero_point)`; weights are int8, symmetric
//! (zero point 0), per output channel; activations int8, asymmetric, per
//! tensor; biases and accumulators int32. Rescaling an accumulator to the
//! output's scale multiplies by a real factor `M = s_in s_w / s_out` held as
//! a Q31 fixed-point multiplier and a power-of-two shift ([`Multiplier`]),
//! with gemmlowp's rounding, so no float is on the inference path. The
//! rounding is the default of TFLite and CMSIS-NN, two roundings (the
//! doubling high multiply, then the shift); their single-rounding builds
//! (`TFLITE_SINGLE_ROUNDING`, `CMSIS_NN_USE_SINGLE_ROUNDING`) can differ by
//! one step.
//!
//! PyTorch's quantised operators (fbgemm) give the same results within one
//! step (`tests/quant_parity.rs`, fixtures from `scripts/quant_fixtures.py`):
//! they requantise in float (the float bias added after rescaling, rounding
//! half to even) where TFLite rounds the bias to int32 and rescales with the
//! two roundings above, and their average pools round ties to even where
//! TFLite's round them away from zero. The two differ only near a half step:
//! at ties of the averages, within `2^shift / 2` steps of one for the leaky
//! ReLU (whose unshifted input makes the first rounding coarse: 1/8 of a
//! step for alpha 0.2), within `M / 2 + 2^shift / 2 <= 1.5 M` steps for
//! dense and convolution layers (the int32 bias, then the first rounding;
//! 1/160 of a step in the tests). Zero-point padding, the maximum and the
//! clamps agree exactly.
//!
//! One file per operation, as `kernels/`: [`dense`], [`conv2d`], [`pool`]
//! (max, average, global average), [`act`] (clamps, leaky ReLU), [`add`]
//! (the residual sum); [`gemv`] is the integer dot product they share, where
//! their instruction set is chosen (and, on x86-64, [`conv2d`] chooses its
//! tile kernel's). [`reference`](mod@reference) holds the scalar
//! reference of the weighted layers, written as TFLite's reference kernels
//! are; [`calib`] observes the ranges of a float network's activations and
//! [`prepare`] turns float weights into a layer's int8 parameters; [`file`](mod@file)
//! saves and loads a whole int8 network. `network!` generates the int8
//! network of a declaration from these (`#[staticnet(quantize)]`).
//!
//! Beyond int8: [`packed`] is the dense layer with signed 4-bit weights
//! packed two per byte or ternary (2-bit) weights packed four per byte
//! (int8 activations, the same requantisation), and
//! [`fake`] rounds float tensors to the values the quantised network holds,
//! with the straight-through backward, for quantisation-aware training.

pub mod act;
pub mod add;
pub mod calib;
pub mod conv2d;
pub mod dense;
pub mod fake;
pub mod file;
pub mod gemv;
pub mod packed;
pub mod pool;
pub mod prepare;
pub mod qat;
pub mod reference;

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
    // gemmlowp truncates `(ab + nudge) / 2^31` toward zero. For `ab >= 0`
    // that is `floor((ab + 2^30) / 2^31)`; for `ab < 0` the numerator
    // `y = ab + 1 - 2^30` is negative, and truncating it is `ceil(y / 2^31)
    // = floor((y + 2^31 - 1) / 2^31) = floor((ab + 2^30) / 2^31)`: one
    // arithmetic shift either way (CMSIS-NN's `arm_nn_doubling_high_mult_no_sat`;
    // a multiply-accumulate and two shifts on a Cortex-M4, no division). The
    // quotient fits in i32 except for `MIN * MIN`, handled above.
    ((i64::from(a) * i64::from(b) + (1 << 30)) >> 31) as i32
}

/// gemmlowp's `RoundingDivideByPOT`: `x / 2^exponent` rounded to nearest,
/// ties away from zero; `exponent` in `0..=31`.
#[inline]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    debug_assert!((0..=31).contains(&exponent));
    // In 32 bits (a 64-bit mask costs a Cortex-M a dozen instructions).
    let mask = (1u32 << (exponent & 31)).wrapping_sub(1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> (exponent & 31)) + i32::from(remainder > threshold)
}

/// Symmetric int8 quantisation of one channel's weights: the scale
/// `max |w| / 127` (1 for an all-zero channel) and `round(w / scale)`.
pub fn quantize_symmetric(w: &[f32], q: &mut [i8]) -> f32 {
    debug_assert_eq!(w.len(), q.len());
    let scale = symmetric_scale(w, 127);
    for (q, &v) in q.iter_mut().zip(w) {
        *q = symmetric_step(v, scale, 127);
    }
    scale
}

/// The scale of a channel quantised symmetrically to `[-qmax, qmax]`:
/// `max |w| / qmax`, 1 for an all-zero channel. Shared by
/// [`quantize_symmetric`] (`qmax` 127), the 4-bit and 2-bit weights of
/// [`packed`] (7 and 1) and the fake quantisation of
/// [`fake`], so that they agree bit for bit.
#[inline]
pub(crate) fn symmetric_scale(w: &[f32], qmax: i32) -> f32 {
    let max = w.iter().fold(0.0f32, |m, &v| m.max(math::abs(v)));
    if max > 0.0 {
        max / qmax as f32
    } else {
        1.0
    }
}

/// `clamp(round(v / scale), -qmax, qmax)`, the integer of one symmetric
/// weight (`qmax <= 127`).
#[inline]
pub(crate) fn symmetric_step(v: f32, scale: f32, qmax: i32) -> i8 {
    let m = qmax as f32;
    libm::roundf(v / scale).clamp(-m, m) as i8
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

/// Why a network could not be quantised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantError {
    /// Calibration saw no value of this tensor (named by the layer whose
    /// output it is, or `input`), or not all the passes its method needs.
    NotCalibrated {
        /// The tensor.
        tensor: &'static str,
    },
    /// A NaN or infinity in this layer's weights or in the tensor's values
    /// during calibration.
    NonFinite {
        /// The tensor or layer.
        tensor: &'static str,
    },
}

impl core::fmt::Display for QuantError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            QuantError::NotCalibrated { tensor } => write!(
                f,
                "`{tensor}` was not calibrated: run every calibration pass over at least one sample"
            ),
            QuantError::NonFinite { tensor } => {
                write!(f, "`{tensor}` holds a NaN or an infinity")
            }
        }
    }
}

impl core::error::Error for QuantError {}

/// The zero points and output clamp of one int8 layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Io {
    /// Zero point of the input.
    pub zp_x: i32,
    /// Zero point of the output.
    pub zp_y: i32,
    /// Smallest output value (`-128`, or the zero point after a fused ReLU).
    pub lo: i32,
    /// Largest output value (`127`, or `6` in output steps after a fused ReLU6).
    pub hi: i32,
}

crate::raw::param_block! {
    /// The per-output-channel parameters of an int8 dense or convolution
    /// layer with `O` output channels (its int8 weights are a separate field
    /// of the quantised network, so that the network's 4-byte fields come
    /// first and no padding is needed).
    pub struct Channels<const O: usize> {
        /// TFLite's int32 bias, in steps of `s_x * s_w[o]`.
        pub bias: [i32; O],
        /// The sum of each output channel's int8 weights: with it the input's
        /// zero point is folded into the accumulator's start,
        /// `bias - zp_x * wsum` (CMSIS-NN's kernel sum).
        pub wsum: [i32; O],
        /// The Q31 mantissa of each channel's [`Multiplier`].
        pub mult: [i32; O],
        /// The shift of each channel's [`Multiplier`].
        pub shift: [i32; O],
        /// Each channel's weight scale `s_w` (TFLite's per-channel scales;
        /// not read on the inference path).
        pub scale: [f32; O],
    }
}

/// A borrowed [`Channels`] of any size, as the kernels take it.
#[derive(Clone, Copy, Debug)]
pub struct ChannelsRef<'a> {
    /// See [`Channels::bias`].
    pub bias: &'a [i32],
    /// See [`Channels::wsum`].
    pub wsum: &'a [i32],
    /// See [`Channels::mult`].
    pub mult: &'a [i32],
    /// See [`Channels::shift`].
    pub shift: &'a [i32],
}

/// The clamp `[lo, hi]` of a tensor with scale `s` and zero point `zp`
/// for the real range `[lo, hi]` (`hi` `None`: unbounded): ReLU's and
/// ReLU6's bounds in steps.
pub fn clamp_range(s: f32, zp: i32, lo: f32, hi: Option<f32>) -> [i32; 2] {
    let q = |v: f32| {
        (libm::roundf(v / s) as i32)
            .saturating_add(zp)
            .clamp(-128, 127)
    };
    [q(lo), hi.map_or(127, q)]
}

/// The index of the largest value (the first of equals); 0 for none.
pub fn argmax(y: &[i8]) -> usize {
    let mut best = 0;
    for (i, &v) in y.iter().enumerate() {
        if v > y[best] {
            best = i;
        }
    }
    best
}

impl<const O: usize> Channels<O> {
    /// The kernels' view.
    pub fn view(&self) -> ChannelsRef<'_> {
        ChannelsRef {
            bias: &self.bias,
            wsum: &self.wsum,
            mult: &self.mult,
            shift: &self.shift,
        }
    }
}

impl<'a> ChannelsRef<'a> {
    /// Output channels.
    pub fn len(&self) -> usize {
        self.bias.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.bias.is_empty()
    }

    /// Channels `o0..o0 + len`.
    #[inline]
    pub fn range(&self, o0: usize, len: usize) -> ChannelsRef<'a> {
        let r = o0..o0 + len;
        ChannelsRef {
            bias: &self.bias[r.clone()],
            wsum: &self.wsum[r.clone()],
            mult: &self.mult[r.clone()],
            shift: &self.shift[r],
        }
    }

    /// The accumulator's start for channel `o`, the input's zero point
    /// folded in: `bias - zp_x * wsum` (wrapping, as the sum it stands for).
    #[inline]
    pub fn start(&self, o: usize, zp_x: i32) -> i32 {
        self.bias[o].wrapping_sub(zp_x.wrapping_mul(self.wsum[o]))
    }

    /// [`ChannelsRef::start`] of every channel into `acc`.
    #[inline]
    pub fn start_all(&self, zp_x: i32, acc: &mut [i32]) {
        for ((a, &b), &s) in acc.iter_mut().zip(self.bias).zip(self.wsum) {
            *a = b.wrapping_sub(zp_x.wrapping_mul(s));
        }
    }

    /// Channel `o`'s accumulator rescaled to the output: `clamp(zp_y + M_o acc)`.
    #[inline]
    pub fn requantize(&self, o: usize, acc: i32, io: Io) -> i8 {
        requantize(acc, self.mult[o], self.shift[o], io)
    }

    /// Channel `o`'s [`Requantizer`].
    #[inline]
    pub fn requantizer(&self, o: usize, io: Io) -> Requantizer {
        Requantizer::new(self.mult[o], self.shift[o], io)
    }

    /// [`ChannelsRef::requantize`] of every channel's accumulator into `y`.
    #[inline]
    pub fn requantize_all<'y>(&self, acc: &[i32], io: Io, y: impl Iterator<Item = &'y mut i8>) {
        for (((y, &a), &m), &s) in y.zip(acc).zip(self.mult).zip(self.shift) {
            *y = requantize(a, m, s, io);
        }
    }
}

/// `clamp(zp_y + M acc)` with `M = (m, shift)`.
#[inline]
fn requantize(acc: i32, m: i32, shift: i32, io: Io) -> i8 {
    Requantizer::new(m, shift, io).apply(acc)
}

/// One channel's rescaling to the output, `clamp(zp_y + M acc)`, with what
/// depends only on the channel worked out once ([`Multiplier::apply`], then
/// the zero point and the clamp), for kernels that rescale several
/// accumulators of a channel.
#[derive(Clone, Copy, Debug)]
pub struct Requantizer {
    m: i32,
    left: u32,
    right: u32,
    /// `2^right - 1`, the bits the rounding shift drops.
    mask: i32,
    /// `mask >> 1`: the largest remainder that rounds down (of a positive value).
    half: i32,
    zp_y: i32,
    lo: i32,
    hi: i32,
}

impl Requantizer {
    /// The rescaling by `M = (m, shift)` into `io`'s output.
    #[inline]
    pub fn new(m: i32, shift: i32, io: Io) -> Self {
        let (left, right) = if shift > 0 { (shift, 0) } else { (0, -shift) };
        // As `Multiplier::apply` and `rounding_divide_by_pot` (shifts modulo 32).
        let (left, right) = ((left & 31) as u32, (right & 31) as u32);
        let mask = (1u32 << right).wrapping_sub(1) as i32;
        Requantizer {
            m,
            left,
            right,
            mask,
            half: mask >> 1,
            zp_y: io.zp_y,
            lo: io.lo,
            hi: io.hi,
        }
    }

    /// Whether [`Requantizer::apply_fast`] is exact for `M = (m, shift)`: a
    /// right shift `r` in `1..=31` (`shift` in `-31..=-1`) and `m` in
    /// `(2^30, 2^31)`, which holds for every factor below 1/2 that
    /// [`Multiplier::new`] makes except the powers of two (`m = 2^30`).
    #[inline]
    pub fn fast(m: i32, shift: i32) -> bool {
        (-31..=-1).contains(&shift) && m > 1 << 30
    }

    /// `y[j] = clamp(zp_y + M acc[j])` for `j < y.len()` (`acc` at least as
    /// long), `M = (m, shift)` with [`Requantizer::fast`] (checked in debug
    /// builds): [`Requantizer::apply`] bit for bit, as one multiply-add and
    /// one shift.
    ///
    /// With `r = -shift >= 1` there is no left shift and [`Requantizer::apply`]
    /// is `q = round(v / 2^r)`, ties away from zero, of `v = floor((x m +
    /// 2^30) / 2^31)` (which fits in i32 and never saturates: `m != MIN`),
    /// that is `q = floor((v + 2^(r - 1) - neg) / 2^r)`, `neg` 1 if `v < 0` else 0 (for `v >= 0` the
    /// remainder rounds up from `2^(r - 1)`, for `v < 0` from `2^(r - 1) +
    /// 1`, as the threshold `mask / 2 + neg` of `rounding_divide_by_pot`).
    /// Nested floors of integer quotients are one floor, so `q = floor((x m
    /// + 2^30 + 2^(30 + r) - 2^31 neg) / 2^(31 + r))`; and `v < 0` iff
    /// `x m < -2^30` iff `x < 0` (`m > 2^30`: `x <= -1` gives `x m <= -m`, `x
    /// >= 0` gives `x m >= 0`). The sum is exact in i64 (`|x m| <= 2^62`),
    /// and `floor(p / 2^(31 + r))` is its high word shifted right by `r - 1`.
    #[inline(always)]
    pub fn apply_fast(m: i32, shift: i32, io: Io, acc: &[i32], y: &mut [i8]) {
        debug_assert!(Self::fast(m, shift));
        let right = (-shift) as u32 & 31;
        // `2^30 + 2^(30 + r)`, from `2^(r - 1)` (an i32 for `r <= 31`): a
        // constant 64-bit shift, cheaper than a variable one.
        let k = (1i64 << 30) + (i64::from(1i32 << (right.wrapping_sub(1) & 31)) << 31);
        for (y, &x) in y.iter_mut().zip(acc) {
            let p = i64::from(x) * i64::from(m) + k + (i64::from(x >> 31) << 31);
            let q = ((p >> 32) as i32) >> (right.wrapping_sub(1) & 31);
            *y = q.saturating_add(io.zp_y).max(io.lo).min(io.hi) as i8;
        }
    }

    /// `clamp(zp_y + M acc)`: `Multiplier::apply`, the saturating sum with
    /// the zero point and the clamp to `[lo, hi]` (`lo <= hi`), bit for bit.
    #[inline(always)]
    pub fn apply(&self, acc: i32) -> i8 {
        let x = acc.wrapping_shl(self.left);
        let v = saturating_rounding_doubling_high_mul(x, self.m);
        // `rounding_divide_by_pot(v, right)` with the channel's mask.
        let threshold = self.half + i32::from(v < 0);
        let q = (v >> self.right) + i32::from(v & self.mask > threshold);
        q.saturating_add(self.zp_y).max(self.lo).min(self.hi) as i8
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
    fn requantizer_apply_fast_equals_apply() {
        let mut rng = crate::Rng::new(5);
        let mut rand = || rng.next_u64() as i32;
        let ms = [
            0,
            1,
            -1,
            1 << 30,
            i32::MAX,
            i32::MAX - 1,
            i32::MIN,
            i32::MIN + 1,
            1_518_500_250,
        ];
        let shifts = [
            0, 1, 5, 30, 31, -1, -2, -7, -12, -23, -24, -29, -30, -31, -32, 33,
        ];
        let ios = [
            Io {
                zp_x: 0,
                zp_y: 0,
                lo: -128,
                hi: 127,
            },
            Io {
                zp_x: 3,
                zp_y: -128,
                lo: -128,
                hi: 127,
            },
            Io {
                zp_x: -9,
                zp_y: 100,
                lo: 100,
                hi: 127,
            },
            Io {
                zp_x: 0,
                zp_y: i32::MAX,
                lo: -5,
                hi: 6,
            },
        ];
        let mut accs = [0i32; 64];
        for (i, a) in accs.iter_mut().enumerate() {
            *a = match i {
                0 => i32::MIN,
                1 => i32::MAX,
                2..=20 => i as i32 - 11,
                _ => rand() >> (i % 31),
            };
        }
        let mut fast = 0;
        for m in ms.into_iter().chain((0..40).map(|_| rand() | 1 << 30)) {
            for shift in shifts {
                for io in ios {
                    let rq = Requantizer::new(m, shift, io);
                    if !Requantizer::fast(m, shift) {
                        continue;
                    }
                    fast += 1;
                    for start in [0, 1, -7, i32::MIN, 123_456] {
                        let (mut y, mut x) = ([0i8; 64], accs);
                        for x in &mut x {
                            *x = x.wrapping_add(start);
                        }
                        Requantizer::apply_fast(m, shift, io, &x, &mut y);
                        for (&a, &y) in x.iter().zip(&y) {
                            let want = rq.apply(a);
                            assert_eq!(y, want, "{m} {shift} {io:?} {start} {a}");
                        }
                    }
                }
            }
        }
        assert!(fast > 100, "{fast} fast multipliers");
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
}
