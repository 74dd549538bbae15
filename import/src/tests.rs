//! Models built here, node by node, for every error the importer gives and
//! for the patterns it recognises.

use crate::export::{int, ints};
use crate::onnx::{
    tensor_proto::DataType, tensor_shape_proto::dimension, tensor_shape_proto::Dimension,
    type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use crate::{import_bytes, Error, Options};
use prost::Message;

fn node(
    op: &str,
    name: &str,
    inputs: &[&str],
    output: &str,
    attrs: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        op_type: Some(op.into()),
        name: Some(name.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute: attrs,
        ..Default::default()
    }
}

fn floats(name: &str, dims: &[i64], seed: f32) -> TensorProto {
    let n: i64 = dims.iter().product();
    TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(DataType::Float as i32),
        float_data: (0..n).map(|i| ((i as f32 + seed) * 0.37).sin()).collect(),
        ..Default::default()
    }
}

fn int64s(name: &str, v: &[i64]) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: vec![v.len() as i64],
        data_type: Some(DataType::Int64 as i32),
        int64_data: v.to_vec(),
        ..Default::default()
    }
}

fn value(name: &str, dims: &[Result<i64, &str>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Ok(n) => dimension::Value::DimValue(*n),
                Err(p) => dimension::Value::DimParam(p.to_string()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(DataType::Float as i32),
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A model of `nodes` from `x` of shape `[batch, dims...]` to `y`.
fn model(dims: &[Result<i64, &str>], nodes: Vec<NodeProto>, inits: Vec<TensorProto>) -> Vec<u8> {
    let mut all = vec![Err("batch")];
    all.extend_from_slice(dims);
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(17),
        }],
        graph: Some(GraphProto {
            node: nodes,
            initializer: inits,
            input: vec![value("x", &all)],
            output: vec![value("y", &[])],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

fn import(bytes: &[u8]) -> Result<crate::Imported, Error> {
    import_bytes(bytes, "test", &Options::default())
}

fn error(bytes: &[u8]) -> String {
    match import(bytes) {
        Ok(i) => panic!("imported, expected an error:\n{}", i.source),
        Err(e) => e.to_string(),
    }
}

fn gemm(name: &str, input: &str, output: &str) -> NodeProto {
    node(
        "Gemm",
        name,
        &[input, &format!("{name}.weight"), &format!("{name}.bias")],
        output,
        vec![int("transB", 1)],
    )
}

#[test]
fn a_residual_mlp_is_a_residual_block() {
    let nodes = vec![
        gemm("fc1", "x", "h"),
        node("Relu", "r", &["h"], "a", vec![]),
        gemm("fc2", "a", "b"),
        node("Add", "add", &["a", "b"], "y", vec![]),
    ];
    let inits = vec![
        floats("fc1.weight", &[6, 5], 0.0),
        floats("fc1.bias", &[6], 1.0),
        floats("fc2.weight", &[6, 6], 2.0),
        floats("fc2.bias", &[6], 3.0),
    ];
    let i = import(&model(&[Ok(5)], nodes, inits)).unwrap();
    assert!(i.source.contains("fc1: dense(6),\n        relu,\n        residual {\n            fc2: dense(6),\n        },"), "{}", i.source);
    let params: usize = i.manifest.tensors.iter().map(|t| t.len()).sum();
    assert_eq!(params, 6 * 5 + 6 + 6 * 6 + 6);
}

#[test]
fn prelu_takes_one_slope_or_one_per_channel() {
    let net = |slope: &[i64]| {
        let nodes = vec![node("PRelu", "act", &["x", "act.weight"], "y", vec![])];
        model(
            &[Ok(3), Ok(4), Ok(4)],
            nodes,
            vec![floats("act.weight", slope, 0.5)],
        )
    };
    let one = import(&net(&[1])).unwrap();
    assert!(one.source.contains("act: prelu,"), "{}", one.source);
    let per = import(&net(&[3, 1, 1])).unwrap();
    assert!(
        per.source.contains("act: prelu(per_channel = true),"),
        "{}",
        per.source
    );
    let e = error(&net(&[4]));
    assert!(e.contains("the slope has shape [4]; staticnet's prelu takes one slope or one per channel of the first axis, [3, 1, 1]"), "{e}");
}

#[test]
fn garbage_is_a_decode_error() {
    let e = import(b"\xff\xff\xff not onnx").unwrap_err();
    assert!(matches!(e, Error::Decode(_)), "{e}");
}

#[test]
fn an_unknown_operator_names_the_node() {
    let e = error(&model(
        &[Ok(4)],
        vec![node("Cos", "c", &["x"], "y", vec![])],
        vec![],
    ));
    assert_eq!(
        e,
        "node `c` (Cos): this operator is not supported (docs/onnx.md lists the supported ones)"
    );
}

#[test]
fn asymmetric_pads_are_named() {
    let conv = node(
        "Conv",
        "conv",
        &["x", "w"],
        "y",
        vec![ints("pads", &[0, 0, 1, 1])],
    );
    let e = error(&model(
        &[Ok(1), Ok(8), Ok(8)],
        vec![conv],
        vec![floats("w", &[2, 1, 3, 3], 0.0)],
    ));
    assert_eq!(e, "node `conv` (Conv): pads [0, 0, 1, 1] are not symmetric; staticnet pads both sides of an axis alike");
}

#[test]
fn an_unsupported_attribute_is_named() {
    let pool = node(
        "MaxPool",
        "pool",
        &["x"],
        "y",
        vec![ints("kernel_shape", &[2, 2]), int("ceil_mode", 1)],
    );
    let e = error(&model(&[Ok(1), Ok(8), Ok(8)], vec![pool], vec![]));
    assert_eq!(e, "node `pool` (MaxPool): ceil_mode = 1 is not supported");
    let relu = node("Relu", "r", &["x"], "y", vec![int("bogus", 1)]);
    let e = error(&model(&[Ok(4)], vec![relu], vec![]));
    assert_eq!(
        e,
        "node `r` (Relu): attribute `bogus` is not supported (supported: none)"
    );
}

#[test]
fn only_the_batch_dimension_may_be_dynamic() {
    let e = error(&model(
        &[Ok(3), Err("width")],
        vec![node("Relu", "r", &["x"], "y", vec![])],
        vec![],
    ));
    assert_eq!(
        e,
        "input `x`: dimension 2 is dynamic (`width`); only the batch dimension (0) may be"
    );
}

#[test]
fn a_value_read_three_times_is_not_a_chain() {
    let nodes = vec![
        node("Relu", "a", &["x"], "p", vec![]),
        node("Relu", "b", &["x"], "q", vec![]),
        node("Relu", "c", &["x"], "r", vec![]),
    ];
    let e = error(&model(&[Ok(4)], nodes, vec![]));
    assert!(
        e.starts_with("value `x` is read by 3 nodes (`a` (Relu), `b` (Relu), `c` (Relu))"),
        "{e}"
    );
}

#[test]
fn two_branches_without_an_add_are_not_a_chain() {
    let nodes = vec![
        node("Relu", "a", &["x"], "p", vec![]),
        node("Tanh", "b", &["x"], "q", vec![]),
        node("Mul", "m", &["p", "q"], "y", vec![]),
    ];
    let e = error(&model(&[Ok(4)], nodes, vec![]));
    assert_eq!(e, "value `x` is read by `a` (Relu) and `b` (Tanh); staticnet networks are chains with residual adds");
}

#[test]
fn a_weight_that_is_computed_is_named() {
    let nodes = vec![
        node("Relu", "r", &["x"], "h", vec![]),
        node("Gemm", "g", &["h", "h"], "y", vec![]),
    ];
    let e = error(&model(&[Ok(4)], nodes, vec![]));
    assert!(e.contains("value `h` is read by"), "{e}");
    let e = error(&model(
        &[Ok(4)],
        vec![node("Gemm", "g", &["x", "w"], "y", vec![])],
        vec![],
    ));
    assert_eq!(
        e,
        "node `g` (Gemm): the weight B (input 1, `w`) must be a constant initializer"
    );
}

#[test]
fn a_shape_the_planner_rejects_is_reported_at_the_node() {
    // Gemm on a feature map, without Flatten.
    let nodes = vec![node(
        "Gemm",
        "fc",
        &["x", "fc.weight"],
        "y",
        vec![int("transB", 1)],
    )];
    let e = error(&model(
        &[Ok(2), Ok(3), Ok(3)],
        nodes,
        vec![floats("fc.weight", &[4, 18], 0.0)],
    ));
    assert_eq!(e, "node `fc` (Gemm): staticnet rejects the layer made from it: dense: expected a 1-d input or a 2-d sequence [steps, features], found [2, 3, 3] (3-d); add `flatten` before it");
}

#[test]
fn clip_other_than_relu6_is_refused() {
    let nodes = vec![node("Clip", "clip", &["x", "lo", "hi"], "y", vec![])];
    let inits = vec![
        floats("lo", &[], 0.0),
        TensorProto {
            float_data: vec![1.0],
            ..floats("hi", &[], 0.0)
        },
    ];
    let mut inits = inits;
    inits[0].float_data = vec![0.0];
    let e = error(&model(&[Ok(4)], nodes, inits));
    assert_eq!(e, "node `clip` (Clip): bounds [0, 1] are not supported; Clip(0, 6) is relu6 and Clip(0, inf) relu");
}

#[test]
fn dropout_and_identity_vanish_unless_the_mask_is_used() {
    let nodes = vec![
        node("Identity", "i", &["x"], "a", vec![]),
        node("Dropout", "d", &["a"], "b", vec![]),
        node("Relu", "r", &["b"], "y", vec![]),
    ];
    let i = import(&model(&[Ok(4)], nodes, vec![])).unwrap();
    assert_eq!(
        i.manifest.layers.iter().map(|l| l.kind).collect::<Vec<_>>(),
        ["relu"]
    );
    let mut d = node("Dropout", "d", &["x"], "a", vec![]);
    d.output.push("mask".into());
    let nodes = vec![d, node("Add", "add", &["a", "mask"], "y", vec![])];
    let e = error(&model(&[Ok(4)], nodes, vec![]));
    assert_eq!(e, "node `d` (Dropout): its mask output is used; only inference-mode Dropout (removed) is supported");
}

#[test]
fn transposes_that_cancel_vanish() {
    let nodes = vec![
        node(
            "Transpose",
            "t1",
            &["x"],
            "a",
            vec![ints("perm", &[0, 2, 1])],
        ),
        node(
            "Transpose",
            "t2",
            &["a"],
            "b",
            vec![ints("perm", &[0, 2, 1])],
        ),
        node("Relu", "r", &["b"], "y", vec![]),
    ];
    let i = import(&model(&[Ok(3), Ok(4)], nodes, vec![])).unwrap();
    assert_eq!(i.manifest.layers.len(), 1);
    let nodes = vec![node(
        "Transpose",
        "t1",
        &["x"],
        "y",
        vec![ints("perm", &[0, 2, 1])],
    )];
    let e = error(&model(&[Ok(3), Ok(4)], nodes, vec![]));
    assert_eq!(e, "node `t1` (Transpose): a transpose [0, 2, 1] is not supported unless the next Transpose undoes it");
}

#[test]
fn reshape_other_than_flatten_is_refused() {
    let nodes = vec![node("Reshape", "rs", &["x", "shape"], "y", vec![])];
    let e = error(&model(
        &[Ok(2), Ok(6)],
        nodes,
        vec![int64s("shape", &[-1, 3, 4])],
    ));
    assert_eq!(e, "node `rs` (Reshape): reshape of [batch, 2, 6] to [-1, 3, 4] is not supported; only flattening to [batch, 12] is");
    let nodes = vec![node("Reshape", "rs", &["x", "shape"], "y", vec![])];
    let i = import(&model(
        &[Ok(2), Ok(6)],
        nodes,
        vec![int64s("shape", &[-1, 12])],
    ))
    .unwrap();
    assert_eq!(i.manifest.layers[0].kind, "flatten");
}

#[test]
fn matmul_and_add_are_one_dense_layer_transposed() {
    let nodes = vec![
        node("MatMul", "mm", &["x", "l.weight"], "h", vec![]),
        node("Add", "add", &["h", "l.bias"], "y", vec![]),
    ];
    let w = floats("l.weight", &[3, 2], 0.0);
    let wv = w.float_data.clone();
    let i = import(&model(
        &[Ok(3)],
        nodes,
        vec![w, floats("l.bias", &[2], 5.0)],
    ))
    .unwrap();
    assert!(i.source.contains("l: dense(2),"), "{}", i.source);
    // The checked file's data section holds weight [2, 3] = the transpose of [3, 2].
    let data = &i.weights[i.weights.len() - 4 * 8..];
    let f: Vec<f32> = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(&f[..6], &[wv[0], wv[2], wv[4], wv[1], wv[3], wv[5]]);
}

#[test]
fn names_become_identifiers() {
    use crate::emit::sanitize;
    assert_eq!(sanitize("features.0"), "features_0");
    assert_eq!(sanitize("Conv1"), "conv1");
    assert_eq!(sanitize("0"), "l0");
    assert_eq!(sanitize("layer1/conv"), "layer1_conv");
    assert_eq!(sanitize("dense0"), "onnx_dense0");
    assert_eq!(sanitize("type"), "type_");
    assert_eq!(sanitize("::"), "l");
}

#[test]
fn a_bad_struct_name_is_an_option_error() {
    let bytes = model(
        &[Ok(4)],
        vec![node("Relu", "r", &["x"], "y", vec![])],
        vec![],
    );
    let opts = Options {
        name: Some("not an ident".into()),
        ..Options::default()
    };
    let e = import_bytes(&bytes, "m", &opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`not an ident` is not a Rust identifier for the struct"
    );
}

#[test]
fn activations_written_as_several_nodes_are_recognised_by_their_values() {
    // x * sigmoid(x), in either input order of the Mul, is silu.
    for inputs in [["x", "s"], ["s", "x"]] {
        let nodes = vec![
            node("Sigmoid", "sig", &["x"], "s", vec![]),
            node("Mul", "m", &inputs, "y", vec![]),
        ];
        let i = import(&model(&[Ok(4)], nodes, vec![])).unwrap();
        assert_eq!(i.manifest.layers[0].kind, "silu");
    }
    // x * 0.5 * (1 + erf(x / sqrt 2)) is gelu; with 0.6 instead of 0.5 it is nothing.
    for (half, ok) in [(0.5, true), (0.6, false)] {
        let c = |name: &str, v: f32| TensorProto {
            float_data: vec![v],
            ..floats(name, &[], 0.0)
        };
        let nodes = vec![
            node("Div", "d", &["x", "sqrt2"], "a", vec![]),
            node("Erf", "e", &["a"], "b", vec![]),
            node("Add", "p", &["b", "one"], "c", vec![]),
            node("Mul", "m", &["x", "c"], "d", vec![]),
            node("Mul", "h", &["d", "half"], "y", vec![]),
        ];
        let inits = vec![
            c("sqrt2", std::f32::consts::SQRT_2),
            c("one", 1.0),
            c("half", half),
        ];
        match import(&model(&[Ok(4)], nodes, inits)) {
            Ok(i) => assert!(ok && i.manifest.layers[0].kind == "gelu", "{}", i.source),
            Err(e) => assert!(
                !ok && e
                    .to_string()
                    .starts_with("value `x` is read by `d` (Div) and `m` (Mul)"),
                "{e}"
            ),
        }
    }
}
