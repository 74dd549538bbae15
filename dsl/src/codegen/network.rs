//! `impl Network for <Name>`: the constants (sizes, `SUMMARY`, `ARCH`,
//! `ZEROED`), the associated types, and the methods from `init.rs`,
//! `forward.rs`, `backward.rs` and `update.rs`.

use super::{arch, array_type, backward, forward, init, params, summary, update, Net};
use proc_macro2::TokenStream;
use quote::quote;

pub fn item(net: &Net<'_>) -> TokenStream {
    let (rt, ident) = (net.rt, &net.def.ident);
    let (in_shape, out_shape) = (net.input(), net.output());
    let (input_ty, output_ty) = (array_type(in_shape), array_type(out_shape));
    let (input_len, output_len) = (in_shape.len(), out_shape.len());
    let (total_params, total_buffers) = params::counts(net);
    let summary = summary::text(net);
    let arch = arch::expr(net);
    let zeroed = params::zeroed(net);
    let (ws_ident, cache_ident) = (net.ws_ident(), net.cache_ident());
    let init = init::method(net);
    let forward = forward::methods(net);
    let backward = backward::methods(net);
    let update = update::method(net);
    quote! {
        impl #rt::Network for #ident {
            const PARAMS: usize = #total_params;
            const BUFFERS: usize = #total_buffers;
            const INPUT_LEN: usize = #input_len;
            const OUTPUT_LEN: usize = #output_len;
            const SUMMARY: &'static str = #summary;
            const ARCH: #rt::weights::Arch = #arch;
            const ZEROED: Self = #zeroed;
            type Input = #input_ty;
            type Output = #output_ty;
            type Workspace = #ws_ident;
            type Cache<const B: usize> = #cache_ident<B>;

            fn cache_rng<const B: usize>(cache: &mut Self::Cache<B>) -> &mut #rt::Rng {
                &mut cache.rng
            }

            #init
            #forward
            #backward
            #update
        }
    }
}
