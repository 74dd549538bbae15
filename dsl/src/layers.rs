//! What a layer kind gives the planner and the generator: the [`Layer`]
//! trait, implemented once per file in `kinds/`, its [`Plan`], and the
//! [`Cx`] its code hooks work with.

use crate::shape::{Shape, ShapeError};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// A layer kind: one planning call, then the code-emitting hooks. Here and
/// below, `rt` is the runtime's path as the user's crate sees it
/// (`::staticnet::__private::rt` unless renamed).
pub trait Layer {
    /// Everything the planner and the generator need to know about this
    /// layer on a per-sample `input` shape, or why the shape does not fit.
    fn plan(&self, rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError>;
    /// Forward code for a batch: reads `cx.x`, writes `cx.y`.
    fn forward(&self, cx: &Cx) -> TokenStream;
    /// Forward code with a ReLU over the output (the kernel's `_relu`
    /// form), for a layer whose plan has [`Plan::fuses_relu`]: the
    /// single-sample forward runs it for this layer followed by `relu`, which
    /// then does nothing.
    fn forward_relu(&self, _cx: &Cx) -> Option<TokenStream> {
        None
    }
    /// Backward code: reads `cx.gy` (and `cx.x`, `cx.y`), writes the parameter
    /// gradients into `cx.grads` and `cx.gx` when it is `Some`.
    fn backward(&self, cx: &Cx) -> TokenStream;
    /// Backward code of this layer and of the `relu` before it (the
    /// kernel's `_relu` form): reads `cx.gy`, writes the gradient of the
    /// ReLU's input into `cx.gx` (`cx.x` is the ReLU's output). The training
    /// backward runs it for a `relu` followed by this layer, whose backward
    /// then does nothing; `None` (the default) if the layer has no such
    /// form.
    fn backward_relu(&self, _cx: &Cx) -> Option<TokenStream> {
        None
    }
    /// Backward code fused with the SGD step `cx.params -= lr * gradient`
    /// (`lr` an `f32` in scope), for `Network::backward_sgd`; `None` (the
    /// default) runs [`Layer::backward`] and then steps the parameters.
    fn backward_sgd(&self, _cx: &Cx) -> Option<TokenStream> {
        None
    }
    /// Code of one step ([`Plan::step`]), with per-step shapes in `cx` and
    /// the stream as `cx.state`; by default the batch-1 forward on those
    /// shapes.
    fn step(&self, cx: &Cx) -> TokenStream {
        self.forward(cx)
    }
    /// Code of `Network::update_buffers` for a layer with [`Plan::stats`]
    /// (`cx.stats` is mutable, `cx.saved(..)` readable).
    fn update_stats(&self, _cx: &Cx) -> TokenStream {
        TokenStream::new()
    }
    /// Code folding this layer (an inference-mode batch norm) into the
    /// layer before it, whose parameters are `prev` (`self.conv0`, with a
    /// [`Block::foldable`] `weight` and `bias`); the layer becomes the
    /// identity.
    fn fold_into_previous(&self, _cx: &Cx, _prev: &TokenStream) -> Option<TokenStream> {
        None
    }
    /// What the layer is in the int8 network of a `#[staticnet(quantize)]`
    /// declaration (`cx` has the shapes and the runtime's path), or `None`
    /// if it has no integer kernel: then quantising is a compile error
    /// naming the layer.
    fn quant(&self, _cx: &Cx) -> Option<Quant> {
        None
    }
}

/// A layer in the int8 network (`codegen/quant/`). Code in the variants
/// runs with these locals in scope: `x: &[i8]` (input), `y: &mut [i8]`
/// (output), and for [`Quant::Weighted`] `w: &[i8]` (weights, one row per
/// output channel), `ch: rt::quant::ChannelsRef` (its per-channel
/// parameters), `io: rt::quant::Io` (zero points and clamp) and
/// `patch: &mut [i8]` (scratch); for [`Quant::Same`] `zp: i32`, the zero
/// point in and out.
pub enum Quant {
    /// Int8 weights `[rows][cols]`, an int32 bias per row, a multiplier per
    /// row (dense, convolution). A batch norm and a ReLU/ReLU6 right after
    /// it are fused into it.
    Weighted {
        rows: usize,
        cols: usize,
        /// Whether the float layer has a bias.
        bias: bool,
        /// Bytes of `patch` the code needs (a constant expression).
        scratch: TokenStream,
        forward: TokenStream,
        /// The forward code with weights packed 4 and 2 bits per value
        /// (`w: &[u8]`), for a kind that has such kernels (dense).
        packed: Option<[TokenStream; 2]>,
    },
    /// A clamp to the real range `[lo, hi]` (`hi` `None`: no upper bound):
    /// ReLU, ReLU6. Fused into a weighted layer before it, else a clamp at
    /// its input's scale.
    Clamp { lo: f32, hi: Option<f32> },
    /// Leaky ReLU at its input's scale, `alpha` in fixed point.
    LeakyRelu { alpha: f32 },
    /// Code at its input's scale and zero point (pooling).
    Same { forward: TokenStream },
    /// Nothing to do (flatten, dropout in inference).
    Identity,
    /// A batch norm, folded into the weighted layer before it.
    Folded,
    /// The last layer, left out: the int8 network outputs its input
    /// (softmax, log-softmax: the logits, whose arg-max is the same).
    Dropped,
    /// A half of a residual block (the sum is TFLite's int8 `Add`).
    Residual,
    /// No int8 form for this configuration, and why (a kind with an int8
    /// form for others: `dense` on a sequence).
    Unsupported(&'static str),
}

/// What a layer is on a given input shape. [`Plan::new`] takes what every
/// layer has; the other fields default to "none" and are set by the kinds
/// that need them.
pub struct Plan {
    /// The per-sample output shape.
    pub output: Shape,
    /// Hyper-parameters that shapes do not show (`stride=2, padding=1`), in
    /// a canonical form: part of the architecture fingerprint of saved
    /// weights, so that a file trained with other settings is refused.
    /// Required by [`Plan::new`]; `kinds/tests.rs` pins every kind's and
    /// fails if a named argument changes neither it nor the parameters.
    pub config: String,
    /// The parameter block, a field `<name>` of the network struct.
    pub params: Option<Block>,
    /// Non-trainable statistics (batch norm's running mean and variance),
    /// a field `<name>_stats` after every parameter block; updated by
    /// [`Layer::update_stats`].
    pub stats: Option<Block>,
    /// Tensors forward saves in the cache for backward (dropout's mask,
    /// batch norm's batch statistics), as fields `<name>_<suffix>`.
    pub saved: Vec<SavedTensor>,
    /// A constant expression of the `f32`s of scratch one call of the
    /// kernels needs, whatever the batch size (convolution's column buffer),
    /// usually the kernel's own `const fn`, so the two cannot disagree. One
    /// buffer of the largest need is shared by all layers.
    pub scratch: Option<TokenStream>,
    /// The scratch of the training cache, where the batch forward and the
    /// backward pass share the buffer, if more than [`Plan::scratch`]. The
    /// single-sample workspace holds only `scratch`.
    pub train_scratch: Option<TokenStream>,
    /// Whether the output is a sequence (`[T, ...]`, one row per step):
    /// `None` keeps what the input is; recurrent layers decide.
    pub sequence_out: Option<bool>,
    /// The per-step form (`step`), `None` if the layer cannot run one time
    /// step at a time (it mixes steps: flatten, convolution, pooling).
    pub step: Option<Step>,
    /// Whether the layer before should use He initialisation.
    pub relu_like: bool,
    /// Which half of a `residual` block this layer is; `plan` pairs them
    /// and hands each its partner's name ([`Cx::partner`]).
    pub residual: Option<Residual>,
    /// `f32`s the single-sample workspace keeps in a field `<name>_skip`
    /// (a residual block's input).
    pub skip: Option<usize>,
    /// Where in the network the layer may stand (`validate.rs` checks);
    /// `None` anywhere.
    pub placement: Option<Placement>,
    /// Whether the single-sample forward may run the layer over its input's
    /// buffer, so that the inference workspace holds less; `None` it may not.
    pub in_place: Option<InPlace>,
    /// Whether [`Layer::forward_relu`] gives this layer's forward with a ReLU
    /// fused in.
    pub fuses_relu: bool,
}

/// How a layer runs over its input's buffer in the single-sample forward.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum InPlace {
    /// Output `i` is computed from input `i` alone, the same wherever the
    /// slice starts (the activations): run in chunks through a small stack
    /// buffer (`kernels::in_place`).
    Elementwise,
    /// At inference the output is the input (flatten, dropout): nothing runs.
    Identity,
    /// `relu`: as [`InPlace::Elementwise`], or nothing when the layer before
    /// has [`Plan::fuses_relu`] and writes it.
    Relu,
}

impl Plan {
    /// A layer with an `output` shape and a `config`; nothing else.
    pub fn new(output: Shape, config: String) -> Self {
        Self {
            output,
            config,
            params: None,
            stats: None,
            saved: Vec::new(),
            scratch: None,
            train_scratch: None,
            sequence_out: None,
            step: None,
            relu_like: false,
            residual: None,
            skip: None,
            placement: None,
            in_place: None,
            fuses_relu: false,
        }
    }

