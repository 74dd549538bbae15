//! AVX2+FMA and AVX-512F matrix-product kernels for [`crate::kernels::gemm`].
//!
//! # Proof tokens
//! [`Avx2`] (AVX2 + FMA) and [`Avx512`] (AVX-512F + AVX2 + FMA) are zero-sized
//! values that can only be made here, and only when the CPU has the features:
//! detected at run time with `std` (cached in one `AtomicU8`, so dispatch is a
//! relaxed load), or known at compile time from `target_feature` without it.
//! Holding a token is the proof the `#[target_feature]` entry points need.
//!
//! # Kernel contract
//! The microkernels are `#[inline(always)]` generic functions over [`Simd`],
//! inlined into one `#[target_feature]` entry point per token so that the
//! intrinsics compile with the features on. They are `unsafe fn`s with one
//! contract, argued at each call: the CPU has the features of `S`, and every
//! pointer they offset, read or write stays inside the slice it was derived
//! from (offsets are computed from `m`, `n`, `k`, which the safe wrappers check
//! against the slice lengths once per call). Masked loads and stores only touch
//! the lanes below `len`, so a partial vector at the end of a slice is in
//! bounds too (the hardware suppresses faults on masked-off lanes).
//!
//! # Shapes
//! Everything is row-major and contiguous. `nt`: `C[m][n] = A[m][k] * B[n][k]^T`
//! in dot-product form (a tile of rows of `A` times a tile of rows of `B`,
//! vectorised along `k`, horizontal sums at the end). `nn` and `tn`:
//! `C[m][n] = op(A) * B[k][n]` in outer-product form (broadcast one element of
//! `A`, stream a row of `B`). `acc` adds to `C` instead of overwriting it.
//!
//! # Toolchain
//! The AVX-512 intrinsics and the `avx512f` target feature are stable since
//! Rust 1.89, the workspace's `rust-version`.

use super::Shared;
use crate::kernels::gemm::{Isa, Out, Rows};
use crate::threads;
use core::arch::x86_64::*;
use core::sync::atomic::{AtomicU8, Ordering};

/// Proof that the CPU supports AVX2 and FMA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Avx2(());

/// Proof that the CPU supports AVX-512F, AVX2 and FMA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Avx512(());

const UNKNOWN: u8 = 0;
const PORTABLE: u8 = 1;
const AVX2: u8 = 2;
const AVX512: u8 = 3;

/// The best level this CPU supports, or `UNKNOWN` before the first detection.
/// Only [`detect`] writes it, with a value it has checked.
static LEVEL: AtomicU8 = AtomicU8::new(UNKNOWN);

#[inline]
fn level() -> u8 {
    match LEVEL.load(Ordering::Relaxed) {
        UNKNOWN => detect(),
        level => level,
    }
}

#[cold]
fn detect() -> u8 {
    #[cfg(any(feature = "std", test))]
    let (avx512f, avx2, fma) = (
        std::is_x86_feature_detected!("avx512f"),
        std::is_x86_feature_detected!("avx2"),
        std::is_x86_feature_detected!("fma"),
    );
    #[cfg(not(any(feature = "std", test)))]
    let (avx512f, avx2, fma) = (
        cfg!(target_feature = "avx512f"),
        cfg!(target_feature = "avx2"),
        cfg!(target_feature = "fma"),
    );
    let level = match (avx512f, avx2 && fma) {
        (true, true) => AVX512,
        (false, true) => AVX2,
        _ => PORTABLE,
    };
    LEVEL.store(level, Ordering::Relaxed);
    level
}

/// The fastest instruction set this CPU supports, with its proof token.
#[inline]
pub(crate) fn best_isa() -> Isa {
    match level() {
        AVX512 => Isa::Avx512(Avx512(())),
        AVX2 => Isa::Avx2(Avx2(())),
        _ => Isa::Portable,
    }
}

impl Avx2 {
    /// The token, if the CPU supports AVX2 and FMA.
    #[cfg(test)]
    pub(crate) fn new() -> Option<Self> {
        (level() >= AVX2).then_some(Self(()))
    }
}

impl Avx512 {
    /// The token, if the CPU supports AVX-512F, AVX2 and FMA.
    #[cfg(test)]
    pub(crate) fn new() -> Option<Self> {
        (level() >= AVX512).then_some(Self(()))
    }
}

/// `rows * cols <= len`, without overflow.
fn fits(len: usize, rows: usize, cols: usize) -> bool {
    rows.checked_mul(cols).is_some_and(|need| need <= len)
}

