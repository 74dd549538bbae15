//! The pipeline: parse (`parse.rs`) -> plan (`plan.rs`: each layer built
//! from the registry in `kinds/`, shapes chained, `validate.rs`) -> generate
//! (`codegen/`), and the fallback on error.

use crate::ast::NetDef;
use crate::facade::Facade;
use crate::{codegen, plan};
use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

/// The macro's entry point: parse, shape, validate, expand.
pub fn network(tokens: TokenStream) -> TokenStream {
    let def: NetDef = match syn::parse2(tokens.clone()) {
        Ok(def) => def,
        Err(err) => return fallback(&tokens, err),
    };
    let facade = Facade::new(def.krate.as_ref());
    match plan::plan(&def, &facade.rt).and_then(|layers| codegen::generate(&def, &layers, &facade))
    {
        Ok(out) => out,
        Err(err) => fallback(&tokens, err),
    }
}

/// On error: the errors plus a stub `struct Name;`, so that uses of the
/// network do not add a cascade of unrelated errors.
fn fallback(tokens: &TokenStream, err: syn::Error) -> TokenStream {
    let errors = err.to_compile_error();
    let stub = syn::parse::Parser::parse2(
        |input: syn::parse::ParseStream<'_>| {
            let _attrs = input.call(syn::Attribute::parse_outer)?;
            let vis: syn::Visibility = input.parse()?;
            input.parse::<syn::Token![struct]>()?;
            let ident: Ident = input.parse()?;
            input.parse::<TokenStream>()?;
            Ok(quote!(#vis struct #ident;))
        },
        tokens.clone(),
    )
    .unwrap_or_default();
    quote!(#errors #stub)
}

/// All errors as one, or `Ok` if there are none.
pub fn combine(errors: Vec<syn::Error>) -> syn::Result<()> {
    let mut iter = errors.into_iter();
    match iter.next() {
        None => Ok(()),
        Some(mut first) => {
            first.extend(iter);
            Err(first)
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(tokens: proc_macro2::TokenStream) -> String {
        super::network(tokens).to_string()
    }

    #[test]
    fn crate_override_is_the_only_path() {
        let out = expand(quote! {
            #[staticnet(crate = "my_lib::nn")]
            #[budget(ram = 4096)]
            struct Net { input: [2], dense(3), relu, dense(1) }
        });
        assert!(out.contains("my_lib :: nn :: __private :: rt"), "{out}");
        assert!(
            out.contains("my_lib :: nn :: __private :: bytemuck"),
            "{out}"
        );
        assert!(!out.contains("staticnet"), "{out}");
    }

    #[test]
    fn crate_override_unquoted() {
        let out = expand(quote! {
            #[staticnet(crate = ::other)]
            struct Net { input: [2], dense(1) }
        });
        assert!(out.contains(":: other :: __private :: rt"), "{out}");
    }

    #[test]
    fn without_override_staticnet() {
        // The macros crate's own Cargo.toml does not depend on staticnet.
        let out = expand(quote!(struct Net { input: [2], dense(1) }));
        assert!(out.contains(":: staticnet :: __private :: rt"), "{out}");
    }

    /// The single-sample forward fuses a `relu` into the convolution or
    /// dense layer before it, unless the `relu` is the last layer; the
    /// batch forward and other activations are unchanged.
    #[test]
    fn relu_fuses_into_the_layer_before_in_the_single_sample_forward() {
        let count = |out: &str, what: &str| out.matches(what).count();
        let out = expand(quote! {
            struct Net {
                input: [1, 8, 8], conv2d(2, 3), relu, flatten, dense(4), relu, dense(3),
                leaky_relu(0.1), dense(2)
            }
        });
        assert_eq!(count(&out, "conv2d_forward_relu ("), 1, "{out}");
        assert_eq!(count(&out, "dense_forward_relu ("), 1, "{out}");
        // The batch forward's two calls only.
        assert_eq!(count(&out, "relu :: relu_forward ("), 2, "{out}");
        assert_eq!(count(&out, "leaky_relu_forward ("), 2, "{out}");
        let out = expand(quote!(struct Net { input: [2], dense(3), relu }));
        assert_eq!(count(&out, "dense_forward_relu ("), 0, "{out}");
    }

    /// The training backward runs a `relu` followed by `maxpool2d` as
    /// `maxpool2d_backward_relu`, and the ReLU's own backward not at all;
    /// not for a first-layer `relu`, nor before an average pool.
    #[test]
    fn relu_fuses_into_the_max_pool_after_it_in_the_backward() {
        let count = |out: &str, what: &str| out.matches(what).count();
        let out = expand(quote! {
            struct Net {
                input: [1, 8, 8],
                conv2d(2, 3, padding = 1), relu, maxpool2d(2),
                conv2d(2, 3, padding = 1), relu, avgpool2d(2),
                flatten, dense(3), relu, dense(2)
            }
        });
        // `backward` and `backward_sgd`, once each.
        assert_eq!(count(&out, "maxpool2d_backward_relu ("), 2, "{out}");
        assert_eq!(count(&out, "maxpool2d_backward ("), 0, "{out}");
        // The ReLUs before the average pool and after the dense layer.
        assert_eq!(count(&out, "relu :: relu_backward ("), 4, "{out}");
        let out =
            expand(quote!(struct Net { input: [1, 4, 4], relu, maxpool2d(2), flatten, dense(1) }));
        assert_eq!(count(&out, "maxpool2d_backward_relu ("), 0, "{out}");
    }

    #[test]
    fn option_mistakes_are_errors_with_a_stub() {
        for attr in [
            quote!(#[staticnet(krate = "x")]),
            quote!(#[staticnet(crate = 1)]),
            quote!(#[staticnet(crate = "a b")]),
            quote!(#[staticnet(crate = "x", crate = "y")]),
            quote!(#[staticnet()]),
            quote!(#[staticnet]),
        ] {
            let out = expand(quote!(#attr struct Net { input: [2], dense(1) }));
            assert!(
                out.starts_with(":: core :: compile_error !"),
                "{attr}: {out}"
            );
            assert!(out.ends_with("struct Net ;"), "{attr}: {out}");
        }
    }
}
