//! Stride-1 convolutions with the output channels in the vector lanes, on
//! instruction sets whose token has the tiles (`Kernels::conv_lanes`,
//! AVX-512: 16 channels a vector) and groups of a multiple of that many
//! output channels (LeNet's conv2 has 16).
//!
//! The wide product ([`super::wide`]) computes `in_w + 2 pad_w - out_w`
//! unused positions per output row (36% more than needed for LeNet's
//! conv2), and its weight gradient is a dot product over one sample's
//! positions, reduced horizontally per sample. Here:
//!
//! - **forward**: `R x T` output positions times a block of output channels
//!   (`crate::raw::simd::lanes::forward`), over the weights transposed once
//!   per call to `[tap][oc]`; only real positions are computed.
//! - **weight gradient**: the taps of one input channel times a block of
//!   output channels, summed over the sample's positions in registers
//!   (`crate::raw::simd::lanes::wgrad`) into the transposed gradient, which
//!   `gw` holds while the batch is summed and which is transposed back at
//!   the end. The input gradient stays the wide fold ([`super::wide`]).
//!
//! The sums run in a different order from the wide product's, so the bits
//! differ from the other paths (as between instruction sets); each path
//! matches the f64 reference.

use super::{dims, wide, Conv2dGeom};
use crate::kernels::isa::{dispatch, Isa, Kernels};

/// The geometry the tiles see: one group's `[cin][hp][wp]` input, padded
/// already, its `kh x kw` kernel (stride 1, no dilation) and `out_h x
/// out_w` output.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LanesGeom {
    pub(crate) cin: usize,
    pub(crate) hp: usize,
    pub(crate) wp: usize,
    pub(crate) kh: usize,
    pub(crate) kw: usize,
    pub(crate) out_h: usize,
    pub(crate) out_w: usize,
}

impl LanesGeom {
    fn of(g: &Conv2dGeom) -> Self {
        LanesGeom {
            cin: g.in_c / g.groups,
            hp: g.in_h + 2 * g.pad_h,
            wp: g.in_w + 2 * g.pad_w,
            kh: g.k_h,
            kw: g.k_w,
            out_h: g.out_h,
            out_w: g.out_w,
        }
    }

    /// Whether the geometry is a stride-1, undilated one whose output fits
    /// the padded input (`out + k - 1 <= padded`): what every tile assumes.
    pub(crate) fn is_valid(&self) -> bool {
        self.kh > 0
            && self.kw > 0
            && self.out_h + self.kh - 1 <= self.hp
            && self.out_w + self.kw - 1 <= self.wp
    }

    /// The columns of a forward tile: the first of 12, 10 and 8 that
    /// divides `out_w` (rows of tiles then cover the output exactly).
    pub(crate) fn tile_width(&self) -> Option<usize> {
        [12, 10, 8].into_iter().find(|t| self.out_w.is_multiple_of(*t))
    }

    /// Whether the weight gradient has a tile for the kernel size.
    pub(crate) fn has_wgrad_tile(&self) -> bool {
        matches!((self.kh, self.kw), (5, 5) | (3, 3))
    }
}

/// The lanes of the chosen path's tiles, 0 without them.
fn lanes(isa: Isa) -> usize {
    dispatch!(isa, |t| t.conv_lanes())
}

/// Whether the forward pass takes this path: the chosen path has tiles
/// ([`forward_fits`] with its lanes).
pub(super) fn forward_applies(isa: Isa, g: &Conv2dGeom, scratch: usize) -> bool {
    let w = lanes(isa);
    w > 0 && forward_fits(g, w, scratch)
}

/// Whether the backward pass takes this path ([`backward_fits`]).
pub(super) fn backward_applies(isa: Isa, g: &Conv2dGeom, scratch: usize) -> bool {
    let w = lanes(isa);
    w > 0 && backward_fits(g, w, scratch)
}

/// What every tile of `w` lanes needs: a wide geometry without dilation,
/// the group's output channels a multiple of `w`, and an output that fits
/// the padded input.
fn shape_fits(g: &Conv2dGeom, w: usize) -> bool {
    let ocg = g.out_c / g.groups;
    g.is_wide()
        && g.dil_h == 1
        && g.dil_w == 1
        && ocg.is_multiple_of(w)
        && LanesGeom::of(g).is_valid()
}

