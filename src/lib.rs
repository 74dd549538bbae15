//! staticnet: neural networks declared with [`network!`]. Shapes are computed
//! and checked while the macro expands; the generated code runs on fixed-size
//! arrays and never allocates, so the same declaration trains on a laptop and
//! runs on a `no_std` microcontroller.
//!
//! ```
//! staticnet::network! {
//!     /// Classifies 28x28 digits.
//!     pub struct Mlp {
//!         input: [784],
//!         dense(128), relu,
//!         dense(10),
//!     }
//! }
//! use staticnet::Network;
//! # #[cfg(feature = "std")] {
//! let net = Mlp::new_boxed(42);
//! let mut ws = Mlp::new_workspace();
//! let logits: &[f32; 10] = net.forward(&[0.5; 784], &mut ws);
//! assert!(logits.iter().all(|v| v.is_finite()));
//! # }
//! ```
//!
//! One training step on a batch of 32, as `train::Trainer` runs it (and
//! as a `no_std` program writes it):
//!
//! ```
//! # #[cfg(feature = "std")] {
//! # staticnet::network! { pub struct Mlp { input: [784], dense(128), relu, dense(10) } }
//! use staticnet::{loss, optim::{Optimizer, Sgd}, Mode, Network};
//!
//! let mut net = Mlp::new_boxed(42);       // He/Xavier init: same seed, same bits
//! let mut grads = Mlp::zeroed_boxed();    // gradients have the network's type
//! let mut cache = Mlp::new_cache::<32>(); // activations of a batch of 32, for backward
//! let mut opt = Sgd::new(0.05).with_momentum(0.9);
//! let mut state = vec![0.0; opt.state_slots() * Mlp::PARAMS]; // the momentum buffer
//!
//! let x: Box<[[f32; 784]; 32]> = bytemuck::zeroed_box();
//! let labels = [3usize; 32];
//! let mut grad_out = [[0.0f32; 10]; 32]; // the loss's gradient for each logit
//! let logits = net.forward_batch(&x, &mut cache, Mode::Train);
//! let l = loss::softmax_cross_entropy(
//!     staticnet::flat(logits), &labels, 10, staticnet::flat_mut(&mut grad_out));
//! net.backward(&x, &mut cache, &grad_out, &mut grads, None); // overwrites `grads`
//! opt.step(net.params_mut(), grads.params(), &mut state);
//! assert!(l > 0.0);
//! # }
//! ```
//!
//! The generated code finds staticnet under the name the user's `Cargo.toml`
//! gives it (`sn = { package = "staticnet", ... }`, then `sn::network!`). A
//! crate that re-exports staticnet, which `Cargo.toml` cannot tell, gives the
//! path with `#[staticnet(crate = "...")]`, like serde's `#[serde(crate)]`:
//!
//! ```
//! mod my_lib {
//!     pub use staticnet::*;
//! }
//! my_lib::network! {
//!     #[staticnet(crate = "my_lib")]
//!     pub struct Tiny { input: [2], dense(1) }
//! }
//! # use staticnet::Network;
//! assert_eq!(Tiny::PARAMS, 3);
//! ```
#![no_std]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate std;

pub use staticnet_macros::network;
pub use staticnet_runtime::{chain_backward, chain_forward, Feeds, Mode, Network, Rng};
pub use staticnet_runtime::{
    flat, flat_mut, init, kernels, layers, loss, math, memory, optim, quant, threads,
};

pub mod data;
#[cfg(feature = "std")]
pub mod parallel;
#[cfg(feature = "std")]
pub mod quantize;
#[cfg(feature = "std")]
pub mod train;
pub mod weights;

/// Paths used by the code `network!` generates. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use bytemuck;
    #[cfg(target_has_atomic = "8")]
    pub use static_cell;
    pub use staticnet_runtime as rt;
}

