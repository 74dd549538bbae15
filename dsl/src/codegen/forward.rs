//! `Network::forward` (one sample, through the workspace's two buffers, an
//! activation over its input's buffer),
//! `Network::forward_batch` (a batch, every output into the cache) and
//! `Network::cached_output`.

use super::{array_type, buf_slice, inference_io, Io, Net};
use proc_macro2::TokenStream;
use quote::quote;

pub fn methods(net: &Net<'_>) -> TokenStream {
    let (rt, layers) = (net.rt, net.layers);
    let n = layers.len();
    let (input_ty, output_ty) = (array_type(net.input()), array_type(net.output()));
    let (ws_ident, cache_ident) = (net.ws_ident(), net.cache_ident());
    let mut fwd1 = Vec::new();
    for (l, io) in layers.iter().zip(inference_io(net).0) {
        let (lin, lout) = (l.input.len(), l.plan.output.len());
        let (x, y) = match io {
            Io::Nothing => continue,
            Io::InPlace(_) => (quote!(x), quote!(y)),
            Io::Moves(x, y) | Io::MovesRelu(x, y) => {
                (buf_slice(rt, x, lin, false), buf_slice(rt, y, lout, true))
            }
        };
        let mut cx = net.cx(l, quote!(1usize), x, y);
        cx.scratch = quote!(&mut ws.scratch[..]);
        let code = match io {
            // The next layer, a ReLU, does nothing (`Io::Nothing`).
            Io::MovesRelu(..) => l.layer.forward_relu(&cx).unwrap_or_else(|| {
                let (f, y) = (l.layer.forward(&cx), &cx.y);
                quote!(#f #rt::kernels::relu::relu_in_place(#y);)
            }),
            _ => l.layer.forward(&cx),
        };
        fwd1.push(match io {
            Io::InPlace(buf) => {
                let buf = buf_slice(rt, buf, lin, true);
                quote!(#rt::kernels::in_place(#buf, |x: &[f32], y: &mut [f32]| { #code });)
            }
            _ => code,
        });
    }
    let mut fwdb = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let name = &l.name;
        let y = quote!(#rt::flat_mut(&mut cache.#name));
        let mut cx = net.cx(l, quote!(B), net.cached_input(i), y);
        cx.mode = Some(quote!(mode));
        cx.saved_in = Some(name.clone());
        cx.saved_mut = true;
        fwdb.push(l.layer.forward(&cx));
        if net
            .fake_quant
            .as_ref()
            .is_some_and(|t| t.contains(&(i + 1)))
        {
            let t = i + 1;
            fwdb.push(quote! {
                if cache.fq.on != 0 {
                    #rt::quant::qat::fake_quantize(
                        #rt::flat_mut(&mut cache.#name), cache.fq.scale[#t], cache.fq.zero[#t],
                        cache.fq.clamp[#t][0], cache.fq.clamp[#t][1],
                    );
                }
            });
        }
    }
    let last = &layers[n - 1].name;
    quote! {
        fn forward<'w>(&self, input: &#input_ty, ws: &'w mut #ws_ident) -> &'w #output_ty {
            let input: &[f32] = #rt::flat(input);
            #(#fwd1)*
            &ws.output
        }

        fn forward_batch<'c, const B: usize>(
            &self,
            input: &[#input_ty; B],
            cache: &'c mut #cache_ident<B>,
            mode: #rt::Mode,
        ) -> &'c [#output_ty; B] {
            let input: &[f32] = #rt::flat(input);
            let _ = mode;
            #(#fwdb)*
            &cache.#last
        }

        fn cached_output<const B: usize>(cache: &#cache_ident<B>) -> &[#output_ty; B] {
            &cache.#last
        }
    }
}
