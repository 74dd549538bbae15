//! Each imported fixture against onnxruntime's outputs on the same inputs
//! (`scripts/onnx_fixtures.py`): the largest difference over an output, as
//! a fraction of the output's largest magnitude, is at most 1e-5.

use staticnet::Network;
use staticnet_import_parity as p;

/// Runs `net` on every sample of `<name>.in.f32`; returns the worst relative
/// difference to `<name>.ort.f32`.
fn worst<N: Network>(net: &N, name: &str) -> f64 {
    let (x, y) = (
        p::fixture_floats(&format!("{name}.in.f32")),
        p::fixture_floats(&format!("{name}.ort.f32")),
    );
    let (n_in, n_out) = (size_of::<N::Input>() / 4, size_of::<N::Output>() / 4);
    assert_eq!(
        x.len() % n_in,
        0,
        "{name}: inputs are not whole samples of {n_in}"
    );
    let samples = x.len() / n_in;
    assert!(samples > 0, "{name}: no samples");
    assert_eq!(
        y.len(),
        samples * n_out,
        "{name}: {samples} samples but {} outputs",
        y.len()
    );
    let mut ws: Box<N::Workspace> = Box::new(bytemuck::Zeroable::zeroed());
    let mut worst = 0.0f64;
    for s in 0..samples {
        let input: &N::Input =
            bytemuck::from_bytes(bytemuck::cast_slice(&x[s * n_in..(s + 1) * n_in]));
        let out: &[f32] = bytemuck::cast_slice(std::slice::from_ref(net.forward(input, &mut ws)));
        let expected = &y[s * n_out..(s + 1) * n_out];
        let scale = expected
            .iter()
            .fold(0.0f64, |m, v| m.max(f64::from(v.abs())));
        for (a, b) in out.iter().zip(expected) {
            let d = f64::from(a - b).abs() / scale.max(f64::MIN_POSITIVE);
            assert!(
                d.is_finite(),
                "{name}: sample {s}: {a} vs onnxruntime's {b}"
            );
            worst = worst.max(d);
        }
    }
    worst
}

fn check<N: Network>(net: &N, name: &str) {
    let w = worst(net, name);
    eprintln!("{name}: worst relative difference to onnxruntime {w:.2e}");
    assert!(
        w <= 1e-5,
        "{name}: relative difference {w:.3e} to onnxruntime exceeds 1e-5"
    );
}

#[test]
fn mlp() {
    check(p::mlp::MLP, "mlp");
}

#[test]
fn lenet() {
    check(p::lenet::LENET, "lenet");
}

#[test]
fn mobilenet_block() {
    check(p::mobilenet_block::MOBILENET_BLOCK, "mobilenet_block");
}

#[test]
fn residual_mlp() {
    check(p::residual_mlp::RESIDUAL_MLP, "residual_mlp");
}

#[test]
fn kws_conv1d() {
    check(p::kws_conv1d::KWS_CONV1D, "kws_conv1d");
}

#[test]
fn lstm_classifier() {
    check(p::lstm_classifier::LSTM_CLASSIFIER, "lstm_classifier");
}

#[test]
fn gru_last_hidden() {
    check(p::gru_last_hidden::GRU_LAST_HIDDEN, "gru_last_hidden");
}

#[test]
fn rnn_tagger() {
    check(p::rnn_tagger::RNN_TAGGER, "rnn_tagger");
}

#[test]
fn activations_torchscript() {
    check(
        p::activations_torchscript::ACTIVATIONS_TORCHSCRIPT,
        "activations_torchscript",
    );
}

#[test]
fn activations_dynamo() {
    check(
        p::activations_dynamo::ACTIVATIONS_DYNAMO,
        "activations_dynamo",
    );
}
