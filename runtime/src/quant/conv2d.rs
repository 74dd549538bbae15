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
//! - by tiles (x86-64), an implicit GEMM: each group's input is first
//!   copied into planes padded with its zero point, so that every window
//!   is a run of rows (rows of up to 8 bytes are copied as words,
//!   `crate::raw::gather_words`); the receptive fields of 32 pixels
//!   are gathered from it, then a SIMD tile kernel
//!   (`Kernels::conv_i8_tile`: AVX2, AVX-512BW, AVX512_VNNI) multiplies
//!   them with 16 output channels at once, channels along the
//!   vector lanes (weights packed by quads of columns once per call), so
//!   each weight vector is loaded once per several pixels and each pixel's
//!   columns once per 16 channels, and rescales the sums in the vector
//!   registers (`TileRq`); the 16 bytes of each pixel are then stored to
//!   the channels' planes.
//!
//! The input's zero point is folded into each channel's start
//! ([`ChannelsRef::start`]) and the accumulators are rescaled by
//! [`ChannelsRef::requantizer`], as in `dense`; by blocks, when every
//! channel's multiplier allows it ([`Requantizer::fast`], checked once per
//! layer), by the one multiply-add of [`Requantizer::apply_fast`].

use super::{ChannelsRef, Io, Requantizer};
use crate::kernels::conv2d::Conv2dGeom;
use crate::kernels::isa::{dispatch, Isa, Kernels};

/// Output pixels per block.
pub const PX: usize = 4;

/// Output channels of a tile (x86-64): the int32 lanes of one 512-bit vector.
const TILE_O: usize = 16;

/// Output pixels of a tile (x86-64).
const TILE_P: usize = 32;

/// Columns of one receptive field, rounded up to a multiple of 4.
const fn k4(g: &Conv2dGeom) -> usize {
    (g.in_c / g.groups * g.k_h * g.k_w).next_multiple_of(4)
}

/// The scratch of [`by_blocks`]: [`PX`] int8 receptive fields of `k4`
/// columns, a zero-padded copy of the last weight rows (at most two rows of
/// `k4`), and on Cortex-M4/M7 the int16 widening of the four fields (`8 k4`
/// bytes, word-aligned: 3 bytes of slack).
const fn blocks_len(g: &Conv2dGeom) -> usize {
    let k4 = k4(g);
    let blocked = (PX + 2) * k4;
    if cfg!(staticnet_arm_dsp) {
        blocked + 2 * PX * k4 + 3
    } else {
        blocked
    }
}

/// The scratch of [`by_tiles`]: [`TILE_P`] receptive fields of `k4`
/// columns and [`SLACK`] bytes, [`TILE_O`] channels' packed weights (`16
/// k4` bytes), and one group's input channels padded ([`padded`]) with
/// [`SLACK`] bytes.
const fn tiles_len(g: &Conv2dGeom) -> usize {
    let (h, w) = padded(g);
    (TILE_P + TILE_O) * k4(g) + g.in_c / g.groups * h * w + 2 * SLACK
}

/// The height and width of the tiles' padded input planes: the input at
/// row `pad_h` and column `pad_w`, surrounded by its zero point, large
/// enough to hold every window.
const fn padded(g: &Conv2dGeom) -> (usize, usize) {
    const fn reach(out: usize, stride: usize, k: usize, dil: usize) -> usize {
        out.saturating_sub(1) * stride + (k - 1) * dil + 1
    }
    let (h, w) = (
        reach(g.out_h, g.stride_h, g.k_h, g.dil_h),
        reach(g.out_w, g.stride_w, g.k_w, g.dil_w),
    );
    let (in_h, in_w) = (g.in_h + g.pad_h, g.in_w + g.pad_w);
    (
        if h > in_h { h } else { in_h },
        if w > in_w { w } else { in_w },
    )
}

/// Bytes after the tiles' fields and padded input, which
/// [`gather_padded`]'s 8-byte copies may read or write past them.
const SLACK: usize = 8;

