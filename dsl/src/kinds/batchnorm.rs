//! `batchnorm(eps = 1e-5, momentum = 0.1)`: PyTorch's `nn.BatchNorm1d/2d`
//! over the channel axis of `[C]`, `[C, L]` or `[C, H, W]`. Parameters
//! `weight`, `bias`; buffers `running_mean`, `running_var`,
//! `num_batches_tracked` in `<name>_stats`, updated by `update_buffers`.
//! Training mode normalises with the batch statistics (saved for backward),
//! inference with the running ones. Kernels in `runtime/src/kernels/batchnorm.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Block, Cx, Layer, Plan, Quant, SavedTensor, Tensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct BatchNorm {
    eps: f32,
    momentum: f32,
}

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &["eps", "momentum"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[2, 8, 8]",
    declaration: "batchnorm",
    config: "eps=1e-5, momentum=0.1",
    variants: &["batchnorm(eps = 1e-3)", "batchnorm(momentum = 0.2)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    let eps = args.named_float("eps", 1e-5, 0.0..=1.0)?;
    let momentum = args.named_float("momentum", 0.1, 0.0..=1.0)?;
    Ok(Box::new(BatchNorm { eps, momentum }))
}

/// `(channels, spatial)`.
fn dims(s: &Shape) -> (usize, usize) {
    let c = s.0[0];
    (c, s.len() / c)
}

fn init_params(cx: &Cx, _he: bool) -> TokenStream {
    let p = &cx.params;
    quote!(#p.weight.fill(1.0); #p.bias.fill(0.0);)
}

fn init_stats(cx: &Cx, _he: bool) -> TokenStream {
    let p = &cx.params;
    quote!(#p.running_mean.fill(0.0); #p.running_var.fill(1.0); #p.num_batches_tracked = [0.0];)
}

fn params(rt: &TokenStream, c: usize) -> Option<Block> {
    Some(Block {
        ty: quote!(#rt::layers::BatchNorm<#c>),
        zeroed: quote!(#rt::layers::BatchNorm::<#c>::ZEROED),
        count: c.checked_mul(2)?,
        tensors: vec![Tensor::new("weight", &[c]), Tensor::new("bias", &[c])],
        init: init_params,
        foldable: false,
    })
}

fn stats(rt: &TokenStream, c: usize) -> Option<Block> {
    Some(Block {
        ty: quote!(#rt::layers::BatchNormStats<#c>),
        zeroed: quote!(#rt::layers::BatchNormStats::<#c>::ZEROED),
        count: c.checked_mul(2)?.checked_add(1)?,
        tensors: vec![
            Tensor::new("running_mean", &[c]),
            Tensor::new("running_var", &[c]),
            Tensor::new("num_batches_tracked", &[]),
        ],
        init: init_stats,
        foldable: false,
    })
}

impl Layer for BatchNorm {
    fn plan(&self, rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let output = shape::batchnorm(input)?;
        let config = format!("eps={:?}, momentum={:?}", self.eps, self.momentum);
        let c = input.0[0];
        let per_batch = |suffix| SavedTensor {
            suffix,
            shape: Shape(vec![c]),
            per_sample: false,
        };
        let mut plan = Plan::new(output, config);
        plan.params = params(rt, c);
        plan.stats = stats(rt, c);
        plan.saved = vec![per_batch("mean"), per_batch("invstd")];
        Ok(plan)
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, st, x, y, b, eps) = (
            &cx.rt, &cx.params, &cx.stats, &cx.x, &cx.y, &cx.batch, self.eps,
        );
        let (c, s) = dims(&cx.input);
        let infer = quote! {
            #rt::kernels::batchnorm::batchnorm_forward_infer(
                #x, #y, &#p.weight, &#p.bias, &#st.running_mean, &#st.running_var, #b, #c, #s, #eps,
            );
        };
        match &cx.mode {
            None => infer,
            Some(mode) => {
                let (mean, invstd) = (cx.saved("mean"), cx.saved("invstd"));
                quote! {
                    match #mode {
                        #rt::Mode::Train => #rt::kernels::batchnorm::batchnorm_forward_train(
                            #x, #y, &#p.weight, &#p.bias, #mean, #invstd, #b, #c, #s, #eps,
                        ),
                        #rt::Mode::Infer => { #infer }
                    }
                }
            }
        }
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, g, x, gy, gx, b) = (
            &cx.rt, &cx.params, &cx.grads, &cx.x, &cx.gy, &cx.gx, &cx.batch,
        );
        let (c, s) = dims(&cx.input);
        let (mean, invstd) = (cx.saved("mean"), cx.saved("invstd"));
        quote! {
            #rt::kernels::batchnorm::batchnorm_backward(
                #x, #gy, &#p.weight, #mean, #invstd, &mut #g.weight, &mut #g.bias, #gx, #b, #c, #s,
            );
        }
    }
    fn update_stats(&self, cx: &Cx) -> TokenStream {
        let (rt, st, b, eps, momentum) = (&cx.rt, &cx.stats, &cx.batch, self.eps, self.momentum);
        let (_, s) = dims(&cx.input);
        let (mean, invstd) = (cx.saved("mean"), cx.saved("invstd"));
        quote! {
            #rt::kernels::batchnorm::batchnorm_update_running(
                &mut #st.running_mean, &mut #st.running_var, &mut #st.num_batches_tracked,
                #mean, #invstd, #eps, #momentum, #b * #s,
            );
        }
    }
    fn fold_into_previous(&self, cx: &Cx, prev: &TokenStream) -> Option<TokenStream> {
        let (rt, p, st, eps) = (&cx.rt, &cx.params, &cx.stats, self.eps);
        Some(quote! {
            #rt::kernels::batchnorm::batchnorm_fold(
                #rt::flat_mut(&mut #prev.weight), &mut #prev.bias, &#p.weight, &#p.bias,
                &#st.running_mean, &#st.running_var, #eps,
            );
            #p.weight.fill(1.0);
            #p.bias.fill(0.0);
            #st.running_mean.fill(0.0);
            #st.running_var.fill(1.0 - #eps);
        })
    }
    fn quant(&self, _cx: &Cx) -> Option<Quant> {
        Some(Quant::Folded)
    }
}
