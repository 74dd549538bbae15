//! The imported fixtures, one module each (see `build.rs`).

/// `mlp.onnx`: 784 -> 128 -> 10.
pub mod mlp {
    include!(concat!(env!("OUT_DIR"), "/mlp.rs"));
}

/// `lenet.onnx`: LeNet-5.
pub mod lenet {
    include!(concat!(env!("OUT_DIR"), "/lenet.rs"));
}

/// `kws_conv1d.onnx`: 1-d convolutions over MFCC frames.
pub mod kws_conv1d {
    include!(concat!(env!("OUT_DIR"), "/kws_conv1d.rs"));
}
