//! `prelu(per_channel = false)`: PyTorch's `nn.PReLU`, `y = x` where `x > 0`,
//! else `weight[c] * x`. `weight` is `[1]` (one slope for every value,
//! `nn.PReLU()`) or `[C]` (a slope per channel, `nn.PReLU(C)`, the channel
//! being the first axis of a sample: a feature of a vector, a channel of an
//! image). Each sample is `[C][spatial]` for `C = weight.len()`.

use crate::raw::param_block;

param_block! {
    /// Parameters of `prelu` with `C` slopes (1, or one per channel):
    /// PyTorch's `nn.PReLU` `weight` (`init` sets it to 0.25, PyTorch's
    /// default).
    pub struct PRelu<const C: usize> {
        /// `[C]`
        pub weight: [f32; C],
    }
}

/// `x`, `y`: `[batch][C][spatial]` with `C = weight.len()`.
pub fn prelu_forward(x: &[f32], weight: &[f32], y: &mut [f32], spatial: usize) {
    debug_assert_eq!(x.len(), y.len(), "prelu_forward: y");
    debug_assert_eq!(x.len() % (weight.len() * spatial), 0, "prelu_forward: x");
    let chunks = x.chunks_exact(spatial).zip(y.chunks_exact_mut(spatial));
    for ((xc, yc), &w) in chunks.zip(weight.iter().cycle()) {
        for (yv, &xv) in yc.iter_mut().zip(xc) {
            *yv = if xv > 0.0 { xv } else { w * xv };
        }
    }
}

/// Overwrites `gw` (`[C]`, summed over the batch and the spatial positions)
/// and, when given, `gx`: `gx = gy` where `x > 0`, else `weight[c] * gy`;
/// `gw[c] = sum of gy * x` where `x <= 0`.
pub fn prelu_backward(
    x: &[f32],
    weight: &[f32],
    gy: &[f32],
    gw: &mut [f32],
    mut gx: Option<&mut [f32]>,
    spatial: usize,
) {
    debug_assert_eq!(x.len(), gy.len(), "prelu_backward: gy");
    debug_assert_eq!(gw.len(), weight.len(), "prelu_backward: gw");
    gw.fill(0.0);
    let channels = weight.len();
    for (i, (xc, gyc)) in x.chunks_exact(spatial).zip(gy.chunks_exact(spatial)).enumerate() {
        let c = i % channels;
        let mut sum = 0.0f32;
        for (&xv, &g) in xc.iter().zip(gyc) {
            if xv <= 0.0 {
                sum += g * xv;
            }
        }
        gw[c] += sum;
        if let Some(gx) = gx.as_deref_mut() {
            let gxc = &mut gx[i * spatial..(i + 1) * spatial];
            for ((out, &xv), &g) in gxc.iter_mut().zip(xc).zip(gyc) {
                *out = if xv > 0.0 { g } else { weight[c] * g };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, avoid_kinks, fd_vjp, random_vec, to_f64};
    use std::vec;
    use std::vec::Vec;

    /// `p` is `x` (`[batch][channels][spatial]`) then the slopes.
    fn reference(p: &[f64], channels: usize, spatial: usize) -> Vec<f64> {
        let (x, w) = p.split_at(p.len() - channels);
        let c = |i: usize| if w.len() == 1 { 0 } else { i / spatial % channels };
        let y = x.iter().enumerate();
        y.map(|(i, &v)| if v > 0.0 { v } else { w[c(i)] * v })
            .collect()
    }

    #[test]
    fn matches_reference_and_finite_differences() {
        for batch in [1, 3] {
            for (channels, spatial) in [(1, 1), (1, 63), (3, 1), (3, 65), (5, 3)] {
                let n = batch * channels * spatial;
                let mut x = random_vec(1, n);
                avoid_kinks(&mut x, &[0.0]);
                let w: Vec<f32> = random_vec(2, channels).iter().map(|v| v * 0.5).collect();
                let mut y = vec![f32::NAN; n];
                prelu_forward(&x, &w, &mut y, spatial);
                let p: Vec<f32> = [&x[..], &w].concat();
                let what = std::format!("prelu {batch}x{channels}x{spatial}");
                let want = reference(&to_f64(&p), channels, spatial);
                assert_close(&what, &y, &want, 1e-6, 1e-7);
                let gy = random_vec(4, n);
                let (mut gw, mut gx) = (vec![f32::NAN; channels], vec![f32::NAN; n]);
                prelu_backward(&x, &w, &gy, &mut gw, Some(&mut gx), spatial);
                let want = fd_vjp(|ps| reference(ps, channels, spatial), &p, &gy);
                let got: Vec<f32> = [&gx[..], &gw].concat();
                assert_close(&std::format!("{what} backward"), &got, &want, 1e-3, 1e-4);
                // Without `gx`, the same slope gradient.
                let mut gw2 = vec![f32::NAN; channels];
                prelu_backward(&x, &w, &gy, &mut gw2, None, spatial);
                assert_eq!(gw, gw2);
            }
        }
    }

    /// One slope for all: a sample of `[3][5]` with `weight [1]` is one
    /// channel of 15 values, the same as `spatial = 15`.
    #[test]
    fn one_slope_is_one_channel() {
        let x = random_vec(7, 2 * 15);
        let (mut a, mut b) = (vec![0.0; 30], vec![0.0; 30]);
        prelu_forward(&x, &[0.25], &mut a, 15);
        prelu_forward(&x, &[0.25], &mut b, 5);
        assert_eq!(a, b);
        assert!(a.iter().zip(&x).any(|(y, x)| *x < 0.0 && *y == 0.25 * x));
    }
}
