//! `conv2d`: PyTorch's `nn.Conv2d` on a batch, NCHW.
//!
//! Shapes: `x` is `[batch][in_c][in_h][in_w]`, `weight` is
//! `[out_c][in_c / groups][k_h][k_w]` (PyTorch's layout), `bias` is `[out_c]`,
//! `y` is `[batch][out_c][out_h][out_w]`, as described by a [`Conv2dGeom`],
//! which the `network!` macro has checked (consistent output sizes, `groups`
//! dividing both channel counts, nothing zero).
//!
//! Each sample and group is unfolded (im2col) into `scratch` as the matrix
//! `col[in_c / groups * k_h * k_w][out_h * out_w]`, after which every pass is
//! a product from [`gemm`](super::gemm): `y = W col`, `gW += gy colᵀ`, and
//! `dcol = Wᵀ gy`, folded back (col2im) into `gx`. A 1x1 convolution with
//! stride 1 and no padding needs no unfolding: `x` is its own `col`. The
//! forward pass of other stride-1 convolutions unfolds "wide" (see
//! `Conv2dGeom::is_wide`): each row of `col` is then one whole window of the
//! padded input, which the product reads in place, with no copy.
//!
//! ```
//! use staticnet_runtime::kernels::conv2d::{conv2d_forward, Conv2dGeom};
//! // One 3x3 input, one 2x2 kernel of ones, stride 1: sums of 2x2 windows.
//! const G: Conv2dGeom = Conv2dGeom {
//!     in_c: 1, in_h: 3, in_w: 3, out_c: 1, out_h: 2, out_w: 2, k_h: 2, k_w: 2,
//!     stride_h: 1, stride_w: 1, pad_h: 0, pad_w: 0, dil_h: 1, dil_w: 1, groups: 1,
//! };
//! let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
//! let mut y = [0.0; 4];
//! let mut scratch = [0.0; G.scratch_len()]; // sized at compile time
//! conv2d_forward(&x, &[1.0; 4], Some(&[0.5]), &mut y, &mut scratch, 1, &G);
//! assert_eq!(y, [12.5, 16.5, 24.5, 28.5]);
//! ```

use super::gemm::{
    gemm_nn_rows_with, gemm_nn_with, gemm_nt_rows_with, gemm_nt_with, gemm_outer_with,
    gemm_tn_with, Isa, Rows, Store,
};

/// The geometry of a 2-D convolution (all sizes in elements; see the module
/// docs for the layouts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeom {
    /// Input channels.
    pub in_c: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Output channels.
    pub out_c: usize,
    /// Output height: `(in_h + 2 pad_h - dil_h (k_h - 1) - 1) / stride_h + 1`.
    pub out_h: usize,
    /// Output width: `(in_w + 2 pad_w - dil_w (k_w - 1) - 1) / stride_w + 1`.
    pub out_w: usize,
    /// Kernel height.
    pub k_h: usize,
    /// Kernel width.
    pub k_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Zero rows added above and below the input.
    pub pad_h: usize,
    /// Zero columns added left and right of the input.
    pub pad_w: usize,
    /// Vertical dilation (distance between kernel taps).
    pub dil_h: usize,
    /// Horizontal dilation.
    pub dil_w: usize,
    /// Channel groups: output channel `oc` sees the input channels of group
    /// `oc / (out_c / groups)`; `groups = in_c` is a depthwise convolution.
    pub groups: usize,
}

impl Conv2dGeom {
    /// The f32s of scratch that [`conv2d_forward`] needs (independent of
    /// the batch size): one group's unfolded input, or for a wide geometry
    /// (`is_wide`) its padded input and wide output, or nothing for a 1x1
    /// convolution with stride 1 and no padding.
    pub const fn scratch_len(&self) -> usize {
        let col = self.col_rows() * self.out_h * self.out_w;
        if self.is_pointwise() {
            0
        } else if self.is_wide() {
            self.padded_len() + self.out_c / self.groups * self.wide_len()
        } else {
            col
        }
    }

