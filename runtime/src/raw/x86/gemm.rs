//! The matrix products of [`Avx2`] and [`Avx512`]: their tile shapes, made
//! into `#[target_feature]` functions and safe entry points by
//! `crate::raw::simd::gemm`'s `instances!`, and those of [`Packed`], the
//! AVX-512 schedule of Intel cores (`Schedule::Packed`, see [`super::isa`]).
//!
//! Which shape runs where: AVX2 everywhere it is the best level; AVX-512
//! on AMD (Zen 4) and every other non-Intel CPU, [`Packed`] on Intel.

use super::isa::{Avx2, Avx512, Schedule};
use crate::kernels::gemm::{Out, Rows};
use crate::raw::simd::gemm::{entry_points, instances};
use crate::raw::simd::{packed, tiles};

// 16 ymm registers. `nt`: 2x4 accumulators + 4 rows of `b` + 1 row of `a`;
// a vector: 4 rows x 2 accumulators. `outer`: 6x2 accumulators (6 rows x 16
// columns) + 2 of `b` + 1 broadcast.
instances!(Avx2, "avx2,fma", nt_avx2: gemv 4, tile 2 x 4; outer_avx2: tile 6 x 2);

// 32 zmm registers. `nt`: 4x4 accumulators + 4 rows of `b` + 1 row of `a`
// (6x4 and 8x3 measured slower); a vector: 8 rows x 2 accumulators.
// `outer`: 4x4 accumulators (4 rows x 64 columns) + 4 of `b` + 1 broadcast.
instances!(
    Avx512,
    "avx512f,avx2,fma",
    nt_avx512: gemv 8, tile 4 x 4;
    outer_avx512: tile 4 x 4
);

/// Proof of an [`Avx512`] token's features, whose products run the packed
/// schedule: made only by [`Avx512::packed`].
///
/// For a core with two 512-bit FMA ports (4-cycle latency, so 8 chains in
/// flight) and two loads a cycle. Both products are outer-product tiles of
/// 12 rows x 2 vectors (32 columns): 24 accumulators, 2 vectors of `B` and
/// 1 broadcast of 32 registers, 2 loads and 12 broadcasts per 24 FMAs, so
/// 7 of the 12 cycles' load slots (the shape of BLIS's `skx` sgemm kernel,
/// 32x12 in its column-major terms). `nt` reads `B` from a panel packed in
/// L1 ([`packed`]); `outer`'s `B` is row-major already, and its 32 columns
/// per tile halve the bytes per FMA that the 4x4 tile reads from `B`.
/// A vector (`m = 1`) keeps the 8-row GEMV, bound by L2 either way.
#[derive(Clone, Copy, Debug)]
pub(super) struct Packed(());

impl Avx512 {
    /// The token of the packed schedule, if this token has it.
    #[inline]
    pub(super) fn packed(self) -> Option<Packed> {
        (self.schedule() == Schedule::Packed).then_some(Packed(()))
    }
}

/// # Safety
/// The kernel contract (`crate::raw::simd`), for AVX-512F.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn nt_packed(
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
    let rows_or_dense = rows.unwrap_or(Rows::dense(n, k));
    match rows {
        // Aligned loads of `B` shifted into place (`vpermt2ps`, one uop on
        // port 5 of these cores): unaligned 512-bit loads measured 1.6x
        // slower on a Sapphire Rapids core. Zen 4 loads unaligned instead.
        None if m == 1 => tiles::gemv::<Avx512, 8, true>(a, b, c, n, k, acc),
        // Fewer than 16 columns in all (`ldc`, whatever the thread split):
        // a panel would be mostly padding, and `B` has at most 15 rows.
        _ if ldc < 16 => tiles::nt::<Avx512, 4, 4>(a, b, rows_or_dense, c, ldc, m, n, k, acc),
        _ => packed::nt::<Avx512, 12>(a, b, rows_or_dense, c, ldc, m, n, k, acc),
    }
}

/// # Safety
/// The kernel contract (`crate::raw::simd`), for AVX-512F.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn outer_packed(
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
    tiles::outer::<Avx512, 12, 2>(a, rsa, csa, b, c, m, n, rows, out);
}

entry_points!(Packed, nt_packed, outer_packed);
