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
#![no_std]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate std;

pub use staticnet_macros::network;
pub use staticnet_runtime::{flat, flat_mut, init, kernels, layers, loss, math, optim};
pub use staticnet_runtime::{Mode, Network, Rng};

#[cfg(feature = "std")]
pub mod data;
#[cfg(feature = "std")]
pub mod train;

/// Paths used by the code `network!` generates. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use bytemuck;
    pub use staticnet_runtime as rt;
}
