//! Host side of the wasm check: runs the network of `src/net.rs` with the
//! weights the module embeds, on the host (the `std` facade, the host's
//! kernels), and writes the inputs and outputs into `OUT_DIR/expected.rs`
//! for the module to carry; `check.mjs` compares them with the module's.

use staticnet::{weights, Network};
use std::fmt::Write as _;
use std::path::PathBuf;

include!("src/net.rs");

/// Inputs: 64 points over [-2 pi, 2 pi), beyond the trained range too.
const POINTS: usize = 64;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/sine.bin");
    println!("cargo:rerun-if-changed={file}");
    println!("cargo:rerun-if-changed=src/net.rs");
    let mut net = Sine::zeroed_boxed();
    if let Err(e) = weights::load_file(file, &mut *net) {
        panic!("{file}: {e}");
    }
    let mut ws = Sine::new_workspace();
    let tau = core::f32::consts::TAU;
    let xs: Vec<f32> = (0..POINTS)
        .map(|i| (i as f32 + 0.5) / POINTS as f32 * 2.0 * tau - tau)
        .collect();
    let ys: Vec<f32> = xs.iter().map(|&x| net.forward(&[x], &mut ws)[0]).collect();
    let bits = |v: &[f32]| {
        let items: Vec<String> = v.iter().map(|x| format!("0x{:08x}", x.to_bits())).collect();
        items.join(", ")
    };
    let mut rs = String::new();
    writeln!(
        rs,
        "/// Inputs, as `f32` bits.\npub const X: [u32; {POINTS}] = [{}];",
        bits(&xs)
    )
    .unwrap();
    writeln!(
        rs,
        "/// The host's outputs for them.\npub const Y: [u32; {POINTS}] = [{}];",
        bits(&ys)
    )
    .unwrap();
    std::fs::write(out.join("expected.rs"), rs).unwrap();
}
