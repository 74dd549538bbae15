//! `leaky_relu(alpha)`: elementwise, any shape; kernels in
//! `runtime/src/kernels/leaky_relu.rs`.

use super::elementwise::{BackwardReads, Elementwise, Int8};
use super::Spec;
use crate::args::Args;
use crate::layers::Layer;
use quote::quote;
use syn::spanned::Spanned;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["alpha"], &[], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[4]",
    declaration: "leaky_relu(0.1)",
    config: ", 0.1f32",
    variants: &[],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    let (alpha, expr) = args.float(0, "alpha")?;
    if alpha < 0.0 {
        return Err(syn::Error::new(
            expr.span(),
            format!("{}: `alpha` must be at least 0, found {alpha}", args.kind()),
        ));
    }
    let layer =
        Elementwise::new(args.kind(), BackwardReads::Input, true).int8(Int8::Leaky(alpha));
    Ok(Box::new(layer.args(quote!(, #alpha))))
}
