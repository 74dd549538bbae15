//! Parameter blocks of the layer kinds, as fixed-size arrays in PyTorch layout.
//!
//! A generated network is a `#[repr(C)]` struct with one field per
//! parameterised layer, each of one of these types. Each block is declared
//! once with `param_block!` (in `raw/pod.rs`), which gives it
//! `#[repr(C)]`, `Clone`, `Copy`, `Debug`, `Zeroable`, `Pod` and a `ZEROED`
//! constant (all zeros, for `static` initialisers); the fields stay in the
//! order written, so layouts (and weights files) do not change.

use crate::raw::param_block;

param_block! {
    /// Parameters of `dense(O)` on an input of `I` features: PyTorch's
    /// `nn.Linear(I, O)`, `weight` is `[out][in]`.
    pub struct Dense<const I: usize, const O: usize> {
        /// `[out][in]`
        pub weight: [[f32; I]; O],
        /// `[out]`
        pub bias: [f32; O],
    }

    /// Parameters of `dense(O, bias = false)`.
    pub struct DenseNoBias<const I: usize, const O: usize> {
        /// `[out][in]`
        pub weight: [[f32; I]; O],
    }

    /// Parameters of `conv2d(OC, (KH, KW), groups = g)` on `IC` input channels,
    /// `ICG = IC / g`: PyTorch's `nn.Conv2d`, `weight` is `[out][in/groups][kh][kw]`.
    pub struct Conv2d<const OC: usize, const ICG: usize, const KH: usize, const KW: usize> {
        /// `[out][in/groups][kh][kw]`
        pub weight: [[[[f32; KW]; KH]; ICG]; OC],
        /// `[out]`
        pub bias: [f32; OC],
    }

    /// Parameters of `conv2d(..., bias = false)`.
    pub struct Conv2dNoBias<const OC: usize, const ICG: usize, const KH: usize, const KW: usize> {
        /// `[out][in/groups][kh][kw]`
        pub weight: [[[[f32; KW]; KH]; ICG]; OC],
    }

    /// Parameters of `conv1d(OC, K, groups = g)`: PyTorch's `nn.Conv1d`,
    /// `weight` is `[out][in/groups][k]`.
    pub struct Conv1d<const OC: usize, const ICG: usize, const K: usize> {
        /// `[out][in/groups][k]`
        pub weight: [[[f32; K]; ICG]; OC],
        /// `[out]`
        pub bias: [f32; OC],
    }

    /// Parameters of `conv1d(..., bias = false)`.
    pub struct Conv1dNoBias<const OC: usize, const ICG: usize, const K: usize> {
        /// `[out][in/groups][k]`
        pub weight: [[[f32; K]; ICG]; OC],
    }

    /// Trainable parameters of `batchnorm` over `C` channels (PyTorch's
    /// `weight` (gamma) and `bias` (beta)); `init` sets gamma to 1.
    pub struct BatchNorm<const C: usize> {
        /// `[C]`, gamma
        pub weight: [f32; C],
        /// `[C]`, beta
        pub bias: [f32; C],
    }

    /// Running statistics of `batchnorm` (PyTorch's buffers): not trained by the
    /// optimizer, updated by [`Network::update_buffers`](crate::Network::update_buffers);
    /// `init` sets the variance to 1.
    pub struct BatchNormStats<const C: usize> {
        /// `[C]`
        pub running_mean: [f32; C],
        /// `[C]`
        pub running_var: [f32; C],
        /// Training batches seen (PyTorch keeps an `i64`; exact here up to 2^24).
        pub num_batches_tracked: [f32; 1],
    }

    /// Parameters of `rmsnorm` over `D` features: PyTorch's `nn.RMSNorm`
    /// `weight` (`init` sets it to 1).
    pub struct RmsNorm<const D: usize> {
        /// `[D]`
        pub weight: [f32; D],
    }

    /// Parameters of `rnn`, `lstm` and `gru` (`GH` = gates x hidden, `F` input
    /// features, `H` hidden): PyTorch's one-layer `nn.RNN`/`nn.LSTM`/`nn.GRU`.
    pub struct Recurrent<const GH: usize, const F: usize, const H: usize> {
        /// `[G*H][F]`, gates stacked in PyTorch's order.
        pub weight_ih_l0: [[f32; F]; GH],
        /// `[G*H][H]`.
        pub weight_hh_l0: [[f32; H]; GH],
        /// `[G*H]`.
        pub bias_ih_l0: [f32; GH],
        /// `[G*H]`.
        pub bias_hh_l0: [f32; GH],
    }

    /// Parameters of `embedding(V, D)`: PyTorch's `nn.Embedding`, `weight [V][D]`.
    pub struct Embedding<const V: usize, const D: usize> {
        /// `[vocab][dim]`.
        pub weight: [[f32; D]; V],
    }

    /// Parameters of `multihead_attention` on `E` features (`E3 = 3 E`):
    /// PyTorch's `nn.MultiheadAttention` (`in_proj_weight`, `in_proj_bias`,
    /// `out_proj.weight`, `out_proj.bias`).
    pub struct Attention<const E: usize, const E3: usize> {
        /// `[3E][E]`: query, key and value projections stacked.
        pub in_proj_weight: [[f32; E]; E3],
        /// `[3E]`.
        pub in_proj_bias: [f32; E3],
        /// `[E][E]`, PyTorch's `out_proj.weight`.
        pub out_proj_weight: [[f32; E]; E],
        /// `[E]`, PyTorch's `out_proj.bias`.
        pub out_proj_bias: [f32; E],
    }
}

/// Parameters of `layernorm` over `D` features (PyTorch's `nn.LayerNorm`
/// `weight` and `bias`): the same layout as [`BatchNorm`].
pub type LayerNorm<const D: usize> = BatchNorm<D>;

/// Parameters of `pos_embedding` on `[T, E]`: a learned table `weight [T][E]`.
pub type PosEmbedding<const T: usize, const E: usize> = Embedding<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    /// The layouts weights files and PyTorch fixtures rely on: the fields in
    /// the order written, no padding.
    #[test]
    fn blocks_are_their_fields_in_order() {
        assert_eq!(size_of::<Dense<3, 2>>(), 4 * (6 + 2));
        assert_eq!(offset_of!(Dense<3, 2>, bias), 4 * 6);
        assert_eq!(size_of::<Conv2d<4, 2, 3, 3>>(), 4 * (72 + 4));
        assert_eq!(offset_of!(BatchNormStats<3>, num_batches_tracked), 4 * 6);
        assert_eq!(size_of::<BatchNormStats<3>>(), 4 * 7);
        assert_eq!(
            offset_of!(Recurrent<8, 3, 2>, bias_hh_l0),
            4 * (24 + 16 + 8)
        );
        assert_eq!(offset_of!(Attention<2, 6>, out_proj_bias), 4 * (12 + 6 + 4));
    }

    #[test]
    fn zeroed_is_all_zeros() {
        let block = Recurrent::<8, 3, 2>::ZEROED;
        let floats: &[f32] = bytemuck::cast_slice(core::slice::from_ref(&block));
        assert_eq!(floats.len(), 24 + 16 + 8 + 8);
        assert!(floats.iter().all(|v| v.to_bits() == 0));
    }
}
