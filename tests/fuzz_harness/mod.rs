//! What the fuzz targets check, shared with the regression test that replays
//! their interesting inputs (`tests/fuzz_regressions.rs`, `fuzz/`). Each
//! function must not panic, hang or allocate beyond a small multiple of the
//! input, whatever the bytes; the properties below are asserted.

use staticnet::data::mnist::{parse_idx, IMAGES_MAGIC, LABELS_MAGIC};
use staticnet::weights::{self, safetensors as st};
use staticnet::Network;

staticnet::network! {
    /// The sine network (`tests/fixtures/sine.bin`).
    pub struct Sine { input: [1], dense(16), tanh, dense(16), tanh, dense(1) }
}

staticnet::network! {
    /// Convolution, batch norm (buffers), a named layer.
    pub struct Small {
        input: [1, 5, 5],
        conv2d(2, 3), batchnorm, relu,
        flatten,
        head: dense(3, bias = false),
    }
}

/// The binary loader: a file `load` accepts is exactly what `save` writes for
/// the loaded values (the format is canonical), the compile-time check agrees
/// with the run-time one, and every error has a message.
pub fn weights_binary(data: &[u8]) {
    binary_into::<Sine>(data);
    binary_into::<Small>(data);
}

fn binary_into<N: Network>(data: &[u8]) {
    let mut net = N::zeroed_boxed();
    let full = weights::load(data, &mut *net);
    let header = weights::check_const(data, &N::ARCH);
    match full {
        Ok(()) => {
            assert!(header.is_ok(), "load accepted what check_const refused");
            let again = weights::to_vec(&*net).expect("loaded values save");
            assert_eq!(again, data, "an accepted file is not canonical");
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// The safetensors loader: strict and lenient imports either fail with a
/// message or load values that export and re-import unchanged.
pub fn weights_safetensors(data: &[u8]) {
    safetensors_into::<Sine>(data);
    safetensors_into::<Small>(data);
}

fn safetensors_into<N: Network>(data: &[u8]) {
    for opts in [st::Options::strict(), st::Options::lenient()] {
        let mut net = N::zeroed_boxed();
        match st::load_with(data, &mut *net, opts) {
            Ok(_) => {
                let bytes = st::to_bytes(&*net).expect("loaded values export");
                let mut copy = N::zeroed_boxed();
                st::load(&bytes, &mut *copy).expect("an export re-imports");
                assert_eq!(
                    bytemuck::cast_slice::<f32, u32>(net.state()),
                    bytemuck::cast_slice::<f32, u32>(copy.state())
                );
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

/// The IDX parser: accepted data is exactly the product of the dimensions.
pub fn idx(data: &[u8]) {
    let magic = data
        .get(..4)
        .map_or(0, |m| u32::from_be_bytes([m[0], m[1], m[2], m[3]]));
    for expected in [IMAGES_MAGIC, LABELS_MAGIC, magic] {
        match parse_idx(data, expected) {
            Ok((dims, body)) => {
                assert_eq!(dims.iter().product::<usize>(), body.len());
                assert_eq!(dims.len(), usize::from(expected.to_le_bytes()[0]));
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}