    /// With the per-step form that keeps no state and needs no scratch
    /// (activations, dense, layer norm: the batch-1 forward per step).
    pub fn stateless_step(mut self) -> Self {
        self.step = Some(Step::default());
        self
    }
}

/// A rule on a layer's place, with the reason the error gives.
#[derive(Clone, Copy)]
pub enum Placement {
    /// Only as the last layer.
    LastOnly(&'static str),
    /// Never as the last layer.
    NotLast(&'static str),
}

/// The per-step form of a layer (`<Name>::step`).
#[derive(Default)]
pub struct Step {
    /// The state it keeps between steps, as `(suffix, floats)` fields
    /// `<name>_<suffix>` of the stream (a recurrent layer's hidden state).
    pub state: Vec<(&'static str, usize)>,
    /// Scratch one step needs (a constant expression), like [`Plan::scratch`].
    pub scratch: Option<TokenStream>,
}

/// The two halves a `residual { ... }` block is flattened into.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Residual {
    /// Keeps the block input; in backward adds the skip gradient.
    Begin,
    /// Adds the block input back; in backward keeps the skip gradient.
    End,
}

/// A block of `f32`s: one field of the network struct (a layer's
/// parameters or its statistics).
pub struct Block {
    /// The field's type, e.g. `rt::layers::Dense<784, 128>`.
    pub ty: TokenStream,
    /// A constant expression of that type with every value 0.
    pub zeroed: TokenStream,
    /// Number of `f32`s.
    pub count: usize,
    /// The block's tensors in memory order, PyTorch names and shapes: what
    /// the weight formats (binary, safetensors) and the field docs use.
    pub tensors: Vec<Tensor>,
    /// Statements initialising `cx.params` from `rng` (`he` tells whether a
    /// ReLU-like activation follows).
    pub init: fn(cx: &Cx, he: bool) -> TokenStream,
    /// `weight [C][...]` and `bias [C]` fields that a following batch norm
    /// over `C` channels can be folded into.
    pub foldable: bool,
}

/// One tensor of a block: `weight [10, 64]`.
pub struct Tensor {
    /// PyTorch's attribute name (`weight`, `running_mean`).
    pub name: &'static str,
    /// PyTorch's shape; `[]` for a scalar (one `f32`).
    pub shape: Vec<usize>,
}

impl Tensor {
    pub fn new(name: &'static str, shape: &[usize]) -> Self {
        Self {
            name,
            shape: shape.to_vec(),
        }
    }
}

impl Block {
    /// `weight [10, 64], bias [10]`, for field docs.
    pub fn doc(&self) -> String {
        let parts: Vec<String> = self
            .tensors
            .iter()
            .map(|t| format!("{} {:?}", t.name, t.shape))
            .collect();
        parts.join(", ")
    }
}

/// A tensor forward saves in the cache for backward: field `<name>_<suffix>`.
pub struct SavedTensor {
    pub suffix: &'static str,
    pub shape: Shape,
    /// `[shape; B]` if true, `shape` once per batch otherwise.
    pub per_sample: bool,
}

impl SavedTensor {
    /// One per sample.
    pub fn per_sample(suffix: &'static str, dims: Vec<usize>) -> Self {
        Self {
            suffix,
            shape: Shape(dims),
            per_sample: true,
        }
    }
}

/// Expressions a layer's generated code works with. Every slice is flat,
/// `batch` samples of the layer's per-sample shape.
pub struct Cx {
    /// Path of the runtime crate.
    pub rt: TokenStream,
    pub input: Shape,
    pub output: Shape,
    /// `B` in batch code, `1` in single-sample code.
    pub batch: TokenStream,
    /// The layer's parameters (`self.dense0`).
    pub params: TokenStream,
    /// The layer's parameter gradients (`grads.dense0`), in backward.
    pub grads: TokenStream,
    /// Input, `&[f32]`.
    pub x: TokenStream,
    /// Output: `&mut [f32]` in forward, `&[f32]` in backward.
    pub y: TokenStream,
    /// Gradient of the output, `&[f32]`, in backward.
    pub gy: TokenStream,
    /// Gradient of the input, `Option<&mut [f32]>`, in backward.
    pub gx: TokenStream,
    /// The layer's name, for its saved tensors in the cache; `None` where
    /// there is no cache (single-sample inference).
    pub saved_in: Option<Ident>,
    /// Whether saved tensors are written (forward) or read (backward).
    pub saved_mut: bool,
    /// Shared scratch, `&mut [f32]`.
    pub scratch: TokenStream,
    /// The layer's statistics block (`self.bn0_stats`).
    pub stats: TokenStream,
    /// `&mut Rng` for training-mode randomness.
    pub rng: TokenStream,
    /// The `Mode` expression, or `None` where only inference is possible.
    pub mode: Option<TokenStream>,
    /// The stream (`step` code only): state fields `<name>_<suffix>`.
    pub state: TokenStream,
    /// The layer's name.
    pub name: Ident,
    /// The other half's name, for the halves of a residual block.
    pub partner: Option<Ident>,
}

impl Cx {
    /// The flat slice of a saved tensor: `&mut [f32]` in forward, `&[f32]` in
    /// backward.
    pub fn saved(&self, suffix: &str) -> TokenStream {
        let rt = &self.rt;
        match &self.saved_in {
            None => quote!(compile_error!("no cache in single-sample code")),
            Some(name) => {
                let field = format_ident!("{}_{}", name, suffix);
                if self.saved_mut {
                    quote!(#rt::flat_mut(&mut cache.#field))
                } else {
                    quote!(#rt::flat(&cache.#field))
                }
            }
        }
    }
}
