//! `gelu`: `y = x Phi(x)` with `Phi` the standard normal CDF, elementwise; any
//! shape, `y` has the shape of `x`. `gelu_forward`/`gelu_backward` are the
//! exact (erf) form, PyTorch's default `nn.GELU()` (`approximate="none"`);
//! `gelu_tanh_forward`/`gelu_tanh_backward` the tanh approximation
//! (`gelu(approximate = "tanh")`, `nn.GELU(approximate="tanh")`).

use super::sigmoid::sigmoid;
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

/// `sqrt(2 / pi)`.
const SQRT_2_OVER_PI: f32 = 0.797_884_6;
/// The cubic coefficient of the tanh approximation.
const KAPPA: f32 = 0.044_715;

/// `y = x (1 + tanh(u)) / 2` with `u = sqrt(2/pi) (x + 0.044715 x^3)`
/// (PyTorch's `nn.GELU(approximate="tanh")`), evaluated as the equal
/// `x sigmoid(2u)` with the stable [`sigmoid`], which keeps its relative
/// accuracy in the left tail, where `1 + tanh(u)` cancels.
pub fn gelu_tanh_forward(x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        let u = SQRT_2_OVER_PI * (x + KAPPA * x * x * x);
        *y = x * sigmoid(2.0 * u);
    }
}

/// `gx = gy (s + 2 x s (1 - s) u')` with `s = sigmoid(2u)` and
/// `u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2)`, from the forward *input* `x`:
/// PyTorch's `(1 + tanh u) / 2 + x (1 - tanh^2 u) u' / 2`, written with
/// `1 + tanh u = 2s`.
pub fn gelu_tanh_backward(x: &[f32], gy: &[f32], gx: &mut [f32]) {
    debug_assert_eq!(x.len(), gy.len());
    debug_assert_eq!(x.len(), gx.len());
    for ((gx, &gy), &x) in gx.iter_mut().zip(gy).zip(x) {
        let x2 = x * x;
        let u = SQRT_2_OVER_PI * (x + KAPPA * x2 * x);
        let du = SQRT_2_OVER_PI * (1.0 + 3.0 * KAPPA * x2);
        let s = sigmoid(2.0 * u);
        *gx = gy * (s + 2.0 * x * s * (1.0 - s) * du);
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
    fn tanh_form_matches_reference_and_finite_differences() {
        let gelu_tanh = |x: f64| {
            let u = (2.0 / core::f64::consts::PI).sqrt() * (x + 0.044_715 * x * x * x);
            0.5 * x * (1.0 + u.tanh())
        };
        check_elementwise(
            "gelu_tanh",
            5.0,
            &[],
            gelu_tanh,
            gelu_tanh_forward,
            |x, _, gy, gx| gelu_tanh_backward(x, gy, gx),
        );
    }

    #[test]
    fn tanh_form_known_values() {
        // PyTorch (float64): x = [-10, -1, 0, 1, 3],
        // nn.GELU(approximate="tanh")(x).backward(ones)
        let x = [-10.0, -1.0, 0.0, 1.0, 3.0];
        let (mut y, mut gx) = ([f32::NAN; 5], [f32::NAN; 5]);
        gelu_tanh_forward(&x, &mut y);
        gelu_tanh_backward(&x, &[1.0; 5], &mut gx);
        let want_y = [0.0, -0.158_808_01, 0.0, 0.841_192, 2.996_362_6];
        let want_gx = [0.0, -0.082_964_08, 0.5, 1.082_964_1, 1.011_584_2];
        for (g, w) in y.iter().zip(want_y).chain(gx.iter().zip(want_gx)) {
            assert!((g - w).abs() < 1e-6, "{y:?} {gx:?}");
        }
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
