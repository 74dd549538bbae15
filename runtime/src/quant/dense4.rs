//! `dense` with 4-bit weights: int8 activations times signed 4-bit weights
//! packed two per byte, accumulated in int32 and requantised exactly as the
//! int8 [`dense`](super::dense) layer (`y[o] = clamp(zp_y + M_o (bias[o] +
//! sum_i (x[i] - zp_x) w[o][i]))`, the zero point folded into the start,
//! [`ChannelsRef::start`]). Half the weight memory of int8, which is what
//! bounds a dense layer on a microcontroller.
//!
//! Packing: the weights are `[out][in]`, row-major; byte `j` of a row holds
//! weight `2j` in its low nibble and weight `2j + 1` in its high nibble, in
//! two's complement. A row of odd length ends with a zero high nibble, so
//! every row starts on a byte: a row is [`row_bytes`]`(in) = (in + 1) / 2`
//! bytes, a layer `out * row_bytes(in)`.
//!
//! Values are in `[-7, 7]`, the narrow range: symmetric as the int8 weights'
//! `[-127, 127]` (TFLite's int8 and int4 weight quantisation both use the
//! narrow range, so that `-q` is always representable and the scale
//! `max |w| / 7` maps the largest weight of either sign onto the grid). The
//! code `-8` (`0x8`) is never produced; the kernel would read it as -8.

use super::{symmetric_scale, symmetric_step, Channels, ChannelsRef, Io, QuantError};

/// The largest 4-bit weight, `2^3 - 1`.
pub const QMAX: i32 = 7;

/// Outputs computed per pass over the input, so the accumulators are a
/// small stack array (as in [`dense`](super::dense)).
const CHUNK: usize = 32;

/// Bytes of a row taken per pass (128 weights): the even and odd inputs of
/// that stretch are split once into two stack buffers of this length.
const BLOCK: usize = 64;

/// Bytes of one packed row of `n` 4-bit weights: `(n + 1) / 2`.
pub const fn row_bytes(n: usize) -> usize {
    n.div_ceil(2)
}

/// The low nibble of `b` as a signed 4-bit value.
#[inline]
fn lo(b: u8) -> i8 {
    ((b << 4) as i8) >> 4
}

/// The high nibble of `b` as a signed 4-bit value.
#[inline]
fn hi(b: u8) -> i8 {
    (b as i8) >> 4
}

/// Two 4-bit values in one byte: `a` low, `b` high.
#[inline]
fn pair(a: i8, b: i8) -> u8 {
    ((a as u8) & 0x0f) | ((b as u8) << 4)
}

/// Packs one row `q` (values in `[-7, 7]`) into `packed`, of
/// [`row_bytes`]`(q.len())` bytes, padding an odd row with a zero nibble.
/// A whole `[out][in]` matrix of even `in` packs in one call; of odd `in`,
/// row by row (`q.chunks_exact(n)` with `packed.chunks_exact_mut(row_bytes(n))`).
///
/// # Panics
///
/// If `packed` is not `row_bytes(q.len())` bytes or a value is outside
/// `[-7, 7]`.
pub fn pack_i4(q: &[i8], packed: &mut [u8]) {
    assert_eq!(
        packed.len(),
        row_bytes(q.len()),
        "pack_i4: {} bytes for {} values",
        packed.len(),
        q.len()
    );
    for (b, two) in packed.iter_mut().zip(q.chunks(2)) {
        let (a, c) = (two[0], two.get(1).copied().unwrap_or(0));
        assert!(
            (-7..=7).contains(&a) && (-7..=7).contains(&c),
            "pack_i4: {a}, {c} outside [-7, 7]"
        );
        *b = pair(a, c);
    }
}

/// Unpacks the row `packed` into `q` (its length is the row's; the padding
/// nibble of an odd row is skipped). The inverse of [`pack_i4`].
///
/// # Panics
///
/// If `packed` is not `row_bytes(q.len())` bytes.
pub fn unpack_i4(packed: &[u8], q: &mut [i8]) {
    assert_eq!(
        packed.len(),
        row_bytes(q.len()),
        "unpack_i4: {} bytes for {} values",
        packed.len(),
        q.len()
    );
    for (two, &b) in q.chunks_mut(2).zip(packed) {
        two[0] = lo(b);
        if let Some(v) = two.get_mut(1) {
            *v = hi(b);
        }
    }
}

