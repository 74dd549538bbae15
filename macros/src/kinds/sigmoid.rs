//! `sigmoid`: elementwise, any shape; kernels in `runtime/src/kernels/sigmoid.rs`.

use super::elementwise::{BackwardReads, Elementwise};
use crate::args::Args;
use crate::ast::LayerDef;
use crate::layers::Layer;

pub fn build(def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
    Args::check("sigmoid", def, &[], &[])?;
    Ok(Elementwise::boxed("sigmoid", BackwardReads::Output, false))
}
