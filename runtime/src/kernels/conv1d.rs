//! `conv1d`: PyTorch's `nn.Conv1d` on a batch, a [`conv2d`](super::conv2d)
//! of height 1.
//!
//! Shapes: `x` is `[batch][in_c][in_l]`, `weight` is `[out_c][in_c /
//! groups][k]` (PyTorch's layout), `bias` is `[out_c]`, `y` is
//! `[batch][out_c][out_l]`, as described by a [`Conv1dGeom`], which the
//! `network!` macro has checked.
//!
//! ```
//! use staticnet_runtime::kernels::conv1d::{conv1d_forward, Conv1dGeom};
//! // Differences of neighbours: kernel [-1, 1], stride 2.
//! const G: Conv1dGeom = Conv1dGeom {
//!     in_c: 1, in_l: 5, out_c: 1, out_l: 2, k: 2, stride: 2, pad: 0, dil: 1, groups: 1,
//! };
//! let x = [1.0, 3.0, 6.0, 10.0, 15.0];
//! let mut y = [0.0; 2];
//! let mut scratch = [0.0; G.scratch_len()]; // sized at compile time
//! conv1d_forward(&x, &[-1.0, 1.0], None, &mut y, &mut scratch, 1, &G);
//! assert_eq!(y, [2.0, 4.0]);
//! ```

use super::conv2d::{conv2d_backward, conv2d_forward, Conv2dGeom};

use crate::raw::param_block;

param_block! {
    /// Parameters of `conv1d(OC, K, groups = g)`: PyTorch's `nn.Conv1d`,
    /// `weight` is `[out][in/groups][k]`.
    pub struct Conv1d<const OC: usize, const ICG: usize, const K: usize> {
        /// `[out][in/groups][k]`
        pub weight: [[[f32; K]; ICG]; OC],
        /// `[out]`
        pub bias: [f32; OC],
    }

    /// Parameters of `conv1d(..., bias = false)`.
    pub struct Conv1dNoBias<const OC: usize, const ICG: usize, const K: usize> {
        /// `[out][in/groups][k]`
        pub weight: [[[f32; K]; ICG]; OC],
    }
}

/// The geometry of a 1-D convolution (sizes in elements).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv1dGeom {
    /// Input channels.
    pub in_c: usize,
    /// Input length.
    pub in_l: usize,
    /// Output channels.
    pub out_c: usize,
    /// Output length: `(in_l + 2 pad - dil (k - 1) - 1) / stride + 1`.
    pub out_l: usize,
    /// Kernel length.
    pub k: usize,
    /// Stride.
    pub stride: usize,
    /// Zeros added at both ends of the input.
    pub pad: usize,
    /// Dilation (distance between kernel taps).
    pub dil: usize,
    /// Channel groups, as in [`Conv2dGeom::groups`].
    pub groups: usize,
}

impl Conv1dGeom {
    /// The f32s of scratch that [`conv1d_forward`] needs (independent of
    /// the batch size).
    pub const fn scratch_len(&self) -> usize {
        self.as_2d().scratch_len()
    }

    /// The f32s of scratch that [`conv1d_backward`] needs (at least
    /// [`Self::scratch_len`]).
    pub const fn train_scratch_len(&self) -> usize {
        self.as_2d().train_scratch_len()
    }

    /// The same convolution in two dimensions, with height 1.
    pub const fn as_2d(&self) -> Conv2dGeom {
        Conv2dGeom {
            in_c: self.in_c,
            in_h: 1,
            in_w: self.in_l,
            out_c: self.out_c,
            out_h: 1,
            out_w: self.out_l,
            k_h: 1,
            k_w: self.k,
            stride_h: 1,
            stride_w: self.stride,
            pad_h: 0,
            pad_w: self.pad,
            dil_h: 1,
            dil_w: self.dil,
            groups: self.groups,
        }
    }
}

/// `y[b][oc][o] = bias[oc] + sum_{ic, t} weight[oc][ic][t] * x[b][g * in_c /
/// groups + ic][o stride - pad + t dil]` (zero outside the input), where `g`
/// is the group of `oc`.
#[inline]
pub fn conv1d_forward(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut [f32],
    batch: usize,
    g: &Conv1dGeom,
) {
    conv2d_forward(x, weight, bias, y, scratch, batch, &g.as_2d());
}

