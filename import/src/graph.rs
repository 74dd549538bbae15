//! An ONNX graph as the importer walks it: constants (initializers and
//! `Constant` nodes) decoded to `f32` or `i64`, the nodes with their
//! attributes, who consumes each value, and the one input and output.
//! `Identity` and inference-mode `Dropout` are removed here: their output is
//! an alias of their input.

use crate::onnx::{self, tensor_proto::DataType};
use crate::Error;
use std::collections::HashMap;

/// A constant tensor.
#[derive(Clone, Debug)]
pub struct Tensor {
    pub dims: Vec<usize>,
    pub data: Data,
}

/// A constant's values.
#[derive(Clone, Debug)]
pub enum Data {
    F32(Vec<f32>),
    I64(Vec<i64>),
}

/// One node, its names resolved through the aliases.
#[derive(Debug)]
pub struct Node<'m> {
    pub name: String,
    pub op: &'m str,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    attrs: &'m [onnx::AttributeProto],
}

/// The graph.
pub struct Graph<'m> {
    pub nodes: Vec<Node<'m>>,
    pub consts: HashMap<String, Tensor>,
    /// Value -> nodes (indices into `nodes`) that read it; `Shape` nodes
    /// read only its shape and are not counted.
    pub consumers: HashMap<String, Vec<usize>>,
    /// Value -> the node that writes it.
    pub producer: HashMap<String, usize>,
    /// The graph's input: name and shape without the batch dimension.
    pub input: (String, Vec<usize>),
    pub output: String,
}

impl<'m> Graph<'m> {
    pub fn new(g: &'m onnx::GraphProto) -> Result<Self, Error> {
        let mut consts = HashMap::new();
        for t in &g.initializer {
            let name = t.name.clone().unwrap_or_default();
            consts.insert(name.clone(), tensor(t, &name)?);
        }
        let mut aliases: HashMap<String, String> = HashMap::new();
        let mut masks = Vec::new();
        let mut kept = Vec::new();
        for n in &g.node {
            let op = n.op_type.as_deref().unwrap_or("");
            let name = n.name.clone().unwrap_or_default();
            if n.domain
                .as_deref()
                .is_some_and(|d| !d.is_empty() && d != "ai.onnx")
            {
                return Err(Error::node(
                    &name,
                    op,
                    format!(
                        "operator domain `{}` is not supported (only the default ONNX domain)",
                        n.domain.as_deref().unwrap_or("")
                    ),
                ));
            }
            // Recurrent nodes may omit `Y` and give only `Y_h`.
            let outputs_ok = if matches!(op, "LSTM" | "GRU" | "RNN") {
                n.output.iter().any(|o| !o.is_empty())
            } else {
                n.output.first().is_some_and(|o| !o.is_empty())
            };
            if !outputs_ok {
                return Err(Error::node(&name, op, "has no output"));
            }
            if op != "Constant" && n.input.first().is_none_or(String::is_empty) {
                return Err(Error::node(&name, op, "has no data input"));
            }
            match op {
                "Constant" => {
                    let value = n
                        .attribute
                        .iter()
                        .find(|a| a.name.as_deref() == Some("value"));
                    let t = value.and_then(|a| a.t.as_ref()).ok_or_else(|| {
                        Error::node(&name, op, "only the `value` tensor attribute is supported")
                    })?;
                    consts.insert(n.output[0].clone(), tensor(t, &name)?);
                }
                "Identity" | "Dropout" => {
                    // Dropout's optional mask output must be unused: checked below.
                    if op == "Dropout" && n.output.len() > 1 && !n.output[1].is_empty() {
                        masks.push((n.output[1].clone(), name.clone()));
                    }
                    aliases.insert(n.output[0].clone(), n.input[0].clone());
                }
                _ => kept.push(n),
            }
        }
        let resolve = |s: &str| -> String {
            let mut s = s.to_string();
            while let Some(a) = aliases.get(&s) {
                s = a.clone();
            }
            s
        };
        let nodes: Vec<Node<'m>> = kept
            .into_iter()
            .map(|n| Node {
                name: n.name.clone().unwrap_or_default(),
                op: n.op_type.as_deref().unwrap_or(""),
                inputs: n.input.iter().map(|i| resolve(i)).collect(),
                outputs: n.output.clone(),
                attrs: &n.attribute,
            })
            .collect();
        if let Some((_, dropout)) = masks.iter().find(|(m, _)| {
            nodes.iter().any(|n| n.inputs.contains(m))
                || g.output.iter().any(|o| o.name.as_ref() == Some(m))
        }) {
            return Err(Error::node(
                dropout,
                "Dropout",
                "its mask output is used; only inference-mode Dropout (removed) is supported",
            ));
        }
        let mut consumers: HashMap<String, Vec<usize>> = HashMap::new();
        let mut producer = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            for output in &n.outputs {
                producer.insert(output.clone(), i);
            }
            if n.op == "Shape" {
                continue;
            }
            for input in &n.inputs {
                // An empty name is an omitted optional input.
                if !input.is_empty() && !consts.contains_key(input) {
                    consumers.entry(input.clone()).or_default().push(i);
                }
            }
        }
        let inputs: Vec<&onnx::ValueInfoProto> = g
            .input
            .iter()
            .filter(|v| !consts.contains_key(v.name.as_deref().unwrap_or("")))
            .collect();
        let [input] = inputs[..] else {
            return Err(Error::Graph(format!(
                "the graph has {} inputs ({}); staticnet networks take one",
                inputs.len(),
                names(inputs.iter().map(|v| v.name.as_deref().unwrap_or("")))
            )));
        };
        let [output] = &g.output[..] else {
            return Err(Error::Graph(format!(
                "the graph has {} outputs ({}); staticnet networks give one",
                g.output.len(),
                names(g.output.iter().map(|v| v.name.as_deref().unwrap_or("")))
            )));
        };
        let input_name = input.name.clone().unwrap_or_default();
        let dims = input_dims(input)?;
        let output = resolve(output.name.as_deref().unwrap_or(""));
        Ok(Graph {
            nodes,
            consts,
            consumers,
            producer,
            input: (input_name, dims),
            output,
        })
    }

    /// The nodes that read `value`.
    pub fn consumers(&self, value: &str) -> &[usize] {
        self.consumers.get(value).map_or(&[], |v| v.as_slice())
    }

    /// The node that writes `value`, if a node does.
    pub fn producer(&self, value: &str) -> Option<&Node<'m>> {
        self.producer.get(value).map(|&i| &self.nodes[i])
    }

    /// The one node that reads `value`, if exactly one does.
    pub fn single(&self, value: &str) -> Option<(usize, &Node<'m>)> {
        match self.consumers(value) {
            [i] => Some((*i, &self.nodes[*i])),
            _ => None,
        }
    }

    /// The constant named `name`, if it is one.
    pub fn constant(&self, name: &str) -> Option<&Tensor> {
        self.consts.get(name)
    }
}