/// Whether tiles of `w` lanes fit the forward pass: [`shape_fits`], a tile
/// width for `out_w`, and room in `scratch` for the transposed weights.
pub(super) fn forward_fits(g: &Conv2dGeom, w: usize, scratch: usize) -> bool {
    let (_, ocg, k, _, _) = dims(g);
    shape_fits(g, w)
        && LanesGeom::of(g).tile_width().is_some()
        && scratch >= g.padded_len() + ocg * k
}

/// Whether tiles of `w` lanes fit the backward pass: [`shape_fits`], a
/// weight-gradient tile for the kernel size, and room in the wide pass's
/// unfolded-gradient buffer for the transposed output gradient and weight
/// gradient.
pub(super) fn backward_fits(g: &Conv2dGeom, w: usize, scratch: usize) -> bool {
    let (_, ocg, k, p, _) = dims(g);
    let dcol = g.k_h * g.k_w * g.wide_len();
    shape_fits(g, w)
        && LanesGeom::of(g).has_wgrad_tile()
        && dcol >= ocg * p.max(k)
        && scratch >= g.padded_len() + ocg * g.wide_len() + dcol
}

/// `dst[j][i] = src[i][j]` for `src` `rows x cols`, on the given path.
fn transpose(isa: Isa, src: &[f32], dst: &mut [f32], rows: usize, cols: usize) {
    dispatch!(isa, |t| t.transpose(src, dst, rows, cols));
}

/// The portable form of `Kernels::transpose`.
pub(crate) fn transpose_portable(src: &[f32], dst: &mut [f32], rows: usize, cols: usize) {
    for (i, row) in src.chunks_exact(cols).take(rows).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            dst[j * rows + i] = v;
        }
    }
}

/// The forward pass (see `super::forward_act`), when [`forward_applies`].
pub(super) fn forward(
    isa: Isa,
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut [f32],
    g: &Conv2dGeom,
    relu: bool,
) {
    let (cg, ocg, k, p, hw) = dims(g);
    let lg = LanesGeom::of(g);
    let (xp_buf, rest) = scratch.split_at_mut(g.padded_len());
    let wt = &mut rest[..ocg * k];
    for (grp, wg) in weight.chunks_exact(ocg * k).enumerate() {
        transpose(isa, wg, wt, ocg, k);
        let bg = bias.map(|b| &b[grp * ocg..][..ocg]);
        let xs = x.chunks_exact(g.in_c * hw);
        for (xs, ys) in xs.zip(y.chunks_exact_mut(g.out_c * p)) {
            let xg = &xs[grp * cg * hw..][..cg * hw];
            let yg = &mut ys[grp * ocg * p..][..ocg * p];
            let xp = wide::pad_input(xg, xp_buf, g);
            dispatch!(isa, |t| t.conv_lanes_forward(xp, wt, bg, relu, yg, ocg, &lg));
        }
    }
}

/// The backward pass (see `super::backward_with`), when
/// [`backward_applies`]: `gw` overwritten, `gx` (if any) overwritten.
pub(super) fn backward(
    isa: Isa,
    x: &[f32],
    weight: &[f32],
    gy: &[f32],
    gw: &mut [f32],
    mut gx: Option<&mut [f32]>,
    scratch: &mut [f32],
    g: &Conv2dGeom,
) {
    let (cg, ocg, k, p, hw) = dims(g);
    let lg = LanesGeom::of(g);
    let (xp_buf, rest) = scratch.split_at_mut(g.padded_len());
    let (gyw, dcol) = rest.split_at_mut(ocg * g.wide_len());
    // `gw` holds the transposed gradient, `[tap][oc]` per group, until the
    // end.
    gw.fill(0.0);
    let samples = x
        .chunks_exact(g.in_c * hw)
        .zip(gy.chunks_exact(g.out_c * p));
    for (s, (xs, gys)) in samples.enumerate() {
        for grp in 0..g.groups {
            let xg = &xs[grp * cg * hw..][..cg * hw];
            let gyg = &gys[grp * ocg * p..][..ocg * p];
            let gyt = &mut dcol[..ocg * p];
            transpose(isa, gyg, gyt, ocg, p);
            let xp = wide::pad_input(xg, xp_buf, g);
            let gwg = &mut gw[grp * ocg * k..][..ocg * k];
            dispatch!(isa, |t| t.conv_lanes_wgrad(xp, gyt, gwg, ocg, &lg));
            if let Some(gx) = gx.as_deref_mut() {
                let gxg = &mut gx[(s * g.in_c + grp * cg) * hw..][..cg * hw];
                let wg = &weight[grp * ocg * k..][..ocg * k];
                wide::widen(gyg, gyw, g);
                if xp_buf.is_empty() {
                    gxg.fill(0.0);
                    dispatch!(isa, |t| t.conv_lanes_dgrad(wg, gyw, gxg, ocg, &lg));
                } else {
                    // The padded input gradient (the padded input is
                    // spent), then its inside.
                    xp_buf.fill(0.0);
                    dispatch!(isa, |t| t.conv_lanes_dgrad(wg, gyw, xp_buf, ocg, &lg));
                    wide::unpad(xp_buf, gxg, g);
                }
            }
        }
    }
    for gwg in gw.chunks_exact_mut(ocg * k) {
        let tmp = &mut dcol[..ocg * k];
        transpose(isa, gwg, tmp, k, ocg);
        gwg.copy_from_slice(tmp);
    }
}

