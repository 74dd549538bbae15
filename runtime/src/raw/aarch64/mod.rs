//! NEON kernels for [`crate::kernels`] on aarch64, one concern a file:
//!
//! - [`isa`]: the proof token [`Neon`] and its detection;
//! - [`simd`]: its vector register type, for the matrix products written
//!   once over `crate::raw::simd::Simd` (the x86 tokens' tiles);
//! - [`gemm`]: its tile shapes for those products;
//! - [`dense_small`]: a single-sample dense layer with the portable bits.
//!
//! This file plugs the token into [`Kernels`], the one dispatch point of
//! `crate::kernels::isa`: it overrides the matrix products (dense layers,
//! convolutions), and keeps the portable max pool and int8 products.
//!
//! # Kernel contract
//! As in `crate::raw::simd`. A partial vector at the end of a slice is
//! copied lane by lane through a stack buffer, so only the lanes below
//! `len` are read or written.
//!
//! # Results
//! The products use `fmla` (a fused multiply-add, one rounding), as the
//! AVX2 and AVX-512 ones use `vfmadd`: their bits differ from the portable
//! path (a multiply, then an add) and from each other's, and the tests hold
//! them to f64 references. [`dense_small`] keeps the portable order and
//! roundings, so its bits are the portable loop's.

#[cfg(all(target_feature = "neon", not(staticnet_portable)))]
mod dense_small;
mod gemm;
mod isa;
mod simd;

#[cfg(all(target_feature = "neon", not(staticnet_portable)))]
pub(crate) use dense_small::dense_small_neon;
pub(crate) use isa::{best_isa, Neon};

use crate::kernels::gemm::{Out, Rows, Store};
use crate::kernels::isa::Kernels;

impl Kernels for Neon {
    crate::raw::simd::products!();
}
