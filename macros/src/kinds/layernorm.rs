//! `layernorm(eps = 1e-5)`: PyTorch's `nn.LayerNorm` over the last
//! dimension (`weight`, `bias`), on a vector or every step of a sequence.
//! Kernels in `runtime/src/kernels/layernorm.rs`.

use crate::args::Args;
use crate::ast::LayerDef;
use crate::layers::{Cx, Layer, Params, Saved, Tensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct LayerNorm {
    eps: f32,
}

pub fn build(def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
    let args = Args::check("layernorm", def, &[], &["eps"])?;
    Ok(Box::new(LayerNorm {
        eps: args.named_float("eps", 1e-5, 0.0..=1.0)?,
    }))
}

fn init(cx: &Cx, _he: bool) -> TokenStream {
    let p = &cx.params;
    quote!(#p.weight.fill(1.0); #p.bias.fill(0.0);)
}

impl Layer for LayerNorm {
    fn kind(&self) -> &'static str {
        "layernorm"
    }
    fn config(&self) -> String {
        format!("eps={:?}", self.eps)
    }
    fn output_shape(&self, input: &Shape) -> Result<Shape, ShapeError> {
        shape::elementwise(input)
    }
    fn params(&self, rt: &TokenStream, input: &Shape, _output: &Shape) -> Option<Params> {
        let d = input.last();
        Some(Params {
            ty: quote!(#rt::layers::LayerNorm<#d>),
            zeroed: quote!(#rt::layers::BatchNorm::<#d>::ZEROED),
            count: d.checked_mul(2)?,
            tensors: vec![Tensor::new("weight", &[d]), Tensor::new("bias", &[d])],
            init,
            foldable: false,
        })
    }
    fn saved(&self, input: &Shape, _output: &Shape) -> Vec<Saved> {
        vec![Saved {
            suffix: "stats",
            shape: Shape(vec![input.len() / input.last(), 2]),
            per_sample: true,
        }]
    }
    fn streams(&self, _output: &Shape) -> Option<Vec<(&'static str, usize)>> {
        Some(Vec::new())
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
