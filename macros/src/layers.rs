//! What a layer kind gives the planner and the generator: the [`Layer`]
//! trait, implemented once per file in `kinds/`, and the types it works with.

use crate::shape::{Shape, ShapeError};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// What the network generator needs from a layer kind.
pub trait Layer {
    /// The DSL keyword, used in messages, default names and the summary.
    fn kind(&self) -> &'static str;
    /// Hyper-parameters that shapes do not show (`stride=2, padding=1`), in
    /// a canonical form: part of the architecture fingerprint of saved
    /// weights, so that a file trained with other settings is refused.
    fn config(&self) -> String {
        String::new()
    }
    /// The per-sample output shape for a per-sample input shape.
    fn output_shape(&self, input: &Shape) -> Result<Shape, ShapeError>;
    /// The parameter block, if the layer has parameters. Here and below, `rt`
    /// is the runtime's path as the user's crate sees it
    /// (`::staticnet::__private::rt` unless renamed).
    fn params(&self, _rt: &TokenStream, _input: &Shape, _output: &Shape) -> Option<Params> {
        None
    }
    /// Tensors forward saves in the cache for backward (dropout's mask, batch
    /// norm's batch statistics), as fields `<name>_<suffix>`.
    fn saved(&self, _input: &Shape, _output: &Shape) -> Vec<Saved> {
        Vec::new()
    }
    /// A constant expression of the `f32`s of scratch one call of the
    /// kernels needs, whatever the batch size (convolution's column buffer),
    /// usually the kernel's own `const fn`, so the two cannot disagree. One
    /// buffer of the largest need is shared by all layers.
    fn scratch(&self, _rt: &TokenStream, _input: &Shape, _output: &Shape) -> Option<TokenStream> {
        None
    }
    /// Like [`Layer::scratch`], for the training cache, where the batch
    /// forward and the backward pass share the buffer: at least `scratch`
    /// (the default). The single-sample workspace holds only `scratch`.
    fn train_scratch(
        &self,
        rt: &TokenStream,
        input: &Shape,
        output: &Shape,
    ) -> Option<TokenStream> {
        self.scratch(rt, input, output)
    }
    /// Code folding this layer (an inference-mode batch norm) into the
    /// layer before it, whose parameters are `prev` (`self.conv0`, with
    /// `weight` and `bias`); the layer becomes the identity.
    fn fold_into_previous(&self, _cx: &Cx, _prev: &TokenStream) -> Option<TokenStream> {
        None
    }
    /// Non-trainable state (batch norm's running statistics), stored after
    /// all parameters in a field `<name>_stats`.
    fn buffers(&self, _rt: &TokenStream, _input: &Shape, _output: &Shape) -> Option<Params> {
        None
    }
    /// Code of `Network::update_buffers` for this layer (`cx.buffers` is
    /// mutable, `cx.saved(..)` readable).
    fn update_buffers(&self, _cx: &Cx) -> TokenStream {
        TokenStream::new()
    }
    /// Whether the layer reads token ids (`embedding`): only such a layer may
    /// follow `input: tokens[T]`, and only there.
    fn takes_tokens(&self) -> bool {
        false
    }
    /// Whether the output is a sequence (`[T, ...]`, one row per step) given
    /// whether the input is: recurrent layers decide, others keep it.
    fn sequence_out(&self, seq_in: bool) -> bool {
        seq_in
    }
    /// Streaming (`step`, one time step at a time): `None` if the layer
    /// cannot run per step (it mixes steps: flatten, convolution, pooling);
    /// otherwise the state it keeps between steps, as `(suffix, floats)`
    /// fields `<name>_<suffix>` of the stream.
    fn streams(&self, _output: &Shape) -> Option<Vec<(&'static str, usize)>> {
        None
    }
    /// Code of one step, with per-step shapes in `cx` and the stream as
    /// `cx.state`; by default the batch-1 forward on those shapes.
    fn step(&self, cx: &Cx) -> TokenStream {
        self.forward(cx)
    }
    /// Scratch one step needs (a constant expression), like [`Layer::scratch`].
    fn step_scratch(&self, _rt: &TokenStream, _output: &Shape) -> Option<TokenStream> {
        None
    }
    /// For the two halves of a `residual` block: the other half's name.
    fn link(&mut self, _partner: &Ident) {}
    /// `f32`s the single-sample workspace keeps for this layer in a field
    /// `<name>_skip` (a residual block's input).
    fn workspace(&self, _input: &Shape) -> Option<usize> {
        None
    }
    /// Whether the layer before should use He initialisation.
    fn relu_like(&self) -> bool {
        false
    }
    /// Forward code for a batch: reads `cx.x`, writes `cx.y`.
    fn forward(&self, cx: &Cx) -> TokenStream;
    /// Backward code: reads `cx.gy` (and `cx.x`, `cx.y`), writes the parameter
    /// gradients into `cx.grads` and `cx.gx` when it is `Some`.
    fn backward(&self, cx: &Cx) -> TokenStream;
    /// Backward code fused with the SGD step `cx.params -= lr * gradient`
    /// (`lr` an `f32` in scope), for `Network::backward_sgd`; `None` (the
    /// default) runs [`Layer::backward`] and then steps the parameters.
    fn backward_sgd(&self, _cx: &Cx) -> Option<TokenStream> {
        None
    }
}

/// A layer's parameter block: one field of the network struct.
pub struct Params {
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

/// One tensor of a parameter or buffer block: `weight [10, 64]`.
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

impl Params {
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
    /// The layer's buffers (`self.bn0_stats`).
    pub buffers: TokenStream,
    /// `&mut Rng` for training-mode randomness.
    pub rng: TokenStream,
    /// The `Mode` expression, or `None` where only inference is possible.
    pub mode: Option<TokenStream>,
    /// The stream (`step` code only): state fields `<name>_<suffix>`.
    pub state: TokenStream,
    /// The layer's name.
    pub name: Ident,
}

/// A tensor a layer saves in the cache: field `<name>_<suffix>`.
pub struct Saved {
    pub suffix: &'static str,
    pub shape: Shape,
    /// `[shape; B]` if true, `shape` once per batch otherwise.
    pub per_sample: bool,
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
