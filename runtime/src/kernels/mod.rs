//! Kernels over flat slices, one file per op, `<op>_forward` and
//! `<op>_backward` side by side. Shapes are arguments; lengths are
//! `debug_assert!`ed; no kernel allocates or fails.

pub mod attention;
pub mod avgpool2d;
pub mod batchnorm;
pub mod conv1d;
pub mod conv2d;
pub mod dense;
pub mod dropout;
pub mod embedding;
pub mod flatten;
pub mod gelu;
pub mod gemm;
pub mod global_avgpool;
pub mod gru;
pub mod layernorm;
pub mod leaky_relu;
pub mod lstm;
pub mod maxpool2d;
pub mod recurrent;
pub mod relu;
pub mod rnn;
pub mod sequence;
pub mod sigmoid;
pub mod softmax;
pub mod tanh;

/// `max(a, b)` as a `const fn`: generated code sizes the shared kernel scratch
/// with it from the kernels' own `scratch_len` functions.
pub const fn max_len(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}
