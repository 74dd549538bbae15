//! The matrix products of [`Avx2`] and [`Avx512`]: their tile shapes, made
//! into `#[target_feature]` functions and safe entry points by
//! `crate::raw::simd::gemm`'s `instances!`.

use super::isa::{Avx2, Avx512};
use crate::raw::simd::gemm::instances;

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
