//! `<Name>Workspace`, the single-sample inference workspace: two buffers the
//! layer outputs alternate between (sized by `inference_io`), kernel scratch, the inputs residual blocks
//! keep (`<name>_skip`) and the output.

use super::{array_type, array_zero, scratch, Net};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub fn item(net: &Net<'_>) -> TokenStream {
    let def = net.def;
    let (ident, vis) = (&def.ident, &def.vis);
    let ws_ident = net.ws_ident();
    let (_, a, b) = super::inference_io(net);
    let scratch = scratch::infer_const(net);
    let (mut ws_fields, mut ws_zero) = (Vec::new(), Vec::new());
    for l in net.layers {
        if let Some(len) = l.plan.skip {
            let f = format_ident!("{}_skip", l.name);
            let doc = format!(
                "`{}` ({}) input, kept for the skip connection",
                l.name, l.kind
            );
            ws_fields.push(quote!(#[doc = #doc] pub #f: [f32; #len],));
            ws_zero.push(quote!(#f: [0.0; #len],));
        }
    }
    let docs_ws = format!(
        "Inference workspace of [`{ident}`]: two buffers the layers' outputs alternate between \
         ({a} and {b} floats; an activation runs over its input's), kernel scratch and the output."
    );
    let (output_ty, zero_ws) = (array_type(net.output()), array_zero(net.output()));
    let derive = net.derive_zeroable();
    quote! {
        #[doc = #docs_ws]
        #derive
        #vis struct #ws_ident {
            /// Layer outputs, alternating with `b`.
            pub a: [f32; #a],
            /// Layer outputs, alternating with `a`.
            pub b: [f32; #b],
            /// Kernel scratch shared by the layers.
            pub scratch: [f32; #scratch],
            #(#ws_fields)*
            /// The last layer's output.
            pub output: #output_ty,
        }

        impl #ws_ident {
            /// The zeroed workspace, usable to initialise a `static`.
            pub const ZEROED: Self = Self {
                a: [0.0; #a],
                b: [0.0; #b],
                scratch: [0.0; #scratch],
                #(#ws_zero)*
                output: #zero_ws,
            };
        }
    }
}
