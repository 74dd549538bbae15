//! The layer kinds: one [`Layer`] implementation per file in `expand/`, and
//! the registry that maps DSL keywords to them. Adding a layer kind is adding
//! a file and one line to [`KINDS`].

use crate::ast::LayerDef;
use crate::expand;
use crate::shape::{Shape, ShapeError};
use proc_macro2::TokenStream;

/// Builds a layer from its declaration, checking its arguments.
pub type Ctor = fn(&LayerDef) -> syn::Result<Box<dyn Layer>>;

/// Every DSL keyword, in the order "expected one of" lists them.
pub const KINDS: &[(&str, Ctor)] = &[
    ("dense", expand::dense::build),
    ("relu", expand::relu::build),
    ("leaky_relu", expand::leaky_relu::build),
    ("sigmoid", expand::sigmoid::build),
    ("tanh", expand::tanh::build),
    ("gelu", expand::gelu::build),
    ("softmax", expand::softmax::build),
    ("dropout", expand::dropout::build),
    ("flatten", expand::flatten::build),
];

/// What the network generator needs from a layer kind.
pub trait Layer {
    /// The DSL keyword, used in messages, default names and the summary.
    fn kind(&self) -> &'static str;
    /// The per-sample output shape for a per-sample input shape.
    fn output_shape(&self, input: &Shape) -> Result<Shape, ShapeError>;
    /// The parameter block, if the layer has parameters.
    fn params(&self, _input: &Shape, _output: &Shape) -> Option<Params> {
        None
    }
    /// Whether the cache needs a mask tensor of the output's shape (dropout).
    fn needs_mask(&self) -> bool {
        false
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
}

/// A layer's parameter block: one field of the network struct.
pub struct Params {
    /// The field's type, e.g. `rt::layers::Dense<784, 128>`.
    pub ty: TokenStream,
    /// A constant expression of that type with every value 0.
    pub zeroed: TokenStream,
    /// Number of `f32`s.
    pub count: usize,
    /// Field documentation: tensor names and shapes.
    pub doc: String,
    /// Statements initialising `cx.params` from `rng` (`he` tells whether a
    /// ReLU-like activation follows).
    pub init: fn(cx: &Cx, he: bool) -> TokenStream,
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
    /// Mask tensor (see [`Layer::needs_mask`]): `&mut [f32]` in forward, `&[f32]` in backward.
    pub mask: TokenStream,
    /// `&mut Rng` for training-mode randomness.
    pub rng: TokenStream,
    /// The `Mode` expression, or `None` where only inference is possible.
    pub mode: Option<TokenStream>,
}

/// Looks a keyword up in [`KINDS`].
pub fn lookup(kind: &str) -> Option<Ctor> {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, c)| *c)
}
