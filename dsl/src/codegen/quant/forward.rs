//! `<Name>Q::forward`: the int8 forward pass, one sample, ping-pong
//! through the workspace's two buffers; integer arithmetic only.

use super::super::Net;
use super::plan::{Op, QPlan};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// Where the current activation is.
#[derive(Clone, Copy, PartialEq)]
enum Loc {
    Input,
    A,
    B,
}

pub fn method(net: &Net<'_>, p: &QPlan) -> TokenStream {
    let rt = net.rt;
    let ws_ident = format_ident!("{}QWorkspace", net.def.ident);
    let (in_len, out_len) = (net.input().len(), net.output().len());
    let mut cur = Loc::Input;
    let mut cur_len = in_len;
    let mut code = Vec::new();
    let view = |loc: Loc, len: usize| match loc {
        Loc::Input => quote!(&input[..]),
        Loc::A => quote!(&ws.a[..#len]),
        Loc::B => quote!(&ws.b[..#len]),
    };
    for op in &p.ops {
        let i = match op {
            Op::Weighted { i, .. }
            | Op::Clamp { i }
            | Op::Leaky { i, .. }
            | Op::Same { i, .. }
            | Op::Begin { i }
            | Op::End { i, .. } => *i,
        };
        let l = &net.layers[i];
        let x = view(cur, cur_len);
        let dest = if cur == Loc::A { Loc::B } else { Loc::A };
        let (t_in, t_out) = (i, i + 1);
        let (out, out_len_op) = match op {
            Op::Weighted { out, .. } => (*out, net.layers[*out - 1].plan.output.len()),
            _ => (t_out, l.plan.output.len()),
        };
        let y = match dest {
            Loc::A => quote!(&mut ws.a[..#out_len_op]),
            _ => quote!(&mut ws.b[..#out_len_op]),
        };
        let clamp = quote!(self.clamp[#out][0], self.clamp[#out][1]);
        let stmt = match op {
            Op::Weighted { forward, bits, .. } => {
                let name = &l.name;
                let w = format_ident!("{}_weight", name);
                let w_ty = if *bits == 8 { quote!(i8) } else { quote!(u8) };
                quote! {{
                    let (x, y): (&[i8], &mut [i8]) = (#x, #y);
                    let w: &[#w_ty] = self.#w.as_flattened();
                    let ch = self.#name.view();
                    let io = #rt::quant::Io {
                        zp_x: self.zero[#t_in], zp_y: self.zero[#out],
                        lo: self.clamp[#out][0], hi: self.clamp[#out][1],
                    };
                    let patch: &mut [i8] = &mut ws.patch[..];
                    let _ = &patch;
                    #forward
                }}
            }
            Op::Clamp { .. } => quote! {{
                let y: &mut [i8] = #y;
                y.copy_from_slice(#x);
                #rt::quant::act::clamp(y, #clamp);
            }},
            Op::Leaky { .. } => {
                let a = format_ident!("{}_alpha", l.name);
                quote! {{
                    let y: &mut [i8] = #y;
                    y.copy_from_slice(#x);
                    let alpha = #rt::quant::Multiplier { m: self.#a[0], shift: self.#a[1] };
                    #rt::quant::act::leaky_relu(y, self.zero[#t_in], alpha);
                }}
            }
            Op::Same { forward, .. } => quote! {{
                let (x, y): (&[i8], &mut [i8]) = (#x, #y);
                let zp: i32 = self.zero[#t_in];
                #forward
            }},
            Op::Begin { .. } => {
                let skip = format_ident!("{}_skip", l.name);
                code.push(quote!(ws.#skip.copy_from_slice(#x);));
                continue;
            }
            Op::End { begin, .. } => {
                let skip = format_ident!("{}_skip", net.layers[*begin].name);
                let add = format_ident!("{}_add", l.name);
                quote! {{
                    let y: &mut [i8] = #y;
                    y.copy_from_slice(#x);
                    let p = #rt::quant::add::AddParams::from_array(&self.#add, self.zero[#out]);
                    #rt::quant::add::add(&ws.#skip, y, &p, (#clamp));
                }}
            }
        };
        code.push(stmt);
        cur = dest;
        cur_len = out_len_op;
    }
    let last = view(cur, cur_len);
    quote! {
        /// Inference on one int8 sample (see `quantize_input`); integer
        /// arithmetic only, no allocation. The result lives in the workspace.
        pub fn forward<'w>(&self, input: &[i8; #in_len], ws: &'w mut #ws_ident) -> &'w [i8; #out_len] {
            #(#code)*
            ws.output.copy_from_slice(#last);
            &ws.output
        }

        /// The index of the largest output (the class, for a classifier).
        pub fn predict(&self, input: &[i8; #in_len], ws: &mut #ws_ident) -> usize {
            #rt::quant::argmax(self.forward(input, ws))
        }
    }
}
