//! Every kind's fingerprint ([`Plan::config`](crate::layers::Plan::config),
//! what saved weights record) pinned, one row per kind: a new kind must add
//! a row, and each of its named arguments must change the fingerprint or
//! the parameter layout, so that a setting left out of `config` fails here
//! instead of letting weights trained with other settings load.

use super::KINDS;
use crate::ast::NetDef;
use crate::plan::{plan, Planned};
use quote::quote;

/// `(input, declaration, its config, declarations each setting one named
/// argument to a value other than its default)`; the declaration's first
/// layer is the one checked (a second only where the first may not come
/// last).
const ROWS: &[(&str, &str, &str, &[&str])] = &[
    ("[4]", "dense(3)", "bias=true", &["dense(3, bias = false)"]),
    ("[4]", "relu", "", &[]),
    ("[4]", "leaky_relu(0.1)", ", 0.1f32", &[]),
    ("[4]", "sigmoid", "", &[]),
    ("[4]", "tanh", "", &[]),
    ("[4]", "gelu", "", &[]),
    ("[4]", "softmax", "", &[]),
    ("[4]", "dropout(0.5), relu", "p=0.5", &[]),
    ("[2, 3]", "flatten", "", &[]),
    (
        "[2, 8, 8]",
        "conv2d(4, 3)",
        "kernel=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=true",
        &[
            "conv2d(4, 3, stride = 2)",
            "conv2d(4, 3, padding = 1)",
            "conv2d(4, 3, dilation = 2)",
            "conv2d(4, 3, groups = 2)",
            "conv2d(4, 3, bias = false)",
        ],
    ),
    (
        "[2, 8]",
        "conv1d(4, 3)",
        "kernel=(1, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=true",
        &[
            "conv1d(4, 3, stride = 2)",
            "conv1d(4, 3, padding = 1)",
            "conv1d(4, 3, dilation = 2)",
            "conv1d(4, 3, groups = 2)",
            "conv1d(4, 3, bias = false)",
        ],
    ),
    (
        "[2, 8, 8]",
        "maxpool2d(2)",
        "kernel=(2, 2), stride=(2, 2)",
        &["maxpool2d(2, stride = 1)"],
    ),
    (
        "[2, 8, 8]",
        "avgpool2d(2)",
        "kernel=(2, 2), stride=(2, 2)",
        &["avgpool2d(2, stride = 1)"],
    ),
    ("[2, 8, 8]", "global_avgpool", "", &[]),
    (
        "[2, 8, 8]",
        "batchnorm",
        "eps=1e-5, momentum=0.1",
        &["batchnorm(eps = 1e-3)", "batchnorm(momentum = 0.2)"],
    ),
    ("tokens[5]", "embedding(10, 4)", "", &[]),
    (
        "[5, 3]",
        "rnn(4)",
        "sequence=true, nonlinearity=tanh",
        &["rnn(4, sequence = false)", "rnn(4, relu = true)"],
    ),
    (
        "[5, 3]",
        "lstm(4)",
        "sequence=true",
        &["lstm(4, sequence = false)"],
    ),
    (
        "[5, 3]",
        "gru(4)",
        "sequence=true",
        &["gru(4, sequence = false)"],
    ),
    (
        "[5, 4]",
        "layernorm",
        "eps=1e-5",
        &["layernorm(eps = 1e-3)"],
    ),
    (
        "[5, 4]",
        "rmsnorm",
        "eps=1.1920929e-7",
        &["rmsnorm(eps = 1e-5)"],
    ),
    (
        "[5, 4]",
        "multihead_attention(2)",
        "heads=2, causal=false",
        &["multihead_attention(2, causal = true)"],
    ),
    ("[5, 4]", "pos_embedding", "", &[]),
    ("[1, 8, 8]", "patchify(4)", "size=4", &[]),
    ("[5, 4]", "mean_pool", "", &[]),
    ("[4]", "residual { relu }", "", &[]),
];

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

fn keyword(declaration: &str) -> &str {
    declaration.split(['(', ' ']).next().unwrap_or_default()
}

#[test]
fn every_kind_has_a_row() {
    for kind in KINDS.iter().filter(|k| !k.keyword.starts_with("__")) {
        assert!(
            ROWS.iter().any(|row| keyword(row.1) == kind.keyword),
            "`{}` has no row in kinds/tests.rs",
            kind.keyword
        );
    }
}

#[test]
fn configs_are_pinned() {
    for &(input, layer, config, _) in ROWS {
        assert_eq!(fingerprint(input, layer).0, config, "{layer}");
    }
}

#[test]
fn every_named_argument_changes_the_fingerprint() {
    for &(input, layer, _, variants) in ROWS {
        let kind = KINDS.iter().find(|k| k.keyword == keyword(layer)).unwrap();
        for named in kind.spec.named {
            let set = format!("{named} =");
            let variant = variants.iter().find(|v| v.contains(&set));
            let variant = variant.unwrap_or_else(|| panic!("{layer}: no row sets `{named}`"));
            assert_ne!(
                fingerprint(input, layer),
                fingerprint(input, variant),
                "{variant}: `{named}` changes neither the config nor the parameters"
            );
        }
    }
}
