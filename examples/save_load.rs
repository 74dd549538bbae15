//! Trains a small MNIST classifier with batch norm, saves it in both weight
//! formats, reloads each into a fresh network and checks that every
//! parameter, buffer and test-set prediction is identical.
//!
//! ```text
//! cargo run --release --example save_load                  # the slice in data/mnist
//! cargo run --release --example save_load -- --data ../shared/data/mnist --out /tmp
//! ```
//! Options (`--help` lists them): `--data DIR` (default `MNIST_DIR`, else the
//! slice in data/mnist), `--epochs N` (1), `--seed S` (42), `--out DIR` (the
//! system's temporary directory; it must exist): where `mnist_bn.bin` and
//! `mnist_bn.safetensors` are written.

mod common;

use clap::Parser;
use common::cli::ResultExt;
use staticnet::data::mnist::Split;
use staticnet::weights::{self, safetensors};
use staticnet::Network;
use std::error::Error;
use std::process::ExitCode;

staticnet::network! {
    /// A 784-128-10 perceptron with batch norm: parameters and buffers.
    pub struct MlpBn {
        input: [784],
        dense(128), batchnorm, relu,
        dense(10),
    }
}

/// Every test image's predicted class.
fn predictions<N: Network>(net: &N, test: &Split) -> Vec<usize> {
    let mut ws = N::new_workspace();
    let mut x: Box<N::Input> = bytemuck::zeroed_box();
    (0..test.len())
        .map(|i| {
            test.fill_batch(&[i], staticnet::flat_mut(&mut *x), &mut [0]);
            staticnet::loss::argmax(staticnet::flat(net.forward(&x, &mut ws)))
        })
        .collect()
}

/// Trains a batch-norm MLP on MNIST, saves it in both weight formats and
/// checks that each file reloads into an identical network.
#[derive(Parser)]
#[command(mut_arg("epochs", |a| a.default_value("1")))]
struct Args {
    #[command(flatten)]
    train: common::TrainArgs,
    #[command(flatten)]
    out: common::cli::OutArgs,
}

fn main() -> ExitCode {
    common::cli::report(run(&Args::parse()))
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let (net, data) = common::train_mnist::<MlpBn, 32>(&args.train)?;
    let (bin, st) = (
        args.out.join("mnist_bn.bin"),
        args.out.join("mnist_bn.safetensors"),
    );
    weights::save_file(&*net, &bin)?;
    safetensors::save_file(&*net, &st)?;

    let mut from_bin = MlpBn::zeroed_boxed();
    weights::load_file(&bin, &mut *from_bin)?;
    let mut from_st = MlpBn::zeroed_boxed();
    safetensors::load_file(&st, &mut *from_st, safetensors::Options::strict())
        .context(|| format!("cannot load `{}`", st.display()))?;

    let expected = predictions(&*net, &data.test);
    for (path, copy) in [(&bin, &from_bin), (&st, &from_st)] {
        let same_bits = bytemuck::cast_slice::<f32, u32>(net.state())
            == bytemuck::cast_slice::<f32, u32>(copy.state());
        let same_predictions = predictions(&**copy, &data.test) == expected;
        println!(
            "{}: {} bytes, state identical: {same_bits}, {} test predictions identical: {same_predictions}",
            path.display(),
            std::fs::metadata(path)
                .context(|| format!("cannot read `{}`", path.display()))?
                .len(),
            expected.len()
        );
        if !(same_bits && same_predictions) {
            return Err(format!("{} did not round-trip", path.display()).into());
        }
    }
    Ok(())
}
