//! The [`Simd`] vector register type of [`Neon`]: four `f32` lanes.
//! NEON has no masked loads or stores: a partial vector goes through a
//! 4-lane stack buffer, copying only the lanes below `len`.

use super::isa::Neon;
use crate::raw::simd::Simd;
use core::arch::aarch64::*;

impl Simd for Neon {
    const W: usize = 4;
    type V = float32x4_t;
    #[inline(always)]
    unsafe fn shift(lo: float32x4_t, hi: float32x4_t, m: usize) -> float32x4_t {
        crate::raw::simd::shift_through_memory::<Self>(lo, hi, m)
    }
    #[inline(always)]
    unsafe fn zero() -> float32x4_t {
        vdupq_n_f32(0.0)
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> float32x4_t {
        vdupq_n_f32(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> float32x4_t {
        vld1q_f32(p)
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, len: usize) -> float32x4_t {
        let mut lanes = [0.0f32; 4];
        // `len < 4` lanes from `p`, readable by the caller's contract.
        core::ptr::copy_nonoverlapping(p, lanes.as_mut_ptr(), len);
        vld1q_f32(lanes.as_ptr())
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: float32x4_t) {
        vst1q_f32(p, v)
    }
    #[inline(always)]
    unsafe fn store_part(p: *mut f32, len: usize, v: float32x4_t) {
        let mut lanes = [0.0f32; 4];
        vst1q_f32(lanes.as_mut_ptr(), v);
        // `len < 4` lanes to `p`, writable by the caller's contract.
        core::ptr::copy_nonoverlapping(lanes.as_ptr(), p, len);
    }
    #[inline(always)]
    unsafe fn fma(a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        // `fmla`: `c + a * b`, one rounding.
        vfmaq_f32(c, a, b)
    }
    #[inline(always)]
    unsafe fn add(a: float32x4_t, b: float32x4_t) -> float32x4_t {
        vaddq_f32(a, b)
    }
    #[inline(always)]
    unsafe fn sub(a: float32x4_t, b: float32x4_t) -> float32x4_t {
        vsubq_f32(a, b)
    }
    #[inline(always)]
    unsafe fn mul(a: float32x4_t, b: float32x4_t) -> float32x4_t {
        vmulq_f32(a, b)
    }
    #[inline(always)]
    unsafe fn hsum(v: float32x4_t) -> f32 {
        vaddvq_f32(v)
    }
    #[inline(always)]
    unsafe fn hsum4(v: [float32x4_t; 4]) -> [f32; 4] {
        // Pairwise sums: [v0 01, v0 23, v1 01, v1 23], then the four totals.
        let t = vpaddq_f32(vpaddq_f32(v[0], v[1]), vpaddq_f32(v[2], v[3]));
        let mut out = [0.0; 4];
        vst1q_f32(out.as_mut_ptr(), t);
        out
    }
}
