//! `gelu`: `y = x Phi(x)` with `Phi` the standard normal CDF, elementwise; any
//! shape, `y` has the shape of `x`. The exact (erf) form, PyTorch's default
//! `nn.GELU()` (`approximate="none"`), not the tanh approximation.

use crate::math;

/// `1 / sqrt(2)`.
const FRAC_1_SQRT_2: f32 = core::f32::consts::FRAC_1_SQRT_2;
/// `1 / sqrt(2 pi)`.
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

/// `Phi(x) = erfc(-x / sqrt 2) / 2`, which equals `(1 + erf(x / sqrt 2)) / 2`
/// but keeps its relative accuracy in the left tail, where `1 + erf` cancels.
#[inline]
fn phi_cdf(x: f32) -> f32 {
    0.5 * math::erfc(-x * FRAC_1_SQRT_2)
}

/// `y = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2`.
pub fn gelu_forward(x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        *y = x * phi_cdf(x);
    }
}

/// `gx = gy (Phi(x) + x phi(x))` with `phi(x) = e^(-x^2 / 2) / sqrt(2 pi)`,
/// from the forward *input* `x`.
pub fn gelu_backward(x: &[f32], gy: &[f32], gx: &mut [f32]) {
    debug_assert_eq!(x.len(), gy.len());
    debug_assert_eq!(x.len(), gx.len());
    for ((gx, &gy), &x) in gx.iter_mut().zip(gy).zip(x) {
        let pdf = FRAC_1_SQRT_2PI * math::exp(-0.5 * x * x);
        *gx = gy * (phi_cdf(x) + x * pdf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check_elementwise;

    #[test]
    fn matches_reference_and_finite_differences() {
        // f64 reference through libm's f64 `erf` (std has no stable `erf`).
        let gelu = |x: f64| 0.5 * x * (1.0 + libm::erf(x / core::f64::consts::SQRT_2));
        check_elementwise("gelu", 5.0, &[], gelu, gelu_forward, |x, _, gy, gx| {
            gelu_backward(x, gy, gx)
        });
    }

    #[test]
    fn known_values() {
        // PyTorch: F.gelu(torch.tensor([-1., 0., 1., 3.]))
        let mut y = [f32::NAN; 4];
        gelu_forward(&[-1.0, 0.0, 1.0, 3.0], &mut y);
        let want = [-0.158_655_26, 0.0, 0.841_344_7, 2.995_950_3];
        for (g, w) in y.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{y:?}");
        }
    }
}
