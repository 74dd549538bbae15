//! The memory a network needs, as `const fn`s of its type: bytes of the
//! parameters, of the inference workspace, of the training cache for a batch
//! size, and of a whole training setup. Usable in `const` items and array
//! lengths, and by the `#[budget(...)]` attribute of `network!`, which fails
//! compilation when a declaration needs more than its budget.
//!
//! ```
//! # use staticnet_runtime as staticnet;
//! use staticnet::memory;
//! # fn demo<N: staticnet::Network>() {
//! // Parameters in RAM plus the single-sample workspace:
//! let inference = memory::state_bytes::<N>() + memory::workspace_bytes::<N>();
//! // Parameters, gradients, Adam's two moments and a cache for batches of 8:
//! let training = memory::training_bytes::<N, 8>(2);
//! # }
//! ```

use crate::weights::Msg;
use crate::Network;
use core::mem::size_of;

/// Bytes of the parameters and buffers (the network struct).
pub const fn state_bytes<N: Network>() -> usize {
    size_of::<N>()
}

/// Bytes of the single-sample inference workspace.
pub const fn workspace_bytes<N: Network>() -> usize {
    size_of::<N::Workspace>()
}

/// Bytes of the training cache for batches of `B`.
pub const fn cache_bytes<N: Network, const B: usize>() -> usize {
    size_of::<N::Cache<B>>()
}

/// Bytes of a training setup at batch `B`: parameters, gradients, an
/// optimizer with `optimizer_slots` values per parameter
/// ([`Optimizer::state_slots`](crate::optim::Optimizer::state_slots): 0 for
/// SGD, 1 with momentum, 2 for Adam) and the cache.
pub const fn training_bytes<N: Network, const B: usize>(optimizer_slots: usize) -> usize {
    2 * size_of::<N>() + optimizer_slots * N::PARAMS * 4 + size_of::<N::Cache<B>>()
}

/// The check `#[budget(key = bytes)]` generates: a compile-time panic with
/// what the network needs when it is over `budget`.
#[doc(hidden)]
pub const fn check_budget(net: &str, key: &str, state: usize, workspace: usize, budget: usize) {
    let needed = match key.as_bytes() {
        b"state" => state,
        b"workspace" => workspace,
        _ => state + workspace,
    };
    if needed <= budget {
        return;
    }
    let mut m = Msg::new();
    m.str("network `")
        .str(net)
        .str("` needs ")
        .num(needed as u64);
    m.str(" bytes of `").str(key).str("`");
    if needed == state + workspace && state > 0 && workspace > 0 {
        m.str(" (state ").num(state as u64);
        m.str(" + workspace ").num(workspace as u64).str(")");
    }
    m.str(", over its budget of ").num(budget as u64);
    panic!("{}", m.as_str());
}
