//! Shared code generation of the 2-d pooling layers (`maxpool2d.rs`,
//! `avgpool2d.rs`): `<kind>(k, stride = k)` on `[C, H, W]`, no padding.

use crate::args::Args;
use crate::layers::{Cx, Layer, Plan};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

pub struct Pool {
    kind: &'static str,
    window: (usize, usize),
    stride: (usize, usize),
    /// Whether backward reads the input and output (max) or not (average).
    backward_reads_xy: bool,
}

/// The arguments of both pooling kinds.
pub const ARGS: (&[&str], &[&str]) = (&["kernel"], &["stride"]);

pub fn build(args: &Args<'_>, backward_reads_xy: bool) -> syn::Result<Box<dyn Layer>> {
    let window = args.positive_pair(0, "kernel")?;
    // PyTorch's default stride is the window.
    let stride = args.named_pair("stride", window, 1)?;
    Ok(Box::new(Pool {
        kind: args.kind(),
        window,
        stride,
        backward_reads_xy,
    }))
}

impl Pool {
    fn geom(&self, cx: &Cx) -> TokenStream {
        let rt = &cx.rt;
        let (channels, in_h, in_w) = (cx.input.0[0], cx.input.0[1], cx.input.0[2]);
        let (out_h, out_w) = (cx.output.0[1], cx.output.0[2]);
        let ((k_h, k_w), (stride_h, stride_w)) = (self.window, self.stride);
        quote!(#rt::kernels::maxpool2d::Pool2dGeom {
            channels: #channels, in_h: #in_h, in_w: #in_w, out_h: #out_h, out_w: #out_w,
            k_h: #k_h, k_w: #k_w, stride_h: #stride_h, stride_w: #stride_w,
        })
    }

    fn kernel(&self, rt: &TokenStream, suffix: &str) -> TokenStream {
        let module = Ident::new(self.kind, Span::call_site());
        let func = Ident::new(&format!("{}_{suffix}", self.kind), Span::call_site());
        quote!(#rt::kernels::#module::#func)
    }
}

impl Layer for Pool {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let output = shape::pool2d(input, self.window, self.stride)?;
        let config = format!("kernel={:?}, stride={:?}", self.window, self.stride);
        Ok(Plan::new(output, config))
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (f, geom) = (self.kernel(&cx.rt, "forward"), self.geom(cx));
        let (x, y, b) = (&cx.x, &cx.y, &cx.batch);
        quote!(#f(#x, #y, #b, &#geom);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (f, geom) = (self.kernel(&cx.rt, "backward"), self.geom(cx));
        let (x, y, gy, gx, b) = (&cx.x, &cx.y, &cx.gy, &cx.gx, &cx.batch);
        let xy = if self.backward_reads_xy {
            quote!(#x, #y,)
        } else {
            quote!()
        };
        quote!(if let Some(gx) = #gx { #f(#xy #gy, gx, #b, &#geom); })
    }
}
