//! `rnn(hidden, sequence = true, relu = false)`: PyTorch's `nn.RNN`,
//! `nonlinearity="tanh"` or, with `relu = true`, `"relu"`. Shared code in
//! `recurrent.rs`; the cells in `runtime/src/kernels/rnn.rs`.

use super::recurrent::Recurrent;
use super::Spec;
use crate::args::Args;
use crate::layers::Layer;
use quote::quote;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["hidden"], &["sequence", "relu"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[5, 3]",
    declaration: "rnn(4)",
    config: "sequence=true, nonlinearity=tanh",
    variants: &["rnn(4, sequence = false)", "rnn(4, relu = true)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    let relu = args.flag("relu", false)?;
    Ok(Box::new(Recurrent {
        cell: if relu {
            quote!(rnn::RnnRelu)
        } else {
            quote!(rnn::RnnTanh)
        },
        gates: 1,
        state: 0,
        save: 0,
        hidden: args.positive(0, "hidden")?,
        sequence: args.flag("sequence", true)?,
        config: format!(", nonlinearity={}", if relu { "relu" } else { "tanh" }),
    }))
}
