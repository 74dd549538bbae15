//! Code generation: the network struct (parameters), its cache and workspace
//! types, and the `Network` impl. One file per layer kind beside this one.

pub mod avgpool2d;
pub mod batchnorm;
mod budget;
pub mod conv1d;
pub mod conv2d;
pub mod dense;
pub mod dropout;
mod elementwise;
pub mod embedding;
pub mod flatten;
pub mod gelu;
pub mod global_avgpool;
pub mod gru;
pub mod layernorm;
pub mod leaky_relu;
pub mod lstm;
pub mod maxpool2d;
pub mod mean_pool;
pub mod multihead_attention;
mod network;
pub mod patchify;
mod pool;
pub mod pos_embedding;
mod recurrent;
pub mod relu;
pub mod residual;
pub mod rnn;
pub mod sigmoid;
pub mod softmax;
pub mod tanh;

use crate::args::quoted_list;
use crate::ast::{LayerDef, NetDef};
use crate::facade::Facade;
use crate::layers::{self, Layer, Params, Saved};
use crate::shape::Shape;
use crate::validate;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

/// A layer with its name and shapes resolved.
pub struct Planned<'a> {
    pub def: &'a LayerDef,
    pub layer: Box<dyn Layer>,
    pub name: Ident,
    pub input: Shape,
    pub output: Shape,
    pub params: Option<Params>,
    pub buffers: Option<Params>,
    pub saved: Vec<Saved>,
    pub scratch: Option<TokenStream>,
    pub train_scratch: Option<TokenStream>,
}

/// The macro's entry point: parse, shape, validate, expand.
pub fn network(tokens: TokenStream) -> TokenStream {
    let def: NetDef = match syn::parse2(tokens.clone()) {
        Ok(def) => def,
        Err(err) => return fallback(&tokens, err),
    };
    let facade = Facade::new(def.krate.as_ref());
    match plan(&def, &facade.rt).and_then(|layers| network::generate(&def, &layers, &facade)) {
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

/// Builds every layer, names it and computes its shapes.
fn plan<'a>(def: &'a NetDef, rt: &TokenStream) -> syn::Result<Vec<Planned<'a>>> {
    let mut errors = Vec::new();
    let mut dims = Vec::new();
    for lit in &def.input.dims {
        match lit.base10_parse::<usize>() {
            Ok(d) => dims.push(d),
            Err(e) => errors.push(e),
        }
    }
    let mut built = Vec::new();
    for layer in &def.layers {
        let kind = layer.kind.to_string();
        match layers::lookup(&kind) {
            Some(ctor) => match ctor(layer) {
                Ok(l) => built.push((layer, l)),
                Err(e) => errors.push(e),
            },
            None => errors.push(unknown_kind(&layer.kind)),
        }
    }
    combine(errors)?;
    let mut shape =
        Shape::new(dims).map_err(|e| syn::Error::new(def.input.span, format!("input: {e}")))?;
    let mut tokens = def.input.tokens;
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    let mut planned = Vec::new();
    for (def, layer) in built {
        let kind = layer.kind();
        let index = match counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => {
                *n += 1;
                *n - 1
            }
            None => {
                counts.push((kind, 1));
                0
            }
        };
        let name = def
            .name
            .clone()
            .unwrap_or_else(|| format_ident!("{}{}", kind, index));
        if layer.takes_tokens() != tokens {
            let msg = if tokens {
                format!(
                    "{kind}: expected float input, found token ids `tokens{shape}`; \
                     start with `embedding(vocab, dim)`"
                )
            } else {
                format!(
                    "{kind}: expected token ids (`input: tokens[steps]` just before), \
                     found float input {shape}"
                )
            };
            return Err(syn::Error::new(def.kind.span(), msg));
        }
        tokens = false;
        let output = layer
            .output_shape(&shape)
            .map_err(|e| syn::Error::new(def.kind.span(), format!("{kind}: {e}")))?;
        let params = layer.params(rt, &shape, &output);
        let buffers = layer.buffers(rt, &shape, &output);
        let saved = layer.saved(&shape, &output);
        let scratch = layer.scratch(rt, &shape, &output);
        let train_scratch = layer.train_scratch(rt, &shape, &output);
        planned.push(Planned {
            def,
            layer,
            name,
            input: shape,
            output: output.clone(),
            params,
            buffers,
            saved,
            scratch,
            train_scratch,
        });
        shape = output;
    }
    link_residuals(&mut planned)?;
    validate::check(&planned)?;
    Ok(planned)
}

/// Pairs each `residual` with its `__residual_end` (blocks nest) and checks
/// that the block's output has the shape of its input.
fn link_residuals(planned: &mut [Planned<'_>]) -> syn::Result<()> {
    let mut open: Vec<usize> = Vec::new();
    for i in 0..planned.len() {
        match planned[i].layer.kind() {
            "residual" => open.push(i),
            "residual_end" => {
                let Some(b) = open.pop() else {
                    return Err(unknown_kind(&planned[i].def.kind));
                };
                let (inner, outer) = (&planned[i].input, &planned[b].input);
                if inner != outer {
                    return Err(syn::Error::new(
                        planned[b].def.kind.span(),
                        format!(
                            "residual: the block's output {inner} differs from its input {outer}; \
                             the two are added"
                        ),
                    ));
                }
                let (begin, end) = (planned[b].name.clone(), planned[i].name.clone());
                planned[b].layer.link(&end);
                planned[i].layer.link(&begin);
            }
            _ => {}
        }
    }
    if let Some(&b) = open.last() {
        return Err(syn::Error::new(
            planned[b].def.kind.span(),
            "residual: expected a block, `residual { layers... }`",
        ));
    }
    Ok(())
}

fn unknown_kind(kind: &Ident) -> syn::Error {
    let names: Vec<&str> = layers::KINDS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !k.starts_with("__"))
        .collect();
    let given = kind.to_string();
    let close = names.iter().find(|n| edit_distance(n, &given) <= 2);
    let hint = match close {
        Some(n) => format!("; did you mean `{n}`?"),
        None => String::new(),
    };
    syn::Error::new(
        kind.span(),
        format!(
            "unknown layer `{given}`, expected one of {}{hint}",
            quoted_list(&names)
        ),
    )
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
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