/// The safe entry points of one token: check the slice lengths, then call the
/// `#[target_feature]` functions (`$nt`, `$outer`).
macro_rules! entry_points {
    ($token:ty, $nt:ident, $outer:ident) => {
        impl $token {
            /// `C[m][n] (+)= A[m][k] * B[n][k]^T`.
            #[inline]
            pub(crate) fn gemm_nt(
                self,
                a: &[f32],
                b: &[f32],
                c: &mut [f32],
                m: usize,
                n: usize,
                k: usize,
                acc: bool,
            ) {
                assert!(fits(a.len(), m, k) && fits(b.len(), n, k) && fits(c.len(), m, n));
                // Columns split in multiples of 8, the widest tile of rows of
                // `B` (so every element is summed as on one thread).
                let parts = threads::parts(m * n * k, n / 8);
                let (a, b, c) = (
                    Shared::new(a.as_ptr()),
                    Shared::new(b.as_ptr()),
                    Shared::new(c.as_mut_ptr()),
                );
                threads::par(parts, &|t| {
                    let (j0, j1) = threads::range(n, parts, t, 8);
                    let (a, b, c) = (a.get().cast_const(), b.get().cast_const(), c.get());
                    // SAFETY: `self` proves the CPU features of `$nt`. `nt`
                    // reads rows `i < m` of `a` at `i * k .. i * k + k`,
                    // within `m * k <= a.len()`; rows `j0 <= j < j1 <= n` of
                    // `b` within `n * k <= b.len()`; writes `c[i * n + j]`,
                    // `i < m`, `j0 <= j < j1`, within `m * n <= c.len()`, all
                    // checked above (`b` is only read through `Shared`). The
                    // parts' column ranges are disjoint, so no element of
                    // `c` is written by two threads.
                    unsafe { $nt(a, b.add(j0 * k), None, c.add(j0), n, m, j1 - j0, k, acc) }
                });
            }

            /// `C[m][n] (+)= A[m][k] * B[n][k]^T` with row `j` of `B` at
            /// `b[rows.offset(j)..][..k]`, `n = rows.k()`.
            #[inline]
            pub(crate) fn gemm_nt_rows(
                self,
                a: &[f32],
                b: &[f32],
                rows: Rows,
                c: &mut [f32],
                m: usize,
                k: usize,
                acc: bool,
            ) {
                let n = rows.k();
                assert!(fits(a.len(), m, k) && fits(c.len(), m, n));
                assert!(n == 0 || rows.span(k).is_some_and(|end| end <= b.len()));
                // SAFETY: `self` proves the CPU features of `$nt`. Rows `i <
                // m` of `a` are read at `i * k .. i * k + k`, within `m * k <=
                // a.len()`; row `j < n` of `B` at `b[rows.offset(j) + p]`, `p
                // < k`, below `rows.span(k)` (the largest offset plus `k`,
                // computed without overflow) `<= b.len()`; `c[i * n + j]` is
                // below `m * n <= c.len()`. All checked above.
                unsafe {
                    $nt(
                        a.as_ptr(),
                        b.as_ptr(),
                        Some(rows),
                        c.as_mut_ptr(),
                        n,
                        m,
                        n,
                        k,
                        acc,
                    )
                }
            }

            /// `C[m][n] (+)= sum_p A(i, p) * B[p][n]` with `A(i, p) = a[i *
            /// rsa + p * csa]`, `p < k`.
            #[inline]
            pub(crate) fn gemm_outer(
                self,
                a: &[f32],
                (rsa, csa): (usize, usize),
                b: &[f32],
                c: &mut [f32],
                m: usize,
                n: usize,
                k: usize,
                out: Out,
            ) {
                let last_a = (m.max(1) - 1)
                    .checked_mul(rsa)
                    .zip((k.max(1) - 1).checked_mul(csa))
                    .and_then(|(i, p)| i.checked_add(p));
                assert!(m == 0 || k == 0 || last_a.is_some_and(|last| last < a.len()));
                assert!(fits(b.len(), k, n) && fits(c.len(), m, n));
                // Rows split in multiples of 12 (the row tiles of both paths;
                // each element is summed in the same order for any split).
                let parts = threads::parts(m * n * k, m / 12);
                let (a, b, c) = (
                    Shared::new(a.as_ptr()),
                    Shared::new(b.as_ptr()),
                    Shared::new(c.as_mut_ptr()),
                );
                threads::par(parts, &|t| {
                    let (i0, i1) = threads::range(m, parts, t, 12);
                    let (a, b, c) = (a.get().cast_const(), b.get().cast_const(), c.get());
                    // SAFETY: `self` proves the CPU features of `$outer`.
                    // `outer` reads `a[i * rsa + p * csa]`, `i0 <= i < i1 <=
                    // m`, `p < k`, at most `(m - 1) rsa + (k - 1) csa <
                    // a.len()` (checked without overflow above; nothing is
                    // read when `m` or `k` is 0); `b[p * n + j]` below `k * n
                    // <= b.len()`; writes rows `i0 .. i1` of `c`, below `m * n
                    // <= c.len()` (`a` and `b` are only read through
                    // `Shared`). The parts' row ranges are disjoint.
                    unsafe {
                        $outer(
                            a.add(i0 * rsa),
                            rsa,
                            csa,
                            b,
                            c.add(i0 * n),
                            i1 - i0,
                            n,
                            Rows::dense(k, n),
                            out,
                        )
                    }
                });
            }

            /// `C[m][n] (+)= A[m][k] * B[k][n]` with row `p` of `B` at
            /// `b[rows.offset(p)..][..n]`, `k = rows.k()`.
            #[inline]
            pub(crate) fn gemm_nn_rows(
                self,
                a: &[f32],
                b: &[f32],
                rows: Rows,
                c: &mut [f32],
                m: usize,
                n: usize,
                out: Out,
            ) {
                let k = rows.k();
                assert!(fits(a.len(), m, k) && fits(c.len(), m, n));
                assert!(k == 0 || rows.span(n).is_some_and(|end| end <= b.len()));
                // SAFETY: `self` proves the CPU features of `$outer`. `a` and
                // `c` are read and written as in `gemm_nn`, within `m * k <=
                // a.len()` and `m * n <= c.len()`. Row `p < k` of `B` is read
                // at `b[rows.offset(p) + j]`, `j < n`, below `rows.span(n)`
                // (the largest offset plus `n`, computed without overflow) `<=
                // b.len()`; with `k == 0` no row is read. All checked above.
                unsafe {
                    $outer(
                        a.as_ptr(),
                        k,
                        1,
                        b.as_ptr(),
                        c.as_mut_ptr(),
                        m,
                        n,
                        rows,
                        out,
                    )
                }
            }
        }
    };
}

