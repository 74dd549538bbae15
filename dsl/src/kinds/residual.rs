//! `residual { layers... }`: the block's output is its input plus what its
//! layers compute (shapes must agree). The parser flattens a block into a
//! `residual` layer (identity; keeps the block input, and in backward adds
//! the skip gradient) and a `__residual_end` layer (adds the input back; in
//! backward keeps the gradient for the skip); `plan` links each pair.
//! Kernel in `runtime/src/kernels/residual.rs`.

use super::{Kind, Spec};
use crate::args::Args;
use crate::layers::{Cx, Layer, Plan, Quant, Residual, SavedTensor};
use crate::shape::{Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The keyword of the closing half (not one a user can write usefully).
pub const END: &str = "__residual_end";

struct Begin;

struct End;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &[], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[4]",
    declaration: "residual { relu }",
    config: "",
    variants: &[],
};

fn build(_args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(Begin))
}

/// The closing half, registered under [`END`] (the parser writes it).
pub const END_KIND: Kind = Kind {
    keyword: END,
    spec: &Spec::new(&[], &[], build_end),
};

fn build_end(_args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(End))
}

fn copy(rt: &TokenStream, x: &TokenStream, y: &TokenStream) -> TokenStream {
    quote!(#rt::kernels::flatten::flatten_forward(#x, #y);)
}

impl Layer for Begin {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let mut plan = Plan::new(input.clone(), String::new());
        plan.residual = Some(Residual::Begin);
        plan.skip = Some(input.len());
        Ok(plan)
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, x, y) = (&cx.rt, &cx.x, &cx.y);
        let copy = copy(rt, x, y);
        if cx.saved_in.is_none() {
            let skip = format_ident!("{}_skip", cx.name);
            return quote!(#copy ws.#skip.copy_from_slice(#x););
        }
        copy
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, gy, gx) = (&cx.rt, &cx.gy, &cx.gx);
        let end = cx
            .partner
            .as_ref()
            .expect("plan links every residual block");
        let gskip = format_ident!("{}_gskip", end);
        quote! {
            if let Some(gx) = #gx {
                #rt::kernels::residual::residual_add(#gy, #rt::flat(&cache.#gskip), gx);
            }
        }
    }
    fn quant(&self, _cx: &Cx) -> Option<Quant> {
        Some(Quant::Residual)
    }
}

impl Layer for End {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let mut plan = Plan::new(input.clone(), String::new());
        plan.residual = Some(Residual::End);
        plan.saved = vec![SavedTensor::per_sample("gskip", input.0.clone())];
        Ok(plan)
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, x, y) = (&cx.rt, &cx.x, &cx.y);
        let begin = cx
            .partner
            .as_ref()
            .expect("plan links every residual block");
        let skip = if cx.saved_in.is_none() {
            let f = format_ident!("{}_skip", begin);
            quote!(&ws.#f[..])
        } else {
            quote!(#rt::flat(&cache.#begin))
        };
        quote!(#rt::kernels::residual::residual_add(#x, #skip, #y);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, gy, gx) = (&cx.rt, &cx.gy, &cx.gx);
        let gskip = format_ident!("{}_gskip", cx.name);
        quote! {
            #rt::flat_mut(&mut cache.#gskip).copy_from_slice(#gy);
            if let Some(gx) = #gx { gx.copy_from_slice(#gy); }
        }
    }
    fn quant(&self, _cx: &Cx) -> Option<Quant> {
        Some(Quant::Residual)
    }
}
