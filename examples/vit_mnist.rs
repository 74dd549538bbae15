//! A Vision Transformer on MNIST: 16 patches of 7x7, a linear patch
//! embedding (64), learned positions, two pre-norm Transformer blocks
//! (4-head self-attention, a 128-wide GELU feed-forward, residual
//! connections), mean pooling over the patches and a linear classifier.
//!
//! ```text
//! cargo run --release --example vit_mnist                  # the slice in data/mnist
//! cargo run --release --example vit_mnist -- --data ../shared/data/mnist   # the full set
//! ```
//! Options (`--help` lists them): `--data DIR` (default `MNIST_DIR`, else the
//! slice in data/mnist), `--epochs N` (5), `--seed S` (42).
//! AdamW, learning rate 1e-3 with cosine decay, batch 32.

mod common;

use clap::Parser;
use staticnet::optim::AdamW;
use std::process::ExitCode;

staticnet::network! {
    /// Patches in, class logits out.
    pub struct Vit {
        input: [1, 28, 28],
        patchify(7),
        dense(64),
        pos_embedding,
        residual { layernorm, multihead_attention(4) },
        residual { layernorm, dense(128), gelu, dense(64) },
        residual { layernorm, multihead_attention(4) },
        residual { layernorm, dense(128), gelu, dense(64) },
        layernorm,
        mean_pool,
        dense(10),
    }
}

/// Trains a Vision Transformer on MNIST.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    train: common::TrainArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::cli::report(common::train_mnist_with::<Vit, 32, _>(
        &args.train,
        1e-3,
        AdamW::new,
    ))
}
