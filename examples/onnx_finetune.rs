//! The README's ONNX walk-through, on the host: LeNet-5 trained for one epoch
//! by PyTorch (`scripts/onnx_lenet_e2e.py`), exported to ONNX
//! (`examples/onnx/lenet_mnist.onnx`) and imported by `staticnet-import`
//! (`examples/onnx/lenet_mnist.rs` and `.bin`, committed), is evaluated,
//! fine-tuned for one epoch, evaluated again and saved.
//!
//! ```text
//! cargo run --release --example onnx_finetune                                 # the slice in data/mnist
//! cargo run --release --example onnx_finetune -- --data ../shared/data/mnist  # the full set
//! ```
//! Options (`--help` lists them): `--data DIR`, `--out DIR` (where
//! `lenet_finetuned.bin` goes; default the system's temporary directory),
//! `--lr L` (0.01), `--seed S` (42).

mod common;

use clap::Parser;
use common::cli::{report, DataArgs, OutArgs};
use staticnet::optim::{CosineLr, Sgd};
use staticnet::train::{Control, SoftmaxCrossEntropy, Trainer};
use staticnet::{weights, Network};
use std::error::Error;
use std::process::ExitCode;

/// The imported declaration and its weights, as the tool wrote them.
mod imported {
    include!("onnx/lenet_mnist.rs");
}
use imported::{LeNet, LENET_MNIST};

/// Evaluates the imported LeNet-5, fine-tunes it one epoch, saves it.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    out: OutArgs,
    /// Learning rate of the fine-tuning (SGD, momentum 0.9, cosine to 0)
    #[arg(long, value_name = "L", default_value_t = 0.01)]
    lr: f32,
    /// Seed of the shuffling
    #[arg(long, value_name = "S", default_value_t = 42)]
    seed: u64,
}

const B: usize = 32;

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let (data, dir) = args.data.load()?;
    println!(
        "MNIST from {}: {} training, {} test images",
        dir.display(),
        data.train.len(),
        data.test.len()
    );
    // A copy of the weights `include_weights!` holds in place, to train.
    let mut net = LeNet::zeroed_boxed();
    *net = *LENET_MNIST;
    let schedule = CosineLr {
        base: args.lr,
        min: 0.0,
        total_steps: data.train.len() / B,
    };
    let opt = Sgd::new(args.lr).with_momentum(0.9);
    let mut trainer =
        Trainer::<LeNet, _, _, _, B>::new(net, opt, schedule, SoftmaxCrossEntropy).seed(args.seed);
    let before = trainer.evaluate(&data.test)?.metric;
    println!("imported from ONNX: test accuracy {before:.4}");
    let loss = trainer.train_epoch(&data.train, |_| Control::Continue)?;
    let after = trainer.evaluate(&data.test)?.metric;
    println!("fine-tuned one epoch (loss {loss:.4}): test accuracy {after:.4}");
    let path = args.out.join("lenet_finetuned.bin");
    weights::save_file(&*trainer.net, &path)?;
    println!("saved {}", path.display());
    Ok(())
}

fn main() -> ExitCode {
    report(run(&Args::parse()))
}
