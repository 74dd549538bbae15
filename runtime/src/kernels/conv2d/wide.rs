//! Stride-1 convolutions ([`Conv2dGeom::is_wide`]) through a "wide" im2col
//! matrix whose rows are windows of the padded input, read in place through
//! a row table ([`Rows`]): no column matrix is copied in either pass.

use super::{dims, Conv2dGeom};
use crate::kernels::gemm::{gemm_nn_rows_with, gemm_nt_rows_with, gemm_outer_with, Rows, Store};
use crate::kernels::isa::Isa;
use crate::kernels::relu::relu as act;

/// One sample and group of [`forward_with`](super::forward_with) for
/// [`Conv2dGeom::is_wide`] geometries: `y = bias + W col` through a wide
/// im2col matrix (`bias` is the group's, `[ocg]`), then `y = relu(y)` with
/// `relu`, both as the product's output is copied into `y`.
pub(super) fn forward(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut [f32],
    g: &Conv2dGeom,
    relu: bool,
) {
    let (cg, ocg, k, _, _) = dims(g);
    let (hp, wp, len) = (g.in_h + 2 * g.pad_h, g.in_w + 2 * g.pad_w, g.wide_len());
    let (xp, rest) = scratch.split_at_mut(g.padded_len());
    let y_wide = &mut rest[..ocg * len];
    let xp = pad_input(x, xp, g);
    // Row `(c, kh, kw)`, column `q = oh wp + ow`: `xp[c][oh + kh dh][ow + kw
    // dw]`, a window of `xp` that ends inside channel `c` (stride 1 makes
    // `out_h + (k_h - 1) dil_h = hp`, and so for the width), read in place:
    // copying the `k` windows out took longer than the product.
    let rows = Rows {
        dims: [cg, g.k_h, g.k_w],
        strides: [hp * wp, g.dil_h * wp, g.dil_w],
    };
    debug_assert_eq!(rows.k(), k);
    gemm_nn_rows_with(isa, w, xp, rows, y_wide, ocg, len, Store::Overwrite);
    for (oc, (yc, ywc)) in y
        .chunks_exact_mut(g.out_h * g.out_w)
        .zip(y_wide.chunks_exact(len))
        .enumerate()
    {
        for (yr, ywr) in yc.chunks_exact_mut(g.out_w).zip(ywc.chunks(wp)) {
            let ywr = &ywr[..g.out_w];
            let b = bias.map(|b| b[oc]);
            match (b, relu) {
                (Some(b), false) => yr.iter_mut().zip(ywr).for_each(|(y, &v)| *y = b + v),
                (Some(b), true) => yr.iter_mut().zip(ywr).for_each(|(y, &v)| *y = act(b + v)),
                (None, false) => yr.copy_from_slice(ywr),
                (None, true) => yr.iter_mut().zip(ywr).for_each(|(y, &v)| *y = act(v)),
            }
        }
    }
}

/// One group's input `x` (`[cg][in_h][in_w]`), zero-padded into `xp` (one
/// group's [`Conv2dGeom::padded_len`]), or `x` itself without padding.
pub(super) fn pad_input<'a>(x: &'a [f32], xp: &'a mut [f32], g: &Conv2dGeom) -> &'a [f32] {
    if xp.is_empty() {
        return x;
    }
    let wp = g.in_w + 2 * g.pad_w;
    let planes = xp.chunks_exact_mut(xp.len() / (g.in_c / g.groups));
    for (xpc, xc) in planes.zip(x.chunks_exact(g.in_h * g.in_w)) {
        // Only the border is zeroed: the rows above and below, and the
        // `pad_w` columns either side of each row (the rest is `x`).
        let (top, rest) = xpc.split_at_mut(g.pad_h * wp);
        top.fill(0.0);
        let (inner, bottom) = rest.split_at_mut(g.in_h * wp);
        bottom.fill(0.0);
        for (xpr, xr) in inner.chunks_exact_mut(wp).zip(xc.chunks_exact(g.in_w)) {
            xpr[..g.pad_w].fill(0.0);
            xpr[g.pad_w..g.pad_w + g.in_w].copy_from_slice(xr);
            xpr[g.pad_w + g.in_w..].fill(0.0);
        }
    }
    xp
}

