//! `<Name>Cache<const B: usize>`, the training cache: every layer's output
//! for a batch, the tensors forward saves for backward, the gradient
//! ping-pong buffers, kernel scratch and the dropout generator.

use super::{array_type, array_zero, scratch, Net};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub fn item(net: &Net<'_>) -> TokenStream {
    let (rt, def) = (net.rt, net.def);
    let (ident, vis) = (&def.ident, &def.vis);
    let cache_ident = net.cache_ident();
    let widest = net.widest();
    let train_scratch = scratch::train_const(net);
    let (mut cache_fields, mut cache_zero) = (Vec::new(), Vec::new());
    for l in net.layers {
        let (name, ty, zero) = (
            &l.name,
            array_type(&l.plan.output),
            array_zero(&l.plan.output),
        );
        let doc = format!(
            "`{}` ({}) output, {} per sample",
            name, l.kind, l.plan.output
        );
        cache_fields.push(quote!(#[doc = #doc] pub #name: [#ty; B],));
        cache_zero.push(quote!(#name: [#zero; B],));
        for s in &l.plan.saved {
            let field = format_ident!("{}_{}", name, s.suffix);
            let (ty, zero) = (array_type(&s.shape), array_zero(&s.shape));
            let doc = format!("`{}` ({}) saved `{}`, {}", name, l.kind, s.suffix, s.shape);
            if s.per_sample {
                cache_fields.push(quote!(#[doc = #doc] pub #field: [#ty; B],));
                cache_zero.push(quote!(#field: [#zero; B],));
            } else {
                cache_fields.push(quote!(#[doc = #doc] pub #field: #ty,));
                cache_zero.push(quote!(#field: #zero,));
            }
        }
    }
    let docs_cache = format!(
        "Training cache of [`{ident}`] for batches of `B`: every layer's output, saved \
         tensors, kernel scratch, gradient scratch and the dropout generator."
    );
    let derive = net.derive_zeroable();
    let (fq_field, fq_zero) = match &net.fake_quant {
        Some(_) => {
            let t = net.layers.len() + 1;
            (
                quote! {
                    /// Quantisation-aware training's activation ranges (off when zeroed).
                    pub fq: #rt::quant::qat::Ranges<#t>,
                },
                quote!(fq: #rt::quant::qat::Ranges::<#t>::ZEROED,),
            )
        }
        None => (TokenStream::new(), TokenStream::new()),
    };
    quote! {
        #[doc = #docs_cache]
        #derive
        #vis struct #cache_ident<const B: usize> {
            #(#cache_fields)*
            /// Backward scratch (gradient ping-pong buffer).
            pub grad_a: [[f32; #widest]; B],
            /// Backward scratch (gradient ping-pong buffer).
            pub grad_b: [[f32; #widest]; B],
            /// Kernel scratch shared by the layers (convolution columns).
            pub scratch: [f32; #train_scratch],
            /// Generator for dropout masks; seed it with `Rng::new(seed)`.
            pub rng: #rt::Rng,
            #fq_field
        }

        impl<const B: usize> #cache_ident<B> {
            /// The zeroed cache, usable to initialise a `static`.
            pub const ZEROED: Self = Self {
                #(#cache_zero)*
                grad_a: [[0.0; #widest]; B],
                grad_b: [[0.0; #widest]; B],
                scratch: [0.0; #train_scratch],
                rng: #rt::Rng::new(0),
                #fq_zero
            };
        }
    }
}
