//! `sigmoid`: `y = 1 / (1 + e^-x)`, elementwise; any shape, `y` has the shape
//! of `x`.

use crate::math;

/// `y = 1 / (1 + e^-x)`, evaluated as `e^x / (1 + e^x)` for negative `x` so
/// that `e^|x|` never overflows: finite and in `[0, 1]` for every finite `x`.
pub fn sigmoid_forward(x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        *y = sigmoid(x);
    }
}

/// `gx = gy * y * (1 - y)`, from the forward *output* `y`.
pub fn sigmoid_backward(y: &[f32], gy: &[f32], gx: &mut [f32]) {
    debug_assert_eq!(y.len(), gy.len());
    debug_assert_eq!(y.len(), gx.len());
    for ((gx, &gy), &y) in gx.iter_mut().zip(gy).zip(y) {
        *gx = gy * y * (1.0 - y);
    }
}

/// The scalar, numerically stable logistic function (also used by
/// [`crate::loss::bce_with_logits`]).
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + math::exp(-x))
    } else {
        let e = math::exp(x);
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check_elementwise;

    #[test]
    fn matches_reference_and_finite_differences() {
        check_elementwise(
            "sigmoid",
            8.0,
            &[],
            |x| 1.0 / (1.0 + (-x).exp()),
            sigmoid_forward,
            |_, y, gy, gx| sigmoid_backward(y, gy, gx),
        );
    }

    #[test]
    fn saturates_without_overflow() {
        let mut y = [f32::NAN; 4];
        sigmoid_forward(&[-1000.0, -100.0, 100.0, 1000.0], &mut y);
        assert_eq!(y[0], 0.0);
        assert!(y[1] > 0.0 && y[1] < 1e-40, "{}", y[1]);
        assert_eq!(&y[2..], &[1.0, 1.0]);
    }
}
