//! Planning: every layer built from its declaration (the registry in
//! `kinds/`), named, and its shapes chained through `shape.rs`; residual
//! blocks paired; the rules over several layers checked (`validate.rs`).

use crate::args::quoted_list;
use crate::ast::{LayerDef, NetDef};
use crate::expand::combine;
use crate::kinds;
use crate::layers::{Layer, Plan, Residual};
use crate::shape::Shape;
use crate::validate;
use proc_macro2::TokenStream;
use quote::format_ident;
use syn::Ident;

/// A layer with its name, shapes and plan resolved.
pub struct Planned<'a> {
    pub def: &'a LayerDef,
    pub layer: Box<dyn Layer>,
    /// The kind's name ([`kinds::Kind::name`]).
    pub kind: &'static str,
    pub name: Ident,
    pub input: Shape,
    pub plan: Plan,
    /// The other half's name, for the halves of a residual block.
    pub partner: Option<Ident>,
}

/// Builds every layer, names it and plans it on its input shape.
pub fn plan<'a>(def: &'a NetDef, rt: &TokenStream) -> syn::Result<Vec<Planned<'a>>> {
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
        match kinds::lookup(&kind) {
            Some(k) => match k.build(layer) {
                Ok(l) => built.push((layer, k, l)),
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
    for (def, k, layer) in built {
        let kind = k.name();
        let index = match counts.iter_mut().find(|(c, _)| *c == kind) {
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
        if k.spec.takes_tokens != tokens {
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
        let plan = layer
            .plan(rt, &shape)
            .map_err(|e| syn::Error::new(def.kind.span(), format!("{kind}: {e}")))?;
        let output = plan.output.clone();
        planned.push(Planned {
            def,
            layer,
            kind,
            name,
            input: shape,
            plan,
            partner: None,
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
        match planned[i].plan.residual {
            Some(Residual::Begin) => open.push(i),
            Some(Residual::End) => {
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
                planned[b].partner = Some(end);
                planned[i].partner = Some(begin);
            }
            None => {}
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

/// `unknown layer`: the nearest keyword when one is within two edits, else
/// every keyword (so that the message for a typo does not change each time
/// a kind is added).
fn unknown_kind(kind: &Ident) -> syn::Error {
    syn::Error::new(kind.span(), unknown_kind_message(&kind.to_string()))
}

pub(crate) fn unknown_kind_message(given: &str) -> String {
    let names: Vec<&str> = kinds::KINDS
        .iter()
        .map(|k| k.keyword)
        .filter(|k| !k.starts_with("__"))
        .collect();
    match names.iter().find(|n| edit_distance(n, given) <= 2) {
        Some(n) => format!("unknown layer `{given}`; did you mean `{n}`?"),
        None => format!(
            "unknown layer `{given}`, expected one of {}",
            quoted_list(&names)
        ),
    }
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