entry_points!(Avx2, nt_avx2, outer_avx2);
entry_points!(Avx512, nt_avx512, outer_avx512);

/// # Safety
/// The kernel contract (module docs), for AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
unsafe fn nt_avx2(
    a: *const f32,
    b: *const f32,
    rows: Option<Rows>,
    c: *mut f32,
    ldc: usize,
    m: usize,
    n: usize,
    k: usize,
    acc: bool,
) {
    // 16 ymm registers: 2x4 accumulators + 4 rows of `b` + 1 row of `a`;
    // a vector: 4 rows x 2 accumulators.
    match rows {
        None if m == 1 => gemv::<Avx2, 4>(a, b, c, n, k, acc),
        rows => nt::<Avx2, 2, 4>(
            a,
            b,
            rows.unwrap_or(Rows::dense(n, k)),
            c,
            ldc,
            m,
            n,
            k,
            acc,
        ),
    }
}

/// # Safety
/// The kernel contract (module docs), for AVX-512F, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn nt_avx512(
    a: *const f32,
    b: *const f32,
    rows: Option<Rows>,
    c: *mut f32,
    ldc: usize,
    m: usize,
    n: usize,
    k: usize,
    acc: bool,
) {
    // 32 zmm registers: 4x4 accumulators + 4 rows of `b` + 1 row of `a`
    // (6x4 and 8x3 measured slower); a vector: 8 rows x 2 accumulators.
    match rows {
        None if m == 1 => gemv::<Avx512, 8>(a, b, c, n, k, acc),
        rows => nt::<Avx512, 4, 4>(
            a,
            b,
            rows.unwrap_or(Rows::dense(n, k)),
            c,
            ldc,
            m,
            n,
            k,
            acc,
        ),
    }
}

/// # Safety
/// The kernel contract (module docs), for AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
unsafe fn outer_avx2(
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    c: *mut f32,
    m: usize,
    n: usize,
    rows: Rows,
    out: Out,
) {
    // 6x2 accumulators (6 rows x 16 columns) + 2 of `b` + 1 broadcast.
    outer::<Avx2, 6, 2>(a, rsa, csa, b, c, m, n, rows, out);
}