/// Bytes of scratch [`forward`] needs, `k4` the receptive field's columns
/// rounded up to a multiple of 4: on x86-64 the tiles' (`48 k4 + 16` and
/// one group's padded input, 2.3 and 8.3 KiB for LeNet-5's two
/// convolutions), elsewhere the blocks' (`6 k4`, and `14 k4 + 3` on
/// Cortex-M4/M7).
pub const fn scratch_len(g: &Conv2dGeom) -> usize {
    if cfg!(target_arch = "x86_64") {
        tiles_len(g)
    } else {
        blocks_len(g)
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
    if k == 0 {
        // No weights: each output is its channel's bias, rescaled.
        let plane = g.out_h * g.out_w;
        for (o, y) in y.chunks_exact_mut(plane).enumerate() {
            let (s, rq) = (ch.start(o, io.zp_x), ch.requantizer(o, io));
            y.fill(rq.apply(s));
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    by_tiles(Isa::best(), x, w, ch, g, io, scratch, y);
    #[cfg(not(target_arch = "x86_64"))]
    by_blocks(x, w, ch, g, io, scratch, y);
}

/// The rescaling of a tile's [`TILE_O`] channels (the lanes of
/// [`Kernels::conv_i8_tile`]), each lane's [`Requantizer`](super::Requantizer)
/// spelled out: lane `o`'s sums start at `start[o]`, are shifted left by
/// `left[o]`, multiplied by `mult[o]` (gemmlowp's doubling high multiply),
/// shifted right by `right[o]` with rounding, then offset by `zp_y` and
/// clamped to `[lo, hi]`. Unused lanes are all zero (their outputs are
/// computed and never stored).
#[derive(Clone, Copy, Debug)]
pub(crate) struct TileRq {
    /// Each channel's accumulator start, [`ChannelsRef::start`].
    pub start: [i32; TILE_O],
    /// The sum of each channel's packed weights (for the unsigned offset of
    /// `vpdpbusd`).
    pub wsum: [i32; TILE_O],
    /// Each channel's Q31 multiplier.
    pub mult: [i32; TILE_O],
    /// Each channel's shift, as [`Channels::shift`](super::Channels::shift).
    pub shift: [i32; TILE_O],
    /// `max(shift, 0) % 32`.
    pub left: [i32; TILE_O],
    /// `max(-shift, 0) % 32`.
    pub right: [i32; TILE_O],
    /// The output's zero point and clamp.
    pub zp_y: i32,
    /// See [`Io::lo`].
    pub lo: i32,
    /// See [`Io::hi`].
    pub hi: i32,
}

impl TileRq {
    /// All lanes zero, into `io`'s output.
    fn new(io: Io) -> Self {
        TileRq {
            start: [0; TILE_O],
            wsum: [0; TILE_O],
            mult: [0; TILE_O],
            shift: [0; TILE_O],
            left: [0; TILE_O],
            right: [0; TILE_O],
            zp_y: io.zp_y,
            lo: io.lo,
            hi: io.hi,
        }
    }

    /// Lane `o`'s multiplier `(m, shift)`.
    fn set(&mut self, o: usize, m: i32, shift: i32) {
        self.mult[o] = m;
        self.shift[o] = shift;
        // As `Requantizer::new`.
        self.left[o] = shift.max(0) & 31;
        self.right[o] = shift.min(0).wrapping_neg() & 31;
    }

    /// Lane `o`'s rescaling.
    #[inline]
    pub(crate) fn lane(&self, o: usize) -> super::Requantizer {
        let io = Io {
            zp_x: 0,
            zp_y: self.zp_y,
            lo: self.lo,
            hi: self.hi,
        };
        super::Requantizer::new(self.mult[o], self.shift[o], io)
    }
}

/// By tiles of [`TILE_P`] pixels and [`TILE_O`] channels, an implicit
/// GEMM (lengths checked by [`forward`], `k > 0`): the receptive fields of
/// a block of pixels are gathered into int8 rows of `k4` columns, then
/// `isa`'s [`Kernels::conv_i8_tile`] multiplies them with 16 channels'
/// weights at once, packed by quads of columns (zero beyond `k` and beyond
/// the group's channels, so the fields' columns `k..k4` are never counted),
/// and rescales each channel's sums, 16 output bytes per pixel, which are
/// then stored to the channels' planes.
#[cfg_attr(
    not(target_arch = "x86_64"),
    allow(dead_code, reason = "Cortex-M runs the blocks; tested here")
)]
#[allow(clippy::too_many_arguments)]
fn by_tiles(
    isa: Isa,
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
    let plane = g.out_h * g.out_w;
    let pad = io.zp_x.clamp(-128, 127) as i8;
    let (cols, rest) = scratch.split_at_mut(TILE_P * k4 + SLACK);
    let (wpack, rest) = rest.split_at_mut(TILE_O * k4);
    let (ph, pw) = padded(g);
    let xp = &mut rest[..cin_g * ph * pw + SLACK];
    let mut out = [[0i8; TILE_O]; TILE_P];
    // Rows of up to 8 bytes (without dilation) are copied as words.
    #[cfg(target_arch = "x86_64")]
    let words = (g.dil_w == 1 && g.k_w <= 8).then_some(crate::raw::Words {
        n: cin_g,
        plane: ph * pw,
        kh: g.k_h,
        step: g.dil_h * pw,
        kw: g.k_w,
        k4,
        out_w: g.out_w,
        row: g.stride_h * pw,
        col: g.stride_w,
    });
    for group in 0..g.groups {
        pad_input(
            &x[group * cin_g * g.in_h * g.in_w..],
            g,
            cin_g,
            (ph, pw),
            pad,
            xp,
        );
        let (mut o0, end) = (group * cout_g, (group + 1) * cout_g);
        while o0 < end {
            let len = TILE_O.min(end - o0);
            let mut rq = TileRq::new(io);
            wpack.fill(0);
            for (o, row) in w[o0 * k..][..len * k].chunks_exact(k).enumerate() {
                // Quad `q` of the row to bytes `(q * 16 + o) * 4..` (the
                // last quad's missing bytes stay 0).
                let mut dst = wpack[4 * o..].chunks_mut(4 * TILE_O);
                let mut quads = row.chunks_exact(4);
                for (quad, dst) in (&mut quads).zip(&mut dst) {
                    dst[..4].copy_from_slice(quad);
                }
                if let Some(dst) = dst.next() {
                    for (d, &v) in dst.iter_mut().zip(quads.remainder()) {
                        *d = v;
                    }
                }
                rq.wsum[o] = row.iter().map(|&v| i32::from(v)).sum();
                rq.start[o] = ch.start(o0 + o, io.zp_x);
                rq.set(o, ch.mult[o0 + o], ch.shift[o0 + o]);
            }
            let (mut p0, mut oy, mut ox) = (0, 0, 0);
            while p0 < plane {
                let n = TILE_P.min(plane - p0);
                #[cfg(target_arch = "x86_64")]
                let words = if let Some(s) = &words {
                    crate::raw::gather_words(xp, s, (oy, ox), n, cols);
                    (oy, ox) = (oy + (ox + n) / g.out_w, (ox + n) % g.out_w);
                    true
                } else {
                    false
                };
                #[cfg(not(target_arch = "x86_64"))]
                let words = false;
                for j in 0..if words { 0 } else { n } {
                    gather_padded(xp, g, cin_g, (ph, pw), (oy, ox), &mut cols[j * k4..]);
                    ox += 1;
                    if ox == g.out_w {
                        (oy, ox) = (oy + 1, 0);
                    }
                }
                let out = &mut out[..n];
                dispatch!(isa, |t| t.conv_i8_tile(
                    &cols[..n * k4],
                    k4,
                    wpack,
                    &rq,
                    out
                ));
                for (o, y) in y[o0 * plane + p0..].chunks_mut(plane).take(len).enumerate() {
                    for (y, px) in y[..n].iter_mut().zip(out.iter()) {
                        *y = px[o & (TILE_O - 1)];
                    }
                }
                p0 += n;
            }
            o0 += len;
        }
    }
}

/// The portable [`Kernels::conv_i8_tile`]: `out[p][o] = rq.lane(o).apply(
/// rq.start[o] + cols[p] . w(o))` with `w(o, i) = wpack[(i / 4 * 16 + o) *
/// 4 + i % 4]`, the sums wrapping.
pub(crate) fn tile_portable(
    cols: &[i8],
    k4: usize,
    wpack: &[i8],
    rq: &TileRq,
    out: &mut [[i8; TILE_O]],
) {
    let wpack = &wpack[..TILE_O * k4];
    for (out, field) in out.iter_mut().zip(cols.chunks_exact(k4)) {
        let mut acc = rq.start;
        for (quad, w) in field.chunks_exact(4).zip(wpack.chunks_exact(4 * TILE_O)) {
            for (a, w) in acc.iter_mut().zip(w.chunks_exact(4)) {
                let s = quad
                    .iter()
                    .zip(w)
                    .map(|(&x, &w)| i32::from(x) * i32::from(w))
                    .sum::<i32>();
                *a = a.wrapping_add(s);
            }
        }
        for (o, (y, &a)) in out.iter_mut().zip(&acc).enumerate() {
            *y = rq.lane(o).apply(a);
        }
    }
}

/// By blocks of [`PX`] pixels (lengths checked by [`forward`], `k > 0`).
#[cfg_attr(
    target_arch = "x86_64",
    allow(dead_code, reason = "x86-64 runs the tiles; tested here")
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

/// Channels `..n` of `x` (`[n][in_h][in_w]` at its start) into `xp`,
/// `[n][ph][pw]`, at row `pad_h` and column `pad_w` of each plane, the
/// rest `pad` (the input's zero point); `xp`'s bytes after the planes are
/// left as they are.
fn pad_input(x: &[i8], g: &Conv2dGeom, n: usize, (ph, pw): (usize, usize), pad: i8, xp: &mut [i8]) {
    for (c, plane) in xp.chunks_exact_mut(ph * pw).take(n).enumerate() {
        let src = &x[c * g.in_h * g.in_w..][..g.in_h * g.in_w];
        let (top, rest) = plane.split_at_mut(g.pad_h * pw);
        top.fill(pad);
        let (mid, bottom) = rest.split_at_mut(g.in_h * pw);
        for (dst, src) in mid.chunks_exact_mut(pw).zip(src.chunks_exact(g.in_w)) {
            let (left, rest) = dst.split_at_mut(g.pad_w);
            left.fill(pad);
            let (inside, right) = rest.split_at_mut(g.in_w);
            inside.copy_from_slice(src);
            right.fill(pad);
        }
        bottom.fill(pad);
    }
}

/// The receptive field of output `(oy, ox)` over the `n` channels of the
/// padded input `xp` (`[n][ph][pw]`, [`pad_input`]), in the weights'
/// `[c][k_h][k_w]` order, to the start of `field`: every window is inside
/// `xp`, so each row is a copy (strided with dilation). Rows of up to 16
/// bytes are copied as one or two 8-byte words: the up to 7 bytes a row's
/// last word reads and writes past it are read from the next row or the
/// [`SLACK`] after `xp`, and written over by the next row, or into the
/// columns `k..k4` (whose weights are 0), the next field (gathered after)
/// or the [`SLACK`] after the last one.
fn gather_padded(
    xp: &[i8],
    g: &Conv2dGeom,
    n: usize,
    (ph, pw): (usize, usize),
    (oy, ox): (usize, usize),
    field: &mut [i8],
) {
    let kw = g.k_w;
    let (x0, y0) = (ox * g.stride_w, oy * g.stride_h);
    let (mut pos, step) = (0, g.dil_h * pw);
    for c in 0..n {
        let mut src = c * ph * pw + y0 * pw + x0;
        for _ in 0..g.k_h {
            if g.dil_w != 1 {
                let (d, s) = (&mut field[pos..][..kw], &xp[src..]);
                for (kx, d) in d.iter_mut().enumerate() {
                    *d = s[kx * g.dil_w];
                }
            } else if kw <= 8 {
                // Constant lengths: moves rather than a call to `memcpy`.
                field[pos..][..8].copy_from_slice(&xp[src..][..8]);
            } else if kw <= 16 {
                field[pos..][..8].copy_from_slice(&xp[src..][..8]);
                field[pos + 8..][..8].copy_from_slice(&xp[src + 8..][..8]);
            } else {
                field[pos..][..kw].copy_from_slice(&xp[src..][..kw]);
            }
            pos += kw;
            src += step;
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
    use crate::quant::Multiplier;
    use std::{vec, vec::Vec};

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
            geom((1, 28, 28), 6, (5, 1, 2, 1, 1)),
            geom((6, 14, 14), 16, (5, 1, 0, 1, 1)),
            geom((3, 9, 7), 5, (3, 2, 1, 1, 1)),
            geom((4, 7, 7), 4, (3, 1, 2, 2, 4)),
            geom((6, 5, 6), 9, (3, 1, 1, 1, 3)),
            geom((2, 6, 5), 40, (1, 1, 0, 1, 1)),
            geom((1, 13, 11), 6, (5, 1, 2, 1, 1)),
            geom((6, 9, 9), 6, (5, 1, 0, 1, 1)),
            // Depthwise with a channel multiplier of 2, dilated and strided.
            geom((5, 11, 9), 10, (3, 2, 2, 2, 5)),
            // 17 and 33 channels: a full tile and a one-channel tail.
            geom((3, 7, 9), 17, (2, 1, 1, 1, 1)),
            geom((2, 5, 5), 33, (3, 3, 1, 1, 1)),
            // Groups of 18 output channels (a tile and 2 of the next).
            geom((4, 6, 7), 36, (3, 1, 1, 1, 2)),
            // A window larger than the input (all padding at the borders).
            geom((2, 3, 3), 7, (5, 1, 2, 1, 1)),
            // Rows of 9 and 17 bytes (two words, and a longer copy).
            geom((2, 12, 11), 3, (9, 1, 1, 1, 1)),
            geom((1, 19, 20), 2, (17, 1, 0, 1, 1)),
        ];
        check(&geoms, &IO_CASES);
    }

    /// Zero points at both ends, a clamp of a fused ReLU6.
    const IO_CASES: [(i32, i32, i32, i32); 4] = [
        (-128, 0, -128, 127),
        (17, -100, -100, 127),
        (127, 127, -128, 127),
        (-128, -128, -128, 6),
    ];

    /// Small shapes, few enough operations for Miri (`.ci/run` runs this
    /// test under it): the word-wise gather of the x86 tiles reads and
    /// writes through raw pointers. Padding, stride, groups, a 9-byte row.
    #[test]
    fn small_shapes_for_miri() {
        let geoms = [
            geom((2, 5, 5), 3, (3, 1, 1, 1, 1)),
            geom((4, 6, 5), 4, (3, 2, 1, 1, 2)),
            geom((1, 9, 11), 2, (9, 1, 1, 1, 1)),
        ];
        check(&geoms, &IO_CASES[..2]);
    }

    /// Every path of the convolution against the reference on `geoms`,
    /// random data with extreme weights, for each of `cases`.
    fn check(geoms: &[Conv2dGeom], cases: &[(i32, i32, i32, i32)]) {
        let mut rng = crate::Rng::new(13);
        for g in geoms {
            let k = g.in_c / g.groups * g.k_h * g.k_w;
            let (nx, nw, ny) = (
                g.in_c * g.in_h * g.in_w,
                g.out_c * k,
                g.out_c * g.out_h * g.out_w,
            );
            let x: Vec<i8> = (0..nx)
                .map(|_| (rng.below(256) as i32 - 128) as i8)
                .collect();
            let mut w: Vec<i8> = (0..nw)
                .map(|_| (rng.below(256) as i32 - 128) as i8)
                .collect();
            // Extreme weights somewhere: -128 and 127.
            w[0] = -128;
            w[nw - 1] = 127;
            let (mut bias, mut wsum, mut mults, mut shifts, mut mult) =
                (vec![], vec![], vec![], vec![], vec![]);
            for o in 0..g.out_c {
                bias.push(rng.below(2001) as i32 - 1000);
                wsum.push(w[o * k..][..k].iter().map(|&v| i32::from(v)).sum());
                let m = Multiplier::new(f64::from(rng.uniform()) * 0.02 + 1e-4);
                mults.push(m.m);
                shifts.push(m.shift);
                mult.push(m);
            }
            let view = ChannelsRef {
                bias: &bias,
                wsum: &wsum,
                mult: &mults,
                shift: &shifts,
            };
            let mut scratch = vec![0i8; scratch_len(g).max(blocks_len(g)).max(tiles_len(g))];
            for &(zp_x, zp_y, lo, hi) in cases {
                let io = Io { zp_x, zp_y, lo, hi };
                let q = Requant {
                    zp_x,
                    zp_y,
                    mult: &mult,
                    clamp: (lo, hi),
                };
                let mut want = vec![0i8; ny];
                conv2d_i8(&x, &w, &bias, g, q, &mut want);
                let mut got = vec![0i8; ny];
                forward(&x, &w, view, g, io, &mut scratch, &mut got);
                assert_eq!(got, want, "{g:?} {io:?}");
                got.fill(0);
                by_blocks(&x, &w, view, g, io, &mut scratch, &mut got);
                assert_eq!(got, want, "{g:?} {io:?}: by blocks");
                for isa in Isa::available() {
                    got.fill(0);
                    by_tiles(isa, &x, &w, view, g, io, &mut scratch, &mut got);
                    assert_eq!(got, want, "{g:?} {io:?}: by tiles on {isa:?}");
                }
            }
        }
    }

    /// The tile kernels' rescaling against `Requantizer::apply` at the
    /// extremes: `MIN * MIN`, left and right shifts of up to 31, zero
    /// points and clamps outside int8, wrapping sums.
    #[test]
    fn tiles_rescale_as_the_requantizer_at_the_extremes() {
        let mut rng = crate::Rng::new(29);
        let mut pick = |of: &[i32]| of[rng.below(of.len())];
        let wide = [
            i32::MIN,
            i32::MIN + 1,
            -1 << 20,
            -129,
            -128,
            -1,
            0,
            1,
            127,
            128,
            1 << 20,
            i32::MAX,
        ];
        for round in 0..200 {
            let k4 = [4, 8, 28, 152][round % 4];
            let n = 1 + round % TILE_P;
            let mut rng2 = crate::Rng::new(round as u64);
            let mut byte = || (rng2.below(256) as i32 - 128) as i8;
            let cols: Vec<i8> = (0..n * k4).map(|_| byte()).collect();
            let wpack: Vec<i8> = (0..TILE_O * k4).map(|_| byte()).collect();
            let (lo, hi) = (pick(&wide), pick(&wide));
            let io = Io {
                zp_x: 0,
                zp_y: pick(&wide),
                lo: lo.min(hi),
                hi: lo.max(hi),
            };
            let mut rq = TileRq::new(io);
            for o in 0..TILE_O {
                let m = pick(&[i32::MIN, 0, 1, 1 << 30, i32::MAX, 1_518_500_250, -(1 << 30)]);
                rq.set(o, m, pick(&[-31, -20, -7, -1, 0, 1, 5, 30, 31]));
                rq.start[o] = pick(&wide);
                rq.wsum[o] = (0..k4)
                    .map(|i| i32::from(wpack[(i / 4 * TILE_O + o) * 4 + i % 4]))
                    .sum();
            }
            let mut want = vec![[0i8; TILE_O]; n];
            tile_portable(&cols, k4, &wpack, &rq, &mut want);
            for isa in Isa::available() {
                let mut got = vec![[0i8; TILE_O]; n];
                dispatch!(isa, |t| t.conv_i8_tile(&cols, k4, &wpack, &rq, &mut got));
                assert_eq!(got, want, "{isa:?} {rq:?}");
            }
        }
    }
}
