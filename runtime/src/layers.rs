//! Parameter blocks of the layer kinds, as fixed-size arrays in PyTorch layout.
//!
//! A generated network is a `#[repr(C)]` struct with one field per
//! parameterised layer, each of one of these types.

use bytemuck::Zeroable;

/// Parameters of `dense(O)` on an input of `I` features: PyTorch's
/// `nn.Linear(I, O)`, `weight` is `[out][in]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
pub struct Dense<const I: usize, const O: usize> {
    /// `[out][in]`
    pub weight: [[f32; I]; O],
    /// `[out]`
    pub bias: [f32; O],
}

/// Parameters of `dense(O, bias = false)`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
pub struct DenseNoBias<const I: usize, const O: usize> {
    /// `[out][in]`
    pub weight: [[f32; I]; O],
}

impl<const I: usize, const O: usize> Dense<I, O> {
    /// All zeros, for `static` initialisers.
    pub const ZEROED: Self = Self {
        weight: [[0.0; I]; O],
        bias: [0.0; O],
    };
}

impl<const I: usize, const O: usize> DenseNoBias<I, O> {
    /// All zeros, for `static` initialisers.
    pub const ZEROED: Self = Self {
        weight: [[0.0; I]; O],
    };
}
