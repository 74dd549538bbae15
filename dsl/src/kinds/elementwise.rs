//! Shared code generation for shape-preserving elementwise layers (the
//! activations): `<kind>_forward(x, y, extra...)` and
//! `<kind>_backward(saved, gy, gx, extra...)` in `runtime/src/kernels/<kind>.rs`,
//! where `saved` is the layer's output or input as the kernel documents.

use crate::layers::{Cx, Layer, Plan};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// Which tensor the backward kernel reads.
#[derive(Clone, Copy)]
pub enum BackwardReads {
    Input,
    Output,
}

/// An elementwise activation.
pub struct Elementwise {
    pub kind: &'static str,
    pub reads: BackwardReads,
    /// Extra trailing kernel arguments (e.g. `alpha`).
    pub extra: TokenStream,
    pub relu_like: bool,
}

impl Elementwise {
    pub fn boxed(kind: &'static str, reads: BackwardReads, relu_like: bool) -> Box<dyn Layer> {
        Box::new(Elementwise {
            kind,
            reads,
            extra: TokenStream::new(),
            relu_like,
        })
    }

    fn kernel(&self, rt: &TokenStream, suffix: &str) -> TokenStream {
        let module = Ident::new(self.kind, Span::call_site());
        let func = Ident::new(&format!("{}_{suffix}", self.kind), Span::call_site());
        quote!(#rt::kernels::#module::#func)
    }
}

impl Layer for Elementwise {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let mut plan = Plan::new(shape::elementwise(input)?, self.extra.to_string());
        plan.relu_like = self.relu_like;
        Ok(plan.stateless_step())
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let f = self.kernel(&cx.rt, "forward");
        let (x, y, extra) = (&cx.x, &cx.y, &self.extra);
        quote!(#f(#x, #y #extra);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let f = self.kernel(&cx.rt, "backward");
        let saved = match self.reads {
            BackwardReads::Input => &cx.x,
            BackwardReads::Output => &cx.y,
        };
        let (gy, gx, extra) = (&cx.gy, &cx.gx, &self.extra);
        quote!(if let Some(gx) = #gx { #f(#saved, #gy, gx #extra); })
    }
}
