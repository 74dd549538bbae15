//! The int8 convolution's tile product (`crate::quant::conv2d`, implicit
//! GEMM): `acc[p][o] += sum_i cols[p * k4 + i] * w(o, i)` over `i < k4` for
//! the `n` gathered receptive fields (pixels) of a block and [`TILE_O`]
//! output channels, in int32, wrapping, on three instruction sets. The
//! weights are packed by quads of columns, `wpack[(q * 16 + o) * 4 + j] =
//! w(o, 4 q + j)`: one 64-byte vector per quad holds the quad of all 16
//! channels, and the quad of a pixel is one broadcast 32-bit load, so each
//! weight vector is loaded once per several pixels and each pixel's quad
//! once per 16 channels (channels along the lanes).
//!
//! - AVX512_VNNI: `vpdpbusd` of the pixel's quad, offset to unsigned (`x ^
//!   0x80 = x + 128`), with the weights' vector; the offset is taken back
//!   with the channels' weight sums, `sum (x + 128) w = sum x w + 128
//!   wsum`, as in `int8.rs`.
//! - AVX-512BW: the bytes of each 32-bit lane sign-extended to 16 bits in
//!   two pairs, bytes 0 and 2 (`(v << 8) >> 8` on 16-bit lanes) and bytes
//!   1 and 3 (`v >> 8`), for the pixel and for the weights, then two
//!   `vpmaddwd`: `x0 w0 + x2 w2 + x1 w1 + x3 w3`.
//! - AVX2: the same on two 256-bit halves (channels 0-7 and 8-15).
//!
//! No product saturates (`vpmaddwd`'s pair sums of two int8 products and
//! `vpdpbusd`'s four of at most `255 * 128` fit 32 bits), and the lanes add
//! with wrapping: every path is the portable loop bit for bit.

use super::isa::{Avx2, Avx512, Avx512Bw, Avx512Vnni};
use core::arch::x86_64::*;

/// Output channels of a tile: the lanes of a 512-bit vector of int32.
const TILE_O: usize = 16;

/// The lengths a tile reads and writes: `k4` a nonzero multiple of 4,
/// `cols` at least `n` rows of `k4`, `wpack` at least `16 k4` bytes.
fn fits(cols: &[i8], k4: usize, wpack: &[i8], n: usize) -> bool {
    k4 > 0
        && k4 % 4 == 0
        && super::fits(cols.len(), n, k4)
        && super::fits(wpack.len(), TILE_O, k4)
}

impl Avx2 {
    /// `acc[p][o] += cols[p] . w(o)` (see the module).
    #[inline]
    pub(super) fn int8_tile(self, cols: &[i8], k4: usize, wpack: &[i8], acc: &mut [[i32; 16]]) {
        let n = acc.len();
        assert!(fits(cols, k4, wpack, n));
        // SAFETY: `self` proves AVX2 and FMA, the features of `tile_avx2`;
        // it reads `cols[..n * k4]` and `wpack[..16 k4]` (checked above)
        // and reads and writes `acc[..n]`.
        unsafe { tile_avx2(cols.as_ptr(), k4, wpack.as_ptr(), acc.as_mut_ptr(), n) }
    }
}

impl Avx512Bw {
    /// `acc[p][o] += cols[p] . w(o)` (see the module).
    #[inline]
    pub(super) fn int8_tile(self, cols: &[i8], k4: usize, wpack: &[i8], acc: &mut [[i32; 16]]) {
        let n = acc.len();
        assert!(fits(cols, k4, wpack, n));
        // SAFETY: `self` proves AVX-512BW and AVX-512F, the features of
        // `tile_bw`; it reads `cols[..n * k4]` and `wpack[..16 k4]`
        // (checked above) and reads and writes `acc[..n]`.
        unsafe { tile_bw(cols.as_ptr(), k4, wpack.as_ptr(), acc.as_mut_ptr(), n) }
    }
}

impl Avx512Vnni {
    /// `acc[p][o] += cols[p] . w(o)` (see the module), given `wsum[o]` the
    /// sum of channel `o`'s packed weights (a wrong sum gives a wrong
    /// result, never undefined behaviour).
    #[inline]
    pub(super) fn int8_tile(
        self,
        cols: &[i8],
        k4: usize,
        wpack: &[i8],
        wsum: &[i32; 16],
        acc: &mut [[i32; 16]],
    ) {
        let n = acc.len();
        assert!(fits(cols, k4, wpack, n));
        // SAFETY: `self` proves AVX512_VNNI, AVX-512BW and AVX-512F, the
        // features of `tile_vnni`; it reads `cols[..n * k4]`, `wpack[..16
        // k4]` (checked above) and `wsum[..16]`, and reads and writes
        // `acc[..n]`.
        unsafe {
            tile_vnni(
                cols.as_ptr(),
                k4,
                wpack.as_ptr(),
                wsum.as_ptr(),
                acc.as_mut_ptr(),
                n,
            )
        }
    }
}

