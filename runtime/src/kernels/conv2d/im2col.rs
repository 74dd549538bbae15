//! Any geometry: each sample and group unfolded (im2col) into `scratch` as
//! `col[in_c / groups * k_h * k_w][out_h * out_w]`; `y = W col`, `gW (+)=
//! gy colᵀ`, and `dcol = Wᵀ gy` folded back (col2im) into `gx`.

use super::{dims, Conv2dGeom};
use crate::kernels::gemm::{gemm_nn_with, gemm_nt_with, gemm_tn_with, Store};
use crate::kernels::isa::Isa;

/// One sample and group of [`forward_with`](super::forward_with): `y (+)= W
/// col` (`store`: `Accumulate` onto the bias already in `y`).
pub(super) fn forward(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    y: &mut [f32],
    scratch: &mut [f32],
    store: Store,
    g: &Conv2dGeom,
) {
    let (_, ocg, k, p, _) = dims(g);
    // One group's im2col matrix.
    let col = &mut scratch[..g.scratch_len().min(k * p)];
    im2col(x, col, g);
    gemm_nn_with(isa, w, col, y, ocg, p, k, store);
}

/// One sample and group of [`backward_with`](super::backward_with): `gw
/// (+)= gy colᵀ` (`store`), and `gx` overwritten when asked.
pub(super) fn backward(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    gy: &[f32],
    gw: &mut [f32],
    gx: Option<&mut [f32]>,
    scratch: &mut [f32],
    store: Store,
    g: &Conv2dGeom,
) {
    let (_, ocg, k, p, _) = dims(g);
    // One group's im2col matrix.
    let col = &mut scratch[..k * p];
    im2col(x, col, g);
    gemm_nt_with(isa, gy, col, gw, ocg, k, p, store);
    if let Some(gx) = gx {
        // `col` is spent: it now holds the unfolded input gradient.
        gemm_tn_with(isa, w, gy, col, k, p, ocg, Store::Overwrite);
        col2im(col, gx, g);
    }
}

/// The outputs `o` in `lo..hi` whose input `o * stride + off - pad` lies in
/// `0..len`, for the kernel tap at offset `off` (`kh * dil_h`, say). A
/// division costs tens of cycles, as much as copying a row: stride 1 has none.
#[inline(always)]
pub(super) fn valid(
    out: usize,
    len: usize,
    stride: usize,
    pad: usize,
    off: usize,
) -> (usize, usize) {
    let div_ceil = |v: usize| if stride == 1 { v } else { v.div_ceil(stride) };
    let hi = div_ceil((len + pad).saturating_sub(off)).min(out);
    let lo = div_ceil(pad.saturating_sub(off)).min(hi);
    (lo, hi)
}

/// One row `(c, kh, kw)` of a group's im2col matrix: the output rows `oh` in
/// `rows` and columns `ow` in `cols` read `x[src + (oh - rows.0) stride_h
/// in_w + (ow - cols.0) stride_w]` (offsets into the group's input); every
/// other element of the row is zero (the tap reads padding).
struct Tap {
    rows: (usize, usize),
    cols: (usize, usize),
    src: usize,
}

/// Calls `f(r, tap)` for each row `r` of one group's im2col matrix.
#[inline(always)]
fn for_each_tap(g: &Conv2dGeom, mut f: impl FnMut(usize, Tap)) {
    let hw = g.in_h * g.in_w;
    let mut r = 0;
    for c in 0..g.in_c / g.groups {
        for kh in 0..g.k_h {
            let rows = valid(g.out_h, g.in_h, g.stride_h, g.pad_h, kh * g.dil_h);
            for kw in 0..g.k_w {
                let cols = valid(g.out_w, g.in_w, g.stride_w, g.pad_w, kw * g.dil_w);
                let tap = if rows.0 == rows.1 || cols.0 == cols.1 {
                    Tap {
                        rows: (0, 0),
                        cols,
                        src: 0,
                    }
                } else {
                    // Non-empty ranges start at an input index >= 0 (`valid`).
                    let ih = rows.0 * g.stride_h + kh * g.dil_h - g.pad_h;
                    let iw = cols.0 * g.stride_w + kw * g.dil_w - g.pad_w;
                    Tap {
                        rows,
                        cols,
                        src: c * hw + ih * g.in_w + iw,
                    }
                };
                f(r, tap);
                r += 1;
            }
        }
    }
}

