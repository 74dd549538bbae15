//! `global_avgpool`: the mean over all positions of each channel,
//! `[batch][channels][spatial] -> [batch][channels]`, where `spatial` is
//! `H * W` after a 2-D convolution or `L` after a 1-D one (PyTorch's
//! `nn.AdaptiveAvgPool2d(1)` / `nn.AdaptiveAvgPool1d(1)` followed by a flatten).
//!
//! ```
//! use staticnet_runtime::kernels::global_avgpool::global_avgpool_forward;
//! let x = [1.0, 2.0, 3.0, 6.0, /**/ -1.0, 1.0, 0.0, 4.0]; // [1][2][4]
//! let mut y = [0.0; 2];
//! global_avgpool_forward(&x, &mut y, 1, 2, 4);
//! assert_eq!(y, [3.0, 1.0]);
//! ```

/// `y[b][c] = sum_s x[b][c][s] / spatial`. `spatial >= 1` (with 0 there is
/// no mean, and `y` is left as it is).
pub fn global_avgpool_forward(
    x: &[f32],
    y: &mut [f32],
    batch: usize,
    channels: usize,
    spatial: usize,
) {
    debug_assert_eq!(x.len(), batch * channels * spatial);
    debug_assert_eq!(y.len(), batch * channels);
    if spatial == 0 {
        return; // `chunks_exact(0)` would panic.
    }
    let n = spatial as f32;
    for (y, x) in y.iter_mut().zip(x.chunks_exact(spatial)) {
        *y = x.iter().sum::<f32>() / n;
    }
}

/// `gx[b][c][s] = gy[b][c] / spatial`; overwrites `gx`.
pub fn global_avgpool_backward(
    gy: &[f32],
    gx: &mut [f32],
    batch: usize,
    channels: usize,
    spatial: usize,
) {
    debug_assert_eq!(gx.len(), batch * channels * spatial);
    debug_assert_eq!(gy.len(), batch * channels);
    if spatial == 0 {
        return;
    }
    let n = spatial as f32;
    for (&gy, gx) in gy.iter().zip(gx.chunks_exact_mut(spatial)) {
        gx.fill(gy / n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
    use std::vec::Vec;

    fn reference(x: &[f64], spatial: usize) -> Vec<f64> {
        let mean = |c: &[f64]| c.iter().sum::<f64>() / spatial as f64;
        x.chunks_exact(spatial).map(mean).collect()
    }

    #[test]
    fn matches_reference_and_finite_differences() {
        // Forward rtol 1e-5, atol 1e-6; backward rtol 1e-4, atol 1e-5.
        for batch in [1, 3] {
            for channels in [1, 3] {
                for spatial in [1, 3, 7, 8, 65] {
                    let seed = (batch * 1000 + channels * 100 + spatial) as u64;
                    let (n_in, n_out) = (batch * channels * spatial, batch * channels);
                    let x = random_vec(seed, n_in);
                    let gy = random_vec(seed + 1, n_out);
                    let mut y = std::vec![f32::NAN; n_out];
                    global_avgpool_forward(&x, &mut y, batch, channels, spatial);
                    let what = std::format!("global_avgpool {batch}x{channels}x{spatial}");
                    assert_close(&what, &y, &reference(&to_f64(&x), spatial), 1e-5, 1e-6);
                    let mut gx = std::vec![f32::NAN; n_in];
                    global_avgpool_backward(&gy, &mut gx, batch, channels, spatial);
                    let want = fd_vjp(|xs| reference(xs, spatial), &x, &gy);
                    assert_close(&(what + " backward"), &gx, &want, 1e-4, 1e-5);
                }
            }
        }
    }
}
