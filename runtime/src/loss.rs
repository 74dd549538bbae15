//! Loss functions. Each returns the loss and *overwrites* `grad` with its
//! gradient with respect to the first argument, reduced by the mean like
//! PyTorch's default `reduction="mean"`: over the batch for the classification
//! losses, over all elements for [`mse`] and [`bce_with_logits`]. An empty
//! batch has loss 0.
//!
//! Labels are class indices in `0..classes`; an out-of-range label panics on
//! the slice index (and fails a `debug_assert!` first).

use crate::kernels::sigmoid::sigmoid;
use crate::math;

/// The probability floor of [`cross_entropy`]: `-ln(1e-12)` is about 27.6.
pub const MIN_PROB: f32 = 1e-12;

/// Fused, numerically stable softmax + cross-entropy (PyTorch's
/// `F.cross_entropy` on logits) over `labels.len()` rows of `classes` logits:
/// `loss = mean_b (logsumexp(x_b) - x_b[label_b])`, with the log-sum-exp
/// max-subtracted so that no `e^x` overflows;
/// `grad = (softmax(x) - onehot(label)) / batch`.
pub fn softmax_cross_entropy(
    logits: &[f32],
    labels: &[usize],
    classes: usize,
    grad: &mut [f32],
) -> f32 {
    let batch = labels.len();
    debug_assert!(classes > 0);
    debug_assert_eq!(logits.len(), batch * classes);
    debug_assert_eq!(grad.len(), batch * classes);
    if batch == 0 {
        return 0.0;
    }
    let inv_batch = 1.0 / batch as f32;
    let mut total = 0.0;
    for ((x, g), &label) in logits
        .chunks_exact(classes)
        .zip(grad.chunks_exact_mut(classes))
        .zip(labels)
    {
        debug_assert!(
            label < classes,
            "label {label} out of range for {classes} classes"
        );
        let max = x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut sum = 0.0;
        for (g, &x) in g.iter_mut().zip(x) {
            *g = math::exp(x - max);
            sum += *g;
        }
        // logsumexp(x) - x[label] = ln(sum) - (x[label] - max), both terms small.
        total += math::ln(sum) - (x[label] - max);
        let scale = inv_batch / sum;
        for g in g.iter_mut() {
            // A confident network's tiny probabilities would feed subnormal
            // gradients into every backward kernel (see `math::flush_subnormal`).
            *g = math::flush_subnormal(*g * scale);
        }
        g[label] -= inv_batch;
    }
    total * inv_batch
}

/// Cross-entropy on probabilities, for networks that end in `softmax`:
/// `loss = -mean_b ln(max(p_b[label_b], MIN_PROB))`, so a zero probability
/// costs `-ln(1e-12)` (about 27.6) instead of infinity.
///
/// `grad` is 0 except `grad[label] = -1 / (batch * max(p, MIN_PROB))`: the
/// clamp is passed through in the backward pass (PyTorch's `clamp` would give
/// 0 below the floor and stop learning exactly where it is needed). Through
/// `softmax_backward` this still yields the finite `(p - onehot) / batch` for
/// every `p >= MIN_PROB`. Prefer [`softmax_cross_entropy`] on logits.
pub fn cross_entropy(probs: &[f32], labels: &[usize], classes: usize, grad: &mut [f32]) -> f32 {
    let batch = labels.len();
    debug_assert!(classes > 0);
    debug_assert_eq!(probs.len(), batch * classes);
    debug_assert_eq!(grad.len(), batch * classes);
    grad.fill(0.0);
    if batch == 0 {
        return 0.0;
    }
    let inv_batch = 1.0 / batch as f32;
    let mut total = 0.0;
    for ((p, g), &label) in probs
        .chunks_exact(classes)
        .zip(grad.chunks_exact_mut(classes))
        .zip(labels)
    {
        debug_assert!(
            label < classes,
            "label {label} out of range for {classes} classes"
        );
        let p = p[label].max(MIN_PROB);
        total -= math::ln(p);
        g[label] = -inv_batch / p;
    }
    total * inv_batch
}

/// Mean squared error `mean((pred - target)^2)` over all `n` elements;
/// `grad = 2 (pred - target) / n` (PyTorch's `F.mse_loss`).
pub fn mse(pred: &[f32], target: &[f32], grad: &mut [f32]) -> f32 {
    debug_assert_eq!(pred.len(), target.len());
    debug_assert_eq!(pred.len(), grad.len());
    if pred.is_empty() {
        return 0.0;
    }
    let inv_n = 1.0 / pred.len() as f32;
    let mut total = 0.0;
    for ((g, &p), &t) in grad.iter_mut().zip(pred).zip(target) {
        let d = p - t;
        total += d * d;
        *g = 2.0 * d * inv_n;
    }
    total * inv_n
}

