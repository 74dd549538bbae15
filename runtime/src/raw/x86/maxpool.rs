//! The AVX-512 2x2, stride-2 max pool, 16 windows at a time (rows of at
//! most 8 windows: two rows a vector).

use super::fits;
use super::isa::Avx512;
use core::arch::x86_64::*;

/// The geometry of a 2x2, stride-2 max pool over whole planes: `planes`
/// planes of `in_h x in_w` in, `out_h x out_w` out, `2 out_h <= in_h`, `2
/// out_w <= in_w`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pool2x2 {
    pub(crate) planes: usize,
    pub(crate) in_h: usize,
    pub(crate) in_w: usize,
    pub(crate) out_h: usize,
    pub(crate) out_w: usize,
}

impl Pool2x2 {
    /// Checks the geometry against the lengths of an input-shaped and an
    /// output-shaped slice (every offset the kernels touch is below them).
    fn check(&self, in_len: usize, out_len: usize) {
        assert!(2 * self.out_h <= self.in_h && 2 * self.out_w <= self.in_w);
        let plane_in = self.in_h.checked_mul(self.in_w).expect("pool size");
        let plane_out = self.out_h.checked_mul(self.out_w).expect("pool size");
        assert!(fits(in_len, self.planes, plane_in) && fits(out_len, self.planes, plane_out));
    }
}

impl Avx512 {
    /// `y` = the 2x2 maxima of `x` (the first NaN of a window, else its
    /// first maximum, in the order `[a b; c d]`: the same bits as the
    /// portable scan).
    pub(super) fn maxpool2x2_fwd(self, x: &[f32], y: &mut [f32], g: Pool2x2) {
        g.check(x.len(), y.len());
        // SAFETY: `self` proves AVX-512F. `pool_fwd` reads rows `2r, 2r + 1
        // < in_h` of each plane `< planes`, columns `< 2 out_w <= in_w`, and
        // writes `out_w` values of row `r < out_h` of each output plane, all
        // below the lengths checked above (masked lanes are not accessed).
        // `pool_fwd_narrow` reads and writes the same elements, two output
        // rows at a time (each row's `2 out_w` input elements, masked).
        unsafe {
            if g.out_w <= 8 {
                pool_fwd_narrow(x.as_ptr(), y.as_mut_ptr(), g)
            } else {
                pool_fwd(x.as_ptr(), y.as_mut_ptr(), g)
            }
        }
    }

    /// The gradient of [`Self::maxpool2x2_fwd`]: each `gy` to the first
    /// element of its window equal to `y` (or the first NaN for a NaN `y`),
    /// `0.0 + gy` there, `0.0` elsewhere, overwriting `gx`.
    pub(super) fn maxpool2x2_bwd(
        self,
        x: &[f32],
        y: &[f32],
        gy: &[f32],
        gx: &mut [f32],
        g: Pool2x2,
        relu: bool,
    ) {
        g.check(x.len(), y.len());
        g.check(gx.len(), gy.len());
        // SAFETY: `self` proves AVX-512F. `pool_bwd` reads `x` and writes
        // `gx` where `pool_fwd` reads `x` (plus, for odd sizes, the whole
        // plane of `gx`, zeroed first), and reads `y` and `gy` where it
        // writes `y`; all below the lengths checked above.
        // `pool_bwd_narrow` reads and writes the same elements, two output
        // rows at a time (each row's `2 out_w` input elements, masked).
        unsafe {
            if g.out_w <= 8 {
                pool_bwd_narrow(
                    x.as_ptr(),
                    y.as_ptr(),
                    gy.as_ptr(),
                    gx.as_mut_ptr(),
                    g,
                    relu,
                )
            } else {
                pool_bwd(
                    x.as_ptr(),
                    y.as_ptr(),
                    gy.as_ptr(),
                    gx.as_mut_ptr(),
                    g,
                    relu,
                )
            }
        }
    }
}

/// Lanes `0..len` (`len <= 16`).
#[inline(always)]
fn mask16(len: usize) -> __mmask16 {
    ((1u32 << len) - 1) as __mmask16
}

