//! `lstm(hidden, sequence = true)`: PyTorch's `nn.LSTM` (gates i, f, g, o).
//! Shared code in `recurrent.rs`; the cell in `runtime/src/kernels/lstm.rs`.

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
    declaration: "lstm(4)",
    config: "sequence=true",
    variants: &["lstm(4, sequence = false)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(Recurrent {
        cell: quote!(lstm::Lstm),
        gates: 4,
        state: 1,
        save: 4,
        hidden: args.positive(0, "hidden")?,
        sequence: args.flag("sequence", true)?,
        config: String::new(),
    }))
}