/// Gradients of [`conv1d_forward`] given `gy = dL/dy`, summed over the batch,
/// each overwritten; `gx` is `None` for a first layer.
#[inline]
pub fn conv1d_backward(
    x: &[f32],
    weight: &[f32],
    gy: &[f32],
    gw: &mut [f32],
    gb: Option<&mut [f32]>,
    gx: Option<&mut [f32]>,
    scratch: &mut [f32],
    batch: usize,
    g: &Conv1dGeom,
) {
    conv2d_backward(x, weight, gy, gw, gb, gx, scratch, batch, &g.as_2d());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
    use std::vec::Vec;

    /// `(in_c, out_c, groups, in_l, k, stride, pad, dil)` as a geometry.
    fn geom(
        (in_c, out_c, groups): (usize, usize, usize),
        (in_l, k, stride, pad, dil): (usize, usize, usize, usize, usize),
    ) -> Conv1dGeom {
        let out_l = (in_l + 2 * pad - dil * (k - 1) - 1) / stride + 1;
        Conv1dGeom {
            in_c,
            in_l,
            out_c,
            out_l,
            k,
            stride,
            pad,
            dil,
            groups,
        }
    }

    /// The definition, in f64.
    fn forward_ref(
        x: &[f64],
        w: &[f64],
        bias: Option<&[f64]>,
        batch: usize,
        g: &Conv1dGeom,
    ) -> Vec<f64> {
        let (cg, ocg) = (g.in_c / g.groups, g.out_c / g.groups);
        let mut y = std::vec![0.0; batch * g.out_c * g.out_l];
        for b in 0..batch {
            for oc in 0..g.out_c {
                for o in 0..g.out_l {
                    let mut s = bias.map_or(0.0, |b| b[oc]);
                    for ic in 0..cg {
                        for t in 0..g.k {
                            let Some(i) = (o * g.stride + t * g.dil).checked_sub(g.pad) else {
                                continue;
                            };
                            if i < g.in_l {
                                let c = oc / ocg * cg + ic;
                                s += w[(oc * cg + ic) * g.k + t] * x[(b * g.in_c + c) * g.in_l + i];
                            }
                        }
                    }
                    y[(b * g.out_c + oc) * g.out_l + o] = s;
                }
            }
        }
        y
    }

    /// Forward against the definition (rtol 1e-5, atol 1e-5) and every
    /// gradient against its finite differences (rtol 1e-4, atol 1e-5), NaN
    /// preloaded in every output and the scratch: plain, strided, padded,
    /// dilated, grouped, depthwise, pointwise.
    #[test]
    fn matches_reference_and_finite_differences() {
        for (ch, len) in [
            ((1, 1, 1), (1, 1, 1, 0, 1)),
            ((3, 4, 1), (9, 3, 1, 0, 1)),
            ((3, 4, 1), (10, 3, 2, 1, 1)),
            ((2, 5, 1), (11, 5, 3, 2, 1)),
            ((2, 3, 1), (12, 3, 1, 2, 3)),
            ((4, 6, 2), (8, 2, 1, 1, 1)),
            ((4, 4, 4), (7, 3, 1, 1, 1)),
            ((3, 6, 1), (8, 1, 1, 0, 1)),
        ] {
            let g = geom(ch, len);
            for batch in [1, 3] {
                let what = std::format!("batch={batch} {g:?}");
                let x = random_vec(40, batch * g.in_c * g.in_l);
                let w = random_vec(41, g.out_c * g.in_c / g.groups * g.k);
                let b = random_vec(42, g.out_c);
                let gy = random_vec(43, batch * g.out_c * g.out_l);
                let (x64, w64, b64) = (to_f64(&x), to_f64(&w), to_f64(&b));
                let mut scratch = std::vec![f32::NAN; g.train_scratch_len()];
                for bias in [None, Some(&b[..])] {
                    let mut y = std::vec![f32::NAN; gy.len()];
                    conv1d_forward(&x, &w, bias, &mut y, &mut scratch, batch, &g);
                    let want = forward_ref(&x64, &w64, bias.map(|_| &b64[..]), batch, &g);
                    assert_close(&std::format!("y {what}"), &y, &want, 1e-5, 1e-5);
                }
                let mut gw = std::vec![f32::NAN; w.len()];
                let mut gb = std::vec![f32::NAN; b.len()];
                let mut gx = std::vec![f32::NAN; x.len()];
                scratch.fill(f32::NAN);
                conv1d_backward(
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
                let fd = fd_vjp(|x| forward_ref(x, &w64, Some(&b64), batch, &g), &x, &gy);
                assert_close(&std::format!("gx {what}"), &gx, &fd, 1e-4, 1e-5);
                let fd = fd_vjp(|w| forward_ref(&x64, w, Some(&b64), batch, &g), &w, &gy);
                assert_close(&std::format!("gw {what}"), &gw, &fd, 1e-4, 1e-5);
                let fd = fd_vjp(|b| forward_ref(&x64, &w64, Some(b), batch, &g), &b, &gy);
                assert_close(&std::format!("gb {what}"), &gb, &fd, 1e-4, 1e-5);
            }
        }
    }
}
