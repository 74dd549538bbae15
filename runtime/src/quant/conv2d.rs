//! `conv2d` in int8: TFLite's `Conv2D` (and, with one input channel per
//! group, `DepthwiseConv2D`) with per-channel weights, on `[C][H][W]`. Each
//! output pixel gathers its receptive field into an int8 patch (padding
//! reads the input's zero point, a real 0, as TFLite's does) and runs
//! [`gemv_i8`] over its group's weight rows, so the convolution needs one
//! patch of scratch, not a column buffer.

use super::gemv::gemv_i8;
use super::{ChannelsRef, Io};
use crate::kernels::conv2d::Conv2dGeom;

/// Output channels per call of [`gemv_i8`].
const CHUNK: usize = 32;

/// Bytes of scratch [`forward`] needs: one receptive field.
pub const fn scratch_len(g: &Conv2dGeom) -> usize {
    g.in_c / g.groups * g.k_h * g.k_w
}

/// One sample: `x` `[in_c][in_h][in_w]`, `w` `[out_c][in_c / groups][k_h][k_w]`,
/// `y` `[out_c][out_h][out_w]`; `patch` at least [`scratch_len`] bytes.
pub fn forward(
    x: &[i8],
    w: &[i8],
    ch: ChannelsRef<'_>,
    g: &Conv2dGeom,
    io: Io,
    patch: &mut [i8],
    y: &mut [i8],
) {
    let (cin_g, cout_g) = (g.in_c / g.groups, g.out_c / g.groups);
    let k = scratch_len(g);
    assert!(
        x.len() == g.in_c * g.in_h * g.in_w
            && w.len() == g.out_c * k
            && y.len() == g.out_c * g.out_h * g.out_w
            && ch.len() == g.out_c
            && patch.len() >= k,
        "int8 conv2d: lengths do not fit {g:?}"
    );
    let patch = &mut patch[..k];
    let plane = g.out_h * g.out_w;
    let pad = io.zp_x.clamp(-128, 127) as i8;
    let mut acc = [0i32; CHUNK];
    for group in 0..g.groups {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                gather(x, g, group * cin_g, cin_g, (oy, ox), pad, patch);
                let mut o0 = group * cout_g;
                let end = o0 + cout_g;
                while o0 < end {
                    let len = CHUNK.min(end - o0);
                    let (acc, chs) = (&mut acc[..len], ch.range(o0, len));
                    chs.start_all(io.zp_x, acc);
                    gemv_i8(patch, &w[o0 * k..(o0 + len) * k], chs.wsum, acc);
                    let pixel = o0 * plane + oy * g.out_w + ox;
                    chs.requantize_all(acc, io, y[pixel..].iter_mut().step_by(plane));
                    o0 += len;
                }
            }
        }
    }
}

/// The receptive field of output `(oy, ox)` over channels `c0..c0 + n`,
/// in the weights' `[c][k_h][k_w]` order; outside the input, `pad`.
fn gather(
    x: &[i8],
    g: &Conv2dGeom,
    c0: usize,
    n: usize,
    (oy, ox): (usize, usize),
    pad: i8,
    patch: &mut [i8],
) {
    let mut p = 0;
    for c in c0..c0 + n {
        let plane = &x[c * g.in_h * g.in_w..][..g.in_h * g.in_w];
        for ky in 0..g.k_h {
            let iy = (oy * g.stride_h + ky * g.dil_h).wrapping_sub(g.pad_h);
            for kx in 0..g.k_w {
                let ix = (ox * g.stride_w + kx * g.dil_w).wrapping_sub(g.pad_w);
                patch[p] = if iy < g.in_h && ix < g.in_w {
                    plane[iy * g.in_w + ix]
                } else {
                    pad
                };
                p += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::reference::{conv2d_i8, Requant};
    use crate::quant::{Channels, Multiplier};

    fn geom(
        (in_c, in_h, in_w): (usize, usize, usize),
        out_c: usize,
        (k, stride, pad, dil, groups): (usize, usize, usize, usize, usize),
    ) -> Conv2dGeom {
        let out = |n: usize| (n + 2 * pad - dil * (k - 1) - 1) / stride + 1;
        Conv2dGeom {
            in_c,
            in_h,
            in_w,
            out_c,
            out_h: out(in_h),
            out_w: out(in_w),
            k_h: k,
            k_w: k,
            stride_h: stride,
            stride_w: stride,
            pad_h: pad,
            pad_w: pad,
            dil_h: dil,
            dil_w: dil,
            groups,
        }
    }

    #[test]
    fn equals_the_reference_bit_for_bit() {
        let geoms = [
            geom((1, 28, 28), 6, (5, 1, 0, 1, 1)),
            geom((3, 9, 7), 5, (3, 2, 1, 1, 1)),
            geom((4, 7, 7), 4, (3, 1, 2, 2, 4)),
            geom((6, 5, 6), 9, (3, 1, 1, 1, 3)),
            geom((2, 6, 5), 40, (1, 1, 0, 1, 1)),
        ];
        let mut rng = crate::Rng::new(13);
        for g in &geoms {
            let k = scratch_len(g);
            let (nx, nw, ny) = (
                g.in_c * g.in_h * g.in_w,
                g.out_c * k,
                g.out_c * g.out_h * g.out_w,
            );
            let x: [i8; 1024] = core::array::from_fn(|_| (rng.below(256) as i32 - 128) as i8);
            let w: [i8; 1024] = core::array::from_fn(|_| (rng.below(255) as i32 - 127) as i8);
            let (x, w) = (&x[..nx], &w[..nw]);
            let mut ch = Channels::<40>::ZEROED;
            let mut mult = [Multiplier { m: 0, shift: 0 }; 40];
            for o in 0..g.out_c {
                ch.bias[o] = rng.below(2001) as i32 - 1000;
                ch.wsum[o] = w[o * k..][..k].iter().map(|&v| i32::from(v)).sum();
                mult[o] = Multiplier::new(f64::from(rng.uniform()) * 0.02 + 1e-4);
                (ch.mult[o], ch.shift[o]) = (mult[o].m, mult[o].shift);
            }
            let view = ChannelsRef {
                bias: &ch.bias[..g.out_c],
                wsum: &ch.wsum[..g.out_c],
                mult: &ch.mult[..g.out_c],
                shift: &ch.shift[..g.out_c],
            };
            for (zp_x, zp_y, lo, hi) in [(-128, 0, -128, 127), (17, -100, -100, 127)] {
                let io = Io { zp_x, zp_y, lo, hi };
                let (mut got, mut want) = ([0i8; 4704], [0i8; 4704]);
                let mut patch = [0i8; 64];
                forward(x, w, view, g, io, &mut patch, &mut got[..ny]);
                let q = Requant {
                    zp_x,
                    zp_y,
                    mult: &mult[..g.out_c],
                    clamp: (lo, hi),
                };
                conv2d_i8(x, w, &ch.bias[..g.out_c], g, q, &mut want[..ny]);
                assert_eq!(got[..ny], want[..ny], "{g:?} {io:?}");
            }
        }
    }
}
