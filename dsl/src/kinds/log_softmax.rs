//! `log_softmax`: PyTorch's `nn.LogSoftmax(dim=-1)`, over the innermost
//! dimension; kernels in `runtime/src/kernels/log_softmax.rs`. Only allowed
//! last, as `softmax`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Cx, Layer, Placement, Plan};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct LogSoftmax;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &[], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[4]",
    declaration: "log_softmax",
    config: "",
    variants: &[],
};

fn build(_args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(LogSoftmax))
}

/// `(rows, n)`: rows of the innermost dimension in a batch.
fn rows(cx: &Cx) -> (TokenStream, usize) {
    let n = cx.output.last();
    let per_sample = cx.output.len() / n;
    let batch = &cx.batch;
    (quote!(#batch * #per_sample), n)
}

impl Layer for LogSoftmax {
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
        quote!(#rt::kernels::log_softmax::log_softmax_forward(#x, #y, #rows, #n);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, y, gy, gx) = (&cx.rt, &cx.y, &cx.gy, &cx.gx);
        let (rows, n) = rows(cx);
        quote!(if let Some(gx) = #gx { #rt::kernels::log_softmax::log_softmax_backward(#y, #gy, gx, #rows, #n); })
    }
}
