//! The matrix products of [`Neon`]: its tile shapes, made into
//! `#[target_feature]` functions and safe entry points by
//! `crate::raw::simd::gemm`'s `instances!`.

use super::isa::Neon;
use crate::raw::simd::gemm::instances;

// 32 q registers of 4 lanes. `nt`: 4x4 accumulators + 4 rows of `b` + 1 row
// of `a`; a vector: 8 rows x 2 accumulators + 2 of `a`. `outer`: 6x4
// accumulators (6 rows x 16 columns) + 4 of `b` + 1 broadcast (6 divides
// the 12-row split of the threads, 4 the 8-column one).
instances!(Neon, "neon", nt_neon: gemv 8, tile 4 x 4; outer_neon: tile 6 x 4);
