//! AVX2+FMA and AVX-512F kernels for [`crate::kernels`], one concern a file:
//!
//! - [`isa`]: the proof tokens [`Avx2`] and [`Avx512`], CPU feature
//!   detection, and `vectorized` (a closure run under a token's features);
//! - [`simd`]: the vector register type of each token, for the matrix
//!   products written once over `crate::raw::simd::Simd`;
//! - [`gemm`]: each token's tile shapes for those products, and the packed
//!   AVX-512 schedule of Intel cores;
//! - [`dense_small`]: an SSE2 (x86-64 baseline) single-sample dense layer;
//! - [`int8`]: the int8 product of `crate::quant::gemv` in AVX2, AVX-512BW
//!   and AVX512_VNNI;
//! - [`int8_tile`]: the tile product of the int8 convolution
//!   (`crate::quant::conv2d`) in AVX2, AVX-512BW and AVX512_VNNI, its loops
//!   written once over a trait of each token's few operations;
//! - [`int8_rq`]: the tiles' rescaling to int8 in vector registers;
//! - [`int8_gather`]: the convolution's gather of receptive fields;
//! - [`maxpool`]: the AVX-512 2x2 max pool;
//! - [`conv_lanes`]: the AVX-512 convolution tiles with output channels in
//!   the lanes.
//!
//! This file plugs the tokens into [`Kernels`], the one dispatch point of
//! `crate::kernels::isa`: each token overrides the kernels it accelerates.
//!
//! # Kernel contract
//! As in `crate::raw::simd`. Masked loads and stores only touch the lanes
//! below `len`, so a partial vector at the end of a slice is in bounds (the
//! hardware suppresses faults on masked-off lanes).
//!
//! # Toolchain
//! The AVX-512 intrinsics and the `avx512f` target feature are stable since
//! Rust 1.89, the workspace's `rust-version`.

mod conv_lanes;
#[cfg(target_feature = "sse2")]
mod dense_small;
mod gemm;
mod int8;
mod int8_gather;
mod int8_rq;
mod int8_tile;
mod isa;
mod maxpool;
mod simd;

#[cfg(target_feature = "sse2")]
pub(crate) use dense_small::dense_small_sse2;
pub(crate) use int8_gather::{gather_words, Words};
#[cfg(any(test, feature = "std"))]
pub(crate) use isa::Int8;
#[cfg(test)]
pub(crate) use isa::Schedule;
pub(crate) use isa::{best_isa, Avx2, Avx512};
pub(crate) use maxpool::Pool2x2;

use crate::kernels::conv2d::LanesGeom;
use crate::kernels::gemm::{Out, Rows, Store};
use crate::kernels::isa::Kernels;
use crate::kernels::maxpool2d::Pool2dGeom;
use crate::quant::conv2d::TileRq;
use crate::raw::fits;
use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};

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

/// What both x86 tokens add to the shared products: `vectorized` ([`isa`]).
/// With `$alt`, see `crate::raw::simd::products`.
macro_rules! products {
    ($($alt:ident)?) => {
        crate::raw::simd::products!($($alt)?);

        #[inline]
        fn vectorized<R>(self, f: impl FnOnce() -> R) -> R {
            self.run_vectorized(f)
        }
    };
}

impl Kernels for Avx2 {
    products!();

    #[inline]
    fn gemv_i8(self, x: &[i8], w: &[i8], wsum: &[i32], acc: &mut [i32]) {
        let _ = wsum;
        self.int8_gemv(x, w, acc);
    }

    #[inline]
    fn conv_i8_tile(self, cols: &[i8], k4: usize, wpack: &[i8], rq: &TileRq, out: &mut [[i8; 16]]) {
        self.int8_tile(cols, k4, wpack, rq, out);
    }
}

impl Kernels for Avx512 {
    // The packed schedule's products where the token has it (Intel).
    products!(packed);

    /// VNNI, else AVX-512BW, else AVX2, as the token proves.
    #[inline]
    fn gemv_i8(self, x: &[i8], w: &[i8], wsum: &[i32], acc: &mut [i32]) {
        self.int8_gemv(x, w, wsum, acc);
    }

    /// VNNI, else AVX-512BW, else AVX2, as the token proves.
    #[inline]
    fn conv_i8_tile(self, cols: &[i8], k4: usize, wpack: &[i8], rq: &TileRq, out: &mut [[i8; 16]]) {
        self.int8_tile(cols, k4, wpack, rq, out);
    }

    #[inline]
    fn conv_lanes(self) -> usize {
        16
    }

    #[inline]
    fn conv_lanes_forward(
        self,
        x: &[f32],
        wt: &[f32],
        bias: Option<&[f32]>,
        relu: bool,
        y: &mut [f32],
        ocg: usize,
        g: &LanesGeom,
    ) {
        self.lanes_forward(x, wt, bias, relu, y, ocg, g);
    }

    #[inline]
    fn transpose(self, src: &[f32], dst: &mut [f32], rows: usize, cols: usize) {
        Avx512::transpose(self, src, dst, rows, cols);
    }

    #[inline]
    fn conv_lanes_dgrad(self, w: &[f32], gyw: &[f32], gxp: &mut [f32], ocg: usize, g: &LanesGeom) {
        self.lanes_dgrad(w, gyw, gxp, ocg, g);
    }

    #[inline]
    fn conv_lanes_wgrad(self, x: &[f32], gyt: &[f32], acc: &mut [f32], ocg: usize, g: &LanesGeom) {
        self.lanes_wgrad(x, gyt, acc, ocg, g);
    }

    /// 16 windows at a time.
    #[inline]
    fn maxpool2x2_forward(self, x: &[f32], y: &mut [f32], g: &Pool2dGeom) {
        self.maxpool2x2_fwd(x, y, g.as_2x2(x.len()));
    }

    /// 16 windows at a time, or two rows of at most 8 windows a vector.
    #[inline]
    fn maxpool2x2_backward(
        self,
        x: &[f32],
        y: &[f32],
        gy: &[f32],
        gx: &mut [f32],
        g: &Pool2dGeom,
        relu: bool,
    ) {
        self.maxpool2x2_bwd(x, y, gy, gx, g.as_2x2(x.len()), relu);
    }
}
