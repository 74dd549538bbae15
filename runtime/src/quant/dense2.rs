//! `dense` with 2-bit (ternary) weights: int8 activations times weights in
//! `{-1, 0, 1}` packed four per byte, accumulated in int32 and requantised
//! exactly as the int8 [`dense`](super::dense) layer. A quarter of the
//! weight memory of int8.
//!
//! Packing: the weights are `[out][in]`, row-major; byte `j` of a row holds
//! weights `4j .. 4j + 4`, weight `4j + k` in bits `2k, 2k + 1` (lowest
//! first, as [`dense4`](super::dense4)'s nibbles), in two's complement. A
//! row whose length is not a multiple of 4 ends with zero fields, so every
//! row starts on a byte: a row is [`row_bytes`]`(in) = (in + 3) / 4` bytes.
//!
//! Values are in `[-1, 1]`, the narrow range (`qmax = 1`, scale `max |w| /
//! 1`), symmetric as the int8 and 4-bit weights; the code `0b10` (-2) is
//! never produced, the kernel would read it as -2.

use super::{symmetric_scale, symmetric_step, Channels, ChannelsRef, Io, QuantError};

/// The largest 2-bit weight, `2^1 - 1`.
pub const QMAX: i32 = 1;

/// Outputs per pass over the input (the stack accumulators).
const CHUNK: usize = 32;

/// Bytes of a row per pass (128 weights): the inputs of that stretch are
/// split once into four stack buffers of this length, one per field.
const BLOCK: usize = 32;

/// Bytes of one packed row of `n` 2-bit weights: `(n + 3) / 4`.
pub const fn row_bytes(n: usize) -> usize {
    n.div_ceil(4)
}

/// Field `k` (bits `2k, 2k + 1`) of `b`, sign-extended.
#[inline]
fn field<const K: u32>(b: u8) -> i8 {
    ((b << (6 - 2 * K)) as i8) >> 6
}

/// Up to four values in one byte, the first lowest.
#[inline]
fn quad(q: &[i8]) -> u8 {
    q.iter()
        .enumerate()
        .fold(0u8, |b, (k, &v)| b | (((v as u8) & 0b11) << (2 * k)))
}

/// Packs one row `q` (values in `[-1, 1]`) into `packed`, of
/// [`row_bytes`]`(q.len())` bytes, padding with zero fields. A whole
/// `[out][in]` matrix with `in` a multiple of 4 packs in one call; other
/// `in`, row by row.
///
/// # Panics
///
/// If `packed` is not `row_bytes(q.len())` bytes or a value is outside
/// `[-1, 1]`.
pub fn pack_i2(q: &[i8], packed: &mut [u8]) {
    assert_eq!(
        packed.len(),
        row_bytes(q.len()),
        "pack_i2: {} bytes for {} values",
        packed.len(),
        q.len()
    );
    for (b, four) in packed.iter_mut().zip(q.chunks(4)) {
        assert!(
            four.iter().all(|v| (-1..=1).contains(v)),
            "pack_i2: {four:?} outside [-1, 1]"
        );
        *b = quad(four);
    }
}

/// Unpacks the row `packed` into `q` (its length is the row's; padding
/// fields are skipped). The inverse of [`pack_i2`].
///
/// # Panics
///
/// If `packed` is not `row_bytes(q.len())` bytes.
pub fn unpack_i2(packed: &[u8], q: &mut [i8]) {
    assert_eq!(
        packed.len(),
        row_bytes(q.len()),
        "unpack_i2: {} bytes for {} values",
        packed.len(),
        q.len()
    );
    for (four, &b) in q.chunks_mut(4).zip(packed) {
        let all = [field::<0>(b), field::<1>(b), field::<2>(b), field::<3>(b)];
        four.copy_from_slice(&all[..four.len()]);
    }
}

/// `sum_j sum_k x[k][j] field_k(w[j])` over one stretch of a packed row,
/// lane-wise so it vectorises; at most [`BLOCK`] bytes, so the sum (at
/// most `4 * 32 * 128 * 2`) cannot overflow.
#[inline]
fn dot2(x: &[[i8; BLOCK]; 4], w: &[u8]) -> i32 {
    let n = w.len();
    let (x0, x1, x2, x3) = (&x[0][..n], &x[1][..n], &x[2][..n], &x[3][..n]);
    let mut s = 0i32;
    for j in 0..n {
        let b = w[j];
        s += i32::from(x0[j]) * i32::from(field::<0>(b))
            + i32::from(x1[j]) * i32::from(field::<1>(b))
            + i32::from(x2[j]) * i32::from(field::<2>(b))
            + i32::from(x3[j]) * i32::from(field::<3>(b));
    }
    s
}

