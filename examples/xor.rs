//! XOR: the smallest problem a linear model cannot solve, learned with
//! `Trainer` and binary cross-entropy on one logit (the README's first
//! example). The step the trainer runs (`forward_batch`, a loss, `backward`,
//! `opt.step`) is written out in `src/lib.rs`'s crate documentation.
//!
//! `cargo run --release --example xor` (no options; `--help` says so)

use clap::Parser;
use staticnet::data::Samples;
use staticnet::optim::{Constant, Sgd};
use staticnet::train::{BceWithLogits, Control, Event, Trainer};
use staticnet::Network;
use std::error::Error;

staticnet::network! {
    /// 2-8-1 with tanh, one logit out.
    struct Xor {
        input: [2],
        dense(8), tanh,
        dense(1),
    }
}

/// Learns XOR with a 2-8-1 network.
#[derive(Parser)]
struct Args {}

fn main() -> Result<(), Box<dyn Error>> {
    let Args {} = Args::parse();
    let inputs = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
    let targets = [[0.0f32], [1.0], [1.0], [0.0]];
    let xor = Samples::new(&inputs, 2, &targets)?;
    // One batch of all four samples per epoch: 500 epochs are 500 steps.
    let opt = Sgd::new(0.5).with_momentum(0.9);
    let mut trainer =
        Trainer::<Xor, _, _, _, 4>::new(Xor::new_boxed(7), opt, Constant(0.5), BceWithLogits::<1>);
    trainer.fit(&xor, Some(&xor), 500, |event| {
        if let Event::Epoch {
            epoch,
            train_loss,
            validation: Some(v),
            ..
        } = event
        {
            if epoch % 100 == 0 {
                println!(
                    "epoch {epoch:3}: loss {train_loss:.5}, right {:.2}",
                    v.metric
                );
            }
        }
        Control::Continue
    })?;
    let mut ws = Xor::new_workspace();
    let mut correct = 0;
    for (xi, [ti]) in inputs.chunks_exact(2).zip(targets) {
        let xi: [f32; 2] = xi.try_into()?;
        let logit = trainer.net.forward(&xi, &mut ws)[0];
        let p = 1.0 / (1.0 + (-logit).exp());
        println!("{xi:?} -> {p:.4} (target {ti})");
        correct += usize::from((p > 0.5) == (ti > 0.5));
    }
    println!("correct: {correct}/4");
    Ok(())
}
