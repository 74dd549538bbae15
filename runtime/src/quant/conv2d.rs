//! `conv2d` in int8: TFLite's `Conv2D` (and, with one input channel per
//! group, `DepthwiseConv2D`) with per-channel weights, on `[C][H][W]`.
//!
//! Two structures, bit for bit the same sums (integer sums are exact, and
//! wrap identically in any order):
//!
//! - by blocks of [`PX`] output pixels (Cortex-M, and any target without
//!   x86's SIMD products): the receptive fields of four pixels are
//!   gathered into int8 rows (padding reads the input's zero point, a real
//!   0, as TFLite's does; the rows are zero-padded to a multiple of 4
//!   columns), then each output channel's weight row is multiplied with the
//!   four at once, so each weight is loaded once per four pixels. On
//!   Cortex-M4/M7 the four rows are first widened to int16 in the order of
//!   the DSP extension's `SMLAD` (`crate::raw::widen4`, CMSIS-NN's im2col
//!   to int16), and the product is `crate::raw::dot4_dsp`.
//! - pixel by pixel (x86-64): one receptive field, then [`gemv_i8`] over its
//!   group's weight rows, whose AVX2/AVX-512 paths want long rows of
//!   output channels.
//!
//! The input's zero point is folded into each channel's start
//! ([`ChannelsRef::start`]) and the accumulators are rescaled by
//! [`ChannelsRef::requantizer`], as in `dense`; by blocks, when every
//! channel's multiplier allows it ([`Requantizer::fast`], checked once per
//! layer), by the one multiply-add of [`Requantizer::apply_fast`].

#[cfg(target_arch = "x86_64")]
use super::gemv::gemv_i8;
use super::{ChannelsRef, Io, Requantizer};
use crate::kernels::conv2d::Conv2dGeom;

/// Output channels per call of [`gemv_i8`] (pixel by pixel).
#[cfg(target_arch = "x86_64")]
const CHUNK: usize = 32;

/// Output pixels per block.
pub const PX: usize = 4;

/// Columns of one receptive field, rounded up to a multiple of 4.
const fn k4(g: &Conv2dGeom) -> usize {
    (g.in_c / g.groups * g.k_h * g.k_w).next_multiple_of(4)
}

/// Bytes of scratch [`forward`] needs: [`PX`] int8 receptive fields of
/// `k4` columns, a zero-padded copy of the last weight rows (at most two
/// rows of `k4`), and on Cortex-M4/M7 the int16 widening of the four
/// fields (`8 k4` bytes, word-aligned: 3 bytes of slack).
pub const fn scratch_len(g: &Conv2dGeom) -> usize {
    let k4 = k4(g);
    let blocked = (PX + 2) * k4;
    if cfg!(staticnet_arm_dsp) {
        blocked + 2 * PX * k4 + 3
    } else {
        blocked
    }
}

/// One sample: `x` `[in_c][in_h][in_w]`, `w` `[out_c][in_c / groups][k_h][k_w]`,
/// `y` `[out_c][out_h][out_w]`; `scratch` at least [`scratch_len`] bytes.
pub fn forward(
    x: &[i8],
    w: &[i8],
    ch: ChannelsRef<'_>,
    g: &Conv2dGeom,
    io: Io,
    scratch: &mut [i8],
    y: &mut [i8],
) {
    let k = g.in_c / g.groups * g.k_h * g.k_w;
    assert!(
        x.len() == g.in_c * g.in_h * g.in_w
            && w.len() == g.out_c * k
            && y.len() == g.out_c * g.out_h * g.out_w
            && ch.len() == g.out_c
            && scratch.len() >= scratch_len(g),
        "int8 conv2d: lengths do not fit {g:?}"
    );
    #[cfg(target_arch = "x86_64")]
    by_pixel(x, w, ch, g, io, scratch, y);
    #[cfg(not(target_arch = "x86_64"))]
    by_blocks(x, w, ch, g, io, scratch, y);
}

