//! `pos_embedding`: a learned `[T, E]` table (`weight`, initialised
//! N(0, 0.02^2) as in ViT) added to every sample of a sequence. Kernels in
//! `runtime/src/kernels/pos_embedding.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Block, Cx, Layer, Plan, Tensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct PosEmbedding;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &[], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[5, 4]",
    declaration: "pos_embedding",
    config: "",
    variants: &[],
};

fn build(_args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(PosEmbedding))
}

fn init(cx: &Cx, _he: bool) -> TokenStream {
    let (rt, p) = (&cx.rt, &cx.params);
    quote! {
        #rt::init::normal(#rt::flat_mut(&mut #p.weight), &mut rng);
        #rt::flat_mut(&mut #p.weight).iter_mut().for_each(|v| *v *= 0.02);
    }
}

/// `weight [t][e]`: the same block type as an embedding's.
fn params(rt: &TokenStream, t: usize, e: usize) -> Option<Block> {
    Some(Block {
        ty: quote!(#rt::layers::PosEmbedding<#t, #e>),
        zeroed: quote!(#rt::layers::Embedding::<#t, #e>::ZEROED),
        count: t.checked_mul(e)?,
        tensors: vec![Tensor::new("weight", &[t, e])],
        init,
        foldable: false,
    })
}

impl Layer for PosEmbedding {
    fn plan(&self, rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let (t, e) = shape::sequence(input)?;
        let mut plan = Plan::new(input.clone(), String::new());
        plan.params = params(rt, t, e);
        Ok(plan)
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, x, y) = (&cx.rt, &cx.params, &cx.x, &cx.y);
        quote!(#rt::kernels::pos_embedding::pos_embedding_forward(#x, #rt::flat(&#p.weight), #y);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, g, gy, gx) = (&cx.rt, &cx.grads, &cx.gy, &cx.gx);
        quote!(#rt::kernels::pos_embedding::pos_embedding_backward(#gy, #rt::flat_mut(&mut #g.weight), #gx);)
    }
}
