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

/// Every DSL keyword, in the order "expected one of" lists them.
pub const KINDS: &[(&str, Ctor)] = &[
    ("dense", dense::build),
    ("relu", relu::build),
    ("leaky_relu", leaky_relu::build),
    ("sigmoid", sigmoid::build),
    ("tanh", tanh::build),
    ("gelu", gelu::build),
    ("softmax", softmax::build),
    ("dropout", dropout::build),
    ("flatten", flatten::build),
    ("conv2d", conv2d::build),
    ("conv1d", conv1d::build),
    ("maxpool2d", maxpool2d::build),
    ("avgpool2d", avgpool2d::build),
    ("global_avgpool", global_avgpool::build),
    ("batchnorm", batchnorm::build),
    ("embedding", embedding::build),
    ("rnn", rnn::build),
    ("lstm", lstm::build),
    ("gru", gru::build),
    ("layernorm", layernorm::build),
    ("multihead_attention", multihead_attention::build),
    ("pos_embedding", pos_embedding::build),
    ("patchify", patchify::build),
    ("mean_pool", mean_pool::build),
    ("residual", residual::build),
    (residual::END, residual::build_end),
];

/// Looks a keyword up in [`KINDS`].
pub fn lookup(kind: &str) -> Option<Ctor> {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, c)| *c)
}
