//! The test networks, declared once: each covers a set of layer kinds and
//! options, and `tests/layers.rs` runs every check over the table of them.
//! A new layer kind is covered by adding it to a network here (or a new
//! network and its row in `tests/layers.rs`).
#![allow(dead_code)]

use staticnet::{loss, Mode, Network, Rng};

/// How a network's outputs are turned into a loss for the gradient checks.
pub enum Loss {
    /// Logits: `softmax_cross_entropy` over [`Row::CLASSES`].
    Logits,
    /// The network ends in `softmax`: `cross_entropy`.
    Probabilities,
    /// Regression: `mse` against a fixed target.
    Mse,
    /// One logit per output: `bce_with_logits`.
    Bce,
    /// The network ends in `log_softmax`: the negative log-likelihood
    /// `-mean(y[label])` (PyTorch's `F.nll_loss`).
    LogProbabilities,
}

/// What the table's checks need to know of a network beyond its type.
pub trait Row: Network {
    /// The loss of the gradient check.
    const LOSS: Loss = Loss::Logits;
    /// Classes of a softmax loss: the output's innermost dimension.
    const CLASSES: usize = Self::OUTPUT_LEN;
    /// `Some(vocabulary)` for networks on token ids (`input: tokens[T]`).
    const VOCAB: Option<usize> = None;
    /// Fixes the cache's random state (dropout masks) before each forward
    /// pass, so finite differences see the same masks.
    fn reseed<const B: usize>(_cache: &mut Self::Cache<B>) {}
}

/// The loss of [`Row::LOSS`] on flat outputs; writes its gradient.
pub fn row_loss<N: Row>(out: &[f32], g: &mut [f32]) -> f32 {
    let labels: Vec<usize> = (0..out.len() / N::CLASSES)
        .map(|i| (i * 2 + 1) % N::CLASSES)
        .collect();
    match N::LOSS {
        Loss::Logits => loss::softmax_cross_entropy(out, &labels, N::CLASSES, g),
        Loss::Probabilities => loss::cross_entropy(out, &labels, N::CLASSES, g),
        Loss::Mse => {
            let target: Vec<f32> = (0..out.len()).map(|i| (i as f32 * 0.37).sin()).collect();
            loss::mse(out, &target, g)
        }
        Loss::Bce => {
            let target: Vec<f32> = (0..out.len()).map(|i| (i % 2) as f32).collect();
            loss::bce_with_logits(out, &target, g)
        }
        Loss::LogProbabilities => {
            let n = labels.len() as f32;
            g.fill(0.0);
            let mut sum = 0.0;
            for (row, &label) in labels.iter().enumerate() {
                sum -= out[row * N::CLASSES + label];
                g[row * N::CLASSES + label] = -1.0 / n;
            }
            sum / n
        }
    }
}

/// A batch of inputs: uniform in [-1, 1), or token ids (every id, repeats).
pub fn row_input<N: Row, const B: usize>(seed: u64) -> Box<[N::Input; B]> {
    let mut x = N::new_batch::<B>();
    let mut rng = Rng::new(seed);
    for (i, v) in staticnet::flat_mut(&mut *x).iter_mut().enumerate() {
        *v = match N::VOCAB {
            Some(vocab) => ((i * 5 + 3 + seed as usize) % vocab) as f32,
            None => rng.uniform() * 2.0 - 1.0,
        };
    }
    x
}

/// The MNIST MLP, LeNet-5 and the sine regressor of the examples, benches and
/// embedded crate, declared once in `embedded/src/nets.rs`.
pub mod nets {
    include!("../../embedded/src/nets.rs");
}

/// A network with every value set: parameters from `init`, then buffers
/// (running statistics, batch counters) made non-trivial.
pub fn filled<N: Network>(seed: u64) -> Box<N> {
    let mut net = N::new_boxed(seed);
    let mut rng = Rng::new(seed ^ 0x5eed);
    for t in N::ARCH.tensors.iter().filter(|t| !t.trainable) {
        for v in &mut net.state_mut()[t.offset..t.offset + t.len()] {
            *v = match t.attr {
                "num_batches_tracked" => 7.0,
                "running_var" => 0.5 + rng.uniform(),
                _ => rng.uniform() - 0.5,
            };
        }
    }
    net
}

