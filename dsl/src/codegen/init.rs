//! `Network::init`: every block initialised in declaration order from one
//! generator (He initialisation before a ReLU-like layer); statistics
//! after their layer's parameters.

use super::Net;
use proc_macro2::TokenStream;
use quote::quote;

pub fn method(net: &Net<'_>) -> TokenStream {
    let (rt, layers) = (net.rt, net.layers);
    let mut init = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let he = layers.get(i + 1).is_some_and(|next| next.plan.relu_like);
        let cx = net.cx(l, quote!(1usize), quote!(), quote!());
        if let Some(p) = &l.plan.params {
            init.push((p.init)(&cx, he));
        }
        if let Some(b) = &l.plan.stats {
            let mut cx = cx;
            cx.params = cx.stats.clone();
            init.push((b.init)(&cx, he));
        }
    }
    quote! {
        fn init(&mut self, seed: u64) {
            let mut rng = #rt::Rng::new(seed);
            #(#init)*
            let _ = &mut rng;
        }
    }
}
