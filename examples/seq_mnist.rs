//! An LSTM reads each MNIST digit row by row (28 steps of 28 pixels) and
//! classifies it from its last hidden state.
//!
//! ```text
//! cargo run --release --example seq_mnist                  # the slice in data/mnist
//! cargo run --release --example seq_mnist -- --data ../shared/data/mnist   # the full set
//! ```
//! Options: `--data DIR` (or `MNIST_DIR`), `--epochs N` (5), `--seed S` (42).
//! Adam, learning rate 2e-3 with cosine decay, batch 32.

mod common;

use staticnet::optim::Adam;

staticnet::network! {
    /// Rows of a digit in, class logits out.
    pub struct SeqMnist {
        input: [28, 28],
        lstm(128, sequence = false),
        dense(10),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::train_mnist_with::<SeqMnist, 32, _>(5, 2e-3, Adam::new)?;
    Ok(())
}