/// Binary cross-entropy on logits `x` with targets `t` in `[0, 1]`, mean over
/// all `n` elements (PyTorch's `F.binary_cross_entropy_with_logits`), in the
/// stable form `max(x, 0) - x t + ln(1 + e^(-|x|))`, which never overflows;
/// `grad = (sigmoid(x) - t) / n`.
pub fn bce_with_logits(logits: &[f32], targets: &[f32], grad: &mut [f32]) -> f32 {
    debug_assert_eq!(logits.len(), targets.len());
    debug_assert_eq!(logits.len(), grad.len());
    if logits.is_empty() {
        return 0.0;
    }
    let inv_n = 1.0 / logits.len() as f32;
    let mut total = 0.0;
    for ((g, &x), &t) in grad.iter_mut().zip(logits).zip(targets) {
        total += x.max(0.0) - x * t + math::ln_1p(math::exp(-math::abs(x)));
        *g = (sigmoid(x) - t) * inv_n;
    }
    total * inv_n
}

/// Index of the largest value, the first one on ties (0 for an empty slice).
/// Comparisons with NaN are false, so a NaN is never preferred to an earlier
/// value.
pub fn argmax(x: &[f32]) -> usize {
    let mut best = 0;
    for i in 1..x.len() {
        if x[i] > x[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, numeric_grad, random_vec, to_f64};
    use std::vec::Vec;

    /// Central differences of an f64 reference loss (h = 1e-6) against the
    /// kernel's gradient: rtol 1e-4, atol 1e-6.
    #[track_caller]
    fn check_grad(what: &str, grad: &[f32], reference: impl Fn(&[f64]) -> f64, x: &[f32]) {
        let want = numeric_grad(reference, &to_f64(x), 1e-6);
        assert_close(what, grad, &want, 1e-4, 1e-6);
    }

    #[track_caller]
    fn assert_near(what: &str, got: f32, want: f64, tol: f64) {
        assert!(
            (f64::from(got) - want).abs() <= tol,
            "{what}: got {got}, want {want}"
        );
    }

    /// f64 reference of `softmax_cross_entropy`.
    fn ref_softmax_ce(x: &[f64], labels: &[usize], classes: usize) -> f64 {
        let rows = x.chunks_exact(classes).zip(labels);
        let total: f64 = rows
            .map(|(row, &l)| {
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln() - row[l]
            })
            .sum();
        total / labels.len() as f64
    }

    #[test]
    fn softmax_cross_entropy_by_hand() {
        // Row 0: uniform over 3 classes, label 1 costs ln 3. Row 1: logits
        // [0, ln 3, -1e30] give softmax [1/4, 3/4, 0]; label 0 costs ln 4.
        // Mean: ln(12) / 2.
        let logits = [0.0, 0.0, 0.0, 0.0, 3f32.ln(), -1e30];
        let mut grad = [f32::NAN; 6];
        let loss = softmax_cross_entropy(&logits, &[1, 0], 3, &mut grad);
        assert_near("loss", loss, 12f64.ln() / 2.0, 1e-6);
        let want = [
            1.0 / 6.0,
            (1.0 / 3.0 - 1.0) / 2.0,
            1.0 / 6.0,
            (0.25 - 1.0) / 2.0,
            0.375,
            0.0,
        ];
        assert_close("grad", &grad, &want, 1e-6, 1e-7);
    }

    #[test]
    fn softmax_cross_entropy_gradient() {
        let (batch, classes) = (3, 5);
        let x: Vec<f32> = random_vec(1, batch * classes)
            .iter()
            .map(|v| v * 3.0)
            .collect();
        let labels = [4, 0, 2];
        let mut grad = std::vec![f32::NAN; batch * classes];
        let loss = softmax_cross_entropy(&x, &labels, classes, &mut grad);
        assert_near(
            "loss",
            loss,
            ref_softmax_ce(&to_f64(&x), &labels, classes),
            1e-5,
        );
        check_grad("grad", &grad, |x| ref_softmax_ce(x, &labels, classes), &x);
    }

    #[test]
    fn softmax_cross_entropy_is_stable_at_100() {
        let mut grad = [f32::NAN; 4];
        let loss = softmax_cross_entropy(&[100.0, -100.0, -100.0, 100.0], &[1, 1], 2, &mut grad);
        // Row 0 costs 200, row 1 costs ln(1 + e^-200) ~ 0.
        assert_near("loss", loss, 100.0, 1e-4);
        assert_close("grad", &grad, &[0.5, -0.5, 0.0, 0.0], 0.0, 1e-7);
    }

    #[test]
    fn cross_entropy_by_hand_and_gradient() {
        let probs = [0.25f32, 0.75, 0.5, 0.5];
        let mut grad = [f32::NAN; 4];
        let loss = cross_entropy(&probs, &[1, 0], 2, &mut grad);
        assert_near("loss", loss, -(0.75f64.ln() + 0.5f64.ln()) / 2.0, 1e-6);
        assert_close("grad", &grad, &[0.0, -1.0 / 1.5, -1.0, 0.0], 1e-6, 0.0);
        let reference = |p: &[f64]| -(p[1].ln() + p[2].ln()) / 2.0;
        check_grad("grad", &grad, reference, &probs);
    }

    #[test]
    fn cross_entropy_clamps_zero_probability() {
        let mut grad = [f32::NAN; 2];
        let loss = cross_entropy(&[1.0, 0.0], &[1], 2, &mut grad);
        assert_near("loss", loss, -(1e-12f64.ln()), 1e-4);
        assert!(grad.iter().all(|g| g.is_finite()), "{grad:?}");
    }

    #[test]
    fn mse_by_hand_and_gradient() {
        let (pred, target) = ([1.0f32, 2.0, 3.0], [1.0f32, 0.0, 0.0]);
        let mut grad = [f32::NAN; 3];
        assert_near("loss", mse(&pred, &target, &mut grad), 13.0 / 3.0, 1e-6);
        assert_close("grad", &grad, &[0.0, 4.0 / 3.0, 2.0], 1e-6, 0.0);
        let (pred, target) = (random_vec(2, 65), random_vec(3, 65));
        let mut grad = [f32::NAN; 65];
        mse(&pred, &target, &mut grad);
        let t = to_f64(&target);
        let reference =
            |p: &[f64]| p.iter().zip(&t).map(|(p, t)| (p - t).powi(2)).sum::<f64>() / 65.0;
        check_grad("grad", &grad, reference, &pred);
    }

    /// f64 reference of `bce_with_logits`, the naive (unstable) textbook form.
    fn ref_bce(x: &[f64], t: &[f64]) -> f64 {
        let s = |x: f64| 1.0 / (1.0 + (-x).exp());
        let total: f64 = x
            .iter()
            .zip(t)
            .map(|(&x, &t)| -(t * s(x).ln() + (1.0 - t) * (1.0 - s(x)).ln()))
            .sum();
        total / x.len() as f64
    }

    #[test]
    fn bce_with_logits_by_hand_and_gradient() {
        // x = 0, t = 1 costs ln 2; x = ln 3, t = 0 costs ln 3 + ln(4/3) = ln 4.
        let mut grad = [f32::NAN; 2];
        let loss = bce_with_logits(&[0.0, 3f32.ln()], &[1.0, 0.0], &mut grad);
        assert_near("loss", loss, 1.5 * 2f64.ln(), 1e-6);
        assert_close("grad", &grad, &[-0.25, 0.375], 1e-6, 0.0);
        let x: Vec<f32> = random_vec(4, 63).iter().map(|v| v * 4.0).collect();
        let t: Vec<f32> = random_vec(5, 63).iter().map(|v| v * 0.5 + 0.5).collect();
        let mut grad = [f32::NAN; 63];
        let loss = bce_with_logits(&x, &t, &mut grad);
        assert_near("loss", loss, ref_bce(&to_f64(&x), &to_f64(&t)), 1e-5);
        check_grad("grad", &grad, |x| ref_bce(x, &to_f64(&t)), &x);
    }

    #[test]
    fn bce_with_logits_is_stable_at_100() {
        let mut grad = [f32::NAN; 4];
        let loss = bce_with_logits(
            &[100.0, -100.0, 100.0, -100.0],
            &[0.0, 1.0, 1.0, 0.0],
            &mut grad,
        );
        // The two confident mistakes cost 100 each, the right answers ~e^-100.
        assert_near("loss", loss, 50.0, 1e-5);
        assert_close("grad", &grad, &[0.25, -0.25, 0.0, 0.0], 0.0, 1e-7);
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[0.1, 0.7, 0.2]), 1);
        assert_eq!(argmax(&[3.0, 1.0, 3.0]), 0);
        assert_eq!(argmax(&[-2.0, -1.0, -1.0]), 1);
        assert_eq!(argmax(&[5.0]), 0);
    }
}