/// `sum_j xe[j] lo(w[j]) + xo[j] hi(w[j])`: one stretch of a packed row
/// against the even and odd inputs of that stretch. Lane-wise, so it
/// vectorises (widen to i16, multiply-add pairs); at most [`BLOCK`] bytes,
/// so the sum (at most `2 * 64 * 128 * 8`) cannot overflow.
#[inline]
fn dot4(xe: &[i8], xo: &[i8], w: &[u8]) -> i32 {
    xe.iter().zip(xo).zip(w).fold(0i32, |s, ((&e, &o), &b)| {
        s + i32::from(e) * i32::from(lo(b)) + i32::from(o) * i32::from(hi(b))
    })
}

/// One sample: `x` of `n`, `packed` `out` rows of [`row_bytes`]`(n)`
/// bytes (see the module documentation), `y` of `out`, the parameters of
/// [`Channels::prepare4`]. Bit for bit the int8 [`dense`](super::dense)
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
        "int4 dense: {} bytes, {} channels for {n} -> {}",
        packed.len(),
        ch.len(),
        y.len()
    );
    let mut acc = [0i32; CHUNK];
    let (mut xe, mut xo) = ([0i8; BLOCK], [0i8; BLOCK]);
    for (c, ys) in y.chunks_mut(CHUNK).enumerate() {
        let o0 = c * CHUNK;
        let acc = &mut acc[..ys.len()];
        for (j, a) in acc.iter_mut().enumerate() {
            *a = ch.start(o0 + j, io.zp_x);
        }
        let mut b0 = 0;
        while b0 < rb {
            let len = BLOCK.min(rb - b0);
            // The inputs of bytes b0..b0 + len, split into even and odd;
            // the odd input past an odd row's end is 0, so whatever its
            // padding nibble holds adds nothing.
            let xs = &x[2 * b0..n.min(2 * (b0 + len))];
            for (j, two) in xs.chunks(2).enumerate() {
                xe[j] = two[0];
                xo[j] = two.get(1).copied().unwrap_or(0);
            }
            let (xe, xo) = (&xe[..len], &xo[..len]);
            for (j, a) in acc.iter_mut().enumerate() {
                let row = &packed[(o0 + j) * rb + b0..][..len];
                *a = a.wrapping_add(dot4(xe, xo, row));
            }
            b0 += len;
        }
        for (j, (y, &a)) in ys.iter_mut().zip(acc.iter()).enumerate() {
            *y = ch.requantize(o0 + j, a, io);
        }
    }
}

