//! `patchify(p)`: `[C, H, W]` to a sequence of `(H/p)(W/p)` patches of
//! `C p p` values (row-major patches, each channel by channel), for Vision
//! Transformers. Kernels in `runtime/src/kernels/patchify.rs`.

use super::Spec;
use crate::args::Args;
use crate::layers::{Cx, Layer, Plan};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::quote;

struct Patchify {
    size: usize,
}

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&["size"], &[], build);

/// A declaration and the fingerprint it must have; `variants` each set one
/// named argument away from its default (checked in `kinds/tests.rs`).
#[cfg(test)]
pub const EXAMPLE: super::Example = super::Example {
    input: "[1, 8, 8]",
    declaration: "patchify(4)",
    config: "size=4",
    variants: &[],
};

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Box::new(Patchify {
        size: args.positive(0, "size")?,
    }))
}

impl Layer for Patchify {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let output = shape::patchify(input, self.size)?;
        Ok(Plan::new(output, format!("size={}", self.size)))
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, x, y, b, p) = (&cx.rt, &cx.x, &cx.y, &cx.batch, self.size);
        let (c, h, w) = (cx.input.0[0], cx.input.0[1], cx.input.0[2]);
        quote!(#rt::kernels::patchify::patchify_forward(#x, #y, #b, #c, #h, #w, #p);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, gy, gx, b, p) = (&cx.rt, &cx.gy, &cx.gx, &cx.batch, self.size);
        let (c, h, w) = (cx.input.0[0], cx.input.0[1], cx.input.0[2]);
        quote!(if let Some(gx) = #gx { #rt::kernels::patchify::patchify_backward(#gy, gx, #b, #c, #h, #w, #p); })
    }
}
