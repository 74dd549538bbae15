//! The `no_std` runtime of staticnet: kernels over slices, losses, optimizers,
//! initialisation and the [`Network`] trait implemented by every network the
//! `network!` macro generates.
//!
//! Every kernel takes flat `&[f32]` slices plus its dimensions as arguments,
//! `debug_assert!`s the lengths and cannot fail. Nothing here allocates; the
//! `std` feature only adds CPU feature detection, `Box` constructors and the
//! optional kernel threads of [`threads`] (started once, at setup).
#![no_std]
#![warn(missing_docs)]

#[cfg(any(feature = "std", test))]
extern crate std;

#[cfg(feature = "std")]
extern crate alloc;

#[cfg(test)]
pub(crate) mod testutil;

pub mod init;
pub mod kernels;
pub mod layers;
pub mod loss;
pub mod math;
pub mod memory;
pub mod network;
pub mod optim;
pub mod quant;
mod raw;
pub mod threads;
pub mod weights;

pub use init::Rng;
pub use network::{chain_backward, chain_forward, flat, flat_mut, Feeds, Mode, Network};
