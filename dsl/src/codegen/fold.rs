//! `<Name>::fold_batchnorm`: every layer that can fold itself into the
//! foldable parameter block before it (batch norm into conv/dense) does.

use super::Net;
use proc_macro2::TokenStream;
use quote::quote;

pub fn item(net: &Net<'_>) -> TokenStream {
    let (ident, layers) = (&net.def.ident, net.layers);
    let mut fold = Vec::new();
    for (i, l) in layers.iter().enumerate().skip(1) {
        let prev = &layers[i - 1];
        if prev.plan.params.as_ref().is_some_and(|p| p.foldable) {
            let cx = net.cx(l, quote!(1usize), quote!(), quote!());
            let prev_params = net.cx(prev, quote!(1usize), quote!(), quote!()).params;
            fold.extend(l.layer.fold_into_previous(&cx, &prev_params));
        }
    }
    quote! {
        impl #ident {
            /// Folds every batch norm that follows a layer with weight and
            /// bias into that layer, using the running statistics, and makes
            /// the batch norm the identity: the same inference outputs (up to
            /// rounding) with one affine map less. For inference only: training
            /// afterwards would train a different network.
            pub fn fold_batchnorm(&mut self) {
                #(#fold)*
            }
        }
    }
}
