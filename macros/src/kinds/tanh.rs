//! `tanh`: elementwise, any shape; kernels in `runtime/src/kernels/tanh.rs`.

use super::elementwise::{BackwardReads, Elementwise};
use crate::args::Args;
use crate::ast::LayerDef;
use crate::layers::Layer;

pub fn build(def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
    Args::check("tanh", def, &[], &[])?;
    Ok(Elementwise::boxed("tanh", BackwardReads::Output, false))
}
