//! The int8 product of `crate::quant::gemv`, `acc[o] += sum_i x[i] w[o][i]`
//! in int32, wrapping, on three instruction sets:
//!
//! - AVX2: 16 bytes sign-extended to 16-bit lanes (`vpmovsxbw`), multiplied
//!   and summed in pairs into 32-bit lanes (`vpmaddwd`);
//! - AVX-512BW: the same on 32 bytes at a time, the tail a byte-masked load;
//! - AVX512_VNNI: `vpdpbusd` on 64 bytes, which multiplies unsigned by
//!   signed bytes and adds four products into each 32-bit lane: `x` is
//!   offset to unsigned (`x ^ 0x80 = x + 128`) and the offset taken back
//!   with the row sum of the weights, `sum (x + 128) w = sum x w + 128
//!   wsum`.
//!
//! Every product of two int8 fits 16 bits but `-128 * -128`, and a pair
//! sum of them (`2^15`) fits the 32-bit lane of `vpmaddwd`; `vpdpbusd`'s
//! four products of at most `255 * 128` fit too, and neither saturates
//! (the `s` variants would). The lanes then add with wrapping, and integer
//! addition wraps to the same bits in any order, so every path equals the
//! portable loop bit for bit. Several rows share each loaded piece of `x`
//! (`R` accumulators), each row reduced to one sum at its end.
//!
//! Every function here reads `x[..n]` and the `rows` rows of `n` of `w`,
//! and reads and writes `acc[..rows]`: the safe entry points check these
//! lengths once.

use super::fits;
use super::isa::{Avx2, Avx512, Avx512Bw, Avx512Vnni};
use core::arch::x86_64::*;
use core::ptr::copy_nonoverlapping;

impl Avx2 {
    /// `acc[o] += x . w[o]` (rows of `x.len()`), wrapping.
    #[inline]
    pub(super) fn int8_gemv(self, x: &[i8], w: &[i8], acc: &mut [i32]) {
        let n = x.len();
        assert!(fits(w.len(), acc.len(), n));
        // SAFETY: `self` proves AVX2 and FMA, the features of `gemv_avx2`;
        // it reads `x[..n]`, `w[..rows * n]` (`rows * n <= w.len()`,
        // checked above) and reads and writes `acc[..rows]`.
        unsafe { gemv_avx2(x.as_ptr(), n, w.as_ptr(), acc.as_mut_ptr(), acc.len()) }
    }
}

impl Avx512Bw {
    /// `acc[o] += x . w[o]` (rows of `x.len()`), wrapping.
    #[inline]
    pub(super) fn int8_gemv(self, x: &[i8], w: &[i8], acc: &mut [i32]) {
        let n = x.len();
        assert!(fits(w.len(), acc.len(), n));
        // SAFETY: `self` proves AVX-512BW and AVX-512F, the features of
        // `gemv_bw`; it reads `x[..n]`, `w[..rows * n]` (`rows * n <=
        // w.len()`, checked above) and reads and writes `acc[..rows]`.
        unsafe { gemv_bw(x.as_ptr(), n, w.as_ptr(), acc.as_mut_ptr(), acc.len()) }
    }
}

impl Avx512Vnni {
    /// `acc[o] += x . w[o]` (rows of `x.len()`), wrapping, given `wsum[o]`
    /// the sum of row `o` (a wrong sum gives a wrong result, never
    /// undefined behaviour).
    #[inline]
    pub(super) fn int8_gemv(self, x: &[i8], w: &[i8], wsum: &[i32], acc: &mut [i32]) {
        let n = x.len();
        let rows = acc.len();
        assert!(fits(w.len(), rows, n) && wsum.len() >= rows);
        debug_assert!(
            w.chunks_exact(n.max(1))
                .zip(wsum)
                .take(rows)
                .all(|(row, &s)| row.iter().map(|&v| i32::from(v)).sum::<i32>() == s || n == 0),
            "gemv_i8: a row sum is not the sum of its row"
        );
        // SAFETY: `self` proves AVX512_VNNI, AVX-512BW and AVX-512F, the
        // features of `gemv_vnni`; it reads `x[..n]`, `w[..rows * n]`
        // (`rows * n <= w.len()`) and `wsum[..rows]` (`rows <=
        // wsum.len()`), both checked above, and reads and writes
        // `acc[..rows]`.
        unsafe {
            gemv_vnni(
                x.as_ptr(),
                n,
                w.as_ptr(),
                wsum.as_ptr(),
                acc.as_mut_ptr(),
                rows,
            )
        }
    }
}

