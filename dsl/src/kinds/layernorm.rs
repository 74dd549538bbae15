//! `layernorm(eps = 1e-5)`: PyTorch's `nn.LayerNorm` over the last
//! dimension (`weight`, `bias`), on a vector or every step of a sequence.
//! Kernels in `runtime/src/kernels/layernorm.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Block, Cx, Layer, Plan, SavedTensor, Tensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct LayerNorm {
    eps: f32,
}

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &["eps"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[5, 4]",
    declaration: "layernorm",
    config: "eps=1e-5",
    variants: &["layernorm(eps = 1e-3)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(LayerNorm {
        eps: args.named_float("eps", 1e-5, 0.0..=1.0)?,
    }))
}

fn init(cx: &Cx, _he: bool) -> TokenStream {
    let p = &cx.params;
    quote!(#p.weight.fill(1.0); #p.bias.fill(0.0);)
}

/// `weight [d]`, `bias [d]`: the same block type as batch norm's.
fn params(rt: &TokenStream, d: usize) -> Option<Block> {
    Some(Block {
        ty: quote!(#rt::layers::LayerNorm<#d>),
        zeroed: quote!(#rt::layers::BatchNorm::<#d>::ZEROED),
        count: d.checked_mul(2)?,
        tensors: vec![Tensor::new("weight", &[d]), Tensor::new("bias", &[d])],
        init,
        foldable: false,
    })
}

impl Layer for LayerNorm {
    fn plan(&self, rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let mut plan = Plan::new(shape::elementwise(input)?, format!("eps={:?}", self.eps));
        plan.params = params(rt, input.last());
        let rows = input.len() / input.last();
        plan.saved = vec![SavedTensor::per_sample("stats", vec![rows, 2])];
        Ok(plan.stateless_step())
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, x, y, eps, d) = (&cx.rt, &cx.params, &cx.x, &cx.y, self.eps, cx.input.last());
        if cx.saved_in.is_none() {
            return quote!(#rt::kernels::layernorm::layernorm_infer(#x, &#p.weight, &#p.bias, #y, #d, #eps););
        }
        let stats = cx.saved("stats");
        quote!(#rt::kernels::layernorm::layernorm_forward(#x, &#p.weight, &#p.bias, #y, #stats, #d, #eps);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, g, x, gy, gx, d) = (
            &cx.rt,
            &cx.params,
            &cx.grads,
            &cx.x,
            &cx.gy,
            &cx.gx,
            cx.input.last(),
        );
        let stats = cx.saved("stats");
        quote!(#rt::kernels::layernorm::layernorm_backward(
            #x, &#p.weight, #stats, #gy, &mut #g.weight, &mut #g.bias, #gx, #d,
        );)
    }
}
