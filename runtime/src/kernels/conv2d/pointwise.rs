//! 1x1 convolutions with stride 1 and no padding
//! ([`Conv2dGeom::is_pointwise`]): the input is its own im2col matrix, so
//! each pass is one matrix product.

use super::{dims, Conv2dGeom};
use crate::kernels::gemm::{gemm_nn_with, gemm_nt_with, gemm_tn_with, Store};
use crate::kernels::isa::Isa;

/// One sample and group of [`forward_with`](super::forward_with): `y (+)= W
/// x` (`store`: `Accumulate` onto the bias already in `y`).
pub(super) fn forward(isa: Isa, x: &[f32], w: &[f32], y: &mut [f32], store: Store, g: &Conv2dGeom) {
    let (_, ocg, k, p, _) = dims(g);
    gemm_nn_with(isa, w, x, y, ocg, p, k, store);
}

/// One sample and group of [`backward_with`](super::backward_with): `gw
/// (+)= gy xᵀ` (`store`), and `gx = Wᵀ gy` when asked.
pub(super) fn backward(
    isa: Isa,
    x: &[f32],
    w: &[f32],
    gy: &[f32],
    gw: &mut [f32],
    gx: Option<&mut [f32]>,
    store: Store,
    g: &Conv2dGeom,
) {
    let (_, ocg, k, p, _) = dims(g);
    gemm_nt_with(isa, gy, x, gw, ocg, k, p, store);
    if let Some(gx) = gx {
        gemm_tn_with(isa, w, gy, gx, k, p, ocg, Store::Overwrite);
    }
}
