//! The [`Simd`] vector register type of each token: 256-bit for [`Avx2`],
//! 512-bit for [`Avx512`], with masked loads and stores for partial vectors,
//! and the AVX-512 16x16 transpose that packs panels.

use super::isa::{Avx2, Avx512};
use crate::raw::simd::packed::Transpose;
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
    unsafe fn shift(lo: __m256, hi: __m256, m: usize) -> __m256 {
        crate::raw::simd::shift_through_memory::<Self>(lo, hi, m)
    }
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
    unsafe fn shift(lo: __m512, hi: __m512, m: usize) -> __m512 {
        // Lane `i` takes element `i + m` of the 32 lanes `lo`, `hi`
        // (`vpermt2ps`: index bit 4 selects `hi`).
        let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let idx = _mm512_add_epi32(iota, _mm512_set1_epi32(m as i32));
        _mm512_permutex2var_ps(lo, idx, hi)
    }
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

/// The low (`HI = false`) or high 64-bit halves of each 128-bit lane of `a`
/// and `b`, interleaved.
#[inline(always)]
unsafe fn unpack_pd<const HI: bool>(a: __m512, b: __m512) -> __m512 {
    let (a, b) = (_mm512_castps_pd(a), _mm512_castps_pd(b));
    _mm512_castpd_ps(if HI {
        _mm512_unpackhi_pd(a, b)
    } else {
        _mm512_unpacklo_pd(a, b)
    })
}

impl Transpose for Avx512 {
    /// Four rounds of 16 shuffles (not closures: those would not inline
    /// into the `#[target_feature]` caller).
    #[inline(always)]
    unsafe fn transpose(rows: &[*const f32], dst: *mut f32, ldd: usize) {
        let mut r = [_mm512_setzero_ps(); 16];
        for j in 0..16 {
            r[j] = _mm512_loadu_ps(rows[j]);
        }
        // `u[4 g + q]`: in its 128-bit lane `l`, column `4 l + q` of rows
        // `4 g .. 4 g + 4`.
        let mut u = [_mm512_setzero_ps(); 16];
        for g in 0..4 {
            let (r0, r1, r2, r3) = (r[4 * g], r[4 * g + 1], r[4 * g + 2], r[4 * g + 3]);
            let (l01, h01) = (_mm512_unpacklo_ps(r0, r1), _mm512_unpackhi_ps(r0, r1));
            let (l23, h23) = (_mm512_unpacklo_ps(r2, r3), _mm512_unpackhi_ps(r2, r3));
            u[4 * g] = unpack_pd::<false>(l01, l23);
            u[4 * g + 1] = unpack_pd::<true>(l01, l23);
            u[4 * g + 2] = unpack_pd::<false>(h01, h23);
            u[4 * g + 3] = unpack_pd::<true>(h01, h23);
        }
        // Column `4 l + q` is lane `l` of `u[q]`, `u[4 + q]`, `u[8 + q]`,
        // `u[12 + q]`: lanes 0 and 2 (`0x88`) or 1 and 3 (`0xdd`) of two
        // vectors, twice.
        for q in 0..4 {
            let (x0, x1, x2, x3) = (u[q], u[4 + q], u[8 + q], u[12 + q]);
            let even01 = _mm512_shuffle_f32x4::<0x88>(x0, x1);
            let odd01 = _mm512_shuffle_f32x4::<0xdd>(x0, x1);
            let even23 = _mm512_shuffle_f32x4::<0x88>(x2, x3);
            let odd23 = _mm512_shuffle_f32x4::<0xdd>(x2, x3);
            let out = [
                _mm512_shuffle_f32x4::<0x88>(even01, even23),
                _mm512_shuffle_f32x4::<0x88>(odd01, odd23),
                _mm512_shuffle_f32x4::<0xdd>(even01, even23),
                _mm512_shuffle_f32x4::<0xdd>(odd01, odd23),
            ];
            for (l, v) in out.into_iter().enumerate() {
                _mm512_storeu_ps(dst.add((4 * l + q) * ldd), v);
            }
        }
    }
}