/// # Safety
/// The kernel contract (module docs), for AVX-512F, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn outer_avx512(
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    c: *mut f32,
    m: usize,
    n: usize,
    rows: Rows,
    out: Out,
) {
    // 4x4 accumulators (4 rows x 64 columns) + 4 of `b` + 1 broadcast.
    outer::<Avx512, 4, 4>(a, rsa, csa, b, c, m, n, rows, out);
}

/// `y[o] = bias[o] + x . weight[o]` for one sample of a small dense layer
/// (`weight` is `[out][inp]`), in SSE2, which every x86-64 CPU has: no
/// detection, no `#[target_feature]` call, so it inlines into the generated
/// `forward` and specialises to its literal sizes. Four rows at a time, one
/// 4-lane accumulator each, the four sums transposed into one vector. The
/// portable loop shapes tried (1, 2, 4 or 8 rows at a time, 4 or 8 lanes,
/// outer-product form) measured slower on the 1-16-16-1 network's forward
/// (W5, see `docs/performance.md`), as the compiler vectorised the 16x16
/// layer across rows with scalar gathers, or reduced each row on its own.
#[cfg(target_feature = "sse2")]
#[inline(always)]
pub(crate) fn dense_small_sse2(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    inp: usize,
    out: usize,
) {
    assert!(x.len() >= inp && y.len() >= out && fits(weight.len(), out, inp));
    let bias = bias.map(|b| &b[..out]);
    let mut o = 0;
    while o + 4 <= out {
        // SAFETY: SSE2 is enabled at compile time (the `cfg` above). Rows
        // `o .. o + 4 <= out` of `weight` end at `(o + 4) * inp <= out * inp
        // <= weight.len()`, and `sse2_dots` reads `x[..inp]`, `x.len() >=
        // inp`, both checked by the assert above.
        let mut s = unsafe { sse2_dots::<4>(x.as_ptr(), weight.as_ptr().add(o * inp), inp) };
        if let Some(b) = bias {
            // SAFETY: `b[o..o + 4]` is in bounds, `b.len() == out >= o + 4`.
            s = unsafe { _mm_add_ps(s, _mm_loadu_ps(b.as_ptr().add(o))) };
        }
        // SAFETY: `y[o..o + 4]` is in bounds, `y.len() >= out >= o + 4`.
        unsafe { _mm_storeu_ps(y.as_mut_ptr().add(o), s) };
        o += 4;
    }
    while o < out {
        // SAFETY: as above, for the one row `o < out`.
        let s = unsafe {
            _mm_cvtss_f32(sse2_dots::<1>(
                x.as_ptr(),
                weight.as_ptr().add(o * inp),
                inp,
            ))
        };
        y[o] = s + bias.map_or(0.0, |b| b[o]);
        o += 1;
    }
}

/// The dot products of `x[..k]` with the `R` (1 or 4) rows of length `k` at
/// `w`, in the first `R` lanes.
///
/// # Safety
/// SSE2 is enabled; `x[..k]` and `w[..R * k]` are readable.
#[cfg(target_feature = "sse2")]
#[inline(always)]
unsafe fn sse2_dots<const R: usize>(x: *const f32, w: *const f32, k: usize) -> __m128 {
    let mut a = [_mm_setzero_ps(); R];
    let mut p = 0;
    while p + 4 <= k {
        let xv = _mm_loadu_ps(x.add(p));
        for r in 0..R {
            a[r] = _mm_add_ps(a[r], _mm_mul_ps(xv, _mm_loadu_ps(w.add(r * k + p))));
        }
        p += 4;
    }
    let mut s = if R == 4 {
        // Transpose-reduce: lane r = the sum of the lanes of a[r].
        let s01 = _mm_add_ps(_mm_unpacklo_ps(a[0], a[1]), _mm_unpackhi_ps(a[0], a[1]));
        let s23 = _mm_add_ps(_mm_unpacklo_ps(a[2], a[3]), _mm_unpackhi_ps(a[2], a[3]));
        _mm_add_ps(_mm_movelh_ps(s01, s23), _mm_movehl_ps(s23, s01))
    } else {
        let v = _mm_add_ps(a[0], _mm_movehl_ps(a[0], a[0]));
        _mm_add_ss(v, _mm_shuffle_ps::<1>(v, v))
    };
    if p < k {
        let mut t = [0.0f32; 4];
        for r in 0..R {
            for q in p..k {
                t[r] += *x.add(q) * *w.add(r * k + q);
            }
        }
        s = _mm_add_ps(s, _mm_loadu_ps(t.as_ptr()));
    }
    s
}

