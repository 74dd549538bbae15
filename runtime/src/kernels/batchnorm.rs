//! `batchnorm`: PyTorch's `nn.BatchNorm1d` / `nn.BatchNorm2d` over the channel
//! axis of `[batch][channels][spatial]` data (`spatial = H * W` after a
//! convolution, 1 after a dense layer); `y` has the shape of `x`.
//!
//! Per channel `c`, `y = (x - mean_c) / sqrt(var_c + eps) * weight[c] +
//! bias[c]`, where in training `mean_c` and the biased `var_c` are taken over
//! the `n = batch * spatial` values of the channel in the batch (two passes in
//! f32: the mean, then the centred sum of squares), and in inference they are
//! the running statistics. After a training step
//! [`batchnorm_update_running`] moves the running statistics towards the
//! batch's (with the unbiased variance, as PyTorch); [`batchnorm_fold`] merges
//! an inference-mode batch norm into the layer before it.
//!
//! ```
//! use staticnet_runtime::kernels::batchnorm::batchnorm_forward_train;
//! let x = [1.0, 3.0, /**/ 5.0, 7.0]; // [batch 2][1 channel][spatial 2]
//! let (mut y, mut mean, mut invstd) = ([0.0; 4], [0.0], [0.0]);
//! batchnorm_forward_train(&x, &mut y, &[1.0], &[0.0], &mut mean, &mut invstd, 2, 1, 2, 0.0);
//! assert_eq!((mean, invstd), ([4.0], [1.0 / 5.0f32.sqrt()]));
//! assert!((y[0] + 3.0 / 5.0f32.sqrt()).abs() < 1e-6);
//! ```

use crate::math;

use crate::raw::param_block;

param_block! {
    /// Trainable parameters of `batchnorm` over `C` channels (PyTorch's
    /// `weight` (gamma) and `bias` (beta)); `init` sets gamma to 1.
    pub struct BatchNorm<const C: usize> {
        /// `[C]`, gamma
        pub weight: [f32; C],
        /// `[C]`, beta
        pub bias: [f32; C],
    }

    /// Running statistics of `batchnorm` (PyTorch's buffers): not trained by the
    /// optimizer, updated by [`Network::update_buffers`](crate::Network::update_buffers);
    /// `init` sets the variance to 1.
    pub struct BatchNormStats<const C: usize> {
        /// `[C]`
        pub running_mean: [f32; C],
        /// `[C]`
        pub running_var: [f32; C],
        /// Training batches seen (PyTorch keeps an `i64`; exact here up to 2^24).
        pub num_batches_tracked: [f32; 1],
    }
}

/// The `batch` runs of `spatial` values of channel `c` in
/// `[batch][channels][spatial]` data.
fn runs(
    x: &[f32],
    c: usize,
    batch: usize,
    channels: usize,
    spatial: usize,
) -> impl Iterator<Item = &[f32]> {
    (0..batch).map(move |b| {
        let o = (b * channels + c) * spatial;
        &x[o..o + spatial]
    })
}

/// Training mode: normalises with the batch statistics (biased variance, as
/// PyTorch) and writes each channel's mean and `1 / sqrt(var + eps)` into
/// `mean` and `invstd` (length `channels`), for [`batchnorm_backward`] and
/// [`batchnorm_update_running`].
pub fn batchnorm_forward_train(
    x: &[f32],
    y: &mut [f32],
    weight: &[f32],
    bias: &[f32],
    mean: &mut [f32],
    invstd: &mut [f32],
    batch: usize,
    channels: usize,
    spatial: usize,
    eps: f32,
) {
    debug_assert_eq!(x.len(), batch * channels * spatial);
    debug_assert_eq!(y.len(), x.len());
    debug_assert!([weight.len(), bias.len(), mean.len(), invstd.len()] == [channels; 4]);
    let n = (batch * spatial) as f32;
    for c in 0..channels {
        let m = runs(x, c, batch, channels, spatial)
            .map(|r| r.iter().sum::<f32>())
            .sum::<f32>()
            / n;
        let var = runs(x, c, batch, channels, spatial)
            .map(|r| r.iter().map(|&v| (v - m) * (v - m)).sum::<f32>())
            .sum::<f32>()
            / n;
        let is = 1.0 / math::sqrt(var + eps);
        (mean[c], invstd[c]) = (m, is);
        let (scale, shift) = (weight[c] * is, bias[c]);
        for b in 0..batch {
            let o = (b * channels + c) * spatial;
            for (y, &x) in y[o..o + spatial].iter_mut().zip(&x[o..o + spatial]) {
                *y = (x - m) * scale + shift;
            }
        }
    }
}