/// A `&'static mut` to a value in its own `static`, without `unsafe`: for
/// `no_std` programs, which keep networks, workspaces and training caches
/// (often hundreds of KB) in statics rather than on the stack or a heap.
///
/// - `singleton!(Type)` starts from `<Type>::ZEROED`, which every generated
///   type has (`Mlp`, `MlpWorkspace`, `MlpCache<B>`, `MlpStream`), as may
///   your own types.
/// - `singleton!(Type = EXPR)` starts from any constant expression.
///
/// Each use expands to a block with its own `static`, initialised while
/// compiling: a zeroed value lies in `.bss`, costs no flash, and never passes
/// through the stack. The block evaluates to `Option<&'static mut Type>`:
/// `Some` the first time it runs, `None` every time after (the reference is
/// unique, so it can be handed out once). `Type` cannot name generic
/// parameters of the enclosing function.
///
/// ```
/// staticnet::network! {
///     pub struct Mlp { input: [16], dense(32), relu, dense(4) }
/// }
/// use staticnet::{Mode, Network};
///
/// fn workspace() -> Option<&'static mut MlpWorkspace> {
///     staticnet::singleton!(MlpWorkspace)
/// }
///
/// /// Everything on-device training needs, in one `static`.
/// struct Training {
///     net: Mlp,
///     grads: Mlp,
///     cache: MlpCache<8>,
/// }
///
/// let ws = workspace().unwrap();
/// assert!(workspace().is_none(), "a second call gets nothing");
///
/// let t = staticnet::singleton!(Training = Training {
///     net: Mlp::ZEROED,
///     grads: Mlp::ZEROED,
///     cache: MlpCache::ZEROED,
/// })
/// .unwrap();
/// t.net.init(42);
/// let y = t.net.forward(&[0.5; 16], ws);
/// assert!(y.iter().all(|v| v.is_finite()));
/// t.net.forward_batch(&[[0.5; 16]; 8], &mut t.cache, Mode::Train);
/// ```
///
/// The value sits in static_cell's `ConstStaticCell` beside a one-byte flag
/// (4 or 8 bytes with padding), set by an atomic compare-and-swap, which
/// Cortex-M3, M4, M7 and M33 (`thumbv7m`, `thumbv7em`, `thumbv8m`) have.
/// Targets without (`thumbv6m`: Cortex-M0/M0+) do not get `singleton!` (a
/// compile error there; staticnet itself builds, without static_cell). There,
/// depend on static_cell with portable-atomic's `critical-section` feature
/// and a critical-section implementation (cortex-m's
/// `critical-section-single-core`), and write what `singleton!` expands to:
/// `static WS: ConstStaticCell<MlpWorkspace> =
/// ConstStaticCell::new(MlpWorkspace::ZEROED);`, then `WS.try_take()`.
/// (`cortex_m::singleton!` evaluates its value at run time, on the stack.)
#[cfg(target_has_atomic = "8")]
#[macro_export]
macro_rules! singleton {
    ($ty:ty) => {
        $crate::singleton!(
            $ty = {
                // `Network::ZEROED` for network types; inherent `ZEROED` for the others.
                #[allow(unused_imports)]
                use $crate::Network as _;
                <$ty>::ZEROED
            }
        )
    };
    ($ty:ty = $value:expr) => {{
        static __STATICNET_SINGLETON: $crate::__private::static_cell::ConstStaticCell<$ty> =
            $crate::__private::static_cell::ConstStaticCell::new($value);
        __STATICNET_SINGLETON.try_take()
    }};
}

/// `singleton!` needs atomic compare-and-swap, which this target lacks.
#[cfg(not(target_has_atomic = "8"))]
#[doc(hidden)]
#[macro_export]
macro_rules! singleton {
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "`staticnet::singleton!` needs atomic compare-and-swap, which this target lacks \
             (thumbv6m); its documentation shows a `static_cell::ConstStaticCell` with \
             portable-atomic's `critical-section` feature instead"
        )
    };
}

// The README's code blocks are doc tests: `cargo test --doc -p staticnet`
// compiles and runs every ```rust block of it.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
