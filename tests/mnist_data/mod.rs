//! Where the MNIST tests find their data: the slice the repository ships, and
//! the full set, which only the `#[ignore]`d full-set tests read, from
//! `MNIST_DIR` (`.ci/run` sets it and runs them with `--ignored`).
#![allow(dead_code)]

use std::path::PathBuf;

/// The first 10,000 training and 2,000 test images, shipped in `data/mnist`.
pub const SLICE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist");

/// The full set's directory from `MNIST_DIR`. Panics (failing the test) when
/// it is not set: a full-set test never passes without its data.
pub fn full_set_dir() -> PathBuf {
    match std::env::var_os("MNIST_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => panic!(
            "this test needs the full MNIST set: set MNIST_DIR to a directory holding \
             train-images-idx3-ubyte.gz and the three other files (`.ci/run` does)"
        ),
    }
}
