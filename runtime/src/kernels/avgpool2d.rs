//! `avgpool2d(k, stride, padding, count_include_pad)`: PyTorch's
//! `nn.AvgPool2d` with `ceil_mode=False`, on NCHW batches; the geometry is
//! [`Pool2dGeom`], as for [`maxpool2d`](super::maxpool2d).
//!
//! Shapes: `x` is `[batch][channels][in_h][in_w]`, `y` is
//! `[batch][channels][out_h][out_w]`. Padding is zeros: with
//! `count_include_pad` each output divides by `k_h * k_w` (PyTorch's
//! default), without it by the number of the window's elements inside the
//! input (ONNX `AveragePool`'s default), never 0 since padding is at most
//! half the window. Without padding `count_include_pad` changes nothing and
//! the unpadded loop runs; padded geometries take a scalar loop over each
//! window's in-bounds part.
//!
//! ```
//! use staticnet_runtime::kernels::avgpool2d::avgpool2d_forward;
//! use staticnet_runtime::kernels::maxpool2d::Pool2dGeom;
//! let g = Pool2dGeom {
//!     channels: 1, in_h: 2, in_w: 4, out_h: 1, out_w: 2,
//!     k_h: 2, k_w: 2, stride_h: 2, stride_w: 2, pad_h: 0, pad_w: 0,
//! };
//! let x = [1.0, 2.0, 0.0, 0.0, //
//!          3.0, 6.0, 4.0, 0.0];
//! let mut y = [0.0; 2];
//! avgpool2d_forward(&x, &mut y, 1, &g, true);
//! assert_eq!(y, [3.0, 1.0]);
//! ```

pub use super::maxpool2d::Pool2dGeom;

/// `y` = the mean of each window, padding counted as zeros if
/// `count_include_pad`, else left out.
pub fn avgpool2d_forward(
    x: &[f32],
    y: &mut [f32],
    batch: usize,
    g: &Pool2dGeom,
    count_include_pad: bool,
) {
    g.debug_check(batch, x.len(), y.len());
    if g.is_padded() {
        forward_padded(x, y, g, count_include_pad);
        return;
    }
    let area = (g.k_h * g.k_w) as f32;
    let planes = x
        .chunks_exact(g.in_plane())
        .zip(y.chunks_exact_mut(g.out_plane()));
    for (x, y) in planes {
        for oh in 0..g.out_h {
            for ow in 0..g.out_w {
                let (h0, w0) = (oh * g.stride_h, ow * g.stride_w);
                let mut sum = 0.0;
                for row in x[h0 * g.in_w..].chunks(g.in_w).take(g.k_h) {
                    sum += row[w0..w0 + g.k_w].iter().sum::<f32>();
                }
                // A division, as PyTorch, rather than a multiplication by
                // 1 / area, which would round twice.
                y[oh * g.out_w + ow] = sum / area;
            }
        }
    }
}

/// What the window of output `(oh, ow)` divides by.
fn divisor(g: &Pool2dGeom, oh: usize, ow: usize, count_include_pad: bool) -> f32 {
    if count_include_pad {
        // With `ceil_mode=False` no window reaches past the padding, so
        // PyTorch's divisor is always the whole window.
        (g.k_h * g.k_w) as f32
    } else {
        let (rows, cols) = g.window(oh, ow);
        (rows.len() * cols.len()) as f32
    }
}

/// [`avgpool2d_forward`] with padding, scalar: the sum of each window's
/// in-bounds part, row by row.
fn forward_padded(x: &[f32], y: &mut [f32], g: &Pool2dGeom, count_include_pad: bool) {
    let planes = x
        .chunks_exact(g.in_plane())
        .zip(y.chunks_exact_mut(g.out_plane()));
    for (x, y) in planes {
        for oh in 0..g.out_h {
            for ow in 0..g.out_w {
                let (rows, cols) = g.window(oh, ow);
                let mut sum = 0.0;
                for h in rows {
                    sum += x[h * g.in_w..][cols.clone()].iter().sum::<f32>();
                }
                y[oh * g.out_w + ow] = sum / divisor(g, oh, ow, count_include_pad);
            }
        }
    }
}

