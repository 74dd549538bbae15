//! `conv2d(out_channels, kernel, stride = 1, padding = 0, dilation = 1,
//! groups = 1, bias = true)`: PyTorch's `nn.Conv2d` on `[C, H, W]`; `kernel`,
//! `stride`, `padding` and `dilation` take `n` or `(h, w)`. Kernels in
//! `runtime/src/kernels/conv2d/`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Block, Cx, Layer, Plan, Quant, Tensor};
use crate::shape::{self, ConvSpec, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

/// A convolution, 2-d or (height 1) 1-d: shared with `conv1d.rs`.
pub struct Conv {
    /// `conv1d`: `[C, L]` shapes and a `[out][in/groups][k]` weight.
    pub one_d: bool,
    pub spec: ConvSpec,
    pub bias: bool,
}

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["out_channels", "kernel"], &["stride", "padding", "dilation", "groups", "bias"], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[2, 8, 8]",
    declaration: "conv2d(4, 3)",
    config: "kernel=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=true",
    variants: &["conv2d(4, 3, stride = 2)", "conv2d(4, 3, padding = 1)", "conv2d(4, 3, dilation = 2)", "conv2d(4, 3, groups = 2)", "conv2d(4, 3, bias = false)"],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    let spec = ConvSpec {
        out_c: args.positive(0, "out_channels")?,
        kernel: args.positive_pair(1, "kernel")?,
        stride: args.named_pair("stride", (1, 1), 1)?,
        padding: args.named_pair("padding", (0, 0), 0)?,
        dilation: args.named_pair("dilation", (1, 1), 1)?,
        groups: args.named_int("groups", 1, 1)?,
    };
    Ok(Box::new(Conv {
        one_d: false,
        spec,
        bias: args.flag("bias", true)?,
    }))
}

/// `[C, H, W]` of a conv shape (1-d shapes `[C, L]` as `[C, 1, L]`).
fn chw(s: &Shape) -> (usize, usize, usize) {
    match s.0[..] {
        [c, l] => (c, 1, l),
        [c, h, w] => (c, h, w),
        _ => (s.len(), 1, 1),
    }
}

