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

pub use plan::{plan, QPlan};

/// Every item of the int8 network, if the declaration asks for it.
pub fn items(net: &Net<'_>, p: Option<&QPlan>) -> TokenStream {
    let Some(p) = p else {
        return TokenStream::new();
    };
    let types = types::items(net, p);
    let observe = quantize::observe(net, p);
    let forward = forward::method(net, p);
    let methods = quantize::items(net, p, forward);
    quote! {
        #types
        #observe
        #methods
    }
}
