//! `leaky_relu(alpha)`: elementwise, any shape; kernels in
//! `runtime/src/kernels/leaky_relu.rs`.

use super::elementwise::{BackwardReads, Elementwise};
use super::Spec;
use crate::args::Args;
use crate::layers::Layer;
use quote::quote;
use syn::spanned::Spanned;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["alpha"], &[], build);

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    let (alpha, expr) = args.float(0, "alpha")?;
    if alpha < 0.0 {
        return Err(syn::Error::new(
            expr.span(),
            format!("{}: `alpha` must be at least 0, found {alpha}", args.kind()),
        ));
    }
    Ok(Box::new(Elementwise {
        kind: args.kind(),
        reads: BackwardReads::Input,
        extra: quote!(, #alpha),
        relu_like: true,
    }))
}