impl Avx512 {
    /// `acc[o] += x . w[o]` on the best int8 path this token proves:
    /// VNNI, else AVX-512BW, else AVX2 (AVX-512F alone has no 16-bit
    /// multiply on 512 bits).
    #[inline]
    pub(super) fn int8_gemv(self, x: &[i8], w: &[i8], wsum: &[i32], acc: &mut [i32]) {
        if let Some(vnni) = self.vnni() {
            vnni.int8_gemv(x, w, wsum, acc);
        } else if let Some(bw) = self.bw() {
            bw.int8_gemv(x, w, acc);
        } else {
            self.avx2().int8_gemv(x, w, acc);
        }
    }
}

/// # Safety
/// AVX2; `x[..n]` and `w[..rows * n]` readable, `acc[..rows]` readable and
/// writable.
#[target_feature(enable = "avx2,fma")]
unsafe fn gemv_avx2(x: *const i8, n: usize, w: *const i8, acc: *mut i32, rows: usize) {
    let mut o = 0;
    while o + 4 <= rows {
        // SAFETY: rows `o .. o + 4 <= rows` of `w` and `acc[o..o + 4]` are
        // inside the regions of this function's contract.
        unsafe { dots_avx2::<4>(x, n, w.add(o * n), acc.add(o)) };
        o += 4;
    }
    while o < rows {
        // SAFETY: as above, for the one row `o < rows`.
        unsafe { dots_avx2::<1>(x, n, w.add(o * n), acc.add(o)) };
        o += 1;
    }
}

/// `acc[r] += x . w[r * n..][..n]` for `r < R`.
///
/// # Safety
/// AVX2; `x[..n]` and `w[..R * n]` readable, `acc[..R]` readable and
/// writable.
#[inline(always)]
unsafe fn dots_avx2<const R: usize>(x: *const i8, n: usize, w: *const i8, acc: *mut i32) {
    // SAFETY (for the block): AVX2 is enabled by the contract; every load
    // is 16 bytes at `p + 16 <= n` of `x` or of a row `r < R` of `w`, or of
    // a local block; `acc[r]`, `r < R`, is in the contract's region.
    unsafe {
        let mut a = [_mm256_setzero_si256(); R];
        let mut p = 0;
        while p + 16 <= n {
            let xv = _mm256_cvtepi8_epi16(_mm_loadu_si128(x.add(p).cast()));
            for (r, a) in a.iter_mut().enumerate() {
                let wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(w.add(r * n + p).cast()));
                *a = _mm256_add_epi32(*a, _mm256_madd_epi16(xv, wv));
            }
            p += 16;
        }
        if p < n {
            // The last `n - p < 16` bytes, copied into zeroed blocks: the
            // zeros add nothing.
            let tail = n - p;
            let mut block = [0i8; 16];
            copy_nonoverlapping(x.add(p), block.as_mut_ptr(), tail);
            let xv = _mm256_cvtepi8_epi16(_mm_loadu_si128(block.as_ptr().cast()));
            for (r, a) in a.iter_mut().enumerate() {
                copy_nonoverlapping(w.add(r * n + p), block.as_mut_ptr(), tail);
                let wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(block.as_ptr().cast()));
                *a = _mm256_add_epi32(*a, _mm256_madd_epi16(xv, wv));
            }
        }
        for (r, &a) in a.iter().enumerate() {
            let s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256::<1>(a));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
            *acc.add(r) = (*acc.add(r)).wrapping_add(_mm_cvtsi128_si32(s));
        }
    }
}