/// Pixel by pixel: one receptive field, then [`gemv_i8`] over the group's
/// rows (lengths checked by [`forward`]).
#[cfg(target_arch = "x86_64")]
fn by_pixel(
    x: &[i8],
    w: &[i8],
    ch: ChannelsRef<'_>,
    g: &Conv2dGeom,
    io: Io,
    scratch: &mut [i8],
    y: &mut [i8],
) {
    let (cin_g, cout_g) = (g.in_c / g.groups, g.out_c / g.groups);
    let k = cin_g * g.k_h * g.k_w;
    let patch = &mut scratch[..k];
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

/// By blocks of [`PX`] pixels (lengths checked by [`forward`]).
#[cfg_attr(
    target_arch = "x86_64",
    allow(dead_code, reason = "x86-64 runs the pixel-by-pixel path; tested here")
)]
fn by_blocks(
    x: &[i8],
    w: &[i8],
    ch: ChannelsRef<'_>,
    g: &Conv2dGeom,
    io: Io,
    scratch: &mut [i8],
    y: &mut [i8],
) {
    let (cin_g, cout_g) = (g.in_c / g.groups, g.out_c / g.groups);
    let (k, k4) = (cin_g * g.k_h * g.k_w, k4(g));
    if k == 0 {
        // No weights: each output is its channel's bias, rescaled.
        let plane = g.out_h * g.out_w;
        for (o, y) in y.chunks_exact_mut(plane).enumerate() {
            let (s, rq) = (ch.start(o, io.zp_x), ch.requantizer(o, io));
            y.fill(rq.apply(s));
        }
        return;
    }
    let plane = g.out_h * g.out_w;
    let pad = io.zp_x.clamp(-128, 127) as i8;
    let (fields, rest) = scratch.split_at_mut(PX * k4);
    let (padded, _rest) = rest.split_at_mut(2 * k4);
    // The rows from `short` on have fewer than `k4` bytes left in `w`: they
    // are read from a copy followed by zeros (times the fields' zero columns).
    let short = (0..g.out_c)
        .find(|&o| w.len() - o * k < k4)
        .unwrap_or(g.out_c);
    let tail = &w[short * k..];
    padded[..tail.len()].copy_from_slice(tail);
    padded[tail.len()..].fill(0);
    // Columns `k..k4` of each field stay 0.
    fields.fill(0);
    #[cfg(staticnet_arm_dsp)]
    let cols = {
        let off = _rest.as_ptr().align_offset(4);
        &mut _rest[off..][..2 * PX * k4]
    };
    // The one-add requantisation when every channel allows it (checked
    // once per layer, not per block).
    let fast = ch
        .mult
        .iter()
        .zip(ch.shift)
        .all(|(&m, &s)| Requantizer::fast(m, s));
    for group in 0..g.groups {
        let mut p0 = 0;
        while p0 < plane {
            let n = PX.min(plane - p0);
            // A short last block keeps the previous fields in its unused
            // rows: their sums are not stored.
            for (j, field) in fields.chunks_exact_mut(k4).take(n).enumerate() {
                let p = p0 + j;
                let (oy, ox) = (p / g.out_w, p % g.out_w);
                gather(x, g, group * cin_g, cin_g, (oy, ox), pad, &mut field[..k]);
            }
            #[cfg(staticnet_arm_dsp)]
            crate::raw::widen4(fields, k4, cols);
            let o0 = group * cout_g;
            let chs = ch.range(o0, cout_g);
            let params = chs.bias.iter().zip(chs.wsum).zip(chs.mult).zip(chs.shift);
            let planes = y[o0 * plane..][..cout_g * plane].chunks_exact_mut(plane);
            for (o, ((((&b, &ws), &m), &sh), y)) in (o0..).zip(params.zip(planes)) {
                let row = if o < short {
                    &w[o * k..]
                } else {
                    &padded[(o - short) * k..]
                };
                // Each accumulator starts at the channel's start.
                let mut acc = [b.wrapping_sub(io.zp_x.wrapping_mul(ws)); PX];
                #[cfg(staticnet_arm_dsp)]
                crate::raw::dot4_dsp(cols, row, k4, &mut acc);
                #[cfg(not(staticnet_arm_dsp))]
                dot4(fields, row, k4, &mut acc);
                let y = &mut y[p0..][..n];
                if fast {
                    Requantizer::apply_fast(m, sh, io, &acc, y);
                } else {
                    let rq = Requantizer::new(m, sh, io);
                    for (y, &a) in y.iter_mut().zip(&acc) {
                        *y = rq.apply(a);
                    }
                }
            }
            p0 += PX;
        }
    }
}

