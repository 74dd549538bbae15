//! `flatten`: `[d0, d1, ...] -> [d0 * d1 * ...]`; a copy, the storage is
//! already row-major. Kernels in `runtime/src/kernels/flatten.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Cx, InPlace, Layer, Plan, Quant};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct Flatten;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &[], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[2, 3]",
    declaration: "flatten",
    config: "",
    variants: &[],
};

fn build(_args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(Flatten))
}

impl Layer for Flatten {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let mut plan = Plan::new(shape::flatten(input)?, String::new());
        plan.in_place = Some(InPlace::Identity);
        Ok(plan)
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, x, y) = (&cx.rt, &cx.x, &cx.y);
        quote!(#rt::kernels::flatten::flatten_forward(#x, #y);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, gy, gx) = (&cx.rt, &cx.gy, &cx.gx);
        quote!(if let Some(gx) = #gx { #rt::kernels::flatten::flatten_backward(#gy, gx); })
    }
    fn quant(&self, _cx: &Cx) -> Option<Quant> {
        Some(Quant::Identity)
    }
}
