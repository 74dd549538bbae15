//! `relu6`: `y = min(max(x, 0), 6)`, elementwise; any shape, `y` has the
//! shape of `x`.

/// `y = min(max(x, 0), 6)` (PyTorch's `nn.ReLU6`, ONNX's `Clip(0, 6)`; NaN
/// maps to 0, as in [`relu`](super::relu)).
pub fn relu6_forward(x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        *y = if x > 0.0 { x.min(6.0) } else { 0.0 };
    }
}

/// `gx = gy` where the forward *output* `0 < y < 6` (exactly where
/// `0 < x < 6`), else 0. At the kinks `x = 0` and `x = 6` the gradient is 0,
/// as PyTorch's (`nn.ReLU6` is `hardtanh(x, 0, 6)`, whose backward passes
/// only the open interval).
pub fn relu6_backward(y: &[f32], gy: &[f32], gx: &mut [f32]) {
    debug_assert_eq!(y.len(), gy.len());
    debug_assert_eq!(y.len(), gx.len());
    for ((gx, &gy), &y) in gx.iter_mut().zip(gy).zip(y) {
        *gx = if y > 0.0 && y < 6.0 { gy } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check_elementwise;

    #[test]
    fn matches_reference_and_finite_differences() {
        // Inputs in [-8, 8), moved off the kinks at 0 and 6.
        check_elementwise(
            "relu6",
            8.0,
            &[0.0, 6.0],
            |x| x.clamp(0.0, 6.0),
            relu6_forward,
            |_, y, gy, gx| relu6_backward(y, gy, gx),
        );
    }

    #[test]
    fn kinks_have_zero_gradient_as_in_pytorch() {
        // PyTorch: x = [-1, 0, 3, 6, 7], nn.ReLU6()(x).backward(ones)
        let (x, mut y, mut gx) = ([-1.0, 0.0, 3.0, 6.0, 7.0], [9.0; 5], [9.0; 5]);
        relu6_forward(&x, &mut y);
        relu6_backward(&y, &[1.0; 5], &mut gx);
        assert_eq!(y, [0.0, 0.0, 3.0, 6.0, 6.0]);
        assert_eq!(gx, [0.0, 0.0, 1.0, 0.0, 0.0]);
    }
}