/// The even and odd elements of `x[..2 n]`, `n <= 16`, zero past `n`.
///
/// # Safety
/// AVX-512F; `x[..2 n]` readable.
#[inline(always)]
unsafe fn deinterleave(x: *const f32, n: usize) -> (__m512, __m512) {
    let lo_len = (2 * n).min(16);
    let lo = _mm512_maskz_loadu_ps(mask16(lo_len), x);
    // `wrapping_add`: with `2 n <= 16` the mask is empty and the address may
    // lie past the end of the slice, where `add` would be undefined.
    let hi = _mm512_maskz_loadu_ps(mask16(2 * n - lo_len), x.wrapping_add(16));
    let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    let odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    (
        _mm512_permutex2var_ps(lo, even, hi),
        _mm512_permutex2var_ps(lo, odd, hi),
    )
}

/// `x[..2 n]` = the lanes of `e` and `o` interleaved (`e0 o0 e1 o1 ...`).
///
/// # Safety
/// AVX-512F; `x[..2 n]` writable, `n <= 16`.
#[inline(always)]
unsafe fn interleave_store(x: *mut f32, e: __m512, o: __m512, n: usize) {
    let lo_idx = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    let hi_idx = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    let lo_len = (2 * n).min(16);
    _mm512_mask_storeu_ps(x, mask16(lo_len), _mm512_permutex2var_ps(e, lo_idx, o));
    _mm512_mask_storeu_ps(
        // `wrapping_add`, as in `deinterleave`: the mask may be empty.
        x.wrapping_add(16),
        mask16(2 * n - lo_len),
        _mm512_permutex2var_ps(e, hi_idx, o),
    );
}

/// `v` where it replaces the running maximum `m` (larger, or the first NaN).
#[inline(always)]
unsafe fn pick(m: __m512, v: __m512) -> __m512 {
    let gt = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, m);
    let v_nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
    let m_nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(m, m);
    _mm512_mask_blend_ps(gt | (v_nan & !m_nan), m, v)
}

/// What a window's first hit gets: `0 + gy`, or with `relu` `0.0` where
/// the maximum `m` is not above 0 (the ReLU before the pool).
#[inline(always)]
unsafe fn gradient(m: __m512, gy: __m512, relu: bool) -> __m512 {
    let zero = _mm512_setzero_ps();
    let d = _mm512_add_ps(zero, gy);
    if relu {
        _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(m, zero), d)
    } else {
        d
    }
}

/// Each window's gradient `d` at its first hit of `m` in the order `a0 a1
/// b0 b1` (its elements), `0.0` at the others.
#[inline(always)]
unsafe fn route(
    a0: __m512,
    a1: __m512,
    b0: __m512,
    b1: __m512,
    m: __m512,
    d: __m512,
) -> [__m512; 4] {
    let h0 = hit(a0, m);
    let h1 = hit(a1, m) & !h0;
    let h2 = hit(b0, m) & !(h0 | h1);
    let h3 = hit(b1, m) & !(h0 | h1 | h2);
    [
        _mm512_maskz_mov_ps(h0, d),
        _mm512_maskz_mov_ps(h1, d),
        _mm512_maskz_mov_ps(h2, d),
        _mm512_maskz_mov_ps(h3, d),
    ]
}

/// Zeroes all of `gx` if the windows do not cover the input (an odd size
/// leaves a last row or column in none); covered, every element is written.
///
/// # Safety
/// `gx` writable for `planes in_h in_w` floats.
#[inline(always)]
unsafe fn zero_uncovered(gx: *mut f32, g: Pool2x2) {
    if 2 * g.out_h != g.in_h || 2 * g.out_w != g.in_w {
        core::ptr::write_bytes(gx, 0, g.planes * g.in_h * g.in_w);
    }
}

