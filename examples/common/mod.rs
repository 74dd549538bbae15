#![allow(dead_code, reason = "each example uses part of this module")]
//! Shared by the examples: command-line options and error messages
//! ([`cli`]), pictures ([`images`]), and the MNIST classifier training
//! driver of `mnist.rs`, `mnist_cnn.rs`, `seq_mnist.rs`, `vit_mnist.rs` and
//! `save_load.rs`: a progress bar, per-epoch loss and accuracy, and the final
//! `test accuracy: 0.XXXX` line.

pub mod cli;
pub mod images;

use cli::{positive, DataArgs};

use indicatif::{ProgressBar, ProgressStyle};
use staticnet::data::mnist::Mnist;
use staticnet::optim::{CosineLr, Optimizer, Sgd};
use staticnet::train::{Control, Event, SoftmaxCrossEntropy, Trainer};
use staticnet::Network;
use std::error::Error;
use std::fmt::Debug;
use std::time::Instant;

/// Options of the examples that train on MNIST: `--data DIR`, `--epochs N`
/// (5 unless the example's parser says otherwise, e.g.
/// `#[command(mut_arg("epochs", |a| a.default_value("8")))]`), `--seed S` (42).
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Passes over the training set
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = positive)]
    pub epochs: usize,
    /// Seed of the initial weights and of the shuffling
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
}

/// Trains `N` on MNIST with SGD (momentum 0.9, lr 0.05 with cosine decay) at
/// batch `B`, as `args` say. Returns the trained network and the data.
pub fn train_mnist<N: Network, const B: usize>(
    args: &TrainArgs,
) -> Result<(Box<N>, Mnist), Box<dyn Error>> {
    train_mnist_with::<N, B, _>(args, 0.05, |lr| Sgd::new(lr).with_momentum(0.9))
}

/// [`train_mnist`] with another optimizer, made by `make(base_lr)`; the
/// learning rate decays from `base_lr` to 0 on a cosine.
pub fn train_mnist_with<N: Network, const B: usize, O: Optimizer + Clone + Debug>(
    args: &TrainArgs,
    base_lr: f32,
    make: impl Fn(f32) -> O,
) -> Result<(Box<N>, Mnist), Box<dyn Error>> {
    let (epochs, seed) = (args.epochs, args.seed);
    let (data, dir) = args.data.load()?;
    println!(
        "MNIST from {}: {} training, {} test images; batch {B}, {epochs} epochs, seed {seed}",
        dir.display(),
        data.train.len(),
        data.test.len()
    );
    println!("{}", N::SUMMARY);

    let steps_per_epoch = data.train.len() / B;
    let schedule = CosineLr {
        base: base_lr,
        min: 0.0,
        total_steps: epochs * steps_per_epoch,
    };
    let opt = make(schedule.base);
    let mut trainer =
        Trainer::<N, _, _, _, B>::new(N::new_boxed(seed), opt, schedule, SoftmaxCrossEntropy)
            .seed(seed);
    let mut train_time = 0.0;
    let mut test_acc = 0.0;
    for epoch in 1..=epochs {
        let bar = ProgressBar::new(steps_per_epoch as u64);
        bar.set_style(
            ProgressStyle::with_template("epoch {msg} [{bar:30}] {pos}/{len} batches {per_sec}")?
                .progress_chars("=> "),
        );
        bar.set_message(format!("{epoch}/{epochs}"));
        let start = Instant::now();
        // A non-finite loss or gradient ends the run with the trainer's
        // error (naming the step and tensor), returned to `main`.
        let loss = trainer.train_epoch(&data.train, |event| {
            if let Event::Step { batch, .. } = *event {
                if batch % 16 == 0 {
                    bar.set_position(batch as u64);
                }
            }
            Control::Continue
        });
        let secs = start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        let loss = loss?;
        train_time += secs;
        test_acc = trainer.evaluate(&data.test)?.metric;
        println!(
            "epoch {epoch}: loss {loss:.4}, test accuracy {test_acc:.4}, {secs:.2} s ({:.0} samples/s)",
            (steps_per_epoch * B) as f64 / secs
        );
    }
    println!(
        "training time: {train_time:.2} s ({:.3} s/epoch)",
        train_time / epochs as f64
    );
    println!("test accuracy: {test_acc:.4}");
    Ok((trainer.net, data))
}
