//! staticnet to ONNX: any network whose layers ONNX has, from its
//! architecture and state (`Network::ARCH` and `state()`), at opset 20, the
//! batch dimension symbolic. The inverse of the importer: importing the
//! result gives back the same declaration and weights.

use crate::onnx::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto::dimension,
    tensor_shape_proto::Dimension, type_proto, AttributeProto, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use crate::Error;
use prost::Message;
use staticnet::weights::{Arch, LayerInfo};
use staticnet::Network;

/// The opset written.
pub const OPSET: i64 = 20;

/// `net` as an ONNX model (protobuf bytes); `name` is the graph's name.
pub fn export<N: Network>(net: &N, name: &str) -> Result<Vec<u8>, Error> {
    export_arch(&N::ARCH, net.state(), name)
}

/// [`export`] from an architecture and its state vector.
pub fn export_arch(arch: &Arch, state: &[f32], name: &str) -> Result<Vec<u8>, Error> {
    let expected = arch.params() + arch.buffers();
    if state.len() != expected {
        return Err(Error::Weights(format!(
            "a state of {} values for an architecture of {expected}",
            state.len()
        )));
    }
    let mut b = Builder {
        arch,
        state,
        nodes: Vec::new(),
        inits: Vec::new(),
        count: 0,
    };
    let mut cur = "x".to_string();
    let mut shape = arch.input.to_vec();
    let mut open: Vec<String> = Vec::new();
    for l in arch.layers {
        cur = match l.kind {
            "residual" => {
                open.push(cur.clone());
                cur
            }
            "residual_end" | "__residual_end" => {
                let skip = open.pop().ok_or_else(|| Error::Export {
                    layer: l.name.into(),
                    kind: l.kind.into(),
                    what: "closes a residual block that was not opened".into(),
                })?;
                b.node("Add", l.name, vec![skip, cur], vec![])
            }
            _ => b.layer(l, cur, &shape)?,
        };
        shape = l.output.to_vec();
    }
    let model = ModelProto {
        ir_version: Some(10),
        producer_name: Some("staticnet".into()),
        producer_version: Some(env!("CARGO_PKG_VERSION").into()),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(OPSET),
        }],
        graph: Some(GraphProto {
            name: Some(name.into()),
            node: b.nodes,
            initializer: b.inits,
            input: vec![value_info("x", arch.input)],
            output: vec![value_info(&cur, &shape)],
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(model.encode_to_vec())
}

fn value_info(name: &str, dims: &[usize]) -> ValueInfoProto {
    let mut dim = vec![Dimension {
        value: Some(dimension::Value::DimParam("batch".into())),
        ..Default::default()
    }];
    dim.extend(dims.iter().map(|&d| Dimension {
        value: Some(dimension::Value::DimValue(d as i64)),
        ..Default::default()
    }));
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

pub(crate) fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        ints: v.to_vec(),
        r#type: Some(AttributeType::Ints as i32),
        ..Default::default()
    }
}

pub(crate) fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        i: Some(v),
        r#type: Some(AttributeType::Int as i32),
        ..Default::default()
    }
}

fn float(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        f: Some(v),
        r#type: Some(AttributeType::Float as i32),
        ..Default::default()
    }
}

fn string(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        s: Some(v.as_bytes().to_vec()),
        r#type: Some(AttributeType::String as i32),
        ..Default::default()
    }
}

