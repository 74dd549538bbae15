//! Quantisation-aware training: the float network trained through the
//! values its int8 form can represent. Forward fake-quantises the weights
//! (per output channel, symmetric, `bits` wide) and the activations the
//! int8 network stores (with the ranges of a post-training quantisation,
//! frozen); backward is the straight-through estimator, the identity, so
//! the generated backward pass is unchanged and the optimizer steps the
//! float weights (`Trainer::qat` keeps them).
//!
//! A network declared with `#[staticnet(quantize)]` implements [`Qat`]: its
//! training cache holds the activations' [`Ranges`] (off until set), and
//! `fake_quantize_weights` rounds its weights in place.

use crate::Network;

crate::raw::param_block! {
    /// The activation ranges of QAT for a network of `T` tensors (the input,
    /// then each layer's output): the int8 network's scales, zero points
    /// and clamps. Applied by the batch forward pass to every tensor the
    /// int8 network stores while `on` is not 0.
    pub struct Ranges<const T: usize> {
        /// 1 to fake-quantise, 0 (the zeroed cache) not to.
        pub on: i32,
        /// Scale of each tensor.
        pub scale: [f32; T],
        /// Zero point of each tensor.
        pub zero: [i32; T],
        /// Clamp `[lo, hi]` of each tensor.
        pub clamp: [[i32; 2]; T],
    }
}

/// A float network with an int8 form (`#[staticnet(quantize)]`), trainable
/// with fake quantisation.
pub trait Qat<const T: usize>: Network {
    /// Rounds every dense and convolution weight to its per-channel
    /// symmetric `bits`-bit grid (`2..=8`), in place.
    fn fake_quantize_weights(&mut self, bits: u32);
    /// The activation ranges the batch forward pass applies.
    fn ranges<const B: usize>(cache: &mut Self::Cache<B>) -> &mut Ranges<T>;
}

pub use super::fake::{fake_quantize, fake_quantize_weights};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::quantize_symmetric;

    #[test]
    fn weights_on_the_int8_grid_are_the_dequantised_int8_weights() {
        let mut rng = crate::Rng::new(3);
        let w: [f32; 7 * 13] = core::array::from_fn(|_| rng.normal());
        let mut fq = w;
        fake_quantize_weights(&mut fq, 7, 8);
        for (o, row) in w.chunks_exact(13).enumerate() {
            let mut q = [0i8; 13];
            let s = quantize_symmetric(row, &mut q);
            for (i, &qi) in q.iter().enumerate() {
                assert_eq!(fq[o * 13 + i], s * f32::from(qi), "row {o} col {i}");
            }
        }
        // Idempotent, and 4 bits leave at most 15 values per row.
        let mut again = fq;
        fake_quantize_weights(&mut again, 7, 8);
        assert_eq!(again, fq);
        let mut four = w;
        fake_quantize_weights(&mut four, 7, 4);
        for row in four.chunks_exact(13) {
            let mut distinct: [f32; 13] = row.try_into().unwrap();
            distinct.sort_by(f32::total_cmp);
            let n = 1 + distinct.windows(2).filter(|p| p[0] != p[1]).count();
            assert!(n <= 15, "{n}");
        }
    }

    #[test]
    fn activations_become_what_the_int8_network_holds() {
        let mut rng = crate::Rng::new(5);
        let (scale, zero) = crate::quant::asymmetric_params(-1.0, 3.0);
        let x: [f32; 301] = core::array::from_fn(|_| rng.uniform() * 6.0 - 2.0);
        let mut fq = x;
        fake_quantize(&mut fq, scale, zero, -100, 127);
        for (&v, &f) in x.iter().zip(&fq) {
            let q = (libm::roundf(v / scale) as i32 + zero).clamp(-100, 127);
            assert_eq!(f, scale * (q - zero) as f32);
        }
        let mut again = fq;
        fake_quantize(&mut again, scale, zero, -100, 127);
        assert_eq!(again, fq);
    }
}
