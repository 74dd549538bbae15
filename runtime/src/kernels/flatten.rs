//! `flatten`: `[C, H, W] -> [C*H*W]`. Row-major storage is already flat, so
//! both directions are copies.

/// `y = x` (the layout is unchanged; only the type's rank is).
pub fn flatten_forward(x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    y.copy_from_slice(x);
}

/// `gx = gy`.
pub fn flatten_backward(gy: &[f32], gx: &mut [f32]) {
    debug_assert_eq!(gy.len(), gx.len());
    gx.copy_from_slice(gy);
}
