//! `lstm(hidden, sequence = true)`: PyTorch's `nn.LSTM` (gates i, f, g, o).
//! Shared code in `recurrent.rs`; the cell in `runtime/src/kernels/lstm.rs`.

use super::recurrent::Recurrent;
use crate::args::Args;
use crate::ast::LayerDef;
use crate::layers::Layer;
use quote::quote;

pub fn build(def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
    let args = Args::check("lstm", def, &["hidden"], &["sequence"])?;
    Ok(Box::new(Recurrent {
        cell: quote!(lstm::Lstm),
        gates: 4,
        state: 1,
        save: 4,
        hidden: args.positive(0, "hidden")?,
        sequence: args.flag("sequence", true)?,
        config: String::new(),
    }))
}
