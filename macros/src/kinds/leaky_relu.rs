//! `leaky_relu(alpha)`: elementwise, any shape; kernels in
//! `runtime/src/kernels/leaky_relu.rs`.

use super::elementwise::{BackwardReads, Elementwise};
use crate::args::Args;
use crate::ast::LayerDef;
use crate::layers::Layer;
use quote::quote;
use syn::spanned::Spanned;

pub fn build(def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
    let args = Args::check("leaky_relu", def, &["alpha"], &[])?;
    let (alpha, expr) = args.float(0, "alpha")?;
    if alpha < 0.0 {
        return Err(syn::Error::new(
            expr.span(),
            format!("leaky_relu: `alpha` must be at least 0, found {alpha}"),
        ));
    }
    Ok(Box::new(Elementwise {
        kind: "leaky_relu",
        reads: BackwardReads::Input,
        extra: quote!(, #alpha),
        relu_like: true,
    }))
}
