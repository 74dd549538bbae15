//! `log_softmax`: PyTorch's `nn.LogSoftmax(dim=-1)`, over the innermost
//! dimension; kernels in `runtime/src/kernels/log_softmax.rs`. Only allowed
//! last, as `softmax`, whose [`LastAxis`] it is with other kernels.

use super::softmax::LastAxis;
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
    declaration: "log_softmax",
    config: "",
    variants: &[],
};

fn build(_args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(LastAxis { kind: "log_softmax" }))
}
