//! The int8 convolution's tile (`crate::quant::conv2d`, implicit GEMM):
//! `acc[p][o] = start[o] + sum_i cols[p * k4 + i] * w(o, i)` over `i < k4`
//! for the `n` gathered receptive fields (pixels) of a block and [`TILE_O`]
//! output channels, in int32, wrapping, on three instruction sets, each
//! accumulator then rescaled to an int8 output in its vector
//! ([`super::int8_rq`]). The weights are packed by quads of columns,
//! `wpack[(q * 16 + o) * 4 + j] = w(o, 4 q + j)`: one 64-byte vector per
//! quad holds the quad of all 16 channels, and the quad of a pixel is one
//! broadcast 32-bit load, so each weight vector is loaded once per several
//! pixels and each pixel's quad once per 16 channels (channels along the
//! lanes).
//!
//! The loops are written once (`tile_for!`, `rows`), over the few
//! operations that differ between the instruction sets ([`Tile`]), and
//! inlined into one `#[target_feature]` function per token:
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

use super::int8_rq::{Rescale, Rq256, Rq512};
use super::isa::{Avx2, Avx512, Avx512Bw, Avx512Vnni};
use crate::quant::conv2d::TileRq;
use core::arch::x86_64::*;

/// Output channels of a tile: the lanes of a 512-bit vector of int32.
const TILE_O: usize = 16;

/// The lengths a tile reads: `k4` a nonzero multiple of 4, `cols` at
/// least `n` rows of `k4`, `wpack` at least `16 k4` bytes.
fn fits(cols: &[i8], k4: usize, wpack: &[i8], n: usize) -> bool {
    k4 > 0
        && k4.is_multiple_of(4)
        && super::fits(cols.len(), n, k4)
        && super::fits(wpack.len(), TILE_O, k4)
}

/// Generates a token's `#[target_feature]` function `$tile` (the features
/// the token proves): the tile, `$rows` rows at a time (`rows`), then one
/// at a time; and its safe `int8_tile` over it.
macro_rules! tile_for {
    ($token:ty, $features:literal, $tile:ident, rows $rows:literal) => {
        /// # Safety
        /// The CPU has `$features`; `cols[..n * k4]` and `wpack[..16 k4]`
        /// readable, `out[..n]` writable; `k4 % 4 == 0`.
        #[target_feature(enable = $features)]
        unsafe fn $tile(
            cols: *const i8,
            k4: usize,
            wpack: *const i8,
            rq: &TileRq,
            out: *mut [i8; 16],
            n: usize,
        ) {
            // SAFETY: the token's features, this function's.
            let (start, c) = unsafe { <$token as Tile>::start(rq) };
            let mut p = 0;
            while p + $rows <= n {
                // SAFETY: the token's features; rows `p .. p + $rows <= n`
                // of `cols` and of `out`, inside the contract's regions.
                unsafe { rows::<$token, $rows>(cols, k4, wpack, start, &c, out, p) };
                p += $rows;
            }
            while p < n {
                // SAFETY: as above, for the one row `p < n`.
                unsafe { rows::<$token, 1>(cols, k4, wpack, start, &c, out, p) };
                p += 1;
            }
        }

        impl $token {
            /// `out[p][o]`, the rescaled `start[o] + cols[p] . w(o)` (see
            /// the module).
            #[inline]
            pub(super) fn int8_tile(
                self,
                cols: &[i8],
                k4: usize,
                wpack: &[i8],
                rq: &TileRq,
                out: &mut [[i8; 16]],
            ) {
                let n = out.len();
                assert!(fits(cols, k4, wpack, n));
                // SAFETY: `self` proves the CPU features `$tile` is
                // compiled with; it reads `cols[..n * k4]` and
                // `wpack[..16 k4]` (checked above) and `rq`, and writes
                // `out[..n]`.
                unsafe { $tile(cols.as_ptr(), k4, wpack.as_ptr(), rq, out.as_mut_ptr(), n) }
            }
        }
    };
}

// 16 ymm registers: 4 rows x 2 halves of accumulators, 2 x 2 of weights.
tile_for!(Avx2, "avx2,fma", tile_avx2, rows 4);
// 32 zmm registers: 8 rows of accumulators, 2 of weights.
tile_for!(Avx512Bw, "avx512bw,avx512f,avx2,fma", tile_bw, rows 8);
tile_for!(Avx512Vnni, "avx512vnni,avx512bw,avx512f,avx2,fma", tile_vnni, rows 8);

