#![allow(dead_code, reason = "each example uses part of this module")]
//! The MNIST training driver shared by `mnist.rs` and `mnist_cnn.rs`:
//! options, a progress bar, per-epoch loss and accuracy, and the final
//! `test accuracy: 0.XXXX` line.

use indicatif::{ProgressBar, ProgressStyle};
use staticnet::data::mnist::Mnist;
use staticnet::optim::{CosineLr, Optimizer, Sgd};
use staticnet::train::Classifier;
use staticnet::{Network, Rng};
use std::time::Instant;

fn arg(args: &[String], key: &str) -> Option<String> {
    args.iter()
        .position(|a| a == key)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Trains `N` on MNIST with SGD (momentum 0.9, lr 0.05 with cosine decay) at
/// batch `B`. Options: `--data DIR` (or `MNIST_DIR`), `--epochs N`, `--seed S`.
/// Returns the trained network and the data.
pub fn train_mnist<N: Network, const B: usize>(
    default_epochs: usize,
) -> Result<(Box<N>, Mnist), Box<dyn std::error::Error>> {
    train_mnist_with::<N, B, _>(default_epochs, 0.05, |lr| Sgd::new(lr).with_momentum(0.9))
}

/// [`train_mnist`] with another optimizer, made by `make(base_lr)`; the
/// learning rate decays from `base_lr` to 0 on a cosine.
pub fn train_mnist_with<N: Network, const B: usize, O: Optimizer>(
    default_epochs: usize,
    base_lr: f32,
    make: impl Fn(f32) -> O,
) -> Result<(Box<N>, Mnist), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = arg(&args, "--data").map_or_else(Mnist::default_dir, Into::into);
    let epochs: usize = arg(&args, "--epochs").map_or(Ok(default_epochs), |s| s.parse())?;
    let seed: u64 = arg(&args, "--seed").map_or(Ok(42), |s| s.parse())?;

    let data = Mnist::load(&dir)?;
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
    let mut opt = make(schedule.base);
    let mut trainer = Classifier::<N, B>::new(N::new_boxed(seed), &opt);
    let mut rng = Rng::new(seed);
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
        let loss = trainer.train_epoch(&data.train, &mut opt, &schedule, &mut rng, |done, _| {
            if done % 16 == 0 {
                bar.set_position(done as u64);
            }
        });
        let secs = start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        train_time += secs;
        test_acc = trainer.accuracy(&data.test);
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
