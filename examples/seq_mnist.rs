//! An LSTM reads each MNIST digit row by row (28 steps of 28 pixels) and
//! classifies it from its last hidden state.
//!
//! ```text
//! cargo run --release --example seq_mnist                  # the slice in data/mnist
//! cargo run --release --example seq_mnist -- --data ../shared/data/mnist   # the full set
//! ```
//! Options (`--help` lists them): `--data DIR` (default `MNIST_DIR`, else the
//! slice in data/mnist), `--epochs N` (5), `--seed S` (42).
//! Adam, learning rate 2e-3 with cosine decay, batch 32.

mod common;

use clap::Parser;
use staticnet::optim::Adam;
use std::process::ExitCode;

staticnet::network! {
    /// Rows of a digit in, class logits out.
    pub struct SeqMnist {
        input: [28, 28],
        lstm(128, sequence = false),
        dense(10),
    }
}

/// Trains an LSTM that reads MNIST digits row by row.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    train: common::TrainArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::cli::report(common::train_mnist_with::<SeqMnist, 32, _>(
        &args.train,
        2e-3,
        Adam::new,
    ))
}
