//! The int8 convolution's tile (`crate::quant::conv2d`, implicit GEMM):
//! `acc[p][o] = start[o] + sum_i cols[p * k4 + i] * w(o, i)` over `i < k4`
//! for the `n` gathered receptive fields (pixels) of a block and [`TILE_O`]
//! output channels, in int32, wrapping, on three instruction sets, each
//! accumulator then rescaled to an int8 output in its vector (see
//! [`Rq512`]). The
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
//! The rescaling is `Requantizer::apply` on each lane, with the lane's
//! constants of `TileRq`: the 64-bit products of the doubling high
//! multiply are formed on the even and the odd lanes (`vpmuldq`), the
//! rounding shift is a variable shift (`vpsravd`) with its remainder's
//! comparison, the saturating addition of the zero point a clamp before
//! the addition, and the narrowing to bytes keeps the low byte (`as i8`).
//!
//! No product saturates (`vpmaddwd`'s pair sums of two int8 products and
//! `vpdpbusd`'s four of at most `255 * 128` fit 32 bits), and the lanes add
//! with wrapping: every path is the portable loop bit for bit.

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

/// Generates a token's safe `int8_tile` over its `#[target_feature]`
/// function, whose features (listed with each use) are the ones the token
/// proves.
macro_rules! entry {
    ($token:ty, $tile:ident) => {
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
                // compiled with (see the uses below); it reads
                // `cols[..n * k4]` and `wpack[..16 k4]` (checked above) and
                // `rq`, and writes `out[..n]`.
                unsafe { $tile(cols.as_ptr(), k4, wpack.as_ptr(), rq, out.as_mut_ptr(), n) }
            }
        }
    };
}

// AVX2 and FMA.
entry!(Avx2, tile_avx2);
// AVX-512BW, AVX-512F, AVX2 and FMA.
entry!(Avx512Bw, tile_bw);
// AVX512_VNNI, AVX-512BW, AVX-512F, AVX2 and FMA.
entry!(Avx512Vnni, tile_vnni);

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

/// The 32-bit quad of row `p` of `cols` at column `4 q`, broadcast.
///
/// # Safety
/// `cols[p * k4 + 4 q..][..4]` readable.
#[inline(always)]
unsafe fn quad(cols: *const i8, k4: usize, p: usize, q: usize) -> i32 {
    // SAFETY: the contract.
    unsafe { cols.add(p * k4 + 4 * q).cast::<i32>().read_unaligned() }
}

/// The saturating `q + zp` as a clamp, then the addition: `q` clamped to
/// `[MIN - min(zp, 0), MAX - max(zp, 0)]`, whose sum with `zp` cannot
/// overflow and is the saturated sum.
fn zp_bounds(zp: i32) -> (i32, i32) {
    (i32::MIN - zp.min(0), i32::MAX - zp.max(0))
}

