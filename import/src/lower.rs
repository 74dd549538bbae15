//! The walk from the graph's input to its output: a chain of layers, where
//! a value read by a block and by an `Add` after it is a `residual { }`, and
//! a few multi-node patterns exporters write are one layer each (MatMul +
//! Add, activations written as several nodes (`elementwise.rs`), Transpose
//! pairs that cancel).
//! Shapes are the planner's own: after each layer the declaration so far is
//! planned by `staticnet-dsl`, so a layer staticnet rejects is reported at
//! the node that made it.

use crate::elementwise;
use crate::emit;
use crate::graph::{Graph, Node};
use crate::ops::{self, Lowered};
use crate::recurrent;
use crate::Error;

/// One layer of the declaration.
#[derive(Clone, Debug)]
pub struct Layer {
    /// The ONNX name its parameters carry (`fc1.weight` gives `fc1`), if any.
    pub onnx_name: Option<String>,
    /// Its identifier in the declaration, chosen by `emit::name_layers`.
    pub name: Option<String>,
    pub kind: &'static str,
    pub args: Vec<String>,
    /// `(attr, shape, values)` in staticnet's layout.
    pub tensors: Vec<(&'static str, Vec<usize>, Vec<f32>)>,
    /// `node `x` (Op)`, for messages.
    pub origin: String,
}

impl Layer {
    pub fn new(n: &Node<'_>, kind: &'static str) -> Self {
        Layer {
            onnx_name: None,
            name: None,
            kind,
            args: Vec::new(),
            tensors: Vec::new(),
            origin: format!("node `{}` ({})", n.name, n.op),
        }
    }

