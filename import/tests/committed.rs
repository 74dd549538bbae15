//! The files the README's walk-through commits (`examples/onnx/`) are what
//! the tool writes today from the committed ONNX model: regenerate them with
//! `cargo run -p staticnet-import -- examples/onnx/lenet_mnist.onnx --name LeNet --out examples/onnx`
//! when this fails.

use staticnet_import::{import_file, Options};
use std::path::Path;

#[test]
fn the_walk_through_files_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/onnx");
    let opts = Options {
        name: Some("LeNet".into()),
        ..Options::default()
    };
    let imported = import_file(dir.join("lenet_mnist.onnx"), &opts).unwrap();
    let source = std::fs::read_to_string(dir.join("lenet_mnist.rs")).unwrap();
    assert_eq!(
        imported.source, source,
        "examples/onnx/lenet_mnist.rs is stale"
    );
    let weights = std::fs::read(dir.join("lenet_mnist.bin")).unwrap();
    assert!(
        imported.weights == weights,
        "examples/onnx/lenet_mnist.bin is stale"
    );
}
