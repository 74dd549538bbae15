//! `LSTM`, `GRU` and `RNN` nodes to `lstm`, `gru` and `rnn`, with the
//! layout changes exporters put around them: the batch-first input's
//! `Transpose` to time-major, the `Squeeze` of the direction axis, the
//! `Transpose` back, and the last step taken by `Gather` (or the final
//! hidden state `Y_h`), which is `sequence = false`.
//!
//! ONNX orders the gates i, o, f, c (LSTM) and z, r, h (GRU); PyTorch, and
//! so staticnet, i, f, g, o and r, z, n. The weight and bias blocks are
//! reordered here.

use crate::graph::{Graph, Node};
use crate::lower::{Item, Layer};
use crate::Error;

/// The gate blocks of `v` (each `block` long) in `order`: block `k` of
/// the result is block `order[k]` of `v`. Import and export both use it.
pub fn reorder_gates(v: &[f32], order: &[usize], block: usize) -> Vec<f32> {
    order
        .iter()
        .flat_map(|&k| v[k * block..(k + 1) * block].iter().copied())
        .collect()
}

pub fn is_recurrent(op: &str) -> bool {
    matches!(op, "LSTM" | "GRU" | "RNN")
}

/// Is `value` time-major `[T, N, F]`: the `Squeeze`d output of a recurrent
/// node with the default layout?
pub fn time_major(g: &Graph<'_>, value: &str) -> bool {
    g.producer(value).is_some_and(|s| {
        s.op == "Squeeze"
            && g.producer(&s.inputs[0])
                .is_some_and(|r| is_recurrent(r.op) && r.int("layout", 0) == 0)
    })
}

/// Lowers recurrent node `i` reading the current value (`[T, F]` per
/// sample; in ONNX time-major when `layout` is 0, as `time_major` says).
pub fn lower(
    g: &Graph<'_>,
    i: usize,
    time_major: bool,
    shape: &[usize],
) -> Result<(Item, String), Error> {
    let n = &g.nodes[i];
    n.only_attrs(&[
        "hidden_size",
        "direction",
        "layout",
        "linear_before_reset",
        "activations",
    ])?;
    let layout = n.int("layout", 0);
    if (layout == 0) != time_major {
        return Err(n.error(format!(
            "layout {layout} does not match its input, which is {}",
            if time_major {
                "time-major [T, N, F]"
            } else {
                "batch-major [N, T, F]"
            }
        )));
    }
    if let Some(d) = n.string("direction") {
        if d != "forward" {
            return Err(n.error(format!("direction `{d}` is not supported (forward only)")));
        }
    }
    let (gates, kind, order): (usize, &'static str, &[usize]) = match n.op {
        // ONNX i, o, f, c -> PyTorch i, f, g(c), o.
        "LSTM" => (4, "lstm", &[0, 2, 3, 1]),
        // ONNX z, r, h -> PyTorch r, z, n(h).
        "GRU" => (3, "gru", &[1, 0, 2]),
        _ => (1, "rnn", &[0]),
    };
    let activations: Vec<String> = n.strings("activations");
    let names: Vec<&str> = activations.iter().map(String::as_str).collect();
    let relu = match (n.op, &names[..]) {
        (_, []) => false,
        ("LSTM", ["Sigmoid", "Tanh", "Tanh"])
        | ("GRU", ["Sigmoid", "Tanh"])
        | ("RNN", ["Tanh"]) => false,
        ("RNN", ["Relu"]) => true,
        (_, a) => {
            return Err(n.error(format!(
                "activations {a:?} are not supported (the defaults are)"
            )))
        }
    };
    if n.op == "GRU" && n.int("linear_before_reset", 0) != 1 {
        return Err(n.error("linear_before_reset = 0 is not supported (PyTorch's GRU is 1)"));
    }
    for (k, what) in [(4, "sequence_lens"), (7, "peepholes P")] {
        if n.inputs.get(k).is_some_and(|s| !s.is_empty()) {
            return Err(n.error(format!("{what} (input {k}) is not supported")));
        }
    }
    for (k, what) in [(5, "initial_h"), (6, "initial_c")] {
        if let Some(v) = n.inputs.get(k).filter(|s| !s.is_empty()) {
            if !zeros(g, v) {
                return Err(n.error(format!("{what} (input {k}) must be zeros")));
            }
        }
    }
    let h = n.int("hidden_size", 0) as usize;
    let (wd, w) = crate::ops::const_f32(g, n, 1, "the weight W")?;
    let (rd, r) = crate::ops::const_f32(g, n, 2, "the recurrence weight R")?;
    let f = shape.get(1).copied().unwrap_or(0);
    if wd != [1, gates * h, f] || rd != [1, gates * h, h] {
        return Err(n.error(format!(
            "W {wd:?} and R {rd:?} do not fit hidden_size {h} on {f} features (expected [1, {}, {f}] and [1, {}, {h}])",
            gates * h,
            gates * h
        )));
    }
    let b = if n.inputs.get(3).is_some_and(|s| !s.is_empty()) {
        let (bd, b) = crate::ops::const_f32(g, n, 3, "the bias B")?;
        if bd != [1, 2 * gates * h] {
            return Err(n.error(format!("B {bd:?} is not [1, {}]", 2 * gates * h)));
        }
        b.to_vec()
    } else {
        vec![0.0; 2 * gates * h]
    };
    let reorder = |v: &[f32], block: usize| reorder_gates(v, order, block);
    let mut l = Layer::with_params(n, kind, &n.inputs[1]);
    l.args.push(h.to_string());
    if relu {
        l.args.push("relu = true".into());
    }
    l.tensors
        .push(("weight_ih_l0", vec![gates * h, f], reorder(w, h * f)));
    l.tensors
        .push(("weight_hh_l0", vec![gates * h, h], reorder(r, h * h)));
    l.tensors
        .push(("bias_ih_l0", vec![gates * h], reorder(&b[..gates * h], h)));
    l.tensors
        .push(("bias_hh_l0", vec![gates * h], reorder(&b[gates * h..], h)));
    let (sequence, next) = outputs(g, n, layout, shape[0])?;
    if !sequence {
        l.args.push("sequence = false".into());
    }
    Ok((Item::Layer(l), next))
}