fn init(cx: &Cx, he: bool) -> TokenStream {
    let (rt, p) = (&cx.rt, &cx.params);
    // As PyTorch: fan_in = in/groups * kernel, fan_out = out * kernel.
    let fans = quote! {
        let fan_in = #rt::flat(&#p.weight).len() / #p.weight.len();
        let fan_out = #rt::flat(&#p.weight).len() / #p.weight[0].len();
    };
    if he {
        quote!({ #fans let _ = fan_out; #rt::init::he_normal(#rt::flat_mut(&mut #p.weight), fan_in, &mut rng); })
    } else {
        quote!({ #fans #rt::init::xavier_uniform(#rt::flat_mut(&mut #p.weight), fan_in, fan_out, &mut rng); })
    }
}

fn init_bias(cx: &Cx, he: bool) -> TokenStream {
    let (p, w) = (&cx.params, init(cx, he));
    quote!(#w #p.bias.fill(0.0);)
}

impl Conv {
    /// The runtime's geometry value for this layer.
    fn geom(&self, rt: &TokenStream, input: &Shape, output: &Shape) -> TokenStream {
        let (in_c, in_h, in_w) = chw(input);
        let (out_c, out_h, out_w) = chw(output);
        let ConvSpec {
            kernel: (k_h, k_w),
            stride: (stride_h, stride_w),
            padding: (pad_h, pad_w),
            dilation: (dil_h, dil_w),
            groups,
            ..
        } = self.spec;
        quote!(#rt::kernels::conv2d::Conv2dGeom {
            in_c: #in_c, in_h: #in_h, in_w: #in_w, out_c: #out_c, out_h: #out_h, out_w: #out_w,
            k_h: #k_h, k_w: #k_w, stride_h: #stride_h, stride_w: #stride_w,
            pad_h: #pad_h, pad_w: #pad_w, dil_h: #dil_h, dil_w: #dil_w, groups: #groups,
        })
    }
}

impl Conv {
    /// The forward call, to the kernel `f` (with or without the ReLU).
    fn call(&self, cx: &Cx, f: TokenStream) -> TokenStream {
        let (rt, p, x, y, b, s) = (&cx.rt, &cx.params, &cx.x, &cx.y, &cx.batch, &cx.scratch);
        let geom = self.geom(&cx.rt, &cx.input, &cx.output);
        let bias = if self.bias {
            quote!(Some(&#p.bias[..]))
        } else {
            quote!(None)
        };
        quote!(#rt::kernels::conv2d::#f(#x, #rt::flat(&#p.weight), #bias, #y, #s, #b, &#geom);)
    }
    fn config(&self) -> String {
        let s = &self.spec;
        format!(
            "kernel={:?}, stride={:?}, padding={:?}, dilation={:?}, groups={}, bias={}",
            s.kernel, s.stride, s.padding, s.dilation, s.groups, self.bias
        )
    }
    fn params(&self, rt: &TokenStream, input: &Shape, output: &Shape) -> Option<Block> {
        let (in_c, _, _) = chw(input);
        let (oc, _, _) = chw(output);
        let icg = in_c / self.spec.groups;
        let (kh, kw) = self.spec.kernel;
        let weights = oc.checked_mul(icg)?.checked_mul(kh)?.checked_mul(kw)?;
        let count = weights.checked_add(if self.bias { oc } else { 0 })?;
        let (name, dims, shape) = if self.one_d {
            ("Conv1d", quote!(#oc, #icg, #kw), vec![oc, icg, kw])
        } else {
            ("Conv2d", quote!(#oc, #icg, #kh, #kw), vec![oc, icg, kh, kw])
        };
        let mut tensors = vec![Tensor::new("weight", &shape)];
        if self.bias {
            tensors.push(Tensor::new("bias", &[oc]));
        }
        let ty = quote::format_ident!("{}{}", name, if self.bias { "" } else { "NoBias" });
        Some(Block {
            ty: quote!(#rt::layers::#ty<#dims>),
            zeroed: quote!(#rt::layers::#ty::<#dims>::ZEROED),
            count,
            tensors,
            init: if self.bias { init_bias } else { init },
            foldable: self.bias,
        })
    }
}

impl Layer for Conv {
    fn plan(&self, rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let output = if self.one_d {
            shape::conv1d(input, &self.spec)?
        } else {
            shape::conv2d(input, &self.spec)?
        };
        let geom = self.geom(rt, input, &output);
        let mut plan = Plan::new(output, self.config());
        plan.params = self.params(rt, input, &plan.output);
        plan.scratch = Some(quote!(#geom.scratch_len()));
        plan.train_scratch = Some(quote!(#geom.train_scratch_len()));
        plan.fuses_relu = true;
        Ok(plan)
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        self.call(cx, quote!(conv2d_forward))
    }
    fn forward_relu(&self, cx: &Cx) -> Option<TokenStream> {
        Some(self.call(cx, quote!(conv2d_forward_relu)))
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, p, g, x, gy, gx, b, s) = (
            &cx.rt,
            &cx.params,
            &cx.grads,
            &cx.x,
            &cx.gy,
            &cx.gx,
            &cx.batch,
            &cx.scratch,
        );
        let geom = self.geom(&cx.rt, &cx.input, &cx.output);
        let gb = if self.bias {
            quote!(Some(&mut #g.bias[..]))
        } else {
            quote!(None)
        };
        quote! {
            #rt::kernels::conv2d::conv2d_backward(
                #x, #rt::flat(&#p.weight), #gy, #rt::flat_mut(&mut #g.weight), #gb, #gx, #s, #b, &#geom,
            );
        }
    }
    fn quant(&self, cx: &Cx) -> Option<Quant> {
        let rt = &cx.rt;
        let geom = self.geom(rt, &cx.input, &cx.output);
        let (in_c, _, _) = chw(&cx.input);
        let (kh, kw) = self.spec.kernel;
        Some(Quant::Weighted {
            rows: self.spec.out_c,
            cols: in_c / self.spec.groups * kh * kw,
            bias: self.bias,
            scratch: quote!(#rt::quant::conv2d::scratch_len(&#geom)),
            forward: quote!(#rt::quant::conv2d::forward(x, w, ch, &#geom, io, patch, y);),
            packed: None,
        })
    }
}
