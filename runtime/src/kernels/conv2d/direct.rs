//! Direct convolution, without a column buffer: the forward pass on
//! bare-metal targets ([`DIRECT`]), where the column buffer (25 KB for
//! LeNet-5's first layer) would be most of the RAM. Each output is its sum
//! over `(ic, kh, kw)` in that order, as the portable product runs it
//! (`gemm::portable::outer`/`outer_rows` add one row of `col` after the
//! other): from 0 then `bias + sum` for a wide geometry
//! (`Conv2dGeom::is_wide`), from the bias for the others. Taps in the
//! padding are skipped; the product adds `w * 0` for them, which leaves a
//! running sum unchanged unless it is `-0.0` (a `-0.0` bias). So the bits
//! are those of the portable path, which the tests check.
//!
//! Interior columns (every tap inside the input row) go in blocks of 8,
//! 4 and 1 outputs whose sums stay in registers, specialised for 3- and
//! 5-wide kernels at stride 1 and 2 (without dilation), so that the compiler
//! loads each input of a row once for all the taps that read it; the other
//! columns and geometries go one output at a time with bounds checks.

use super::im2col::valid;
use super::{dims, Conv2dGeom};

/// Whether [`forward`](super::forward_with) runs direct (bare-metal
/// targets) instead of through the column buffer and the matrix product.
pub(crate) const DIRECT: bool = cfg!(target_os = "none");

/// [`forward_with`](super::forward_with) for every sample and group.
pub(super) fn forward_all(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    g: &Conv2dGeom,
) {
    let (cg, ocg, k, p, hw) = dims(g);
    for (xs, ys) in x
        .chunks_exact(g.in_c * hw)
        .zip(y.chunks_exact_mut(g.out_c * p))
    {
        let groups = xs.chunks_exact(cg * hw).zip(ys.chunks_exact_mut(ocg * p));
        for (grp, ((xg, yg), wg)) in groups.zip(weight.chunks_exact(ocg * k)).enumerate() {
            let bg = bias.map(|b| &b[grp * ocg..][..ocg]);
            forward(xg, wg, bg, yg, g);
        }
    }
}

/// One sample and group: `y[oc][..] = bias[oc] + sum_{ic, kh, kw} w[oc][ic][kh][kw]
/// x[ic][..]`, overwriting `y` (`bias` is the group's).
pub(super) fn forward(x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32], g: &Conv2dGeom) {
    match (g.k_w, g.stride_w, g.dil_w) {
        (3, 1, 1) => planes::<3, 1>(x, w, bias, y, g),
        (5, 1, 1) => planes::<5, 1>(x, w, bias, y, g),
        (3, 2, 1) => planes::<3, 2>(x, w, bias, y, g),
        (5, 2, 1) => planes::<5, 2>(x, w, bias, y, g),
        _ => planes::<0, 0>(x, w, bias, y, g),
    }
}

/// [`forward`] with blocks for a `KW`-wide kernel at stride `SW` (`KW = 0`:
/// every column through [`column`]).
#[inline(always)]
fn planes<const KW: usize, const SW: usize>(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    g: &Conv2dGeom,
) {
    let (_, _, k, p, _) = dims(g);
    let wide = g.is_wide();
    // The interior columns: the first and the last tap inside the row.
    let (lo, hi) = if KW == 0 {
        (0, 0)
    } else {
        let lo = valid(g.out_w, g.in_w, SW, g.pad_w, 0).0;
        (lo, valid(g.out_w, g.in_w, SW, g.pad_w, KW - 1).1.max(lo))
    };
    for (oc, (yc, wo)) in y.chunks_exact_mut(p).zip(w.chunks_exact(k)).enumerate() {
        let b = bias.map(|b| b[oc]);
        let start = if wide { 0.0 } else { b.unwrap_or(0.0) };
        let end = |v: f32| match b {
            Some(b) if wide => b + v,
            _ => v,
        };
        for (oh, yr) in yc.chunks_exact_mut(g.out_w).enumerate() {
            let kh = taps(oh, g);
            let mut ow = lo;
            while ow + 8 <= hi {
                block::<KW, SW, 8>(x, wo, &mut yr[ow..ow + 8], g, oh, ow, kh, start, end);
                ow += 8;
            }
            while ow + 4 <= hi {
                block::<KW, SW, 4>(x, wo, &mut yr[ow..ow + 4], g, oh, ow, kh, start, end);
                ow += 4;
            }
            while ow < hi {
                block::<KW, SW, 1>(x, wo, &mut yr[ow..ow + 1], g, oh, ow, kh, start, end);
                ow += 1;
            }
            for ow in (0..lo).chain(hi..g.out_w) {
                yr[ow] = end(column(x, wo, g, oh, ow, kh, start));
            }
        }
    }
}