impl Avx512 {
    /// The tile on the best int8 path this token proves: VNNI, else
    /// AVX-512BW, else AVX2.
    #[inline]
    pub(super) fn int8_tile(
        self,
        cols: &[i8],
        k4: usize,
        wpack: &[i8],
        rq: &TileRq,
        out: &mut [[i8; 16]],
    ) {
        if let Some(vnni) = self.vnni() {
            vnni.int8_tile(cols, k4, wpack, rq, out);
        } else if let Some(bw) = self.bw() {
            bw.int8_tile(cols, k4, wpack, rq, out);
        } else {
            self.avx2().int8_tile(cols, k4, wpack, rq, out);
        }
    }
}

/// The operations of a tile that differ between instruction sets, on the
/// token that proves them. Each is `#[inline(always)]`, and its contract
/// (besides the memory it names) is that the CPU has the token's features.
trait Tile {
    /// The 16 channels' int32 accumulators.
    type Acc: Copy;
    /// One quad of the 16 channels' weights, as `madd` takes it.
    type Quad: Copy;
    /// The rescaling constants, which store the accumulators.
    type Rq: Rescale<Acc = Self::Acc>;

    /// The accumulators' starting values and the rescaling constants.
    ///
    /// # Safety
    /// The token's features.
    unsafe fn start(rq: &TileRq) -> (Self::Acc, Self::Rq);

    /// The quad of weights at `w` (one per channel).
    ///
    /// # Safety
    /// The token's features; `w[..64]` readable.
    unsafe fn weights(w: *const i8) -> Self::Quad;

    /// `acc` plus the products of a pixel's quad `x` (its four bytes, in
    /// memory order, as one `i32`) with each channel's quad in `w`.
    ///
    /// # Safety
    /// The token's features.
    unsafe fn madd(acc: Self::Acc, x: i32, w: Self::Quad) -> Self::Acc;
}

/// Rows `p .. p + R` of the tile.
///
/// # Safety
/// The CPU has the features of `T`; `cols[..n * k4]` and `wpack[..16 k4]`
/// readable, `out[..n]` writable, for some `n >= p + R`; `k4 % 4 == 0`.
#[inline(always)]
unsafe fn rows<T: Tile, const R: usize>(
    cols: *const i8,
    k4: usize,
    wpack: *const i8,
    start: T::Acc,
    c: &T::Rq,
    out: *mut [i8; 16],
    p: usize,
) {
    // SAFETY (for the block): the features are the contract's; `out[p + r]`
    // and `cols[(p + r) * k4..][..k4]`, `r < R`, are inside `out[..n]` and
    // `cols[..n * k4]` as `p + R <= n`; the quad `q < k4 / 4` of `wpack`
    // is its bytes `64 q .. 64 q + 64 <= 16 k4`.
    unsafe {
        let mut a = [start; R];
        for q in 0..k4 / 4 {
            let w = T::weights(wpack.add(64 * q));
            for (r, a) in a.iter_mut().enumerate() {
                *a = T::madd(*a, quad(cols, k4, p + r, q), w);
            }
        }
        for (r, &a) in a.iter().enumerate() {
            c.store(a, out.add(p + r));
        }
    }
}

/// The 32-bit quad of row `p` of `cols` at column `4 q`.
///
/// # Safety
/// `cols[p * k4 + 4 q..][..4]` readable.
#[inline(always)]
unsafe fn quad(cols: *const i8, k4: usize, p: usize, q: usize) -> i32 {
    // SAFETY: the contract.
    unsafe { cols.add(p * k4 + 4 * q).cast::<i32>().read_unaligned() }
}

/// By `(x + 128) . w - 128 wsum`: the starts hold the `- 128 wsum`.
impl Tile for Avx512Vnni {
    type Acc = __m512i;
    type Quad = __m512i;
    type Rq = Rq512;

    #[inline(always)]
    unsafe fn start(rq: &TileRq) -> (__m512i, Rq512) {
        // SAFETY: AVX-512F (the contract); the loads read the 16 lanes of
        // arrays of 16 `i32`.
        unsafe {
            let wsum = _mm512_loadu_si512(rq.wsum.as_ptr().cast());
            let start = _mm512_loadu_si512(rq.start.as_ptr().cast());
            (
                _mm512_sub_epi32(start, _mm512_slli_epi32::<7>(wsum)),
                Rq512::new(rq),
            )
        }
    }

    #[inline(always)]
    unsafe fn weights(w: *const i8) -> __m512i {
        // SAFETY: AVX-512F; `w[..64]` readable (the contract).
        unsafe { _mm512_loadu_si512(w.cast()) }
    }

