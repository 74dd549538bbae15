//! The MNIST set the epoch benchmarks read: the full set from `MNIST_DIR`
//! (`scripts/bench.py --mnist DIR` sets it), else the slice the repository
//! ships. The benchmark names carry the number of images, so a slice run is
//! never mistaken for a full-set one.

use staticnet::data::mnist::Mnist;
use std::path::PathBuf;

/// Loads the set; exits with a message naming the directory if it fails.
pub fn mnist() -> Mnist {
    let dir = match std::env::var_os("MNIST_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            eprintln!("note: MNIST_DIR is not set: the epoch benchmarks use the 10,000-image slice in data/mnist");
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))
        }
    };
    Mnist::load(&dir).unwrap_or_else(|e| {
        eprintln!("error: cannot load MNIST from {}: {e}", dir.display());
        std::process::exit(1)
    })
}