/// # Safety
/// AVX-512BW; `x[..n]` and `w[..rows * n]` readable, `acc[..rows]` readable
/// and writable.
#[target_feature(enable = "avx512bw,avx512f,avx2,fma")]
unsafe fn gemv_bw(x: *const i8, n: usize, w: *const i8, acc: *mut i32, rows: usize) {
    let mut o = 0;
    while o + 4 <= rows {
        // SAFETY: rows `o .. o + 4 <= rows` of `w` and `acc[o..o + 4]` are
        // inside the regions of this function's contract.
        unsafe { dots_bw::<4>(x, n, w.add(o * n), acc.add(o)) };
        o += 4;
    }
    while o < rows {
        // SAFETY: as above, for the one row `o < rows`.
        unsafe { dots_bw::<1>(x, n, w.add(o * n), acc.add(o)) };
        o += 1;
    }
}

/// `acc[r] += x . w[r * n..][..n]` for `r < R`.
///
/// # Safety
/// AVX-512BW; `x[..n]` and `w[..R * n]` readable, `acc[..R]` readable and
/// writable.
#[inline(always)]
unsafe fn dots_bw<const R: usize>(x: *const i8, n: usize, w: *const i8, acc: *mut i32) {
    // SAFETY (for the block): AVX-512BW is enabled by the contract; every
    // load is 32 bytes at `p + 32 <= n` of `x` or of a row `r < R` of `w`,
    // or a masked load of their bytes `p .. n` (masked-off bytes are not
    // accessed); `acc[r]`, `r < R`, is in the contract's region.
    unsafe {
        let mut a = [_mm512_setzero_si512(); R];
        let mut p = 0;
        while p + 32 <= n {
            let xv = _mm512_cvtepi8_epi16(_mm256_loadu_si256(x.add(p).cast()));
            for (r, a) in a.iter_mut().enumerate() {
                let wv = _mm512_cvtepi8_epi16(_mm256_loadu_si256(w.add(r * n + p).cast()));
                *a = _mm512_add_epi32(*a, _mm512_madd_epi16(xv, wv));
            }
            p += 32;
        }
        if p < n {
            // Bytes `p .. n`, fewer than 32; the others load as 0.
            let m: __mmask64 = (1u64 << (n - p)) - 1;
            let load = |q: *const i8| {
                _mm512_cvtepi8_epi16(_mm512_castsi512_si256(_mm512_maskz_loadu_epi8(m, q)))
            };
            let xv = load(x.add(p));
            for (r, a) in a.iter_mut().enumerate() {
                *a = _mm512_add_epi32(*a, _mm512_madd_epi16(xv, load(w.add(r * n + p))));
            }
        }
        for (r, &a) in a.iter().enumerate() {
            *acc.add(r) = (*acc.add(r)).wrapping_add(_mm512_reduce_add_epi32(a));
        }
    }
}

/// # Safety
/// AVX512_VNNI and AVX-512BW; `x[..n]`, `w[..rows * n]` and `wsum[..rows]`
/// readable, `acc[..rows]` readable and writable.
#[target_feature(enable = "avx512vnni,avx512bw,avx512f,avx2,fma")]
unsafe fn gemv_vnni(
    x: *const i8,
    n: usize,
    w: *const i8,
    wsum: *const i32,
    acc: *mut i32,
    rows: usize,
) {
    let mut o = 0;
    while o + 8 <= rows {
        // SAFETY: rows `o .. o + 8 <= rows` of `w`, `wsum[o..o + 8]` and
        // `acc[o..o + 8]` are inside the regions of this function's
        // contract.
        unsafe { dots_vnni::<8>(x, n, w.add(o * n), wsum.add(o), acc.add(o)) };
        o += 8;
    }
    if o + 4 <= rows {
        // SAFETY: as above, for rows `o .. o + 4 <= rows`.
        unsafe { dots_vnni::<4>(x, n, w.add(o * n), wsum.add(o), acc.add(o)) };
        o += 4;
    }
    while o < rows {
        // SAFETY: as above, for the one row `o < rows`.
        unsafe { dots_vnni::<1>(x, n, w.add(o * n), wsum.add(o), acc.add(o)) };
        o += 1;
    }
}

