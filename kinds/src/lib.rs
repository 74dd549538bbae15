//! The one list of staticnet's layer kinds.
//!
//! Adding a layer kind is a file in the macro crate (`dsl/src/kinds/<kind>.rs`),
//! a kernel file in the runtime (`runtime/src/kernels/<kind>.rs`) and one line
//! here. Both crates expand this list: the macro crate into its modules and its
//! registry of keywords, the runtime into its kernel modules and the
//! re-exports of the parameter blocks in `staticnet_runtime::layers`. A crate
//! cannot declare another crate's modules, so the list lives in this crate,
//! which both depend on (as `wasmparser`'s `for_each_operator!` serves the
//! crates that generate code per WebAssembly operator).
//!
//! Each entry is a keyword (the name of both files), followed, for a kind
//! with parameters, by the parameter blocks its kernel file declares with
//! `param_block!` (or re-exports, when kinds share one). The order is the
//! order "expected one of" lists the keywords in.
#![no_std]

/// Calls the macro `$callback` with every layer kind, as
/// `$callback! { keyword { Block, ... }, keyword, ... }`.
///
/// ```
/// macro_rules! keywords {
///     ($($kind:ident $({ $($block:ident),+ })?,)*) => {
///         [$(stringify!($kind)),*]
///     };
/// }
/// let all = staticnet_kinds::for_each_kind!(keywords);
/// assert_eq!(all[0], "dense");
/// assert!(all.contains(&"rmsnorm"));
/// ```
#[macro_export]
macro_rules! for_each_kind {
    ($callback:ident) => {
        $callback! {
            dense { Dense, DenseNoBias },
            relu,
            leaky_relu,
            prelu { PRelu },
            sigmoid,
            tanh,
            gelu,
            relu6,
            hardsigmoid,
            hardswish,
            silu,
            softmax,
            log_softmax,
            dropout,
            flatten,
            conv2d { Conv2d, Conv2dNoBias },
            conv1d { Conv1d, Conv1dNoBias },
            maxpool2d,
            avgpool2d,
            global_avgpool,
            batchnorm { BatchNorm, BatchNormStats },
            embedding { Embedding },
            rnn { Recurrent },
            lstm,
            gru,
            layernorm { LayerNorm },
            rmsnorm { RmsNorm },
            multihead_attention { Attention },
            pos_embedding { PosEmbedding },
            patchify,
            mean_pool,
            residual,
        }
    };
}