/// Inference mode: `y = x * scale + shift` per channel, with `scale = weight /
/// sqrt(running_var + eps)` and `shift = bias - running_mean * scale` (as
/// PyTorch's CPU kernel, and as [`batchnorm_fold`] folds it).
pub fn batchnorm_forward_infer(
    x: &[f32],
    y: &mut [f32],
    weight: &[f32],
    bias: &[f32],
    running_mean: &[f32],
    running_var: &[f32],
    batch: usize,
    channels: usize,
    spatial: usize,
    eps: f32,
) {
    debug_assert_eq!(x.len(), batch * channels * spatial);
    debug_assert_eq!(y.len(), x.len());
    debug_assert!(
        [
            weight.len(),
            bias.len(),
            running_mean.len(),
            running_var.len()
        ] == [channels; 4]
    );
    for c in 0..channels {
        let scale = weight[c] / math::sqrt(running_var[c] + eps);
        let shift = bias[c] - running_mean[c] * scale;
        for b in 0..batch {
            let o = (b * channels + c) * spatial;
            for (y, &x) in y[o..o + spatial].iter_mut().zip(&x[o..o + spatial]) {
                *y = x * scale + shift;
            }
        }
    }
}

/// Backward of [`batchnorm_forward_train`] (the batch statistics depend on
/// `x`), from the `mean` and `invstd` it wrote. With `xhat = (x - mean) *
/// invstd`: `gb = sum gy`, `gw = sum gy * xhat`, and
/// `gx = weight * invstd * (gy - gb / n - xhat * gw / n)`. Overwrites `gw`,
/// `gb` and `gx` (computed only when given).
pub fn batchnorm_backward(
    x: &[f32],
    gy: &[f32],
    weight: &[f32],
    mean: &[f32],
    invstd: &[f32],
    gw: &mut [f32],
    gb: &mut [f32],
    gx: Option<&mut [f32]>,
    batch: usize,
    channels: usize,
    spatial: usize,
) {
    debug_assert_eq!(x.len(), batch * channels * spatial);
    debug_assert_eq!(gy.len(), x.len());
    debug_assert!(gx.as_ref().is_none_or(|gx| gx.len() == x.len()));
    debug_assert!([weight.len(), mean.len(), invstd.len(), gw.len(), gb.len()] == [channels; 5]);
    let mut gx = gx;
    let n = (batch * spatial) as f32;
    for c in 0..channels {
        let (m, is) = (mean[c], invstd[c]);
        let (mut sum_gy, mut sum_gy_xc) = (0.0f32, 0.0f32);
        for (x, gy) in
            runs(x, c, batch, channels, spatial).zip(runs(gy, c, batch, channels, spatial))
        {
            for (&x, &gy) in x.iter().zip(gy) {
                sum_gy += gy;
                sum_gy_xc += gy * (x - m);
            }
        }
        (gb[c], gw[c]) = (sum_gy, sum_gy_xc * is);
        if let Some(gx) = gx.as_deref_mut() {
            let k = weight[c] * is;
            let (mean_gy, mean_gw) = (sum_gy / n, gw[c] / n);
            for b in 0..batch {
                let o = (b * channels + c) * spatial;
                let (x, gy) = (&x[o..o + spatial], &gy[o..o + spatial]);
                for ((gx, &x), &gy) in gx[o..o + spatial].iter_mut().zip(x).zip(gy) {
                    *gx = k * (gy - mean_gy - (x - m) * is * mean_gw);
                }
            }
        }
    }
}