/// One vector register type and the few operations the kernels need.
trait Simd: Copy {
    /// Lanes per vector.
    const W: usize;
    type V: Copy;
    unsafe fn zero() -> Self::V;
    unsafe fn splat(x: f32) -> Self::V;
    unsafe fn load(p: *const f32) -> Self::V;
    /// Loads `len < W` lanes, zero in the others.
    unsafe fn load_part(p: *const f32, len: usize) -> Self::V;
    unsafe fn store(p: *mut f32, v: Self::V);
    /// Stores the first `len < W` lanes.
    unsafe fn store_part(p: *mut f32, len: usize, v: Self::V);
    /// `a * b + c`, one rounding.
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    /// `a - b`.
    unsafe fn sub(a: Self::V, b: Self::V) -> Self::V;
    /// `a * b`.
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// The sum of the lanes.
    unsafe fn hsum(v: Self::V) -> f32;
    /// The sums of the lanes of four vectors.
    unsafe fn hsum4(v: [Self::V; 4]) -> [f32; 4];
}

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

/// `out[j]` = the sum of the lanes of `v[j]`, four at a time.
#[inline(always)]
unsafe fn reduce<S: Simd, const NR: usize>(v: &[S::V; NR]) -> [f32; NR] {
    let mut out = [0.0; NR];
    let mut j = 0;
    while j + 4 <= NR {
        out[j..j + 4].copy_from_slice(&S::hsum4([v[j], v[j + 1], v[j + 2], v[j + 3]]));
        j += 4;
    }
    while j < NR {
        out[j] = S::hsum(v[j]);
        j += 1;
    }
    out
}

/// `C[m][n] (+)= A[m][k] * B[n][k]^T`, row `j` of `B` where `rows` puts it
/// (from `b`), row `i` of `C` at `c + i * ldc`: tiles of `MR` rows of `A` by
/// `NR` rows of `B`, then the leftover rows and columns.
#[inline(always)]
unsafe fn nt<S: Simd, const MR: usize, const NR: usize>(
    a: *const f32,
    b: *const f32,
    rows: Rows,
    c: *mut f32,
    ldc: usize,
    m: usize,
    n: usize,
    k: usize,
    acc: bool,
) {
    let mut i = 0;
    while i + MR <= m {
        nt_row::<S, MR, NR>(a.add(i * k), b, rows, c.add(i * ldc), ldc, n, k, acc);
        i += MR;
    }
    // The leftover rows in tiles of 3, 2 or 1 rows: every tile streams all
    // of `B` once, so one row at a time would read it `m % MR` times.
    while i < m {
        let (a, c) = (a.add(i * k), c.add(i * ldc));
        i += match m - i {
            1 => nt_row::<S, 1, NR>(a, b, rows, c, ldc, n, k, acc),
            2 => nt_row::<S, 2, NR>(a, b, rows, c, ldc, n, k, acc),
            _ => nt_row::<S, 3, NR>(a, b, rows, c, ldc, n, k, acc),
        };
    }
}

/// `MR` rows of `C`: every column, `NR` at a time. Returns `MR`.
#[inline(always)]
unsafe fn nt_row<S: Simd, const MR: usize, const NR: usize>(
    a: *const f32,
    b: *const f32,
    rows: Rows,
    c: *mut f32,
    ldc: usize,
    n: usize,
    k: usize,
    acc: bool,
) -> usize {
    let mut cursor = rows.cursor();
    let mut j = 0;
    while j + NR <= n {
        let mut brows = [b; NR];
        for row in &mut brows {
            *row = b.add(cursor.next_offset());
        }
        nt_tile::<S, MR, NR>(a, brows, c.add(j), ldc, k, acc);
        j += NR;
    }
    while j < n {
        nt_tile::<S, MR, 1>(a, [b.add(cursor.next_offset())], c.add(j), ldc, k, acc);
        j += 1;
    }
    MR
}

