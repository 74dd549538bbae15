//! Activations exporters write as several nodes: the value `x` is read by
//! two or more elementwise nodes whose other inputs are scalar constants,
//! and their paths meet again in one value (x * sigmoid(x); GELU's erf form;
//! its tanh form, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in the
//! orders torch's two exporters write; ...). Rather than one matcher per
//! exporter and order, the region is found by its shape and then
//! *evaluated* on test points in f64: it is the DSL activation whose
//! function it computes, within 1e-5, or it is not an activation.

use crate::graph::Graph;
use std::collections::HashSet;

/// A region from `x`: its nodes and the one value that leaves it.
pub struct Region {
    pub nodes: Vec<usize>,
    pub exit: String,
}

/// Unary and binary ops the interpreter knows.
fn elementwise(op: &str) -> bool {
    matches!(
        op,
        "Add"
            | "Sub"
            | "Mul"
            | "Div"
            | "Pow"
            | "Tanh"
            | "Erf"
            | "Sigmoid"
            | "Sqrt"
            | "Exp"
            | "Neg"
            | "Relu"
            | "Clip"
            | "Min"
            | "Max"
            | "Abs"
            | "Reciprocal"
            | "HardSigmoid"
    )
}

/// The regions of two or more nodes from `x` that close, smallest first:
/// every reader of `x` and of its inner values is in the region, and one
/// value leaves it. (`x (1 + tanh(..))` closes before the `* 0.5` that
/// makes it GELU, so every closing point is a candidate.)
pub fn regions(g: &Graph<'_>, x: &str) -> Vec<Region> {
    let readers: HashSet<usize> = g.consumers(x).iter().copied().collect();
    let Some(&first) = readers.iter().min() else {
        return Vec::new();
    };
    let mut values: Vec<String> = vec![x.to_string()];
    let mut nodes: Vec<usize> = Vec::new();
    let mut found = Vec::new();
    for i in first..g.nodes.len() {
        let n = &g.nodes[i];
        if !n.inputs.iter().any(|v| values.contains(v)) {
            continue;
        }
        let data_ok = n.inputs.iter().all(|v| {
            v.is_empty()
                || values.contains(v)
                || g.constant(v).is_some_and(|t| t.scalar().is_some())
        });
        if !elementwise(n.op) || !data_ok || n.outputs.len() != 1 {
            break;
        }
        nodes.push(i);
        values.push(n.outputs[0].clone());
        if nodes.len() < 2 || !readers.iter().all(|r| nodes.contains(r)) {
            continue;
        }
        // Values read outside the region (or the graph's output).
        let open: Vec<&String> = values
            .iter()
            .filter(|v| g.consumers(v).iter().any(|c| !nodes.contains(c)) || **v == g.output)
            .collect();
        if let [exit] = open[..] {
            if exit != x {
                found.push(Region {
                    nodes: nodes.clone(),
                    exit: exit.clone(),
                });
            }
        }
    }
    found
}

/// The region's function at `x`, in f64.
fn eval(g: &Graph<'_>, r: &Region, input: &str, x: f64) -> Option<f64> {
    let mut vals: Vec<(String, f64)> = vec![(input.to_string(), x)];
    let get = |vals: &[(String, f64)], name: &str| -> Option<f64> {
        vals.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .or_else(|| g.constant(name).and_then(|t| t.scalar()).map(f64::from))
    };
    for &i in &r.nodes {
        let n = &g.nodes[i];
        let a = get(&vals, n.inputs.first()?)?;
        let b = || {
            n.inputs
                .get(1)
                .filter(|s| !s.is_empty())
                .and_then(|s| get(&vals, s))
        };
        let y = match n.op {
            "Add" => a + b()?,
            "Sub" => a - b()?,
            "Mul" => a * b()?,
            "Div" => a / b()?,
            "Pow" => a.powf(b()?),
            "Min" => a.min(b()?),
            "Max" => a.max(b()?),
            "Tanh" => a.tanh(),
            "Erf" => libm::erf(a),
            "Sigmoid" => 1.0 / (1.0 + (-a).exp()),
            "Sqrt" => a.sqrt(),
            "Exp" => a.exp(),
            "Neg" => -a,
            "Abs" => a.abs(),
            "Reciprocal" => 1.0 / a,
            "Relu" => a.max(0.0),
            "HardSigmoid" => {
                let (alpha, beta) = (
                    f64::from(n.float("alpha", 0.2)),
                    f64::from(n.float("beta", 0.5)),
                );
                (alpha * a + beta).clamp(0.0, 1.0)
            }
            "Clip" => {
                let bound = |k: usize, attr: &str, d: f64| {
                    n.inputs
                        .get(k)
                        .filter(|s| !s.is_empty())
                        .and_then(|s| get(&vals, s))
                        .unwrap_or_else(|| n.float(attr, d as f32) as f64)
                };
                a.clamp(
                    bound(1, "min", f64::NEG_INFINITY),
                    bound(2, "max", f64::INFINITY),
                )
            }
            _ => return None,
        };
        vals.push((n.outputs[0].clone(), y));
    }
    get(&vals, &r.exit)
}

/// A DSL activation: kind, argument, its f64 function.
type Candidate = (&'static str, &'static str, fn(f64) -> f64);

/// The DSL activations a region may compute, with their f64 functions.
const CANDIDATES: &[Candidate] = &[
    ("gelu", "", |x| {
        0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
    }),
    ("gelu", "approximate = \"tanh\"", |x| {
        0.5 * x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh())
    }),
    ("silu", "", |x| x / (1.0 + (-x).exp())),
    ("hardswish", "", |x| x * (x + 3.0).clamp(0.0, 6.0) / 6.0),
    ("relu6", "", |x| x.clamp(0.0, 6.0)),
    ("relu", "", |x| x.max(0.0)),
];

/// The activation `region` computes, as (kind, argument), if any: equal to
/// the candidate within 1e-5 of max(1, |y|) at 241 points in [-12, 12].
pub fn identify(g: &Graph<'_>, r: &Region, input: &str) -> Option<(&'static str, &'static str)> {
    let points: Vec<f64> = (0..=240).map(|i| -12.0 + 0.1 * f64::from(i)).collect();
    let ys: Vec<f64> = points
        .iter()
        .map(|&x| eval(g, r, input, x))
        .collect::<Option<_>>()?;
    CANDIDATES.iter().find_map(|&(kind, arg, f)| {
        let close = points
            .iter()
            .zip(&ys)
            .all(|(&x, &y)| (y - f(x)).abs() <= 1e-5 * f(x).abs().max(1.0));
        close.then_some((kind, arg))
    })
}
