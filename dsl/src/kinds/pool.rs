//! Shared code generation of the 2-d pooling layers (`maxpool2d.rs`,
//! `avgpool2d.rs`): `<kind>(k, stride = k, padding = 0)` on `[C, H, W]`, and
//! `count_include_pad = true` for `avgpool2d`.

use crate::args::Args;
use crate::layers::{Cx, Layer, Plan, Quant};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

pub struct Pool {
    kind: &'static str,
    window: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
    reduce: Reduce,
}

/// What a window is reduced to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    /// The maximum; backward reads the input and output.
    Max,
    /// The mean, dividing by the whole window or by its in-bounds part.
    Avg { count_include_pad: bool },
}

pub fn build(args: &Args<'_>, reduce: Reduce) -> syn::Result<Box<dyn Layer>> {
    let window = args.positive_pair(0, "kernel")?;
    // PyTorch's default stride is the window.
    let stride = args.named_pair("stride", window, 1)?;
    let padding = args.named_pair("padding", (0, 0), 0)?;
    // PyTorch's limit, which also keeps every window's in-bounds part
    // non-empty (no division by 0, no maximum of padding only).
    if 2 * padding.0 > window.0 || 2 * padding.1 > window.1 {
        let (kind, most) = (args.kind(), (window.0 / 2, window.1 / 2));
        // `1` and `2`, or `1x1` and `1x2` when either is not square.
        let (most, found) = if most.0 == most.1 && padding.0 == padding.1 {
            (most.0.to_string(), padding.0.to_string())
        } else {
            (hw(most), hw(padding))
        };
        let message = format!(
            "{kind}: padding must be at most half the window {}, expected at most {most}, found {found}",
            hw(window)
        );
        let expr = args.named_expr("padding").expect("a padding was given");
        return Err(syn::Error::new_spanned(expr, message));
    }
    let reduce = match reduce {
        Reduce::Max => Reduce::Max,
        Reduce::Avg { .. } => Reduce::Avg {
            count_include_pad: args.flag("count_include_pad", true)?,
        },
    };
    Ok(Box::new(Pool {
        kind: args.kind(),
        window,
        stride,
        padding,
        reduce,
    }))
}

/// `3x2`.
fn hw((h, w): (usize, usize)) -> String {
    format!("{h}x{w}")
}

impl Pool {
    fn geom(&self, cx: &Cx) -> TokenStream {
        let rt = &cx.rt;
        let (channels, in_h, in_w) = (cx.input.0[0], cx.input.0[1], cx.input.0[2]);
        let (out_h, out_w) = (cx.output.0[1], cx.output.0[2]);
        let ((k_h, k_w), (stride_h, stride_w)) = (self.window, self.stride);
        let (pad_h, pad_w) = self.padding;
        quote!(#rt::kernels::maxpool2d::Pool2dGeom {
            channels: #channels, in_h: #in_h, in_w: #in_w, out_h: #out_h, out_w: #out_w,
            k_h: #k_h, k_w: #k_w, stride_h: #stride_h, stride_w: #stride_w,
            pad_h: #pad_h, pad_w: #pad_w,
        })
    }

    fn kernel(&self, rt: &TokenStream, suffix: &str) -> TokenStream {
        let module = Ident::new(self.kind, Span::call_site());
        let func = Ident::new(&format!("{}_{suffix}", self.kind), Span::call_site());
        quote!(#rt::kernels::#module::#func)
    }

    /// The average kernels' last argument.
    fn count_include_pad(&self) -> TokenStream {
        match self.reduce {
            Reduce::Max => quote!(),
            Reduce::Avg { count_include_pad } => quote!(, #count_include_pad),
        }
    }
}

impl Layer for Pool {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let output = shape::pool2d(input, self.window, self.stride, self.padding)?;
        // Only settings away from their defaults, so that the fingerprint of
        // a declaration without them is what it was before they existed.
        let mut config = format!("kernel={:?}, stride={:?}", self.window, self.stride);
        if self.padding != (0, 0) {
            config += &format!(", padding={:?}", self.padding);
        }
        if self.reduce
            == (Reduce::Avg {
                count_include_pad: false,
            })
        {
            config += ", count_include_pad=false";
        }
        Ok(Plan::new(output, config))
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (f, geom) = (self.kernel(&cx.rt, "forward"), self.geom(cx));
        let (x, y, b) = (&cx.x, &cx.y, &cx.batch);
        let count = self.count_include_pad();
        quote!(#f(#x, #y, #b, &#geom #count);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (f, geom) = (self.kernel(&cx.rt, "backward"), self.geom(cx));
        let (x, y, gy, gx, b) = (&cx.x, &cx.y, &cx.gy, &cx.gx, &cx.batch);
        let xy = match self.reduce {
            Reduce::Max => quote!(#x, #y,),
            Reduce::Avg { .. } => quote!(),
        };
        let count = self.count_include_pad();
        quote!(if let Some(gx) = #gx { #f(#xy #gy, gx, #b, &#geom #count); })
    }
    fn backward_relu(&self, cx: &Cx) -> Option<TokenStream> {
        let Reduce::Max = self.reduce else {
            return None;
        };
        let (f, geom) = (self.kernel(&cx.rt, "backward_relu"), self.geom(cx));
        let (x, y, gy, gx, b) = (&cx.x, &cx.y, &cx.gy, &cx.gx, &cx.batch);
        Some(quote!(if let Some(gx) = #gx { #f(#x, #y, #gy, gx, #b, &#geom); }))
    }
    fn quant(&self, cx: &Cx) -> Option<Quant> {
        let (rt, geom) = (&cx.rt, self.geom(cx));
        let forward = match self.reduce {
            Reduce::Max => quote!(#rt::quant::pool::maxpool(x, y, &#geom);),
            Reduce::Avg { count_include_pad } => {
                quote!(#rt::quant::pool::avgpool(x, y, &#geom, #count_include_pad, zp);)
            }
        };
        Some(Quant::Same { forward })
    }
}
