//! `softmax`: over the innermost dimension; kernels in
//! `runtime/src/kernels/softmax.rs`. Only allowed last. [`LastAxis`] is
//! shared with `log_softmax`, which differs only in its kernels.

use super::Spec;
use crate::args::Args;
use crate::layers::{Cx, Layer, Placement, Plan, Quant};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// A normalisation over the innermost dimension, only allowed last; its
/// kernels are `kernels::<kind>::<kind>_{forward, backward}(x or y, ...)`,
/// the backward reading the output.
pub struct LastAxis {
    pub kind: &'static str,
}

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &[], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[4]",
    declaration: "softmax",
    config: "",
    variants: &[],
};

fn build(_args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(LastAxis { kind: "softmax" }))
}

/// `(rows, n)`: rows of the innermost dimension in a batch.
fn rows(cx: &Cx) -> (TokenStream, usize) {
    let n = cx.output.last();
    let per_sample = cx.output.len() / n;
    let batch = &cx.batch;
    (quote!(#batch * #per_sample), n)
}

impl Layer for LastAxis {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let mut plan = Plan::new(shape::elementwise(input)?, String::new());
        plan.placement = Some(Placement::LastOnly(
            "for training, end with logits and use `loss::softmax_cross_entropy`",
        ));
        Ok(plan.stateless_step())
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, x, y) = (&cx.rt, &cx.x, &cx.y);
        let (rows, n) = rows(cx);
        let (module, f) = (format_ident!("{}", self.kind), format_ident!("{}_forward", self.kind));
        quote!(#rt::kernels::#module::#f(#x, #y, #rows, #n);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, y, gy, gx) = (&cx.rt, &cx.y, &cx.gy, &cx.gx);
        let (rows, n) = rows(cx);
        let (module, f) = (format_ident!("{}", self.kind), format_ident!("{}_backward", self.kind));
        quote!(if let Some(gx) = #gx { #rt::kernels::#module::#f(#y, #gy, gx, #rows, #n); })
    }
    fn quant(&self, _cx: &Cx) -> Option<Quant> {
        Some(Quant::Dropped)
    }
}
