//! `relu`: elementwise, any shape; kernels in `runtime/src/kernels/relu.rs`.

use super::elementwise::{BackwardReads, Elementwise};
use crate::args::Args;
use crate::ast::LayerDef;
use crate::layers::Layer;

pub fn build(def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
    Args::check("relu", def, &[], &[])?;
    Ok(Elementwise::boxed("relu", BackwardReads::Output, true))
}
