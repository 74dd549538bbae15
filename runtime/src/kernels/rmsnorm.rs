//! `rmsnorm(eps = f32::EPSILON)`: PyTorch's `nn.RMSNorm(D)` over the last
//! dimension, `weight` `[D]`: `y = x / sqrt(mean(x^2) + eps) * weight` per
//! row (no mean subtracted, no bias). Forward saves each row's inverse root
//! mean square for backward.

use crate::math::sqrt;

use crate::raw::param_block;

param_block! {
    /// Parameters of `rmsnorm` over `D` features: PyTorch's `nn.RMSNorm`
    /// `weight` (`init` sets it to 1).
    pub struct RmsNorm<const D: usize> {
        /// `[D]`
        pub weight: [f32; D],
    }
}

/// `1 / sqrt(mean(x^2) + eps)` of one row.
fn inv_rms(x: &[f32], eps: f32) -> f32 {
    let ms = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    1.0 / sqrt(ms + eps)
}

/// `x`, `y`: `[rows][d]`; `inv`: `[rows]` (1 / rms) written.
pub fn rmsnorm_forward(
    x: &[f32],
    weight: &[f32],
    y: &mut [f32],
    inv: &mut [f32],
    d: usize,
    eps: f32,
) {
    debug_assert_eq!(x.len(), y.len(), "rmsnorm_forward: y");
    debug_assert_eq!(inv.len(), x.len() / d, "rmsnorm_forward: inv");
    for ((xr, yr), r) in x.chunks_exact(d).zip(y.chunks_exact_mut(d)).zip(inv) {
        *r = inv_rms(xr, eps);
        for ((yv, &xv), &w) in yr.iter_mut().zip(xr).zip(weight) {
            *yv = xv * *r * w;
        }
    }
}

/// Inference: [`rmsnorm_forward`] without saving `inv`.
pub fn rmsnorm_infer(x: &[f32], weight: &[f32], y: &mut [f32], d: usize, eps: f32) {
    debug_assert_eq!(x.len(), y.len(), "rmsnorm_infer: y");
    for (xr, yr) in x.chunks_exact(d).zip(y.chunks_exact_mut(d)) {
        let r = inv_rms(xr, eps);
        for ((yv, &xv), &w) in yr.iter_mut().zip(xr).zip(weight) {
            *yv = xv * r * w;
        }
    }
}

/// Overwrites `gw` and, when given, `gx`: with `xhat = x * inv` and
/// `g = gy * weight`, `gx = inv * (g - xhat * mean(g * xhat))`.
pub fn rmsnorm_backward(
    x: &[f32],
    weight: &[f32],
    inv: &[f32],
    gy: &[f32],
    gw: &mut [f32],
    mut gx: Option<&mut [f32]>,
    d: usize,
) {
    debug_assert_eq!(x.len(), gy.len(), "rmsnorm_backward: gy");
    debug_assert_eq!(inv.len(), x.len() / d, "rmsnorm_backward: inv");
    gw.fill(0.0);
    for (r, ((xr, gyr), &inv)) in x
        .chunks_exact(d)
        .zip(gy.chunks_exact(d))
        .zip(inv)
        .enumerate()
    {
        let mut sum_gx = 0.0f32;
        for j in 0..d {
            let xhat = xr[j] * inv;
            gw[j] += gyr[j] * xhat;
            sum_gx += gyr[j] * weight[j] * xhat;
        }
        if let Some(gx) = gx.as_deref_mut() {
            let mean_gx = sum_gx / d as f32;
            for (j, out) in gx[r * d..(r + 1) * d].iter_mut().enumerate() {
                *out = inv * (gyr[j] * weight[j] - xr[j] * inv * mean_gx);
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

    const EPS: f32 = 1e-5;

    fn reference(p: &[f64], rows: usize, d: usize) -> Vec<f64> {
        let (x, w) = p.split_at(rows * d);
        x.chunks(d)
            .flat_map(|r| {
                let ms = r.iter().map(|v| v * v).sum::<f64>() / d as f64;
                let inv = 1.0 / (ms + f64::from(EPS)).sqrt();
                (0..d).map(move |j| r[j] * inv * w[j]).collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn matches_reference_and_finite_differences() {
        for rows in [1, 3] {
            for d in [1, 3, 63, 65] {
                let x = random_vec(1, rows * d);
                let w: Vec<f32> = random_vec(2, d).iter().map(|v| v + 1.5).collect();
                let (mut y, mut inv) = (vec![f32::NAN; rows * d], vec![f32::NAN; rows]);
                rmsnorm_forward(&x, &w, &mut y, &mut inv, d, EPS);
                let p: Vec<f32> = [&x[..], &w].concat();
                let what = std::format!("rmsnorm {rows}x{d}");
                assert_close(&what, &y, &reference(&to_f64(&p), rows, d), 1e-5, 1e-6);
                let mut y2 = vec![f32::NAN; rows * d];
                rmsnorm_infer(&x, &w, &mut y2, d, EPS);
                assert_eq!(y, y2);
                let gy = random_vec(4, rows * d);
                let (mut gw, mut gx) = (vec![f32::NAN; d], vec![f32::NAN; rows * d]);
                rmsnorm_backward(&x, &w, &inv, &gy, &mut gw, Some(&mut gx), d);
                let want = fd_vjp(|ps| reference(ps, rows, d), &p, &gy);
                let got: Vec<f32> = [&gx[..], &gw].concat();
                assert_close(&std::format!("{what} backward"), &got, &want, 1e-3, 1e-4);
                // Without `gx`, the same weight gradient.
                let mut gw2 = vec![f32::NAN; d];
                rmsnorm_backward(&x, &w, &inv, &gy, &mut gw2, None, d);
                assert_eq!(gw, gw2);
            }
        }
    }
}
