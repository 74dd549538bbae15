//! `gru(hidden, sequence = true)`: PyTorch's `nn.GRU` (gates r, z, n).
//! Shared code in `recurrent.rs`; the cell in `runtime/src/kernels/gru.rs`.

use super::recurrent::Recurrent;
use super::Spec;
use crate::args::Args;
use crate::layers::Layer;
use quote::quote;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["hidden"], &["sequence"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[5, 3]",
    declaration: "gru(4)",
    config: "sequence=true",
    variants: &["gru(4, sequence = false)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(Recurrent {
        cell: quote!(gru::Gru),
        gates: 3,
        state: 0,
        save: 4,
        hidden: args.positive(0, "hidden")?,
        sequence: args.flag("sequence", true)?,
        config: String::new(),
    }))
}