    /// The f32s of scratch that [`conv2d_backward`] needs, at least
    /// [`Self::scratch_len`] (a training cache shares one buffer between the
    /// two passes): for a wide geometry, one group's padded input, its
    /// output gradient in the wide layout and one input channel's rows of
    /// the unfolded input gradient; else as the forward pass.
    pub const fn train_scratch_len(&self) -> usize {
        let forward = self.scratch_len();
        if self.is_wide() {
            let wide = self.padded_len()
                + (self.out_c / self.groups + self.k_h * self.k_w) * self.wide_len();
            if wide > forward {
                wide
            } else {
                forward
            }
        } else if self.is_pointwise() {
            0
        } else {
            forward
        }
    }

    /// Whether the forward pass unfolds the input "wide" (stride 1, not
    /// [`Self::is_pointwise`], and
    /// padded rows at most twice as long as the output's): each im2col row is
    /// then one contiguous window of the (zero-padded) input, `wide_len` long,
    /// which the product reads in place ([`Rows`]), and it computes `in_w + 2
    /// pad_w - out_w` unused outputs per row, dropped afterwards. Unfolding
    /// row by row copies `out_w` elements at a time, which measured slower
    /// than the product itself for LeNet's layers, and copying the wide rows
    /// out was still a large part of LeNet's batch-1 forward (see
    /// `docs/performance.md`).
    const fn is_wide(&self) -> bool {
        !self.is_pointwise()
            && self.stride_h == 1
            && self.stride_w == 1
            && self.in_w + 2 * self.pad_w <= 2 * self.out_w
    }

    /// Length of a row of the wide im2col matrix: `(out_h - 1)` padded input
    /// rows and `out_w`.
    const fn wide_len(&self) -> usize {
        (self.out_h - 1) * (self.in_w + 2 * self.pad_w) + self.out_w
    }

    /// Elements of one group's zero-padded input, or 0 without padding.
    const fn padded_len(&self) -> usize {
        if self.pad_h == 0 && self.pad_w == 0 {
            0
        } else {
            self.in_c / self.groups * (self.in_h + 2 * self.pad_h) * (self.in_w + 2 * self.pad_w)
        }
    }

    /// Whether `x` is its own im2col matrix (1x1 kernel, stride 1, no padding).
    const fn is_pointwise(&self) -> bool {
        self.k_h == 1
            && self.k_w == 1
            && self.stride_h == 1
            && self.stride_w == 1
            && self.pad_h == 0
            && self.pad_w == 0
    }

    /// Rows of one group's im2col matrix: `in_c / groups * k_h * k_w`.
    const fn col_rows(&self) -> usize {
        self.in_c / self.groups * self.k_h * self.k_w
    }
}

/// `y[b][oc][oh][ow] = bias[oc] + sum_{ic, kh, kw} weight[oc][ic][kh][kw] *
/// x[b][g * in_c / groups + ic][oh sh - ph + kh dh][ow sw - pw + kw dw]`
/// (zero outside the input), where `g` is the group of `oc`.
pub fn conv2d_forward(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut [f32],
    batch: usize,
    g: &Conv2dGeom,
) {
    forward_with(Isa::best(), x, weight, bias, y, scratch, batch, g);
}

/// Gradients of [`conv2d_forward`] given `gy = dL/dy`, summed over the batch,
/// each overwritten: `gw`, `gb` and `gx` (`None` for a first layer, whose
/// input needs no gradient).
pub fn conv2d_backward(
    x: &[f32],
    weight: &[f32],
    gy: &[f32],
    gw: &mut [f32],
    gb: Option<&mut [f32]>,
    gx: Option<&mut [f32]>,
    scratch: &mut [f32],
    batch: usize,
    g: &Conv2dGeom,
) {
    backward_with(Isa::best(), x, weight, gy, gw, gb, gx, scratch, batch, g);
}

