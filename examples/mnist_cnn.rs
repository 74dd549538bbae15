//! Trains LeNet-5 on MNIST.
//!
//! ```text
//! cargo run --release --example mnist_cnn                                    # the slice in data/mnist
//! cargo run --release --example mnist_cnn -- --data ../shared/data/mnist     # the full set
//! ```
//! Options (`--help` lists them): `--data DIR` (default `MNIST_DIR`, else the
//! slice in data/mnist), `--epochs N` (8), `--seed S` (42).

mod common;

use clap::Parser;
use std::process::ExitCode;

staticnet::network! {
    /// LeNet-5 (with ReLU and max pooling), as in the W3/W4 benchmarks.
    pub struct LeNet {
        input: [1, 28, 28],
        conv2d(6, 5, padding = 2), relu, maxpool2d(2),
        conv2d(16, 5), relu, maxpool2d(2),
        flatten,
        dense(120), relu,
        dense(84), relu,
        dense(10),
    }
}

/// Trains LeNet-5 on MNIST.
#[derive(Parser)]
#[command(mut_arg("epochs", |a| a.default_value("8")))]
struct Args {
    #[command(flatten)]
    train: common::TrainArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::cli::report(common::train_mnist::<LeNet, 32>(&args.train))
}
