//! Regression of sin(x) on [0, 2 pi) with the 1-16-16-1 network of
//! TensorFlow Lite Micro's "hello world", trained with `Trainer` and mean
//! squared error on a fixed grid of 960 points, checked on another grid;
//! the input is `x / pi - 1` (centred, see [`input`]), the learning rate
//! decays on a cosine.
//!
//! `cargo run --release --example sine` (`--out DIR`: where `sine.bin`, its
//! weights, is written; `embedded/boards/rp2040/sine.bin` is this file:
//! `--out embedded/boards/rp2040`)

mod common;

use clap::Parser;
use common::cli::OutArgs;
use staticnet::data::Samples;
use staticnet::optim::{Adam, CosineLr};
use staticnet::train::{Control, Event, Mse, Trainer};
use staticnet::{weights, Network};
use std::error::Error;
use std::f32::consts::TAU;
use std::process::ExitCode;

staticnet::network! {
    /// 1-16-16-1, ReLU.
    pub struct Sine {
        input: [1],
        dense(16), relu,
        dense(16), relu,
        dense(1),
    }
}

const B: usize = 32;
/// Training points: 30 batches of 32 per epoch.
const POINTS: usize = 960;
/// 100 epochs of 30 steps: the 3,000 Adam steps the example always took.
const EPOCHS: usize = 100;

/// Fits sin(x) on [0, 2 pi) with a 1-16-16-1 network.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    out: OutArgs,
}

/// The network's input for `x` in [0, 2 pi): `x / pi - 1`, in [-1, 1).
/// Centred inputs matter with ReLU and zero initial biases: every
/// first-layer unit starts with its kink at input 0, which for raw `x >= 0`
/// is at the edge of the domain, so each unit is linear or dead over all of
/// it, and training from some seeds never recovers (max error 1.2).
fn input(x: f32) -> f32 {
    x / (TAU / 2.0) - 1.0
}

/// `n` points evenly spread over [0, 2 pi) (starting at `offset` of a
/// spacing): the network's inputs and the sines.
fn grid(n: usize, offset: f32) -> (Vec<f32>, Vec<[f32; 1]>) {
    let x: Vec<f32> = (0..n)
        .map(|i| (i as f32 + offset) / n as f32 * TAU)
        .collect();
    let y = x.iter().map(|x| [x.sin()]).collect();
    (x.into_iter().map(input).collect(), y)
}

fn main() -> ExitCode {
    common::cli::report(run(&Args::parse()))
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let (x, y) = grid(POINTS, 0.5);
    let train = Samples::new(&x, 1, &y)?;
    // Checked on 100 points between those trained on.
    let (check_x, check_y) = grid(100, 0.0);
    let check = Samples::new(&check_x, 1, &check_y)?;
    println!("{}", Sine::SUMMARY);
    let mut trainer = Trainer::<Sine, _, _, _, B>::new(
        Sine::new_boxed(1),
        Adam::new(0.01),
        CosineLr {
            base: 0.01,
            min: 0.0,
            total_steps: EPOCHS * (POINTS / B),
        },
        Mse::<1>,
    )
    .seed(2);
    let report = trainer.fit(&train, Some(&check), EPOCHS, |event| {
        if let Event::Epoch {
            epoch,
            train_loss,
            validation: Some(v),
            ..
        } = *event
        {
            if epoch % 10 == 0 {
                let steps = epoch * (POINTS / B);
                println!(
                    "epoch {epoch:3} (step {steps:4}): training mse {train_loss:.5}, mse on the 100-point grid {:.5}",
                    v.loss
                );
            }
        }
        Control::Continue
    })?;
    if let Some((mse, epoch)) = report.best {
        println!("best mse on the 100-point grid: {mse:.5} (epoch {epoch})");
    }
    let mut ws = Sine::new_workspace();
    let worst = (0..100)
        .map(|i| i as f32 / 100.0 * TAU)
        .map(|x| (trainer.net.forward(&[input(x)], &mut ws)[0] - x.sin()).abs())
        .fold(0.0f32, f32::max);
    println!("max |error| on a 100-point grid: {worst:.4}");
    let path = args.out.join("sine.bin");
    weights::save_file(&*trainer.net, &path)?;
    println!("saved {}", path.display());
    Ok(())
}
