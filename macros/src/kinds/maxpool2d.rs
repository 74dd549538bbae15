//! `maxpool2d(k, stride = k)`: PyTorch's `nn.MaxPool2d` without padding on
//! `[C, H, W]`; `k` and `stride` take `n` or `(h, w)`. Kernels in
//! `runtime/src/kernels/maxpool2d.rs`.

use super::{pool, Spec};
use crate::args::Args;
use crate::layers::Layer;

/// The arguments: positional (all required), then named.
pub const SPEC: Spec = Spec::new(pool::ARGS.0, pool::ARGS.1, build);

fn build(args: &Args<'_>) -> syn::Result<Box<dyn Layer>> {
    pool::build(args, true)
}
