//! `prelu(per_channel = false)`: PyTorch's `nn.PReLU`, a ReLU whose negative
//! slope is learned: one slope (`nn.PReLU()`), or one per channel
//! (`nn.PReLU(C)`), the channel being a sample's first axis. Slopes start at
//! 0.25, PyTorch's default. Kernels in `runtime/src/kernels/prelu.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Block, Cx, Layer, Plan, Tensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct PRelu {
    per_channel: bool,
}

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &["per_channel"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[3, 4]",
    declaration: "prelu",
    config: "per_channel=false",
    variants: &["prelu(per_channel = true)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(PRelu {
        per_channel: args.flag("per_channel", false)?,
    }))
}

fn init(cx: &Cx, _he: bool) -> TokenStream {
    let p = &cx.params;
    quote!(#p.weight.fill(0.25);)
}

impl PRelu {
    /// How many slopes: 1, or the input's first axis.
    fn channels(&self, input: &Shape) -> usize {
        if self.per_channel {
            input.0[0]
        } else {
            1
        }
    }
}

impl Layer for PRelu {
    fn plan(&self, rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let config = format!("per_channel={}", self.per_channel);
        let mut plan = Plan::new(shape::elementwise(input)?, config);
        let c = self.channels(input);
        plan.params = Some(Block {
            ty: quote!(#rt::layers::PRelu<#c>),
            zeroed: quote!(#rt::layers::PRelu::<#c>::ZEROED),
            count: c,
            tensors: vec![Tensor::new("weight", &[c])],
            init,
            foldable: false,
        });
        // One slope acts on each value alone, so the per-step form applies;
        // per channel, the channel of a sequence is its step.
        Ok(if self.per_channel {
            plan
        } else {
            plan.stateless_step()
        })
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, x, y) = (&cx.rt, &cx.params, &cx.x, &cx.y);
        let spatial = cx.input.len() / self.channels(&cx.input);
        quote!(#rt::kernels::prelu::prelu_forward(#x, &#p.weight, #y, #spatial);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, g, x, gy, gx) = (&cx.rt, &cx.params, &cx.grads, &cx.x, &cx.gy, &cx.gx);
        let spatial = cx.input.len() / self.channels(&cx.input);
        quote!(#rt::kernels::prelu::prelu_backward(
            #x, &#p.weight, #gy, &mut #g.weight, #gx, #spatial,
        );)
    }
}