/// The lanes where `v` is the window's maximum `m` (equal, or both NaN).
#[inline(always)]
unsafe fn hit(v: __m512, m: __m512) -> __mmask16 {
    let both_nan =
        _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v) & _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(m, m);
    _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(v, m) | both_nan
}

/// # Safety
/// AVX-512F; the bounds of [`Avx512::maxpool2x2_fwd`].
#[target_feature(enable = "avx512f")]
unsafe fn pool_fwd(x: *const f32, y: *mut f32, g: Pool2x2) {
    for p in 0..g.planes {
        for r in 0..g.out_h {
            let r0 = x.add((p * g.in_h + 2 * r) * g.in_w);
            let r1 = r0.add(g.in_w);
            let yr = y.add((p * g.out_h + r) * g.out_w);
            let mut c = 0;
            while c < g.out_w {
                let n = (g.out_w - c).min(16);
                let (a0, a1) = deinterleave(r0.add(2 * c), n);
                let (b0, b1) = deinterleave(r1.add(2 * c), n);
                let m = pick(pick(a0, a1), pick(b0, b1));
                _mm512_mask_storeu_ps(yr.add(c), mask16(n), m);
                c += n;
            }
        }
    }
}

/// # Safety
/// AVX-512F; the bounds of [`Avx512::maxpool2x2_bwd`].
#[target_feature(enable = "avx512f")]
unsafe fn pool_bwd(
    x: *const f32,
    y: *const f32,
    gy: *const f32,
    gx: *mut f32,
    g: Pool2x2,
    relu: bool,
) {
    zero_uncovered(gx, g);
    for p in 0..g.planes {
        for r in 0..g.out_h {
            let row = (p * g.in_h + 2 * r) * g.in_w;
            let (r0, r1) = (x.add(row), x.add(row + g.in_w));
            let (q0, q1) = (gx.add(row), gx.add(row + g.in_w));
            let o = (p * g.out_h + r) * g.out_w;
            let mut c = 0;
            while c < g.out_w {
                let n = (g.out_w - c).min(16);
                let m = _mm512_maskz_loadu_ps(mask16(n), y.add(o + c));
                let d = gradient(m, _mm512_maskz_loadu_ps(mask16(n), gy.add(o + c)), relu);
                let (a0, a1) = deinterleave(r0.add(2 * c), n);
                let (b0, b1) = deinterleave(r1.add(2 * c), n);
                let [g0, g1, g2, g3] = route(a0, a1, b0, b1, m, d);
                interleave_store(q0.add(2 * c), g0, g1, n);
                interleave_store(q1.add(2 * c), g2, g3, n);
                c += n;
            }
        }
    }
}

/// The permutations of two output rows of `n <= 8` windows in one vector
/// (lanes `0..n` the first row, `n..2 n` the second).
struct Narrow {
    /// Window `i` of the first row is element `2 i` of its input rows (the
    /// first source), window `n + i` element `2 i` of the second row's (the
    /// second source, index `16 + 2 i`).
    even: __m512i,
    odd: __m512i,
    /// Input element `j` of the first row is lane `j / 2` of the even (`j`
    /// even) or odd windows' vector; of the second row, lane `n + j / 2`.
    back0: __m512i,
    back1: __m512i,
}

impl Narrow {
    /// # Safety
    /// AVX-512F; `n <= 8` (so every index is below 32 and the casts are
    /// lossless).
    #[inline(always)]
    unsafe fn new(n: usize) -> Self {
        let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let twice = _mm512_add_epi32(iota, iota);
        let shift = _mm512_set1_epi32(16 - 2 * n as i32);
        let even = _mm512_mask_add_epi32(twice, !mask16(n), twice, shift);
        let half = _mm512_srli_epi32::<1>(iota);
        let parity = _mm512_slli_epi32::<4>(_mm512_and_si512(iota, _mm512_set1_epi32(1)));
        let back0 = _mm512_add_epi32(half, parity);
        Narrow {
            even,
            odd: _mm512_add_epi32(even, _mm512_set1_epi32(1)),
            back0,
            back1: _mm512_add_epi32(back0, _mm512_set1_epi32(n as i32)),
        }
    }

