//! The [`Simd`] vector register type of each token: 256-bit for [`Avx2`],
//! 512-bit for [`Avx512`], with masked loads and stores for partial vectors.

use super::isa::{Avx2, Avx512};
use crate::raw::simd::Simd;
use core::arch::x86_64::*;

impl Avx2 {
    #[inline(always)]
    unsafe fn mask(len: usize) -> __m256i {
        // `len < 8`, so the cast is lossless; lanes `i < len` are all ones.
        _mm256_cmpgt_epi32(
            _mm256_set1_epi32(len as i32),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        )
    }
}

impl Simd for Avx2 {
    const W: usize = 8;
    type V = __m256;
    #[inline(always)]
    unsafe fn zero() -> __m256 {
        _mm256_setzero_ps()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m256 {
        _mm256_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        _mm256_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, len: usize) -> __m256 {
        _mm256_maskload_ps(p, Self::mask(len))
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256) {
        _mm256_storeu_ps(p, v)
    }
    #[inline(always)]
    unsafe fn store_part(p: *mut f32, len: usize, v: __m256) {
        _mm256_maskstore_ps(p, Self::mask(len), v)
    }
    #[inline(always)]
    unsafe fn fma(a: __m256, b: __m256, c: __m256) -> __m256 {
        _mm256_fmadd_ps(a, b, c)
    }
    #[inline(always)]
    unsafe fn sub(a: __m256, b: __m256) -> __m256 {
        _mm256_sub_ps(a, b)
    }
    #[inline(always)]
    unsafe fn mul(a: __m256, b: __m256) -> __m256 {
        _mm256_mul_ps(a, b)
    }
    #[inline(always)]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        _mm256_add_ps(a, b)
    }
    #[inline(always)]
    unsafe fn hsum(v: __m256) -> f32 {
        let v = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let v = _mm_add_ps(v, _mm_movehl_ps(v, v));
        _mm_cvtss_f32(_mm_add_ss(v, _mm_shuffle_ps::<1>(v, v)))
    }
    #[inline(always)]
    unsafe fn hsum4(v: [__m256; 4]) -> [f32; 4] {
        // hadd(a, b) = [a01 a23 b01 b23 | a45 a67 b45 b67] (pairwise sums).
        let t01 = _mm256_hadd_ps(v[0], v[1]);
        let t23 = _mm256_hadd_ps(v[2], v[3]);
        // [v0 v1 v2 v3 sums of lanes 0..4 | the same of lanes 4..8]
        let t = _mm256_hadd_ps(t01, t23);
        let s = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps::<1>(t));
        let mut out = [0.0; 4];
        _mm_storeu_ps(out.as_mut_ptr(), s);
        out
    }
}

impl Avx512 {
    #[inline(always)]
    fn mask(len: usize) -> __mmask16 {
        // `len < 16`: the low `len` bits.
        ((1u32 << len) - 1) as __mmask16
    }

    /// Adds the two 256-bit halves.
    #[inline(always)]
    unsafe fn fold(v: __m512) -> __m256 {
        let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
        _mm256_add_ps(_mm512_castps512_ps256(v), hi)
    }
}

impl Simd for Avx512 {
    const W: usize = 16;
    type V = __m512;
    #[inline(always)]
    unsafe fn zero() -> __m512 {
        _mm512_setzero_ps()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m512 {
        _mm512_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m512 {
        _mm512_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, len: usize) -> __m512 {
        _mm512_maskz_loadu_ps(Self::mask(len), p)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m512) {
        _mm512_storeu_ps(p, v)
    }
    #[inline(always)]
    unsafe fn store_part(p: *mut f32, len: usize, v: __m512) {
        _mm512_mask_storeu_ps(p, Self::mask(len), v)
    }
    #[inline(always)]
    unsafe fn fma(a: __m512, b: __m512, c: __m512) -> __m512 {
        _mm512_fmadd_ps(a, b, c)
    }
    #[inline(always)]
    unsafe fn sub(a: __m512, b: __m512) -> __m512 {
        _mm512_sub_ps(a, b)
    }
    #[inline(always)]
    unsafe fn mul(a: __m512, b: __m512) -> __m512 {
        _mm512_mul_ps(a, b)
    }
    #[inline(always)]
    unsafe fn add(a: __m512, b: __m512) -> __m512 {
        _mm512_add_ps(a, b)
    }
    #[inline(always)]
    unsafe fn hsum(v: __m512) -> f32 {
        Avx2::hsum(Self::fold(v))
    }
    #[inline(always)]
    unsafe fn hsum4(v: [__m512; 4]) -> [f32; 4] {
        // Not `v.map(..)`: a closure is not inlined into the
        // `#[target_feature]` caller, and its intrinsics would become calls.
        Avx2::hsum4([
            Self::fold(v[0]),
            Self::fold(v[1]),
            Self::fold(v[2]),
            Self::fold(v[3]),
        ])
    }
}
