//! `tanh`: elementwise, any shape; kernels in `runtime/src/kernels/tanh.rs`.

use super::elementwise::{BackwardReads, Elementwise};
use super::Spec;
use crate::args::Args;
use crate::layers::Layer;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(&[], &[], build);

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    Ok(Elementwise::boxed(args.kind(), BackwardReads::Output, false))
}
