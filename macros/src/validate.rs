//! Rules that span several layers: one `check_*` function per rule, all run
//! by [`check`], errors collected and reported together.

use crate::plan::Planned;

/// Cache fields the generator uses for itself.
const RESERVED: &[&str] = &["rng", "grad_a", "grad_b", "scratch"];

/// Runs every rule; `Err` holds all violations.
pub fn check(layers: &[Planned<'_>]) -> syn::Result<()> {
    let mut errors: Vec<syn::Error> = Vec::new();
    check_names(layers, &mut errors);
    check_softmax_last(layers, &mut errors);
    check_dropout_not_last(layers, &mut errors);
    crate::expand::combine(errors)
}

/// The token a name-related error points at: the user's name if given.
fn name_span(layer: &Planned<'_>) -> proc_macro2::Span {
    layer.def.name.as_ref().unwrap_or(&layer.def.kind).span()
}

fn check_names(layers: &[Planned<'_>], errors: &mut Vec<syn::Error>) {
    let mut seen: Vec<String> = Vec::new();
    for layer in layers {
        let mut fields = vec![layer.name.to_string()];
        fields.extend(
            layer
                .plan
                .saved
                .iter()
                .map(|s| format!("{}_{}", layer.name, s.suffix)),
        );
        if layer.plan.stats.is_some() {
            fields.push(format!("{}_stats", layer.name));
        }
        for field in fields {
            if RESERVED.contains(&field.as_str()) {
                errors.push(syn::Error::new(
                    name_span(layer),
                    format!("layer name `{field}` is reserved for the generated cache"),
                ));
            } else if seen.contains(&field) {
                errors.push(syn::Error::new(
                    name_span(layer),
                    format!("duplicate layer name `{field}`"),
                ));
            }
            seen.push(field);
        }
    }
}

fn check_softmax_last(layers: &[Planned<'_>], errors: &mut Vec<syn::Error>) {
    let n = layers.len();
    for layer in layers.iter().take(n.saturating_sub(1)) {
        if layer.kind == "softmax" {
            errors.push(syn::Error::new(
                layer.def.kind.span(),
                "softmax: only allowed as the last layer; \
                 for training, end with logits and use `loss::softmax_cross_entropy`",
            ));
        }
    }
}

fn check_dropout_not_last(layers: &[Planned<'_>], errors: &mut Vec<syn::Error>) {
    if let Some(last) = layers.last() {
        if last.kind == "dropout" {
            errors.push(syn::Error::new(
                last.def.kind.span(),
                "dropout: not allowed as the last layer, it would drop outputs",
            ));
        }
    }
}
