//! Activations in int8, input and output at the same scale and zero point.
//! ReLU and ReLU6 are clamps: after a dense or convolution layer they are
//! fused into its output clamp ([`super::Io`]); on their own, [`clamp`].
//! Leaky ReLU keeps the positive side and rescales the negative side by
//! `alpha` in fixed point.

use super::Multiplier;

/// `y = clamp(x, lo, hi)` in place.
pub fn clamp(x: &mut [i8], lo: i32, hi: i32) {
    let (lo, hi) = (lo.clamp(-128, 127) as i8, hi.clamp(-128, 127) as i8);
    for v in x {
        *v = (*v).clamp(lo, hi);
    }
}

/// `y = x` at or above the zero point `zp`, else `zp + alpha (x - zp)`
/// with `alpha` as a [`Multiplier`], in place. TFLite's int8 `LeakyRelu`
/// requantises both sides to an output scale of its own; with the output
/// at the input's scale, as here, its positive side is this identity. As
/// TFLite's, `x - zp` is not shifted left before the multiply, so the first
/// of the two roundings is to `2^shift` steps (1/8 of a step for alpha 0.2)
/// and the result can be one step from the nearest one when the exact value
/// is that close to a half step (PyTorch, in float, rounds it the other way).
pub fn leaky_relu(x: &mut [i8], zp: i32, alpha: Multiplier) {
    for v in x {
        let d = i32::from(*v) - zp;
        if d < 0 {
            *v = (zp + alpha.apply(d)).clamp(-128, 127) as i8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaky_relu_scales_the_negative_side_and_rounds() {
        let alpha = Multiplier::new(0.1);
        let mut x: [i8; 6] = [-128, -100, -6, -5, 0, 127];
        leaky_relu(&mut x, -5, alpha);
        // -128 - -5 = -123 -> -12.3 -> -12, -95 -> -9.5 -> -9 (gemmlowp:
        // a negative tie rounds toward zero... after the high multiply the
        // exact value is not a tie), -1 -> -0.1 -> 0.
        for (got, x0) in x.iter().zip([-128i32, -100, -6, -5, 0, 127]) {
            let d = x0 + 5;
            let want = if d < 0 { -5 + alpha.apply(d) } else { x0 };
            assert_eq!(i32::from(*got), want);
            if d < 0 {
                assert!((f64::from(want + 5) - 0.1 * f64::from(d)).abs() <= 0.5 + 1e-9);
            }
        }
        let mut y = [-128i8, -3, 0, 5, 127];
        clamp(&mut y, -3, 4);
        assert_eq!(y, [-3, -3, 0, 4, 4]);
    }
}
