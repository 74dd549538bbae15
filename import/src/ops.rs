//! One ONNX node to one staticnet layer: the operator's attributes checked
//! (anything not supported is an error naming the node, its operator and the
//! attribute) and its weights put in staticnet's layout (PyTorch's).

use crate::graph::{Graph, Node};
use crate::lower::Layer;
use crate::Error;

/// What a node became.
pub enum Lowered {
    /// A layer.
    Layer(Layer),
    /// Nothing: the node does not change the value as staticnet holds it
    /// (a Flatten of a vector).
    Nothing,
}

/// Converts `n`, whose data input is the current value of shape `shape`.
pub fn lower(g: &Graph<'_>, n: &Node<'_>, shape: &[usize]) -> Result<Lowered, Error> {
    let layer = |kind: &'static str| Ok(Lowered::Layer(Layer::new(n, kind)));
    match n.op {
        "Relu" => {
            n.only_attrs(&[])?;
            layer("relu")
        }
        "Sigmoid" => {
            n.only_attrs(&[])?;
            layer("sigmoid")
        }
        "Tanh" => {
            n.only_attrs(&[])?;
            layer("tanh")
        }
        "HardSwish" => {
            n.only_attrs(&[])?;
            layer("hardswish")
        }
        "LeakyRelu" => {
            n.only_attrs(&["alpha"])?;
            let mut l = Layer::new(n, "leaky_relu");
            l.args.push(float(n.float("alpha", 0.01)));
            Ok(Lowered::Layer(l))
        }
        "HardSigmoid" => {
            n.only_attrs(&["alpha", "beta"])?;
            let mut l = Layer::new(n, "hardsigmoid");
            let (alpha, beta) = (n.float("alpha", 0.2), n.float("beta", 0.5));
            if alpha != 1.0 / 6.0 {
                l.args.push(format!("alpha = {}", float(alpha)));
            }
            if beta != 0.5 {
                l.args.push(format!("beta = {}", float(beta)));
            }
            Ok(Lowered::Layer(l))
        }
        "Gelu" => {
            n.only_attrs(&["approximate"])?;
            let mut l = Layer::new(n, "gelu");
            match n.string("approximate").as_deref() {
                None | Some("none") => {}
                Some("tanh") => l.args.push("approximate = \"tanh\"".into()),
                Some(other) => {
                    return Err(n.error(format!("approximate = `{other}` is not supported")))
                }
            }
            Ok(Lowered::Layer(l))
        }
        "Clip" => clip(g, n),
        "Softmax" | "LogSoftmax" => {
            n.only_attrs(&["axis"])?;
            let axis = n.int("axis", -1);
            // The value carries a batch dimension in ONNX: rank + 1.
            if axis != -1 && axis != shape.len() as i64 {
                return Err(n.error(format!(
                    "axis {axis} is not supported; staticnet's {} runs over the last axis",
                    if n.op == "Softmax" {
                        "softmax"
                    } else {
                        "log_softmax"
                    }
                )));
            }
            layer(if n.op == "Softmax" {
                "softmax"
            } else {
                "log_softmax"
            })
        }
        "Flatten" => {
            n.only_attrs(&["axis"])?;
            if n.int("axis", 1) != 1 {
                return Err(n.error("only axis 1 (keep the batch dimension) is supported"));
            }
            Ok(if shape.len() == 1 {
                Lowered::Nothing
            } else {
                Lowered::Layer(Layer::new(n, "flatten"))
            })
        }
        "Reshape" => reshape(g, n, shape),
        "Gemm" => gemm(g, n),
        "Conv" => conv(g, n),
        "MaxPool" | "AveragePool" => pool(n),
        "GlobalAveragePool" => {
            n.only_attrs(&[])?;
            layer("global_avgpool")
        }
        "ReduceMean" => reduce_mean(g, n, shape),
        "BatchNormalization" => batchnorm(g, n),
        "LayerNormalization" => layernorm(g, n, shape),
        "PRelu" => prelu(g, n, shape),
        _ => Err(n.error("this operator is not supported (docs/onnx.md lists the supported ones)")),
    }
}

