//! `pos_embedding`: adds a learned `[T, E]` table (`weight`) to every sample.

/// Parameters of `pos_embedding` on `[T, E]`: a learned table `weight [T][E]`,
/// laid out as an embedding's.
pub type PosEmbedding<const T: usize, const E: usize> = super::embedding::Embedding<T, E>;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn matches_the_f64_sum_and_finite_differences() {
        for (batch, steps, e) in [(1, 1, 1), (2, 3, 5), (3, 7, 2)] {
            let x = random_vec(2, batch * steps * e);
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
            assert_close("pos_embedding", &y, &reference(&to_f64(&table)), 1e-6, 1e-6);
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
