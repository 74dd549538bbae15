//! Shared code generation for shape-preserving elementwise layers (the
//! activations): `<kind>_forward(x, y, extra...)` and
//! `<kind>_backward(saved, gy, gx, extra...)` in `runtime/src/kernels/<kind>.rs`
//! (a variant's own `<op>_forward`, as `gelu_tanh_forward`, in the same file),
//! where `saved` is the layer's output or input as the kernel documents.

use crate::layers::{Cx, InPlace, Layer, Plan, Quant};
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
    kind: &'static str,
    /// The kernels' name prefix in the kind's kernel file (`<op>_forward`):
    /// the kind's name, or a variant's with kernels of its own (`gelu_tanh`).
    op: &'static str,
    reads: BackwardReads,
    /// Extra trailing kernel arguments (e.g. `alpha`).
    extra: TokenStream,
    /// The fingerprint config: the extra arguments, and a variant's name.
    config: String,
    relu_like: bool,
    /// The int8 form, if it has one.
    int8: Option<Int8>,
}

/// The int8 form of an activation.
#[derive(Clone, Copy)]
pub enum Int8 {
    /// A clamp to `[lo, hi]`.
    Clamp(f32, Option<f32>),
    /// Leaky ReLU with this slope.
    Leaky(f32),
}

impl Elementwise {
    /// The kind's `<kind>_forward`/`<kind>_backward` without extra arguments.
    pub fn new(kind: &'static str, reads: BackwardReads, relu_like: bool) -> Self {
        Elementwise {
            kind,
            op: kind,
            reads,
            extra: TokenStream::new(),
            config: String::new(),
            relu_like,
            int8: None,
        }
    }

    /// With an int8 form.
    pub fn int8(mut self, int8: Int8) -> Self {
        self.int8 = Some(int8);
        self
    }

    /// The same, boxed.
    pub fn boxed(kind: &'static str, reads: BackwardReads, relu_like: bool) -> Box<dyn Layer> {
        Box::new(Self::new(kind, reads, relu_like))
    }

    /// Extra trailing kernel arguments (`, #alpha`), which are also the
    /// config unless [`config`](Self::config) replaces it.
    pub fn args(mut self, extra: TokenStream) -> Self {
        self.config = extra.to_string();
        self.extra = extra;
        self
    }

    /// The fingerprint config, written out: a token stream's spelling can
    /// differ between the compiler and `proc_macro2`'s fallback (the ONNX
    /// importer), so more than one token is not left to it.
    pub fn config(mut self, config: String) -> Self {
        self.config = config;
        self
    }

    /// A variant with kernels of its own, `<op>_forward`/`<op>_backward` in
    /// the kind's kernel file (its config must tell it from the default).
    pub fn variant(mut self, op: &'static str) -> Self {
        self.op = op;
        self
    }

    fn kernel(&self, rt: &TokenStream, suffix: &str) -> TokenStream {
        let module = Ident::new(self.kind, Span::call_site());
        let func = Ident::new(&format!("{}_{suffix}", self.op), Span::call_site());
        quote!(#rt::kernels::#module::#func)
    }
}

impl Layer for Elementwise {
    fn plan(&self, _rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let mut plan = Plan::new(shape::elementwise(input)?, self.config.clone());
        plan.relu_like = self.relu_like;
        plan.in_place = Some(if self.op == "relu" {
            InPlace::Relu
        } else {
            InPlace::Elementwise
        });
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
    fn quant(&self, _cx: &Cx) -> Option<Quant> {
        Some(match self.int8? {
            Int8::Clamp(lo, hi) => Quant::Clamp { lo, hi },
            Int8::Leaky(alpha) => Quant::LeakyRelu { alpha },
        })
    }
}
