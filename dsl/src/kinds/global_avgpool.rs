//! `global_avgpool`: `[C, H, W]` or `[C, L]` -> `[C]`, the mean over each
//! channel. Kernels in `runtime/src/kernels/global_avgpool.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Cx, Layer, Plan, Quant};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct GlobalAvgPool;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &[], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[2, 8, 8]",
    declaration: "global_avgpool",
    config: "",
    variants: &[],
};

fn build(_args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(GlobalAvgPool))
}

fn dims(cx: &Cx) -> (usize, usize) {
    let channels = cx.output.len();
    (channels, cx.input.len() / channels)
}

impl Layer for GlobalAvgPool {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        Ok(Plan::new(shape::global_avgpool(input)?, String::new()))
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, x, y, b) = (&cx.rt, &cx.x, &cx.y, &cx.batch);
        let (c, s) = dims(cx);
        quote!(#rt::kernels::global_avgpool::global_avgpool_forward(#x, #y, #b, #c, #s);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, gy, gx, b) = (&cx.rt, &cx.gy, &cx.gx, &cx.batch);
        let (c, s) = dims(cx);
        quote!(if let Some(gx) = #gx { #rt::kernels::global_avgpool::global_avgpool_backward(#gy, gx, #b, #c, #s); })
    }
    fn quant(&self, cx: &Cx) -> Option<Quant> {
        let (rt, (_, s)) = (&cx.rt, dims(cx));
        Some(Quant::Same {
            forward: quote!(let _ = zp; #rt::quant::pool::global_avgpool(x, y, #s);),
        })
    }
}
