//! `mean_pool`: `[T, E]` to `[E]`, the mean over steps.

/// `x: [B][T][E]` to `y: [B][E]`, the mean over `T`.
pub fn mean_pool_forward(x: &[f32], y: &mut [f32], batch: usize, steps: usize, e: usize) {
    for b in 0..batch {
        let out = &mut y[b * e..][..e];
        out.fill(0.0);
        for row in x[b * steps * e..][..steps * e].chunks_exact(e) {
            for (o, &v) in out.iter_mut().zip(row) {
                *o += v;
            }
        }
        for o in out {
            *o /= steps as f32;
        }
    }
}

/// `gx[b][t] = gy[b] / T`.
pub fn mean_pool_backward(gy: &[f32], gx: &mut [f32], batch: usize, steps: usize, e: usize) {
    for b in 0..batch {
        for row in gx[b * steps * e..][..steps * e].chunks_exact_mut(e) {
            for (o, &g) in row.iter_mut().zip(&gy[b * e..][..e]) {
                *o = g / steps as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn matches_the_f64_mean_and_finite_differences() {
        for (batch, steps, e) in [(1, 1, 1), (2, 3, 5), (3, 7, 2)] {
            let x = random_vec(2, batch * steps * e);
            let mut y = vec![f32::NAN; batch * e];
            mean_pool_forward(&x, &mut y, batch, steps, e);
            let reference = |xs: &[f64]| -> Vec<f64> {
                (0..batch * e)
                    .map(|i| {
                        (0..steps)
                            .map(|t| xs[(i / e * steps + t) * e + i % e])
                            .sum::<f64>()
                            / steps as f64
                    })
                    .collect()
            };
            assert_close("mean_pool", &y, &reference(&to_f64(&x)), 1e-5, 1e-6);
            let gy = random_vec(3, y.len());
            let mut gx = vec![f32::NAN; x.len()];
            mean_pool_backward(&gy, &mut gx, batch, steps, e);
            assert_close(
                "mean_pool backward",
                &gx,
                &fd_vjp(reference, &x, &gy),
                1e-4,
                1e-5,
            );
        }
    }
}
