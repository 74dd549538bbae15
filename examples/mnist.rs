//! Trains the 784-128-10 multilayer perceptron on MNIST.
//!
//! ```text
//! cargo run --release --example mnist                      # the slice in data/mnist
//! cargo run --release --example mnist -- --data ../shared/data/mnist   # the full set
//! ```
//! Options (`--help` lists them): `--data DIR` (default `MNIST_DIR`, else the
//! slice in data/mnist), `--epochs N` (5), `--seed S` (42).

mod common;

use clap::Parser;
use std::process::ExitCode;

staticnet::network! {
    /// Classifies 28x28 digits.
    pub struct Mlp {
        input: [784],
        dense(128), relu,
        dense(10),
    }
}

/// Trains the 784-128-10 multilayer perceptron on MNIST.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    train: common::TrainArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::cli::report(common::train_mnist::<Mlp, 32>(&args.train))
}