/// An `f32` as the shortest literal that reads back to it (`0.01`, `1e-5`).
pub fn float(v: f32) -> String {
    let s = format!("{v:?}");
    if s.contains(['.', 'e', 'E']) || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

/// The constant input `i` of `n`, as `f32`s, or an error naming it.
pub fn const_f32<'g>(
    g: &'g Graph<'_>,
    n: &Node<'_>,
    i: usize,
    what: &str,
) -> Result<(&'g [usize], &'g [f32]), Error> {
    let name = n.inputs.get(i).map(String::as_str).unwrap_or("");
    let t = g.constant(name).ok_or_else(|| {
        n.error(format!(
            "{what} (input {i}, `{name}`) must be a constant initializer"
        ))
    })?;
    let v = t
        .f32()
        .ok_or_else(|| n.error(format!("{what} (`{name}`) must be float32")))?;
    Ok((&t.dims, v))
}

fn has_input(n: &Node<'_>, i: usize) -> bool {
    n.inputs.get(i).is_some_and(|s| !s.is_empty())
}

fn clip(g: &Graph<'_>, n: &Node<'_>) -> Result<Lowered, Error> {
    n.only_attrs(&["min", "max"])?;
    // Opset 11 moved the bounds from attributes to optional inputs.
    let bound = |i: usize, attr: &str, default: f32| -> Result<f32, Error> {
        if has_input(n, i) {
            let name = &n.inputs[i];
            g.constant(name)
                .and_then(|t| t.scalar())
                .ok_or_else(|| n.error(format!("bound `{name}` must be a constant scalar")))
        } else {
            Ok(n.float(attr, default))
        }
    };
    let (lo, hi) = (
        bound(1, "min", f32::NEG_INFINITY)?,
        bound(2, "max", f32::INFINITY)?,
    );
    match (lo, hi) {
        (0.0, 6.0) => Ok(Lowered::Layer(Layer::new(n, "relu6"))),
        (0.0, f32::INFINITY) => Ok(Lowered::Layer(Layer::new(n, "relu"))),
        _ => Err(n.error(format!(
            "bounds [{lo}, {hi}] are not supported; Clip(0, 6) is relu6 and Clip(0, inf) relu"
        ))),
    }
}