impl Avx512 {
    /// The tile product on the best int8 path this token proves: VNNI,
    /// else AVX-512BW, else AVX2.
    #[inline]
    pub(super) fn int8_tile(
        self,
        cols: &[i8],
        k4: usize,
        wpack: &[i8],
        wsum: &[i32; 16],
        acc: &mut [[i32; 16]],
    ) {
        if let Some(vnni) = self.vnni() {
            vnni.int8_tile(cols, k4, wpack, wsum, acc);
        } else if let Some(bw) = self.bw() {
            bw.int8_tile(cols, k4, wpack, acc);
        } else {
            self.avx2().int8_tile(cols, k4, wpack, acc);
        }
    }
}

/// The 32-bit quad of row `p` of `cols` at column `4 q`, broadcast.
///
/// # Safety
/// `cols[p * k4 + 4 q..][..4]` readable.
#[inline(always)]
unsafe fn quad(cols: *const i8, k4: usize, p: usize, q: usize) -> i32 {
    // SAFETY: the contract.
    unsafe { cols.add(p * k4 + 4 * q).cast::<i32>().read_unaligned() }
}

/// # Safety
/// AVX512_VNNI and AVX-512BW; `cols[..n * k4]`, `wpack[..16 k4]` and
/// `wsum[..16]` readable, `acc[..n]` readable and writable; `k4 % 4 == 0`.
#[target_feature(enable = "avx512vnni,avx512bw,avx512f,avx2,fma")]
unsafe fn tile_vnni(
    cols: *const i8,
    k4: usize,
    wpack: *const i8,
    wsum: *const i32,
    acc: *mut [i32; 16],
    n: usize,
) {
    // SAFETY: AVX-512F is enabled by the contract; `wsum[..16]` is readable.
    let offset = unsafe { _mm512_slli_epi32::<7>(_mm512_loadu_si512(wsum.cast())) };
    let mut p = 0;
    while p + 8 <= n {
        // SAFETY: rows `p .. p + 8 <= n` of `cols` and of `acc`, inside the
        // contract's regions.
        unsafe { rows_vnni::<8>(cols, k4, wpack, offset, acc, p) };
        p += 8;
    }
    while p < n {
        // SAFETY: as above, for the one row `p < n`.
        unsafe { rows_vnni::<1>(cols, k4, wpack, offset, acc, p) };
        p += 1;
    }
}

/// Rows `p .. p + R` of the tile, by `(x + 128) . w - 128 wsum` (`offset`
/// is `128 wsum`).
///
/// # Safety
/// As `tile_vnni`, with `p + R <= n`.
#[inline(always)]
unsafe fn rows_vnni<const R: usize>(
    cols: *const i8,
    k4: usize,
    wpack: *const i8,
    offset: __m512i,
    acc: *mut [i32; 16],
    p: usize,
) {
    // SAFETY (for the block): the features are the contract's; `acc[p + r]`
    // and `cols[(p + r) * k4..][..k4]`, `r < R`, are inside `acc[..n]` and
    // `cols[..n * k4]` as `p + R <= n`; the quad `q < k4 / 4` of `wpack`
    // is its bytes `64 q .. 64 q + 64 <= 16 k4`.
    unsafe {
        let flip = _mm512_set1_epi8(-128);
        let mut a = [_mm512_setzero_si512(); R];
        for (r, a) in a.iter_mut().enumerate() {
            *a = _mm512_sub_epi32(_mm512_loadu_si512(acc.add(p + r).cast()), offset);
        }
        for q in 0..k4 / 4 {
            let wv = _mm512_loadu_si512(wpack.add(64 * q).cast());
            for (r, a) in a.iter_mut().enumerate() {
                let xu = _mm512_xor_si512(_mm512_set1_epi32(quad(cols, k4, p + r, q)), flip);
                *a = _mm512_dpbusd_epi32(*a, xu, wv);
            }
        }
        for (r, &a) in a.iter().enumerate() {
            _mm512_storeu_si512(acc.add(p + r).cast(), a);
        }
    }
}

/// # Safety
/// AVX-512BW; `cols[..n * k4]` and `wpack[..16 k4]` readable, `acc[..n]`
/// readable and writable; `k4 % 4 == 0`.
#[target_feature(enable = "avx512bw,avx512f,avx2,fma")]
unsafe fn tile_bw(cols: *const i8, k4: usize, wpack: *const i8, acc: *mut [i32; 16], n: usize) {
    let mut p = 0;
    while p + 8 <= n {
        // SAFETY: rows `p .. p + 8 <= n` of `cols` and of `acc`, inside the
        // contract's regions.
        unsafe { rows_bw::<8>(cols, k4, wpack, acc, p) };
        p += 8;
    }
    while p < n {
        // SAFETY: as above, for the one row `p < n`.
        unsafe { rows_bw::<1>(cols, k4, wpack, acc, p) };
        p += 1;
    }
}