/// Spreads each `gy` divided as in [`avgpool2d_forward`] over its window's
/// input elements (padding gets nothing). Overwrites `gx`; where windows
/// overlap (`stride < k`) the contributions add up, and elements in no
/// window get 0.
pub fn avgpool2d_backward(
    gy: &[f32],
    gx: &mut [f32],
    batch: usize,
    g: &Pool2dGeom,
    count_include_pad: bool,
) {
    g.debug_check(batch, gx.len(), gy.len());
    if g.is_padded() {
        backward_padded(gy, gx, g, count_include_pad);
        return;
    }
    let area = (g.k_h * g.k_w) as f32;
    let planes = gx
        .chunks_exact_mut(g.in_plane())
        .zip(gy.chunks_exact(g.out_plane()));
    for (gx, gy) in planes {
        gx.fill(0.0);
        for oh in 0..g.out_h {
            for ow in 0..g.out_w {
                let (h0, w0) = (oh * g.stride_h, ow * g.stride_w);
                let share = gy[oh * g.out_w + ow] / area;
                for row in gx[h0 * g.in_w..].chunks_mut(g.in_w).take(g.k_h) {
                    row[w0..w0 + g.k_w].iter_mut().for_each(|v| *v += share);
                }
            }
        }
    }
}

/// [`avgpool2d_backward`] with padding, scalar.
fn backward_padded(gy: &[f32], gx: &mut [f32], g: &Pool2dGeom, count_include_pad: bool) {
    let planes = gx
        .chunks_exact_mut(g.in_plane())
        .zip(gy.chunks_exact(g.out_plane()));
    for (gx, gy) in planes {
        gx.fill(0.0);
        for oh in 0..g.out_h {
            for ow in 0..g.out_w {
                let (rows, cols) = g.window(oh, ow);
                let share = gy[oh * g.out_w + ow] / divisor(g, oh, ow, count_include_pad);
                for h in rows {
                    gx[h * g.in_w..][cols.clone()]
                        .iter_mut()
                        .for_each(|v| *v += share);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, pool2d_cases, pool2d_reference};
    use crate::testutil::{random_vec, to_f64};

    /// Padding counted as zeros, or left out.
    fn reference(x: &[f64], batch: usize, g: &Pool2dGeom, count_pad: bool) -> std::vec::Vec<f64> {
        let pad = count_pad.then_some(0.0);
        pool2d_reference(x, batch, g, pad, |w| w.iter().sum::<f64>() / w.len() as f64)
    }

    #[test]
    fn matches_reference_and_finite_differences() {
        // Forward rtol 1e-5, atol 1e-6; backward rtol 1e-4, atol 1e-5.
        for (seed, (batch, g)) in pool2d_cases().into_iter().enumerate() {
            let (n_in, n_out) = (
                batch * g.channels * g.in_plane(),
                batch * g.channels * g.out_plane(),
            );
            let x = random_vec(seed as u64, n_in);
            let gy = random_vec(1000 + seed as u64, n_out);
            for count_pad in [true, false] {
                let mut y = std::vec![f32::NAN; n_out];
                avgpool2d_forward(&x, &mut y, batch, &g, count_pad);
                let what = std::format!("avgpool2d batch {batch} {g:?} {count_pad}");
                let want = reference(&to_f64(&x), batch, &g, count_pad);
                assert_close(&what, &y, &want, 1e-5, 1e-6);
                let mut gx = std::vec![f32::NAN; n_in];
                avgpool2d_backward(&gy, &mut gx, batch, &g, count_pad);
                let want = fd_vjp(|xs| reference(xs, batch, &g, count_pad), &x, &gy);
                assert_close(&(what + " backward"), &gx, &want, 1e-4, 1e-5);
            }
        }
    }

    #[test]
    fn padding_is_counted_or_left_out() {
        // A 3x3 window, stride 2, padding 1 on a 2x3 input: two windows, each
        // holding 4 of the 6 input elements.
        let g = Pool2dGeom {
            channels: 1,
            in_h: 2,
            in_w: 3,
            out_h: 1,
            out_w: 2,
            k_h: 3,
            k_w: 3,
            stride_h: 2,
            stride_w: 2,
            pad_h: 1,
            pad_w: 1,
        };
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut y = [0.0; 2];
        avgpool2d_forward(&x, &mut y, 1, &g, true);
        assert_eq!(y, [12.0 / 9.0, 16.0 / 9.0]);
        avgpool2d_forward(&x, &mut y, 1, &g, false);
        assert_eq!(y, [3.0, 4.0]);
        let mut gx = [f32::NAN; 6];
        avgpool2d_backward(&[4.0, 8.0], &mut gx, 1, &g, false);
        assert_eq!(gx, [1.0, 3.0, 2.0, 1.0, 3.0, 2.0]);
    }
}