/// One sample: `x` of `n`, `packed` `out` rows of [`row_bytes`]`(n)`
/// bytes (see the module documentation), `y` of `out`, the parameters of
/// [`Channels::prepare2`]. Bit for bit the int8 [`dense`](super::dense)
/// on the unpacked weights.
///
/// # Panics
///
/// If the lengths disagree.
pub fn forward(x: &[i8], packed: &[u8], ch: ChannelsRef<'_>, io: Io, y: &mut [i8]) {
    let n = x.len();
    let rb = row_bytes(n);
    assert!(
        ch.len() == y.len() && packed.len() == rb * y.len(),
        "int2 dense: {} bytes, {} channels for {n} -> {}",
        packed.len(),
        ch.len(),
        y.len()
    );
    let mut acc = [0i32; CHUNK];
    let mut xs = [[0i8; BLOCK]; 4];
    for (c, ys) in y.chunks_mut(CHUNK).enumerate() {
        let o0 = c * CHUNK;
        let acc = &mut acc[..ys.len()];
        for (j, a) in acc.iter_mut().enumerate() {
            *a = ch.start(o0 + j, io.zp_x);
        }
        let mut b0 = 0;
        while b0 < rb {
            let len = BLOCK.min(rb - b0);
            // The inputs of bytes b0..b0 + len split by field; past the
            // row's end they are 0, so padding fields add nothing.
            let stretch = &x[4 * b0..n.min(4 * (b0 + len))];
            for j in 0..len {
                for (k, xk) in xs.iter_mut().enumerate() {
                    xk[j] = stretch.get(4 * j + k).copied().unwrap_or(0);
                }
            }
            for (j, a) in acc.iter_mut().enumerate() {
                let row = &packed[(o0 + j) * rb + b0..][..len];
                *a = a.wrapping_add(dot2(&xs, row));
            }
            b0 += len;
        }
        for (j, (y, &a)) in ys.iter_mut().zip(acc.iter()).enumerate() {
            *y = ch.requantize(o0 + j, a, io);
        }
    }
}

