//! `<Name>Q`, the int8 network struct, and `<Name>QWorkspace`, its
//! single-sample workspace. The struct's 4-byte fields come first
//! (activation table, per-channel parameters), then the int8 weights and
//! padding to a multiple of 4, so it is `Pod` without hidden padding and a
//! file's body is the struct itself.

use super::super::{bm_crate, Net};
use super::plan::{Op, QPlan};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub fn items(net: &Net<'_>, p: &QPlan) -> TokenStream {
    let (rt, bm, def) = (net.rt, net.bm, net.def);
    let (ident, vis) = (&def.ident, &def.vis);
    let (q, ws) = (q_ident(net), format_ident!("{}QWorkspace", ident));
    let t = net.layers.len() + 1;
    let (mut head, mut head_zero, mut tail, mut tail_zero) = (vec![], vec![], vec![], vec![]);
    let mut weight_bytes = 0usize;
    let mut params = 0usize;
    let (mut ws_fields, mut ws_zero, mut patches) = (vec![], vec![], vec![]);
    for op in &p.ops {
        match op {
            Op::Weighted {
                i,
                rows,
                cols,
                scratch,
                bits,
                ..
            } => {
                let name = &net.layers[*i].name;
                let w = format_ident!("{}_weight", name);
                let doc = format!("`{name}`: per-output-channel parameters");
                head.push(quote!(#[doc = #doc] pub #name: #rt::quant::Channels<#rows>,));
                head_zero.push(quote!(#name: #rt::quant::Channels::<#rows>::ZEROED,));
                let (ty, bytes) = weight_type(*bits, *cols);
                let doc = match bits {
                    8 => format!("`{name}`: int8 weights, {rows} rows of {cols}"),
                    b => format!(
                        "`{name}`: {b}-bit weights, {rows} rows of {cols} packed {} per byte \
                         (the first in the low bits)",
                        8 / b
                    ),
                };
                tail.push(quote!(#[doc = #doc] pub #w: [[#ty; #bytes]; #rows],));
                tail_zero.push(quote!(#w: [[0; #bytes]; #rows],));
                weight_bytes += rows * bytes;
                params += rows * cols + rows;
                patches.push(scratch.clone());
            }
            Op::Leaky { i, .. } => {
                let f = format_ident!("{}_alpha", net.layers[*i].name);
                let doc = format!(
                    "`{}`: the slope as a multiplier `(m, shift)`",
                    net.layers[*i].name
                );
                head.push(quote!(#[doc = #doc] pub #f: [i32; 2],));
                head_zero.push(quote!(#f: [0; 2],));
            }
            Op::End { i, .. } => {
                let f = format_ident!("{}_add", net.layers[*i].name);
                let doc = format!(
                    "`{}`: the sum's multipliers and input zero points (`quant::add::AddParams`)",
                    net.layers[*i].name
                );
                head.push(quote!(#[doc = #doc] pub #f: [i32; 8],));
                head_zero.push(quote!(#f: [0; 8],));
            }
            Op::Begin { i } => {
                let l = &net.layers[*i];
                let f = format_ident!("{}_skip", l.name);
                let len = l.input.len();
                ws_fields.push(quote!(pub #f: [i8; #len],));
                ws_zero.push(quote!(#f: [0; #len],));
            }
            Op::Clamp { .. } | Op::Same { .. } => {}
        }
    }
    let pad = (4 - weight_bytes % 4) % 4;
    let patch = patches.iter().fold(
        quote!(0usize),
        |acc, e| quote!(#rt::kernels::max_len(#acc, #e)),
    );
    let widest = net
        .layers
        .iter()
        .map(|l| l.plan.output.len())
        .max()
        .unwrap_or(1);
    let (in_len, out_len) = (net.input().len(), net.output().len());
    let doc = format!(
        "The int8 network of [`{ident}`] (TensorFlow Lite's int8 scheme): `{ident}Q::quantize` \
         makes it from a trained `{ident}` and a calibration, `forward` runs it with integer \
         arithmetic only."
    );
    let ws_doc = format!("Inference workspace of [`{q}`].");
    let bm_crate = bm_crate(bm);
    quote! {
        #[doc = #doc]
        #[repr(C)]
        #[derive(Clone, Copy, #bm::Pod, #bm::Zeroable)]
        #[bytemuck(crate = #bm_crate)]
        #vis struct #q {
            /// Scale of each activation tensor: the input, then each layer's output.
            pub scale: [f32; #t],
            /// Zero point of each activation tensor.
            pub zero: [i32; #t],
            /// The clamp `[lo, hi]` of the values written into each tensor.
            pub clamp: [[i32; 2]; #t],
            #(#head)*
            #(#tail)*
            /// Padding to a multiple of 4 bytes.
            pub _pad: [u8; #pad],
        }

        impl #q {
            /// Every value zero, for `static` initialisers.
            pub const ZEROED: Self = Self {
                scale: [0.0; #t],
                zero: [0; #t],
                clamp: [[0; 2]; #t],
                #(#head_zero)*
                #(#tail_zero)*
                _pad: [0; #pad],
            };
            /// Weights and biases (as the float network counts its parameters).
            pub const PARAMS: usize = #params;
            /// Bytes of int8 (or packed) weights.
            pub const WEIGHT_BYTES: usize = #weight_bytes;
            /// Bytes of the whole network (weights, per-channel parameters, activation table).
            pub const BYTES: usize = ::core::mem::size_of::<Self>();
            /// Values of one input.
            pub const INPUT_LEN: usize = #in_len;
            /// Values of one output.
            pub const OUTPUT_LEN: usize = #out_len;
        }

        impl ::core::fmt::Debug for #q {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(stringify!(#q))
                    .field("scale", &self.scale)
                    .field("zero", &self.zero)
                    .field("weight_bytes", &Self::WEIGHT_BYTES)
                    .finish_non_exhaustive()
            }
        }

        #[doc = #ws_doc]
        #[derive(Clone, Copy, #bm::Zeroable)]
        #[bytemuck(crate = #bm_crate)]
        #vis struct #ws {
            /// Ping-pong buffer.
            pub a: [i8; #widest],
            /// Ping-pong buffer.
            pub b: [i8; #widest],
            /// One receptive field of a convolution.
            pub patch: [i8; #patch],
            #(#ws_fields)*
            /// The output.
            pub output: [i8; #out_len],
        }

        impl #ws {
            /// The zeroed workspace, usable to initialise a `static`.
            pub const ZEROED: Self = Self {
                a: [0; #widest],
                b: [0; #widest],
                patch: [0; #patch],
                #(#ws_zero)*
                output: [0; #out_len],
            };
            /// Bytes of the workspace.
            pub const BYTES: usize = ::core::mem::size_of::<Self>();
        }
    }
}

/// The element type and bytes of a row of `cols` weights of `bits` bits.
pub fn weight_type(bits: u8, cols: usize) -> (TokenStream, usize) {
    match bits {
        4 => (quote!(u8), cols.div_ceil(2)),
        2 => (quote!(u8), cols.div_ceil(4)),
        _ => (quote!(i8), cols),
    }
}

/// `<Name>Q`.
pub fn q_ident(net: &Net<'_>) -> syn::Ident {
    format_ident!("{}Q", net.def.ident)
}
