//! The declaration as Rust source, checked by the macro's own planner
//! (`staticnet-dsl`), and the weights laid out by the planned manifest.

use crate::lower::{Item, Layer};
use crate::Error;
use staticnet::weights::{self, safetensors, Arch, LayerInfo, TensorInfo};
use std::collections::HashMap;
use std::str::FromStr;

/// Every layer, residual blocks' included, in order.
fn for_each_layer<'a>(items: &'a [Item], f: &mut dyn FnMut(&'a Layer)) {
    for item in items {
        match item {
            Item::Layer(l) => f(l),
            Item::Residual(b) => for_each_layer(b, f),
        }
    }
}

/// [`for_each_layer`], mutably.
fn for_each_layer_mut(items: &mut [Item], f: &mut dyn FnMut(&mut Layer)) {
    for item in items {
        match item {
            Item::Layer(l) => f(l),
            Item::Residual(b) => for_each_layer_mut(b, f),
        }
    }
}

/// Identifiers for every layer with parameters, from its ONNX name made a
/// valid, unique, lower-case Rust identifier; returns `(onnx, ident)` for
/// every name that had to change.
pub fn name_layers(items: &mut [Item]) -> Vec<(String, String)> {
    let mut taken: HashMap<String, usize> = HashMap::new();
    let mut renamed = Vec::new();
    for_each_layer_mut(items, &mut |l: &mut Layer| {
        let Some(onnx) = l.onnx_name.clone() else {
            return;
        };
        let base = sanitize(&onnx);
        let n = taken.entry(base.clone()).or_insert(0);
        *n += 1;
        let ident = if *n == 1 { base } else { format!("{base}_{n}") };
        if ident != onnx {
            renamed.push((onnx, ident.clone()));
        }
        l.name = Some(ident);
    });
    renamed
}

/// `features.0` -> `features_0`, `Conv1` -> `conv1`, `0.weight` -> `l0`,
/// keywords get a trailing `_`; a name that would collide with the planner's
/// default names (`dense0`) gets an `onnx_` prefix.
pub fn sanitize(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if !(c == '_' && (s.is_empty() || s.ends_with('_'))) {
            s.push(c);
        }
    }
    let s = s.trim_end_matches('_').to_string();
    let s = if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("l{s}")
    } else {
        s
    };
    let default_like = staticnet_dsl::keywords().any(|k| {
        s.strip_prefix(k)
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
    });
    if default_like {
        format!("onnx_{s}")
    } else if syn_keyword(&s) {
        format!("{s}_")
    } else {
        s
    }
}

fn syn_keyword(s: &str) -> bool {
    syn::parse_str::<syn::Ident>(s).is_err() || s == "input"
}

/// The layers as the body of `network!`'s struct, one per line.
pub fn layers_source(items: &[Item], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Item::Layer(l) => {
                out.push_str(&pad);
                if let Some(name) = &l.name {
                    out.push_str(name);
                    out.push_str(": ");
                }
                out.push_str(l.kind);
                if !l.args.is_empty() {
                    out.push('(');
                    out.push_str(&l.args.join(", "));
                    out.push(')');
                }
                out.push_str(",\n");
            }
            Item::Residual(block) => {
                out.push_str(&pad);
                out.push_str("residual {\n");
                layers_source(block, indent + 4, out);
                out.push_str(&pad);
                out.push_str("},\n");
            }
        }
    }
}

/// `struct Name { input: [..], layers }` (the macro's input).
pub fn body(name: &str, input: &[usize], items: &[Item], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let dims = input
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut s = format!("{pad}pub struct {name} {{\n{pad}    input: [{dims}],\n");
    layers_source(items, indent + 4, &mut s);
    s.push_str(&pad);
    s.push_str("}\n");
    s
}

/// Plans `body` with the macro's planner.
pub fn plan(body: &str) -> Result<staticnet_dsl::Manifest, String> {
    let tokens = proc_macro2::TokenStream::from_str(body).map_err(|e| e.to_string())?;
    staticnet_dsl::manifest(tokens).map_err(|e| e.to_string())
}

/// The output shape of `items` on an input of shape `input`.
pub fn output_shape(input: &[usize], items: &[Item]) -> Result<Vec<usize>, String> {
    let m = plan(&body("Partial", input, items, 0))?;
    Ok(m.layers
        .last()
        .map_or_else(|| input.to_vec(), |l| l.output.clone()))
}

/// The state vector (parameters, then buffers) in the manifest's order.
pub fn state(m: &staticnet_dsl::Manifest, items: &[Item]) -> Result<Vec<f32>, Error> {
    type Values<'a> = (&'a Vec<usize>, &'a Vec<f32>);
    let mut by_name: HashMap<(String, &'static str), Values<'_>> = HashMap::new();
    for_each_layer(items, &mut |l| {
        if let Some(name) = &l.name {
            for (attr, shape, values) in &l.tensors {
                by_name.insert((name.clone(), *attr), (shape, values));
            }
        }
    });
    let total = m.tensors.iter().map(|t| t.len()).sum();
    let mut state = vec![0.0f32; total];
    for t in &m.tensors {
        match by_name.remove(&(t.layer.clone(), t.attr)) {
            Some((shape, values)) if *shape == t.shape => {
                state[t.offset..t.offset + t.len()].copy_from_slice(values);
            }
            Some((shape, _)) => {
                return Err(Error::Weights(format!(
                    "`{}.{}`: the model gives shape {shape:?}, the declaration plans {:?}",
                    t.layer, t.attr, t.shape
                )))
            }
            // ONNX has no batch counter: a fresh one.
            None if t.attr == "num_batches_tracked" => {}
            None => {
                return Err(Error::Weights(format!(
                    "`{}.{}` {:?}: the declaration has it, the model gave no values",
                    t.layer, t.attr, t.shape
                )))
            }
        }
    }
    if let Some(((layer, attr), _)) = by_name.into_iter().next() {
        return Err(Error::Weights(format!(
            "`{layer}.{attr}`: the model has it, the declaration does not"
        )));
    }
    Ok(state)
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// The runtime's `Arch` of a manifest. Its strings are leaked: a few
/// hundred bytes per import, once per process (a tool or build script).
pub fn arch(m: &staticnet_dsl::Manifest) -> Arch {
    Arch {
        input: leak(m.input.clone()),
        layers: leak(
            m.layers
                .iter()
                .map(|l| LayerInfo {
                    name: leak_str(&l.name),
                    kind: l.kind,
                    config: leak_str(&l.config),
                    output: leak(l.output.clone()),
                })
                .collect(),
        ),
        tensors: leak(
            m.tensors
                .iter()
                .map(|t| TensorInfo {
                    layer: leak_str(&t.layer),
                    attr: t.attr,
                    shape: leak(t.shape.clone()),
                    offset: t.offset,
                    trainable: t.trainable,
                })
                .collect(),
        ),
    }
}

/// The checked binary format and safetensors.
pub fn encode(arch: &Arch, state: &[f32]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let mut bin = vec![0u8; weights::header_len(arch) + 4 * state.len()];
    let n = weights::save_arch(arch, state, &mut bin).map_err(|e| Error::Weights(e.to_string()))?;
    bin.truncate(n);
    let st = safetensors::arch_to_bytes(arch, state).map_err(|e| Error::Weights(e.to_string()))?;
    Ok((bin, st))
}
