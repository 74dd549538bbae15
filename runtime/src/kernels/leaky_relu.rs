//! `leaky_relu(alpha)`: `y = x` for `x > 0`, else `alpha x`, elementwise; any
//! shape, `y` has the shape of `x`.

/// `y = x if x > 0 else alpha * x` (PyTorch's `nn.LeakyReLU(alpha)`).
pub fn leaky_relu_forward(x: &[f32], y: &mut [f32], alpha: f32) {
    debug_assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        *y = if x > 0.0 { x } else { alpha * x };
    }
}

/// `gx = gy if x > 0 else alpha * gy`, from the forward *input* `x` (the
/// output alone is ambiguous when `alpha <= 0`).
pub fn leaky_relu_backward(x: &[f32], gy: &[f32], gx: &mut [f32], alpha: f32) {
    debug_assert_eq!(x.len(), gy.len());
    debug_assert_eq!(x.len(), gx.len());
    for ((gx, &gy), &x) in gx.iter_mut().zip(gy).zip(x) {
        *gx = if x > 0.0 { gy } else { alpha * gy };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check_elementwise;

    #[test]
    fn matches_reference_and_finite_differences() {
        // Inputs within 1e-3 of the kink at 0 are moved off it.
        for alpha in [0.01f32, 0.2] {
            let a = f64::from(alpha);
            check_elementwise(
                "leaky_relu",
                4.0,
                &[0.0],
                |x| if x > 0.0 { x } else { a * x },
                |x, y| leaky_relu_forward(x, y, alpha),
                |x, _, gy, gx| leaky_relu_backward(x, gy, gx, alpha),
            );
        }
    }
}
