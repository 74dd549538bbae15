//! Sequence reshaping layers:
//! - `patchify(p)`: `[C, H, W]` to `[(H/p)(W/p), C p p]`, non-overlapping
//!   `p x p` patches in row-major order, each flattened channel by channel
//!   (as `x.unfold(..).permute(..)` or `nn.Unfold` transposed): a pure
//!   permutation, so backward is the inverse permutation.
//! - `pos_embedding`: adds a learned `[T, E]` table (`weight`) to every sample.
//! - `mean_pool`: `[T, E]` to `[E]`, the mean over steps.

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

/// `y = x + table` for each of `batch` samples of `table.len()` values.
pub fn pos_embedding_forward(x: &[f32], table: &[f32], y: &mut [f32]) {
    for (xs, ys) in x
        .chunks_exact(table.len())
        .zip(y.chunks_exact_mut(table.len()))
    {
        for ((o, &a), &t) in ys.iter_mut().zip(xs).zip(table) {
            *o = a + t;
        }
    }
}

/// Overwrites `gtable` with the sum of `gy` over samples; `gx = gy`.
pub fn pos_embedding_backward(gy: &[f32], gtable: &mut [f32], gx: Option<&mut [f32]>) {
    gtable.fill(0.0);
    for gs in gy.chunks_exact(gtable.len()) {
        for (a, &g) in gtable.iter_mut().zip(gs) {
            *a += g;
        }
    }
    if let Some(gx) = gx {
        gx.copy_from_slice(gy);
    }
}

/// `x: [B][T][E]` to `y: [B][E]`, the mean over `T`.
pub fn mean_pool_forward(x: &[f32], y: &mut [f32], batch: usize, steps: usize, e: usize) {
    for b in 0..batch {
        let out = &mut y[b * e..][..e];
        out.fill(0.0);
        for row in x[b * steps * e..][..steps * e].chunks_exact(e) {
            for (o, &v) in out.iter_mut().zip(row) {
                *o += v;
            }
        }
        for o in out {
            *o /= steps as f32;
        }
    }
}

/// `gx[b][t] = gy[b] / T`.
pub fn mean_pool_backward(gy: &[f32], gx: &mut [f32], batch: usize, steps: usize, e: usize) {
    for b in 0..batch {
        for row in gx[b * steps * e..][..steps * e].chunks_exact_mut(e) {
            for (o, &g) in row.iter_mut().zip(&gy[b * e..][..e]) {
                *o = g / steps as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
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

    #[test]
    fn pooling_and_positions_match_finite_differences() {
        for (batch, steps, e) in [(1, 1, 1), (2, 3, 5), (3, 7, 2)] {
            let x = random_vec(2, batch * steps * e);
            let mut y = vec![f32::NAN; batch * e];
            mean_pool_forward(&x, &mut y, batch, steps, e);
            let reference = |xs: &[f64]| -> Vec<f64> {
                (0..batch * e)
                    .map(|i| {
                        (0..steps)
                            .map(|t| xs[(i / e * steps + t) * e + i % e])
                            .sum::<f64>()
                            / steps as f64
                    })
                    .collect()
            };
            assert_close("mean_pool", &y, &reference(&to_f64(&x)), 1e-5, 1e-6);
            let gy = random_vec(3, y.len());
            let mut gx = vec![f32::NAN; x.len()];
            mean_pool_backward(&gy, &mut gx, batch, steps, e);
            assert_close(
                "mean_pool backward",
                &gx,
                &fd_vjp(reference, &x, &gy),
                1e-4,
                1e-5,
            );

            let table = random_vec(4, steps * e);
            let mut y = vec![f32::NAN; x.len()];
            pos_embedding_forward(&x, &table, &mut y);
            let gy = random_vec(5, y.len());
            let (mut gt, mut gx) = (vec![f32::NAN; table.len()], vec![f32::NAN; x.len()]);
            pos_embedding_backward(&gy, &mut gt, Some(&mut gx));
            let reference = |t: &[f64]| -> Vec<f64> {
                x.iter()
                    .enumerate()
                    .map(|(i, &v)| f64::from(v) + t[i % t.len()])
                    .collect()
            };
            assert_close(
                "pos_embedding backward",
                &gt,
                &fd_vjp(reference, &table, &gy),
                1e-4,
                1e-5,
            );
            assert_eq!(gx, gy);
        }
    }
}
