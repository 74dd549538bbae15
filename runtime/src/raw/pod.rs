//! `Pod` for the const-generic layer parameter blocks.

use crate::layers::{Dense, DenseNoBias};
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
