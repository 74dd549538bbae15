//! Import, export, import again: the same declaration and the same weights,
//! byte for byte, for every fixture. (`scripts/onnx_roundtrip.py` runs the
//! exported models in onnxruntime.)

use staticnet_import::{export::export_arch, import_bytes, import_file, Options};
use std::path::Path;

/// The fixtures, one name a line (`scripts/onnx_fixtures.py` writes them).
const FIXTURES: &str = include_str!("fixtures/names.txt");

#[test]
fn import_export_import_is_the_identity() {
    for name in FIXTURES.lines() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(format!("{name}.onnx"));
        let a = import_file(&path, &Options::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let onnx = export_arch(&a.arch(), &a.state, name)
            .unwrap_or_else(|e| panic!("{name}: export: {e}"));
        let b = import_bytes(&onnx, name, &Options::default())
            .unwrap_or_else(|e| panic!("{name}: re-import: {e}"));
        assert_eq!(
            a.manifest, b.manifest,
            "{name}: the declarations differ:\n{}\n{}",
            a.source, b.source
        );
        assert!(a.weights == b.weights, "{name}: the weights differ");
        assert!(
            a.safetensors == b.safetensors,
            "{name}: the safetensors differ"
        );
    }
}
