//! `gru(hidden, sequence = true)`: PyTorch's `nn.GRU` (gates r, z, n).
//! Shared code in `recurrent.rs`; the cell in `runtime/src/kernels/gru.rs`.

use super::recurrent::Recurrent;
use crate::args::Args;
use crate::ast::LayerDef;
use crate::layers::Layer;
use quote::quote;

pub fn build(def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
    let args = Args::check("gru", def, &["hidden"], &["sequence"])?;
    Ok(Box::new(Recurrent {
        cell: quote!(gru::Gru),
        gates: 3,
        state: 0,
        save: 4,
        hidden: args.positive(0, "hidden")?,
        sequence: args.flag("sequence", true)?,
        config: String::new(),
    }))
}
