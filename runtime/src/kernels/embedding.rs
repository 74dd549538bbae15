//! `embedding(vocab, dim)`: PyTorch's `nn.Embedding` on token ids carried
//! as `f32` (exact below 2^24): `y[t] = weight[id_t]`, `weight [vocab][dim]`.
//! An id that is not an integer in `[0, vocab)` reads as a zero vector and
//! receives no gradient (the kernels cannot fail).

use crate::raw::param_block;

param_block! {
    /// Parameters of `embedding(V, D)`: PyTorch's `nn.Embedding`, `weight [V][D]`.
    pub struct Embedding<const V: usize, const D: usize> {
        /// `[vocab][dim]`.
        pub weight: [[f32; D]; V],
    }
}

/// The row of `id`, if valid.
fn row(id: f32, vocab: usize) -> Option<usize> {
    let valid = id >= 0.0 && id < vocab as f32 && id == (id as usize) as f32;
    valid.then_some(id as usize)
}

/// `x: [n]` ids (`n = batch * steps`), `y: [n][dim]`.
pub fn embedding_forward(x: &[f32], weight: &[f32], y: &mut [f32], vocab: usize, dim: usize) {
    debug_assert_eq!(weight.len(), vocab * dim, "embedding_forward: weight");
    debug_assert_eq!(y.len(), x.len() * dim, "embedding_forward: y");
    for (&id, out) in x.iter().zip(y.chunks_exact_mut(dim)) {
        match row(id, vocab) {
            Some(r) => out.copy_from_slice(&weight[r * dim..(r + 1) * dim]),
            None => out.fill(0.0),
        }
    }
}

/// Overwrites `gw` with the sum of `gy` rows per id.
pub fn embedding_backward(x: &[f32], gy: &[f32], gw: &mut [f32], vocab: usize, dim: usize) {
    debug_assert_eq!(gy.len(), x.len() * dim, "embedding_backward: gy");
    gw.fill(0.0);
    for (&id, g) in x.iter().zip(gy.chunks_exact(dim)) {
        if let Some(r) = row(id, vocab) {
            for (w, &v) in gw[r * dim..(r + 1) * dim].iter_mut().zip(g) {
                *w += v;
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
    fn rows_and_summed_gradients() {
        for (vocab, dim) in [(1, 1), (3, 5), (65, 3)] {
            let weight = random_vec(1, vocab * dim);
            // Every id, repeats, and three invalid ones (out of range, negative, fractional).
            let mut x: Vec<f32> = (0..vocab)
                .chain(0..vocab.min(2))
                .map(|i| i as f32)
                .collect();
            x.extend([vocab as f32, -1.0, 0.5]);
            let mut y = vec![f32::NAN; x.len() * dim];
            embedding_forward(&x, &weight, &mut y, vocab, dim);
            let reference = |w: &[f64]| -> Vec<f64> {
                x.iter()
                    .flat_map(|&id| {
                        let valid = id >= 0.0 && (id as usize) < vocab && id.fract() == 0.0;
                        (0..dim).map(move |k| (valid, id as usize * dim + k))
                    })
                    .map(|(valid, at)| if valid { w[at] } else { 0.0 })
                    .collect()
            };
            assert_close("embedding", &y, &reference(&to_f64(&weight)), 0.0, 0.0);
            let gy = random_vec(2, y.len());
            let mut gw = vec![f32::NAN; weight.len()];
            embedding_backward(&x, &gy, &mut gw, vocab, dim);
            assert_close(
                "embedding backward",
                &gw,
                &fd_vjp(reference, &weight, &gy),
                1e-4,
                1e-5,
            );
        }
    }
}
