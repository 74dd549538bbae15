//! The imported fixtures, one module each (see `build.rs`), and the reader
//! of their float files.

/// `import/tests/fixtures/<file>`: little-endian float32s, as
/// `scripts/onnx_fixtures.py` writes them. A missing or malformed file is a
/// panic naming it (a test's fixtures are part of the repository).
pub fn fixture_floats(file: &str) -> Vec<f32> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(bytes.len() % 4, 0, "{file}: not float32s");
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// `mlp.onnx`: 784 -> 128 -> 10.
pub mod mlp {
    include!(concat!(env!("OUT_DIR"), "/mlp.rs"));
}

/// `lenet.onnx`: LeNet-5.
pub mod lenet {
    include!(concat!(env!("OUT_DIR"), "/lenet.rs"));
}

/// `mobilenet_block.onnx`: depthwise-separable convolutions with batch norm,
/// ReLU6 and hard-swish.
pub mod mobilenet_block {
    include!(concat!(env!("OUT_DIR"), "/mobilenet_block.rs"));
}

/// `residual_mlp.onnx`: pre-norm residual blocks, GELU and SiLU.
pub mod residual_mlp {
    include!(concat!(env!("OUT_DIR"), "/residual_mlp.rs"));
}

/// `kws_conv1d.onnx`: 1-d convolutions over MFCC frames.
pub mod kws_conv1d {
    include!(concat!(env!("OUT_DIR"), "/kws_conv1d.rs"));
}

/// `lstm_classifier.onnx`: two stacked LSTM layers, the last step classified.
pub mod lstm_classifier {
    include!(concat!(env!("OUT_DIR"), "/lstm_classifier.rs"));
}

/// `gru_last_hidden.onnx`: a GRU's final hidden state classified.
pub mod gru_last_hidden {
    include!(concat!(env!("OUT_DIR"), "/gru_last_hidden.rs"));
}

/// `rnn_tagger.onnx`: a ReLU RNN, every step through a linear layer.
pub mod rnn_tagger {
    include!(concat!(env!("OUT_DIR"), "/rnn_tagger.rs"));
}

/// `activations_torchscript.onnx`: GELU (both forms), SiLU, hard swish,
/// ReLU6 and hard sigmoid as the TorchScript exporter writes them.
pub mod activations_torchscript {
    include!(concat!(env!("OUT_DIR"), "/activations_torchscript.rs"));
}

/// `activations_dynamo.onnx`: the same network from the dynamo exporter.
pub mod activations_dynamo {
    include!(concat!(env!("OUT_DIR"), "/activations_dynamo.rs"));
}
