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
//! One file per algorithm, each with its forward and backward pass for one
//! sample and group: `pointwise.rs` (1x1, stride 1, no padding), `wide.rs`
//! (other stride-1 geometries, through a row table), `lanes.rs` (stride-1
//! geometries whose groups have a multiple of 16 output channels, on
//! AVX-512: the output channels in the vector lanes, no padded columns) and
//! `im2col.rs` (everything else); `geom.rs` holds the geometry and its
//! scratch sizes.
//! On bare-metal targets (`target_os = "none"`) the forward pass of every
//! geometry but the pointwise one is `direct.rs`, with no column buffer
//! and no scratch (the same bits as the portable product).
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

use crate::raw::param_block;

param_block! {
    /// Parameters of `conv2d(OC, (KH, KW), groups = g)` on `IC` input channels,
    /// `ICG = IC / g`: PyTorch's `nn.Conv2d`, `weight` is `[out][in/groups][kh][kw]`.
    pub struct Conv2d<const OC: usize, const ICG: usize, const KH: usize, const KW: usize> {
        /// `[out][in/groups][kh][kw]`
        pub weight: [[[[f32; KW]; KH]; ICG]; OC],
        /// `[out]`
        pub bias: [f32; OC],
    }

    /// Parameters of `conv2d(..., bias = false)`.
    pub struct Conv2dNoBias<const OC: usize, const ICG: usize, const KH: usize, const KW: usize> {
        /// `[out][in/groups][kh][kw]`
        pub weight: [[[[f32; KW]; KH]; ICG]; OC],
    }
}

#[cfg_attr(
    not(target_os = "none"),
    allow(
        dead_code,
        reason = "run on bare-metal targets, tested on every target"
    )
)]
mod direct;
mod geom;
mod im2col;
pub(crate) mod lanes;
mod pointwise;
mod wide;

use super::gemm::Store;
use super::isa::Isa;
use geom::dims;
pub use geom::Conv2dGeom;
pub(crate) use lanes::LanesGeom;

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

/// [`conv2d_forward`] followed by a ReLU (`relu::relu`) over `y`, applied
/// as the output is copied out where the algorithm copies it (stride-1
/// geometries on hosts), else by a pass over `y`: the single-sample forward
/// of a network calls it for a convolution followed by `relu`, which then
/// does nothing (the same bits as the two layers).
#[inline(always)]
pub fn conv2d_forward_relu(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut [f32],
    batch: usize,
    g: &Conv2dGeom,
) {
    forward_act(Isa::best(), x, weight, bias, y, scratch, batch, g, true);
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
    forward_act(isa, x, weight, bias, y, scratch, batch, g, false);
}

/// [`forward_with`], then a ReLU over `y` with `relu`.
#[inline]
fn forward_act(
    isa: Isa,
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut [f32],
    batch: usize,
    g: &Conv2dGeom,
    relu: bool,
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
    if !direct::DIRECT && lanes::forward_applies(isa, g, scratch.len()) {
        lanes::forward(isa, x, weight, bias, y, scratch, g, relu);
        return;
    }
    if g.is_wide() && !direct::DIRECT {
        // `wide::forward` adds the bias (and applies the ReLU) as it copies
        // its output into `y`.
        for (xs, ys) in x
            .chunks_exact(g.in_c * hw)
            .zip(y.chunks_exact_mut(g.out_c * p))
        {
            let groups = xs.chunks_exact(cg * hw).zip(ys.chunks_exact_mut(ocg * p));
            for (grp, ((xg, yg), wg)) in groups.zip(weight.chunks_exact(ocg * k)).enumerate() {
                let bg = bias.map(|b| &b[grp * ocg..][..ocg]);
                wide::forward(isa, xg, wg, bg, yg, scratch, g, relu);
            }
        }
        return;
    }
    product_or_direct(isa, x, weight, bias, y, scratch, g);
    if relu {
        super::relu::relu_in_place(y);
    }
}

/// [`forward_with`] for every geometry but the wide ones on hosts.
fn product_or_direct(
    isa: Isa,
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut [f32],
    g: &Conv2dGeom,
) {
    let (cg, ocg, k, p, hw) = dims(g);
    if direct::DIRECT && !g.is_pointwise() {
        return direct::forward_all(x, weight, bias, y, g);
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
            if g.is_pointwise() {
                pointwise::forward(isa, xg, wg, yg, store, g);
            } else {
                im2col::forward(isa, xg, wg, yg, scratch, store, g);
            }
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
    if lanes::backward_applies(isa, g, scratch.len()) {
        return lanes::backward(isa, x, weight, gy, gw, gx, scratch, g);
    }
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
                wide::backward(isa, xg, wg, gyg, gwg, gxg, scratch, store, g);
            } else if g.is_pointwise() {
                pointwise::backward(isa, xg, wg, gyg, gwg, gxg, store, g);
            } else {
                im2col::backward(isa, xg, wg, gyg, gwg, gxg, scratch, store, g);
            }
        }
    }
}

#[cfg(test)]
mod tests;