/// `acc[r] += x . w[r * n..][..n]` for `r < R`, by `(x + 128) . w[r] - 128
/// wsum[r]`.
///
/// # Safety
/// AVX512_VNNI and AVX-512BW; `x[..n]`, `w[..R * n]` and `wsum[..R]`
/// readable, `acc[..R]` readable and writable.
#[inline(always)]
unsafe fn dots_vnni<const R: usize>(
    x: *const i8,
    n: usize,
    w: *const i8,
    wsum: *const i32,
    acc: *mut i32,
) {
    // SAFETY (for the block): AVX512_VNNI and AVX-512BW are enabled by the
    // contract; every load is 64 bytes at `p + 64 <= n` of `x` or of a row
    // `r < R` of `w`, or a masked load of their bytes `p .. n` (masked-off
    // bytes are not accessed); `wsum[r]` and `acc[r]`, `r < R`, are in the
    // contract's regions.
    unsafe {
        let offset = _mm512_set1_epi8(-128);
        let mut a = [_mm512_setzero_si512(); R];
        let mut p = 0;
        while p + 64 <= n {
            // `x ^ 0x80` is `x + 128` as an unsigned byte.
            let xu = _mm512_xor_si512(_mm512_loadu_si512(x.add(p).cast()), offset);
            for (r, a) in a.iter_mut().enumerate() {
                let wv = _mm512_loadu_si512(w.add(r * n + p).cast());
                *a = _mm512_dpbusd_epi32(*a, xu, wv);
            }
            p += 64;
        }
        if p < n {
            // Bytes `p .. n`, fewer than 64; the others load as 0 (an `x`
            // byte of 128 after the offset, times a weight of 0).
            let m: __mmask64 = (1u64 << (n - p)) - 1;
            let xu = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, x.add(p)), offset);
            for (r, a) in a.iter_mut().enumerate() {
                let wv = _mm512_maskz_loadu_epi8(m, w.add(r * n + p));
                *a = _mm512_dpbusd_epi32(*a, xu, wv);
            }
        }
        if R == 8 {
            // The eight sums at once (`(x + 128) . w - 128 wsum`, added).
            let dots = reduce8(&a);
            let wsum = _mm256_loadu_si256(wsum.cast());
            let dots = _mm256_sub_epi32(dots, _mm256_slli_epi32::<7>(wsum));
            let sums = _mm256_add_epi32(_mm256_loadu_si256(acc.cast()), dots);
            _mm256_storeu_si256(acc.cast(), sums);
        } else {
            for (r, &a) in a.iter().enumerate() {
                let dot = _mm512_reduce_add_epi32(a).wrapping_sub((*wsum.add(r)).wrapping_mul(128));
                *acc.add(r) = (*acc.add(r)).wrapping_add(dot);
            }
        }
    }
}

/// Lane `r` = the sum of the 16 lanes of `a[r]`, for the first 8 of `a`
/// (`a.len() >= 8`), wrapping: a transpose-and-add tree, cheaper than
/// eight reductions.
///
/// # Safety
/// AVX-512F.
#[inline(always)]
unsafe fn reduce8(a: &[__m512i]) -> __m256i {
    // SAFETY: register operations only, on AVX-512F (the contract).
    unsafe {
        // Each 128-bit block: [a0 a1 a0 a1] partial sums, then [a0 a1 a2 a3].
        let pair = |p: __m512i, q: __m512i| {
            _mm512_add_epi32(_mm512_unpacklo_epi32(p, q), _mm512_unpackhi_epi32(p, q))
        };
        let quad = |p: __m512i, q: __m512i| {
            _mm512_add_epi32(_mm512_unpacklo_epi64(p, q), _mm512_unpackhi_epi64(p, q))
        };
        let lo = quad(pair(a[0], a[1]), pair(a[2], a[3]));
        let hi = quad(pair(a[4], a[5]), pair(a[6], a[7]));
        // Blocks [lo0+lo1, lo2+lo3, hi0+hi1, hi2+hi3]...
        let d = _mm512_add_epi32(
            _mm512_shuffle_i32x4::<0b10_00_10_00>(lo, hi),
            _mm512_shuffle_i32x4::<0b11_01_11_01>(lo, hi),
        );
        // ... and [rows 0-3, rows 4-7] in the low half.
        let e = _mm512_add_epi32(
            _mm512_shuffle_i32x4::<0b10_00_10_00>(d, d),
            _mm512_shuffle_i32x4::<0b11_01_11_01>(d, d),
        );
        _mm512_castsi512_si256(e)
    }
}
