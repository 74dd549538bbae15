//! ONNX models to staticnet: a `network!` declaration, checked by the
//! macro's own planner, plus its weights in the checked binary format and
//! in safetensors.
//!
//! Two ways to use it: the `staticnet-import` command line tool writes the
//! files for you to read and commit, and [`generate`], called from a build
//! script as `prost-build` is, writes them into `OUT_DIR` for `include!`.
//!
//! ```no_run
//! // build.rs
//! let out = std::env::var("OUT_DIR").unwrap();
//! staticnet_import::generate("model.onnx", &out).unwrap();
//! println!("cargo::rerun-if-changed=model.onnx");
//! // src/main.rs: include!(concat!(env!("OUT_DIR"), "/model.rs"));
//! ```
//!
//! The other way, [`export::export`] writes a staticnet network as ONNX.
//!
//! Supported: a chain of layers from one input to one output, where a value
//! read by a block and by an `Add` after it is a `residual { }` block. The
//! operators and attributes are listed in `docs/onnx.md`; anything else is an
//! [`Error`] naming the node, its operator and what is not supported.

#![warn(missing_docs)]

mod elementwise;
mod emit;
pub mod export;
mod graph;
mod lower;
#[allow(clippy::all, missing_docs, rust_2018_idioms)]
#[rustfmt::skip]
mod onnx;
mod ops;
mod recurrent;

use prost::Message;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a model could not be imported.
#[derive(Debug)]
pub enum Error {
    /// Reading the model or writing an output failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Not an ONNX protobuf.
    Decode(prost::DecodeError),
    /// A node staticnet cannot express.
    Node {
        /// The node's name.
        node: String,
        /// Its operator.
        op: String,
        /// What is not supported.
        what: String,
    },
    /// The graph's structure or a tensor in it (not a chain, several inputs,
    /// a dynamic dimension, an external or non-float tensor, ...).
    Graph(String),
    /// staticnet's planner rejected the layer made from a node (a shape it
    /// does not accept).
    Declaration {
        /// The node (``node `fc` (Gemm)``), or the whole declaration.
        origin: String,
        /// The planner's error, as the macro would give it.
        message: String,
    },
    /// The weights do not fit the planned declaration.
    Weights(String),
    /// A bad option (`name` not an identifier).
    Options(String),
    /// A layer [`export`] cannot write as ONNX.
    Export {
        /// The layer's name.
        layer: String,
        /// Its kind.
        kind: String,
        /// Why.
        what: String,
    },
}

impl Error {
    pub(crate) fn node(node: &str, op: &str, what: impl Into<String>) -> Self {
        Error::Node {
            node: node.to_string(),
            op: op.to_string(),
            what: what.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Decode(e) => write!(f, "not an ONNX model: {e}"),
            Error::Node { node, op, what } => write!(f, "node `{node}` ({op}): {what}"),
            Error::Graph(what) => write!(f, "{what}"),
            Error::Declaration { origin, message } => {
                write!(
                    f,
                    "{origin}: staticnet rejects the layer made from it: {message}"
                )
            }
            Error::Weights(what) => write!(f, "weights: {what}"),
            Error::Options(what) => write!(f, "{what}"),
            Error::Export { layer, kind, what } => write!(f, "layer `{layer}` ({kind}): {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Decode(e) => Some(e),
            _ => None,
        }
    }
}

/// How to import.
#[derive(Clone, Debug)]
pub struct Options {
    /// The struct's name; `None` takes the file name in UpperCamelCase.
    pub name: Option<String>,
    /// The facade's path in the generated code (`staticnet`; a renamed
    /// dependency or a re-export otherwise).
    pub krate: String,
    /// How the generated `static` finds the weights file: relative to the
    /// generated source (the command line tool), or in `OUT_DIR` (build
    /// scripts).
    pub weights_path: WeightsPath,
}

/// See [`Options::weights_path`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightsPath {
    /// `"<model>.bin"`, next to the generated source.
    Relative,
    /// `concat!(env!("OUT_DIR"), "/<model>.bin")`, for build scripts.
    OutDir,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            name: None,
            krate: "staticnet".into(),
            weights_path: WeightsPath::Relative,
        }
    }
}

/// An imported model.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The struct's name.
    pub name: String,
    /// The generated Rust source: the `network!` declaration and a `static`
    /// of the network in place over the included weights.
    pub source: String,
    /// The checked binary format (`staticnet::weights`, `include_weights!`).
    pub weights: Vec<u8>,
    /// The same tensors as safetensors, named `<layer>.<attr>`.
    pub safetensors: Vec<u8>,
    /// ONNX names that are not Rust identifiers, and what they became.
    pub renamed: Vec<(String, String)>,
    /// The planned manifest (layers, shapes, tensors).
    pub manifest: staticnet_dsl::Manifest,
    /// Parameters then buffers, at the manifest's offsets.
    pub state: Vec<f32>,
}

impl Imported {
    /// The runtime's [`Arch`](staticnet::weights::Arch) of the manifest, for
    /// [`export::export_arch`] and the weights functions. Its strings are
    /// leaked (a few hundred bytes).
    pub fn arch(&self) -> staticnet::weights::Arch {
        emit::arch(&self.manifest)
    }
}

