//! Kernels over flat slices, one file per op, `<op>_forward` and
//! `<op>_backward` side by side. Shapes are arguments; lengths are
//! `debug_assert!`ed; no kernel allocates or fails.

pub mod dense;
pub mod dropout;
pub mod flatten;
pub mod gelu;
pub mod gemm;
pub mod leaky_relu;
pub mod relu;
pub mod sigmoid;
pub mod softmax;
pub mod tanh;
