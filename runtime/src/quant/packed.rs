//! `dense` with packed sub-byte weights: int8 activations times signed
//! `BITS`-bit weights (`BITS` 4 or 2) packed `8 / BITS` per byte,
//! accumulated in int32 and requantised exactly as the int8
//! [`dense`](super::dense) layer (`y[o] = clamp(zp_y + M_o (bias[o] +
//! sum_i (x[i] - zp_x) w[o][i]))`, the zero point folded into the start,
//! [`ChannelsRef::start`]). Half (4-bit) or a quarter (2-bit, ternary) of
//! the weight memory of int8, which is what bounds a dense layer on a
//! microcontroller.
//!
//! Packing: the weights are `[out][in]`, row-major; byte `j` of a row holds
//! the weights `8 / BITS * j ..`, weight `8 / BITS * j + k` in bits
//! `BITS * k .. BITS * (k + 1)` (lowest first: for 4 bits the low nibble,
//! then the high one), in two's complement. A row whose length is not a
//! multiple of `8 / BITS` ends with zero fields, so every row starts on a
//! byte: a row is [`row_bytes`]`(in)` bytes, a layer `out * row_bytes(in)`.
//!
//! Values are in `[-qmax, qmax]`, `qmax = 2^(BITS - 1) - 1` ([`qmax`]: 7,
//! or 1 for ternary weights), the narrow range: symmetric as the int8
//! weights' `[-127, 127]` (TFLite's int8 and int4 weight quantisation both
//! use it, so that `-q` is always representable and the scale `max |w| /
//! qmax` maps the largest weight of either sign onto the grid). The code
//! `-2^(BITS - 1)` (`0x8`, `0b10`) is never produced; the kernel would read
//! it as that value.

use super::{symmetric_scale, symmetric_step, Channels, ChannelsRef, Io, QuantError};

/// Weights of a row taken per pass over the input: the inputs of that
/// stretch are split once by field into `8 / BITS` stack buffers of
/// `VALUES / (8 / BITS)` (64 or 32), so the dot product runs lane-wise.
const VALUES: usize = 128;

/// Values per byte, `8 / BITS`; `BITS` other than 4 or 2 fails to compile.
pub const fn per_byte<const BITS: u32>() -> usize {
    const { assert!(BITS == 4 || BITS == 2, "packed weights are 4 or 2 bits") };
    (8 / BITS) as usize
}

/// The largest `BITS`-bit weight, `2^(BITS - 1) - 1`.
pub const fn qmax<const BITS: u32>() -> i32 {
    (1 << (BITS - 1)) - 1
}

/// Bytes of one packed row of `n` weights: `n / (8 / BITS)`, rounded up.
pub const fn row_bytes<const BITS: u32>(n: usize) -> usize {
    n.div_ceil(per_byte::<BITS>())
}

/// Field `k` of `b`, sign-extended.
#[inline(always)]
fn field<const BITS: u32>(b: u8, k: usize) -> i8 {
    ((b << (8 - BITS * (k as u32 + 1))) as i8) >> (8 - BITS)
}

/// The byte of the values `q` (at most `8 / BITS`), the first lowest;
/// missing fields are 0.
#[inline]
fn byte<const BITS: u32>(q: &[i8]) -> u8 {
    let mask = (1u8 << BITS) - 1;
    q.iter()
        .enumerate()
        .fold(0, |b, (k, &v)| b | ((v as u8 & mask) << (BITS * k as u32)))
}

/// Packs one row `q` (values in `[-qmax, qmax]`) into `packed`, of
/// [`row_bytes`]`(q.len())` bytes, padding with zero fields. A whole
/// `[out][in]` matrix with `in` a multiple of `8 / BITS` packs in one call;
/// other `in`, row by row (`q.chunks_exact(n)` with
/// `packed.chunks_exact_mut(row_bytes(n))`).
///
/// # Panics
///
/// If `packed` is not `row_bytes(q.len())` bytes or a value is outside
/// `[-qmax, qmax]`.
pub fn pack<const BITS: u32>(q: &[i8], packed: &mut [u8]) {
    check_len::<BITS>(packed.len(), q.len(), "pack");
    let m = qmax::<BITS>();
    for (b, vals) in packed.iter_mut().zip(q.chunks(per_byte::<BITS>())) {
        assert!(
            vals.iter().all(|&v| (-m..=m).contains(&i32::from(v))),
            "pack::<{BITS}>: {vals:?} outside [-{m}, {m}]"
        );
        *b = byte::<BITS>(vals);
    }
}

