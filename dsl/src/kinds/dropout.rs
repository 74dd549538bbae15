//! `dropout(p)`: identity at inference; in training a mask drawn from the
//! cache's seeded generator, kept in the cache for backward. Kernels in
//! `runtime/src/kernels/dropout.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Cx, InPlace, Layer, Placement, Plan, Quant, SavedTensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;
use quote::ToTokens;
use syn::spanned::Spanned;

struct Dropout {
    p: f32,
}

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["p"], &[], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[4]",
    declaration: "dropout(0.5), relu",
    config: "p=0.5",
    variants: &[],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    let (p, expr) = args.float(0, "p")?;
    if !(0.0..1.0).contains(&p) {
        return Err(syn::Error::new(
            expr.span(),
            format!(
                "{}: probability must be in [0, 1), found `{}`",
                args.kind(),
                expr.to_token_stream()
            ),
        ));
    }
    Ok(Box::new(Dropout { p }))
}

impl Layer for Dropout {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let output = shape::elementwise(input)?;
        let mask = SavedTensor::per_sample("mask", output.0.clone());
        let mut plan = Plan::new(output, format!("p={:?}", self.p)).stateless_step();
        plan.saved = vec![mask];
        plan.placement = Some(Placement::NotLast("it would drop outputs"));
        plan.in_place = Some(InPlace::Identity);
        Ok(plan)
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, x, y, p) = (&cx.rt, &cx.x, &cx.y, self.p);
        let infer = quote!(#rt::kernels::dropout::dropout_infer(#x, #y););
        match &cx.mode {
            None => infer,
            Some(mode) => {
                let (mask, rng) = (cx.saved("mask"), &cx.rng);
                quote! {
                    match #mode {
                        #rt::Mode::Train => #rt::kernels::dropout::dropout_forward(#x, #y, #mask, #p, #rng),
                        #rt::Mode::Infer => { #infer }
                    }
                }
            }
        }
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, mask, gy, gx) = (&cx.rt, cx.saved("mask"), &cx.gy, &cx.gx);
        quote!(if let Some(gx) = #gx { #rt::kernels::dropout::dropout_backward(#mask, #gy, gx); })
    }
    fn quant(&self, _cx: &Cx) -> Option<Quant> {
        Some(Quant::Identity)
    }
}
