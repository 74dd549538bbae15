//! Saving and loading parameters in staticnet's checked binary format, with
//! no allocation (`no_std`).
//!
//! A file is a header, a manifest describing the architecture, and the
//! values; every integer and `f32` is little-endian:
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 8 | magic `STATICNT` |
//! | 8 | 4 | format version, 1 |
//! | 12 | 4 | CRC-32 (IEEE) of every byte from offset 16 to the end |
//! | 16 | 4 | header length: 48 + manifest, rounded up to 16 |
//! | 20 | 4 | flags, 0 |
//! | 24 | 8 | architecture fingerprint (FNV-1a 64 of the manifest) |
//! | 32 | 8 | trainable `f32`s |
//! | 40 | 8 | buffer `f32`s |
//! | 48 | .. | manifest, zero padding |
//! | header length | 4 × values | [`Network::state`] |
//!
//! The manifest: the input shape; the layer count and per layer its name,
//! kind, hyper-parameters and output shape; the tensor count and per tensor
//! its layer, attribute, shape and a flag (1 trainable, 0 buffer). A string
//! is a `u32` length and UTF-8 bytes, a shape a `u32` rank and `u64`
//! dimensions.
//!
//! [`load`] checks, in order: length, magic, version, the header's own
//! lengths against the file's, the checksum, the manifest against the
//! network (naming the first difference: `layer dense1: `weight` expected
//! [10, 128], file has [10, 64]`), and that every value is finite. It writes
//! nothing unless every check passes. A header claiming a huge size is a
//! [`LoadError::Length`]; nothing is ever allocated.
//!
//! ```
//! # use staticnet_runtime as staticnet;
//! use staticnet::weights;
//! # fn demo<N: staticnet::Network>(net: &N, copy: &mut N) {
//! let mut buf = [0u8; 4096];
//! let n = weights::save(net, &mut buf).unwrap();
//! weights::load(&buf[..n], copy).unwrap();
//! # }
//! ```
#![allow(
    clippy::result_large_err,
    reason = "no_std has no Box: errors carry names and shapes inline (a few hundred bytes, on a cold path)"
)]

mod arch;
mod decode;
mod error;

pub use crate::raw::{embedded, Aligned};
pub use arch::{Arch, LayerInfo, TensorInfo};
pub use error::{Dims, LoadError, Mismatch, Msg, SaveError, Text, MAX_RANK, TEXT_LEN};

use crate::Network;
use arch::Sink;

/// What a file embedded with `include_weights!` is checked against while
/// compiling: a float network's architecture or an int8 network's
/// fingerprint ([`crate::quant::file`]).
#[derive(Clone, Copy, Debug)]
pub enum Layout {
    /// A float network (this module's format).
    Float(Arch),
    /// An int8 network (`quant::file`'s format).
    Int8 {
        /// [`crate::quant::file::Quantized::FINGERPRINT`].
        fingerprint: u64,
    },
}

/// A network whose weights file can be embedded and used in place: every
/// float network, and the int8 networks `network!` generates.
pub trait Embedded: bytemuck::Pod {
    /// What the file must match.
    const LAYOUT: Layout;
}

impl<N: Network> Embedded for N {
    const LAYOUT: Layout = Layout::Float(N::ARCH);
}