/// Unpacks the row `packed` into `q` (its length is the row's; padding
/// fields are skipped). The inverse of [`pack`].
///
/// # Panics
///
/// If `packed` is not `row_bytes(q.len())` bytes.
pub fn unpack<const BITS: u32>(packed: &[u8], q: &mut [i8]) {
    check_len::<BITS>(packed.len(), q.len(), "unpack");
    for (vals, &b) in q.chunks_mut(per_byte::<BITS>()).zip(packed) {
        for (k, v) in vals.iter_mut().enumerate() {
            *v = field::<BITS>(b, k);
        }
    }
}

fn check_len<const BITS: u32>(bytes: usize, values: usize, what: &str) {
    assert_eq!(
        bytes,
        row_bytes::<BITS>(values),
        "{what}::<{BITS}>: {bytes} bytes for {values} values"
    );
}

/// `sum_j sum_k xs[k][j] field_k(w[j])` over one stretch of a packed row
/// against its inputs split by field. Lane-wise, so it vectorises (widen
/// to i16, multiply-add pairs); at most [`VALUES`] weights, so the sum (at
/// most `128 * 128 * 7`) cannot overflow.
#[inline(always)]
fn dot<const BITS: u32>(xs: &[[i8; VALUES / 2]; 4], w: &[u8]) -> i32 {
    let w = &w[..w.len().min(VALUES / 2)];
    let mut s = 0i32;
    for (j, &b) in w.iter().enumerate() {
        for (k, xk) in xs[..per_byte::<BITS>()].iter().enumerate() {
            s += i32::from(xk[j]) * i32::from(field::<BITS>(b, k));
        }
    }
    s
}

/// One sample: `x` of `n`, `packed` `out` rows of [`row_bytes`]`(n)`
/// bytes (see the module documentation), `y` of `out`, the parameters of
/// [`Channels::prepare_packed`]. Bit for bit the int8
/// [`dense`](super::dense) on the unpacked weights.
///
/// # Panics
///
/// If the lengths disagree.
pub fn forward<const BITS: u32>(
    x: &[i8],
    packed: &[u8],
    ch: ChannelsRef<'_>,
    io: Io,
    y: &mut [i8],
) {
    let (n, per) = (x.len(), per_byte::<BITS>());
    let rb = row_bytes::<BITS>(n);
    assert!(
        ch.len() == y.len() && packed.len() == rb * y.len(),
        "int{BITS} dense: {} bytes, {} channels for {n} -> {}",
        packed.len(),
        ch.len(),
        y.len()
    );
    let mut xs = [[0i8; VALUES / 2]; 4];
    super::dense::by_chunks(ch, io, y, |o0, _, acc| {
        for b0 in (0..rb).step_by(VALUES / per) {
            let len = (VALUES / per).min(rb - b0);
            // The inputs of bytes b0..b0 + len split by field; past the
            // row's end they are 0, so padding fields add nothing.
            let stretch = &x[per * b0..n.min(per * (b0 + len))];
            for (j, vals) in stretch.chunks(per).enumerate() {
                for (k, xk) in xs[..per].iter_mut().enumerate() {
                    xk[j] = vals.get(k).copied().unwrap_or(0);
                }
            }
            for (j, a) in acc.iter_mut().enumerate() {
                let row = &packed[(o0 + j) * rb + b0..][..len];
                *a = a.wrapping_add(dot::<BITS>(&xs, row));
            }
        }
    });
}