/// `running = (1 - momentum) * running + momentum * batch_stat` per channel,
/// after a training-mode forward pass over `count = batch * spatial` values
/// per channel. The variance is recovered from `invstd` and `eps` and made
/// unbiased (`* count / (count - 1)`; kept biased when `count == 1`), as
/// PyTorch. Adds 1 to `num_batches_tracked[0]`.
pub fn batchnorm_update_running(
    running_mean: &mut [f32],
    running_var: &mut [f32],
    num_batches_tracked: &mut [f32],
    mean: &[f32],
    invstd: &[f32],
    eps: f32,
    momentum: f32,
    count: usize,
) {
    let channels = mean.len();
    debug_assert!([running_mean.len(), running_var.len(), invstd.len()] == [channels; 3]);
    debug_assert_eq!(num_batches_tracked.len(), 1);
    let unbias = if count > 1 {
        count as f32 / (count - 1) as f32
    } else {
        1.0
    };
    for c in 0..channels {
        // `1 / invstd^2 = var + eps` up to a few ulp, which may take a zero
        // variance slightly below 0.
        let var = (1.0 / (invstd[c] * invstd[c]) - eps).max(0.0);
        running_mean[c] = (1.0 - momentum) * running_mean[c] + momentum * mean[c];
        running_var[c] = (1.0 - momentum) * running_var[c] + momentum * var * unbias;
    }
    num_batches_tracked[0] += 1.0;
}

