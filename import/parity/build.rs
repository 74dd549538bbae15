//! Imports every fixture into `OUT_DIR`, as a user's build script would.

const FIXTURES: &[&str] = &[
    "mlp",
    "lenet",
    "mobilenet_block",
    "residual_mlp",
    "kws_conv1d",
    "lstm_classifier",
    "gru_last_hidden",
    "rnn_tagger",
];

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for name in FIXTURES {
        let model = format!("../tests/fixtures/{name}.onnx");
        println!("cargo::rerun-if-changed={model}");
        if let Err(e) = staticnet_import::generate(&model, &out) {
            panic!("{model}: {e}");
        }
    }
}