/// The `MR x NR` block of `C` at `c` (row stride `ldc`): `MR` dot products
/// of rows of `a` with the `NR` rows at `b`, each of length `k`.
#[inline(always)]
unsafe fn nt_tile<S: Simd, const MR: usize, const NR: usize>(
    a: *const f32,
    b: [*const f32; NR],
    c: *mut f32,
    ldc: usize,
    k: usize,
    acc: bool,
) {
    let mut s = [[S::zero(); NR]; MR];
    let mut bv = [S::zero(); NR];
    let mut p = 0;
    while p + S::W <= k {
        for j in 0..NR {
            bv[j] = S::load(b[j].add(p));
        }
        for i in 0..MR {
            let av = S::load(a.add(i * k + p));
            for j in 0..NR {
                s[i][j] = S::fma(av, bv[j], s[i][j]);
            }
        }
        p += S::W;
    }
    if p < k {
        let len = k - p;
        for j in 0..NR {
            bv[j] = S::load_part(b[j].add(p), len);
        }
        for i in 0..MR {
            let av = S::load_part(a.add(i * k + p), len);
            for j in 0..NR {
                s[i][j] = S::fma(av, bv[j], s[i][j]);
            }
        }
    }
    for i in 0..MR {
        let sums = reduce::<S, NR>(&s[i]);
        for j in 0..NR {
            let cp = c.add(i * ldc + j);
            *cp = if acc { *cp + sums[j] } else { sums[j] };
        }
    }
}

/// `c[n] (+)= B[n][k] * a[k]` (`nt` with `m = 1`): `NR` rows of `B` at a
/// time, two accumulators per row (two vectors of each row per step).
///
/// Loads of `B` are aligned to the vector width (see [`gemv_tile`]): a
/// `Box`ed parameter block is only 4-byte aligned, and unaligned 512-bit loads
/// streaming from L2 split a cache line every time, which measured slower on
/// the 784x128 layer (see `docs/performance.md`).
/// Software prefetching measured slower still once the loads are aligned
/// (the L2 streamer keeps up), and so did 1, 2 or 4 rows at a time.
#[inline(always)]
unsafe fn gemv<S: Simd, const NR: usize>(
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    n: usize,
    k: usize,
    acc: bool,
) {
    let mut j = 0;
    while j + NR <= n {
        gemv_tile::<S, NR>(a, b.add(j * k), c.add(j), k, acc);
        j += NR;
    }
    while j < n {
        gemv_tile::<S, 1>(a, b.add(j * k), c.add(j), k, acc);
        j += 1;
    }
}

/// `NR` dot products of `a[k]` with the rows of `B` at `b`. A partial vector
/// first (`h < W` elements, up to the next `W * 4`-byte boundary of `b`)
/// makes the loads of the first row aligned, and those of every row when
/// `k` is a multiple of `W`; the loads of `a` are unaligned then, but `a` is
/// reread for every row and stays in L1.
#[inline(always)]
unsafe fn gemv_tile<S: Simd, const NR: usize>(
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    k: usize,
    acc: bool,
) {
    let mut s0 = [S::zero(); NR];
    let mut s1 = [S::zero(); NR];
    let misaligned = (b.addr() / 4) % S::W;
    let h = if misaligned == 0 {
        0
    } else {
        (S::W - misaligned).min(k)
    };
    if h > 0 {
        let a1 = S::load_part(a, h);
        for j in 0..NR {
            s1[j] = S::fma(a1, S::load_part(b.add(j * k), h), s1[j]);
        }
    }
    let mut p = h;
    while p + 2 * S::W <= k {
        let a0 = S::load(a.add(p));
        let a1 = S::load(a.add(p + S::W));
        for j in 0..NR {
            s0[j] = S::fma(a0, S::load(b.add(j * k + p)), s0[j]);
            s1[j] = S::fma(a1, S::load(b.add(j * k + p + S::W)), s1[j]);
        }
        p += 2 * S::W;
    }
    if p + S::W <= k {
        let a0 = S::load(a.add(p));
        for j in 0..NR {
            s0[j] = S::fma(a0, S::load(b.add(j * k + p)), s0[j]);
        }
        p += S::W;
    }
    if p < k {
        let len = k - p;
        let a1 = S::load_part(a.add(p), len);
        for j in 0..NR {
            s1[j] = S::fma(a1, S::load_part(b.add(j * k + p), len), s1[j]);
        }
    }
    for j in 0..NR {
        s0[j] = S::add(s0[j], s1[j]);
    }
    let sums = reduce::<S, NR>(&s0);
    for j in 0..NR {
        let cp = c.add(j);
        *cp = if acc { *cp + sums[j] } else { sums[j] };
    }
}

