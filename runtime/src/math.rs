//! The one math shim: every transcendental function the runtime uses, for
//! `f32`, over the [`libm`] crate.
//!
//! `libm` is used **always**, also when the `std` feature is on: `std`'s
//! `f32::exp` and friends call the platform's C library, whose results differ
//! in the last bit between glibc, musl, macOS and a microcontroller's newlib.
//! Going through `libm` everywhere makes a network trained on the host and run
//! on a Cortex-M produce bit-identical outputs, and makes the seeded
//! initialisers of [`crate::init`] give bit-identical weights everywhere.
//!
//! Basic arithmetic, comparisons, `f32::max`/`f32::min` and `sqrt` are
//! IEEE 754 correctly rounded on every target, so only the functions below
//! need the shim. Nothing here uses `mul_add`, whose speed (and, without
//! hardware FMA, result) depends on the target.

/// `e^x`.
#[inline]
pub fn exp(x: f32) -> f32 {
    libm::expf(x)
}

/// `e^x - 1`, accurate for small `x`.
#[inline]
pub fn exp_m1(x: f32) -> f32 {
    libm::expm1f(x)
}

/// Natural logarithm `ln x`.
#[inline]
pub fn ln(x: f32) -> f32 {
    libm::logf(x)
}

/// `ln(1 + x)`, accurate for small `x`.
#[inline]
pub fn ln_1p(x: f32) -> f32 {
    libm::log1pf(x)
}

/// Hyperbolic tangent.
#[inline]
pub fn tanh(x: f32) -> f32 {
    libm::tanhf(x)
}

/// Square root (correctly rounded).
#[inline]
pub fn sqrt(x: f32) -> f32 {
    libm::sqrtf(x)
}

/// The error function `erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt`.
#[inline]
pub fn erf(x: f32) -> f32 {
    libm::erff(x)
}

/// The complementary error function `erfc(x) = 1 - erf(x)`, accurate where
/// `erf(x)` is close to 1.
#[inline]
pub fn erfc(x: f32) -> f32 {
    libm::erfcf(x)
}

/// `x^y` for a real exponent.
#[inline]
pub fn powf(x: f32, y: f32) -> f32 {
    libm::powf(x, y)
}

/// `x^n` for an integer exponent, by binary exponentiation: at most
/// `2 log2(n)` correctly rounded multiplications, so the result is the same on
/// every target (unlike `f32::powi`, whose precision is unspecified). The
/// relative error grows to about `n` ulp; prefer [`powf`] for large `n`.
#[inline]
pub fn powi(x: f32, n: u32) -> f32 {
    let (mut base, mut n, mut acc) = (x, n, 1.0f32);
    while n > 0 {
        if n & 1 == 1 {
            acc *= base;
        }
        base *= base;
        n >>= 1;
    }
    acc
}

/// `x` rounded to the nearest integer, ties away from zero.
#[inline]
pub fn round(x: f32) -> f32 {
    libm::roundf(x)
}

/// `|x|`.
#[inline]
pub fn abs(x: f32) -> f32 {
    libm::fabsf(x)
}

/// Cosine (radians).
#[inline]
pub fn cos(x: f32) -> f32 {
    libm::cosf(x)
}

/// Sine (radians).
#[inline]
pub fn sin(x: f32) -> f32 {
    libm::sinf(x)
}

/// `x`, or 0 if `x` is subnormal (`|x| < f32::MIN_POSITIVE`).
///
/// Optimizer state that decays geometrically (momentum of a weight whose
/// gradient is mostly 0, such as one wired to an MNIST border pixel) would
/// otherwise sit in the subnormal range for many steps, and x86 cores take a
/// slow microcode assist on every subnormal operand or result. That made a
/// momentum-SGD MNIST epoch several times slower than plain SGD (measured, see
/// `docs/performance.md`). Flushing where
/// the state is written keeps it normal or exactly 0. Branch-free: compiles
/// to a compare and a blend, so loops stay vectorised.
#[inline(always)]
pub fn flush_subnormal(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE {
        0.0
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn flush_subnormal_zeroes_only_subnormals() {
        assert_eq!(super::flush_subnormal(f32::MIN_POSITIVE / 2.0), 0.0);
        assert_eq!(super::flush_subnormal(-1e-40), 0.0);
        assert_eq!(super::flush_subnormal(f32::MIN_POSITIVE), f32::MIN_POSITIVE);
        assert_eq!(super::flush_subnormal(-3.5), -3.5);
        assert_eq!(super::flush_subnormal(0.0), 0.0);
    }

    use super::*;

    #[test]
    fn powi_matches_repeated_multiplication() {
        assert_eq!(powi(3.0, 0), 1.0);
        assert_eq!(powi(0.0, 0), 1.0);
        assert_eq!(powi(2.0, 10), 1024.0);
        assert_eq!(powi(-1.5, 3), -3.375);
        // Within n ulp (2^-24 relative each) of the f64 power of the same f32
        // (0.999, as Adam's beta2; 0.9^1000 would underflow f32).
        for t in [1u32, 2, 7, 100, 1000] {
            let want = f64::from(0.999f32).powi(t as i32);
            let err = (f64::from(powi(0.999, t)) - want).abs() / want;
            assert!(
                err <= f64::from(t) * 6e-8,
                "0.999^{t}: relative error {err:e}"
            );
        }
    }

    #[test]
    fn shim_agrees_with_f64_within_a_few_ulp() {
        // rtol 1e-6 (about 8 ulp of f32) against std's f64 functions.
        for &x in &[-3.0f32, -0.5, -1e-4, 0.0, 1e-4, 0.7, 2.5] {
            let x64 = f64::from(x);
            let close =
                |got: f32, want: f64| (f64::from(got) - want).abs() <= 1e-6 * want.abs() + 1e-7;
            assert!(close(exp(x), x64.exp()));
            assert!(close(exp_m1(x), x64.exp_m1()));
            assert!(close(tanh(x), x64.tanh()));
            assert!(close(cos(x), x64.cos()));
            assert!(close(sin(x), x64.sin()));
            assert!(close(abs(x), x64.abs()));
            if x > -1.0 {
                assert!(close(ln_1p(x), x64.ln_1p()));
            }
            if x > 0.0 {
                assert!(close(ln(x), x64.ln()));
                assert!(close(sqrt(x), x64.sqrt()));
                assert!(close(powf(x, 1.7), x64.powf(f64::from(1.7f32))));
            }
        }
        assert!((erf(0.5) - 0.520_499_9).abs() < 1e-6);
        assert_eq!(erf(0.0), 0.0);
        assert!((erfc(3.0) - 2.209_05e-5).abs() < 1e-9);
    }
}
