//! `dense(units, bias = true)`: PyTorch's `nn.Linear(in, units)`, weight
//! `[units][in]`, on a 1-d input, or on every step of a sequence `[T, in]`
//! (as `nn.Linear` on the last dimension). Kernels in
//! `runtime/src/kernels/dense.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Block, Cx, Layer, Plan, Quant, Tensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct Dense {
    units: usize,
    bias: bool,
}

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["units"], &["bias"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[4]",
    declaration: "dense(3)",
    config: "bias=true",
    variants: &["dense(3, bias = false)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    let units = args.positive(0, "units")?;
    let bias = args.flag("bias", true)?;
    Ok(Box::new(Dense { units, bias }))
}

/// Features per row: the last dimension (`[F]` or a sequence `[T, F]`).
fn last(s: &Shape) -> usize {
    s.0.last().copied().unwrap_or(1)
}

/// Rows per sample: 1, or `T` on a sequence.
fn rows(s: &Shape) -> usize {
    s.len() / last(s)
}

/// The forward call of `d`, to the kernel `f` (with or without the ReLU).
fn call(d: &Dense, cx: &Cx, f: TokenStream) -> TokenStream {
    let (rt, p, x, y, b) = (&cx.rt, &cx.params, &cx.x, &cx.y, &cx.batch);
    let (inp, out, rows) = (last(&cx.input), d.units, rows(&cx.input));
    let b = quote!(#b * #rows);
    let bias = if d.bias {
        quote!(Some(&#p.bias[..]))
    } else {
        quote!(None)
    };
    quote!(#rt::kernels::dense::#f(#x, #rt::flat(&#p.weight), #bias, #y, #b, #inp, #out);)
}

fn init(cx: &Cx, he: bool) -> TokenStream {
    let (rt, p) = (&cx.rt, &cx.params);
    let (inp, out) = (last(&cx.input), last(&cx.output));
    if he {
        quote!(#rt::init::he_normal(#rt::flat_mut(&mut #p.weight), #inp, &mut rng);)
    } else {
        quote!(#rt::init::xavier_uniform(#rt::flat_mut(&mut #p.weight), #inp, #out, &mut rng);)
    }
}

fn init_bias(cx: &Cx, he: bool) -> TokenStream {
    let p = &cx.params;
    let weight = init(cx, he);
    quote!(#weight #p.bias.fill(0.0);)
}

impl Dense {
    fn params(&self, rt: &TokenStream, input: &Shape) -> Option<Block> {
        let (inp, out) = (last(input), self.units);
        let count = shape::dense_params(inp, out, self.bias)?;
        Some(if self.bias {
            Block {
                ty: quote!(#rt::layers::Dense<#inp, #out>),
                zeroed: quote!(#rt::layers::Dense::<#inp, #out>::ZEROED),
                count,
                tensors: vec![
                    Tensor::new("weight", &[out, inp]),
                    Tensor::new("bias", &[out]),
                ],
                init: init_bias,
                foldable: true,
            }
        } else {
            Block {
                ty: quote!(#rt::layers::DenseNoBias<#inp, #out>),
                zeroed: quote!(#rt::layers::DenseNoBias::<#inp, #out>::ZEROED),
                count,
                tensors: vec![Tensor::new("weight", &[out, inp])],
                init,
                foldable: false,
            }
        })
    }
}

impl Layer for Dense {
    fn plan(&self, rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let output = shape::dense(input, self.units)?;
        let mut plan = Plan::new(output, format!("bias={}", self.bias)).stateless_step();
        plan.params = self.params(rt, input);
        plan.fuses_relu = true;
        Ok(plan)
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        call(self, cx, quote!(dense_forward))
    }
    fn forward_relu(&self, cx: &Cx) -> Option<TokenStream> {
        Some(call(self, cx, quote!(dense_forward_relu)))
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, g, x, gy, gx, b) = (
            &cx.rt, &cx.params, &cx.grads, &cx.x, &cx.gy, &cx.gx, &cx.batch,
        );
        let (inp, out, rows) = (last(&cx.input), self.units, rows(&cx.input));
        let b = quote!(#b * #rows);
        let gb = if self.bias {
            quote!(Some(&mut #g.bias[..]))
        } else {
            quote!(None)
        };
        quote! {
            #rt::kernels::dense::dense_backward(
                #x, #rt::flat(&#p.weight), #gy, #rt::flat_mut(&mut #g.weight), #gb, #gx, #b, #inp, #out,
            );
        }
    }
    fn backward_sgd(&self, cx: &Cx) -> Option<TokenStream> {
        let (rt, p, x, gy, gx, b) = (&cx.rt, &cx.params, &cx.x, &cx.gy, &cx.gx, &cx.batch);
        let (inp, out, rows) = (last(&cx.input), self.units, rows(&cx.input));
        let b = quote!(#b * #rows);
        let bias = if self.bias {
            quote!(Some(&mut #p.bias[..]))
        } else {
            quote!(None)
        };
        Some(quote! {
            #rt::kernels::dense::dense_backward_sgd(
                #x, #rt::flat_mut(&mut #p.weight), #bias, #gy, #gx, #b, #inp, #out, lr,
            );
        })
    }
    fn quant(&self, cx: &Cx) -> Option<Quant> {
        // One row per sample: a dense layer on a sequence has no int8 form.
        if rows(&cx.input) != 1 {
            return Some(Quant::Unsupported(
                "has no int8 kernel on a sequence (int8 dense takes one row per sample)",
            ));
        }
        let rt = &cx.rt;
        Some(Quant::Weighted {
            rows: self.units,
            cols: last(&cx.input),
            bias: self.bias,
            scratch: quote!(0),
            forward: quote!(#rt::quant::dense::forward(x, w, ch, io, y);),
            packed: Some([
                quote!(#rt::quant::packed::forward::<4>(x, w, ch, io, y);),
                quote!(#rt::quant::packed::forward::<2>(x, w, ch, io, y);),
            ]),
        })
    }
}