/// Per-group sizes: input channels, output channels, `col` rows, output
/// positions, input elements per channel.
fn dims(g: &Conv2dGeom) -> (usize, usize, usize, usize, usize) {
    let (cg, ocg) = (g.in_c / g.groups, g.out_c / g.groups);
    (cg, ocg, g.col_rows(), g.out_h * g.out_w, g.in_h * g.in_w)
}

/// [`conv2d_forward`] on the given path.
pub(crate) fn forward_with(
    isa: Isa,
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut [f32],
    batch: usize,
    g: &Conv2dGeom,
) {
    let (cg, ocg, k, p, hw) = dims(g);
    debug_assert_eq!(x.len(), batch * g.in_c * hw, "conv2d: x is [b][c][h][w]");
    debug_assert_eq!(
        weight.len(),
        g.out_c * k,
        "conv2d: weight is [oc][ic][kh][kw]"
    );
    debug_assert_eq!(y.len(), batch * g.out_c * p, "conv2d: y is [b][oc][oh][ow]");
    debug_assert!(
        scratch.len() >= g.scratch_len(),
        "conv2d: scratch too short"
    );
    if let Some(bias) = bias {
        debug_assert_eq!(bias.len(), g.out_c, "conv2d: bias is [oc]");
    }
    if g.is_wide() {
        // `forward_wide` adds the bias as it copies its output into `y`.
        for (xs, ys) in x
            .chunks_exact(g.in_c * hw)
            .zip(y.chunks_exact_mut(g.out_c * p))
        {
            let groups = xs.chunks_exact(cg * hw).zip(ys.chunks_exact_mut(ocg * p));
            for (grp, ((xg, yg), wg)) in groups.zip(weight.chunks_exact(ocg * k)).enumerate() {
                let bg = bias.map(|b| &b[grp * ocg..][..ocg]);
                forward_wide(isa, xg, wg, bg, yg, scratch, g);
            }
        }
        return;
    }
    let store = match bias {
        Some(bias) => {
            for (yc, &b) in y.chunks_exact_mut(p).zip(bias.iter().cycle()) {
                yc.fill(b);
            }
            Store::Accumulate
        }
        None => Store::Overwrite,
    };
    for (xs, ys) in x
        .chunks_exact(g.in_c * hw)
        .zip(y.chunks_exact_mut(g.out_c * p))
    {
        let groups = xs.chunks_exact(cg * hw).zip(ys.chunks_exact_mut(ocg * p));
        for ((xg, yg), wg) in groups.zip(weight.chunks_exact(ocg * k)) {
            let col: &[f32] = if g.is_pointwise() {
                xg
            } else {
                // One group's im2col matrix (none for a pointwise convolution).
                let col = &mut scratch[..g.scratch_len().min(k * p)];
                im2col(xg, col, g);
                col
            };
            gemm_nn_with(isa, wg, col, yg, ocg, p, k, store);
        }
    }
}

/// One sample and group of [`forward_with`] for [`Conv2dGeom::is_wide`]
/// geometries: `y = bias + W col` through a wide im2col matrix (`bias` is the
/// group's, `[ocg]`).
fn forward_wide(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut [f32],
    g: &Conv2dGeom,
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
            match bias {
                Some(b) => {
                    let b = b[oc];
                    yr.iter_mut().zip(ywr).for_each(|(y, &v)| *y = b + v);
                }
                None => yr.copy_from_slice(ywr),
            }
        }
    }
}

/// One group's input `x` (`[cg][in_h][in_w]`), zero-padded into `xp` (one
/// group's [`Conv2dGeom::padded_len`]), or `x` itself without padding.
fn pad_input<'a>(x: &'a [f32], xp: &'a mut [f32], g: &Conv2dGeom) -> &'a [f32] {
    if xp.is_empty() {
        return x;
    }
    let wp = g.in_w + 2 * g.pad_w;
    xp.fill(0.0);
    let planes = xp.chunks_exact_mut(xp.len() / (g.in_c / g.groups));
    for (xpc, xc) in planes.zip(x.chunks_exact(g.in_h * g.in_w)) {
        let rows = xpc[g.pad_h * wp..].chunks_exact_mut(wp);
        for (xpr, xr) in rows.zip(xc.chunks_exact(g.in_w)) {
            xpr[g.pad_w..g.pad_w + g.in_w].copy_from_slice(xr);
        }
    }
    xp
}

