//! `avgpool2d(k, stride = k, padding = 0, count_include_pad = true)`:
//! PyTorch's `nn.AvgPool2d` (`ceil_mode=False`) on `[C, H, W]`; `k`, `stride`
//! and `padding` take `n` or `(h, w)`, padding at most half the window.
//! Padding is zeros, counted in each window's divisor unless
//! `count_include_pad = false` (ONNX `AveragePool`'s default). Kernels in
//! `runtime/src/kernels/avgpool2d.rs`.

use super::{pool, Spec};
use crate::args::Args;
use crate::layers::Layer;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(
    &["kernel"],
    &["stride", "padding", "count_include_pad"],
    build,
);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[2, 8, 8]",
    declaration: "avgpool2d(2)",
    config: "kernel=(2, 2), stride=(2, 2)",
    variants: &[
        "avgpool2d(2, stride = 1)",
        "avgpool2d(2, padding = 1)",
        "avgpool2d(2, count_include_pad = false)",
    ],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    pool::build(
        args,
        pool::Reduce::Avg {
            count_include_pad: true,
        },
    )
}
