//! The int8 tiles' rescaling ([`super::int8_tile`]) in vector registers:
//! `Requantizer::apply` on each lane of 16 int32 accumulators, with the
//! lane's constants of `TileRq`, narrowed to 16 bytes, in one 512-bit
//! vector ([`Rq512`], AVX-512F) or two 256-bit halves ([`Rq256`], AVX2).
//!
//! The 64-bit products of the doubling high multiply are formed on the
//! even and the odd lanes (`vpmuldq`), the rounding shift is a variable
//! shift (`vpsravd`) with its remainder's comparison, the saturating
//! addition of the zero point a clamp before the addition, and the
//! narrowing to bytes keeps the low byte (`as i8`): the portable
//! `Requantizer::apply` bit for bit.

use crate::quant::conv2d::TileRq;
use core::arch::x86_64::*;

/// The rescaling of 16 channels' accumulators to their output bytes.
pub(super) trait Rescale {
    /// The 16 channels' int32 accumulators.
    type Acc: Copy;

    /// `acc` rescaled, to the 16 bytes at `out`.
    ///
    /// # Safety
    /// The vectors' instruction set (AVX-512F for [`Rq512`], AVX2 for
    /// [`Rq256`]); `out` writable.
    unsafe fn store(&self, acc: Self::Acc, out: *mut [i8; 16]);
}

/// The saturating `q + zp` as a clamp, then the addition: `q` clamped to
/// `[MIN - min(zp, 0), MAX - max(zp, 0)]`, whose sum with `zp` cannot
/// overflow and is the saturated sum.
fn zp_bounds(zp: i32) -> (i32, i32) {
    (i32::MIN - zp.min(0), i32::MAX - zp.max(0))
}

/// A `TileRq` in 512-bit vectors, one lane per channel.
#[derive(Clone, Copy)]
pub(super) struct Rq512 {
    mult: __m512i,
    left: __m512i,
    right: __m512i,
    /// `2^right - 1` and its half.
    mask: __m512i,
    half: __m512i,
    /// The lanes whose multiplier is `i32::MIN` (where `MIN * MIN`
    /// saturates).
    mult_min: __mmask16,
    zp: __m512i,
    zp_lo: __m512i,
    zp_hi: __m512i,
    lo: __m512i,
    hi: __m512i,
}

impl Rq512 {
    /// # Safety
    /// AVX-512F.
    #[inline(always)]
    pub(super) unsafe fn new(rq: &TileRq) -> Self {
        // SAFETY: AVX-512F (the contract); the loads read the 16 lanes of
        // arrays of 16 `i32`.
        unsafe {
            let load = |a: &[i32; 16]| _mm512_loadu_si512(a.as_ptr().cast());
            let (mult, right) = (load(&rq.mult), load(&rq.right));
            let one = _mm512_set1_epi32(1);
            let mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
            let (zp_lo, zp_hi) = zp_bounds(rq.zp_y);
            Rq512 {
                mult,
                left: load(&rq.left),
                right,
                mask,
                half: _mm512_srai_epi32::<1>(mask),
                mult_min: _mm512_cmpeq_epi32_mask(mult, _mm512_set1_epi32(i32::MIN)),
                zp: _mm512_set1_epi32(rq.zp_y),
                zp_lo: _mm512_set1_epi32(zp_lo),
                zp_hi: _mm512_set1_epi32(zp_hi),
                lo: _mm512_set1_epi32(rq.lo),
                hi: _mm512_set1_epi32(rq.hi),
            }
        }
    }

    /// `Requantizer::apply` on each lane of `acc`, narrowed to bytes.
    ///
    /// # Safety
    /// AVX-512F.
    #[inline(always)]
    unsafe fn apply(&self, acc: __m512i) -> __m128i {
        // SAFETY: register operations only, on AVX-512F (the contract).
        unsafe {
            let x = _mm512_sllv_epi32(acc, self.left);
            // `(x m + 2^30) >> 31`: bits 31..62 of the 64-bit sum, to the
            // low half of the even lanes' products and (shifted left by
            // one) the high half of the odd lanes'.
            let nudge = _mm512_set1_epi64(1 << 30);
            let even = _mm512_add_epi64(_mm512_mul_epi32(x, self.mult), nudge);
            let odd = _mm512_add_epi64(
                _mm512_mul_epi32(
                    _mm512_srli_epi64::<32>(x),
                    _mm512_srli_epi64::<32>(self.mult),
                ),
                nudge,
            );
            let v = _mm512_mask_blend_epi32(
                0xaaaa,
                _mm512_srli_epi64::<31>(even),
                _mm512_slli_epi64::<1>(odd),
            );
            // `MIN * MIN` saturates to `MAX`.
            let sat = _mm512_mask_cmpeq_epi32_mask(self.mult_min, x, _mm512_set1_epi32(i32::MIN));
            let v = _mm512_mask_mov_epi32(v, sat, _mm512_set1_epi32(i32::MAX));
            // The rounding shift: up when the remainder exceeds the half
            // (plus one for a negative value).
            let threshold = _mm512_sub_epi32(self.half, _mm512_srai_epi32::<31>(v));
            let up = _mm512_cmpgt_epi32_mask(_mm512_and_si512(v, self.mask), threshold);
            let q = _mm512_srav_epi32(v, self.right);
            let q = _mm512_mask_add_epi32(q, up, q, _mm512_set1_epi32(1));
            let q = _mm512_min_epi32(_mm512_max_epi32(q, self.zp_lo), self.zp_hi);
            let q = _mm512_add_epi32(q, self.zp);
            let q = _mm512_min_epi32(_mm512_max_epi32(q, self.lo), self.hi);
            _mm512_cvtepi32_epi8(q)
        }
    }
}

