//! Weights in and out.
//!
//! - The checked binary format of the runtime ([`save`], [`load`], `no_std`,
//!   no allocation): a header with magic, version, architecture fingerprint,
//!   counts and CRC-32, then a manifest of every layer and tensor, so that a
//!   mismatch names what differs.
//! - Files ([`save_file`], [`load_file`], feature `std`).
//! - [`safetensors`] import and export with PyTorch `state_dict` names
//!   (feature `std`).
//! - [`include_weights!`](crate::include_weights): a weights file embedded
//!   at compile time and used in place (flash on a microcontroller), checked
//!   against the network while compiling.
//!
//! ```
//! # #[cfg(feature = "std")] {
//! staticnet::network! { struct Tiny { input: [3], dense(4), relu, dense(2) } }
//! use staticnet::{weights, Network};
//!
//! let net = Tiny::new_boxed(7);
//! let bytes = weights::to_vec(&*net).unwrap();
//! let mut copy = Tiny::zeroed_boxed();
//! weights::load(&bytes, &mut *copy).unwrap();
//! assert_eq!(net.state(), copy.state());
//!
//! // Another architecture: a typed error naming the difference.
//! staticnet::network! { struct Wider { input: [3], dense(5), relu, dense(2) } }
//! let err = weights::load(&bytes, &mut *Wider::zeroed_boxed()).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "architecture differs: layer dense0: `weight` expected [5, 3], file has [4, 3]"
//! );
//! # }
//! ```

pub use staticnet_runtime::weights::*;

#[cfg(feature = "std")]
mod atomic;
#[cfg(feature = "std")]
mod file;
#[cfg(feature = "std")]
pub mod safetensors;

#[cfg(feature = "std")]
pub use atomic::write_atomic;
#[cfg(feature = "std")]
pub use file::{load_file, load_int8_file, save_file, save_int8_file, to_vec, FileError};

/// A `&'static` network whose parameters are a weights file embedded in the
/// binary (`include_bytes!`), used in place: no copy to RAM, so on a
/// microcontroller the weights stay in flash.
///
/// `include_weights!(Net, "path/to/net.bin")`, the path relative to the
/// current file as for `include_bytes!` (or any expression it takes, such as
/// `concat!(env!("OUT_DIR"), "/net.bin")`). The file's header and manifest are
/// checked against `Net` while compiling: a file saved from another
/// architecture fails the build with the message [`load`] would give
/// (`weights file does not match the network: architecture differs: layer
/// dense1: ...`). The checksum and value scan are left to run time:
/// [`check`] them in a test.
///
/// ```
/// staticnet::network! {
///     pub struct Sine { input: [1], dense(16), tanh, dense(16), tanh, dense(1) }
/// }
/// // A file written by `weights::save_file` (here the repository's fixture).
/// static NET: &Sine = staticnet::include_weights!(Sine, "../../tests/fixtures/sine.bin");
///
/// use staticnet::Network;
/// let mut ws = SineWorkspace::ZEROED;
/// let y = NET.forward(&[0.5], &mut ws);
/// assert!(y[0].is_finite());
/// ```
#[macro_export]
macro_rules! include_weights {
    ($net:ty, $path:expr $(,)?) => {{
        const LEN: usize = ::core::include_bytes!($path).len();
        static FILE: $crate::weights::Aligned<LEN> =
            $crate::weights::Aligned(*::core::include_bytes!($path));
        static NET: &$net = $crate::weights::embedded::<$net, LEN>(&FILE);
        NET
    }};
}