/// Imports an ONNX model from its bytes. `file` names the weights files the
/// generated source includes (`<file>.bin`).
pub fn import_bytes(bytes: &[u8], file: &str, opts: &Options) -> Result<Imported, Error> {
    let model = onnx::ModelProto::decode(bytes).map_err(Error::Decode)?;
    let g = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::Graph("the model has no graph".into()))?;
    let graph = graph::Graph::new(g)?;
    let mut items = lower::lower(&graph)?;
    let renamed = emit::name_layers(&mut items);
    let name = match &opts.name {
        Some(n) => n.clone(),
        None => camel(file),
    };
    if syn::parse_str::<syn::Ident>(&name).is_err() {
        return Err(Error::Options(format!(
            "`{name}` is not a Rust identifier for the struct"
        )));
    }
    let body = emit::body(&name, &graph.input.1, &items, 4);
    let manifest = emit::plan(&body).map_err(|message| Error::Declaration {
        origin: "the whole declaration".into(),
        message,
    })?;
    let state = emit::state(&manifest, &items)?;
    let arch = emit::arch(&manifest);
    let (weights, safetensors) = emit::encode(&arch, &state)?;
    let source = source(&model, file, &name, &body, &renamed, opts);
    Ok(Imported {
        name,
        source,
        weights,
        safetensors,
        renamed,
        manifest,
        state,
    })
}

/// [`import_bytes`] of a file.
pub fn import_file(path: impl AsRef<Path>, opts: &Options) -> Result<Imported, Error> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    import_bytes(&bytes, &stem(path), opts)
}

/// The files [`generate`] and the command line tool write.
#[derive(Clone, Debug)]
pub struct Written {
    /// `<model>.rs`.
    pub source: PathBuf,
    /// `<model>.bin`.
    pub weights: PathBuf,
    /// `<model>.safetensors`.
    pub safetensors: PathBuf,
    /// What was written.
    pub imported: Imported,
}

/// For build scripts: imports `model` and writes `<stem>.rs`, `<stem>.bin`
/// and `<stem>.safetensors` into `out_dir`; `include!` the `.rs`. The struct
/// is named after the file; [`write()`] with [`Options`] chooses another name.
pub fn generate(model: impl AsRef<Path>, out_dir: impl AsRef<Path>) -> Result<Written, Error> {
    let opts = Options {
        weights_path: WeightsPath::OutDir,
        ..Options::default()
    };
    write(model, out_dir, &opts)
}

/// Imports `model` with `opts` and writes the three files into `out_dir`
/// (each atomically: an interrupted run leaves the previous file).
pub fn write(
    model: impl AsRef<Path>,
    out_dir: impl AsRef<Path>,
    opts: &Options,
) -> Result<Written, Error> {
    let (model, out_dir) = (model.as_ref(), out_dir.as_ref());
    let imported = import_file(model, opts)?;
    let s = stem(model);
    let io = |path: PathBuf, bytes: &[u8]| -> Result<PathBuf, Error> {
        staticnet::weights::write_atomic(&path, bytes).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    };
    std::fs::create_dir_all(out_dir).map_err(|source| Error::Io {
        path: out_dir.into(),
        source,
    })?;
    Ok(Written {
        source: io(out_dir.join(format!("{s}.rs")), imported.source.as_bytes())?,
        weights: io(out_dir.join(format!("{s}.bin")), &imported.weights)?,
        safetensors: io(
            out_dir.join(format!("{s}.safetensors")),
            &imported.safetensors,
        )?,
        imported,
    })
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned())
}

/// `lenet_5` -> `Lenet5`.
fn camel(file: &str) -> String {
    let mut s = String::new();
    for part in file.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            s.push(first.to_ascii_uppercase());
            s.extend(chars);
        }
    }
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'M');
    }
    s
}

fn source(
    model: &onnx::ModelProto,
    file: &str,
    name: &str,
    body: &str,
    renamed: &[(String, String)],
    opts: &Options,
) -> String {
    let opset = model
        .opset_import
        .iter()
        .find(|o| o.domain.as_deref().unwrap_or("").is_empty())
        .and_then(|o| o.version)
        .map_or_else(|| "?".into(), |v| v.to_string());
    let producer = format!(
        "{} {}",
        model.producer_name.as_deref().unwrap_or("unknown"),
        model.producer_version.as_deref().unwrap_or("")
    );
    let mut s = format!(
        "// @generated by staticnet-import {} from `{file}.onnx` (opset {opset}, {}).\n",
        env!("CARGO_PKG_VERSION"),
        producer.trim()
    );
    if !renamed.is_empty() {
        s.push_str("// ONNX names that are not Rust identifiers:");
        for (from, to) in renamed {
            s.push_str(&format!(" `{from}` -> `{to}`;"));
        }
        s.pop();
        s.push_str(".\n");
    }
    let k = &opts.krate;
    s.push_str(&format!(
        "{k}::network! {{\n    /// Imported from `{file}.onnx`.\n"
    ));
    s.push_str(body);
    s.push_str("}\n\n");
    let path = match opts.weights_path {
        WeightsPath::Relative => format!("\"{file}.bin\""),
        WeightsPath::OutDir => format!("concat!(env!(\"OUT_DIR\"), \"/{file}.bin\")"),
    };
    let upper: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    let upper = if upper.starts_with(|c: char| c.is_ascii_digit()) {
        format!("M{upper}")
    } else {
        upper
    };
    s.push_str(&format!(
        "/// The imported weights, in place (in flash on a microcontroller).\npub static {upper}: &{name} = {k}::include_weights!({name}, {path});\n"
    ));
    s
}

#[cfg(test)]
mod tests;