/// `C[m][n] (+)= sum_p A(i, p) * B[p][n]` with `A(i, p) = a[i * rsa + p * csa]`
/// and row `p < rows.k()` of `B` at `b + rows.offset(p)`: column blocks of
/// `NR` vectors, then single vectors, then a partial one.
#[inline(always)]
unsafe fn outer<S: Simd, const MR: usize, const NR: usize>(
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    c: *mut f32,
    m: usize,
    n: usize,
    rows: Rows,
    out: Out,
) {
    let mut j = 0;
    while j + NR * S::W <= n {
        outer_col::<S, MR, NR, false>(a, rsa, csa, b.add(j), c.add(j), m, n, rows, 0, out);
        j += NR * S::W;
    }
    while j + S::W <= n {
        outer_col::<S, MR, 1, false>(a, rsa, csa, b.add(j), c.add(j), m, n, rows, 0, out);
        j += S::W;
    }
    if j < n {
        outer_col::<S, MR, 1, true>(a, rsa, csa, b.add(j), c.add(j), m, n, rows, n - j, out);
    }
}

/// One column block of `C`: every row, `MR` at a time.
#[inline(always)]
unsafe fn outer_col<S: Simd, const MR: usize, const NR: usize, const PART: bool>(
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    c: *mut f32,
    m: usize,
    n: usize,
    rows: Rows,
    len: usize,
    out: Out,
) {
    let mut i = 0;
    while i + MR <= m {
        outer_tile::<S, MR, NR, PART>(a.add(i * rsa), csa, b, c.add(i * n), n, rows, rsa, len, out);
        i += MR;
    }
    // The leftover rows in tiles of 3, 2 or 1 rows (each tile streams its
    // columns of `B` once).
    while i < m {
        let (a, c) = (a.add(i * rsa), c.add(i * n));
        i += match m - i {
            1 => outer_tile::<S, 1, NR, PART>(a, csa, b, c, n, rows, rsa, len, out),
            2 => outer_tile::<S, 2, NR, PART>(a, csa, b, c, n, rows, rsa, len, out),
            _ => outer_tile::<S, 3, NR, PART>(a, csa, b, c, n, rows, rsa, len, out),
        };
    }
}

/// The `MR x NR`-vector block of `C` at `c` (row stride `n`): `sum_p A(i, p)
/// * B[p][..]`, row `p` of `B` where `rows` puts it (from `b`). With `PART`, `NR` is 1 and the
/// block is the first `len < W` columns. Returns `MR`.
#[inline(always)]
unsafe fn outer_tile<S: Simd, const MR: usize, const NR: usize, const PART: bool>(
    a: *const f32,
    csa: usize,
    b: *const f32,
    c: *mut f32,
    n: usize,
    rows: Rows,
    rsa: usize,
    len: usize,
    out: Out,
) -> usize {
    let mut s = [[S::zero(); NR]; MR];
    let mut bv = [S::zero(); NR];
    let ([d0, d1, d2], [s0, s1, s2]) = (rows.dims, rows.strides);
    let mut p = 0;
    for i0 in 0..d0 {
        for i1 in 0..d1 {
            let base = b.add(i0 * s0 + i1 * s1);
            for i2 in 0..d2 {
                let brow = base.add(i2 * s2);
                for j in 0..NR {
                    bv[j] = if PART {
                        S::load_part(brow, len)
                    } else {
                        S::load(brow.add(j * S::W))
                    };
                }
                let ap = a.add(p * csa);
                p += 1;
                for i in 0..MR {
                    let av = S::splat(*ap.add(i * rsa));
                    for j in 0..NR {
                        s[i][j] = S::fma(av, bv[j], s[i][j]);
                    }
                }
            }
        }
    }
    for i in 0..MR {
        let crow = c.add(i * n);
        for j in 0..NR {
            let cp = crow.add(j * S::W);
            let old = || {
                if PART {
                    S::load_part(cp, len)
                } else {
                    S::load(cp)
                }
            };
            let v = match out {
                Out::Set => s[i][j],
                Out::Add => S::add(old(), s[i][j]),
                // `c - lr s`, the bits of an SGD step on the stored product.
                Out::Descend(lr) => S::sub(old(), S::mul(S::splat(lr), s[i][j])),
            };
            if PART {
                S::store_part(cp, len, v);
            } else {
                S::store(cp, v);
            }
        }
    }
    MR
}

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
    pub(crate) fn maxpool2x2_forward(self, x: &[f32], y: &mut [f32], g: Pool2x2) {
        g.check(x.len(), y.len());
        // SAFETY: `self` proves AVX-512F. `pool_fwd` reads rows `2r, 2r + 1
        // < in_h` of each plane `< planes`, columns `< 2 out_w <= in_w`, and
        // writes `out_w` values of row `r < out_h` of each output plane, all
        // below the lengths checked above (masked lanes are not accessed).
        unsafe { pool_fwd(x.as_ptr(), y.as_mut_ptr(), g) }
    }

    /// The gradient of [`Self::maxpool2x2_forward`]: each `gy` to the first
    /// element of its window equal to `y` (or the first NaN for a NaN `y`),
    /// `0.0 + gy` there, `0.0` elsewhere, overwriting `gx`.
    pub(crate) fn maxpool2x2_backward(
        self,
        x: &[f32],
        y: &[f32],
        gy: &[f32],
        gx: &mut [f32],
        g: Pool2x2,
    ) {
        g.check(x.len(), y.len());
        g.check(gx.len(), gy.len());
        // SAFETY: `self` proves AVX-512F. `pool_bwd` reads `x` and writes
        // `gx` where `pool_fwd` reads `x` (plus, for odd sizes, the whole
        // plane of `gx`, zeroed first), and reads `y` and `gy` where it
        // writes `y`; all below the lengths checked above.
        unsafe { pool_bwd(x.as_ptr(), y.as_ptr(), gy.as_ptr(), gx.as_mut_ptr(), g) }
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

/// The lanes where `v` is the window's maximum `m` (equal, or both NaN).
#[inline(always)]
unsafe fn hit(v: __m512, m: __m512) -> __mmask16 {
    let both_nan =
        _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v) & _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(m, m);
    _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(v, m) | both_nan
}