    /// A layer with parameters, named after its weight: `fc1.weight` gives
    /// `fc1`; a weight name without a dot (`onnx::Gemm_5`), the node's.
    pub fn with_params(n: &Node<'_>, kind: &'static str, weight: &str) -> Self {
        let name = match weight.rsplit_once('.') {
            Some((prefix, _)) if !weight.contains("::") => prefix.to_string(),
            _ => node_path(&n.name),
        };
        Layer {
            onnx_name: Some(name),
            ..Layer::new(n, kind)
        }
    }
}

/// `/layer1/fc/Gemm` -> `layer1/fc`: the module path torch writes.
fn node_path(name: &str) -> String {
    let trimmed = name.trim_start_matches('/');
    match trimmed.rsplit_once('/') {
        Some((path, _)) => path.to_string(),
        None => trimmed.to_string(),
    }
}

/// A layer or a residual block.
#[derive(Clone, Debug)]
pub enum Item {
    Layer(Layer),
    Residual(Vec<Item>),
}

/// Lowers the whole graph.
pub fn lower(g: &Graph<'_>) -> Result<Vec<Item>, Error> {
    let (input, shape) = (&g.input.0, &g.input.1);
    let (items, end) = chain(g, input, shape, None)?;
    debug_assert_eq!(end, g.output);
    Ok(items)
}

/// From `start` (of shape `input`) to the graph's output, or with `stop`, to
/// the value that `stop` (a residual's Add) reads.
fn chain(
    g: &Graph<'_>,
    start: &str,
    input: &[usize],
    stop: Option<usize>,
) -> Result<(Vec<Item>, String), Error> {
    let mut items: Vec<Item> = Vec::new();
    let mut cur = start.to_string();
    let mut shape = input.to_vec();
    loop {
        let reads: Vec<usize> = g
            .consumers(&cur)
            .iter()
            .copied()
            .filter(|&i| Some(i) != stop)
            .collect();
        let stop_reads = stop.is_some_and(|s| g.nodes[s].inputs.contains(&cur));
        if reads.is_empty() {
            if stop_reads && cur != start {
                return Ok((items, cur));
            }
            if stop.is_none() && cur == g.output {
                return Ok((items, cur));
            }
            return Err(Error::Graph(format!(
                "value `{cur}` leads nowhere: it is not the graph's output and nothing reads it"
            )));
        }
        if stop.is_none() && cur == g.output {
            return Err(Error::Graph(format!(
                "the graph's output `{cur}` is also read by other nodes"
            )));
        }
        let activation = if reads.len() >= 2 {
            activation(g, &cur)
        } else {
            None
        };
        let (new, next) = match reads[..] {
            _ if activation.is_some() => activation.expect("checked"),
            [i] => one(g, i, &cur, &shape)?,
            [a, b] => two(g, [a, b], &cur, &shape)?,
            _ => {
                return Err(Error::Graph(format!(
                    "value `{cur}` is read by {} nodes ({}); staticnet networks are chains with residual adds",
                    reads.len(),
                    reads.iter().map(|&i| format!("`{}` ({})", g.nodes[i].name, g.nodes[i].op)).collect::<Vec<_>>().join(", ")
                )))
            }
        };
        if let Some(item) = new {
            let origin = origin(&item);
            items.push(item);
            shape = emit::output_shape(input, &items)
                .map_err(|e| Error::Declaration { origin, message: e })?;
        }
        cur = next;
    }
}

fn origin(item: &Item) -> String {
    match item {
        Item::Layer(l) => l.origin.clone(),
        Item::Residual(b) => b.last().map_or_else(|| "a residual block".into(), origin),
    }
}

/// The value read by one node: that node (or a pattern starting at it).
fn one(
    g: &Graph<'_>,
    i: usize,
    cur: &str,
    shape: &[usize],
) -> Result<(Option<Item>, String), Error> {
    let n = &g.nodes[i];
    if recurrent::is_recurrent(n.op) && n.inputs.first().map(String::as_str) == Some(cur) {
        let (item, next) = recurrent::lower(g, i, recurrent::time_major(g, cur), shape)?;
        return Ok((Some(item), next));
    }
    // The batch-first input made time-major for a recurrent node.
    if n.op == "Transpose" && n.ints("perm") == Some(&[1, 0, 2]) {
        if let Some((r, rn)) = g.single(&n.outputs[0]) {
            if recurrent::is_recurrent(rn.op) && rn.inputs[0] == n.outputs[0] {
                let (item, next) = recurrent::lower(g, r, true, shape)?;
                return Ok((Some(item), next));
            }
        }
    }
    if n.inputs.first().map(String::as_str) != Some(cur) && !matches!(n.op, "Add" | "Mul") {
        return Err(n.error(format!(
            "reads `{cur}` as input {}, not as its data input",
            n.inputs.iter().position(|x| x == cur).unwrap_or(0)
        )));
    }
    match n.op {
        "MatMul" => matmul(g, i, shape),
        "Transpose" => transpose_pair(g, i),
        "Add" | "Mul" | "Sub" | "Div" => Err(n.error(format!(
            "a lone {} with {} is not supported (only a residual Add of a block's input and output, and a MatMul's bias)",
            n.op,
            n.inputs.iter().find(|x| *x != cur).map_or("itself".into(), |x| format!("`{x}`"))
        ))),
        _ => match ops::lower(g, n, shape)? {
            Lowered::Layer(l) => Ok((Some(Item::Layer(l)), n.outputs[0].clone())),
            Lowered::Nothing => Ok((None, n.outputs[0].clone())),
        },
    }
}

/// The value read by two nodes (and not a multi-node activation): a
/// residual block and its Add.
fn two(
    g: &Graph<'_>,
    [a, b]: [usize; 2],
    cur: &str,
    shape: &[usize],
) -> Result<(Option<Item>, String), Error> {
    let (na, nb) = (&g.nodes[a], &g.nodes[b]);
    // A residual: Add(x, block(x)).
    let adds: Vec<usize> = [a, b]
        .into_iter()
        .filter(|&i| g.nodes[i].op == "Add")
        .collect();
    for &add in &adds {
        let other = if add == a { b } else { a };
        let add_node = &g.nodes[add];
        let Some(pos) = add_node.inputs.iter().position(|x| x == cur) else {
            continue;
        };
        if add_node.inputs.len() != 2 {
            continue;
        }
        let block_out = &add_node.inputs[1 - pos];
        if g.constant(block_out).is_some() {
            continue;
        }
        let _ = other;
        let (block, end) = chain(g, cur, shape, Some(add))?;
        if &end != block_out {
            return Err(add_node.error(format!(
                "adds `{cur}` and `{block_out}`, but the block from `{cur}` ends at `{end}`"
            )));
        }
        if block.is_empty() {
            return Err(add_node.error("adds a value to itself; a residual block needs layers"));
        }
        return Ok((Some(Item::Residual(block)), add_node.outputs[0].clone()));
    }
    Err(Error::Graph(format!(
        "value `{cur}` is read by `{}` ({}) and `{}` ({}); staticnet networks are chains with residual adds",
        na.name, na.op, nb.name, nb.op
    )))
}

/// A multi-node activation starting at `cur` (`elementwise.rs`), as a layer
/// and the value after it.
fn activation(g: &Graph<'_>, cur: &str) -> Option<(Option<Item>, String)> {
    let (r, (kind, arg)) = elementwise::regions(g, cur)
        .into_iter()
        .find_map(|r| elementwise::identify(g, &r, cur).map(|k| (r, k)))?;
    let last = &g.nodes[*r.nodes.last()?];
    let mut l = Layer::new(last, kind);
    if !arg.is_empty() {
        l.args.push(arg.to_string());
    }
    Some((Some(Item::Layer(l)), r.exit))
}

/// MatMul(x, W) and, if it follows, Add(that, b): `dense`.
fn matmul(g: &Graph<'_>, i: usize, _shape: &[usize]) -> Result<(Option<Item>, String), Error> {
    let n = &g.nodes[i];
    n.only_attrs(&[])?;
    let (dims, w) = ops::const_f32(g, n, 1, "the weight")?;
    let [inp, out] = dims[..] else {
        return Err(n.error(format!(
            "the weight has shape {dims:?}; expected 2-d [in, out]"
        )));
    };
    let weight = ops::transpose(w, inp, out);
    let mut next = n.outputs[0].clone();
    let mut bias = None;
    if let [j] = g.consumers(&next) {
        let add = &g.nodes[*j];
        if add.op == "Add" && add.inputs.len() == 2 {
            let other = if add.inputs[0] == next {
                &add.inputs[1]
            } else {
                &add.inputs[0]
            };
            if let Some(b) = g.constant(other).and_then(|t| t.f32()) {
                if b.len() != out {
                    return Err(add.error(format!(
                        "the bias has {} values; the MatMul before it gives {out}",
                        b.len()
                    )));
                }
                bias = Some(b.to_vec());
                next = add.outputs[0].clone();
            }
        }
    }
    let layer = ops::dense(n, out, inp, weight, bias, &n.inputs[1]);
    Ok((Some(Item::Layer(layer)), next))
}

/// Transpose(p) then Transpose(q) with q after p the identity: nothing.
fn transpose_pair(g: &Graph<'_>, i: usize) -> Result<(Option<Item>, String), Error> {
    let n = &g.nodes[i];
    let p = n.ints("perm").map(<[i64]>::to_vec).unwrap_or_default();
    if let [j] = g.consumers(&n.outputs[0]) {
        let m = &g.nodes[*j];
        if m.op == "Transpose" {
            let q = m.ints("perm").map(<[i64]>::to_vec).unwrap_or_default();
            let identity = p.len() == q.len()
                && q.iter()
                    .enumerate()
                    .all(|(k, &qk)| p.get(qk as usize) == Some(&(k as i64)));
            if identity && !p.is_empty() {
                return Ok((None, m.outputs[0].clone()));
            }
        }
    }
    Err(n.error(format!(
        "a transpose {p:?} is not supported unless the next Transpose undoes it"
    )))
}