/// `copy` holds `net`'s values exactly and predicts the same.
pub fn assert_same<N: Row>(net: &N, copy: &N) {
    assert_eq!(
        bytemuck::cast_slice::<f32, u32>(net.state()),
        bytemuck::cast_slice::<f32, u32>(copy.state())
    );
    let x = row_input::<N, 3>(11);
    let (mut c1, mut c2) = (N::new_cache::<3>(), N::new_cache::<3>());
    let y1 = net.forward_batch(&x, &mut c1, Mode::Infer);
    let y2 = copy.forward_batch(&x, &mut c2, Mode::Infer);
    assert_eq!(staticnet::flat(y1), staticnet::flat(y2));
}

staticnet::network! {
    /// Smooth activations, a named layer, ends in softmax.
    pub struct Smooth {
        input: [5],
        dense(7), tanh,
        dense(6, bias = false), sigmoid,
        out: dense(4),
        softmax,
    }
}
impl Row for Smooth {
    const LOSS: Loss = Loss::Probabilities;
}

staticnet::network! {
    /// The activations of small mobile models: ReLU6, hard swish, SiLU,
    /// tanh-approximate GELU, hard sigmoid (PyTorch's and ONNX's defaults).
    pub struct Mobile {
        input: [6],
        dense(8), relu6,
        dense(8), hardswish,
        dense(7), silu,
        dense(7), gelu(approximate = "tanh"),
        dense(6), hardsigmoid,
        dense(5), hardsigmoid(alpha = 0.2, beta = 0.5),
        dense(3),
    }
}
impl Row for Mobile {}

staticnet::network! {
    /// Rank-2 input, flatten, ReLU, dropout, leaky ReLU.
    pub struct Kinked {
        input: [2, 3],
        flatten,
        dense(9), relu,
        dropout(0.25),
        dense(5), leaky_relu(0.1),
        dense(3),
    }
}
impl Row for Kinked {
    fn reseed<const B: usize>(cache: &mut KinkedCache<B>) {
        cache.rng = Rng::new(7);
    }
}

staticnet::network! {
    /// GELU regression.
    pub struct Regress {
        input: [4],
        dense(8), gelu,
        dense(3),
    }
}
impl Row for Regress {
    const LOSS: Loss = Loss::Mse;
}

staticnet::network! {
    /// A binary classifier (one logit).
    pub struct Binary {
        input: [3],
        dense(5), relu,
        dense(1),
    }
}
impl Row for Binary {
    const LOSS: Loss = Loss::Bce;
}

staticnet::network! {
    /// Softmax straight after a bias-free dense layer on a rank-2 input.
    pub struct Probs {
        input: [2, 3],
        flatten,
        dense(4, bias = false),
        softmax,
    }
}
impl Row for Probs {
    const LOSS: Loss = Loss::Probabilities;
}

staticnet::network! {
    /// MNIST-sized dense layers (the SIMD paths) with every activation.
    pub struct Deep {
        input: [784],
        dense(128), relu,
        dropout(0.1),
        dense(64), gelu,
        dense(32), tanh,
        dense(16), sigmoid,
        dense(16), leaky_relu(0.1),
        dense(10),
    }
}
impl Row for Deep {}

staticnet::network! {
    /// Every 2-d feature: padding, batch norm, stride, non-square kernel,
    /// groups, overlapping max pooling, depthwise 1x1, average pooling.
    pub struct Vision {
        input: [2, 7, 6],
        conv2d(4, 3, padding = 1),
        batchnorm,
        tanh,
        conv2d(4, (2, 3), stride = 2, groups = 2),
        maxpool2d(2, stride = 1),
        conv2d(4, 1, groups = 4),
        sigmoid,
        avgpool2d((2, 1)),
        flatten,
        dense(3),
    }
}
impl Row for Vision {}

