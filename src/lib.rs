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
//! One training step on a batch of 32 (the README's tour explains each line):
//!
//! ```
//! # #[cfg(feature = "std")] {
//! # staticnet::network! { pub struct Mlp { input: [784], dense(128), relu, dense(10) } }
//! use staticnet::{loss, optim::{Optimizer, Sgd}, Mode, Network};
//!
//! let mut net = Mlp::new_boxed(42);
//! let mut grads = Mlp::zeroed_boxed();
//! let mut cache = Mlp::new_cache::<32>();
//! let mut opt = Sgd::new(0.05).with_momentum(0.9);
//! let mut state = vec![0.0; opt.state_slots() * Mlp::PARAMS];
//!
//! let x: Box<[[f32; 784]; 32]> = bytemuck::zeroed_box();
//! let labels = [3usize; 32];
//! let mut grad_out = [[0.0f32; 10]; 32];
//! let logits = net.forward_batch(&x, &mut cache, Mode::Train);
//! let l = loss::softmax_cross_entropy(
//!     staticnet::flat(logits), &labels, 10, staticnet::flat_mut(&mut grad_out));
//! net.backward(&x, &mut cache, &grad_out, &mut grads, None);
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
    flat, flat_mut, init, kernels, layers, loss, math, memory, optim, threads,
};

#[cfg(feature = "std")]
pub mod data;
#[cfg(feature = "std")]
pub mod parallel;
#[cfg(feature = "std")]
pub mod train;
pub mod weights;

/// Paths used by the code `network!` generates. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use bytemuck;
    pub use staticnet_runtime as rt;
}

// The README's code blocks are doc tests: `cargo test --doc -p staticnet`
// compiles and runs every ```rust block of it.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