impl<const O: usize> Channels<O> {
    /// [`prepare`](Self::prepare) for 4-bit weights: quantises `w` (`O`
    /// rows, float) symmetrically per row to `[-7, 7]` (scale `max |w_o| /
    /// 7`), packs them into `packed` (`O` rows of [`row_bytes`]`(in)`
    /// bytes) and fills these parameters for an input scale `s_x` and
    /// output scale `s_y`. The dequantised weights are
    /// [`fake_quantize_weights`](super::fake::fake_quantize_weights)`(w, O,
    /// 4)` exactly. `layer` names the layer in errors.
    ///
    /// # Panics
    ///
    /// If `w` is not `O` rows or `packed` is not `O` packed rows.
    pub fn prepare4(
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
            "prepare4: {} bytes for {O} rows of {k}",
            packed.len()
        );
        super::prepare::check_finite(w, bias, layer)?;
        for o in 0..O {
            let row = &w[o * k..][..k];
            let s_w = symmetric_scale(row, QMAX);
            let mut wsum = 0i32;
            for (b, two) in packed[o * rb..][..rb].iter_mut().zip(row.chunks(2)) {
                let a = symmetric_step(two[0], s_w, QMAX);
                let c = two.get(1).map_or(0, |&v| symmetric_step(v, s_w, QMAX));
                wsum += i32::from(a) + i32::from(c);
                *b = pair(a, c);
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

    #[test]
    fn packing_round_trips_with_the_documented_layout() {
        let mut packed = [0u8; 2];
        pack_i4(&[1, -2, -7], &mut packed);
        // Low nibble first; -2 is 0xe; the odd row's pad nibble is 0.
        assert_eq!(packed, [0xe1, 0x09]);
        let mut q = [0i8; 3];
        unpack_i4(&packed, &mut q);
        assert_eq!(q, [1, -2, -7]);
        let all: [i8; 15] = core::array::from_fn(|i| i as i8 - 7);
        let mut packed = [0u8; 8];
        pack_i4(&all, &mut packed);
        let mut back = [0i8; 15];
        unpack_i4(&packed, &mut back);
        assert_eq!(back, all);
        assert_eq!(packed[7] >> 4, 0);
        assert_eq!(row_bytes(0), 0);
        assert_eq!(row_bytes(1), 1);
        assert_eq!(row_bytes(784), 392);
    }

    #[test]
    #[should_panic(expected = "outside [-7, 7]")]
    fn packing_minus_eight_panics() {
        pack_i4(&[-8], &mut [0]);
    }

    /// Random 4-bit rows with -7 and 7 forced in, packed row by row.
    fn random_rows(rng: &mut crate::Rng, n: usize, out: usize) -> (Vec<i8>, Vec<u8>) {
        let mut q: Vec<i8> = (0..n * out).map(|_| rng.below(15) as i8 - 7).collect();
        q[0] = -7;
        q[n * out - 1] = 7;
        if out > 1 {
            q[n..2 * n].fill(-7);
        }
        let mut packed = std::vec![0u8; out * row_bytes(n)];
        for (row, p) in q.chunks_exact(n).zip(packed.chunks_exact_mut(row_bytes(n))) {
            pack_i4(row, p);
        }
        (q, packed)
    }

    use std::vec::Vec;

    #[test]
    fn equals_the_int8_reference_on_the_unpacked_weights() {
        let mut rng = crate::Rng::new(12);
        for (n, out) in [
            (1, 1),
            (2, 3),
            (5, 3),
            (37, 33),
            (127, 7),
            (128, 1),
            (129, 65),
            (301, 31),
        ] {
            let mut x: Vec<i8> = (0..n)
                .map(|_| (rng.below(256) as i32 - 128) as i8)
                .collect();
            x[0] = -128;
            let (q, packed) = random_rows(&mut rng, n, out);
            let mut unpacked = std::vec![0i8; n * out];
            for (row, p) in unpacked
                .chunks_exact_mut(n)
                .zip(packed.chunks_exact(row_bytes(n)))
            {
                unpack_i4(p, row);
            }
            assert_eq!(unpacked, q);
            let mut ch = Channels::<65>::ZEROED;
            let mut mult = [Multiplier { m: 0, shift: 0 }; 65];
            for o in 0..out {
                ch.bias[o] = rng.below(20_001) as i32 - 10_000;
                ch.wsum[o] = q[o * n..][..n].iter().map(|&v| i32::from(v)).sum();
                mult[o] = Multiplier::new(f64::from(rng.uniform()) * 0.05 + 1e-4);
                (ch.mult[o], ch.shift[o]) = (mult[o].m, mult[o].shift);
            }
            let view = ChannelsRef {
                bias: &ch.bias[..out],
                wsum: &ch.wsum[..out],
                mult: &ch.mult[..out],
                shift: &ch.shift[..out],
            };
            let mut clamped = 0;
            for (zp_x, zp_y, lo, hi) in [
                (-128, 5, -128, 127),
                (127, -128, -128, 127),
                (3, 127, -128, 127),
                (0, -20, -20, 100),
                (-128, -128, -128, -118),
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
                clamped += want
                    .iter()
                    .filter(|&&v| i32::from(v) == lo || i32::from(v) == hi)
                    .count();
            }
            assert!(clamped > 0, "{n} -> {out}: no output at a clamp");
        }
    }

    #[test]
    fn a_nonzero_padding_nibble_is_ignored() {
        let x = [5i8, -3, 10];
        let mut packed = [0u8; 2];
        pack_i4(&[2, -1, 7], &mut packed);
        let ch = Channels::<1> {
            bias: [0],
            wsum: [8],
            mult: [Multiplier::new(1.0).m],
            shift: [Multiplier::new(1.0).shift],
            scale: [1.0],
        };
        let io = Io {
            zp_x: 0,
            zp_y: 0,
            lo: -128,
            hi: 127,
        };
        let mut y = [0i8];
        forward(&x, &packed, ch.view(), io, &mut y);
        assert_eq!(y[0], 5 * 2 + 3 + 70);
        packed[1] |= 0x50;
        let mut y2 = [0i8];
        forward(&x, &packed, ch.view(), io, &mut y2);
        assert_eq!(y, y2);
    }

    #[test]
    fn a_prepared_4_bit_layer_approximates_the_float_one() {
        let mut rng = crate::Rng::new(13);
        const I: usize = 23;
        const O: usize = 7;
        let w: [f32; I * O] = core::array::from_fn(|_| rng.normal() * 0.3);
        let b: [f32; O] = core::array::from_fn(|_| rng.normal() * 0.1);
        let xf: [f32; I] = core::array::from_fn(|_| rng.uniform() * 2.0 - 0.5);
        let (s_x, zp_x) = asymmetric_params(-0.5, 1.5);
        let yf: [f32; O] =
            core::array::from_fn(|o| b[o] + (0..I).map(|i| w[o * I + i] * xf[i]).sum::<f32>());
        let (s_y, zp_y) = asymmetric_params(-4.0, 4.0);
        let mut ch = Channels::<O>::ZEROED;
        let mut packed = [0u8; O * row_bytes(I)];
        ch.prepare4(&w, Some(&b), (s_x, s_y), &mut packed, "fc")
            .unwrap();
        // The dequantised packed weights are the fake-quantised ones.
        let mut fake = w;
        fake_quantize_weights(&mut fake, O, 4);
        for o in 0..O {
            let mut q = [0i8; I];
            unpack_i4(&packed[o * row_bytes(I)..][..row_bytes(I)], &mut q);
            assert_eq!(ch.wsum[o], q.iter().map(|&v| i32::from(v)).sum::<i32>());
            assert!(q.iter().any(|&v| v.abs() == 7), "{o}: {q:?}");
            for i in 0..I {
                assert_eq!(
                    (f32::from(q[i]) * ch.scale[o]).to_bits(),
                    fake[o * I + i].to_bits()
                );
            }
        }
        let x: [i8; I] =
            core::array::from_fn(|i| ((xf[i] / s_x).round() as i32 + zp_x).clamp(-128, 127) as i8);
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
            // Half a 4-bit step per weight times the dequantised input, half
            // an input step per weight, and the int32 bias, the two
            // roundings of the multiplier and the output's: two output steps.
            let xq = |i: usize| s_x * (i32::from(x[i]) - zp_x) as f32;
            let bound = 0.5 * ch.scale[o] * (0..I).map(|i| xq(i).abs()).sum::<f32>()
                + 0.5 * s_x * (0..I).map(|i| w[o * I + i].abs()).sum::<f32>()
                + 2.0 * s_y;
            assert!(
                (got - yf[o]).abs() <= bound,
                "{o}: {got} vs {} (bound {bound})",
                yf[o]
            );
            // Against the float layer on the same 4-bit weights and int8
            // input, only the roundings of the int8 path remain.
            let yq = b[o] + (0..I).map(|i| fake[o * I + i] * xq(i)).sum::<f32>();
            assert!((got - yq).abs() <= 2.0 * s_y, "{o}: {got} vs {yq}");
        }
        let mut bad = w;
        bad[3] = f32::INFINITY;
        assert_eq!(
            ch.prepare4(&bad, None, (s_x, s_y), &mut packed, "fc"),
            Err(QuantError::NonFinite { tensor: "fc" })
        );
    }
}
