//! `hardsigmoid(alpha = 1/6, beta = 0.5)`: elementwise, any shape; kernels in
//! `runtime/src/kernels/hardsigmoid.rs`. ONNX's `HardSigmoid(alpha, beta)`;
//! the defaults are PyTorch's `nn.Hardsigmoid` (`relu6(x + 3) / 6`).

use super::elementwise::{BackwardReads, Elementwise};
use super::Spec;
use crate::args::Args;
use crate::layers::Layer;
use quote::quote;
use syn::spanned::Spanned;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &["alpha", "beta"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[4]",
    declaration: "hardsigmoid",
    config: "alpha=0.16666667, beta=0.5",
    variants: &["hardsigmoid(alpha = 0.2)", "hardsigmoid(beta = 0.25)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    let (alpha, alpha_expr) = args.named_finite("alpha", 1.0 / 6.0)?;
    let (beta, _) = args.named_finite("beta", 0.5)?;
    if let Some(expr) = alpha_expr.filter(|_| alpha <= 0.0) {
        return Err(syn::Error::new(
            expr.span(),
            format!(
                "{}: `alpha` must be greater than 0, found {alpha}",
                args.kind()
            ),
        ));
    }
    let layer = Elementwise::new(args.kind(), BackwardReads::Output, false);
    let config = format!("alpha={alpha:?}, beta={beta:?}");
    Ok(Box::new(layer.args(quote!(, #alpha, #beta)).config(config)))
}
