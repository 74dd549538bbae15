//! `#[staticnet(quantize)]`: the int8 network of a declaration. `plan.rs`
//! maps each layer to its int8 operation and fuses; `types.rs` emits the
//! struct and workspace, `forward.rs` the integer forward pass,
//! `quantize.rs` calibration, quantisation and the file traits.

mod forward;
mod plan;
mod quantize;
mod types;

use super::Net;
use proc_macro2::TokenStream;
use quote::quote;

pub fn items(net: &Net<'_>) -> syn::Result<TokenStream> {
    if net.def.quantize.is_none() {
        return Ok(TokenStream::new());
    }
    let p = plan::plan(net)?;
    let types = types::items(net, &p);
    let observe = quantize::observe(net);
    let forward = forward::method(net, &p);
    let methods = quantize::items(net, &p, forward);
    Ok(quote! {
        #types
        #observe
        #methods
    })
}