/// The kernel rows `kh` whose input row `oh stride_h - pad_h + kh dil_h`
/// lies inside the input.
#[inline(always)]
fn taps(oh: usize, g: &Conv2dGeom) -> (usize, usize) {
    let top = oh * g.stride_h;
    let div_ceil = |v: usize| v.div_ceil(g.dil_h);
    let lo = div_ceil(g.pad_h.saturating_sub(top)).min(g.k_h);
    let hi = div_ceil((g.in_h + g.pad_h).saturating_sub(top)).min(g.k_h);
    (lo, hi.max(lo))
}

/// `N` interior outputs `yr[..N]` (columns `ow..ow + N` of row `oh`), their
/// sums in registers: for each input row the taps read, the `(N - 1) SW +
/// KW` inputs are loaded once.
#[inline(always)]
#[allow(clippy::too_many_arguments, reason = "one block's coordinates")]
fn block<const KW: usize, const SW: usize, const N: usize>(
    x: &[f32],
    wo: &[f32],
    yr: &mut [f32],
    g: &Conv2dGeom,
    oh: usize,
    ow: usize,
    (kh_lo, kh_hi): (usize, usize),
    start: f32,
    end: impl Fn(f32) -> f32,
) {
    let hw = g.in_h * g.in_w;
    let mut acc = [start; N];
    for ic in 0..g.in_c / g.groups {
        for kh in kh_lo..kh_hi {
            let ih = oh * g.stride_h + kh * g.dil_h - g.pad_h;
            let xr = &x[ic * hw + ih * g.in_w + ow * SW - g.pad_w..][..(N - 1) * SW + KW];
            let wr = &wo[(ic * g.k_h + kh) * KW..][..KW];
            for (kw, &wv) in wr.iter().enumerate() {
                for (j, a) in acc.iter_mut().enumerate() {
                    *a += wv * xr[j * SW + kw];
                }
            }
        }
    }
    for (y, a) in yr.iter_mut().zip(acc) {
        *y = end(a);
    }
}

/// The sum of output `(oh, ow)` from `start`, every tap checked.
#[inline(never)]
fn column(
    x: &[f32],
    wo: &[f32],
    g: &Conv2dGeom,
    oh: usize,
    ow: usize,
    (kh_lo, kh_hi): (usize, usize),
    start: f32,
) -> f32 {
    let (hw, left) = (g.in_h * g.in_w, ow * g.stride_w);
    let mut s = start;
    for ic in 0..g.in_c / g.groups {
        for kh in kh_lo..kh_hi {
            let ih = oh * g.stride_h + kh * g.dil_h - g.pad_h;
            let xr = &x[ic * hw + ih * g.in_w..][..g.in_w];
            let wr = &wo[(ic * g.k_h + kh) * g.k_w..][..g.k_w];
            for (kw, &wv) in wr.iter().enumerate() {
                let iw = left + kw * g.dil_w;
                if iw >= g.pad_w && iw - g.pad_w < g.in_w {
                    s += wv * xr[iw - g.pad_w];
                }
            }
        }
    }
    s
}
