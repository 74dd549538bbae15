//! Imports every fixture into `OUT_DIR`, as a user's build script would.

/// The fixtures, one name a line (`scripts/onnx_fixtures.py` writes them).
const FIXTURES: &str = include_str!("../tests/fixtures/names.txt");

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo::rerun-if-changed=../tests/fixtures/names.txt");
    for name in FIXTURES.lines() {
        let model = format!("../tests/fixtures/{name}.onnx");
        println!("cargo::rerun-if-changed={model}");
        if let Err(e) = staticnet_import::generate(&model, &out) {
            panic!("{model}: {e}");
        }
    }
}