staticnet::network! {
    /// 1-d: stride, padding, dilation, groups, global average pooling.
    pub struct Signal {
        input: [3, 9],
        conv1d(4, 3, stride = 2, padding = 1, dilation = 2),
        relu,
        conv1d(2, 2, groups = 2, bias = false),
        global_avgpool,
        dense(2),
    }
}
impl Row for Signal {
    const LOSS: Loss = Loss::Mse;
}

staticnet::network! {
    /// Dilated 2-d kernel, GELU, global pooling, batch norm after dense.
    pub struct Dilated {
        input: [1, 8, 8],
        conv2d(2, 3, dilation = 2, stride = (1, 2)),
        gelu,
        global_avgpool,
        dense(3), batchnorm, relu,
        dense(1),
    }
}
impl Row for Dilated {
    const LOSS: Loss = Loss::Bce;
}

staticnet::network! {
    /// A larger feature map: stride 2, dilation, dropout on feature maps.
    pub struct Conv {
        input: [3, 16, 16],
        conv2d(6, 3, padding = 1, stride = 2), batchnorm, relu,
        conv2d(6, 3, groups = 3, dilation = 2, bias = false),
        maxpool2d(2, stride = 1),
        avgpool2d(2),
        dropout(0.2),
        flatten,
        dense(8), batchnorm,
        dense(4),
    }
}
impl Row for Conv {
    fn reseed<const B: usize>(cache: &mut ConvCache<B>) {
        cache.rng = Rng::new(7);
    }
}

staticnet::network! {
    /// Every 2-d layer kind, batch norm on feature maps and on features.
    pub struct Every {
        input: [2, 8, 8],
        conv2d(4, 3, padding = 1), batchnorm, relu,
        conv2d(4, 3, groups = 2, bias = false), leaky_relu(0.1),
        maxpool2d(2),
        avgpool2d(2, stride = 1),
        flatten,
        dense(6), batchnorm, gelu,
        dropout(0.1),
        dense(5, bias = false), sigmoid,
        head: dense(4), tanh,
        dense(3), softmax,
    }
}
impl Row for Every {
    const LOSS: Loss = Loss::Probabilities;
    fn reseed<const B: usize>(cache: &mut EveryCache<B>) {
        cache.rng = Rng::new(7);
    }
}

staticnet::network! {
    /// Padded pooling (PyTorch's): max with `-inf` padding on a non-square
    /// window, average counting the padding and not counting it, odd sizes;
    /// ends in `log_softmax`.
    pub struct Padded {
        input: [2, 7, 6],
        conv2d(3, 3, padding = 1), tanh,
        maxpool2d((3, 2), stride = 2, padding = 1),
        avgpool2d(3, stride = 1, padding = 1),
        avgpool2d((3, 2), stride = (2, 1), padding = (1, 0), count_include_pad = false),
        flatten,
        dense(5), log_softmax,
    }
}
impl Row for Padded {
    const LOSS: Loss = Loss::LogProbabilities;
}

staticnet::network! {
    /// 1-d convolutions, batch norm over `[C, L]`, global pooling.
    pub struct Seq {
        input: [3, 10],
        conv1d(4, 3, padding = 1), batchnorm, relu,
        conv1d(2, 3, bias = false),
        global_avgpool,
        dense(2),
    }
}
impl Row for Seq {}

staticnet::network! {
    /// Global average pooling over strided, dilated feature maps.
    pub struct Pooled {
        input: [2, 5, 5],
        conv2d(3, 2, stride = 2, dilation = 2),
        global_avgpool,
        dense(2),
    }
}
impl Row for Pooled {}

staticnet::network! {
    /// Many-to-one LSTM classifier.
    pub struct LstmLast {
        input: [5, 3],
        lstm(4, sequence = false),
        dense(2),
    }
}
impl Row for LstmLast {
    const LOSS: Loss = Loss::Mse;
}