impl Rescale for Rq512 {
    type Acc = __m512i;

    #[inline(always)]
    unsafe fn store(&self, acc: __m512i, out: *mut [i8; 16]) {
        // SAFETY: AVX-512F; `out` writable (the contract).
        unsafe { _mm_storeu_si128(out.cast(), self.apply(acc)) }
    }
}

/// A `TileRq` in two halves of 256-bit vectors (channels 0-7, 8-15).
#[derive(Clone, Copy)]
pub(super) struct Rq256 {
    mult: [__m256i; 2],
    left: [__m256i; 2],
    right: [__m256i; 2],
    mask: [__m256i; 2],
    half: [__m256i; 2],
    mult_min: [__m256i; 2],
    zp: __m256i,
    zp_lo: __m256i,
    zp_hi: __m256i,
    lo: __m256i,
    hi: __m256i,
}

impl Rq256 {
    /// # Safety
    /// AVX2.
    #[inline(always)]
    pub(super) unsafe fn new(rq: &TileRq) -> Self {
        // SAFETY: AVX2 (the contract); the loads read lanes `0..8` and
        // `8..16` of arrays of 16 `i32`.
        unsafe {
            let load = |a: &[i32; 16]| {
                [
                    _mm256_loadu_si256(a.as_ptr().cast()),
                    _mm256_loadu_si256(a.as_ptr().add(8).cast()),
                ]
            };
            let (mult, right) = (load(&rq.mult), load(&rq.right));
            let one = _mm256_set1_epi32(1);
            let mask = right.map(|r| _mm256_sub_epi32(_mm256_sllv_epi32(one, r), one));
            let min = _mm256_set1_epi32(i32::MIN);
            let (zp_lo, zp_hi) = zp_bounds(rq.zp_y);
            Rq256 {
                mult,
                left: load(&rq.left),
                right,
                mask,
                half: mask.map(|m| _mm256_srai_epi32::<1>(m)),
                mult_min: mult.map(|m| _mm256_cmpeq_epi32(m, min)),
                zp: _mm256_set1_epi32(rq.zp_y),
                zp_lo: _mm256_set1_epi32(zp_lo),
                zp_hi: _mm256_set1_epi32(zp_hi),
                lo: _mm256_set1_epi32(rq.lo),
                hi: _mm256_set1_epi32(rq.hi),
            }
        }
    }

    /// `Requantizer::apply` on each lane of half `h` of the channels,
    /// narrowed to the low 8 bytes.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    unsafe fn apply(&self, acc: __m256i, h: usize) -> __m128i {
        // SAFETY: register operations only, on AVX2 (the contract).
        unsafe {
            let x = _mm256_sllv_epi32(acc, self.left[h]);
            let nudge = _mm256_set1_epi64x(1 << 30);
            let m = self.mult[h];
            let even = _mm256_add_epi64(_mm256_mul_epi32(x, m), nudge);
            let odd = _mm256_add_epi64(
                _mm256_mul_epi32(_mm256_srli_epi64::<32>(x), _mm256_srli_epi64::<32>(m)),
                nudge,
            );
            let v = _mm256_blend_epi32::<0b1010_1010>(
                _mm256_srli_epi64::<31>(even),
                _mm256_slli_epi64::<1>(odd),
            );
            let min = _mm256_set1_epi32(i32::MIN);
            let sat = _mm256_and_si256(self.mult_min[h], _mm256_cmpeq_epi32(x, min));
            // `MIN * MIN` gave `MIN`: flipping its bits gives `MAX`.
            let v = _mm256_xor_si256(v, sat);
            let threshold = _mm256_sub_epi32(self.half[h], _mm256_srai_epi32::<31>(v));
            let up = _mm256_cmpgt_epi32(_mm256_and_si256(v, self.mask[h]), threshold);
            // `up` is -1 where the quotient rounds up.
            let q = _mm256_sub_epi32(_mm256_srav_epi32(v, self.right[h]), up);
            let q = _mm256_min_epi32(_mm256_max_epi32(q, self.zp_lo), self.zp_hi);
            let q = _mm256_add_epi32(q, self.zp);
            let q = _mm256_min_epi32(_mm256_max_epi32(q, self.lo), self.hi);
            // The low byte of each lane: bytes 0, 4, 8, 12 of each 128-bit
            // half, then the two halves' four bytes side by side.
            let pick = _mm256_setr_epi8(
                0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1, -1,
                -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
            );
            let b = _mm256_shuffle_epi8(q, pick);
            _mm_unpacklo_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256::<1>(b))
        }
    }
}

impl Rescale for Rq256 {
    type Acc = [__m256i; 2];

    #[inline(always)]
    unsafe fn store(&self, acc: [__m256i; 2], out: *mut [i8; 16]) {
        // SAFETY: AVX2; `out` writable (the contract), as two 8-byte halves.
        unsafe {
            let row = out.cast::<i8>();
            _mm_storel_epi64(row.cast(), self.apply(acc[0], 0));
            _mm_storel_epi64(row.add(8).cast(), self.apply(acc[1], 1));
        }
    }
}