/// A reshape to `[batch, features]` of a value that is not a vector yet is
/// `flatten`; of a vector, nothing.
fn reshape(g: &Graph<'_>, n: &Node<'_>, shape: &[usize]) -> Result<Lowered, Error> {
    n.only_attrs(&["allowzero"])?;
    let name = n.inputs.get(1).map(String::as_str).unwrap_or("");
    let target = g.constant(name).and_then(|t| t.i64()).ok_or_else(|| {
        n.error(format!(
            "the target shape `{name}` must be a constant int64 tensor"
        ))
    })?;
    let total: usize = shape.iter().product();
    let flat = match target {
        [_, -1] => true,
        [_, k] => *k as usize == total,
        _ => false,
    };
    if !flat {
        return Err(n.error(format!(
            "reshape of [batch, {}] to {target:?} is not supported; only flattening to [batch, {total}] is",
            shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(if shape.len() == 1 {
        Lowered::Nothing
    } else {
        Lowered::Layer(Layer::new(n, "flatten"))
    })
}

fn gemm(g: &Graph<'_>, n: &Node<'_>) -> Result<Lowered, Error> {
    n.only_attrs(&["alpha", "beta", "transA", "transB"])?;
    if n.int("transA", 0) != 0 {
        return Err(
            n.error("transA = 1 is not supported (the data input must be [batch, features])")
        );
    }
    let (dims, w) = const_f32(g, n, 1, "the weight B")?;
    let [r, c] = dims[..] else {
        return Err(n.error(format!("the weight B has shape {dims:?}; expected 2-d")));
    };
    let (alpha, beta) = (n.float("alpha", 1.0), n.float("beta", 1.0));
    // Ours is [out, in], PyTorch's nn.Linear and Gemm's transB = 1.
    let (out, inp, mut weight) = if n.int("transB", 0) != 0 {
        (r, c, w.to_vec())
    } else {
        (c, r, transpose(w, r, c))
    };
    if alpha != 1.0 {
        weight.iter_mut().for_each(|v| *v *= alpha);
    }
    let bias = if has_input(n, 2) {
        let (bdims, b) = const_f32(g, n, 2, "the bias C")?;
        let b: Vec<f32> = match b.len() {
            1 => vec![b[0]; out],
            len if len == out && bdims.iter().rev().skip(1).all(|&d| d == 1) => b.to_vec(),
            _ => {
                return Err(n.error(format!(
                    "the bias C has shape {bdims:?}; expected [{out}] or a scalar"
                )))
            }
        };
        Some(b.into_iter().map(|v| v * beta).collect())
    } else {
        None
    };
    Ok(Lowered::Layer(dense(
        n,
        out,
        inp,
        weight,
        bias,
        &n.inputs[1],
    )))
}

/// A `dense(out)` layer with `weight [out, inp]` and an optional bias.
pub fn dense(
    n: &Node<'_>,
    out: usize,
    inp: usize,
    weight: Vec<f32>,
    bias: Option<Vec<f32>>,
    weight_name: &str,
) -> Layer {
    let mut l = Layer::with_params(n, "dense", weight_name);
    l.args.push(out.to_string());
    l.tensors.push(("weight", vec![out, inp], weight));
    match bias {
        Some(b) => l.tensors.push(("bias", vec![out], b)),
        None => l.args.push("bias = false".into()),
    }
    l
}

/// `[r, c]` row-major to `[c, r]`.
pub fn transpose(w: &[f32], r: usize, c: usize) -> Vec<f32> {
    let mut t = vec![0.0; w.len()];
    for i in 0..r {
        for j in 0..c {
            t[j * r + i] = w[i * c + j];
        }
    }
    t
}

/// `n` or `(h, w)`.
fn pair(v: &[usize]) -> String {
    match v {
        [a] => a.to_string(),
        [a, b] if a == b => a.to_string(),
        [a, b] => format!("({a}, {b})"),
        _ => format!("{v:?}"),
    }
}

/// Spatial attributes: `kernel_shape`, `strides`, `dilations`, symmetric
/// `pads`; `auto_pad` only `NOTSET` (explicit pads).
struct Window {
    kernel: Vec<usize>,
    strides: Vec<usize>,
    dilations: Vec<usize>,
    pads: Vec<usize>,
}

fn window(n: &Node<'_>, rank: usize, kernel: Option<Vec<usize>>) -> Result<Window, Error> {
    if let Some(a) = n.string("auto_pad") {
        if a != "NOTSET" {
            return Err(n.error(format!(
                "auto_pad = {a} is not supported; export with explicit pads (PyTorch does)"
            )));
        }
    }
    let ints = |name: &str, default: usize| -> Result<Vec<usize>, Error> {
        match n.ints(name) {
            None => Ok(vec![default; rank]),
            Some(v) if v.len() == rank && v.iter().all(|&x| x >= 0) => {
                Ok(v.iter().map(|&x| x as usize).collect())
            }
            Some(v) => Err(n.error(format!("{name} {v:?} is not {rank} non-negative numbers"))),
        }
    };
    let kernel = match kernel {
        Some(k) => k,
        None => ints("kernel_shape", 0)?,
    };
    let pads = match n.ints("pads") {
        None => vec![0; rank],
        Some(p) if p.len() == 2 * rank && p.iter().all(|&x| x >= 0) => {
            let (begin, end) = p.split_at(rank);
            if begin != end {
                return Err(n.error(format!(
                    "pads {p:?} are not symmetric; staticnet pads both sides of an axis alike"
                )));
            }
            begin.iter().map(|&x| x as usize).collect()
        }
        Some(p) => {
            return Err(n.error(format!(
                "pads {p:?} are not {} non-negative numbers",
                2 * rank
            )))
        }
    };
    Ok(Window {
        kernel,
        strides: ints("strides", 1)?,
        dilations: ints("dilations", 1)?,
        pads,
    })
}

fn conv(g: &Graph<'_>, n: &Node<'_>) -> Result<Lowered, Error> {
    n.only_attrs(&[
        "auto_pad",
        "dilations",
        "group",
        "kernel_shape",
        "pads",
        "strides",
    ])?;
    let (dims, w) = const_f32(g, n, 1, "the weight W")?;
    let kind = match dims.len() {
        3 => "conv1d",
        4 => "conv2d",
        r => {
            return Err(n.error(format!(
                "a {}-d convolution is not supported (1-d and 2-d are)",
                r.saturating_sub(2)
            )))
        }
    };
    let w_dims = dims.to_vec();
    let win = window(n, dims.len() - 2, Some(w_dims[2..].to_vec()))?;
    if let Some(k) = n.ints("kernel_shape") {
        if k.iter()
            .map(|&x| x as usize)
            .ne(w_dims[2..].iter().copied())
        {
            return Err(n.error(format!(
                "kernel_shape {k:?} differs from the weight's {:?}",
                &w_dims[2..]
            )));
        }
    }
    let out = w_dims[0];
    let mut l = Layer::with_params(n, kind, &n.inputs[1]);
    l.args.push(out.to_string());
    l.args.push(pair(&win.kernel));
    if win.strides.iter().any(|&s| s != 1) {
        l.args.push(format!("stride = {}", pair(&win.strides)));
    }
    if win.pads.iter().any(|&p| p != 0) {
        l.args.push(format!("padding = {}", pair(&win.pads)));
    }
    if win.dilations.iter().any(|&d| d != 1) {
        l.args.push(format!("dilation = {}", pair(&win.dilations)));
    }
    let groups = n.int("group", 1);
    if groups != 1 {
        l.args.push(format!("groups = {groups}"));
    }
    l.tensors.push(("weight", w_dims, w.to_vec()));
    if has_input(n, 2) {
        let (_, b) = const_f32(g, n, 2, "the bias B")?;
        l.tensors.push(("bias", vec![out], b.to_vec()));
    } else {
        l.args.push("bias = false".into());
    }
    Ok(Lowered::Layer(l))
}

fn pool(n: &Node<'_>) -> Result<Lowered, Error> {
    let avg = n.op == "AveragePool";
    let known: &[&str] = if avg {
        &[
            "auto_pad",
            "ceil_mode",
            "count_include_pad",
            "dilations",
            "kernel_shape",
            "pads",
            "strides",
        ]
    } else {
        &[
            "auto_pad",
            "ceil_mode",
            "dilations",
            "kernel_shape",
            "pads",
            "storage_order",
            "strides",
        ]
    };
    n.only_attrs(known)?;
    let rank = n.ints("kernel_shape").map_or(0, <[i64]>::len);
    if rank != 2 {
        return Err(n.error(format!("{rank}-d pooling is not supported (2-d is)")));
    }
    if n.int("ceil_mode", 0) != 0 {
        return Err(n.error("ceil_mode = 1 is not supported"));
    }
    if n.int("storage_order", 0) != 0 {
        return Err(n.error("storage_order = 1 is not supported"));
    }
    let win = window(n, rank, None)?;
    if win.dilations.iter().any(|&d| d != 1) {
        return Err(n.error("dilated pooling is not supported"));
    }
    let mut l = Layer::new(n, if avg { "avgpool2d" } else { "maxpool2d" });
    l.args.push(pair(&win.kernel));
    if win.strides != win.kernel {
        l.args.push(format!("stride = {}", pair(&win.strides)));
    }
    if win.pads.iter().any(|&p| p != 0) {
        l.args.push(format!("padding = {}", pair(&win.pads)));
        // ONNX's default is 0, PyTorch's (and staticnet's) true.
        if avg && n.int("count_include_pad", 0) == 0 {
            l.args.push("count_include_pad = false".into());
        }
    }
    Ok(Lowered::Layer(l))
}

fn batchnorm(g: &Graph<'_>, n: &Node<'_>) -> Result<Lowered, Error> {
    n.only_attrs(&["epsilon", "momentum", "training_mode"])?;
    if n.int("training_mode", 0) != 0 || n.outputs.iter().skip(1).any(|o| !o.is_empty()) {
        return Err(n.error("training mode (running statistics as outputs) is not supported"));
    }
    let names = ["scale", "bias B", "input_mean", "input_var"];
    let mut t = Vec::new();
    for (i, what) in names.iter().enumerate() {
        let (dims, v) = const_f32(g, n, i + 1, what)?;
        if dims.len() != 1 {
            return Err(n.error(format!("{what} has shape {dims:?}; expected 1-d")));
        }
        t.push(v.to_vec());
    }
    let c = t[0].len();
    let mut l = Layer::with_params(n, "batchnorm", &n.inputs[1]);
    let eps = n.float("epsilon", 1e-5);
    if eps != 1e-5 {
        l.args.push(format!("eps = {}", float(eps)));
    }
    // ONNX's momentum weighs the old statistics, PyTorch's the new ones.
    // Rounded to 7 decimals: 1 - 0.99f32 would read 0.00999999, not 0.01.
    let momentum = ((1.0 - f64::from(n.float("momentum", 0.9))) * 1e7).round() / 1e7;
    let momentum = momentum as f32;
    if (momentum - 0.1).abs() > 1e-6 {
        l.args.push(format!("momentum = {}", float(momentum)));
    }
    let mut it = t.into_iter();
    for attr in ["weight", "bias", "running_mean", "running_var"] {
        l.tensors
            .push((attr, vec![c], it.next().expect("four tensors")));
    }
    Ok(Lowered::Layer(l))
}

/// `PRelu(X, slope)` with one slope (`[1]` or a scalar), or one per
/// channel, the sample's first axis, shaped to broadcast there (`[C]` on a
/// vector, `[C, 1, 1]` on an image): staticnet's `prelu` and
/// `prelu(per_channel = true)`.
fn prelu(g: &Graph<'_>, n: &Node<'_>, shape: &[usize]) -> Result<Lowered, Error> {
    n.only_attrs(&[])?;
    let (dims, slope) = const_f32(g, n, 1, "the slope")?;
    let c = shape[0];
    let per_channel =
        dims.len() == shape.len() && dims[0] == c && c > 1 && dims[1..].iter().all(|&d| d == 1);
    if slope.len() != 1 && !per_channel {
        let ones = ", 1".repeat(shape.len() - 1);
        return Err(n.error(format!(
            "the slope has shape {dims:?}; staticnet's prelu takes one slope or one per \
             channel of the first axis, [{c}{ones}]"
        )));
    }
    let mut l = Layer::with_params(n, "prelu", &n.inputs[1]);
    if per_channel {
        l.args.push("per_channel = true".into());
    }
    l.tensors
        .push(("weight", vec![slope.len()], slope.to_vec()));
    Ok(Lowered::Layer(l))
}

fn layernorm(g: &Graph<'_>, n: &Node<'_>, shape: &[usize]) -> Result<Lowered, Error> {
    n.only_attrs(&["axis", "epsilon", "stash_type"])?;
    let axis = n.int("axis", -1);
    if axis != -1 && axis != shape.len() as i64 {
        return Err(n.error(format!(
            "axis {axis} is not supported; staticnet normalises over the last axis"
        )));
    }
    let (dims, scale) = const_f32(g, n, 1, "the scale")?;
    let c = scale.len();
    let bias = if has_input(n, 2) {
        const_f32(g, n, 2, "the bias B")?.1.to_vec()
    } else {
        vec![0.0; c]
    };
    if dims.len() != 1 || bias.len() != c {
        return Err(n.error(format!(
            "the scale has shape {dims:?}; expected [{c}] with a bias of as many"
        )));
    }
    let mut l = Layer::with_params(n, "layernorm", &n.inputs[1]);
    let eps = n.float("epsilon", 1e-5);
    if eps != 1e-5 {
        l.args.push(format!("eps = {}", float(eps)));
    }
    l.tensors.push(("weight", vec![c], scale.to_vec()));
    l.tensors.push(("bias", vec![c], bias));
    Ok(Lowered::Layer(l))
}

/// A mean over every spatial axis (torch's dynamo exporter writes
/// `AdaptiveAvgPool2d(1)` so) is `global_avgpool`.
fn reduce_mean(g: &Graph<'_>, n: &Node<'_>, shape: &[usize]) -> Result<Lowered, Error> {
    n.only_attrs(&["axes", "keepdims", "noop_with_empty_axes"])?;
    let axes: Vec<i64> = match n.ints("axes") {
        Some(a) => a.to_vec(),
        None => n
            .inputs
            .get(1)
            .and_then(|a| g.constant(a))
            .and_then(|t| t.i64())
            .map(<[i64]>::to_vec)
            .unwrap_or_default(),
    };
    // With the batch dimension, the value has rank shape.len() + 1.
    let rank = shape.len() as i64 + 1;
    let mut axes: Vec<i64> = axes
        .iter()
        .map(|&a| if a < 0 { a + rank } else { a })
        .collect();
    axes.sort_unstable();
    let spatial: Vec<i64> = (2..rank).collect();
    if rank < 3 || axes != spatial {
        return Err(n.error(format!(
            "a mean over axes {axes:?} is not supported; only over every spatial axis {spatial:?} (global average pooling)"
        )));
    }
    Ok(Lowered::Layer(Layer::new(n, "global_avgpool")))
}
