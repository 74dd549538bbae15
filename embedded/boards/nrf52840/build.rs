//! Puts `memory.x` where the linker finds it and passes the linker scripts
//! (cortex-m-rt's `link.x`, defmt's `defmt.x`); writes into `OUT_DIR` the
//! first test image of each digit 0-9 from the repository's MNIST slice
//! (`digits.bin`: ten 28x28 images, one byte a pixel, in label order), which
//! `main.rs` embeds with `include_bytes!`.

use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

fn gunzip(path: &Path) -> Vec<u8> {
    println!("cargo:rerun-if-changed={}", path.display());
    let mut out = Vec::new();
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    GzDecoder::new(file)
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    out
}

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    std::fs::copy("memory.x", out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    for script in ["link.x", "defmt.x"] {
        println!("cargo:rustc-link-arg-bins=-T{script}");
    }
    println!("cargo:rustc-link-arg-bins=--nmagic");

    // IDX files: a big-endian header (magic, count[, rows, cols]), then bytes.
    let mnist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../data/mnist");
    let images = gunzip(&mnist.join("t10k-images-idx3-ubyte.gz"));
    let labels = gunzip(&mnist.join("t10k-labels-idx1-ubyte.gz"));
    assert_eq!(images[..4], [0, 0, 8, 3], "not an IDX image file");
    assert_eq!(labels[..4], [0, 0, 8, 1], "not an IDX label file");
    assert_eq!(
        images[8..16],
        [0, 0, 0, 28, 0, 0, 0, 28],
        "not 28x28 images"
    );
    let (images, labels) = (&images[16..], &labels[8..]);
    let mut digits = Vec::with_capacity(10 * 784);
    for digit in 0..10u8 {
        let i = labels
            .iter()
            .position(|&l| l == digit)
            .expect("a digit missing");
        digits.extend_from_slice(&images[i * 784..(i + 1) * 784]);
    }
    std::fs::write(out.join("digits.bin"), digits).unwrap();
}
