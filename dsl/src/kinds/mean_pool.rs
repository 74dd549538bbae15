//! `mean_pool`: `[T, E]` to `[E]`, the mean over the steps of a sequence
//! (a Transformer classifier's pooling). Kernels in
//! `runtime/src/kernels/mean_pool.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Cx, Layer, Plan};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct MeanPool;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &[], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[5, 4]",
    declaration: "mean_pool",
    config: "",
    variants: &[],
};

fn build(_args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(MeanPool))
}

impl Layer for MeanPool {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let (_, e) = shape::sequence(input)?;
        Ok(Plan::new(Shape::new(vec![e])?, String::new()))
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, x, y, b) = (&cx.rt, &cx.x, &cx.y, &cx.batch);
        let (t, e) = (cx.input.0[0], cx.input.0[1]);
        quote!(#rt::kernels::mean_pool::mean_pool_forward(#x, #y, #b, #t, #e);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, gy, gx, b) = (&cx.rt, &cx.gy, &cx.gx, &cx.batch);
        let (t, e) = (cx.input.0[0], cx.input.0[1]);
        quote!(if let Some(gx) = #gx { #rt::kernels::mean_pool::mean_pool_backward(#gy, gx, #b, #t, #e); })
    }
}