/// A layer's `config` as `key=value` pairs (`kernel=(3, 3), groups=1`).
fn config(c: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0, 0);
    let bytes = c.as_bytes();
    for (i, &ch) in bytes.iter().enumerate() {
        match ch {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => {
                out.push(&c[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&c[start..]);
    out.into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|kv| kv.split_once('=').unwrap_or(("", kv)))
        .collect()
}

fn get<'a>(cfg: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    cfg.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// `(3, 3)` -> `[3, 3]`.
fn pair(v: Option<&str>) -> Vec<i64> {
    v.unwrap_or("")
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn number(v: Option<&str>) -> Option<f32> {
    v.map(|s| s.trim().trim_end_matches("f32").trim_matches('"'))
        .and_then(|s| s.parse().ok())
}

struct Builder<'a> {
    arch: &'a Arch,
    state: &'a [f32],
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    count: usize,
}

impl Builder<'_> {
    fn node(
        &mut self,
        op: &str,
        layer: &str,
        inputs: Vec<String>,
        attrs: Vec<AttributeProto>,
    ) -> String {
        self.count += 1;
        let out = format!("{layer}/{op}_{}", self.count);
        self.nodes.push(NodeProto {
            op_type: Some(op.into()),
            name: Some(format!("/{layer}/{op}_{}", self.count)),
            input: inputs,
            output: vec![out.clone()],
            attribute: attrs,
            ..Default::default()
        });
        out
    }

    fn init(&mut self, name: String, dims: &[usize], data: &[f32]) -> String {
        self.inits.push(TensorProto {
            name: Some(name.clone()),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: Some(DataType::Float as i32),
            raw_data: Some(data.iter().flat_map(|v| v.to_le_bytes()).collect()),
            ..Default::default()
        });
        name
    }

    fn init_i64(&mut self, name: String, dims: &[usize], data: &[i64]) -> String {
        self.inits.push(TensorProto {
            name: Some(name.clone()),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: Some(DataType::Int64 as i32),
            int64_data: data.to_vec(),
            ..Default::default()
        });
        name
    }

    /// The values of tensor `<layer>.<attr>`.
    fn tensor(&self, layer: &str, attr: &str) -> Result<(&[usize], &[f32]), Error> {
        let t = self
            .arch
            .tensors
            .iter()
            .find(|t| t.layer == layer && t.attr == attr)
            .ok_or_else(|| Error::Export {
                layer: layer.into(),
                kind: String::new(),
                what: format!("the architecture has no tensor `{layer}.{attr}`"),
            })?;
        Ok((t.shape, &self.state[t.offset..t.offset + t.len()]))
    }

    fn param(&mut self, layer: &str, attr: &str) -> Result<String, Error> {
        let (shape, data) = self.tensor(layer, attr)?;
        let (shape, data) = (shape.to_vec(), data.to_vec());
        Ok(self.init(format!("{layer}.{attr}"), &shape, &data))
    }

    fn unsupported(l: &LayerInfo, what: &str) -> Error {
        Error::Export {
            layer: l.name.to_string(),
            kind: l.kind.to_string(),
            what: what.into(),
        }
    }

    fn layer(&mut self, l: &LayerInfo, x: String, input: &[usize]) -> Result<String, Error> {
        let cfg = config(l.config);
        let name = l.name;
        Ok(match l.kind {
            "dense" => {
                let bias = get(&cfg, "bias") != Some("false");
                if input.len() == 1 {
                    let mut inputs = vec![x, self.param(name, "weight")?];
                    if bias {
                        inputs.push(self.param(name, "bias")?);
                    }
                    self.node("Gemm", name, inputs, vec![int("transB", 1)])
                } else {
                    // Per step: x [N, T, F] @ W^T [F, n] (+ b).
                    let (shape, w) = self.tensor(name, "weight")?;
                    let (n, f) = (shape[0], shape[1]);
                    let wt = crate::ops::transpose(w, n, f);
                    let wt = self.init(format!("{name}.weight_t"), &[f, n], &wt);
                    let y = self.node("MatMul", name, vec![x, wt], vec![]);
                    if bias {
                        let b = self.param(name, "bias")?;
                        self.node("Add", name, vec![y, b], vec![])
                    } else {
                        y
                    }
                }
            }
            "relu" => self.node("Relu", name, vec![x], vec![]),
            "sigmoid" => self.node("Sigmoid", name, vec![x], vec![]),
            "tanh" => self.node("Tanh", name, vec![x], vec![]),
            "hardswish" => self.node("HardSwish", name, vec![x], vec![]),
            "softmax" => self.node("Softmax", name, vec![x], vec![int("axis", -1)]),
            "log_softmax" => self.node("LogSoftmax", name, vec![x], vec![int("axis", -1)]),
            "flatten" => self.node("Flatten", name, vec![x], vec![int("axis", 1)]),
            "dropout" => x,
            "leaky_relu" => {
                let alpha = cfg
                    .first()
                    .and_then(|(_, v)| number(Some(v)))
                    .ok_or_else(|| Self::unsupported(l, "alpha not found in its config"))?;
                self.node("LeakyRelu", name, vec![x], vec![float("alpha", alpha)])
            }
            "hardsigmoid" => {
                let (alpha, beta) = (
                    number(get(&cfg, "alpha")).unwrap_or(1.0 / 6.0),
                    number(get(&cfg, "beta")).unwrap_or(0.5),
                );
                self.node(
                    "HardSigmoid",
                    name,
                    vec![x],
                    vec![float("alpha", alpha), float("beta", beta)],
                )
            }
            "relu6" => {
                let lo = self.init(format!("{name}.min"), &[], &[0.0]);
                let hi = self.init(format!("{name}.max"), &[], &[6.0]);
                self.node("Clip", name, vec![x, lo, hi], vec![])
            }
            "silu" => {
                let s = self.node("Sigmoid", name, vec![x.clone()], vec![]);
                self.node("Mul", name, vec![x, s], vec![])
            }
            "gelu" => {
                let approx = if get(&cfg, "approximate") == Some("\"tanh\"") {
                    "tanh"
                } else {
                    "none"
                };
                self.node("Gelu", name, vec![x], vec![string("approximate", approx)])
            }
            "conv2d" | "conv1d" => {
                let one_d = l.kind == "conv1d";
                let pick = |v: Vec<i64>| if one_d { v[1..].to_vec() } else { v };
                let (k, s, p, d) = (
                    pick(pair(get(&cfg, "kernel"))),
                    pick(pair(get(&cfg, "stride"))),
                    pick(pair(get(&cfg, "padding"))),
                    pick(pair(get(&cfg, "dilation"))),
                );
                let groups: i64 = get(&cfg, "groups")
                    .and_then(|g| g.parse().ok())
                    .unwrap_or(1);
                let mut inputs = vec![x, self.param(name, "weight")?];
                if get(&cfg, "bias") != Some("false") {
                    inputs.push(self.param(name, "bias")?);
                }
                let pads: Vec<i64> = p.iter().chain(&p).copied().collect();
                let attrs = vec![
                    ints("kernel_shape", &k),
                    ints("strides", &s),
                    ints("pads", &pads),
                    ints("dilations", &d),
                    int("group", groups),
                ];
                self.node("Conv", name, inputs, attrs)
            }
            "maxpool2d" | "avgpool2d" => {
                let (k, s) = (pair(get(&cfg, "kernel")), pair(get(&cfg, "stride")));
                let p = match get(&cfg, "padding") {
                    Some(p) => pair(Some(p)),
                    None => vec![0, 0],
                };
                let pads: Vec<i64> = p.iter().chain(&p).copied().collect();
                let mut attrs = vec![
                    ints("kernel_shape", &k),
                    ints("strides", &s),
                    ints("pads", &pads),
                ];
                if l.kind == "avgpool2d" {
                    attrs.push(int(
                        "count_include_pad",
                        i64::from(get(&cfg, "count_include_pad") != Some("false")),
                    ));
                    self.node("AveragePool", name, vec![x], attrs)
                } else {
                    self.node("MaxPool", name, vec![x], attrs)
                }
            }
            "global_avgpool" => {
                let y = self.node("GlobalAveragePool", name, vec![x], vec![]);
                self.node("Flatten", name, vec![y], vec![int("axis", 1)])
            }
            "batchnorm" => {
                let eps = number(get(&cfg, "eps")).unwrap_or(1e-5);
                let momentum = number(get(&cfg, "momentum")).unwrap_or(0.1);
                let inputs = vec![
                    x,
                    self.param(name, "weight")?,
                    self.param(name, "bias")?,
                    self.param(name, "running_mean")?,
                    self.param(name, "running_var")?,
                ];
                self.node(
                    "BatchNormalization",
                    name,
                    inputs,
                    vec![float("epsilon", eps), float("momentum", 1.0 - momentum)],
                )
            }
            "layernorm" => {
                let eps = number(get(&cfg, "eps")).unwrap_or(1e-5);
                let inputs = vec![x, self.param(name, "weight")?, self.param(name, "bias")?];
                self.node(
                    "LayerNormalization",
                    name,
                    inputs,
                    vec![int("axis", -1), float("epsilon", eps)],
                )
            }
            "lstm" | "gru" | "rnn" => self.recurrent(l, &cfg, x, input)?,
            "embedding" => {
                // Token ids carried as f32: Cast, then Gather rows of the table.
                let ids = self.node(
                    "Cast",
                    name,
                    vec![x],
                    vec![int("to", DataType::Int64 as i64)],
                );
                let table = self.param(name, "weight")?;
                self.node("Gather", name, vec![table, ids], vec![int("axis", 0)])
            }
            "pos_embedding" => {
                let w = self.param(name, "weight")?;
                self.node("Add", name, vec![x, w], vec![])
            }
            "mean_pool" => {
                let axes = self.init_i64(format!("{name}.axes"), &[1], &[1]);
                self.node("ReduceMean", name, vec![x, axes], vec![int("keepdims", 0)])
            }
            "rmsnorm" => {
                // x / sqrt(mean(x^2) + eps) * weight, over the last axis.
                let eps = number(get(&cfg, "eps")).unwrap_or(f32::EPSILON);
                let sq = self.node("Mul", name, vec![x.clone(), x.clone()], vec![]);
                let axes = self.init_i64(format!("{name}.axes"), &[1], &[-1]);
                let mean = self.node("ReduceMean", name, vec![sq, axes], vec![int("keepdims", 1)]);
                let eps = self.init(format!("{name}.eps"), &[], &[eps]);
                let var = self.node("Add", name, vec![mean, eps], vec![]);
                let rms = self.node("Sqrt", name, vec![var], vec![]);
                let y = self.node("Div", name, vec![x, rms], vec![]);
                let w = self.param(name, "weight")?;
                self.node("Mul", name, vec![y, w], vec![])
            }
            "patchify" => {
                // [N, C, H, W] -> [N, C, H/p, p, W/p, p] -> [N, H/p, W/p, C, p, p]
                // -> [N, (H/p)(W/p), C p p]: patches row-major, each channel by channel.
                let p: usize = get(&cfg, "size")
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| Self::unsupported(l, "no size in its config"))?;
                let (c, h, w) = (input[0], input[1], input[2]);
                let split = [0, c, h / p, p, w / p, p].map(|d| d as i64);
                let split = self.init_i64(format!("{name}.split_shape"), &[6], &split);
                let y = self.node("Reshape", name, vec![x, split], vec![]);
                let y = self.node(
                    "Transpose",
                    name,
                    vec![y],
                    vec![ints("perm", &[0, 2, 4, 1, 3, 5])],
                );
                let merged = [0, (h / p) * (w / p), c * p * p].map(|d| d as i64);
                let merged = self.init_i64(format!("{name}.merged_shape"), &[3], &merged);
                self.node("Reshape", name, vec![y, merged], vec![])
            }
            "prelu" => {
                // ONNX broadcasts from the last axis: a slope per channel
                // (the sample's first axis) is shaped `[C, 1, ...]`.
                let (_, w) = self.tensor(name, "weight")?;
                let w = w.to_vec();
                let mut dims = vec![w.len()];
                if w.len() > 1 {
                    dims.resize(input.len(), 1);
                }
                let slope = self.init(format!("{name}.weight"), &dims, &w);
                self.node("PRelu", name, vec![x, slope], vec![])
            }
            "multihead_attention" => self.attention(l, &cfg, x, input)?,
            other => {
                return Err(Self::unsupported(
                    l,
                    &format!("no ONNX export for `{other}` yet"),
                ))
            }
        })
    }

    /// Self-attention as PyTorch's `nn.MultiheadAttention(batch_first=True)`
    /// computes it: `x W_in^T + b_in` split into Q, K, V, per head
    /// `softmax(Q K^T / sqrt(d) (+ a causal mask of -inf)) V`, heads merged,
    /// `W_out^T + b_out`.
    fn attention(
        &mut self,
        l: &LayerInfo,
        cfg: &[(&str, &str)],
        x: String,
        input: &[usize],
    ) -> Result<String, Error> {
        let name = l.name;
        let (t, e) = (input[0], input[1]);
        let heads: usize = get(cfg, "heads")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Self::unsupported(l, "no heads in its config"))?;
        let d = e / heads;
        let linear = |b: &mut Self,
                      attr_w: &str,
                      attr_b: &str,
                      x: String,
                      rows: usize|
         -> Result<String, Error> {
            let w = b.tensor(name, attr_w)?.1.to_vec();
            let wt = crate::ops::transpose(&w, rows, e);
            let wt = b.init(format!("{name}.{attr_w}_t"), &[e, rows], &wt);
            let y = b.node("MatMul", name, vec![x, wt], vec![]);
            let bias = b.param(name, attr_b)?;
            Ok(b.node("Add", name, vec![y, bias], vec![]))
        };
        let qkv = linear(self, "in_proj_weight", "in_proj_bias", x, 3 * e)?;
        let sizes = self.init_i64(format!("{name}.split"), &[3], &[e as i64; 3]);
        self.count += 1;
        let parts: Vec<String> = ["q", "k", "v"]
            .iter()
            .map(|p| format!("{name}/{p}_{}", self.count))
            .collect();
        self.nodes.push(NodeProto {
            op_type: Some("Split".into()),
            name: Some(format!("/{name}/Split_{}", self.count)),
            input: vec![qkv, sizes],
            output: parts.clone(),
            attribute: vec![int("axis", -1)],
            ..Default::default()
        });
        let heads_shape = self.init_i64(
            format!("{name}.heads_shape"),
            &[4],
            &[0, 0, heads as i64, d as i64],
        );
        let split_heads = |b: &mut Self, v: &str, perm: &[i64]| {
            let r = b.node(
                "Reshape",
                name,
                vec![v.to_string(), heads_shape.clone()],
                vec![],
            );
            b.node("Transpose", name, vec![r], vec![ints("perm", perm)])
        };
        let q = split_heads(self, &parts[0], &[0, 2, 1, 3]);
        let k = split_heads(self, &parts[1], &[0, 2, 3, 1]);
        let v = split_heads(self, &parts[2], &[0, 2, 1, 3]);
        let scores = self.node("MatMul", name, vec![q, k], vec![]);
        let scale = self.init(format!("{name}.scale"), &[], &[1.0 / (d as f32).sqrt()]);
        let mut scores = self.node("Mul", name, vec![scores, scale], vec![]);
        if get(cfg, "causal") == Some("true") {
            let mask: Vec<f32> = (0..t * t)
                .map(|i| {
                    if i % t > i / t {
                        f32::NEG_INFINITY
                    } else {
                        0.0
                    }
                })
                .collect();
            let mask = self.init(format!("{name}.causal_mask"), &[t, t], &mask);
            scores = self.node("Add", name, vec![scores, mask], vec![]);
        }
        let p = self.node("Softmax", name, vec![scores], vec![int("axis", -1)]);
        let o = self.node("MatMul", name, vec![p, v], vec![]);
        let o = self.node(
            "Transpose",
            name,
            vec![o],
            vec![ints("perm", &[0, 2, 1, 3])],
        );
        let merged = self.init_i64(format!("{name}.merged_shape"), &[3], &[0, 0, e as i64]);
        let o = self.node("Reshape", name, vec![o, merged], vec![]);
        linear(self, "out_proj.weight", "out_proj.bias", o, e)
    }

    /// `[N, T, F]` -> Transpose -> LSTM/GRU/RNN -> every step (Squeeze,
    /// Transpose back) or the last (`Y_h`, Squeeze).
    fn recurrent(
        &mut self,
        l: &LayerInfo,
        cfg: &[(&str, &str)],
        x: String,
        input: &[usize],
    ) -> Result<String, Error> {
        let name = l.name;
        let (op, gates, order): (&str, usize, &[usize]) = match l.kind {
            // PyTorch i, f, g, o -> ONNX i, o, f, c.
            "lstm" => ("LSTM", 4, &[0, 3, 1, 2]),
            // PyTorch r, z, n -> ONNX z, r, h.
            "gru" => ("GRU", 3, &[1, 0, 2]),
            _ => ("RNN", 1, &[0]),
        };
        let (h, f) = (self.tensor(name, "weight_hh_l0")?.0[1], input[1]);
        let reorder = |v: &[f32], block: usize| crate::recurrent::reorder_gates(v, order, block);
        let w = reorder(self.tensor(name, "weight_ih_l0")?.1, h * f);
        let r = reorder(self.tensor(name, "weight_hh_l0")?.1, h * h);
        let mut bias = reorder(self.tensor(name, "bias_ih_l0")?.1, h);
        bias.extend(reorder(self.tensor(name, "bias_hh_l0")?.1, h));
        let w = self.init(format!("{name}.W"), &[1, gates * h, f], &w);
        let r = self.init(format!("{name}.R"), &[1, gates * h, h], &r);
        let bias = self.init(format!("{name}.B"), &[1, 2 * gates * h], &bias);
        let t = self.node("Transpose", name, vec![x], vec![ints("perm", &[1, 0, 2])]);
        let mut attrs = vec![int("hidden_size", h as i64)];
        if op == "GRU" {
            attrs.push(int("linear_before_reset", 1));
        }
        if get(cfg, "nonlinearity") == Some("relu") {
            attrs.push(AttributeProto {
                name: Some("activations".into()),
                strings: vec![b"Relu".to_vec()],
                r#type: Some(AttributeType::Strings as i32),
                ..Default::default()
            });
        }
        self.count += 1;
        let (y, y_h) = (
            format!("{name}/{op}_{}_Y", self.count),
            format!("{name}/{op}_{}_Y_h", self.count),
        );
        let sequence = get(cfg, "sequence") != Some("false");
        self.nodes.push(NodeProto {
            op_type: Some(op.into()),
            name: Some(format!("/{name}/{op}_{}", self.count)),
            input: vec![t, w, r, bias],
            output: if sequence {
                vec![y.clone()]
            } else {
                vec![String::new(), y_h.clone()]
            },
            attribute: attrs,
            ..Default::default()
        });
        Ok(if sequence {
            let axis = self.init_i64(format!("{name}.squeeze_axis"), &[1], &[1]);
            let s = self.node("Squeeze", name, vec![y, axis], vec![]);
            self.node("Transpose", name, vec![s], vec![ints("perm", &[1, 0, 2])])
        } else {
            let axis = self.init_i64(format!("{name}.squeeze_axis"), &[1], &[0]);
            self.node("Squeeze", name, vec![y_h, axis], vec![])
        })
    }
}
