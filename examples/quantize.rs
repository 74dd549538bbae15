//! Int8 quantisation on MNIST: trains the MLP or LeNet-5 in float,
//! calibrates on training images with each range method (min/max, the
//! 99.99th percentile, least squared error), quantises
//! (`#[staticnet(quantize)]` generates `MlpQ`/`LeNetQ`), then fine-tunes the
//! float network with quantisation-aware training (`Trainer::qat`, the best
//! method's ranges) and quantises again; compares test accuracy and weight
//! bytes, and saves the best int8 network.
//!
//! ```text
//! cargo run --release --example quantize                                   # MLP, the slice in data/mnist
//! cargo run --release --example quantize -- --model lenet --data ../shared/data/mnist
//! ```
//! Options (`--help` lists them): `--model mlp|lenet`, `--epochs N` (5),
//! `--seed S`, `--data DIR`, `--calibration N` (images, 1000), `--qat-epochs
//! N` (1; 0 skips QAT), `--qat-lr L` (0.001), `--out DIR`.

mod common;

use clap::{Parser, ValueEnum};
use common::cli::{report, OutArgs};
use staticnet::data::mnist::Split;
use staticnet::data::Dataset;
use staticnet::optim::{CosineLr, Sgd};
use staticnet::quant::calib::Range;
use staticnet::quantize::calibrate;
use staticnet::train::{Control, SoftmaxCrossEntropy, Trainer};
use staticnet::{weights, Network};
use std::error::Error;
use std::process::ExitCode;

/// The MLP and LeNet-5 of the benchmarks and the embedded crate, declared
/// there with `#[staticnet(quantize)]`.
#[allow(dead_code)]
mod nets {
    include!("../embedded/src/nets.rs");
}
use nets::{LeNet, LeNetQ, LeNetQWorkspace, Mlp, MlpQ, MlpQWorkspace};

#[derive(Clone, Copy, ValueEnum)]
enum Model {
    Mlp,
    Lenet,
}

/// Trains a classifier in float, quantises it to int8 and compares.
#[derive(Parser)]
struct Args {
    /// Which network
    #[arg(long, value_enum, default_value = "mlp")]
    model: Model,
    #[command(flatten)]
    train: common::TrainArgs,
    /// Training images to calibrate on
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = common::cli::positive)]
    calibration: usize,
    /// Epochs of quantisation-aware training after quantising (0: none)
    #[arg(long, value_name = "N", default_value_t = 1)]
    qat_epochs: usize,
    /// Learning rate of quantisation-aware training (SGD, momentum 0.9, cosine to 0)
    #[arg(long, value_name = "L", default_value_t = 0.001)]
    qat_lr: f32,
    #[command(flatten)]
    out: OutArgs,
}

/// Test accuracy of an int8 network, one image at a time.
macro_rules! int8_accuracy {
    ($q:expr, $ws:ty, $test:expr) => {{
        let (q, test): (_, &Split) = ($q, $test);
        let mut ws = Box::new(<$ws>::ZEROED);
        let mut x = [0f32; 784];
        let mut xq = [0i8; 784];
        let mut correct = 0usize;
        for i in 0..test.len() {
            let mut label = [0usize];
            test.fill(&[i], &mut x, &mut label);
            q.quantize_input(bytemuck::cast_ref(&x), &mut xq);
            correct += usize::from(q.predict(&xq, &mut ws) == label[0]);
        }
        correct as f64 / test.len() as f64
    }};
}

/// Trains `$net`, then quantises it with each method and reports.
macro_rules! compare {
    ($args:expr, $net:ty, $q:ty, $ws:ty, $file:expr) => {{
        let args: &Args = $args;
        let (net, data) = common::train_mnist::<$net, 32>(&args.train)?;
        let float = {
            let mut ws = <$net>::new_workspace();
            let mut x = [0f32; 784];
            let mut correct = 0usize;
            for i in 0..data.test.len() {
                let mut label = [0usize];
                data.test.fill(&[i], &mut x, &mut label);
                let y = net.forward(bytemuck::cast_ref(&x), &mut ws);
                correct += usize::from(staticnet::loss::argmax(staticnet::flat(y)) == label[0]);
            }
            correct as f64 / data.test.len() as f64
        };
        let f32_bytes = <$net>::PARAMS * 4;
        println!();
        println!("{}", <$q>::SUMMARY);
        println!("| | test accuracy | weight bytes |");
        println!("|---|---|---|");
        println!("| f32 | {float:.4} | {f32_bytes} |");
        let mut best: Option<(f64, Box<$q>)> = None;
        let mut best_calib = None;
        for (name, method) in [
            ("int8 PTQ, min/max", Range::MinMax),
            ("int8 PTQ, percentile 99.99", Range::Percentile(99.99)),
            ("int8 PTQ, MSE", Range::Mse),
        ] {
            let calib = calibrate::<$net, _, 32, { <$q>::TENSORS.len() }>(
                &net,
                &data.train,
                args.calibration,
                method,
            )?;
            let mut q: Box<$q> = Box::new(<$q>::ZEROED);
            q.quantize_from(&net, &calib)?;
            let acc = int8_accuracy!(&*q, $ws, &data.test);
            println!(
                "| {name} | {acc:.4} ({:+.2} points) | {} ({:.2}x smaller) |",
                100.0 * (acc - float),
                <$q>::BYTES,
                f32_bytes as f64 / <$q>::BYTES as f64
            );
            if best.as_ref().is_none_or(|(b, _)| acc > *b) {
                best = Some((acc, q));
                best_calib = Some((name, calib));
            }
        }
        let (mut best_acc, mut q) = best.expect("three methods ran");
        let (method, calib) = best_calib.expect("three methods ran");
        if args.qat_epochs > 0 {
            // Fine-tune the float weights through the int8 grid, with the
            // ranges of the best post-training quantisation (frozen).
            let schedule = CosineLr {
                base: args.qat_lr,
                min: 0.0,
                total_steps: args.qat_epochs * data.train.len() / 32,
            };
            let opt = Sgd::new(args.qat_lr).with_momentum(0.9);
            let mut tuned = <$net>::zeroed_boxed();
            *tuned = *net;
            let mut trainer = Trainer::<$net, _, _, _, 32>::new(tuned, opt, schedule, SoftmaxCrossEntropy)
                .seed(args.train.seed)
                .qat(&q.qat_ranges(), 8);
            for _ in 0..args.qat_epochs {
                trainer.train_epoch(&data.train, |_| Control::Continue)?;
            }
            let mut qat: Box<$q> = Box::new(<$q>::ZEROED);
            qat.quantize_from(&trainer.net, &calib)?;
            let acc = int8_accuracy!(&*qat, $ws, &data.test);
            println!(
                "| int8 QAT, {} epoch(s) from {method} | {acc:.4} ({:+.2} points) | {} ({:.2}x smaller) |",
                args.qat_epochs,
                100.0 * (acc - float),
                <$q>::BYTES,
                f32_bytes as f64 / <$q>::BYTES as f64
            );
            if acc > best_acc {
                (best_acc, q) = (acc, qat);
            }
        }
        let _ = best_acc;
        let path = args.out.join($file);
        weights::save_int8_file(&*q, &path)?;
        println!("saved the best int8 network to {}", path.display());
        Ok(())
    }};
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    match args.model {
        Model::Mlp => compare!(args, Mlp, MlpQ, MlpQWorkspace, "mlp_int8.bin"),
        Model::Lenet => compare!(args, LeNet, LeNetQ, LeNetQWorkspace, "lenet_int8.bin"),
    }
}

fn main() -> ExitCode {
    report(run(&Args::parse()))
}
