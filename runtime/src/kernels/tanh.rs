//! `tanh`: `y = tanh(x)`, elementwise; any shape, `y` has the shape of `x`.

use crate::math;

/// `y = tanh(x)` (via [`math::tanh`], saturating to ±1 without overflow).
pub fn tanh_forward(x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        *y = math::tanh(x);
    }
}

/// `gx = gy * (1 - y^2)`, from the forward *output* `y`.
pub fn tanh_backward(y: &[f32], gy: &[f32], gx: &mut [f32]) {
    debug_assert_eq!(y.len(), gy.len());
    debug_assert_eq!(y.len(), gx.len());
    for ((gx, &gy), &y) in gx.iter_mut().zip(gy).zip(y) {
        *gx = gy * (1.0 - y * y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check_elementwise;

    #[test]
    fn matches_reference_and_finite_differences() {
        check_elementwise("tanh", 4.0, &[], f64::tanh, tanh_forward, |_, y, gy, gx| {
            tanh_backward(y, gy, gx)
        });
    }

    #[test]
    fn saturates_without_overflow() {
        let mut y = [f32::NAN; 2];
        tanh_forward(&[-1000.0, 1000.0], &mut y);
        assert_eq!(y, [-1.0, 1.0]);
    }
}
