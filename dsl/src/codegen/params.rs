//! The network struct: every parameter block, then every buffer block, so
//! that `params()` is a prefix of `state()`; and its `ZEROED` value.

use super::{bm_crate, stats_field, Net};
use crate::layers::Block;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// `(field, zero value)` of every block, parameters first.
fn fields(net: &Net<'_>) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let (mut fields, mut zero_fields) = (Vec::new(), Vec::new());
    for l in net.layers {
        if let Some(p) = &l.plan.params {
            let (f, z) = block_field(&l.name, l.kind, p, "parameters");
            fields.push(f);
            zero_fields.push(z);
        }
    }
    for l in net.layers {
        if let Some(b) = &l.plan.stats {
            let (f, z) = block_field(&stats_field(&l.name), l.kind, b, "buffers");
            fields.push(f);
            zero_fields.push(z);
        }
    }
    (fields, zero_fields)
}

/// One field of the network struct (parameters or buffers).
fn block_field(field: &Ident, kind: &str, p: &Block, what: &str) -> (TokenStream, TokenStream) {
    let (ty, zeroed) = (&p.ty, &p.zeroed);
    let doc = format!("`{field}` ({kind}) {what}: {}", p.doc());
    (
        quote!(#[doc = #doc] pub #field: #ty,),
        quote!(#field: #zeroed,),
    )
}

/// `#[repr(C)] struct Name { ... }`, `Pod`.
pub fn item(net: &Net<'_>) -> TokenStream {
    let (bm, def) = (net.bm, net.def);
    let bm_crate = bm_crate(bm);
    let (attrs, vis, ident) = (&def.attrs, &def.vis, &def.ident);
    let (fields, _) = fields(net);
    quote! {
        #(#attrs)*
        #[repr(C)]
        #[derive(Clone, Copy, #bm::Pod, #bm::Zeroable)]
        #[bytemuck(crate = #bm_crate)]
        #vis struct #ident {
            #(#fields)*
        }
    }
}

/// `Network::ZEROED`: `Self { field: Block::ZEROED, ... }`.
pub fn zeroed(net: &Net<'_>) -> TokenStream {
    let (_, zero_fields) = fields(net);
    quote!(Self { #(#zero_fields)* })
}

/// `Network::PARAMS` and `Network::BUFFERS`: floats of each kind of block.
pub fn counts(net: &Net<'_>) -> (usize, usize) {
    let count = |p: &Option<Block>| p.as_ref().map_or(0, |p| p.count);
    (
        net.layers.iter().map(|l| count(&l.plan.params)).sum(),
        net.layers.iter().map(|l| count(&l.plan.stats)).sum(),
    )
}
