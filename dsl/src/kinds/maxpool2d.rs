//! `maxpool2d(k, stride = k, padding = 0)`: PyTorch's `nn.MaxPool2d`
//! (`ceil_mode=False`, no dilation) on `[C, H, W]`; `k`, `stride` and
//! `padding` take `n` or `(h, w)`, padding at most half the window and
//! `-inf`, so it never wins. Kernels in `runtime/src/kernels/maxpool2d.rs`.

use super::{pool, Spec};
use crate::args::Args;
use crate::layers::Layer;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["kernel"], &["stride", "padding"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[2, 8, 8]",
    declaration: "maxpool2d(2)",
    config: "kernel=(2, 2), stride=(2, 2)",
    variants: &["maxpool2d(2, stride = 1)", "maxpool2d(2, padding = 1)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    pool::build(args, pool::Reduce::Max)
}
