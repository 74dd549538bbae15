//! `maxpool2d(k, stride = k)`: PyTorch's `nn.MaxPool2d` without padding on
//! `[C, H, W]`; `k` and `stride` take `n` or `(h, w)`. Kernels in
//! `runtime/src/kernels/maxpool2d.rs`.

use crate::ast::LayerDef;
use crate::layers::Layer;

pub fn build(def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
    super::pool::build("maxpool2d", def, true)
}
