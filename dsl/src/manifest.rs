//! The weights manifest as data: the input shape, every layer (name, kind,
//! config, output shape) and every tensor in memory order (every parameter
//! block, then every buffer block). `codegen/arch.rs` emits it as
//! `Network::ARCH`; the ONNX importer reads it through [`manifest`] to check
//! the declaration it wrote and to lay the weights out.

use crate::ast::NetDef;
use crate::plan::{self, Planned};
use proc_macro2::TokenStream;
use quote::quote;

/// A planned network's architecture, as `Network::ARCH` will have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Shape of one input sample.
    pub input: Vec<usize>,
    /// Every layer, in declaration order (a residual block's halves too).
    pub layers: Vec<LayerInfo>,
    /// Every tensor, parameters then buffers, at its offset in `f32`s.
    pub tensors: Vec<TensorInfo>,
}

/// One layer of a [`Manifest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    pub name: String,
    pub kind: &'static str,
    pub config: String,
    pub output: Vec<usize>,
}

/// One tensor of a [`Manifest`]: `<layer>.<attr>`, PyTorch's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    pub layer: String,
    pub attr: &'static str,
    pub shape: Vec<usize>,
    pub offset: usize,
    pub trainable: bool,
}

impl TensorInfo {
    /// Number of `f32`s (1 for a scalar).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Never true for a planned tensor; here for clippy's `len` rule.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Parses and plans a `network!` body (what the macro receives), with every
/// check the macro makes, and returns its manifest.
pub fn manifest(tokens: TokenStream) -> syn::Result<Manifest> {
    let def: NetDef = syn::parse2(tokens)?;
    let layers = plan::plan(&def, &quote!(::staticnet::__private::rt))?;
    Ok(of(&layers))
}

/// The manifest of planned layers.
pub fn of(layers: &[Planned<'_>]) -> Manifest {
    let input = layers
        .first()
        .map(|l| l.input.0.clone())
        .unwrap_or_default();
    let infos = layers
        .iter()
        .map(|l| LayerInfo {
            name: l.name.to_string(),
            kind: l.kind,
            config: l.plan.config.clone(),
            output: l.plan.output.0.clone(),
        })
        .collect();
    let mut tensors = Vec::new();
    let mut offset = 0usize;
    for trainable in [true, false] {
        for l in layers {
            let block = if trainable {
                &l.plan.params
            } else {
                &l.plan.stats
            };
            for t in block.iter().flat_map(|b| &b.tensors) {
                tensors.push(TensorInfo {
                    layer: l.name.to_string(),
                    attr: t.name,
                    shape: t.shape.clone(),
                    offset,
                    trainable,
                });
                offset += t.shape.iter().product::<usize>();
            }
        }
    }
    Manifest {
        input,
        layers: infos,
        tensors,
    }
}