/// The portable form of the forward tiles (`Kernels::conv_lanes_forward`):
/// `y[oc][oh][ow] = act(bias[oc] + sum_{c, kh, kw} x[c][oh + kh][ow + kw]
/// wt[(c, kh, kw)][oc])`, taps in order, `x` padded already.
pub(crate) fn forward_portable(
    x: &[f32],
    wt: &[f32],
    bias: Option<&[f32]>,
    relu: bool,
    y: &mut [f32],
    ocg: usize,
    g: &LanesGeom,
) {
    let p = g.out_h * g.out_w;
    for (oc, yc) in y.chunks_exact_mut(p).take(ocg).enumerate() {
        for (q, yv) in yc.iter_mut().enumerate() {
            let (oh, ow) = (q / g.out_w, q % g.out_w);
            let mut s = 0.0f32;
            let mut tap = 0;
            for c in 0..g.cin {
                for kh in 0..g.kh {
                    for kw in 0..g.kw {
                        let xv = x[(c * g.hp + oh + kh) * g.wp + ow + kw];
                        s += xv * wt[tap * ocg + oc];
                        tap += 1;
                    }
                }
            }
            let v = bias.map_or(s, |b| b[oc] + s);
            *yv = if relu { crate::kernels::relu::relu(v) } else { v };
        }
    }
}

/// The portable form of the weight-gradient tiles
/// (`Kernels::conv_lanes_wgrad`): `acc[(c, kh, kw)][oc] += sum_{oh, ow}
/// x[c][oh + kh][ow + kw] gyt[(oh, ow)][oc]`.
pub(crate) fn wgrad_portable(x: &[f32], gyt: &[f32], acc: &mut [f32], ocg: usize, g: &LanesGeom) {
    let mut tap = 0;
    for c in 0..g.cin {
        for kh in 0..g.kh {
            for kw in 0..g.kw {
                for oc in 0..ocg {
                    let mut s = acc[tap * ocg + oc];
                    for oh in 0..g.out_h {
                        for ow in 0..g.out_w {
                            let xv = x[(c * g.hp + oh + kh) * g.wp + ow + kw];
                            s += xv * gyt[(oh * g.out_w + ow) * ocg + oc];
                        }
                    }
                    acc[tap * ocg + oc] = s;
                }
                tap += 1;
            }
        }
    }
}

/// The portable form of `Kernels::conv_lanes_dgrad`: `gxp[c][kh wp + kw +
/// q] += sum_oc w[oc][(c, kh, kw)] gyw[oc][q]`, `q < wide_len`.
pub(crate) fn dgrad_portable(w: &[f32], gyw: &[f32], gxp: &mut [f32], ocg: usize, g: &LanesGeom) {
    let len = (g.out_h - 1) * g.wp + g.out_w;
    let k = g.cin * g.kh * g.kw;
    for c in 0..g.cin {
        for kh in 0..g.kh {
            for kw in 0..g.kw {
                let tap = (c * g.kh + kh) * g.kw + kw;
                let out = &mut gxp[c * g.hp * g.wp + kh * g.wp + kw..][..len];
                for (q, o) in out.iter_mut().enumerate() {
                    let mut s = 0.0f32;
                    for oc in 0..ocg {
                        s += w[oc * k + tap] * gyw[oc * len + q];
                    }
                    *o += s;
                }
            }
        }
    }
}