impl<const O: usize> Channels<O> {
    /// [`prepare`](Self::prepare) for 2-bit weights: quantises `w` (`O`
    /// rows, float) symmetrically per row to `[-1, 1]` (scale `max |w_o|`),
    /// packs them into `packed` (`O` rows of [`row_bytes`]`(in)` bytes) and
    /// fills these parameters for an input scale `s_x` and output scale
    /// `s_y`. The dequantised weights are
    /// [`fake_quantize_weights`](super::fake::fake_quantize_weights)`(w, O,
    /// 2)` exactly. `layer` names the layer in errors.
    ///
    /// # Panics
    ///
    /// If `w` is not `O` rows or `packed` is not `O` packed rows.
    pub fn prepare2(
        &mut self,
        w: &[f32],
        bias: Option<&[f32; O]>,
        (s_x, s_y): (f32, f32),
        packed: &mut [u8],
        layer: &'static str,
    ) -> Result<(), QuantError> {
        assert!(w.len().is_multiple_of(O.max(1)));
        let k = w.len() / O.max(1);
        let rb = row_bytes(k);
        assert_eq!(
            packed.len(),
            O * rb,
            "prepare2: {} bytes for {O} rows of {k}",
            packed.len()
        );
        super::prepare::check_finite(w, bias, layer)?;
        for o in 0..O {
            let row = &w[o * k..][..k];
            let s_w = symmetric_scale(row, QMAX);
            let mut wsum = 0i32;
            for (b, four) in packed[o * rb..][..rb].iter_mut().zip(row.chunks(4)) {
                let mut q = [0i8; 4];
                for (q, &v) in q.iter_mut().zip(four) {
                    *q = symmetric_step(v, s_w, QMAX);
                    wsum += i32::from(*q);
                }
                *b = quad(&q);
            }
            self.set_channel(o, s_w, wsum, bias.map(|b| b[o]), (s_x, s_y));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::fake::fake_quantize_weights;
    use crate::quant::reference::dense_i8;
    use crate::quant::{asymmetric_params, Multiplier};
    use std::vec::Vec;

    #[test]
    fn packing_round_trips_with_the_documented_layout() {
        let mut packed = [0u8; 2];
        pack_i2(&[1, -1, 0, 1, -1], &mut packed);
        // Lowest field first; -1 is 0b11; padding fields are 0.
        assert_eq!(packed, [0b01_00_11_01, 0b00_00_00_11]);
        let mut q = [0i8; 5];
        unpack_i2(&packed, &mut q);
        assert_eq!(q, [1, -1, 0, 1, -1]);
        assert_eq!(row_bytes(0), 0);
        assert_eq!(row_bytes(5), 2);
        assert_eq!(row_bytes(784), 196);
    }

    #[test]
    #[should_panic(expected = "outside [-1, 1]")]
    fn packing_minus_two_panics() {
        pack_i2(&[0, -2], &mut [0]);
    }

    #[test]
    fn equals_the_int8_reference_on_the_unpacked_weights() {
        let mut rng = crate::Rng::new(14);
        for (n, out) in [
            (1, 1),
            (2, 3),
            (3, 5),
            (5, 3),
            (37, 33),
            (127, 7),
            (128, 1),
            (130, 65),
            (301, 31),
        ] {
            let mut x: Vec<i8> = (0..n)
                .map(|_| (rng.below(256) as i32 - 128) as i8)
                .collect();
            x[0] = -128;
            let mut q: Vec<i8> = (0..n * out).map(|_| rng.below(3) as i8 - 1).collect();
            if out > 1 {
                q[n..2 * n].fill(-1);
            }
            let mut packed = std::vec![0u8; out * row_bytes(n)];
            for (row, p) in q.chunks_exact(n).zip(packed.chunks_exact_mut(row_bytes(n))) {
                pack_i2(row, p);
            }
            let mut unpacked = std::vec![0i8; n * out];
            for (row, p) in unpacked
                .chunks_exact_mut(n)
                .zip(packed.chunks_exact(row_bytes(n)))
            {
                unpack_i2(p, row);
            }
            assert_eq!(unpacked, q);
            let mut ch = Channels::<65>::ZEROED;
            let mut mult = [Multiplier { m: 0, shift: 0 }; 65];
            for o in 0..out {
                ch.bias[o] = rng.below(2_001) as i32 - 1_000;
                ch.wsum[o] = q[o * n..][..n].iter().map(|&v| i32::from(v)).sum();
                mult[o] = Multiplier::new(f64::from(rng.uniform()) * 0.2 + 1e-3);
                (ch.mult[o], ch.shift[o]) = (mult[o].m, mult[o].shift);
            }
            let view = ChannelsRef {
                bias: &ch.bias[..out],
                wsum: &ch.wsum[..out],
                mult: &ch.mult[..out],
                shift: &ch.shift[..out],
            };
            for (zp_x, zp_y, lo, hi) in [
                (-128, 5, -128, 127),
                (127, -128, -128, 127),
                (3, 127, -128, 127),
                (0, -20, -20, 100),
            ] {
                let io = Io { zp_x, zp_y, lo, hi };
                let (mut got, mut want) = (std::vec![0i8; out], std::vec![0i8; out]);
                forward(&x, &packed, view, io, &mut got);
                dense_i8(
                    &x,
                    zp_x,
                    &q,
                    &ch.bias[..out],
                    &mult[..out],
                    zp_y,
                    (lo, hi),
                    &mut want,
                );
                assert_eq!(got, want, "{n} -> {out}, {io:?}");
            }
        }
    }

    #[test]
    fn a_prepared_2_bit_layer_is_the_float_layer_on_its_ternary_weights() {
        let mut rng = crate::Rng::new(15);
        const I: usize = 23;
        const O: usize = 7;
        let w: [f32; I * O] = core::array::from_fn(|_| rng.normal() * 0.3);
        let b: [f32; O] = core::array::from_fn(|_| rng.normal() * 0.1);
        let (s_x, zp_x) = asymmetric_params(-0.5, 1.5);
        let (s_y, zp_y) = asymmetric_params(-6.0, 6.0);
        let mut ch = Channels::<O>::ZEROED;
        let mut packed = [0u8; O * row_bytes(I)];
        ch.prepare2(&w, Some(&b), (s_x, s_y), &mut packed, "fc")
            .unwrap();
        let mut fake = w;
        fake_quantize_weights(&mut fake, O, 2);
        for o in 0..O {
            let mut q = [0i8; I];
            unpack_i2(&packed[o * row_bytes(I)..][..row_bytes(I)], &mut q);
            assert_eq!(ch.wsum[o], q.iter().map(|&v| i32::from(v)).sum::<i32>());
            for i in 0..I {
                assert_eq!(
                    (f32::from(q[i]) * ch.scale[o]).to_bits(),
                    fake[o * I + i].to_bits()
                );
            }
        }
        let x: [i8; I] = core::array::from_fn(|_| (rng.below(256) as i32 - 128) as i8);
        let mut y = [0i8; O];
        let io = Io {
            zp_x,
            zp_y,
            lo: -128,
            hi: 127,
        };
        forward(&x, &packed, ch.view(), io, &mut y);
        for o in 0..O {
            let got = s_y * (i32::from(y[o]) - zp_y) as f32;
            let xq = |i: usize| s_x * (i32::from(x[i]) - zp_x) as f32;
            let yq = b[o] + (0..I).map(|i| fake[o * I + i] * xq(i)).sum::<f32>();
            assert!((got - yq).abs() <= 2.0 * s_y, "{o}: {got} vs {yq}");
        }
    }
}
