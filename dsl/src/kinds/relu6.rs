//! `relu6`: elementwise, any shape; kernels in `runtime/src/kernels/relu6.rs`.
//! PyTorch's `nn.ReLU6`, ONNX's `Clip(0, 6)`.

use super::elementwise::{BackwardReads, Elementwise, Int8};
use super::Spec;
use crate::args::Args;
use crate::layers::Layer;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &[], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[4]",
    declaration: "relu6",
    config: "",
    variants: &[],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(
        Elementwise::new(args.kind(), BackwardReads::Output, true).int8(Int8::Clamp(0.0, Some(6.0))),
    ))
}
