//! `Network::SUMMARY`: a table of layers, output shapes and parameter counts.

use super::Net;
use crate::shape::Shape;

pub fn text(net: &Net<'_>) -> String {
    let (def, layers) = (net.def, net.layers);
    let input = Shape(
        def.input
            .dims
            .iter()
            .map(|d| d.base10_parse().unwrap_or(0))
            .collect(),
    );
    let mut rows = vec![("input".to_string(), input.to_string(), 0usize)];
    for l in layers {
        let count = l.plan.params.as_ref().map_or(0, |p| p.count);
        rows.push((
            format!("{} ({})", l.name, l.kind),
            l.plan.output.to_string(),
            count,
        ));
    }
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(5);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(12);
    let total: usize = rows.iter().map(|r| r.2).sum();
    let buffers: usize = layers
        .iter()
        .filter_map(|l| l.plan.stats.as_ref())
        .map(|b| b.count)
        .sum();
    let mut s = format!(
        "{:<w0$}  {:<w1$}  {:>10}\n",
        "layer", "output shape", "params"
    );
    s.push_str(&"-".repeat(w0 + w1 + 14));
    s.push('\n');
    for (name, shape, count) in &rows {
        s.push_str(&format!("{name:<w0$}  {shape:<w1$}  {count:>10}\n"));
    }
    s.push_str(&format!("total params: {total} ({} bytes)\n", total * 4));
    if buffers > 0 {
        s.push_str(&format!("buffers: {buffers} ({} bytes)\n", buffers * 4));
    }
    s
}
