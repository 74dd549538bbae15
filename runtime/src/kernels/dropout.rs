//! `dropout(p)`: elementwise, any shape, `y` has the shape of `x`. In training
//! each element is zeroed with probability `p` and the survivors are scaled by
//! `1 / (1 - p)` (inverted dropout, as PyTorch's `nn.Dropout`), so inference
//! is the identity. The mask is kept for the backward pass.

use crate::Rng;

/// Training mode: `mask[i] = 0` with probability `p`, else `1 / (1 - p)`;
/// `y = x * mask`. `p` in `[0, 1)`; one [`Rng::uniform`] draw per element,
/// in order, element `i` dropped when its draw is `< p`.
pub fn dropout_forward(x: &[f32], y: &mut [f32], mask: &mut [f32], p: f32, rng: &mut Rng) {
    debug_assert_eq!(x.len(), y.len());
    debug_assert_eq!(x.len(), mask.len());
    debug_assert!((0.0..1.0).contains(&p), "dropout: p = {p} is not in [0, 1)");
    let scale = 1.0 / (1.0 - p);
    for ((y, m), &x) in y.iter_mut().zip(mask.iter_mut()).zip(x) {
        *m = if rng.uniform() < p { 0.0 } else { scale };
        *y = x * *m;
    }
}

/// Inference mode: `y = x`.
pub fn dropout_infer(x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    y.copy_from_slice(x);
}

/// `gx = gy * mask`, with the mask of the training-mode forward pass.
pub fn dropout_backward(mask: &[f32], gy: &[f32], gx: &mut [f32]) {
    debug_assert_eq!(mask.len(), gy.len());
    debug_assert_eq!(mask.len(), gx.len());
    for ((gx, &gy), &m) in gx.iter_mut().zip(gy).zip(mask) {
        *gx = gy * m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::random_vec;

    #[test]
    fn drops_at_rate_p_and_scales_survivors_exactly() {
        const N: usize = 10_000;
        let x = random_vec(1, N);
        let (mut y, mut mask) = (std::vec![f32::NAN; N], std::vec![f32::NAN; N]);
        for p in [0.1f32, 0.3, 0.5] {
            dropout_forward(&x, &mut y, &mut mask, p, &mut Rng::new(2));
            let scale = 1.0 / (1.0 - p);
            assert!(mask.iter().all(|&m| m == 0.0 || m == scale));
            let dropped = mask.iter().filter(|&&m| m == 0.0).count() as f32 / N as f32;
            // Standard error sqrt(p (1 - p) / N) <= 0.005.
            assert!((dropped - p).abs() < 0.02, "p {p}: dropped {dropped}");
            assert!(y.iter().zip(&x).zip(&mask).all(|((&y, &x), &m)| y == x * m));
        }
    }

    #[test]
    fn p_zero_is_identity_and_same_seed_same_mask() {
        let x = random_vec(3, 65);
        let (mut y, mut mask) = ([0.0; 65], [0.0; 65]);
        dropout_forward(&x, &mut y, &mut mask, 0.0, &mut Rng::new(4));
        assert_eq!(&y[..], &x[..]);
        let mut mask2 = [0.0; 65];
        dropout_forward(&x, &mut y, &mut mask, 0.5, &mut Rng::new(4));
        dropout_forward(&x, &mut y, &mut mask2, 0.5, &mut Rng::new(4));
        assert_eq!(mask, mask2);
    }

    #[test]
    fn backward_applies_the_mask_and_infer_copies() {
        let (mask, gy, mut gx) = ([0.0, 2.0, 2.0], [1.0, 2.0, 3.0], [9.0; 3]);
        dropout_backward(&mask, &gy, &mut gx);
        assert_eq!(gx, [0.0, 4.0, 6.0]);
        let mut y = [0.0; 3];
        dropout_infer(&gy, &mut y);
        assert_eq!(y, gy);
    }
}
