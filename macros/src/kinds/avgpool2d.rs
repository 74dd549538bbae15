//! `avgpool2d(k, stride = k)`: PyTorch's `nn.AvgPool2d` without padding on
//! `[C, H, W]`. Kernels in `runtime/src/kernels/avgpool2d.rs`.

use crate::ast::LayerDef;
use crate::layers::Layer;

pub fn build(def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
    super::pool::build("avgpool2d", def, false)
}
