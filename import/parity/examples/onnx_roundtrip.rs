//! Writes, into the directory given, every imported fixture network and four
//! networks declared here exported to ONNX (`<name>.onnx`), with inputs
//! (`<name>.in.f32`) and staticnet's outputs on them (`<name>.sn.f32`).
//! `scripts/onnx_roundtrip.py DIR` runs the models in onnxruntime and
//! compares; `.ci/run` runs both.
//!
//!     cargo run -p staticnet-import-parity --example onnx_roundtrip -- DIR

use staticnet::weights::write_atomic;
use staticnet::Network;
use staticnet_import::export::export;
use staticnet_import_parity as p;
use std::error::Error;
use std::path::{Path, PathBuf};

staticnet::network! {
    /// Per-step dense layers, tanh GELU, layer norm, an LSTM, log-softmax.
    pub struct Seq {
        input: [6, 5],
        dense(8), gelu(approximate = "tanh"), layernorm,
        lstm(7), dense(4), log_softmax,
    }
}

staticnet::network! {
    /// Strided, padded convolution, batch norm, PReLU per channel, padded
    /// pools, ReLU6, ONNX's hard sigmoid, a residual block with SiLU, hard
    /// swish, a shared PReLU, softmax.
    pub struct Mixed {
        input: [2, 9, 9],
        conv2d(4, 3, stride = 2, padding = 1), batchnorm, prelu(per_channel = true),
        maxpool2d(2, padding = 1),
        avgpool2d(3, stride = 1, padding = 1, count_include_pad = false), relu6,
        hardsigmoid(alpha = 0.2, beta = 0.4), flatten,
        dense(6), leaky_relu(0.1),
        residual { dense(6), silu, dense(6) },
        hardswish, prelu, dense(3), softmax,
    }
}

staticnet::network! {
    /// A small Vision Transformer: patches, a learned position embedding,
    /// attention and RMS-normed feed-forward blocks, mean pooling.
    pub struct Vit {
        input: [1, 12, 12],
        patchify(4), dense(8), pos_embedding,
        residual { layernorm, multihead_attention(2) },
        residual { rmsnorm, dense(16), gelu, dense(8) },
        layernorm, mean_pool, dense(5),
    }
}

staticnet::network! {
    /// A causal character model: token ids, embedding, causal attention.
    pub struct Gpt {
        input: tokens[6],
        embedding(11, 8), pos_embedding,
        residual { rmsnorm, multihead_attention(2, causal = true) },
        dense(11),
    }
}

/// `v` as little-endian float32s, written atomically.
fn write(path: PathBuf, v: &[f32]) -> Result<(), Box<dyn Error>> {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    write_atomic(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

/// Exports `net`, runs it on `x` (whole samples), writes the three files.
fn run<N: Network>(net: &N, name: &str, x: &[f32], dir: &Path) -> Result<(), Box<dyn Error>> {
    let n_in = size_of::<N::Input>() / 4;
    let mut ws: Box<N::Workspace> = Box::new(bytemuck::Zeroable::zeroed());
    let mut y = Vec::new();
    for s in x.chunks_exact(n_in) {
        let input: &N::Input = bytemuck::from_bytes(bytemuck::cast_slice(s));
        y.extend_from_slice(bytemuck::cast_slice(std::slice::from_ref(
            net.forward(input, &mut ws),
        )));
    }
    let onnx = export(net, name).map_err(|e| format!("{name}: {e}"))?;
    let model = dir.join(format!("{name}.onnx"));
    write_atomic(&model, &onnx).map_err(|e| format!("{}: {e}", model.display()))?;
    write(dir.join(format!("{name}.in.f32")), x)?;
    write(dir.join(format!("{name}.sn.f32")), &y)?;
    println!("{name}: {} samples", x.len() / n_in);
    Ok(())
}

/// Seeded inputs in [-scale, scale).
fn inputs(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut rng = staticnet::Rng::new(seed);
    (0..n)
        .map(|_| (rng.uniform() * 2.0 - 1.0) * scale)
        .collect()
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: onnx_roundtrip DIR");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let x = |name: &str| p::fixture_floats(&format!("{name}.in.f32"));
    run(p::mlp::MLP, "mlp", &x("mlp"), &dir)?;
    run(p::lenet::LENET, "lenet", &x("lenet"), &dir)?;
    run(
        p::mobilenet_block::MOBILENET_BLOCK,
        "mobilenet_block",
        &x("mobilenet_block"),
        &dir,
    )?;
    run(
        p::residual_mlp::RESIDUAL_MLP,
        "residual_mlp",
        &x("residual_mlp"),
        &dir,
    )?;
    run(
        p::kws_conv1d::KWS_CONV1D,
        "kws_conv1d",
        &x("kws_conv1d"),
        &dir,
    )?;
    run(
        p::lstm_classifier::LSTM_CLASSIFIER,
        "lstm_classifier",
        &x("lstm_classifier"),
        &dir,
    )?;
    run(
        p::gru_last_hidden::GRU_LAST_HIDDEN,
        "gru_last_hidden",
        &x("gru_last_hidden"),
        &dir,
    )?;
    run(
        p::rnn_tagger::RNN_TAGGER,
        "rnn_tagger",
        &x("rnn_tagger"),
        &dir,
    )?;
    let name = "activations_torchscript";
    run(
        p::activations_torchscript::ACTIVATIONS_TORCHSCRIPT,
        name,
        &x(name),
        &dir,
    )?;
    let name = "activations_dynamo";
    run(
        p::activations_dynamo::ACTIVATIONS_DYNAMO,
        name,
        &x(name),
        &dir,
    )?;
    let seq = Seq::new_boxed(7);
    run(&*seq, "seq", &inputs(4 * 30, 1, 2.0), &dir)?;
    let mut mixed = Mixed::new_boxed(8);
    // PReLU starts every slope at 0.25; distinct ones check the broadcast.
    mixed.prelu0.weight = [0.1, -0.2, 0.3, 0.6];
    mixed.prelu1.weight = [0.15];
    // Large enough that ReLU6 saturates and the hard sigmoid's both kinks are passed.
    run(&*mixed, "mixed", &inputs(4 * 162, 2, 12.0), &dir)?;
    let vit = Vit::new_boxed(9);
    run(&*vit, "vit", &inputs(4 * 144, 3, 1.0), &dir)?;
    let gpt = Gpt::new_boxed(10);
    let tokens: Vec<f32> = inputs(4 * 6, 4, 1.0)
        .iter()
        .map(|v| ((v + 1.0) * 5.5).floor().min(10.0))
        .collect();
    run(&*gpt, "gpt", &tokens, &dir)?;
    Ok(())
}