impl Node<'_> {
    fn attr(&self, name: &str) -> Option<&onnx::AttributeProto> {
        self.attrs.iter().find(|a| a.name.as_deref() == Some(name))
    }

    pub fn int(&self, name: &str, default: i64) -> i64 {
        self.attr(name).and_then(|a| a.i).unwrap_or(default)
    }

    pub fn float(&self, name: &str, default: f32) -> f32 {
        self.attr(name).and_then(|a| a.f).unwrap_or(default)
    }

    /// A list-of-strings attribute (empty if absent).
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.attr(name).map_or_else(Vec::new, |a| {
            a.strings
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
    }

    /// A tensor attribute, decoded.
    pub fn tensor_attr(&self, name: &str) -> Option<Tensor> {
        self.attr(name)
            .and_then(|a| a.t.as_ref())
            .and_then(|t| tensor(t, &self.name).ok())
    }

    pub fn ints(&self, name: &str) -> Option<&[i64]> {
        self.attr(name).map(|a| a.ints.as_slice())
    }

    pub fn string(&self, name: &str) -> Option<String> {
        self.attr(name)
            .and_then(|a| a.s.as_ref())
            .map(|s| String::from_utf8_lossy(s).into_owned())
    }

    /// Every attribute not in `known`, as an error naming the first.
    pub fn only_attrs(&self, known: &[&str]) -> Result<(), Error> {
        match self
            .attrs
            .iter()
            .find(|a| !known.contains(&a.name.as_deref().unwrap_or("")))
        {
            None => Ok(()),
            Some(a) => Err(self.error(format!(
                "attribute `{}` is not supported (supported: {})",
                a.name.as_deref().unwrap_or(""),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    names(known.iter().copied())
                }
            ))),
        }
    }

    pub fn error(&self, what: impl Into<String>) -> Error {
        Error::node(&self.name, self.op, what)
    }
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// The input's shape: a first (batch) dimension, symbolic or fixed, dropped;
/// every other one must be a fixed size.
fn input_dims(v: &onnx::ValueInfoProto) -> Result<Vec<usize>, Error> {
    use onnx::tensor_shape_proto::dimension::Value as Dim;
    use onnx::type_proto::Value;
    let name = v.name.as_deref().unwrap_or("");
    let Some(Value::TensorType(t)) = v.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Err(Error::Graph(format!("input `{name}` is not a tensor")));
    };
    if t.elem_type != Some(DataType::Float as i32) {
        return Err(Error::Graph(format!(
            "input `{name}` has element type {}; staticnet networks take float32",
            data_type_name(t.elem_type.unwrap_or(0))
        )));
    }
    let dims = t.shape.as_ref().map(|s| s.dim.as_slice()).unwrap_or(&[]);
    if dims.len() < 2 {
        return Err(Error::Graph(format!(
            "input `{name}` has rank {}; expected a batch dimension and the sample's",
            dims.len()
        )));
    }
    let mut out = Vec::new();
    for (i, d) in dims.iter().enumerate().skip(1) {
        match &d.value {
            Some(Dim::DimValue(n)) if *n > 0 => out.push(*n as usize),
            Some(Dim::DimParam(p)) => {
                return Err(Error::Graph(format!(
                    "input `{name}`: dimension {i} is dynamic (`{p}`); only the batch dimension (0) may be"
                )))
            }
            _ => {
                return Err(Error::Graph(format!(
                    "input `{name}`: dimension {i} has no fixed size; only the batch dimension (0) may be dynamic"
                )))
            }
        }
    }
    Ok(out)
}