impl<const O: usize> Channels<O> {
    /// [`prepare`](Self::prepare) for `BITS`-bit weights: quantises `w`
    /// (`O` rows, float) symmetrically per row to `[-qmax, qmax]` (scale
    /// `max |w_o| / qmax`, [`qmax`]), packs them into `packed` (`O` rows of
    /// [`row_bytes`]`(in)` bytes) and fills these parameters for an input
    /// scale `s_x` and output scale `s_y`. The dequantised weights are
    /// [`fake_quantize_weights`](super::fake::fake_quantize_weights)`(w, O,
    /// BITS)` exactly. `layer` names the layer in errors.
    ///
    /// # Panics
    ///
    /// If `w` is not `O` rows or `packed` is not `O` packed rows.
    pub fn prepare_packed<const BITS: u32>(
        &mut self,
        w: &[f32],
        bias: Option<&[f32; O]>,
        scales: (f32, f32),
        packed: &mut [u8],
        layer: &'static str,
    ) -> Result<(), QuantError> {
        let k = w.len() / O.max(1);
        let (rb, m) = (row_bytes::<BITS>(k), qmax::<BITS>());
        assert_eq!(
            packed.len(),
            O * rb,
            "prepare_packed::<{BITS}>: {} bytes for {O} rows of {k}",
            packed.len()
        );
        self.prepare_rows(w, bias, scales, layer, |o, row| {
            let s_w = symmetric_scale(row, m);
            let mut wsum = 0i32;
            let bytes = packed[o * rb..][..rb].iter_mut();
            for (b, vals) in bytes.zip(row.chunks(per_byte::<BITS>())) {
                let q: [i8; 4] =
                    core::array::from_fn(|k| vals.get(k).map_or(0, |&v| symmetric_step(v, s_w, m)));
                wsum += q.iter().map(|&v| i32::from(v)).sum::<i32>();
                *b = byte::<BITS>(&q[..per_byte::<BITS>()]);
            }
            (s_w, wsum)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::dense::tests::check_against_reference;
    use crate::quant::fake::fake_quantize_weights;
    use crate::quant::prepare::tests::{float_layer, FloatLayer, I, O};
    use crate::quant::{asymmetric_params, Multiplier};
    use std::vec::Vec;

    /// Runs `test::<4>()` and `test::<2>()`.
    macro_rules! both {
        ($($name:ident),*) => {$(
            mod $name {
                #[test]
                fn bits_4() { super::$name::<4>() }
                #[test]
                fn bits_2() { super::$name::<2>() }
            }
        )*};
    }
    both!(round_trip, reference, padding_is_ignored, prepared);

    #[test]
    fn the_documented_layouts() {
        let mut packed = [0u8; 2];
        pack::<4>(&[1, -2, -7], &mut packed);
        // Low nibble first; -2 is 0xe; the odd row's pad nibble is 0.
        assert_eq!(packed, [0xe1, 0x09]);
        pack::<2>(&[1, -1, 0, 1, -1], &mut packed);
        // Lowest field first; -1 is 0b11; padding fields are 0.
        assert_eq!(packed, [0b01_00_11_01, 0b00_00_00_11]);
        assert_eq!((row_bytes::<4>(0), row_bytes::<4>(1)), (0, 1));
        assert_eq!((row_bytes::<4>(784), row_bytes::<2>(784)), (392, 196));
        assert_eq!((row_bytes::<2>(5), qmax::<4>(), qmax::<2>()), (2, 7, 1));
    }

    #[test]
    #[should_panic(expected = "outside [-7, 7]")]
    fn packing_minus_eight_panics() {
        pack::<4>(&[-8], &mut [0]);
    }

    #[test]
    #[should_panic(expected = "outside [-1, 1]")]
    fn packing_minus_two_panics() {
        pack::<2>(&[0, -2], &mut [0]);
    }

    fn round_trip<const BITS: u32>() {
        // The `2 qmax + 1` (odd) values `per_byte` times over, so each is
        // at every position of a byte, then one more: the row ends in padding.
        let (m, per) = (qmax::<BITS>(), per_byte::<BITS>());
        let values = 2 * m as usize + 1;
        let all: Vec<i8> = (0..values * per + 1)
            .map(|i| ((i % values) as i32 - m) as i8)
            .collect();
        let mut packed = std::vec![0u8; row_bytes::<BITS>(all.len())];
        pack::<BITS>(&all, &mut packed);
        let mut back = std::vec![0i8; all.len()];
        unpack::<BITS>(&packed, &mut back);
        assert_eq!(back, all);
        let used = all.len() % per;
        assert_eq!(packed.last().unwrap() >> (BITS * used as u32), 0);
    }

    /// Random rows, `-qmax` and `qmax` forced in, packed row by row.
    fn random_rows<const BITS: u32>(rng: &mut crate::Rng, n: usize, out: usize) -> Vec<u8> {
        let m = qmax::<BITS>();
        let mut q: Vec<i8> = (0..n * out)
            .map(|_| (rng.below(2 * m as usize + 1) as i32 - m) as i8)
            .collect();
        (q[0], q[n * out - 1]) = (-m as i8, m as i8);
        if out > 1 {
            q[n..2 * n].fill(-m as i8);
        }
        let mut packed = std::vec![0u8; out * row_bytes::<BITS>(n)];
        let rows = packed.chunks_exact_mut(row_bytes::<BITS>(n));
        for (row, p) in q.chunks_exact(n).zip(rows) {
            pack::<BITS>(row, p);
        }
        packed
    }

    fn reference<const BITS: u32>() {
        let mut rng = crate::Rng::new(10 + u64::from(BITS));
        let (bias, mult) = if BITS == 4 {
            (10_000, 0.05)
        } else {
            (1_000, 0.2)
        };
        let ns = [1, 2, 3, 5, 37, 127, 128, 129, 130, 301];
        for (n, out) in ns.into_iter().zip([1, 3, 5, 3, 33, 7, 1, 65, 65, 31]) {
            let mut x: Vec<i8> = (0..n)
                .map(|_| (rng.below(256) as i32 - 128) as i8)
                .collect();
            x[0] = -128;
            let packed = random_rows::<BITS>(&mut rng, n, out);
            let mut q = std::vec![0i8; n * out];
            let rows = packed.chunks_exact(row_bytes::<BITS>(n));
            for (row, p) in q.chunks_exact_mut(n).zip(rows) {
                unpack::<BITS>(p, row);
            }
            let clamped = check_against_reference(&mut rng, &x, &q, (bias, mult), |ch, io, y| {
                forward::<BITS>(&x, &packed, ch, io, y)
            });
            assert!(clamped > 0, "{n} -> {out}: no output at a clamp");
        }
    }

    fn padding_is_ignored<const BITS: u32>() {
        let (x, m) = ([5i8, -3, 10], qmax::<BITS>() as i8);
        let w = [2.min(m), -1, m];
        let mut packed = [0u8; 2];
        let packed = &mut packed[..row_bytes::<BITS>(3)];
        pack::<BITS>(&w, packed);
        let one = Multiplier::new(1.0);
        let ch = Channels::<1> {
            bias: [0],
            wsum: [w.iter().map(|&v| i32::from(v)).sum()],
            mult: [one.m],
            shift: [one.shift],
            scale: [1.0],
        };
        let io = Io {
            zp_x: 0,
            zp_y: 0,
            lo: -128,
            hi: 127,
        };
        let mut y = [0i8; 2];
        forward::<BITS>(&x, packed, ch.view(), io, &mut y[..1]);
        assert_eq!(i32::from(y[0]), 5 * i32::from(w[0]) + 3 + 10 * i32::from(m));
        // Every padding field of the last byte set.
        *packed.last_mut().unwrap() |= 0xff << (BITS * (3 % per_byte::<BITS>()) as u32);
        forward::<BITS>(&x, packed, ch.view(), io, &mut y[1..]);
        assert_eq!(y[0], y[1]);
    }

    fn prepared<const BITS: u32>() {
        let FloatLayer {
            w,
            b,
            x,
            y: yf,
            s_x,
            zp_x,
        } = float_layer(11 + u64::from(BITS));
        let rb = row_bytes::<BITS>(I);
        let (s_y, zp_y) = asymmetric_params(-6.0, 6.0);
        let mut ch = Channels::<O>::ZEROED;
        let mut packed = [0u8; O * row_bytes::<4>(I)];
        let packed = &mut packed[..O * rb];
        ch.prepare_packed::<BITS>(&w, Some(&b), (s_x, s_y), packed, "fc")
            .unwrap();
        // The dequantised packed weights are the fake-quantised ones.
        let mut fake = w;
        fake_quantize_weights(&mut fake, O, BITS);
        for o in 0..O {
            let mut q = [0i8; I];
            unpack::<BITS>(&packed[o * rb..][..rb], &mut q);
            assert_eq!(ch.wsum[o], q.iter().map(|&v| i32::from(v)).sum::<i32>());
            assert!(q.iter().any(|&v| i32::from(v).abs() == qmax::<BITS>()));
            for i in 0..I {
                let dequantised = f32::from(q[i]) * ch.scale[o];
                assert_eq!(dequantised.to_bits(), fake[o * I + i].to_bits());
            }
        }
        let mut y = [0i8; O];
        let io = Io {
            zp_x,
            zp_y,
            lo: -128,
            hi: 127,
        };
        forward::<BITS>(&x, packed, ch.view(), io, &mut y);
        for o in 0..O {
            let got = s_y * (i32::from(y[o]) - zp_y) as f32;
            // Half a weight step per weight times the dequantised input, half
            // an input step per weight, and the int32 bias, the two
            // roundings of the multiplier and the output's: two output steps.
            let xq = |i: usize| s_x * (i32::from(x[i]) - zp_x) as f32;
            let bound = 0.5 * ch.scale[o] * (0..I).map(|i| xq(i).abs()).sum::<f32>()
                + 0.5 * s_x * (0..I).map(|i| w[o * I + i].abs()).sum::<f32>()
                + 2.0 * s_y;
            assert!((got - yf[o]).abs() <= bound, "{o}: {got} vs {}", yf[o]);
            // Against the float layer on the same rounded weights and int8
            // input, only the roundings of the int8 path remain.
            let yq = b[o] + (0..I).map(|i| fake[o * I + i] * xq(i)).sum::<f32>();
            assert!((got - yq).abs() <= 2.0 * s_y, "{o}: {got} vs {yq}");
        }
        let mut bad = w;
        bad[3] = f32::INFINITY;
        assert_eq!(
            ch.prepare_packed::<BITS>(&bad, None, (s_x, s_y), packed, "fc"),
            Err(QuantError::NonFinite { tensor: "fc" })
        );
    }
}
