//! `maxpool2d(k, stride = k)`: PyTorch's `nn.MaxPool2d` without padding on
//! `[C, H, W]`; `k` and `stride` take `n` or `(h, w)`. Kernels in
//! `runtime/src/kernels/maxpool2d.rs`.

use super::{pool, Spec};
use crate::args::Args;
use crate::layers::Layer;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(pool::ARGS.0, pool::ARGS.1, build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[2, 8, 8]",
    declaration: "maxpool2d(2)",
    config: "kernel=(2, 2), stride=(2, 2)",
    variants: &["maxpool2d(2, stride = 1)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    pool::build(args, true)
}
