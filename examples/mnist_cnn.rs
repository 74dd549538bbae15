//! Trains LeNet-5 on MNIST.
//!
//! ```text
//! cargo run --release --example mnist_cnn                                    # the slice in data/mnist
//! cargo run --release --example mnist_cnn -- --data ../shared/data/mnist     # the full set
//! ```
//! Options: `--data DIR` (or `MNIST_DIR`), `--epochs N` (8), `--seed S` (42).

use indicatif::{ProgressBar, ProgressStyle};
use staticnet::data::mnist::Mnist;
use staticnet::optim::{CosineLr, Sgd};
use staticnet::train::Classifier;
use staticnet::{Network, Rng};
use std::time::Instant;

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

const BATCH: usize = 32;

fn arg(args: &[String], key: &str) -> Option<String> {
    args.iter()
        .position(|a| a == key)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = arg(&args, "--data").map_or_else(Mnist::default_dir, Into::into);
    let epochs: usize = arg(&args, "--epochs").map_or(Ok(8), |s| s.parse())?;
    let seed: u64 = arg(&args, "--seed").map_or(Ok(42), |s| s.parse())?;

    let data = Mnist::load(&dir)?;
    println!(
        "MNIST from {}: {} training, {} test images; batch {BATCH}, {epochs} epochs, seed {seed}",
        dir.display(),
        data.train.len(),
        data.test.len()
    );
    println!("{}", LeNet::SUMMARY);

    let steps_per_epoch = data.train.len() / BATCH;
    let schedule = CosineLr {
        base: 0.05,
        min: 0.0,
        total_steps: epochs * steps_per_epoch,
    };
    let mut opt = Sgd::new(schedule.base).with_momentum(0.9);
    let mut trainer = Classifier::<LeNet, BATCH>::new(LeNet::new_boxed(seed), &opt);
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
            (steps_per_epoch * BATCH) as f64 / secs
        );
    }
    println!(
        "training time: {train_time:.2} s ({:.2} s/epoch)",
        train_time / epochs as f64
    );
    println!("test accuracy: {test_acc:.4}");
    Ok(())
}
