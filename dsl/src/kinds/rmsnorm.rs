//! `rmsnorm(eps = 1.1920929e-7)`: PyTorch's `nn.RMSNorm(D)` over the last
//! dimension (`weight`), on a vector or every step of a sequence. The
//! default `eps` is `f32::EPSILON`, what PyTorch's `eps=None` means for
//! float32 (`torch.finfo(torch.float32).eps`). Kernels in
//! `runtime/src/kernels/rmsnorm.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Block, Cx, Layer, Plan, SavedTensor, Tensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct RmsNorm {
    eps: f32,
}

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &["eps"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[5, 4]",
    declaration: "rmsnorm",
    config: "eps=1.1920929e-7",
    variants: &["rmsnorm(eps = 1e-5)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(RmsNorm {
        eps: args.named_float("eps", f32::EPSILON, 0.0..=1.0)?,
    }))
}

fn init(cx: &Cx, _he: bool) -> TokenStream {
    let p = &cx.params;
    quote!(#p.weight.fill(1.0);)
}

impl Layer for RmsNorm {
    fn plan(&self, rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let mut plan = Plan::new(shape::elementwise(input)?, format!("eps={:?}", self.eps));
        let d = input.last();
        plan.params = Some(Block {
            ty: quote!(#rt::layers::RmsNorm<#d>),
            zeroed: quote!(#rt::layers::RmsNorm::<#d>::ZEROED),
            count: d,
            tensors: vec![Tensor::new("weight", &[d])],
            init,
            foldable: false,
        });
        plan.saved = vec![SavedTensor::per_sample("inv", vec![input.len() / d])];
        Ok(plan.stateless_step())
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, x, y, eps, d) = (&cx.rt, &cx.params, &cx.x, &cx.y, self.eps, cx.input.last());
        if cx.saved_in.is_none() {
            return quote!(#rt::kernels::rmsnorm::rmsnorm_infer(#x, &#p.weight, #y, #d, #eps););
        }
        let inv = cx.saved("inv");
        quote!(#rt::kernels::rmsnorm::rmsnorm_forward(#x, &#p.weight, #y, #inv, #d, #eps);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, g, x, gy, gx) = (&cx.rt, &cx.params, &cx.grads, &cx.x, &cx.gy, &cx.gx);
        let (inv, d) = (cx.saved("inv"), cx.input.last());
        quote!(#rt::kernels::rmsnorm::rmsnorm_backward(
            #x, &#p.weight, #inv, #gy, &mut #g.weight, #gx, #d,
        );)
    }
}
