//! `dense` in int8: TFLite's `FullyConnected` with per-channel weights,
//! `y[o] = clamp(zp_y + M_o (bias[o] + sum_i (x[i] - zp_x) w[o][i]))`, the
//! zero point folded into the accumulator's start ([`ChannelsRef::start`]).

use super::gemv::gemv_i8;
use super::{ChannelsRef, Io};

/// Outputs computed per pass over the input, so the accumulators are a
/// small stack array.
const CHUNK: usize = 32;

/// One sample: `x` of `n`, `w` `[out][n]`, `y` of `out`.
pub fn forward(x: &[i8], w: &[i8], ch: ChannelsRef<'_>, io: Io, y: &mut [i8]) {
    let n = x.len();
    assert!(
        ch.len() == y.len() && w.len() == n * y.len(),
        "int8 dense: {} weights, {} channels for {n} -> {}",
        w.len(),
        ch.len(),
        y.len()
    );
    by_chunks(ch, io, y, |o0, ch, acc| {
        gemv_i8(x, &w[o0 * n..(o0 + acc.len()) * n], ch.wsum, acc);
    });
}

/// The frame of a dense kernel, shared with [`packed`](super::packed): the
/// outputs [`CHUNK`] at a time, each accumulator started
/// ([`ChannelsRef::start_all`]), `add(o0, channels, acc)` adding the dot
/// products of outputs `o0..o0 + acc.len()`, then requantised into `y`.
#[inline(always)]
pub(super) fn by_chunks(
    ch: ChannelsRef<'_>,
    io: Io,
    y: &mut [i8],
    mut add: impl FnMut(usize, ChannelsRef<'_>, &mut [i32]),
) {
    let mut acc = [0i32; CHUNK];
    for (c, ys) in y.chunks_mut(CHUNK).enumerate() {
        let (o0, len) = (c * CHUNK, ys.len());
        let (acc, ch) = (&mut acc[..len], ch.range(o0, len));
        ch.start_all(io.zp_x, acc);
        add(o0, ch, acc);
        ch.requantize_all(acc, io, ys.iter_mut());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::quant::reference::dense_i8;
    use crate::quant::{Channels, Multiplier};

    /// Checks `forward(channels, io, y)` bit for bit against [`dense_i8`] on
    /// `x` and the int8 weights `w` (`[out][n]`, `out <= 65`) for random
    /// channels (biases within `±bias`, multipliers below `mult`) and
    /// extreme zero points and clamps. Returns how many outputs are at a
    /// clamp.
    pub(crate) fn check_against_reference(
        rng: &mut crate::Rng,
        x: &[i8],
        w: &[i8],
        (bias, mult): (usize, f64),
        forward: impl Fn(ChannelsRef<'_>, Io, &mut [i8]),
    ) -> usize {
        let (n, out) = (x.len(), w.len() / x.len());
        let mut ch = Channels::<65>::ZEROED;
        let mut mults = [Multiplier { m: 0, shift: 0 }; 65];
        for o in 0..out {
            ch.bias[o] = rng.below(2 * bias + 1) as i32 - bias as i32;
            ch.wsum[o] = w[o * n..][..n].iter().map(|&v| i32::from(v)).sum();
            mults[o] = Multiplier::new(f64::from(rng.uniform()) * mult + mult / 500.0);
            (ch.mult[o], ch.shift[o]) = (mults[o].m, mults[o].shift);
        }
        let view = ch.view().range(0, out);
        let mut clamped = 0;
        for (zp_x, zp_y, lo, hi) in [
            (-128, 5, -128, 127),
            (127, -128, -128, 127),
            (3, -128, -128, 127),
            (3, 127, -128, 127),
            (0, -20, -20, 100),
            (-128, -128, -128, -118),
        ] {
            let io = Io { zp_x, zp_y, lo, hi };
            let (mut got, mut want) = ([0i8; 65], [0i8; 65]);
            let (got, want) = (&mut got[..out], &mut want[..out]);
            forward(view, io, got);
            let m = &mults[..out];
            dense_i8(x, zp_x, w, view.bias, m, zp_y, (lo, hi), want);
            assert_eq!(got, want, "{n} -> {out}, {io:?}");
            clamped += want
                .iter()
                .filter(|&&v| [lo, hi].contains(&v.into()))
                .count();
        }
        clamped
    }

    #[test]
    fn equals_the_reference_bit_for_bit() {
        let mut rng = crate::Rng::new(8);
        for (n, out) in [(1, 1), (5, 3), (37, 33), (64, 65), (129, 10)] {
            let x: [i8; 129] = core::array::from_fn(|_| (rng.below(256) as i32 - 128) as i8);
            let w: [i8; 129 * 65] = core::array::from_fn(|_| (rng.below(255) as i32 - 127) as i8);
            let (x, w) = (&x[..n], &w[..n * out]);
            check_against_reference(&mut rng, x, w, (10_000, 0.01), |ch, io, y| {
                forward(x, w, ch, io, y)
            });
        }
    }
}