/// `acc[j] += sum_i w[i] * fields[j * k4 + i]` over `i < k4`, wrapping: the
/// portable product of one weight row with [`PX`] receptive fields, each
/// weight loaded once for the four.
#[cfg_attr(
    staticnet_arm_dsp,
    allow(dead_code, reason = "the DSP path replaces it on Cortex-M4/M7")
)]
fn dot4(fields: &[i8], w: &[i8], k4: usize, acc: &mut [i32; PX]) {
    let (x0, rest) = fields.split_at(k4);
    let (x1, rest) = rest.split_at(k4);
    let (x2, x3) = rest.split_at(k4);
    let [mut s0, mut s1, mut s2, mut s3] = *acc;
    for ((((&w, &a), &b), &c), &d) in w[..k4].iter().zip(x0).zip(x1).zip(x2).zip(&x3[..k4]) {
        let w = i32::from(w);
        s0 = s0.wrapping_add(w * i32::from(a));
        s1 = s1.wrapping_add(w * i32::from(b));
        s2 = s2.wrapping_add(w * i32::from(c));
        s3 = s3.wrapping_add(w * i32::from(d));
    }
    *acc = [s0, s1, s2, s3];
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
    let in_plane = g.in_h * g.in_w;
    let ix0 = (ox * g.stride_w).wrapping_sub(g.pad_w);
    let iy0 = (oy * g.stride_h).wrapping_sub(g.pad_h);
    // The window's columns are one contiguous run inside the input.
    let inside = g.dil_w == 1 && ix0 < g.in_w && g.k_w <= g.in_w - ix0;
    if inside && iy0 < g.in_h && (g.k_h - 1) * g.dil_h < g.in_h - iy0 {
        // The whole window inside: each row a copy.
        let (step, kk) = (g.dil_h * g.in_w, g.k_h * g.k_w);
        let (base, span) = (iy0 * g.in_w + ix0, (g.k_h - 1) * step + g.k_w);
        for (c, dst) in (c0..c0 + n).zip(patch.chunks_exact_mut(kk)) {
            let window = &x[c * in_plane + base..][..span];
            for (dst, src) in dst.chunks_exact_mut(g.k_w).zip(window.chunks(step)) {
                copy_short(dst, &src[..g.k_w]);
            }
        }
        return;
    }
    let mut rows = patch.chunks_exact_mut(g.k_w);
    for c in c0..c0 + n {
        let plane = &x[c * in_plane..][..in_plane];
        for ky in 0..g.k_h {
            let Some(dst) = rows.next() else { return };
            let iy = (oy * g.stride_h + ky * g.dil_h).wrapping_sub(g.pad_h);
            if iy >= g.in_h {
                for d in dst.iter_mut() {
                    *d = pad;
                }
                continue;
            }
            let src = &plane[iy * g.in_w..][..g.in_w];
            if inside {
                copy_short(dst, &src[ix0..][..g.k_w]);
            } else {
                for (kx, d) in dst.iter_mut().enumerate() {
                    let ix = (ox * g.stride_w + kx * g.dil_w).wrapping_sub(g.pad_w);
                    *d = if ix < g.in_w { src[ix] } else { pad };
                }
            }
        }
    }
}

/// `dst.copy_from_slice(src)` for a few bytes (a kernel row): words, then
/// at most three bytes, without a call to `memcpy`.
#[inline(always)]
fn copy_short(dst: &mut [i8], src: &[i8]) {
    let mut d = dst.chunks_exact_mut(4);
    let mut s = src.chunks_exact(4);
    for (d, s) in (&mut d).zip(&mut s) {
        d.copy_from_slice(s);
    }
    let (d, s) = (d.into_remainder(), s.remainder());
    if d.len() >= 2 {
        d[..2].copy_from_slice(&s[..2]);
        if d.len() == 3 {
            d[2] = s[2];
        }
    } else if let (Some(d), Some(&s)) = (d.first_mut(), s.first()) {
        *d = s;
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
            geom((1, 13, 11), 6, (5, 1, 2, 1, 1)),
            geom((6, 9, 9), 6, (5, 1, 0, 1, 1)),
        ];
        let mut rng = crate::Rng::new(13);
        for g in &geoms {
            let k = g.in_c / g.groups * g.k_h * g.k_w;
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
                let mut patch = [0i8; 1024];
                forward(x, w, view, g, io, &mut patch, &mut got[..ny]);
                let mut blocks = [0i8; 4704];
                by_blocks(x, w, view, g, io, &mut patch, &mut blocks[..ny]);
                assert_eq!(got[..ny], blocks[..ny], "{g:?} {io:?}: by blocks");
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
