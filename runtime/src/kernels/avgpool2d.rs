//! `avgpool2d(k, stride)`: PyTorch's `nn.AvgPool2d` with padding 0 and
//! `ceil_mode=False`, on NCHW batches; the geometry is
//! [`Pool2dGeom`], as for [`maxpool2d`](super::maxpool2d).
//!
//! Shapes: `x` is `[batch][channels][in_h][in_w]`, `y` is
//! `[batch][channels][out_h][out_w]`; every window lies inside the input, so
//! each output divides by `k_h * k_w`.
//!
//! ```
//! use staticnet_runtime::kernels::avgpool2d::avgpool2d_forward;
//! use staticnet_runtime::kernels::maxpool2d::Pool2dGeom;
//! let g = Pool2dGeom {
//!     channels: 1, in_h: 2, in_w: 4, out_h: 1, out_w: 2,
//!     k_h: 2, k_w: 2, stride_h: 2, stride_w: 2,
//! };
//! let x = [1.0, 2.0, 0.0, 0.0, //
//!          3.0, 6.0, 4.0, 0.0];
//! let mut y = [0.0; 2];
//! avgpool2d_forward(&x, &mut y, 1, &g);
//! assert_eq!(y, [3.0, 1.0]);
//! ```

pub use super::maxpool2d::Pool2dGeom;

/// `y` = the mean of each window.
pub fn avgpool2d_forward(x: &[f32], y: &mut [f32], batch: usize, g: &Pool2dGeom) {
    g.debug_check(batch, x.len(), y.len());
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

/// Spreads each `gy / (k_h * k_w)` over its window. Overwrites `gx`; where
/// windows overlap (`stride < k`) the contributions add up, and elements in
/// no window get 0.
pub fn avgpool2d_backward(gy: &[f32], gx: &mut [f32], batch: usize, g: &Pool2dGeom) {
    g.debug_check(batch, gx.len(), gy.len());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, pool2d_cases, pool2d_reference};
    use crate::testutil::{random_vec, to_f64};

    fn reference(x: &[f64], batch: usize, g: &Pool2dGeom) -> std::vec::Vec<f64> {
        pool2d_reference(x, batch, g, |w| w.iter().sum::<f64>() / w.len() as f64)
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
            let mut y = std::vec![f32::NAN; n_out];
            avgpool2d_forward(&x, &mut y, batch, &g);
            let what = std::format!("avgpool2d batch {batch} {g:?}");
            assert_close(&what, &y, &reference(&to_f64(&x), batch, &g), 1e-5, 1e-6);
            let mut gx = std::vec![f32::NAN; n_in];
            avgpool2d_backward(&gy, &mut gx, batch, &g);
            let want = fd_vjp(|xs| reference(xs, batch, &g), &x, &gy);
            assert_close(&(what + " backward"), &gx, &want, 1e-4, 1e-5);
        }
    }
}