fn data_type_name(t: i32) -> String {
    DataType::try_from(t).map_or_else(|_| format!("#{t}"), |d| d.as_str_name().to_lowercase())
}

/// A constant tensor: float32 or int64 (shapes), inline or raw, not external.
fn tensor(t: &onnx::TensorProto, node: &str) -> Result<Tensor, Error> {
    let name = t.name.as_deref().unwrap_or(node);
    if t.data_location == Some(onnx::tensor_proto::DataLocation::External as i32) {
        return Err(Error::Graph(format!(
            "tensor `{name}` is stored in an external file; save the model with its weights inside"
        )));
    }
    let mut dims = Vec::new();
    for &d in &t.dims {
        if d < 0 {
            return Err(Error::Graph(format!(
                "tensor `{name}` has a negative dimension {d}"
            )));
        }
        dims.push(d as usize);
    }
    let n = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| Error::Graph(format!("tensor `{name}` has shape {dims:?}, too large")))?;
    let raw = t.raw_data.as_deref();
    let data = match DataType::try_from(t.data_type.unwrap_or(0)) {
        Ok(DataType::Float) => Data::F32(match raw {
            Some(b) => b
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            None => t.float_data.clone(),
        }),
        Ok(DataType::Int64) => Data::I64(match raw {
            Some(b) => b
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().expect("chunks of 8")))
                .collect(),
            None => t.int64_data.clone(),
        }),
        _ => {
            return Err(Error::Graph(format!(
                "tensor `{name}` has element type {}; float32 and int64 constants are supported",
                data_type_name(t.data_type.unwrap_or(0))
            )))
        }
    };
    let len = match &data {
        Data::F32(v) => v.len(),
        Data::I64(v) => v.len(),
    };
    if len != n {
        return Err(Error::Graph(format!(
            "tensor `{name}` holds {len} values for shape {dims:?} ({n})"
        )));
    }
    Ok(Tensor { dims, data })
}

impl Tensor {
    pub fn f32(&self) -> Option<&[f32]> {
        match &self.data {
            Data::F32(v) => Some(v),
            Data::I64(_) => None,
        }
    }

    pub fn i64(&self) -> Option<&[i64]> {
        match &self.data {
            Data::I64(v) => Some(v),
            Data::F32(_) => None,
        }
    }

    /// A scalar (any shape of one element) as `f32`.
    pub fn scalar(&self) -> Option<f32> {
        match &self.data {
            Data::F32(v) if v.len() == 1 => Some(v[0]),
            Data::I64(v) if v.len() == 1 => Some(v[0] as f32),
            _ => None,
        }
    }
}
