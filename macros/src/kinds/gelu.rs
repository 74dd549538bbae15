//! `gelu`: elementwise, any shape; kernels in `runtime/src/kernels/gelu.rs`.

use super::elementwise::{BackwardReads, Elementwise};
use crate::args::Args;
use crate::ast::LayerDef;
use crate::layers::Layer;

pub fn build(def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
    Args::check("gelu", def, &[], &[])?;
    Ok(Elementwise::boxed("gelu", BackwardReads::Input, true))
}