    #[inline(always)]
    unsafe fn madd(acc: __m512i, x: i32, w: __m512i) -> __m512i {
        // SAFETY: register operations only, on AVX512_VNNI (the contract).
        unsafe {
            let xu = _mm512_xor_si512(_mm512_set1_epi32(x), _mm512_set1_epi8(-128));
            _mm512_dpbusd_epi32(acc, xu, w)
        }
    }
}

/// Bytes 0 and 2 of each 32-bit lane of `v`, and bytes 1 and 3, as int16.
///
/// # Safety
/// AVX-512BW.
#[inline(always)]
unsafe fn split512(v: __m512i) -> (__m512i, __m512i) {
    // SAFETY: register operations only, on AVX-512BW (the contract).
    unsafe {
        (
            _mm512_srai_epi16::<8>(_mm512_slli_epi16::<8>(v)),
            _mm512_srai_epi16::<8>(v),
        )
    }
}

/// Two `vpmaddwd` of the split pixel and weights.
impl Tile for Avx512Bw {
    type Acc = __m512i;
    type Quad = (__m512i, __m512i);
    type Rq = Rq512;

    #[inline(always)]
    unsafe fn start(rq: &TileRq) -> (__m512i, Rq512) {
        // SAFETY: AVX-512F (the contract); the load reads the 16 lanes of
        // an array of 16 `i32`.
        unsafe { (_mm512_loadu_si512(rq.start.as_ptr().cast()), Rq512::new(rq)) }
    }

    #[inline(always)]
    unsafe fn weights(w: *const i8) -> (__m512i, __m512i) {
        // SAFETY: AVX-512BW; `w[..64]` readable (the contract).
        unsafe { split512(_mm512_loadu_si512(w.cast())) }
    }

    #[inline(always)]
    unsafe fn madd(acc: __m512i, x: i32, (we, wo): (__m512i, __m512i)) -> __m512i {
        // SAFETY: register operations only, on AVX-512BW (the contract).
        unsafe {
            let (xe, xo) = split512(_mm512_set1_epi32(x));
            let s = _mm512_add_epi32(_mm512_madd_epi16(xe, we), _mm512_madd_epi16(xo, wo));
            _mm512_add_epi32(acc, s)
        }
    }
}

/// [`split512`] on 256 bits.
///
/// # Safety
/// AVX2.
#[inline(always)]
unsafe fn split256(v: __m256i) -> (__m256i, __m256i) {
    // SAFETY: register operations only, on AVX2 (the contract).
    unsafe {
        (
            _mm256_srai_epi16::<8>(_mm256_slli_epi16::<8>(v)),
            _mm256_srai_epi16::<8>(v),
        )
    }
}

/// As AVX-512BW, on channels 0-7 and 8-15 in two halves.
impl Tile for Avx2 {
    type Acc = [__m256i; 2];
    type Quad = [(__m256i, __m256i); 2];
    type Rq = Rq256;

    #[inline(always)]
    unsafe fn start(rq: &TileRq) -> ([__m256i; 2], Rq256) {
        // SAFETY: AVX2 (the contract); the loads read lanes `0..8` and
        // `8..16` of an array of 16 `i32`.
        unsafe {
            let s = rq.start.as_ptr();
            (
                [
                    _mm256_loadu_si256(s.cast()),
                    _mm256_loadu_si256(s.add(8).cast()),
                ],
                Rq256::new(rq),
            )
        }
    }

    #[inline(always)]
    unsafe fn weights(w: *const i8) -> [(__m256i, __m256i); 2] {
        // SAFETY: AVX2; `w[..64]` readable (the contract), as two 32-byte
        // halves.
        unsafe {
            [
                split256(_mm256_loadu_si256(w.cast())),
                split256(_mm256_loadu_si256(w.add(32).cast())),
            ]
        }
    }

    #[inline(always)]
    unsafe fn madd(acc: [__m256i; 2], x: i32, [w0, w1]: [(__m256i, __m256i); 2]) -> [__m256i; 2] {
        // SAFETY: register operations only, on AVX2 (the contract).
        unsafe {
            let (xe, xo) = split256(_mm256_set1_epi32(x));
            let s0 = _mm256_add_epi32(_mm256_madd_epi16(xe, w0.0), _mm256_madd_epi16(xo, w0.1));
            let s1 = _mm256_add_epi32(_mm256_madd_epi16(xe, w1.0), _mm256_madd_epi16(xo, w1.1));
            [_mm256_add_epi32(acc[0], s0), _mm256_add_epi32(acc[1], s1)]
        }
    }
}