    /// The even and odd elements of the `2 n` at `p` and at `q`, as windows
    /// `0..n` and `n..2 n`.
    ///
    /// # Safety
    /// AVX-512F; `p[..2 n]` and `q[..2 n]` readable.
    #[inline(always)]
    unsafe fn load(&self, p: *const f32, q: *const f32, n: usize) -> (__m512, __m512) {
        let (a, b) = (
            _mm512_maskz_loadu_ps(mask16(2 * n), p),
            _mm512_maskz_loadu_ps(mask16(2 * n), q),
        );
        (
            _mm512_permutex2var_ps(a, self.even, b),
            _mm512_permutex2var_ps(a, self.odd, b),
        )
    }
}

/// The input offset of output row `o` (rows in order across planes).
#[inline(always)]
fn row_at(g: &Pool2x2, o: usize) -> usize {
    (o / g.out_h * g.in_h + 2 * (o % g.out_h)) * g.in_w
}

/// [`pool_fwd`] for rows of at most 8 windows: two output rows a vector,
/// the last alone if their number is odd.
///
/// # Safety
/// AVX-512F; the bounds of [`Avx512::maxpool2x2_fwd`]; `out_w <= 8`.
#[target_feature(enable = "avx512f")]
unsafe fn pool_fwd_narrow(x: *const f32, y: *mut f32, g: Pool2x2) {
    let n = g.out_w;
    let ix = Narrow::new(n);
    let rows = g.planes * g.out_h;
    let mut o = 0;
    while o < rows {
        let two = o + 1 < rows;
        let (a, b) = (row_at(&g, o), row_at(&g, if two { o + 1 } else { o }));
        let (a0, a1) = ix.load(x.add(a), x.add(b), n);
        let (b0, b1) = ix.load(x.add(a + g.in_w), x.add(b + g.in_w), n);
        let m = pick(pick(a0, a1), pick(b0, b1));
        let lanes = if two { 2 * n } else { n };
        _mm512_mask_storeu_ps(y.add(o * n), mask16(lanes), m);
        o += 2;
    }
}

/// [`pool_bwd`] for rows of at most 8 windows: two output rows a vector,
/// the last alone if their number is odd.
///
/// # Safety
/// AVX-512F; the bounds of [`Avx512::maxpool2x2_bwd`]; `out_w <= 8`.
#[target_feature(enable = "avx512f")]
unsafe fn pool_bwd_narrow(
    x: *const f32,
    y: *const f32,
    gy: *const f32,
    gx: *mut f32,
    g: Pool2x2,
    relu: bool,
) {
    zero_uncovered(gx, g);
    let n = g.out_w;
    let ix = Narrow::new(n);
    let row_mask = mask16(2 * n);
    let rows = g.planes * g.out_h;
    let mut o = 0;
    while o < rows {
        let two = o + 1 < rows;
        let lanes = if two { 2 * n } else { n };
        let (a, b) = (row_at(&g, o), row_at(&g, if two { o + 1 } else { o }));
        let m = _mm512_maskz_loadu_ps(mask16(lanes), y.add(o * n));
        let d = gradient(m, _mm512_maskz_loadu_ps(mask16(lanes), gy.add(o * n)), relu);
        let (a0, a1) = ix.load(x.add(a), x.add(b), n);
        let (b0, b1) = ix.load(x.add(a + g.in_w), x.add(b + g.in_w), n);
        let [g0, g1, g2, g3] = route(a0, a1, b0, b1, m, d);
        let store = |at: usize, back: __m512i| {
            let top = _mm512_permutex2var_ps(g0, back, g1);
            _mm512_mask_storeu_ps(gx.add(at), row_mask, top);
            let bottom = _mm512_permutex2var_ps(g2, back, g3);
            _mm512_mask_storeu_ps(gx.add(at + g.in_w), row_mask, bottom);
        };
        store(a, ix.back0);
        if two {
            store(b, ix.back1);
        }
        o += 2;
    }
}
