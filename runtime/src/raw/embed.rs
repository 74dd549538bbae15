//! Weights used in place from read-only memory: a weights file embedded with
//! `include_bytes!` viewed as `&'static N`, checked while compiling.

use crate::weights::{check_const, Embedded, Layout, Msg};

/// Bytes aligned to 16, so that a weights file's values (which start at a
/// multiple of 16) are aligned for `f32`.
#[repr(C, align(16))]
#[derive(Debug)]
pub struct Aligned<const L: usize>(pub [u8; L]);

/// Views an embedded weights file as the network it holds, without a copy:
/// the parameters stay where the file is (flash on a microcontroller).
///
/// Meant for `static` initialisers (see `staticnet::include_weights!`): the
/// checks run during compilation and a file that does not match `N` fails the
/// build with the same message [`load`](crate::weights::load) would give.
/// The checksum and the finiteness of values are not checked here (too slow
/// for compile-time evaluation); [`check`](crate::weights::check) does both
/// at run time.
pub const fn embedded<N: Embedded, const L: usize>(file: &'static Aligned<L>) -> &'static N {
    if cfg!(target_endian = "big") {
        panic!("embedded weights: files are little-endian, the target is big-endian");
    }
    let bytes: &'static [u8] = &file.0;
    let checked = match N::LAYOUT {
        Layout::Float(arch) => check_const(bytes, &arch),
        Layout::Int8 { fingerprint } => {
            match crate::quant::file::check_header(bytes, fingerprint, core::mem::size_of::<N>()) {
                Ok(()) => Ok(crate::quant::file::HEADER),
                Err(e) => Err(e),
            }
        }
    };
    let header_len = match checked {
        Ok(h) => h,
        Err(e) => {
            let mut m = Msg::new();
            m.str("weights file does not match the network: ");
            e.describe(&mut m);
            panic!("{}", m.as_str());
        }
    };
    assert!(header_len.is_multiple_of(16) && core::mem::align_of::<N>() <= 16);
    assert!(L == header_len + core::mem::size_of::<N>());
    // SAFETY: the pointer is in bounds and the `size_of::<N>()` bytes after it
    // are the rest of `file` (asserted just above); it is aligned for `N`
    // because `file` is aligned to 16, `header_len` is a multiple of 16 and
    // `N`'s alignment is at most 16; `N: Pod` makes any bytes a valid `N`
    // (and excludes interior mutability), and the `'static` shared borrow of
    // `file` keeps the bytes alive and unchanged for the returned lifetime.
    // The target is little-endian, the file's byte order.
    unsafe { &*bytes.as_ptr().add(header_len).cast::<N>() }
}
