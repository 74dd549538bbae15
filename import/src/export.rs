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

    fn init_i64(&mut self, name: String, data: &[i64]) -> String {
        self.inits.push(TensorProto {
            name: Some(name.clone()),
            dims: vec![data.len() as i64],
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
            other => {
                return Err(Self::unsupported(
                    l,
                    &format!("no ONNX export for `{other}` yet"),
                ))
            }
        })
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
        let reorder = |v: &[f32], block: usize| -> Vec<f32> {
            order
                .iter()
                .flat_map(|&k| v[k * block..(k + 1) * block].iter().copied())
                .collect()
        };
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
            let axis = self.init_i64(format!("{name}.squeeze_axis"), &[1]);
            let s = self.node("Squeeze", name, vec![y, axis], vec![]);
            self.node("Transpose", name, vec![s], vec![ints("perm", &[1, 0, 2])])
        } else {
            let axis = self.init_i64(format!("{name}.squeeze_axis"), &[0]);
            self.node("Squeeze", name, vec![y_h, axis], vec![])
        })
    }
}
