//! `layernorm(eps = 1e-5)`: PyTorch's `nn.LayerNorm(D)` over the last
//! dimension, `weight` and `bias` `[D]`: `y = (x - mean) / sqrt(var + eps) *
//! weight + bias` per row (biased variance). Forward saves each row's mean
//! and inverse standard deviation for backward.

use crate::math::sqrt;

/// Parameters of `layernorm` over `D` features (PyTorch's `nn.LayerNorm`
/// `weight` and `bias`): the same layout as batch norm's.
pub type LayerNorm<const D: usize> = super::batchnorm::BatchNorm<D>;

/// `x`, `y`: `[rows][d]`; `stats`: `[rows][2]` (mean, 1 / std) written.
pub fn layernorm_forward(
    x: &[f32],
    weight: &[f32],
    bias: &[f32],
    y: &mut [f32],
    stats: &mut [f32],
    d: usize,
    eps: f32,
) {
    debug_assert_eq!(x.len(), y.len(), "layernorm_forward: y");
    debug_assert_eq!(stats.len(), x.len() / d * 2, "layernorm_forward: stats");
    for ((xr, yr), st) in x
        .chunks_exact(d)
        .zip(y.chunks_exact_mut(d))
        .zip(stats.chunks_exact_mut(2))
    {
        let mean = xr.iter().sum::<f32>() / d as f32;
        let var = xr.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
        let inv = 1.0 / sqrt(var + eps);
        for (((yv, &xv), &w), &b) in yr.iter_mut().zip(xr).zip(weight).zip(bias) {
            *yv = (xv - mean) * inv * w + b;
        }
        st[0] = mean;
        st[1] = inv;
    }
}

/// Inference without saved statistics (`stats` is two scratch floats).
pub fn layernorm_infer(x: &[f32], weight: &[f32], bias: &[f32], y: &mut [f32], d: usize, eps: f32) {
    for (xr, yr) in x.chunks_exact(d).zip(y.chunks_exact_mut(d)) {
        let mut st = [0.0; 2];
        layernorm_forward(xr, weight, bias, yr, &mut st, d, eps);
    }
}

/// Overwrites `gw`, `gb` and, when given, `gx`.
pub fn layernorm_backward(
    x: &[f32],
    weight: &[f32],
    stats: &[f32],
    gy: &[f32],
    gw: &mut [f32],
    gb: &mut [f32],
    mut gx: Option<&mut [f32]>,
    d: usize,
) {
    gw.fill(0.0);
    gb.fill(0.0);
    for (r, ((xr, gyr), st)) in x
        .chunks_exact(d)
        .zip(gy.chunks_exact(d))
        .zip(stats.chunks_exact(2))
        .enumerate()
    {
        let (mean, inv) = (st[0], st[1]);
        let (mut sum_g, mut sum_gx) = (0.0f32, 0.0f32);
        for j in 0..d {
            let xhat = (xr[j] - mean) * inv;
            gw[j] += gyr[j] * xhat;
            gb[j] += gyr[j];
            let g = gyr[j] * weight[j];
            sum_g += g;
            sum_gx += g * xhat;
        }
        if let Some(gx) = gx.as_deref_mut() {
            let out = &mut gx[r * d..(r + 1) * d];
            for j in 0..d {
                let xhat = (xr[j] - mean) * inv;
                let g = gyr[j] * weight[j];
                out[j] = inv * (g - sum_g / d as f32 - xhat * sum_gx / d as f32);
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

    fn reference(p: &[f64], rows: usize, d: usize) -> Vec<f64> {
        let (x, rest) = p.split_at(rows * d);
        let (w, b) = rest.split_at(d);
        x.chunks(d)
            .flat_map(|r| {
                let mean = r.iter().sum::<f64>() / d as f64;
                let var = r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / d as f64;
                let inv = 1.0 / (var + 1e-5).sqrt();
                (0..d)
                    .map(move |j| (r[j] - mean) * inv * w[j] + b[j])
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn matches_reference_and_finite_differences() {
        for (rows, d) in [(1, 1), (3, 5), (2, 63), (1, 65)] {
            let x = random_vec(1, rows * d);
            let w: Vec<f32> = random_vec(2, d).iter().map(|v| v + 1.5).collect();
            let b = random_vec(3, d);
            let (mut y, mut st) = (vec![f32::NAN; rows * d], vec![f32::NAN; rows * 2]);
            layernorm_forward(&x, &w, &b, &mut y, &mut st, d, 1e-5);
            let p: Vec<f32> = [&x[..], &w, &b].concat();
            assert_close(
                "layernorm",
                &y,
                &reference(&to_f64(&p), rows, d),
                1e-4,
                1e-5,
            );
            let mut y2 = vec![f32::NAN; rows * d];
            layernorm_infer(&x, &w, &b, &mut y2, d, 1e-5);
            assert_eq!(y, y2);
            let gy = random_vec(4, rows * d);
            let (mut gw, mut gb, mut gx) = (
                vec![f32::NAN; d],
                vec![f32::NAN; d],
                vec![f32::NAN; rows * d],
            );
            layernorm_backward(&x, &w, &st, &gy, &mut gw, &mut gb, Some(&mut gx), d);
            let want = fd_vjp(|ps| reference(ps, rows, d), &p, &gy);
            let got: Vec<f32> = [&gx[..], &gw, &gb].concat();
            // d = 1 normalises every row to 0: x has no gradient there.
            assert_close(
                &std::format!("layernorm backward {rows}x{d}"),
                &got,
                &want,
                1e-3,
                1e-3,
            );
        }
    }
}