/// The magic number at offset 0.
pub const MAGIC: [u8; 8] = *b"STATICNT";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;
/// Bytes of the fixed part of the header.
pub const HEADER: usize = 48;

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC-32 (IEEE 802.3, as zlib's `crc32`) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c = CRC_TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// Bytes of the header (fixed part, manifest, padding) for `arch`.
pub const fn header_len(arch: &Arch) -> usize {
    (HEADER + arch.manifest_len()).next_multiple_of(16)
}

/// Bytes of a weights file of `N`.
pub const fn encoded_len<N: Network>() -> usize {
    header_len(&N::ARCH) + 4 * (N::PARAMS + N::BUFFERS)
}

/// The first NaN or infinite value, as (tensor, index).
fn first_non_finite(arch: &Arch, state: &[f32]) -> Option<(&'static TensorInfo, usize)> {
    arch.tensors.iter().find_map(|t| {
        state[t.offset..t.offset + t.len()]
            .iter()
            .position(|v| !v.is_finite())
            .map(|i| (t, i))
    })
}

/// Writes `net`'s parameters and buffers into `out`; returns the bytes
/// written, [`encoded_len`]. Refuses NaN and infinite values, which [`load`]
/// would refuse.
pub fn save<N: Network>(net: &N, out: &mut [u8]) -> Result<usize, SaveError> {
    save_arch(&N::ARCH, net.state(), out)
}

/// [`save`] from an architecture and its state vector (parameters, then
/// buffers, at the offsets `arch` gives), for tools that have no network type
/// (the ONNX importer). A `state` of another length than the architecture's
/// tensors is [`SaveError::StateLen`].
pub fn save_arch(arch: &Arch, state: &[f32], out: &mut [u8]) -> Result<usize, SaveError> {
    let (params, buffers) = (arch.params(), arch.buffers());
    if state.len() != params + buffers {
        return Err(SaveError::StateLen {
            expected: params + buffers,
            found: state.len(),
        });
    }
    let (header_len, needed) = (header_len(arch), header_len(arch) + 4 * state.len());
    if out.len() < needed {
        return Err(SaveError::BufferTooSmall {
            needed,
            found: out.len(),
        });
    }
    if let Some((t, index)) = first_non_finite(arch, state) {
        return Err(SaveError::NonFinite {
            layer: t.layer,
            attr: t.attr,
            index,
        });
    }
    let out = &mut out[..needed];
    out[..header_len].fill(0);
    out[..8].copy_from_slice(&MAGIC);
    out[8..12].copy_from_slice(&VERSION.to_le_bytes());
    out[16..20].copy_from_slice(&(header_len as u32).to_le_bytes());
    out[24..32].copy_from_slice(&arch.fingerprint().to_le_bytes());
    out[32..40].copy_from_slice(&(params as u64).to_le_bytes());
    out[40..48].copy_from_slice(&(buffers as u64).to_le_bytes());
    arch.write_manifest(&mut Sink::new(&mut out[HEADER..header_len], true));
    for (dst, v) in out[header_len..].chunks_exact_mut(4).zip(state) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
    let crc = crc32(&out[16..]);
    out[12..16].copy_from_slice(&crc.to_le_bytes());
    Ok(needed)
}

/// Checks `bytes` as a weights file of `N` without loading it: every check of
/// [`load`]. Returns the header length (where the values start).
pub fn check<N: Network>(bytes: &[u8]) -> Result<usize, LoadError> {
    let h = decode::header(bytes)?;
    let computed = crc32(&bytes[16..]);
    if computed != h.crc {
        return Err(LoadError::Checksum {
            stored: h.crc,
            computed,
        });
    }
    decode::compare(bytes, &h, &N::ARCH)?;
    let values = bytes[h.header_len..].chunks_exact(4);
    for t in N::ARCH.tensors {
        let start = t.offset * 4;
        let tensor = bytes[h.header_len + start..].chunks_exact(4).take(t.len());
        if let Some(index) = tensor
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .position(|v| !v.is_finite())
        {
            return Err(LoadError::NonFinite {
                layer: t.layer,
                attr: t.attr,
                index,
            });
        }
    }
    debug_assert_eq!(values.len(), N::PARAMS + N::BUFFERS);
    Ok(h.header_len)
}

/// Loads a file written by [`save`] into `net` (parameters and buffers).
/// On error `net` is unchanged.
pub fn load<N: Network>(bytes: &[u8], net: &mut N) -> Result<(), LoadError> {
    let header_len = check::<N>(bytes)?;
    for (dst, b) in net
        .state_mut()
        .iter_mut()
        .zip(bytes[header_len..].chunks_exact(4))
    {
        *dst = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    Ok(())
}

/// Checks the header and manifest of `bytes` against `arch` in a `const`
/// context (no checksum and no value scan, which would be too slow for
/// compile-time evaluation). Returns the header length.
pub const fn check_const(bytes: &[u8], arch: &Arch) -> Result<usize, LoadError> {
    let h = match decode::header(bytes) {
        Ok(h) => h,
        Err(e) => return Err(e),
    };
    match decode::compare(bytes, &h, arch) {
        Ok(()) => Ok(h.header_len),
        Err(e) => Err(e),
    }
}
