//! `embedding(vocab, dim)`: PyTorch's `nn.Embedding` on `input: tokens[T]`
//! (ids carried as `f32`), `weight [vocab][dim]`, output `[T, dim]`. Only
//! allowed first, on token input (`plan` checks). Kernels in
//! `runtime/src/kernels/embedding.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Block, Cx, Layer, Plan, Tensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct Embedding {
    vocab: usize,
    dim: usize,
}

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["vocab", "dim"], &[], build).takes_tokens();

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "tokens[5]",
    declaration: "embedding(10, 4)",
    config: "",
    variants: &[],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    let vocab = args.positive(0, "vocab")?;
    let dim = args.positive(1, "dim")?;
    Ok(Box::new(Embedding { vocab, dim }))
}

fn init(cx: &Cx, _he: bool) -> TokenStream {
    let (rt, p) = (&cx.rt, &cx.params);
    quote!(#rt::init::normal(#rt::flat_mut(&mut #p.weight), &mut rng);)
}

impl Embedding {
    fn params(&self, rt: &TokenStream) -> Option<Block> {
        let (v, d) = (self.vocab, self.dim);
        Some(Block {
            ty: quote!(#rt::layers::Embedding<#v, #d>),
            zeroed: quote!(#rt::layers::Embedding::<#v, #d>::ZEROED),
            count: v.checked_mul(d)?,
            tensors: vec![Tensor::new("weight", &[v, d])],
            init,
            foldable: false,
        })
    }
}

impl Layer for Embedding {
    fn plan(&self, rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let mut plan = Plan::new(shape::embedding(input, self.dim)?, String::new());
        plan.params = self.params(rt);
        Ok(plan.stateless_step())
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, x, y) = (&cx.rt, &cx.params, &cx.x, &cx.y);
        let (v, d) = (self.vocab, self.dim);
        quote!(#rt::kernels::embedding::embedding_forward(#x, #rt::flat(&#p.weight), #y, #v, #d);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, g, x, gy, gx) = (&cx.rt, &cx.grads, &cx.x, &cx.gy, &cx.gx);
        let (v, d) = (self.vocab, self.dim);
        // Token ids have no gradient: a requested input gradient is zero.
        quote! {
            #rt::kernels::embedding::embedding_backward(#x, #gy, #rt::flat_mut(&mut #g.weight), #v, #d);
            if let Some(gx) = #gx { gx.fill(0.0); }
        }
    }
}
