//! `gelu(approximate = "none")`: elementwise, any shape; kernels in
//! `runtime/src/kernels/gelu.rs`. PyTorch's `nn.GELU(approximate)`: the exact
//! (erf) form by default, `approximate = "tanh"` the tanh approximation
//! (its own kernels, `gelu_tanh_*`).

use super::elementwise::{BackwardReads, Elementwise};
use super::Spec;
use crate::args::Args;
use crate::layers::Layer;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &["approximate"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[4]",
    declaration: "gelu",
    config: "",
    variants: &["gelu(approximate = \"tanh\")"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    let layer = Elementwise::new(args.kind(), BackwardReads::Input, true);
    Ok(Box::new(
        match args.named_choice("approximate", "none", &["none", "tanh"])? {
            "tanh" => layer
                .variant("gelu_tanh")
                .config("approximate=\"tanh\"".to_string()),
            _ => layer,
        },
    ))
}
