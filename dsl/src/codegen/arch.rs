//! `Network::ARCH`, the weights manifest: the input shape, every layer
//! (name, kind, config, output shape) and every tensor in memory order
//! (every parameter block, then every buffer block). Both weight formats
//! and the fingerprint work from it alone.

use super::Net;
use proc_macro2::TokenStream;
use quote::quote;

pub fn expr(net: &Net<'_>) -> TokenStream {
    let (rt, layers) = (net.rt, net.layers);
    let dims = |s: &[usize]| quote!(&[#(#s),*]);
    let input = dims(&net.input().0);
    let infos = layers.iter().map(|l| {
        let (name, kind, config) = (l.name.to_string(), l.kind, l.plan.config.as_str());
        let output = dims(&l.plan.output.0);
        quote!(#rt::weights::LayerInfo { name: #name, kind: #kind, config: #config, output: #output })
    });
    let mut tensors = Vec::new();
    let mut offset = 0usize;
    for trainable in [true, false] {
        for l in layers {
            let block = if trainable {
                &l.plan.params
            } else {
                &l.plan.stats
            };
            for t in block.iter().flat_map(|b| &b.tensors) {
                let (layer, attr, shape) = (l.name.to_string(), t.name, dims(&t.shape));
                tensors.push(quote!(#rt::weights::TensorInfo {
                    layer: #layer, attr: #attr, shape: #shape, offset: #offset, trainable: #trainable,
                }));
                offset += t.shape.iter().product::<usize>();
            }
        }
    }
    quote!(#rt::weights::Arch { input: #input, layers: &[#(#infos),*], tensors: &[#(#tensors),*] })
}
