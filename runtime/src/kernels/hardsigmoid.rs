//! `hardsigmoid(alpha, beta)`: `y = max(0, min(1, alpha x + beta))`,
//! elementwise; any shape, `y` has the shape of `x`.

/// `y = max(0, min(1, alpha x + beta))`: ONNX's `HardSigmoid(alpha, beta)`;
/// with `alpha = 1/6`, `beta = 0.5` (the DSL's defaults) PyTorch's
/// `nn.Hardsigmoid`, `relu6(x + 3) / 6`. NaN maps to 0.
pub fn hardsigmoid_forward(x: &[f32], y: &mut [f32], alpha: f32, beta: f32) {
    debug_assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        let z = alpha * x + beta;
        *y = if z > 0.0 { z.min(1.0) } else { 0.0 };
    }
}

/// `gx = alpha gy` where the forward *output* `0 < y < 1`, else 0: 0 at the
/// kinks, as PyTorch's (`nn.Hardsigmoid`'s gradient is 0 at `x = ±3`).
/// `beta` is not needed (the output decides); it is taken so that both
/// kernels have the layer's arguments.
pub fn hardsigmoid_backward(y: &[f32], gy: &[f32], gx: &mut [f32], alpha: f32, _beta: f32) {
    debug_assert_eq!(y.len(), gy.len());
    debug_assert_eq!(y.len(), gx.len());
    for ((gx, &gy), &y) in gx.iter_mut().zip(gy).zip(y) {
        *gx = if y > 0.0 && y < 1.0 { alpha * gy } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check_elementwise;

    #[test]
    fn matches_reference_and_finite_differences() {
        // PyTorch's defaults (kinks at ±3) and ONNX's (alpha 0.2, beta 0.5:
        // kinks at -2.5 and 2.5), each moved off its kinks.
        for (alpha, beta, kinks) in [(1.0f32 / 6.0, 0.5f32, [-3.0, 3.0]), (0.2, 0.5, [-2.5, 2.5])] {
            let (a, b) = (f64::from(alpha), f64::from(beta));
            check_elementwise(
                "hardsigmoid",
                5.0,
                &kinks,
                |x| (a * x + b).clamp(0.0, 1.0),
                |x, y| hardsigmoid_forward(x, y, alpha, beta),
                |_, y, gy, gx| hardsigmoid_backward(y, gy, gx, alpha, beta),
            );
        }
    }

    #[test]
    fn kinks_have_zero_gradient_as_in_pytorch() {
        // PyTorch: x = [-4, -3, 0, 3, 4], nn.Hardsigmoid()(x).backward(ones)
        let (x, mut y, mut gx) = ([-4.0, -3.0, 0.0, 3.0, 4.0], [9.0; 5], [9.0; 5]);
        hardsigmoid_forward(&x, &mut y, 1.0 / 6.0, 0.5);
        hardsigmoid_backward(&y, &[1.0; 5], &mut gx, 1.0 / 6.0, 0.5);
        assert_eq!(y, [0.0, 0.0, 0.5, 1.0, 1.0]);
        assert_eq!(gx, [0.0, 0.0, 1.0 / 6.0, 0.0, 0.0]);
    }
}