/// One sample and group of [`backward_with`] for [`Conv2dGeom::is_wide`]
/// geometries, with no im2col matrix. The output gradient is laid out wide,
/// `gyw[oc][oh wp + ow]` with zeros in the `wp - out_w` gaps, so that the
/// weight gradient, `gyw` times the wide im2col matrix transposed, reads the
/// rows of that matrix in place from the padded input, as the forward pass
/// does; the unfolded input gradient `Wᵀ gyw` (one input channel's rows at a
/// time) folds back into the padded input gradient by adding each row, a
/// contiguous run, at its window.
fn backward_wide(
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
    let (cg, ocg, _, p, _) = dims(g);
    let (hp, wp, len) = (g.in_h + 2 * g.pad_h, g.in_w + 2 * g.pad_w, g.wide_len());
    let (xp_buf, rest) = scratch.split_at_mut(g.padded_len());
    let (gyw, dcol) = rest.split_at_mut(ocg * len);
    for (gywc, gyc) in gyw.chunks_exact_mut(len).zip(gy.chunks_exact(p)) {
        for (oh, gyr) in gyc.chunks_exact(g.out_w).enumerate() {
            let row = &mut gywc[oh * wp..];
            row[..g.out_w].copy_from_slice(gyr);
            // The gap to the next row (the last row ends the buffer).
            let gap = (wp - g.out_w).min(row.len() - g.out_w);
            row[g.out_w..g.out_w + gap].fill(0.0);
        }
    }
    let rows = Rows {
        dims: [cg, g.k_h, g.k_w],
        strides: [hp * wp, g.dil_h * wp, g.dil_w],
    };
    gemm_nt_rows_with(isa, gyw, pad_input(x, xp_buf, g), rows, gw, ocg, len, store);
    let Some(gx) = gx else { return };
    if xp_buf.is_empty() {
        fold_wide(isa, w, gyw, dcol, gx, g);
        return;
    }
    // The padded input gradient (the padded input is spent), then its inside.
    fold_wide(isa, w, gyw, dcol, xp_buf, g);
    let planes = xp_buf.chunks_exact(hp * wp);
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

/// [`conv2d_backward`] on the given path.
pub(crate) fn backward_with(
    isa: Isa,
    x: &[f32],
    weight: &[f32],
    gy: &[f32],
    gw: &mut [f32],
    gb: Option<&mut [f32]>,
    mut gx: Option<&mut [f32]>,
    scratch: &mut [f32],
    batch: usize,
    g: &Conv2dGeom,
) {
    let (cg, ocg, k, p, hw) = dims(g);
    debug_assert_eq!(x.len(), batch * g.in_c * hw, "conv2d: x is [b][c][h][w]");
    debug_assert_eq!(
        weight.len(),
        g.out_c * k,
        "conv2d: weight is [oc][ic][kh][kw]"
    );
    debug_assert_eq!(
        gy.len(),
        batch * g.out_c * p,
        "conv2d: gy is [b][oc][oh][ow]"
    );
    debug_assert_eq!(gw.len(), g.out_c * k, "conv2d: gw is [oc][ic][kh][kw]");
    if let Some(gb) = gb {
        debug_assert_eq!(gb.len(), g.out_c, "conv2d: gb is [oc]");
        gb.fill(0.0);
        for gys in gy.chunks_exact(g.out_c * p) {
            for (gb, gyc) in gb.iter_mut().zip(gys.chunks_exact(p)) {
                *gb += super::sum(gyc);
            }
        }
    }
    if let Some(gx) = gx.as_deref() {
        debug_assert_eq!(gx.len(), x.len(), "conv2d: gx is [b][c][h][w]");
    }
    if batch == 0 {
        gw.fill(0.0);
    }
    debug_assert!(
        scratch.len() >= g.train_scratch_len(),
        "conv2d: scratch too short for the backward pass"
    );
    for (s, (xs, gys)) in x
        .chunks_exact(g.in_c * hw)
        .zip(gy.chunks_exact(g.out_c * p))
        .enumerate()
    {
        let store = if s == 0 {
            Store::Overwrite
        } else {
            Store::Accumulate
        };
        for (grp, (xg, gyg)) in xs
            .chunks_exact(cg * hw)
            .zip(gys.chunks_exact(ocg * p))
            .enumerate()
        {
            let (wg, gwg) = (
                &weight[grp * ocg * k..][..ocg * k],
                &mut gw[grp * ocg * k..][..ocg * k],
            );
            let gxg = gx
                .as_deref_mut()
                .map(|gx| &mut gx[(s * g.in_c + grp * cg) * hw..][..cg * hw]);
            if g.is_wide() {
                backward_wide(isa, xg, wg, gyg, gwg, gxg, scratch, store, g);
            } else if g.is_pointwise() {
                gemm_nt_with(isa, gyg, xg, gwg, ocg, k, p, store);
                if let Some(gxg) = gxg {
                    gemm_tn_with(isa, wg, gyg, gxg, k, p, ocg, Store::Overwrite);
                }
            } else {
                // One group's im2col matrix.
                let col = &mut scratch[..k * p];
                im2col(xg, col, g);
                gemm_nt_with(isa, gyg, col, gwg, ocg, k, p, store);
                if let Some(gxg) = gxg {
                    // `col` is spent: it now holds the unfolded input gradient.
                    gemm_tn_with(isa, wg, gyg, col, k, p, ocg, Store::Overwrite);
                    col2im(col, gxg, g);
                }
            }
        }
    }
}

/// The outputs `o` in `lo..hi` whose input `o * stride + off - pad` lies in
/// `0..len`, for the kernel tap at offset `off` (`kh * dil_h`, say). A
/// division costs tens of cycles, as much as copying a row: stride 1 has none.
#[inline(always)]
fn valid(out: usize, len: usize, stride: usize, pad: usize, off: usize) -> (usize, usize) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
    use std::vec::Vec;

    /// PyTorch's output size, or `None` when the dilated kernel does not fit.
    fn out_size(len: usize, k: usize, stride: usize, pad: usize, dil: usize) -> Option<usize> {
        (len + 2 * pad)
            .checked_sub(dil * (k - 1) + 1)
            .map(|v| v / stride + 1)
    }

    /// A geometry from `(in_c, out_c, groups)` and `(h, w)` pairs of input
    /// size, kernel, stride, padding and dilation; `None` if it is invalid.
    fn geom(
        (in_c, out_c, groups): (usize, usize, usize),
        (in_h, in_w): (usize, usize),
        (k_h, k_w): (usize, usize),
        (stride_h, stride_w): (usize, usize),
        (pad_h, pad_w): (usize, usize),
        (dil_h, dil_w): (usize, usize),
    ) -> Option<Conv2dGeom> {
        Some(Conv2dGeom {
            in_c,
            in_h,
            in_w,
            out_c,
            out_h: out_size(in_h, k_h, stride_h, pad_h, dil_h)?,
            out_w: out_size(in_w, k_w, stride_w, pad_w, dil_w)?,
            k_h,
            k_w,
            stride_h,
            stride_w,
            pad_h,
            pad_w,
            dil_h,
            dil_w,
            groups,
        })
    }

    /// Calls `f(y, x, w)` with flat indices for every term of the definition
    /// `y[b][oc][oh][ow] += w[oc][ic][kh][kw] * x[b][ic'][ih][iw]`, skipping
    /// the taps that fall into the padding.
    fn for_each_term(batch: usize, g: &Conv2dGeom, mut f: impl FnMut(usize, usize, usize)) {
        let (cg, ocg) = (g.in_c / g.groups, g.out_c / g.groups);
        for b in 0..batch {
            for oc in 0..g.out_c {
                for oh in 0..g.out_h {
                    for ow in 0..g.out_w {
                        let yi = ((b * g.out_c + oc) * g.out_h + oh) * g.out_w + ow;
                        for ic in 0..cg {
                            for kh in 0..g.k_h {
                                for kw in 0..g.k_w {
                                    let ih = (oh * g.stride_h + kh * g.dil_h).checked_sub(g.pad_h);
                                    let iw = (ow * g.stride_w + kw * g.dil_w).checked_sub(g.pad_w);
                                    let (Some(ih), Some(iw)) = (ih, iw) else {
                                        continue;
                                    };
                                    if ih >= g.in_h || iw >= g.in_w {
                                        continue;
                                    }
                                    let c = oc / ocg * cg + ic;
                                    let xi = ((b * g.in_c + c) * g.in_h + ih) * g.in_w + iw;
                                    let wi = ((oc * cg + ic) * g.k_h + kh) * g.k_w + kw;
                                    f(yi, xi, wi);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The definition, in f64.
    fn forward_ref(
        x: &[f64],
        w: &[f64],
        bias: Option<&[f64]>,
        batch: usize,
        g: &Conv2dGeom,
    ) -> Vec<f64> {
        let p = g.out_h * g.out_w;
        let mut y: Vec<f64> = (0..batch * g.out_c * p)
            .map(|i| bias.map_or(0.0, |b| b[i / p % g.out_c]))
            .collect();
        for_each_term(batch, g, |yi, xi, wi| y[yi] += w[wi] * x[xi]);
        y
    }

    /// The exact adjoint of [`forward_ref`], in f64: `(gx, gw, gb)`.
    fn backward_ref(
        x: &[f64],
        w: &[f64],
        gy: &[f64],
        batch: usize,
        g: &Conv2dGeom,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (mut gx, mut gw) = (std::vec![0.0; x.len()], std::vec![0.0; w.len()]);
        for_each_term(batch, g, |yi, xi, wi| {
            gx[xi] += gy[yi] * w[wi];
            gw[wi] += gy[yi] * x[xi];
        });
        let p = g.out_h * g.out_w;
        let mut gb = std::vec![0.0; g.out_c];
        for (i, &d) in gy.iter().enumerate() {
            gb[i / p % g.out_c] += d;
        }
        (gx, gw, gb)
    }

    /// Random `(x, weight, bias, gy)` for a geometry.
    fn data(batch: usize, g: &Conv2dGeom) -> [Vec<f32>; 4] {
        let k = g.in_c / g.groups * g.k_h * g.k_w;
        [
            random_vec(30, batch * g.in_c * g.in_h * g.in_w),
            random_vec(31, g.out_c * k),
            random_vec(32, g.out_c),
            random_vec(33, batch * g.out_c * g.out_h * g.out_w),
        ]
    }

    /// Forward (with and without bias) and backward against the f64
    /// definition and its exact adjoint, on one path, with NaN preloaded in
    /// `y`, every gradient and the scratch (of exactly `scratch_len` for the
    /// forward pass, `train_scratch_len` for the backward pass).
    /// Tolerance rtol 1e-5, atol 1e-5: f32 sums of at most 192 products of
    /// values in [-1, 1) (150 per output, 3 x 64 per weight gradient), as in
    /// gemm's tests.
    fn check(isa: Isa, batch: usize, g: &Conv2dGeom) {
        let [x, w, b, gy] = data(batch, g);
        let (x64, w64, b64, gy64) = (to_f64(&x), to_f64(&w), to_f64(&b), to_f64(&gy));
        let mut scratch = std::vec![f32::NAN; g.scratch_len()];
        let (rtol, atol) = (1e-5, 1e-5);
        for bias in [None, Some(&b[..])] {
            let mut y = std::vec![f32::NAN; gy.len()];
            forward_with(isa, &x, &w, bias, &mut y, &mut scratch, batch, g);
            let want = forward_ref(&x64, &w64, bias.map(|_| &b64[..]), batch, g);
            let what = std::format!("y {isa:?} batch={batch} bias={} {g:?}", bias.is_some());
            assert_close(&what, &y, &want, rtol, atol);
        }
        let mut scratch = std::vec![f32::NAN; g.train_scratch_len()];
        let (want_gx, want_gw, want_gb) = backward_ref(&x64, &w64, &gy64, batch, g);
        let mut gw = std::vec![f32::NAN; w.len()];
        let mut gb = std::vec![f32::NAN; b.len()];
        let mut gx = std::vec![f32::NAN; x.len()];
        backward_with(
            isa,
            &x,
            &w,
            &gy,
            &mut gw,
            Some(&mut gb),
            Some(&mut gx),
            &mut scratch,
            batch,
            g,
        );
        let what = std::format!("{isa:?} batch={batch} {g:?}");
        assert_close(&std::format!("gx {what}"), &gx, &want_gx, rtol, atol);
        assert_close(&std::format!("gw {what}"), &gw, &want_gw, rtol, atol);
        assert_close(&std::format!("gb {what}"), &gb, &want_gb, rtol, atol);
        // Without the optional gradients, `gw` is the same.
        let mut gw2 = std::vec![f32::NAN; w.len()];
        backward_with(
            isa,
            &x,
            &w,
            &gy,
            &mut gw2,
            None,
            None,
            &mut scratch,
            batch,
            g,
        );
        assert_eq!(gw, gw2, "gw without gb, gx: {what}");
    }

    /// (in_c, out_c, groups): single channel, plain, grouped both ways,
    /// depthwise, depthwise with a channel multiplier.
    const CHANNELS: [(usize, usize, usize); 7] = [
        (1, 1, 1),
        (3, 4, 1),
        (1, 6, 1),
        (4, 6, 2),
        (6, 4, 2),
        (4, 4, 4),
        (3, 6, 3),
    ];

    /// Every combination of input size, kernel, stride, padding and dilation
    /// that fits, each with every channel configuration at batch 1 and 3.
    #[test]
    fn matches_reference_on_every_geometry() {
        let mut count = 0;
        for isa in Isa::available() {
            for size in [(1, 1), (3, 3), (7, 8), (8, 3)] {
                for k in [(1, 1), (2, 2), (3, 3), (5, 5), (2, 3)] {
                    for stride in [(1, 1), (2, 2), (3, 3), (2, 1)] {
                        for pad in [(0, 0), (1, 1), (2, 2), (0, 1), (2, 0)] {
                            for dil in [(1, 1), (2, 2), (1, 2)] {
                                for ch in CHANNELS {
                                    let Some(g) = geom(ch, size, k, stride, pad, dil) else {
                                        continue;
                                    };
                                    for batch in [1, 3] {
                                        check(isa, batch, &g);
                                        count += 1;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(count > 1000, "{count} geometries");
    }

    /// Each feature on its own and together: stride, padding, dilation,
    /// groups, depthwise, non-square everything, pointwise, LeNet's layers.
    fn fd_cases() -> [Conv2dGeom; 10] {
        [
            geom((2, 3, 1), (5, 5), (3, 3), (1, 1), (0, 0), (1, 1)),
            geom((2, 3, 1), (7, 7), (3, 3), (2, 2), (0, 0), (1, 1)),
            geom((2, 3, 1), (5, 5), (3, 3), (1, 1), (1, 1), (1, 1)),
            geom((2, 3, 1), (7, 7), (3, 3), (1, 1), (0, 0), (2, 2)),
            geom((4, 6, 2), (5, 5), (3, 3), (1, 1), (1, 1), (1, 1)),
            geom((3, 3, 3), (6, 6), (3, 3), (2, 2), (1, 1), (1, 1)),
            geom((3, 2, 1), (7, 8), (2, 3), (2, 1), (1, 2), (2, 1)),
            geom((3, 4, 1), (3, 5), (1, 1), (1, 1), (0, 0), (1, 1)),
            geom((1, 6, 1), (8, 8), (5, 5), (1, 1), (2, 2), (1, 1)),
            geom((6, 4, 2), (7, 7), (5, 5), (1, 1), (0, 0), (1, 1)),
        ]
        .map(Option::unwrap)
    }

    /// Every gradient against central finite differences of the f64
    /// definition. It is linear in each argument, so the differences are
    /// exact up to f64 rounding; rtol 1e-4, atol 1e-5 cover the f32 kernels.
    #[test]
    fn backward_matches_finite_differences() {
        for isa in Isa::available() {
            for g in fd_cases() {
                let batch = 2;
                let [x, w, b, gy] = data(batch, &g);
                let (x64, w64, b64) = (to_f64(&x), to_f64(&w), to_f64(&b));
                let mut gw = std::vec![f32::NAN; w.len()];
                let mut gb = std::vec![f32::NAN; b.len()];
                let mut gx = std::vec![f32::NAN; x.len()];
                let mut scratch = std::vec![f32::NAN; g.train_scratch_len()];
                backward_with(
                    isa,
                    &x,
                    &w,
                    &gy,
                    &mut gw,
                    Some(&mut gb),
                    Some(&mut gx),
                    &mut scratch,
                    batch,
                    &g,
                );
                let what = std::format!("{isa:?} {g:?}");
                let fd = fd_vjp(|x| forward_ref(x, &w64, Some(&b64), batch, &g), &x, &gy);
                assert_close(&std::format!("gx {what}"), &gx, &fd, 1e-4, 1e-5);
                let fd = fd_vjp(|w| forward_ref(&x64, w, Some(&b64), batch, &g), &w, &gy);
                assert_close(&std::format!("gw {what}"), &gw, &fd, 1e-4, 1e-5);
                let fd = fd_vjp(|b| forward_ref(&x64, &w64, Some(b), batch, &g), &b, &gy);
                assert_close(&std::format!("gb {what}"), &gb, &fd, 1e-4, 1e-5);
            }
        }
    }

    /// The public entry points (the default path) at LeNet-5's two layers.
    #[test]
    fn public_functions_match_reference() {
        let lenet = [
            geom((1, 6, 1), (28, 28), (5, 5), (1, 1), (2, 2), (1, 1)).unwrap(),
            geom((6, 16, 1), (14, 14), (5, 5), (1, 1), (0, 0), (1, 1)).unwrap(),
        ];
        for g in &lenet {
            let batch = 3;
            let [x, w, b, gy] = data(batch, g);
            let (x64, w64, b64, gy64) = (to_f64(&x), to_f64(&w), to_f64(&b), to_f64(&gy));
            let mut scratch = std::vec![f32::NAN; g.train_scratch_len()];
            let mut y = std::vec![f32::NAN; gy.len()];
            conv2d_forward(&x, &w, Some(&b), &mut y, &mut scratch, batch, g);
            let want = forward_ref(&x64, &w64, Some(&b64), batch, g);
            assert_close(&std::format!("y {g:?}"), &y, &want, 1e-5, 1e-5);
            let (want_gx, want_gw, want_gb) = backward_ref(&x64, &w64, &gy64, batch, g);
            let mut gw = std::vec![f32::NAN; w.len()];
            let mut gb = std::vec![f32::NAN; b.len()];
            let mut gx = std::vec![f32::NAN; x.len()];
            conv2d_backward(
                &x,
                &w,
                &gy,
                &mut gw,
                Some(&mut gb),
                Some(&mut gx),
                &mut scratch,
                batch,
                g,
            );
            // The weight gradient sums 3 x 784 products: atol 1e-4 (gemm's
            // tolerance for sums of that length).
            assert_close(&std::format!("gx {g:?}"), &gx, &want_gx, 1e-5, 1e-5);
            assert_close(&std::format!("gw {g:?}"), &gw, &want_gw, 1e-5, 1e-4);
            assert_close(&std::format!("gb {g:?}"), &gb, &want_gb, 1e-5, 1e-4);
        }
    }
}