/// Whether the node's every step (`Y`) or only its last (`Y_h`) goes on,
/// and the value after the layout nodes that follow.
fn outputs(
    g: &Graph<'_>,
    n: &Node<'_>,
    layout: i64,
    steps: usize,
) -> Result<(bool, String), Error> {
    let used = |k: usize| {
        n.outputs
            .get(k)
            .is_some_and(|o| !o.is_empty() && !g.consumers(o).is_empty())
    };
    let err = |what: &str| {
        n.error(format!("{what}; supported: every step (Y, its direction axis squeezed) or the last (Y_h, or Y's last step)"))
    };
    if used(2) {
        return Err(err("its cell state Y_c is used"));
    }
    match (used(0), used(1)) {
        (true, false) => {
            // Y: [T, 1, N, H] (layout 0) or [N, T, 1, H] (layout 1).
            let axis = if layout == 0 { 1 } else { 2 };
            let (_, s) = g
                .single(&n.outputs[0])
                .filter(|(_, s)| squeezes(g, s, axis))
                .ok_or_else(|| err("Y is not squeezed on its direction axis"))?;
            let mut v = s.outputs[0].clone();
            let mut time_axis = if layout == 0 { 0 } else { 1 };
            if layout == 0 {
                match g.single(&v) {
                    Some((_, t)) if t.op == "Transpose" && t.ints("perm") == Some(&[1, 0, 2]) => {
                        v = t.outputs[0].clone();
                        time_axis = 1;
                    }
                    // Another recurrent layer reads it time-major.
                    Some((_, r)) if is_recurrent(r.op) => return Ok((true, v)),
                    _ => {}
                }
            }
            match g.single(&v) {
                Some((_, gather))
                    if gather.op == "Gather" && last_step(g, gather, time_axis, steps) =>
                {
                    Ok((false, gather.outputs[0].clone()))
                }
                _ if time_axis == 1 => Ok((true, v)),
                _ => Err(err("Y stays time-major [T, N, H]")),
            }
        }
        (false, true) => {
            // Y_h: [1, N, H] -> [N, H] by Squeeze(0) or Gather(0, 0).
            match g.single(&n.outputs[1]) {
                Some((_, s))
                    if squeezes(g, s, 0)
                        || (s.op == "Gather"
                            && s.int("axis", 0) == 0
                            && index(g, s) == Some(0)) =>
                {
                    Ok((false, s.outputs[0].clone()))
                }
                _ => Err(err("Y_h is not squeezed or gathered on its direction axis")),
            }
        }
        (true, true) => Err(err("both Y and Y_h are used")),
        (false, false) => Err(err("no output is used")),
    }
}

fn squeezes(g: &Graph<'_>, s: &Node<'_>, axis: i64) -> bool {
    if s.op != "Squeeze" {
        return false;
    }
    let axes = match s.ints("axes") {
        Some(a) => Some(a.to_vec()),
        None => s
            .inputs
            .get(1)
            .and_then(|a| g.constant(a))
            .and_then(|t| t.i64())
            .map(<[i64]>::to_vec),
    };
    axes.as_deref() == Some(&[axis])
}

fn index(g: &Graph<'_>, gather: &Node<'_>) -> Option<i64> {
    let t = g.constant(gather.inputs.get(1)?)?;
    if !t.dims.is_empty() {
        return None;
    }
    t.i64().and_then(|v| v.first().copied())
}

/// `Gather(axis, -1)` or `Gather(axis, T - 1)`, a scalar index.
fn last_step(g: &Graph<'_>, gather: &Node<'_>, axis: i64, steps: usize) -> bool {
    gather.int("axis", 0) == axis
        && matches!(index(g, gather), Some(i) if i == -1 || i == steps as i64 - 1)
}

/// A constant of zeros, `ConstantOfShape` with a zero (or no) value, or a
/// slice or reshape of such (torch slices one zero state per stacked layer).
fn zeros(g: &Graph<'_>, v: &str) -> bool {
    let all_zero = |t: &crate::graph::Tensor| t.f32().is_some_and(|x| x.iter().all(|&x| x == 0.0));
    if let Some(t) = g.constant(v) {
        return all_zero(&t.clone());
    }
    g.producer(v).is_some_and(|p| match p.op {
        "ConstantOfShape" => p.tensor_attr("value").is_none_or(|t| all_zero(&t)),
        "Slice" | "Reshape" | "Unsqueeze" | "Squeeze" | "Expand" => zeros(g, &p.inputs[0]),
        _ => false,
    })
}