staticnet::network! {
    /// Stacked GRUs, the second returning its last step.
    pub struct GruStack {
        input: [4, 3],
        gru(5),
        gru(3, sequence = false),
        dense(2),
    }
}
impl Row for GruStack {
    const LOSS: Loss = Loss::Mse;
}

staticnet::network! {
    /// Sequence to sequence: tanh RNN, then a dense layer on every step.
    pub struct RnnSeq {
        input: [3, 2],
        rnn(4),
        dense(3), tanh,
    }
}
impl Row for RnnSeq {
    const LOSS: Loss = Loss::Mse;
}

staticnet::network! {
    /// ReLU RNN with odd sizes.
    pub struct RnnRelu {
        input: [7, 1],
        rnn(3, relu = true, sequence = false),
        dense(1),
    }
}
impl Row for RnnRelu {
    const LOSS: Loss = Loss::Mse;
}

staticnet::network! {
    /// A character model: token ids, embedding, LSTM, per-step logits.
    pub struct Chars {
        input: tokens[6],
        embedding(7, 3),
        lstm(5),
        dense(7),
    }
}
impl Row for Chars {
    const CLASSES: usize = 7;
    const VOCAB: Option<usize> = Some(7);
}

staticnet::network! {
    /// Every recurrent kind on token input.
    pub struct Recurrent {
        input: tokens[5],
        embedding(9, 4),
        lstm(5),
        gru(4),
        rnn(3, relu = true, sequence = false),
        dense(2),
    }
}
impl Row for Recurrent {
    const VOCAB: Option<usize> = Some(9);
}

staticnet::network! {
    /// A tiny Vision Transformer: 4 patches of 4x4, two pre-norm blocks.
    pub struct TinyVit {
        input: [1, 8, 8],
        patchify(4),
        dense(8),
        pos_embedding,
        residual { layernorm, multihead_attention(2) },
        residual { layernorm, dense(12), gelu, dense(8) },
        layernorm,
        mean_pool,
        dense(3),
    }
}
impl Row for TinyVit {}

staticnet::network! {
    /// RMS norm on every step of a sequence (default and explicit `eps`),
    /// inside a residual block, and on a vector.
    pub struct Norms {
        input: [3, 5],
        dense(6),
        rmsnorm,
        residual { rmsnorm(eps = 1e-5), dense(6), gelu },
        mean_pool,
        dense(4),
        rmsnorm(eps = 1e-3),
        dense(3),
    }
}
impl Row for Norms {}

staticnet::network! {
    /// Learned negative slopes: one per channel of an image, one per feature
    /// of a vector, one for all (`scripts/pytorch_parity.py`'s `slopes`).
    pub struct Slopes {
        input: [2, 6, 6],
        conv2d(3, 3),
        prelu(per_channel = true),
        flatten,
        dense(7),
        prelu(per_channel = true),
        dense(5),
        prelu,
        dense(3),
    }
}
impl Row for Slopes {}

staticnet::network! {
    /// A causal character Transformer with nested residual blocks.
    pub struct TinyGpt {
        input: tokens[5],
        embedding(7, 6),
        pos_embedding,
        residual {
            residual { layernorm, multihead_attention(3, causal = true) },
            layernorm, dense(6), tanh,
        },
        dense(7),
    }
}
impl Row for TinyGpt {
    const CLASSES: usize = 7;
    const VOCAB: Option<usize> = Some(7);
}

staticnet::network! {
    /// One Transformer block (the weights tests name its tensors).
    pub struct Transformer {
        input: [1, 8, 8],
        patchify(4),
        dense(8),
        pos_embedding,
        residual { layernorm, multihead_attention(2) },
        layernorm,
        mean_pool,
        dense(3),
    }
}
impl Row for Transformer {}

staticnet::network! {
    /// The tanh sine network of the examples (and of `tests/fixtures/sine.bin`).
    pub struct Sine {
        input: [1],
        dense(16), tanh,
        dense(16), tanh,
        dense(1),
    }
}
impl Row for Sine {
    const LOSS: Loss = Loss::Mse;
}
