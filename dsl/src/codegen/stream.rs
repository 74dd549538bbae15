//! The streaming API: `<Name>Stream` (every recurrent layer's state, step
//! buffers) and `<Name>::step`, if the input is a sequence and every layer
//! can run one step at a time; nothing otherwise.

use super::{array_type, array_zero, ping_pong, Net};
use crate::shape::Shape;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// A per-step shape: without the leading time dimension on a sequence
/// (`[1]` for a single token).
fn per_step(shape: &Shape, seq: bool) -> Shape {
    if !seq {
        return shape.clone();
    }
    match &shape.0[1..] {
        [] => Shape(vec![1]),
        rest => Shape(rest.to_vec()),
    }
}

pub fn items(net: &Net<'_>) -> TokenStream {
    let (rt, def, layers) = (net.rt, net.def, net.layers);
    if !(def.input.tokens || net.input().rank() == 2) {
        return TokenStream::new();
    }
    let mut states = Vec::new();
    for l in layers {
        match &l.plan.step {
            Some(s) => states.push(&s.state),
            None => return TokenStream::new(),
        }
    }
    let ident = &def.ident;
    let derive = net.derive_zeroable();
    let stream_ident = format_ident!("{}Stream", ident);
    let vis = &def.vis;
    let mut seq = true;
    let mut shapes = Vec::new();
    for l in layers {
        let out_seq = l.plan.sequence_out.unwrap_or(seq);
        shapes.push((per_step(&l.input, seq), per_step(&l.plan.output, out_seq)));
        seq = out_seq;
    }
    let n = layers.len();
    let widest = shapes[..n - 1]
        .iter()
        .map(|(_, o)| o.len())
        .max()
        .unwrap_or(1);
    let scratch_len = layers
        .iter()
        .filter_map(|l| l.plan.step.as_ref().and_then(|s| s.scratch.as_ref()))
        .fold(
            quote!(0usize),
            |acc, e| quote!(#rt::kernels::max_len(#acc, #e)),
        );
    let (mut fields, mut zero) = (Vec::new(), Vec::new());
    for (l, st) in layers.iter().zip(&states) {
        for (suffix, len) in st.iter() {
            let f = format_ident!("{}_{}", l.name, suffix);
            let doc = format!("`{}` ({}) state `{suffix}`", l.name, l.kind);
            fields.push(quote!(#[doc = #doc] pub #f: [f32; #len],));
            zero.push(quote!(#f: [0.0; #len],));
        }
    }
    let stream = format_ident!("stream");
    let mut code = Vec::new();
    for (i, (l, (sin, sout))) in layers.iter().zip(&shapes).enumerate() {
        let (x, y) = ping_pong(rt, &stream, i, n, (sin.len(), sout.len()));
        let mut cx = net.cx(l, quote!(1usize), x, y);
        cx.input = sin.clone();
        cx.output = sout.clone();
        cx.scratch = quote!(&mut stream.scratch[..]);
        code.push(l.layer.step(&cx));
    }
    let (in_ty, out_ty) = (array_type(&shapes[0].0), array_type(&shapes[n - 1].1));
    let out_zero = array_zero(&shapes[n - 1].1);
    let doc = format!(
        "Streaming state of [`{ident}`]: what `{ident}::step` keeps between time steps \
         (every recurrent layer's hidden state), and its step buffers."
    );
    quote! {
        #[doc = #doc]
        #derive
        #vis struct #stream_ident {
            #(#fields)*
            /// Ping-pong buffer.
            pub a: [f32; #widest],
            /// Ping-pong buffer.
            pub b: [f32; #widest],
            /// Kernel scratch of one step.
            pub scratch: [f32; #scratch_len],
            /// The last step's output.
            pub output: #out_ty,
        }

        impl #stream_ident {
            /// The initial state (all zeros), usable to initialise a `static`.
            pub const ZEROED: Self = Self {
                #(#zero)*
                a: [0.0; #widest],
                b: [0.0; #widest],
                scratch: [0.0; #scratch_len],
                output: #out_zero,
            };

            /// Back to the initial state, for a new sequence.
            pub fn reset(&mut self) {
                *self = Self::ZEROED;
            }
        }

        impl #ident {
            /// Inference on one time step: consumes `input` (one step of the
            /// sequence), updates `stream` and returns this step's output.
            /// Feeding a sequence step by step gives the outputs of
            /// `forward` on the whole sequence (its last row for a network
            /// that returns only the last step). No allocation.
            pub fn step<'s>(&self, input: &#in_ty, stream: &'s mut #stream_ident) -> &'s #out_ty {
                let input: &[f32] = #rt::flat(input);
                #(#code)*
                &stream.output
            }
        }
    }
}
