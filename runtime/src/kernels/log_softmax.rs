//! `log_softmax`: row-wise over the last axis, `[batch][n] -> [batch][n]`,
//! PyTorch's `nn.LogSoftmax(dim=-1)`: `y_i = (x_i - m) - ln(sum_j e^(x_j -
//! m))` with `m` the row maximum (the result is unchanged, and no `e^x`
//! overflows). `exp` and `ln` go through [`math`], so that host and
//! microcontroller agree bit for bit.

use crate::math;

/// Row-wise log-softmax of `batch` rows of `n` values, max-subtracted:
/// finite for any finite input (rows of logits around 1000 included), each
/// row's `e^y` sums to 1.
pub fn log_softmax_forward(x: &[f32], y: &mut [f32], batch: usize, n: usize) {
    debug_assert_eq!(x.len(), batch * n);
    debug_assert_eq!(y.len(), batch * n);
    if n == 0 {
        return; // `chunks_exact(0)` would panic; there is nothing to do.
    }
    for (x, y) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)) {
        let max = x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut sum = 0.0;
        for &x in x {
            sum += math::exp(x - max);
        }
        let log_sum = math::ln(sum);
        for (y, &x) in y.iter_mut().zip(x) {
            *y = (x - max) - log_sum;
        }
    }
}

/// `gx = gy - e^y * sum(gy)` per row, from the forward *output* `y` (the
/// Jacobian-vector product of `I - 1 softmax(x)^T`, `e^y` being the
/// softmax).
pub fn log_softmax_backward(y: &[f32], gy: &[f32], gx: &mut [f32], batch: usize, n: usize) {
    debug_assert_eq!(y.len(), batch * n);
    debug_assert_eq!(gy.len(), batch * n);
    debug_assert_eq!(gx.len(), batch * n);
    if n == 0 {
        return;
    }
    for ((y, gy), gx) in y
        .chunks_exact(n)
        .zip(gy.chunks_exact(n))
        .zip(gx.chunks_exact_mut(n))
    {
        let sum: f32 = gy.iter().sum();
        for ((gx, &gy), &y) in gx.iter_mut().zip(gy).zip(y) {
            *gx = gy - math::exp(y) * sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
    use std::vec::Vec;

    /// Row-wise log-softmax in f64.
    fn reference(x: &[f64], n: usize) -> Vec<f64> {
        let mut y = Vec::with_capacity(x.len());
        for row in x.chunks_exact(n) {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log_sum = row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
            y.extend(row.iter().map(|v| v - max - log_sum));
        }
        y
    }

    #[test]
    fn matches_reference_and_finite_differences() {
        // Forward: rtol 1e-5, atol 1e-6 (outputs are logs, around -ln n).
        // Backward against central differences of the f64 reference: rtol
        // 1e-4, atol 1e-5.
        for batch in [1, 3] {
            for n in [1, 3, 63, 65] {
                let seed = (batch * 100 + n) as u64;
                let x: Vec<f32> = random_vec(seed, batch * n)
                    .iter()
                    .map(|v| v * 5.0)
                    .collect();
                let gy = random_vec(seed + 1, batch * n);
                let mut y = std::vec![f32::NAN; batch * n];
                log_softmax_forward(&x, &mut y, batch, n);
                let what = std::format!("log_softmax {batch}x{n}");
                assert_close(&what, &y, &reference(&to_f64(&x), n), 1e-5, 1e-6);
                let mut gx = std::vec![f32::NAN; batch * n];
                log_softmax_backward(&y, &gy, &mut gx, batch, n);
                let want = fd_vjp(|xs| reference(xs, n), &x, &gy);
                assert_close(&(what + " backward"), &gx, &want, 1e-4, 1e-5);
            }
        }
    }

    #[test]
    fn large_logits_stay_finite() {
        let x = [1000.0, 999.0, -1000.0, 1000.0, 1000.0, 1000.0];
        let mut y = [f32::NAN; 6];
        log_softmax_forward(&x, &mut y, 2, 3);
        let l = (1.0 + (-1.0f64).exp()).ln();
        let third = -(3.0f64.ln());
        let want = [-l, -1.0 - l, -2000.0 - l, third, third, third];
        assert_close("log_softmax(1000)", &y, &want, 1e-6, 1e-6);
        let mut gx = [f32::NAN; 6];
        log_softmax_backward(&y, &[1.0, -1.0, 0.5, 0.0, 0.0, 3.0], &mut gx, 2, 3);
        assert!(gx.iter().all(|v| v.is_finite()), "{gx:?}");
        // Each row's gradient sums to 0 (the softmax sums to 1).
        assert!(gx[..3].iter().sum::<f32>().abs() < 1e-6, "{gx:?}");
        assert!(gx[3..].iter().sum::<f32>().abs() < 1e-6, "{gx:?}");
    }
}