/// One sample and group of [`backward_with`](super::backward_with) for
/// [`Conv2dGeom::is_wide`] geometries, with no im2col matrix. The output gradient is laid out wide,
/// `gyw[oc][oh wp + ow]` with zeros in the `wp - out_w` gaps, so that the
/// weight gradient, `gyw` times the wide im2col matrix transposed, reads the
/// rows of that matrix in place from the padded input, as the forward pass
/// does; the unfolded input gradient `Wᵀ gyw` (one input channel's rows at a
/// time) folds back into the padded input gradient by adding each row, a
/// contiguous run, at its window.
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
    let (cg, ocg, _, _, _) = dims(g);
    let (hp, wp, len) = (g.in_h + 2 * g.pad_h, g.in_w + 2 * g.pad_w, g.wide_len());
    let (xp_buf, rest) = scratch.split_at_mut(g.padded_len());
    let (gyw, dcol) = rest.split_at_mut(ocg * len);
    widen(gy, gyw, g);
    let rows = Rows {
        dims: [cg, g.k_h, g.k_w],
        strides: [hp * wp, g.dil_h * wp, g.dil_w],
    };
    gemm_nt_rows_with(isa, gyw, pad_input(x, xp_buf, g), rows, gw, ocg, len, store);
    if let Some(gx) = gx {
        input_grad(isa, w, gyw, xp_buf, dcol, gx, g);
    }
}

/// `gyw[oc][oh wp + ow]` = `gy[oc][oh][ow]`, zero in the `wp - out_w` gaps
/// (`gyw` is one group's `ocg * wide_len`).
pub(super) fn widen(gy: &[f32], gyw: &mut [f32], g: &Conv2dGeom) {
    let (_, _, _, p, _) = dims(g);
    let (wp, len) = (g.in_w + 2 * g.pad_w, g.wide_len());
    for (gywc, gyc) in gyw.chunks_exact_mut(len).zip(gy.chunks_exact(p)) {
        for (oh, gyr) in gyc.chunks_exact(g.out_w).enumerate() {
            let row = &mut gywc[oh * wp..];
            row[..g.out_w].copy_from_slice(gyr);
            // The gap to the next row (the last row ends the buffer).
            let gap = (wp - g.out_w).min(row.len() - g.out_w);
            row[g.out_w..g.out_w + gap].fill(0.0);
        }
    }
}

/// One group's input gradient `gx` (overwritten) from the wide output
/// gradient `gyw` ([`widen`]): folded into `xp_buf` (the padded input
/// gradient, then copied inside out) or, without padding, into `gx`
/// directly; `dcol` holds `k_h k_w wide_len` floats.
pub(super) fn input_grad(
    isa: Isa,
    w: &[f32],
    gyw: &[f32],
    xp_buf: &mut [f32],
    dcol: &mut [f32],
    gx: &mut [f32],
    g: &Conv2dGeom,
) {
    if xp_buf.is_empty() {
        fold_wide(isa, w, gyw, dcol, gx, g);
        return;
    }
    // The padded input gradient (the padded input is spent), then its inside.
    fold_wide(isa, w, gyw, dcol, xp_buf, g);
    unpad(xp_buf, gx, g);
}

/// `gx` (one group's `[cg][in_h][in_w]`) = the inside of the padded `gxp`.
pub(super) fn unpad(gxp: &[f32], gx: &mut [f32], g: &Conv2dGeom) {
    let (hp, wp) = (g.in_h + 2 * g.pad_h, g.in_w + 2 * g.pad_w);
    let planes = gxp.chunks_exact(hp * wp);
    for (gxc, gxpc) in gx.chunks_exact_mut(g.in_h * g.in_w).zip(planes) {
        let rows = gxpc[g.pad_h * wp..].chunks_exact(wp);
        for (gxr, gxpr) in gxc.chunks_exact_mut(g.in_w).zip(rows) {
            gxr.copy_from_slice(&gxpr[g.pad_w..g.pad_w + g.in_w]);
        }
    }
}

/// `gxp` (one group's padded input gradient, overwritten) = the wide
/// unfolded input gradient `Wᵀ gyw` folded back: each row `(c, kh, kw)`,
/// computed into `dcol` one input channel at a time, added at its window.
fn fold_wide(isa: Isa, w: &[f32], gyw: &[f32], dcol: &mut [f32], gxp: &mut [f32], g: &Conv2dGeom) {
    let (_, ocg, k, _, _) = dims(g);
    let (hp, wp, len) = (g.in_h + 2 * g.pad_h, g.in_w + 2 * g.pad_w, g.wide_len());
    let taps = g.k_h * g.k_w;
    let dcol = &mut dcol[..taps * len];
    gxp.fill(0.0);
    for (c, gxc) in gxp.chunks_exact_mut(hp * wp).enumerate() {
        // dcol[(kh, kw)][q] = sum_oc w[oc][c][kh][kw] gyw[oc][q].
        gemm_outer_with(
            isa,
            &w[c * taps..],
            (1, k),
            gyw,
            dcol,
            taps,
            len,
            ocg,
            Store::Overwrite,
        );
        for (t, drow) in dcol.chunks_exact(len).enumerate() {
            let at = t / g.k_w * g.dil_h * wp + t % g.k_w * g.dil_w;
            let dst = &mut gxc[at..at + len];
            dst.iter_mut().zip(drow).for_each(|(x, &d)| *x += d);
        }
    }
}
