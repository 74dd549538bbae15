//! `Pod` for the const-generic layer parameter blocks.

use crate::layers::{
    Attention, BatchNorm, BatchNormStats, Conv1d, Conv1dNoBias, Conv2d, Conv2dNoBias, Dense,
    DenseNoBias, Embedding, Recurrent,
};
use bytemuck::Pod;

// SAFETY: `Dense<I, O>` is `#[repr(C)]` with two fields, `[[f32; I]; O]` and
// `[f32; O]`. Both have alignment 4 and a size that is a multiple of 4, so
// `repr(C)` inserts no padding between or after them; every bit pattern is a
// valid `f32`, so every bit pattern is a valid `Dense`. It is `Copy` and
// `'static` (no references), and `Zeroable` by derive.
unsafe impl<const I: usize, const O: usize> Pod for Dense<I, O> {}

// SAFETY: `#[repr(C)]`, a single `[[f32; I]; O]` field: no padding, any bit
// pattern is valid, `Copy + 'static`, `Zeroable` by derive.
unsafe impl<const I: usize, const O: usize> Pod for DenseNoBias<I, O> {}

// SAFETY (the four impls below and the two after them): each type is
// `#[repr(C)]` and all its fields are `f32` arrays (alignment 4, sizes a
// multiple of 4), so there is no padding; every bit pattern is a valid `f32`;
// the types are `Copy + 'static` and `Zeroable` by derive.
unsafe impl<const OC: usize, const ICG: usize, const KH: usize, const KW: usize> Pod
    for Conv2d<OC, ICG, KH, KW>
{
}
// SAFETY: as above.
unsafe impl<const OC: usize, const ICG: usize, const KH: usize, const KW: usize> Pod
    for Conv2dNoBias<OC, ICG, KH, KW>
{
}
// SAFETY: as above.
unsafe impl<const OC: usize, const ICG: usize, const K: usize> Pod for Conv1d<OC, ICG, K> {}
// SAFETY: as above.
unsafe impl<const OC: usize, const ICG: usize, const K: usize> Pod for Conv1dNoBias<OC, ICG, K> {}
// SAFETY: as above.
unsafe impl<const C: usize> Pod for BatchNorm<C> {}
// SAFETY: as above.
unsafe impl<const C: usize> Pod for BatchNormStats<C> {}
// SAFETY: as above: `#[repr(C)]`, four `f32` array fields, no padding.
unsafe impl<const GH: usize, const F: usize, const H: usize> Pod for Recurrent<GH, F, H> {}
// SAFETY: as above: `#[repr(C)]`, one `f32` array field.
unsafe impl<const V: usize, const D: usize> Pod for Embedding<V, D> {}
// SAFETY: as above: `#[repr(C)]`, four `f32` array fields, no padding.
unsafe impl<const E: usize, const E3: usize> Pod for Attention<E, E3> {}