/// A `TileRq` in 512-bit vectors, one lane per channel.
#[derive(Clone, Copy)]
struct Rq512 {
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
    unsafe fn new(rq: &TileRq) -> Self {
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

/// A `TileRq` in two halves of 256-bit vectors (channels 0-7, 8-15).
#[derive(Clone, Copy)]
struct Rq256 {
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
    unsafe fn new(rq: &TileRq) -> Self {
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

/// # Safety
/// AVX512_VNNI and AVX-512BW; `cols[..n * k4]` and `wpack[..16 k4]`
/// readable, `out[..n]` writable; `k4 % 4 == 0`.
#[target_feature(enable = "avx512vnni,avx512bw,avx512f,avx2,fma")]
unsafe fn tile_vnni(
    cols: *const i8,
    k4: usize,
    wpack: *const i8,
    rq: &TileRq,
    out: *mut [i8; 16],
    n: usize,
) {
    // SAFETY (for the block): AVX-512F is enabled by the contract; the
    // loads read the 16 lanes of arrays of 16 `i32`. The starts, less
    // `128 wsum` (the unsigned offset's correction).
    let (start, c) = unsafe {
        let wsum = _mm512_loadu_si512(rq.wsum.as_ptr().cast());
        let start = _mm512_loadu_si512(rq.start.as_ptr().cast());
        (
            _mm512_sub_epi32(start, _mm512_slli_epi32::<7>(wsum)),
            Rq512::new(rq),
        )
    };
    let mut p = 0;
    while p + 8 <= n {
        // SAFETY: rows `p .. p + 8 <= n` of `cols` and of `out`, inside the
        // contract's regions.
        unsafe { rows_vnni::<8>(cols, k4, wpack, start, &c, out, p) };
        p += 8;
    }
    while p < n {
        // SAFETY: as above, for the one row `p < n`.
        unsafe { rows_vnni::<1>(cols, k4, wpack, start, &c, out, p) };
        p += 1;
    }
}

/// Rows `p .. p + R` of the tile, by `(x + 128) . w - 128 wsum` (`start`
/// holds the `- 128 wsum`).
///
/// # Safety
/// As `tile_vnni`, with `p + R <= n`.
#[inline(always)]
unsafe fn rows_vnni<const R: usize>(
    cols: *const i8,
    k4: usize,
    wpack: *const i8,
    start: __m512i,
    c: &Rq512,
    out: *mut [i8; 16],
    p: usize,
) {
    // SAFETY (for the block): the features are the contract's; `out[p + r]`
    // and `cols[(p + r) * k4..][..k4]`, `r < R`, are inside `out[..n]` and
    // `cols[..n * k4]` as `p + R <= n`; the quad `q < k4 / 4` of `wpack`
    // is its bytes `64 q .. 64 q + 64 <= 16 k4`.
    unsafe {
        let flip = _mm512_set1_epi8(-128);
        let mut a = [start; R];
        for q in 0..k4 / 4 {
            let wv = _mm512_loadu_si512(wpack.add(64 * q).cast());
            for (r, a) in a.iter_mut().enumerate() {
                let xu = _mm512_xor_si512(_mm512_set1_epi32(quad(cols, k4, p + r, q)), flip);
                *a = _mm512_dpbusd_epi32(*a, xu, wv);
            }
        }
        for (r, &a) in a.iter().enumerate() {
            _mm_storeu_si128(out.add(p + r).cast(), c.apply(a));
        }
    }
}

/// # Safety
/// AVX-512BW; `cols[..n * k4]` and `wpack[..16 k4]` readable, `out[..n]`
/// writable; `k4 % 4 == 0`.
#[target_feature(enable = "avx512bw,avx512f,avx2,fma")]
unsafe fn tile_bw(
    cols: *const i8,
    k4: usize,
    wpack: *const i8,
    rq: &TileRq,
    out: *mut [i8; 16],
    n: usize,
) {
    // SAFETY: AVX-512F is enabled by the contract; the load reads the 16
    // lanes of an array of 16 `i32`.
    let (start, c) = unsafe { (_mm512_loadu_si512(rq.start.as_ptr().cast()), Rq512::new(rq)) };
    let mut p = 0;
    while p + 8 <= n {
        // SAFETY: rows `p .. p + 8 <= n` of `cols` and of `out`, inside the
        // contract's regions.
        unsafe { rows_bw::<8>(cols, k4, wpack, start, &c, out, p) };
        p += 8;
    }
    while p < n {
        // SAFETY: as above, for the one row `p < n`.
        unsafe { rows_bw::<1>(cols, k4, wpack, start, &c, out, p) };
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
    start: __m512i,
    c: &Rq512,
    out: *mut [i8; 16],
    p: usize,
) {
    // SAFETY (for the block): as in `rows_vnni`.
    unsafe {
        let mut a = [start; R];
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
            _mm_storeu_si128(out.add(p + r).cast(), c.apply(a));
        }
    }
}

/// # Safety
/// AVX2; `cols[..n * k4]` and `wpack[..16 k4]` readable, `out[..n]`
/// writable; `k4 % 4 == 0`.
#[target_feature(enable = "avx2,fma")]
unsafe fn tile_avx2(
    cols: *const i8,
    k4: usize,
    wpack: *const i8,
    rq: &TileRq,
    out: *mut [i8; 16],
    n: usize,
) {
    // SAFETY (for the block): AVX2 is enabled by the contract; the loads
    // read lanes `0..8` and `8..16` of an array of 16 `i32`.
    let (start, c) = unsafe {
        let s = rq.start.as_ptr();
        (
            [
                _mm256_loadu_si256(s.cast()),
                _mm256_loadu_si256(s.add(8).cast()),
            ],
            Rq256::new(rq),
        )
    };
    let mut p = 0;
    while p + 4 <= n {
        // SAFETY: rows `p .. p + 4 <= n` of `cols` and of `out`, inside the
        // contract's regions.
        unsafe { rows_avx2::<4>(cols, k4, wpack, start, &c, out, p) };
        p += 4;
    }
    while p < n {
        // SAFETY: as above, for the one row `p < n`.
        unsafe { rows_avx2::<1>(cols, k4, wpack, start, &c, out, p) };
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
    start: [__m256i; 2],
    c: &Rq256,
    out: *mut [i8; 16],
    p: usize,
) {
    // SAFETY (for the block): as in `rows_vnni`, each quad of `wpack` read
    // as two 32-byte halves, each row of `out` written as two 8-byte ones.
    unsafe {
        let mut a = [start; R];
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
            let row = out.add(p + r).cast::<i8>();
            _mm_storel_epi64(row.cast(), c.apply(a[0], 0));
            _mm_storel_epi64(row.add(8).cast(), c.apply(a[1], 1));
        }
    }
}

/// The shape of [`gather_words`]' copies (all in bytes).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Words {
    /// Channels per field, and the distance between their planes in `xp`.
    pub n: usize,
    pub plane: usize,
    /// Rows per channel, and the distance between them in `xp`.
    pub kh: usize,
    pub step: usize,
    /// Bytes per row (1 to 8).
    pub kw: usize,
    /// The distance between fields in `cols` (at least `n kh kw`).
    pub k4: usize,
    /// Output pixels per row, and the distance in `xp` between the windows
    /// of two pixels one row (at least `(out_w - 1) col`) or one column
    /// apart.
    pub out_w: usize,
    pub row: usize,
    pub col: usize,
}

/// The tiles' gather of the receptive fields of `count` output pixels from
/// `(oy, ox)` on (row-major): field `j`, at `cols[j * k4..]`, holds the
/// rows `r = c * kh + ky` (`c < n`, `ky < kh`), its bytes `r * kw .. r *
/// kw + kw` copied from `xp[oy' row + ox' col + c plane + ky step..]` for
/// the pixel's `(oy', ox')`, each as one 8-byte word, so each row also
/// writes up to 7 bytes after it (which the next row or field overwrites,
/// or the caller's layout leaves free). Plain moves: no instruction set
/// beyond x86-64's.
///
/// Panics unless every word read lies in `xp` and every word written in
/// `cols` (the last pixel's last row is the furthest of both).
pub(crate) fn gather_words(
    xp: &[i8],
    s: &Words,
    (oy, ox): (usize, usize),
    count: usize,
    cols: &mut [i8],
) {
    if count == 0 || s.n == 0 || s.kh == 0 {
        return;
    }
    let last = ox + count - 1;
    let (ly, lx) = (oy + last / s.out_w, last % s.out_w);
    let read = || {
        let window = ly.checked_mul(s.row)?.checked_add(lx.checked_mul(s.col)?)?;
        let row = (s.n - 1)
            .checked_mul(s.plane)?
            .checked_add((s.kh - 1).checked_mul(s.step)?)?;
        window.checked_add(row)?.checked_add(8)
    };
    let write = || {
        let field = s.n.checked_mul(s.kh)?.checked_mul(s.kw)?;
        (field <= s.k4).then_some(())?;
        (count - 1)
            .checked_mul(s.k4)?
            .checked_add(field - s.kw)?
            .checked_add(8)
    };
    assert!(
        (1..=8).contains(&s.kw)
            && ox < s.out_w
            && (s.out_w - 1).checked_mul(s.col).is_some_and(|w| w <= s.row)
            && read().is_some_and(|end| end <= xp.len())
            && write().is_some_and(|end| end <= cols.len()),
        "gather_words: {count} fields of {s:?} do not fit"
    );
    let (xp, cols) = (xp.as_ptr(), cols.as_mut_ptr());
    let (mut y, mut x) = (oy, ox);
    for j in 0..count {
        let mut pos = j * s.k4;
        for c in 0..s.n {
            let mut at = y * s.row + x * s.col + c * s.plane;
            for _ in 0..s.kh {
                // SAFETY: pixels come in row-major order and `(out_w - 1)
                // col <= row`, so a pixel's window starts at most where
                // the last one's does, and `at` is at most the last
                // pixel's last row: the 8 bytes at `at` are inside `xp`
                // (checked above). `pos <= (count - 1) k4 + n kh kw - kw`,
                // so the 8 bytes at `pos` are inside `cols` (checked
                // above). Unaligned reads and writes of `u64`, any bits
                // valid.
                unsafe {
                    let word = xp.add(at).cast::<u64>().read_unaligned();
                    cols.add(pos).cast::<u64>().write_unaligned(word);
                }
                pos += s.kw;
                at += s.step;
            }
        }
        x += 1;
        if x == s.out_w {
            (y, x) = (y + 1, 0);
        }
    }
}
