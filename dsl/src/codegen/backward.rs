//! `Network::backward` and `Network::backward_sgd` (backward fused with the
//! SGD step): last layer first, gradients ping-ponging through the cache's
//! `grad_a`/`grad_b`; a `relu` before a layer with a `_relu` backward form
//! (`Layer::backward_relu`: `maxpool2d`) runs inside that layer's.

use super::{array_type, Net};
use crate::layers::InPlace;
use proc_macro2::TokenStream;
use quote::quote;

pub fn methods(net: &Net<'_>) -> TokenStream {
    let (rt, layers) = (net.rt, net.layers);
    let n = layers.len();
    let (input_ty, output_ty) = (array_type(net.input()), array_type(net.output()));
    let cache_ident = net.cache_ident();
    // A `relu` (not the first layer) whose next layer has a `_relu`
    // backward form: that layer writes the ReLU's input gradient, and the
    // ReLU's backward is empty.
    let fused: Vec<bool> = (0..n)
        .map(|i| {
            i > 0
                && i + 1 < n
                && layers[i].plan.in_place == Some(InPlace::Relu)
                && layers[i + 1]
                    .layer
                    .backward_relu(&net.cx(&layers[i + 1], quote!(B), quote!(x), quote!(y)))
                    .is_some()
        })
        .collect();
    // `grad[k]`: the buffer of layer `k`'s input gradient, alternating from
    // the last layer's `grad_a`, except that a fused ReLU's is its next
    // layer's (which writes it).
    let mut grad = vec![false; n];
    for k in (0..n).rev() {
        grad[k] = if k + 1 == n {
            false
        } else if fused[k] {
            grad[k + 1]
        } else {
            !grad[k + 1]
        };
    }
    let buf = |k: usize| {
        if grad[k] {
            quote!(grad_b)
        } else {
            quote!(grad_a)
        }
    };
    let (mut bwd, mut bwd_sgd) = (Vec::new(), Vec::new());
    for (i, l) in layers.iter().enumerate().rev() {
        if fused[i] {
            continue;
        }
        let name = &l.name;
        let y = quote!(#rt::flat(&cache.#name));
        let mut cx = net.cx(l, quote!(B), net.cached_input(i), y);
        cx.mode = Some(quote!(#rt::Mode::Train));
        cx.saved_in = Some(name.clone());
        cx.gy = if i == n - 1 {
            quote!(grad_output)
        } else {
            let (b, len) = (buf(i + 1), l.plan.output.len());
            quote!(&#rt::flat(&cache.#b)[..B * #len])
        };
        cx.gx = if i == 0 {
            quote!(grad_input.take())
        } else {
            let (b, len) = (buf(i), l.input.len());
            quote!(Some(&mut #rt::flat_mut(&mut cache.#b)[..B * #len]))
        };
        let backward = match i.checked_sub(1).filter(|&r| fused[r]) {
            Some(_) => l.layer.backward_relu(&cx).expect("checked in `fused`"),
            None => l.layer.backward(&cx),
        };
        // The fused-SGD variant: no later (earlier-declared) layer reads this
        // one's parameters, so it can step them as soon as its gradients are
        // known.
        bwd_sgd.push(l.layer.backward_sgd(&cx).unwrap_or_else(|| {
            let (p, g) = (&cx.params, &cx.grads);
            let step =
                l.plan.params.as_ref().map(
                    |_| quote!(#rt::optim::sgd_step(#rt::flat_mut(&mut #p), #rt::flat(&#g), lr);),
                );
            quote!(#backward #step)
        }));
        bwd.push(backward);
    }
    quote! {
        fn backward<const B: usize>(
            &self,
            input: &[#input_ty; B],
            cache: &mut #cache_ident<B>,
            grad_output: &[#output_ty; B],
            grads: &mut Self,
            grad_input: ::core::option::Option<&mut [#input_ty; B]>,
        ) {
            let input: &[f32] = #rt::flat(input);
            let grad_output: &[f32] = #rt::flat(grad_output);
            let mut grad_input = grad_input.map(|g| #rt::flat_mut(g));
            let _ = (&grads, &mut grad_input);
            #(#bwd)*
        }

        fn backward_sgd<const B: usize>(
            &mut self,
            input: &[#input_ty; B],
            cache: &mut #cache_ident<B>,
            grad_output: &[#output_ty; B],
            grads: &mut Self,
            lr: f32,
        ) {
            let input: &[f32] = #rt::flat(input);
            let grad_output: &[f32] = #rt::flat(grad_output);
            let mut grad_input: ::core::option::Option<&mut [f32]> = ::core::option::Option::None;
            let _ = (&grads, &mut grad_input, lr);
            #(#bwd_sgd)*
        }
    }
}
