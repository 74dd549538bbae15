//! `hardswish`: `y = x relu6(x + 3) / 6`, elementwise; any shape, `y` has the
//! shape of `x`.

/// `y = x min(max(x + 3, 0), 6) / 6` (PyTorch's `nn.Hardswish`, ONNX's
/// `HardSwish`), in PyTorch's order of operations.
pub fn hardswish_forward(x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        let r = x + 3.0;
        let r = if r > 0.0 { r.min(6.0) } else { 0.0 };
        *y = x * r / 6.0;
    }
}

/// `gx = 0` for `x <= -3`, `gy (x / 3 + 1/2)` for `-3 < x < 3`, `gy` for
/// `x >= 3`, from the forward *input* `x`: PyTorch's, kinks included (0 at
/// `x = -3`, `gy` at `x = 3`).
pub fn hardswish_backward(x: &[f32], gy: &[f32], gx: &mut [f32]) {
    debug_assert_eq!(x.len(), gy.len());
    debug_assert_eq!(x.len(), gx.len());
    for ((gx, &gy), &x) in gx.iter_mut().zip(gy).zip(x) {
        *gx = if x <= -3.0 {
            0.0
        } else if x < 3.0 {
            gy * (x / 3.0 + 0.5)
        } else {
            gy
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check_elementwise;

    #[test]
    fn matches_reference_and_finite_differences() {
        // Inputs in [-5, 5), moved off the kinks at ±3.
        check_elementwise(
            "hardswish",
            5.0,
            &[-3.0, 3.0],
            |x| x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
            hardswish_forward,
            |x, _, gy, gx| hardswish_backward(x, gy, gx),
        );
    }

    #[test]
    fn kinks_match_pytorch() {
        // PyTorch: x = [-4, -3, 0, 3, 4], nn.Hardswish()(x).backward(ones)
        let (x, mut y, mut gx) = ([-4.0, -3.0, 0.0, 3.0, 4.0], [9.0; 5], [9.0; 5]);
        hardswish_forward(&x, &mut y);
        hardswish_backward(&x, &[1.0; 5], &mut gx);
        assert_eq!(y, [0.0, 0.0, 0.0, 3.0, 4.0]);
        assert_eq!(gx, [0.0, 0.0, 0.5, 1.0, 1.0]);
    }
}
