//! The `network!` DSL as a library: parse (`parse.rs`) -> plan (`plan.rs`:
//! each layer built from the registry in `kinds/`, shapes chained,
//! `validate.rs`) -> generate (`codegen/`), run by `expand.rs`.
//!
//! `staticnet-macros` is a thin procedural-macro wrapper around
//! [`network`]; the ONNX importer (`staticnet-import`) checks the
//! declarations it writes with [`manifest`] and lays its weights out by it.
//! Like `serde_derive_internals`, this crate is an implementation detail of
//! staticnet: its API follows the macro, not semver promises of its own.
#![forbid(unsafe_code)]

mod args;
mod ast;
mod codegen;
mod expand;
mod facade;
mod kinds;
mod layers;
mod manifest;
mod parse;
mod plan;
mod shape;
mod validate;

pub use expand::network;
pub use manifest::{manifest, LayerInfo, Manifest, TensorInfo};

/// Every layer keyword the DSL knows, internal ones included.
pub fn keywords() -> impl Iterator<Item = &'static str> {
    kinds::KINDS.iter().map(|k| k.name())
}
