//! Rules that span several layers: one `check_*` function per rule, all run
//! by [`check`], errors collected and reported together.

use crate::layers::Placement;
use crate::plan::Planned;

/// Cache fields the generator uses for itself.
const RESERVED: &[&str] = &["rng", "grad_a", "grad_b", "scratch"];

/// Runs every rule; `Err` holds all violations.
pub fn check(layers: &[Planned<'_>]) -> syn::Result<()> {
    let mut errors: Vec<syn::Error> = Vec::new();
    check_names(layers, &mut errors);
    check_placement(layers, &mut errors);
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

/// [`Plan::placement`]: a layer allowed only last (`softmax`), or never
/// last (`dropout`).
fn check_placement(layers: &[Planned<'_>], errors: &mut Vec<syn::Error>) {
    for (i, layer) in layers.iter().enumerate() {
        let (kind, last) = (layer.kind, i + 1 == layers.len());
        let message = match layer.plan.placement {
            Some(Placement::LastOnly(why)) if !last => {
                format!("{kind}: only allowed as the last layer; {why}")
            }
            Some(Placement::NotLast(why)) if last => {
                format!("{kind}: not allowed as the last layer, {why}")
            }
            _ => continue,
        };
        errors.push(syn::Error::new(layer.def.kind.span(), message));
    }
}