/// Folds an inference-mode batch norm into the layer before it, in place:
/// that layer's `weight` is `[channels][rest]` (a dense `[out][inp]` or a
/// convolution `[out][in][k..]`) and its `bias` is `[channels]` (zeros if it
/// had none). With `s = gamma / sqrt(running_var + eps)`:
/// `weight[c][..] *= s`, `bias[c] = (bias[c] - running_mean[c]) * s + beta[c]`.
pub fn batchnorm_fold(
    weight: &mut [f32],
    bias: &mut [f32],
    gamma: &[f32],
    beta: &[f32],
    running_mean: &[f32],
    running_var: &[f32],
    eps: f32,
) {
    let channels = bias.len();
    debug_assert!(
        [
            gamma.len(),
            beta.len(),
            running_mean.len(),
            running_var.len()
        ] == [channels; 4]
    );
    let rest = weight.len().checked_div(channels).unwrap_or(0);
    debug_assert_eq!(weight.len(), channels * rest);
    for c in 0..channels {
        let s = gamma[c] / math::sqrt(running_var[c] + eps);
        weight[c * rest..(c + 1) * rest]
            .iter_mut()
            .for_each(|w| *w *= s);
        bias[c] = (bias[c] - running_mean[c]) * s + beta[c];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
    use std::vec::Vec;

    const EPS: f32 = 1e-5;

    /// Training-mode batch norm in f64: `(y, mean, invstd)`.
    fn train_ref(
        x: &[f64],
        w: &[f64],
        b: &[f64],
        dims: (usize, usize, usize),
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (batch, channels, spatial) = dims;
        let idx = |bb: usize, c: usize, s: usize| (bb * channels + c) * spatial + s;
        let n = (batch * spatial) as f64;
        let (mut y, mut mean, mut invstd) = (std::vec![0.0; x.len()], Vec::new(), Vec::new());
        for c in 0..channels {
            let all = || (0..batch).flat_map(move |bb| (0..spatial).map(move |s| idx(bb, c, s)));
            let m = all().map(|i| x[i]).sum::<f64>() / n;
            let var = all().map(|i| (x[i] - m) * (x[i] - m)).sum::<f64>() / n;
            let is = 1.0 / (var + f64::from(EPS)).sqrt();
            for i in all() {
                y[i] = (x[i] - m) * is * w[c] + b[c];
            }
            mean.push(m);
            invstd.push(is);
        }
        (y, mean, invstd)
    }

    /// `(batch, channels, spatial)` and `[x, weight, bias, gy]`.
    type Case = ((usize, usize, usize), [Vec<f32>; 4]);

    /// Every (batch, channels, spatial) tested, with its inputs: `x` uniform
    /// in `[-2, 2)` plus a per-channel offset, `weight`, `bias`, `gy`.
    fn cases() -> Vec<Case> {
        let mut out = Vec::new();
        for batch in [1, 3] {
            for channels in [1, 3] {
                for spatial in [1, 3, 7, 8] {
                    let seed = (batch * 1000 + channels * 100 + spatial) as u64;
                    let len = batch * channels * spatial;
                    let mut x = random_vec(seed, len);
                    for (i, v) in x.iter_mut().enumerate() {
                        *v = *v * 2.0 + ((i / spatial) % channels) as f32 * 3.0 - 2.0;
                    }
                    let w = random_vec(seed + 1, channels);
                    let b = random_vec(seed + 2, channels);
                    let gy = random_vec(seed + 3, len);
                    out.push(((batch, channels, spatial), [x, w, b, gy]));
                }
            }
        }
        out
    }

    #[test]
    fn train_forward_matches_reference_and_normalises() {
        // y rtol 1e-5, atol 1e-5; mean and invstd rtol 1e-5, atol 1e-6.
        for (dims @ (batch, channels, spatial), [x, w, b, _]) in cases() {
            let what = std::format!("batchnorm train {dims:?}");
            let len = x.len();
            let (mut y, mut mean, mut invstd) = (
                std::vec![f32::NAN; len],
                std::vec![f32::NAN; channels],
                std::vec![f32::NAN; channels],
            );
            batchnorm_forward_train(
                &x,
                &mut y,
                &w,
                &b,
                &mut mean,
                &mut invstd,
                batch,
                channels,
                spatial,
                EPS,
            );
            let (y_ref, mean_ref, invstd_ref) =
                train_ref(&to_f64(&x), &to_f64(&w), &to_f64(&b), dims);
            assert_close(&what, &y, &y_ref, 1e-5, 1e-5);
            assert_close(&std::format!("{what} mean"), &mean, &mean_ref, 1e-5, 1e-6);
            assert_close(
                &std::format!("{what} invstd"),
                &invstd,
                &invstd_ref,
                1e-5,
                1e-6,
            );
            // Without the affine part each channel has mean 0 and variance
            // var / (var + eps) = 1 - eps * invstd^2 (1 within 1e-2 here), both
            // within 1e-5.
            if batch * spatial > 1 {
                let (ones, zeros) = (std::vec![1.0; channels], std::vec![0.0; channels]);
                batchnorm_forward_train(
                    &x,
                    &mut y,
                    &ones,
                    &zeros,
                    &mut mean,
                    &mut invstd,
                    batch,
                    channels,
                    spatial,
                    EPS,
                );
                for c in 0..channels {
                    let v: Vec<f64> = runs(&y, c, batch, channels, spatial)
                        .flatten()
                        .map(|&v| f64::from(v))
                        .collect();
                    let m = v.iter().sum::<f64>() / v.len() as f64;
                    let var = v.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / v.len() as f64;
                    let want = 1.0 - f64::from(EPS) * invstd_ref[c] * invstd_ref[c];
                    assert!(
                        m.abs() < 1e-5 && (var - want).abs() < 1e-5 && want > 0.99,
                        "{what} c {c}: mean {m}, variance {var}, want {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn backward_matches_finite_differences() {
        // Against central differences of the training-mode f64 reference
        // (batch statistics included) in x, weight and bias: rtol 1e-4,
        // atol 1e-5.
        for (dims @ (batch, channels, spatial), [x, w, b, gy]) in cases() {
            let what = std::format!("batchnorm backward {dims:?}");
            let (mut y, mut mean, mut invstd) = (
                std::vec![0.0; x.len()],
                std::vec![0.0; channels],
                std::vec![0.0; channels],
            );
            batchnorm_forward_train(
                &x,
                &mut y,
                &w,
                &b,
                &mut mean,
                &mut invstd,
                batch,
                channels,
                spatial,
                EPS,
            );
            let (mut gw, mut gb, mut gx) = (
                std::vec![f32::NAN; channels],
                std::vec![f32::NAN; channels],
                std::vec![f32::NAN; x.len()],
            );
            batchnorm_backward(
                &x,
                &gy,
                &w,
                &mean,
                &invstd,
                &mut gw,
                &mut gb,
                Some(&mut gx),
                batch,
                channels,
                spatial,
            );
            let (x64, w64, b64) = (to_f64(&x), to_f64(&w), to_f64(&b));
            let want_gx = fd_vjp(|xs| train_ref(xs, &w64, &b64, dims).0, &x, &gy);
            let want_gw = fd_vjp(|ws| train_ref(&x64, ws, &b64, dims).0, &w, &gy);
            let want_gb = fd_vjp(|bs| train_ref(&x64, &w64, bs, dims).0, &b, &gy);
            assert_close(&std::format!("{what} gx"), &gx, &want_gx, 1e-4, 1e-5);
            assert_close(&std::format!("{what} gw"), &gw, &want_gw, 1e-4, 1e-5);
            assert_close(&std::format!("{what} gb"), &gb, &want_gb, 1e-4, 1e-5);
            // Without gx, the same gw and gb.
            let (mut gw2, mut gb2) = (std::vec![f32::NAN; channels], std::vec![f32::NAN; channels]);
            batchnorm_backward(
                &x, &gy, &w, &mean, &invstd, &mut gw2, &mut gb2, None, batch, channels, spatial,
            );
            assert_eq!((gw2, gb2), (gw, gb), "{what}");
        }
    }

    #[test]
    fn infer_forward_matches_reference() {
        // rtol 1e-5, atol 1e-6.
        for (seed, (dims @ (batch, channels, spatial), [x, w, b, _])) in
            cases().into_iter().enumerate()
        {
            let rm = random_vec(seed as u64 + 10, channels);
            let rv: Vec<f32> = random_vec(seed as u64 + 20, channels)
                .iter()
                .map(|v| v * 0.5 + 1.0)
                .collect();
            let mut y = std::vec![f32::NAN; x.len()];
            batchnorm_forward_infer(&x, &mut y, &w, &b, &rm, &rv, batch, channels, spatial, EPS);
            let want: Vec<f64> = x
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let c = (i / spatial) % channels;
                    let is = 1.0 / (f64::from(rv[c]) + f64::from(EPS)).sqrt();
                    (f64::from(v) - f64::from(rm[c])) * is * f64::from(w[c]) + f64::from(b[c])
                })
                .collect();
            assert_close(
                &std::format!("batchnorm infer {dims:?}"),
                &y,
                &want,
                1e-5,
                1e-6,
            );
        }
    }

    #[test]
    fn update_running_uses_the_unbiased_variance() {
        // [batch 2][2 channels][spatial 2]: channel 0 holds 1, 2, 3, 6 (mean
        // 3, biased variance 14/4, unbiased 14/3), channel 1 is constant -1.
        let x = [1.0, 2.0, -1.0, -1.0, 3.0, 6.0, -1.0, -1.0];
        let (mut y, mut mean, mut invstd) = ([0.0; 8], [0.0; 2], [0.0; 2]);
        batchnorm_forward_train(
            &x,
            &mut y,
            &[1.0; 2],
            &[0.0; 2],
            &mut mean,
            &mut invstd,
            2,
            2,
            2,
            EPS,
        );
        let (mut rm, mut rv, mut nbt) = ([0.0, 0.5], [1.0, 2.0], [0.0]);
        batchnorm_update_running(&mut rm, &mut rv, &mut nbt, &mean, &invstd, EPS, 0.1, 4);
        let want_rm = [0.9 * 0.0 + 0.1 * 3.0, 0.9 * 0.5 - 0.1 * 1.0];
        let want_rv = [0.9 * 1.0 + 0.1 * 14.0 / 3.0, 0.9 * 2.0 + 0.1 * 0.0];
        assert_close("running mean", &rm, &want_rm, 1e-6, 1e-7);
        assert_close("running var", &rv, &want_rv, 1e-6, 1e-6);
        assert_eq!(nbt, [1.0]);
        // One value per channel: the biased variance (0), no division by 0.
        let (mut rm, mut rv) = ([0.0], [1.0]);
        batchnorm_forward_train(
            &[5.0],
            &mut [0.0],
            &[1.0],
            &[0.0],
            &mut mean[..1],
            &mut invstd[..1],
            1,
            1,
            1,
            EPS,
        );
        batchnorm_update_running(
            &mut rm,
            &mut rv,
            &mut nbt,
            &mean[..1],
            &invstd[..1],
            EPS,
            0.1,
            1,
        );
        assert_close("n = 1", &[rm[0], rv[0]], &[0.5, 0.9], 1e-6, 1e-6);
        assert_eq!(nbt, [2.0]);
    }

    #[test]
    fn folded_layer_equals_layer_then_batchnorm() {
        // A dense layer [out 3][in 5] on a batch of 4 (spatial 1) with and
        // without bias, and a 1x1 convolution [out 3][in 2] on 4 pixels
        // (spatial 4): within rtol 1e-5, atol 1e-5.
        let (channels, inp) = (3, 5);
        let gamma = random_vec(1, channels);
        let beta = random_vec(2, channels);
        let rm = random_vec(3, channels);
        let rv: Vec<f32> = random_vec(4, channels)
            .iter()
            .map(|v| v * 0.5 + 1.0)
            .collect();
        for (spatial, inp, has_bias) in [(1, inp, true), (1, inp, false), (4, 2, true)] {
            let batch = if spatial == 1 { 4 } else { 1 };
            let x = random_vec(5, batch * inp * spatial); // [batch][inp][spatial]
            let w = random_vec(6, channels * inp);
            let b = if has_bias {
                random_vec(7, channels)
            } else {
                std::vec![0.0; channels]
            };
            // y[bb][c][s] = b[c] + sum_i w[c][i] * x[bb][i][s]
            let layer = |w: &[f32], b: &[f32]| -> Vec<f32> {
                let mut y = std::vec![0.0; batch * channels * spatial];
                for bb in 0..batch {
                    for c in 0..channels {
                        for s in 0..spatial {
                            let dot: f32 = (0..inp)
                                .map(|i| w[c * inp + i] * x[(bb * inp + i) * spatial + s])
                                .sum();
                            y[(bb * channels + c) * spatial + s] = b[c] + dot;
                        }
                    }
                }
                y
            };
            let y = layer(&w, &b);
            let mut want = std::vec![f32::NAN; y.len()];
            batchnorm_forward_infer(
                &y, &mut want, &gamma, &beta, &rm, &rv, batch, channels, spatial, EPS,
            );
            let (mut wf, mut bf) = (w.clone(), b.clone());
            batchnorm_fold(&mut wf, &mut bf, &gamma, &beta, &rm, &rv, EPS);
            let what = std::format!("fold spatial {spatial} inp {inp} bias {has_bias}");
            assert_close(&what, &layer(&wf, &bf), &to_f64(&want), 1e-5, 1e-5);
        }
    }
}
