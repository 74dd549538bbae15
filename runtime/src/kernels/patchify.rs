//! `patchify(p)`: `[C, H, W]` to `[(H/p)(W/p), C p p]`, non-overlapping
//! `p x p` patches in row-major order, each flattened channel by channel
//! (as `x.unfold(..).permute(..)` or `nn.Unfold` transposed): a pure
//! permutation, so backward is the inverse permutation.

/// Index in `[C, H, W]` of element `k` of patch `n` (`g` patches per row).
#[inline]
fn source(n: usize, k: usize, p: usize, g: usize, h: usize, w: usize) -> usize {
    let (pr, pc) = (n / g, n % g);
    let (c, rem) = (k / (p * p), k % (p * p));
    let (r, col) = (rem / p, rem % p);
    (c * h + pr * p + r) * w + pc * p + col
}

/// `x: [B][C][H][W]`, `y: [B][(H/p)(W/p)][C p p]`.
pub fn patchify_forward(
    x: &[f32],
    y: &mut [f32],
    batch: usize,
    c: usize,
    h: usize,
    w: usize,
    p: usize,
) {
    let (g, per) = (w / p, c * h * w);
    let (n_patches, len) = ((h / p) * g, c * p * p);
    for b in 0..batch {
        let (xs, ys) = (&x[b * per..][..per], &mut y[b * per..][..per]);
        for n in 0..n_patches {
            for k in 0..len {
                ys[n * len + k] = xs[source(n, k, p, g, h, w)];
            }
        }
    }
}

/// The inverse permutation of [`patchify_forward`].
pub fn patchify_backward(
    gy: &[f32],
    gx: &mut [f32],
    batch: usize,
    c: usize,
    h: usize,
    w: usize,
    p: usize,
) {
    let (g, per) = (w / p, c * h * w);
    let (n_patches, len) = ((h / p) * g, c * p * p);
    for b in 0..batch {
        let (gys, gxs) = (&gy[b * per..][..per], &mut gx[b * per..][..per]);
        for n in 0..n_patches {
            for k in 0..len {
                gxs[source(n, k, p, g, h, w)] = gys[n * len + k];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::random_vec;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn patchify_is_the_documented_permutation() {
        // One channel 4x4, patches 2x2: patch 1 is the top-right block.
        let x: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let mut y = vec![0.0; 16];
        patchify_forward(&x, &mut y, 1, 1, 4, 4, 2);
        assert_eq!(&y[4..8], &[2.0, 3.0, 6.0, 7.0]);
        let mut back = vec![0.0; 16];
        patchify_backward(&y, &mut back, 1, 1, 4, 4, 2);
        assert_eq!(back, x);
        // Two channels, 3x6, patches 3x3, batch 2: round trip.
        let x = random_vec(1, 2 * 2 * 3 * 6);
        let (mut y, mut back) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        patchify_forward(&x, &mut y, 2, 2, 3, 6, 3);
        patchify_backward(&y, &mut back, 2, 2, 3, 6, 3);
        assert_eq!(back, x);
    }
}