/// # Safety
/// AVX-512F; the bounds of [`Avx512::maxpool2x2_forward`].
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
/// AVX-512F; the bounds of [`Avx512::maxpool2x2_backward`].
#[target_feature(enable = "avx512f")]
unsafe fn pool_bwd(x: *const f32, y: *const f32, gy: *const f32, gx: *mut f32, g: Pool2x2) {
    let covered = 2 * g.out_h == g.in_h && 2 * g.out_w == g.in_w;
    if !covered {
        core::ptr::write_bytes(gx, 0, g.planes * g.in_h * g.in_w);
    }
    let zero = _mm512_setzero_ps();
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
                let d = _mm512_add_ps(zero, _mm512_maskz_loadu_ps(mask16(n), gy.add(o + c)));
                let (a0, a1) = deinterleave(r0.add(2 * c), n);
                let (b0, b1) = deinterleave(r1.add(2 * c), n);
                // The first hit of each window, in the order a0 a1 b0 b1.
                let h0 = hit(a0, m);
                let h1 = hit(a1, m) & !h0;
                let h2 = hit(b0, m) & !(h0 | h1);
                let h3 = hit(b1, m) & !(h0 | h1 | h2);
                let (g0, g1) = (_mm512_maskz_mov_ps(h0, d), _mm512_maskz_mov_ps(h1, d));
                interleave_store(q0.add(2 * c), g0, g1, n);
                let (g2, g3) = (_mm512_maskz_mov_ps(h2, d), _mm512_maskz_mov_ps(h3, d));
                interleave_store(q1.add(2 * c), g2, g3, n);
                c += n;
            }
        }
    }
}

/// Asks the CPU to bring the cache lines of `data` into its caches.
#[inline]
pub(crate) fn prefetch(data: &[u8]) {
    for line in data.chunks(64) {
        // SAFETY: a prefetch is a hint: it never faults and changes no
        // memory; the address is inside `data` anyway. SSE, which
        // `_mm_prefetch` needs, is part of the x86-64 baseline.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
    }
}

/// Generates `vectorized` on a token: `f` runs inside a `#[target_feature]`
/// function, so that the loops inlined into it compile for those features.
macro_rules! vectorized {
    ($token:ty, $features:literal) => {
        impl $token {
            /// Calls `f` from a function compiled with this token's
            /// features. `f` and the `#[inline(always)]` functions it calls
            /// inline into it and vectorise with its registers (LLVM inlines
            /// code without target features into code with more). Rust never
            /// contracts `a * b + c` into an FMA, so the results are the bits
            /// `f` gives anywhere else.
            #[inline]
            pub(crate) fn vectorized<R>(self, f: impl FnOnce() -> R) -> R {
                #[target_feature(enable = $features)]
                unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
                    f()
                }
                // SAFETY: the token proves that the CPU has the features
                // `run` is compiled with; `run` only calls `f`, safe code.
                unsafe { run(f) }
            }
        }
    };
}

vectorized!(Avx2, "avx2,fma");
vectorized!(Avx512, "avx512f,avx2,fma");
