//! `Network::update_buffers`: every layer with a statistics block (batch
//! norm's running mean and variance) updates it from what the batch forward saved.

use super::Net;
use proc_macro2::TokenStream;
use quote::quote;

pub fn method(net: &Net<'_>) -> TokenStream {
    let cache_ident = net.cache_ident();
    let mut update = Vec::new();
    for l in net.layers.iter().filter(|l| l.plan.stats.is_some()) {
        let mut cx = net.cx(l, quote!(B), quote!(), quote!());
        cx.saved_in = Some(l.name.clone());
        update.push(l.layer.update_stats(&cx));
    }
    quote! {
        fn update_buffers<const B: usize>(&mut self, cache: &#cache_ident<B>) {
            let _ = cache;
            #(#update)*
        }
    }
}