/// Rows `p .. p + R` of the tile.
///
/// # Safety
/// As `tile_bw`, with `p + R <= n`.
#[inline(always)]
unsafe fn rows_bw<const R: usize>(
    cols: *const i8,
    k4: usize,
    wpack: *const i8,
    acc: *mut [i32; 16],
    p: usize,
) {
    // SAFETY (for the block): as in `rows_vnni`.
    unsafe {
        let mut a = [_mm512_setzero_si512(); R];
        for (r, a) in a.iter_mut().enumerate() {
            *a = _mm512_loadu_si512(acc.add(p + r).cast());
        }
        for q in 0..k4 / 4 {
            let wv = _mm512_loadu_si512(wpack.add(64 * q).cast());
            // Bytes 0 and 2 of each lane, and bytes 1 and 3, as int16.
            let (we, wo) = (
                _mm512_srai_epi16::<8>(_mm512_slli_epi16::<8>(wv)),
                _mm512_srai_epi16::<8>(wv),
            );
            for (r, a) in a.iter_mut().enumerate() {
                let xv = _mm512_set1_epi32(quad(cols, k4, p + r, q));
                let (xe, xo) = (
                    _mm512_srai_epi16::<8>(_mm512_slli_epi16::<8>(xv)),
                    _mm512_srai_epi16::<8>(xv),
                );
                let s = _mm512_add_epi32(_mm512_madd_epi16(xe, we), _mm512_madd_epi16(xo, wo));
                *a = _mm512_add_epi32(*a, s);
            }
        }
        for (r, &a) in a.iter().enumerate() {
            _mm512_storeu_si512(acc.add(p + r).cast(), a);
        }
    }
}

/// # Safety
/// AVX2; `cols[..n * k4]` and `wpack[..16 k4]` readable, `acc[..n]`
/// readable and writable; `k4 % 4 == 0`.
#[target_feature(enable = "avx2,fma")]
unsafe fn tile_avx2(cols: *const i8, k4: usize, wpack: *const i8, acc: *mut [i32; 16], n: usize) {
    let mut p = 0;
    while p + 4 <= n {
        // SAFETY: rows `p .. p + 4 <= n` of `cols` and of `acc`, inside the
        // contract's regions.
        unsafe { rows_avx2::<4>(cols, k4, wpack, acc, p) };
        p += 4;
    }
    while p < n {
        // SAFETY: as above, for the one row `p < n`.
        unsafe { rows_avx2::<1>(cols, k4, wpack, acc, p) };
        p += 1;
    }
}

/// Rows `p .. p + R` of the tile, channels 0-7 and 8-15 in two halves.
///
/// # Safety
/// As `tile_avx2`, with `p + R <= n`.
#[inline(always)]
unsafe fn rows_avx2<const R: usize>(
    cols: *const i8,
    k4: usize,
    wpack: *const i8,
    acc: *mut [i32; 16],
    p: usize,
) {
    // SAFETY (for the block): as in `rows_vnni`, each 64-byte row of `acc`
    // and quad of `wpack` accessed as two 32-byte halves.
    unsafe {
        let mut a = [[_mm256_setzero_si256(); 2]; R];
        for (r, a) in a.iter_mut().enumerate() {
            let row = acc.add(p + r).cast::<i32>();
            *a = [
                _mm256_loadu_si256(row.cast()),
                _mm256_loadu_si256(row.add(8).cast()),
            ];
        }
        let split = |v: __m256i| {
            (
                _mm256_srai_epi16::<8>(_mm256_slli_epi16::<8>(v)),
                _mm256_srai_epi16::<8>(v),
            )
        };
        for q in 0..k4 / 4 {
            let w0 = split(_mm256_loadu_si256(wpack.add(64 * q).cast()));
            let w1 = split(_mm256_loadu_si256(wpack.add(64 * q + 32).cast()));
            for (r, a) in a.iter_mut().enumerate() {
                let (xe, xo) = split(_mm256_set1_epi32(quad(cols, k4, p + r, q)));
                let s0 = _mm256_add_epi32(_mm256_madd_epi16(xe, w0.0), _mm256_madd_epi16(xo, w0.1));
                let s1 = _mm256_add_epi32(_mm256_madd_epi16(xe, w1.0), _mm256_madd_epi16(xo, w1.1));
                a[0] = _mm256_add_epi32(a[0], s0);
                a[1] = _mm256_add_epi32(a[1], s1);
            }
        }
        for (r, a) in a.iter().enumerate() {
            let row = acc.add(p + r).cast::<i32>();
            _mm256_storeu_si256(row.cast(), a[0]);
            _mm256_storeu_si256(row.add(8).cast(), a[1]);
        }
    }
}
