//! `silu`: `y = x sigmoid(x)`, elementwise; any shape, `y` has the shape of
//! `x`.

use super::sigmoid::sigmoid;

/// `y = x sigmoid(x)` (PyTorch's `nn.SiLU`, ONNX's `x * Sigmoid(x)`), with
/// the numerically stable [`sigmoid`]: finite for every finite `x`.
pub fn silu_forward(x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        *y = x * sigmoid(x);
    }
}

/// `gx = gy s (1 + x (1 - s))` with `s = sigmoid(x)`, from the forward
/// *input* `x` (PyTorch's formula).
pub fn silu_backward(x: &[f32], gy: &[f32], gx: &mut [f32]) {
    debug_assert_eq!(x.len(), gy.len());
    debug_assert_eq!(x.len(), gx.len());
    for ((gx, &gy), &x) in gx.iter_mut().zip(gy).zip(x) {
        let s = sigmoid(x);
        *gx = gy * s * (1.0 + x * (1.0 - s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check_elementwise;

    #[test]
    fn matches_reference_and_finite_differences() {
        check_elementwise(
            "silu",
            8.0,
            &[],
            |x| x / (1.0 + (-x).exp()),
            silu_forward,
            |x, _, gy, gx| silu_backward(x, gy, gx),
        );
    }

    #[test]
    fn saturates_without_overflow() {
        let x = [-1000.0, -100.0, 0.0, 100.0, 1000.0];
        let (mut y, mut gx) = ([f32::NAN; 5], [f32::NAN; 5]);
        silu_forward(&x, &mut y);
        silu_backward(&x, &[1.0; 5], &mut gx);
        assert_eq!(y[0], 0.0);
        assert!(y[1] < 0.0 && y[1] > -1e-40, "{}", y[1]);
        assert_eq!(&y[2..], &[0.0, 100.0, 1000.0]);
        assert!(gx.iter().all(|g| g.is_finite()), "{gx:?}");
        assert_eq!((gx[0], gx[2], gx[3], gx[4]), (0.0, 0.5, 1.0, 1.0));
    }
}
