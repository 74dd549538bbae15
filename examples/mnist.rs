//! Trains the 784-128-10 multilayer perceptron on MNIST.
//!
//! ```text
//! cargo run --release --example mnist                      # the slice in data/mnist
//! cargo run --release --example mnist -- --data ../shared/data/mnist   # the full set
//! ```
//! Options: `--data DIR` (or `MNIST_DIR`), `--epochs N` (5), `--seed S` (42).

mod common;

staticnet::network! {
    /// Classifies 28x28 digits.
    pub struct Mlp {
        input: [784],
        dense(128), relu,
        dense(10),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::train_mnist::<Mlp, 32>(5)?;
    Ok(())
}
