//! The layer kinds, one file each (the file name is the DSL keyword and the
//! runtime's kernel file), and the registry that maps keywords to them.
//! Shared code of several kinds: `elementwise.rs`, `pool.rs`, `recurrent.rs`.

pub mod avgpool2d;
pub mod batchnorm;
pub mod conv1d;
pub mod conv2d;
pub mod dense;
pub mod dropout;
mod elementwise;
pub mod embedding;
pub mod flatten;
pub mod gelu;
pub mod global_avgpool;
pub mod gru;
pub mod layernorm;
pub mod leaky_relu;
pub mod lstm;
pub mod maxpool2d;
pub mod mean_pool;
pub mod multihead_attention;
pub mod patchify;
mod pool;
pub mod pos_embedding;
mod recurrent;
pub mod relu;
pub mod residual;
pub mod rnn;
pub mod sigmoid;
pub mod softmax;
pub mod tanh;

use crate::ast::LayerDef;
use crate::layers::Layer;

/// Builds a layer from its declaration, checking its arguments.
pub type Ctor = fn(&LayerDef) -> syn::Result<Box<dyn Layer>>;

/// A registry entry: what is known of a kind before its arguments are.
pub struct Kind {
    /// The DSL keyword; internal kinds (written by the parser, never by
    /// users) start with `__`.
    pub keyword: &'static str,
    pub build: Ctor,
    /// Whether the layer reads token ids (`embedding`): only such a layer
    /// may follow `input: tokens[T]`, and only there. Known before the
    /// shapes, since the token check comes first.
    pub takes_tokens: bool,
}

impl Kind {
    /// The name in messages, default layer names, the summary and the
    /// weights manifest: the keyword without a leading `__`.
    pub fn name(&self) -> &'static str {
        self.keyword.trim_start_matches("__")
    }
}

const fn kind(keyword: &'static str, build: Ctor) -> Kind {
    Kind {
        keyword,
        build,
        takes_tokens: false,
    }
}

/// Every DSL keyword, in the order "expected one of" lists them.
pub const KINDS: &[Kind] = &[
    kind("dense", dense::build),
    kind("relu", relu::build),
    kind("leaky_relu", leaky_relu::build),
    kind("sigmoid", sigmoid::build),
    kind("tanh", tanh::build),
    kind("gelu", gelu::build),
    kind("softmax", softmax::build),
    kind("dropout", dropout::build),
    kind("flatten", flatten::build),
    kind("conv2d", conv2d::build),
    kind("conv1d", conv1d::build),
    kind("maxpool2d", maxpool2d::build),
    kind("avgpool2d", avgpool2d::build),
    kind("global_avgpool", global_avgpool::build),
    kind("batchnorm", batchnorm::build),
    Kind {
        keyword: "embedding",
        build: embedding::build,
        takes_tokens: true,
    },
    kind("rnn", rnn::build),
    kind("lstm", lstm::build),
    kind("gru", gru::build),
    kind("layernorm", layernorm::build),
    kind("multihead_attention", multihead_attention::build),
    kind("pos_embedding", pos_embedding::build),
    kind("patchify", patchify::build),
    kind("mean_pool", mean_pool::build),
    kind("residual", residual::build),
    kind(residual::END, residual::build_end),
];

/// Looks a keyword up in [`KINDS`].
pub fn lookup(keyword: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.keyword == keyword)
}
