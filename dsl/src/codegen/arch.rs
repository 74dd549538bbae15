//! `Network::ARCH`, the weights manifest (`manifest.rs` computes it): the
//! input shape, every layer (name, kind, config, output shape) and every
//! tensor in memory order. Both weight formats and the fingerprint work from
//! it alone.

use super::Net;
use crate::manifest;
use proc_macro2::TokenStream;
use quote::quote;

pub fn expr(net: &Net<'_>) -> TokenStream {
    let rt = net.rt;
    let m = manifest::of(net.layers);
    let dims = |s: &[usize]| quote!(&[#(#s),*]);
    let input = dims(&m.input);
    let infos = m.layers.iter().map(|l| {
        let (name, kind, config, output) = (&l.name, l.kind, &l.config, dims(&l.output));
        quote!(#rt::weights::LayerInfo { name: #name, kind: #kind, config: #config, output: #output })
    });
    let tensors = m.tensors.iter().map(|t| {
        let (layer, attr, shape, offset, trainable) =
            (&t.layer, t.attr, dims(&t.shape), t.offset, t.trainable);
        quote!(#rt::weights::TensorInfo {
            layer: #layer, attr: #attr, shape: #shape, offset: #offset, trainable: #trainable,
        })
    });
    quote!(#rt::weights::Arch { input: #input, layers: &[#(#infos),*], tensors: &[#(#tensors),*] })
}
