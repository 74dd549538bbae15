//! `multihead_attention(heads, causal = false)`: PyTorch's
//! `nn.MultiheadAttention` as self-attention on `[T, E]` (`in_proj_weight`,
//! `in_proj_bias`, `out_proj.weight`, `out_proj.bias`). Kernels in
//! `runtime/src/kernels/multihead_attention.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Block, Cx, Layer, Plan, SavedTensor, Tensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

struct Attention {
    heads: usize,
    causal: bool,
}

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["heads"], &["causal"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[5, 4]",
    declaration: "multihead_attention(2)",
    config: "heads=2, causal=false",
    variants: &["multihead_attention(2, causal = true)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(Attention {
        heads: args.positive(0, "heads")?,
        causal: args.flag("causal", false)?,
    }))
}

fn init(cx: &Cx, _he: bool) -> TokenStream {
    let (rt, p) = (&cx.rt, &cx.params);
    // PyTorch: Xavier uniform on in_proj_weight (as one [3E, E] matrix),
    // out_proj.weight as nn.Linear (here Xavier too), biases zero.
    quote! {{
        let e = #p.out_proj_bias.len();
        #rt::init::xavier_uniform(#rt::flat_mut(&mut #p.in_proj_weight), e, 3 * e, &mut rng);
        #rt::init::xavier_uniform(#rt::flat_mut(&mut #p.out_proj_weight), e, e, &mut rng);
        #p.in_proj_bias.fill(0.0);
        #p.out_proj_bias.fill(0.0);
    }}
}

impl Attention {
    fn geom(&self, rt: &TokenStream, input: &Shape) -> TokenStream {
        let (t, e, h, c) = (input.0[0], input.0[1], self.heads, self.causal);
        quote!(#rt::kernels::multihead_attention::AttentionGeom { steps: #t, embed: #e, heads: #h, causal: #c })
    }
    fn weights(cx: &Cx) -> TokenStream {
        let (rt, p) = (&cx.rt, &cx.params);
        quote!(#rt::kernels::multihead_attention::AttentionWeights {
            in_w: #rt::flat(&#p.in_proj_weight), in_b: &#p.in_proj_bias,
            out_w: #rt::flat(&#p.out_proj_weight), out_b: &#p.out_proj_bias,
        })
    }
    /// The kernel's `AttentionBuffers`: views of the layer's saved tensors.
    fn cache_views(cx: &Cx) -> TokenStream {
        let rt = &cx.rt;
        let name = cx.saved_in.clone().unwrap_or_else(|| cx.name.clone());
        let f = |s: &str| {
            let id = format_ident!("{}_{}", name, s);
            quote!(#rt::flat_mut(&mut cache.#id))
        };
        let (qkv, p, o, go, dqkv, row) = (f("qkv"), f("p"), f("o"), f("go"), f("dqkv"), f("row"));
        quote!(#rt::kernels::multihead_attention::AttentionBuffers { qkv: #qkv, p: #p, o: #o, go: #go, dqkv: #dqkv, row: #row })
    }
    fn params(rt: &TokenStream, input: &Shape) -> Option<Block> {
        let e = input.0[1];
        let e3 = e.checked_mul(3)?;
        Some(Block {
            ty: quote!(#rt::layers::Attention<#e, #e3>),
            zeroed: quote!(#rt::layers::Attention::<#e, #e3>::ZEROED),
            count: e
                .checked_mul(e)?
                .checked_mul(4)?
                .checked_add(e.checked_mul(4)?)?,
            tensors: vec![
                Tensor::new("in_proj_weight", &[e3, e]),
                Tensor::new("in_proj_bias", &[e3]),
                Tensor::new("out_proj.weight", &[e, e]),
                Tensor::new("out_proj.bias", &[e]),
            ],
            init,
            foldable: false,
        })
    }
    fn saved(&self, input: &Shape) -> Vec<SavedTensor> {
        let (t, e, h) = (input.0[0], input.0[1], self.heads);
        [
            ("qkv", vec![t, 3 * e]),
            ("p", vec![h, t, t]),
            ("o", vec![t, e]),
            ("go", vec![t, e]),
            ("dqkv", vec![t, 3 * e]),
            ("row", vec![t]),
        ]
        .into_iter()
        .map(|(suffix, dims)| SavedTensor::per_sample(suffix, dims))
        .collect()
    }
}

impl Layer for Attention {
    fn plan(&self, rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let output = shape::attention(input, self.heads)?;
        let config = format!("heads={}, causal={}", self.heads, self.causal);
        let geom = self.geom(rt, input);
        let mut plan = Plan::new(output, config);
        plan.params = Self::params(rt, input);
        plan.saved = self.saved(input);
        plan.scratch = Some(quote!(#geom.infer_scratch_len()));
        Ok(plan)
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, x, y, b) = (&cx.rt, &cx.x, &cx.y, &cx.batch);
        let (w, geom) = (Self::weights(cx), self.geom(&cx.rt, &cx.input));
        if cx.saved_in.is_none() {
            let s = &cx.scratch;
            return quote!(#rt::kernels::multihead_attention::attention_infer(#x, #w, #y, #s, &#geom););
        }
        let bufs = Self::cache_views(cx);
        quote!(#rt::kernels::multihead_attention::attention_forward(#x, #w, #y, #bufs, #b, &#geom);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, g, x, gy, gx, b) = (&cx.rt, &cx.grads, &cx.x, &cx.gy, &cx.gx, &cx.batch);
        let (w, geom, bufs) = (
            Self::weights(cx),
            self.geom(&cx.rt, &cx.input),
            Self::cache_views(cx),
        );
        quote!(#rt::kernels::multihead_attention::attention_backward(
            #x, #w, #gy,
            (#rt::flat_mut(&mut #g.in_proj_weight), &mut #g.in_proj_bias[..],
             #rt::flat_mut(&mut #g.out_proj_weight), &mut #g.out_proj_bias[..]),
            #gx, #bufs, #b, &#geom,
        );)
    }
}
