//! `batchnorm(eps = 1e-5, momentum = 0.1)`: PyTorch's `nn.BatchNorm1d/2d`
//! over the channel axis of `[C]`, `[C, L]` or `[C, H, W]`. Parameters
//! `weight`, `bias`; buffers `running_mean`, `running_var`,
//! `num_batches_tracked` in `<name>_stats`, updated by `update_buffers`.
//! Training mode normalises with the batch statistics (saved for backward),
//! inference with the running ones. Kernels in `runtime/src/kernels/batchnorm.rs`.

use crate::args::Args;
use crate::ast::LayerDef;
use crate::layers::{Cx, Layer, Params, Saved, Tensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct BatchNorm {
    eps: f32,
    momentum: f32,
}

pub fn build(def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
    let args = Args::check("batchnorm", def, &[], &["eps", "momentum"])?;
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

impl Layer for BatchNorm {
    fn kind(&self) -> &'static str {
        "batchnorm"
    }
    fn config(&self) -> String {
        format!("eps={:?}, momentum={:?}", self.eps, self.momentum)
    }
    fn output_shape(&self, input: &Shape) -> Result<Shape, ShapeError> {
        shape::batchnorm(input)
    }
    fn params(&self, rt: &TokenStream, input: &Shape, _output: &Shape) -> Option<Params> {
        let c = input.0[0];
        Some(Params {
            ty: quote!(#rt::layers::BatchNorm<#c>),
            zeroed: quote!(#rt::layers::BatchNorm::<#c>::ZEROED),
            count: c.checked_mul(2)?,
            tensors: vec![Tensor::new("weight", &[c]), Tensor::new("bias", &[c])],
            init: init_params,
            foldable: false,
        })
    }
    fn buffers(&self, rt: &TokenStream, input: &Shape, _output: &Shape) -> Option<Params> {
        let c = input.0[0];
        Some(Params {
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
    fn saved(&self, input: &Shape, _output: &Shape) -> Vec<Saved> {
        let c = Shape(vec![input.0[0]]);
        vec![
            Saved {
                suffix: "mean",
                shape: c.clone(),
                per_sample: false,
            },
            Saved {
                suffix: "invstd",
                shape: c,
                per_sample: false,
            },
        ]
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, st, x, y, b, eps) = (
            &cx.rt,
            &cx.params,
            &cx.buffers,
            &cx.x,
            &cx.y,
            &cx.batch,
            self.eps,
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
    fn update_buffers(&self, cx: &Cx) -> TokenStream {
        let (rt, st, b, eps, momentum) = (&cx.rt, &cx.buffers, &cx.batch, self.eps, self.momentum);
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
        let (rt, p, st, eps) = (&cx.rt, &cx.params, &cx.buffers, self.eps);
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
}
