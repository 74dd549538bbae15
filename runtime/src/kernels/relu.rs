//! `relu`: `y = max(x, 0)`, elementwise; any shape, `y` has the shape of `x`.

/// `max(x, 0)` of one value (NaN maps to 0): the one definition every
/// ReLU uses, so that a ReLU fused into the layer before it
/// ([`conv2d_forward_relu`](super::conv2d::conv2d_forward_relu),
/// [`dense_forward_relu`](super::dense::dense_forward_relu)) gives the bits
/// of the layer followed by [`relu_forward`].
#[inline(always)]
pub fn relu(x: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

/// `y = max(x, 0)` (PyTorch's `nn.ReLU`; NaN maps to 0).
#[inline]
pub fn relu_forward(x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        *y = relu(x);
    }
}

/// [`relu_forward`] over `y` in place, through [`in_place`](super::in_place)'s
/// chunks: the code of an unfused `relu` layer (a plain loop over `y`
/// compiled to more instructions on some Cortex-M4 networks and fewer on
/// others; see `docs/embedded.md`).
#[inline]
pub fn relu_in_place(y: &mut [f32]) {
    super::in_place(y, relu_forward);
}

/// `gx = gy` where the forward *output* `y > 0`, else 0 (the subgradient at 0
/// is 0, as in PyTorch). Using `y` lets the caller drop the input.
pub fn relu_backward(y: &[f32], gy: &[f32], gx: &mut [f32]) {
    debug_assert_eq!(y.len(), gy.len());
    debug_assert_eq!(y.len(), gx.len());
    for ((gx, &gy), &y) in gx.iter_mut().zip(gy).zip(y) {
        *gx = if y > 0.0 { gy } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check_elementwise;

    #[test]
    fn matches_reference_and_finite_differences() {
        // Inputs within 1e-3 of the kink at 0 are moved off it.
        check_elementwise(
            "relu",
            4.0,
            &[0.0],
            |x| x.max(0.0),
            relu_forward,
            |_, y, gy, gx| relu_backward(y, gy, gx),
        );
    }

    #[test]
    fn zero_and_negative_inputs_have_zero_gradient() {
        let (x, mut y, mut gx) = ([-1.0, 0.0, 2.0], [9.0; 3], [9.0; 3]);
        relu_forward(&x, &mut y);
        relu_backward(&y, &[1.0; 3], &mut gx);
        assert_eq!((y, gx), ([0.0, 0.0, 2.0], [0.0, 0.0, 1.0]));
    }
}
