//! Every kind's fingerprint ([`Plan::config`](crate::layers::Plan::config),
//! what saved weights record) pinned by the [`Example`](super::Example) in
//! the kind's file, and each of its named arguments must change the fingerprint or
//! the parameter layout, so that a setting left out of `config` fails here
//! instead of letting weights trained with other settings load.

use super::{EXAMPLES, KINDS};
use crate::ast::NetDef;
use crate::plan::{plan, Planned};
use quote::quote;

/// The first layer's config and every tensor shape of its parameters and
/// statistics, for `struct Net { input: <input>, <layer> }`.
fn fingerprint(input: &str, layer: &str) -> (String, Vec<Vec<usize>>) {
    let source = format!("struct Net {{ input: {input}, {layer} }}");
    let def: NetDef = syn::parse_str(&source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let layers: Vec<Planned<'_>> =
        plan(&def, &quote!(rt)).unwrap_or_else(|e| panic!("{source}: {e}"));
    let first = &layers[0].plan;
    let blocks = first.params.iter().chain(&first.stats);
    let shapes = blocks.flat_map(|b| b.tensors.iter().map(|t| t.shape.clone()));
    (first.config.clone(), shapes.collect())
}

/// Each example's declaration starts with its own kind's keyword.
#[test]
fn every_example_declares_its_kind() {
    for &(kind, example) in EXAMPLES {
        let first = example.declaration.split(['(', ' ']).next();
        assert_eq!(
            first,
            Some(kind),
            "{kind}.rs: EXAMPLE declares {}",
            example.declaration
        );
    }
    let keywords = KINDS.iter().filter(|k| !k.keyword.starts_with("__"));
    assert_eq!(keywords.count(), EXAMPLES.len());
}

#[test]
fn configs_are_pinned() {
    for (_, e) in EXAMPLES {
        assert_eq!(
            fingerprint(e.input, e.declaration).0,
            e.config,
            "{}",
            e.declaration
        );
    }
}

#[test]
fn every_named_argument_changes_the_fingerprint() {
    for &(kind, e) in EXAMPLES {
        let spec = super::lookup(kind).unwrap().spec;
        for named in spec.named {
            let set = format!("{named} =");
            let variant = e.variants.iter().find(|v| v.contains(&set));
            let variant =
                variant.unwrap_or_else(|| panic!("{kind}.rs: no EXAMPLE variant sets `{named}`"));
            assert_ne!(
                fingerprint(e.input, e.declaration),
                fingerprint(e.input, variant),
                "{variant}: `{named}` changes neither the config nor the parameters"
            );
        }
    }
}

/// The unknown-keyword message: a near miss names only the nearest kind
/// (its trybuild case does not change when a kind is added); anything else
/// lists every keyword.
#[test]
fn unknown_keywords_are_answered() {
    assert_eq!(
        crate::plan::unknown_kind_message("desne"),
        "unknown layer `desne`; did you mean `dense`?"
    );
    let far = crate::plan::unknown_kind_message("transformer");
    for (kind, _) in EXAMPLES {
        assert!(far.contains(&format!("`{kind}`")), "{far} lacks {kind}");
    }
}
