//! The two scratch-size constants: the largest kernel scratch any layer
//! needs in inference (the workspace's) and in training (the cache's), as
//! `const` items summing the layers' `const` expressions.

use super::Net;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

/// `__<Name>_SCRATCH`: the workspace's scratch length.
pub fn infer_const(net: &Net<'_>) -> Ident {
    format_ident!("__{}_SCRATCH", net.def.ident)
}

/// `__<Name>_TRAIN_SCRATCH`: the cache's scratch length.
pub fn train_const(net: &Net<'_>) -> Ident {
    format_ident!("__{}_TRAIN_SCRATCH", net.def.ident)
}

pub fn consts(net: &Net<'_>) -> TokenStream {
    let rt = net.rt;
    let max_of = |lens: Vec<&TokenStream>| {
        lens.into_iter().fold(
            quote!(0usize),
            |acc, e| quote!(#rt::kernels::max_len(#acc, #e)),
        )
    };
    let layers = net.layers;
    let scratch_len = max_of(
        layers
            .iter()
            .filter_map(|l| l.plan.scratch.as_ref())
            .collect(),
    );
    let train_scratch_len = max_of(
        layers
            .iter()
            .filter_map(|l| l.plan.train_scratch.as_ref().or(l.plan.scratch.as_ref()))
            .collect(),
    );
    let (scratch_const, train_scratch_const) = (infer_const(net), train_const(net));
    quote! {
        /// `f32`s of kernel scratch the layers of the network need (the largest).
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        const #scratch_const: usize = #scratch_len;
        /// `f32`s of kernel scratch the layers need in training (the largest).
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        const #train_scratch_const: usize = #train_scratch_len;
    }
}
