//! Parameter blocks of the layer kinds, as fixed-size arrays in PyTorch layout.
//!
//! A generated network is a `#[repr(C)]` struct with one field per
//! parameterised layer, each of one of these types.

use bytemuck::Zeroable;

/// Parameters of `dense(O)` on an input of `I` features: PyTorch's
/// `nn.Linear(I, O)`, `weight` is `[out][in]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
pub struct Dense<const I: usize, const O: usize> {
    /// `[out][in]`
    pub weight: [[f32; I]; O],
    /// `[out]`
    pub bias: [f32; O],
}

/// Parameters of `dense(O, bias = false)`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
pub struct DenseNoBias<const I: usize, const O: usize> {
    /// `[out][in]`
    pub weight: [[f32; I]; O],
}

impl<const I: usize, const O: usize> Dense<I, O> {
    /// All zeros, for `static` initialisers.
    pub const ZEROED: Self = Self {
        weight: [[0.0; I]; O],
        bias: [0.0; O],
    };
}

impl<const I: usize, const O: usize> DenseNoBias<I, O> {
    /// All zeros, for `static` initialisers.
    pub const ZEROED: Self = Self {
        weight: [[0.0; I]; O],
    };
}

/// Parameters of `conv2d(OC, (KH, KW), groups = g)` on `IC` input channels,
/// `ICG = IC / g`: PyTorch's `nn.Conv2d`, `weight` is `[out][in/groups][kh][kw]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
pub struct Conv2d<const OC: usize, const ICG: usize, const KH: usize, const KW: usize> {
    /// `[out][in/groups][kh][kw]`
    pub weight: [[[[f32; KW]; KH]; ICG]; OC],
    /// `[out]`
    pub bias: [f32; OC],
}

/// Parameters of `conv2d(..., bias = false)`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
pub struct Conv2dNoBias<const OC: usize, const ICG: usize, const KH: usize, const KW: usize> {
    /// `[out][in/groups][kh][kw]`
    pub weight: [[[[f32; KW]; KH]; ICG]; OC],
}

/// Parameters of `conv1d(OC, K, groups = g)`: PyTorch's `nn.Conv1d`,
/// `weight` is `[out][in/groups][k]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
pub struct Conv1d<const OC: usize, const ICG: usize, const K: usize> {
    /// `[out][in/groups][k]`
    pub weight: [[[f32; K]; ICG]; OC],
    /// `[out]`
    pub bias: [f32; OC],
}

/// Parameters of `conv1d(..., bias = false)`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
pub struct Conv1dNoBias<const OC: usize, const ICG: usize, const K: usize> {
    /// `[out][in/groups][k]`
    pub weight: [[[f32; K]; ICG]; OC],
}

/// Trainable parameters of `batchnorm` over `C` channels (PyTorch's
/// `weight` (gamma) and `bias` (beta)).
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
pub struct BatchNorm<const C: usize> {
    /// `[C]`, gamma
    pub weight: [f32; C],
    /// `[C]`, beta
    pub bias: [f32; C],
}

/// Running statistics of `batchnorm` (PyTorch's buffers): not trained by the
/// optimizer, updated by [`Network::update_buffers`](crate::Network::update_buffers).
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
pub struct BatchNormStats<const C: usize> {
    /// `[C]`
    pub running_mean: [f32; C],
    /// `[C]`
    pub running_var: [f32; C],
    /// Training batches seen (PyTorch keeps an `i64`; exact here up to 2^24).
    pub num_batches_tracked: [f32; 1],
}

impl<const OC: usize, const ICG: usize, const KH: usize, const KW: usize> Conv2d<OC, ICG, KH, KW> {
    /// All zeros, for `static` initialisers.
    pub const ZEROED: Self = Self {
        weight: [[[[0.0; KW]; KH]; ICG]; OC],
        bias: [0.0; OC],
    };
}

impl<const OC: usize, const ICG: usize, const KH: usize, const KW: usize>
    Conv2dNoBias<OC, ICG, KH, KW>
{
    /// All zeros, for `static` initialisers.
    pub const ZEROED: Self = Self {
        weight: [[[[0.0; KW]; KH]; ICG]; OC],
    };
}

impl<const OC: usize, const ICG: usize, const K: usize> Conv1d<OC, ICG, K> {
    /// All zeros, for `static` initialisers.
    pub const ZEROED: Self = Self {
        weight: [[[0.0; K]; ICG]; OC],
        bias: [0.0; OC],
    };
}

impl<const OC: usize, const ICG: usize, const K: usize> Conv1dNoBias<OC, ICG, K> {
    /// All zeros, for `static` initialisers.
    pub const ZEROED: Self = Self {
        weight: [[[0.0; K]; ICG]; OC],
    };
}

impl<const C: usize> BatchNorm<C> {
    /// All zeros, for `static` initialisers (`init` sets gamma to 1).
    pub const ZEROED: Self = Self {
        weight: [0.0; C],
        bias: [0.0; C],
    };
}

impl<const C: usize> BatchNormStats<C> {
    /// All zeros, for `static` initialisers (`init` sets the variance to 1).
    pub const ZEROED: Self = Self {
        running_mean: [0.0; C],
        running_var: [0.0; C],
        num_batches_tracked: [0.0],
    };
}

/// Parameters of `rnn`, `lstm` and `gru` (`GH` = gates x hidden, `F` input
/// features, `H` hidden): PyTorch's one-layer `nn.RNN`/`nn.LSTM`/`nn.GRU`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
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

impl<const GH: usize, const F: usize, const H: usize> Recurrent<GH, F, H> {
    /// All zeros, for `static` initialisers.
    pub const ZEROED: Self = Self {
        weight_ih_l0: [[0.0; F]; GH],
        weight_hh_l0: [[0.0; H]; GH],
        bias_ih_l0: [0.0; GH],
        bias_hh_l0: [0.0; GH],
    };
}

/// Parameters of `embedding(V, D)`: PyTorch's `nn.Embedding`, `weight [V][D]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
pub struct Embedding<const V: usize, const D: usize> {
    /// `[vocab][dim]`.
    pub weight: [[f32; D]; V],
}

impl<const V: usize, const D: usize> Embedding<V, D> {
    /// All zeros, for `static` initialisers.
    pub const ZEROED: Self = Self {
        weight: [[0.0; D]; V],
    };
}

/// Parameters of `layernorm` over `D` features (PyTorch's `nn.LayerNorm`
/// `weight` and `bias`): the same layout as [`BatchNorm`].
pub type LayerNorm<const D: usize> = BatchNorm<D>;

/// Parameters of `pos_embedding` on `[T, E]`: a learned table `weight [T][E]`.
pub type PosEmbedding<const T: usize, const E: usize> = Embedding<T, E>;

/// Parameters of `multihead_attention` on `E` features (`E3 = 3 E`):
/// PyTorch's `nn.MultiheadAttention` (`in_proj_weight`, `in_proj_bias`,
/// `out_proj.weight`, `out_proj.bias`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Zeroable)]
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

impl<const E: usize, const E3: usize> Attention<E, E3> {
    /// All zeros, for `static` initialisers.
    pub const ZEROED: Self = Self {
        in_proj_weight: [[0.0; E]; E3],
        in_proj_bias: [0.0; E3],
        out_proj_weight: [[0.0; E]; E],
        out_proj_bias: [0.0; E],
    };
}
