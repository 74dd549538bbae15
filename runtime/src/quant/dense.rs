//! `dense` in int8: TFLite's `FullyConnected` with per-channel weights,
//! `y[o] = clamp(zp_y + M_o (bias[o] + sum_i (x[i] - zp_x) w[o][i]))`, the
//! zero point folded into the accumulator's start ([`ChannelsRef::start`]).

use super::gemv::gemv_i8;
use super::{ChannelsRef, Io};

/// Outputs computed per call of [`gemv_i8`], so the accumulators are a
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
    let mut acc = [0i32; CHUNK];
    for (c, ys) in y.chunks_mut(CHUNK).enumerate() {
        let (o0, len) = (c * CHUNK, ys.len());
        let (acc, ch) = (&mut acc[..len], ch.range(o0, len));
        ch.start_all(io.zp_x, acc);
        gemv_i8(x, &w[o0 * n..(o0 + len) * n], ch.wsum, acc);
        ch.requantize_all(acc, io, ys.iter_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::reference::dense_i8;
    use crate::quant::{Channels, Multiplier};

    #[test]
    fn equals_the_reference_bit_for_bit() {
        let mut rng = crate::Rng::new(8);
        for (n, out) in [(1, 1), (5, 3), (37, 33), (64, 65), (129, 10)] {
            let x: [i8; 129] = core::array::from_fn(|_| (rng.below(256) as i32 - 128) as i8);
            let w: [i8; 129 * 65] = core::array::from_fn(|_| (rng.below(255) as i32 - 127) as i8);
            let (x, w) = (&x[..n], &w[..n * out]);
            let mut ch = Channels::<65>::ZEROED;
            let mut mult = [Multiplier { m: 0, shift: 0 }; 65];
            for o in 0..out {
                ch.bias[o] = rng.below(20_001) as i32 - 10_000;
                ch.wsum[o] = w[o * n..][..n].iter().map(|&v| i32::from(v)).sum();
                mult[o] = Multiplier::new(f64::from(rng.uniform()) * 0.01 + 1e-4);
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
                (3, -128, -128, 127),
                (0, -20, -20, 100),
            ] {
                let io = Io { zp_x, zp_y, lo, hi };
                let (mut got, mut want) = ([0i8; 65], [0i8; 65]);
                forward(x, w, view, io, &mut got[..out]);
                dense_i8(
                    x,
                    zp_x,
                    w,
                    &ch.bias[..out],
                    &mult[..out],
                    zp_y,
                    (lo, hi),
                    &mut want[..out],
                );
                assert_eq!(got[..out], want[..out], "{n} -> {out}, {io:?}");
            }
        }
    }
}