/// `col[(c, kh, kw)][(oh, ow)] = x[c][ih][iw]` (zero in the padding) for the
/// `in_c / groups` channels `x` of one sample and group.
///
/// The rows of `col` are short (`out_w` elements), so a call of `memcpy` or
/// `memset` per row measured slower than the copy itself (see
/// `docs/performance.md`): [`copy_run`] and [`zero_run`] write whole blocks
/// instead, past the end of their range when `col` has room. Every write goes
/// to a higher offset than the ones before it, so each overrun is overwritten
/// later.
fn im2col(x: &[f32], col: &mut [f32], g: &Conv2dGeom) {
    let (p, ow_n, sw) = (g.out_h * g.out_w, g.out_w, g.stride_w);
    let step = g.stride_h * g.in_w;
    for_each_tap(g, |r, t| {
        let ((lo, hi), row) = (t.cols, r * p);
        let (start, end) = (row + t.rows.0 * ow_n, row + t.rows.1 * ow_n);
        col[row..start].fill(0.0);
        let mut src = t.src;
        for oh in t.rows.0..t.rows.1 {
            let at = row + oh * ow_n;
            zero_run(col, at, lo);
            if sw == 1 {
                copy_run(col, at + lo, &x[src..], hi - lo);
            } else {
                let (out, x) = (&mut col[at + lo..at + hi], &x[src..]);
                out.iter_mut()
                    .zip(x.iter().step_by(sw))
                    .for_each(|(o, &v)| *o = v);
            }
            zero_run(col, at + hi, ow_n - hi);
            src += step;
        }
        col[end..row + p].fill(0.0);
    });
}

/// Elements written at once by [`copy_run`] and [`zero_run`]: two SSE or one
/// AVX register.
const BLOCK: usize = 8;

/// `dst[at..at + len] = src[..len]`, in whole blocks when both slices have
/// room (so `dst` may change up to the next block boundary). Up to four
/// blocks are unrolled by hand: LLVM turns a loop of block copies back into
/// a call of `memcpy`.
#[inline(always)]
fn copy_run(dst: &mut [f32], at: usize, src: &[f32], len: usize) {
    let n = len.div_ceil(BLOCK) * BLOCK;
    if n <= 4 * BLOCK && dst.len() - at >= n && src.len() >= n {
        let (d, s) = (&mut dst[at..at + n], &src[..n]);
        for b in 0..4 {
            if b * BLOCK < n {
                let r = b * BLOCK..b * BLOCK + BLOCK;
                d[r.clone()].copy_from_slice(&s[r]);
            }
        }
    } else {
        dst[at..at + len].copy_from_slice(&src[..len]);
    }
}

/// `dst[at..at + len] = 0`, as one block when `len <= BLOCK` and `dst` has
/// room (so `dst` may change up to `at + BLOCK`).
#[inline(always)]
fn zero_run(dst: &mut [f32], at: usize, len: usize) {
    if len == 0 {
    } else if len <= BLOCK && dst.len() - at >= BLOCK {
        dst[at..at + BLOCK].fill(0.0);
    } else {
        dst[at..at + len].fill(0.0);
    }
}

/// `gx[c][ih][iw] = sum of dcol[(c, kh, kw)][(oh, ow)]` over the taps that
/// read `x[c][ih][iw]` (the adjoint of [`im2col`]), overwriting `gx`.
fn col2im(dcol: &[f32], gx: &mut [f32], g: &Conv2dGeom) {
    let (p, ow_n, sw) = (g.out_h * g.out_w, g.out_w, g.stride_w);
    let step = g.stride_h * g.in_w;
    gx.fill(0.0);
    for_each_tap(g, |r, t| {
        let ((lo, hi), row) = (t.cols, r * p);
        let mut src = t.src;
        for oh in t.rows.0..t.rows.1 {
            let (d, gx) = (&dcol[row + oh * ow_n..][lo..hi], &mut gx[src..]);
            if sw == 1 {
                gx.iter_mut().zip(d).for_each(|(x, &d)| *x += d);
            } else {
                gx.iter_mut().step_by(sw).zip(d).for_each(|(x, &d)| *x += d);
            }
            src += step;
        }
    });
}
