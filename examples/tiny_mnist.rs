//! The smallest MNIST classifier (`TinyMnist` of `embedded/src/nets.rs`:
//! three strided convolutions and a dense layer, about 11K parameters) for a
//! microcontroller with 16 KB of flash and 4 KB of RAM: trained in float
//! (Adam, warm-up then cosine, images shifted by up to 2 pixels),
//! quantised after training (int8, dense
//! weights 4-bit), fine-tuned with quantisation-aware training, and saved
//! as the int8 network's file.
//!
//! ```text
//! cargo run --release --example tiny_mnist -- --data ../shared/data/mnist --out examples/tiny
//! ```
//! writes `examples/tiny/tiny_mnist_int8.bin`, the file committed there and
//! embedded by `embedded/`'s `int8_tiny` test and `tiny_footprint` binary.
//! Options (`--help` lists them): `--epochs N` (25), `--qat-epochs N` (5),
//! `--lr L` (0.003), `--seed S`, `--data DIR`, `--out DIR`.

mod common;

use clap::Parser;
use common::cli::{report, DataArgs, OutArgs};
use staticnet::optim::{Adam, CosineLr, Warmup};
use staticnet::quant::calib::Range;
use staticnet::quantize::calibrate;
use staticnet::train::{Control, SoftmaxCrossEntropy, Trainer};
use staticnet::{weights, Network};
use std::error::Error;
use std::process::ExitCode;

/// The declarations shared with the embedded crate (only `TinyMnist` is used here).
#[allow(dead_code)]
mod nets {
    include!("../embedded/src/nets.rs");
}
use nets::{TinyMnist, TinyMnistQ, TinyMnistQWorkspace};

/// Trains, quantises and fine-tunes the tiny MNIST classifier.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Float training epochs
    #[arg(long, value_name = "N", default_value_t = 25, value_parser = common::cli::positive)]
    epochs: usize,
    /// Quantisation-aware training epochs
    #[arg(long, value_name = "N", default_value_t = 5)]
    qat_epochs: usize,
    /// Adam's peak learning rate
    #[arg(long, value_name = "L", default_value_t = 0.003)]
    lr: f32,
    /// Seed of the initial weights and the shuffling
    #[arg(long, value_name = "S", default_value_t = 42)]
    seed: u64,
    #[command(flatten)]
    out: OutArgs,
}

const B: usize = 32;

/// The training images, each moved by up to 2 pixels in x and y (a new
/// random shift every time it is filled; the gap filled with background):
/// the augmentation that lets a network this small generalise.
struct Shifted<'a> {
    data: &'a staticnet::data::mnist::Split,
    rng: std::cell::RefCell<staticnet::Rng>,
}

impl staticnet::data::Dataset for Shifted<'_> {
    type Target = usize;
    fn len(&self) -> usize {
        self.data.len()
    }
    fn input_len(&self) -> usize {
        784
    }
    fn fill(&self, indices: &[usize], inputs: &mut [f32], targets: &mut [usize]) {
        self.data.fill(indices, inputs, targets);
        let mut rng = self.rng.borrow_mut();
        for img in inputs.chunks_exact_mut(784) {
            let (dx, dy) = (rng.below(5) as isize - 2, rng.below(5) as isize - 2);
            let src: [f32; 784] = img.try_into().expect("784 pixels");
            for y in 0..28isize {
                for x in 0..28isize {
                    let (sx, sy) = (x - dx, y - dy);
                    img[(y * 28 + x) as usize] = if (0..28).contains(&sx) && (0..28).contains(&sy) {
                        src[(sy * 28 + sx) as usize]
                    } else {
                        0.0
                    };
                }
            }
        }
    }
}

/// Test accuracy of the int8 network.
fn int8_accuracy(q: &TinyMnistQ, test: &staticnet::data::mnist::Split) -> f64 {
    use staticnet::data::Dataset;
    let mut ws = TinyMnistQWorkspace::ZEROED;
    let (mut x, mut xq) = ([0f32; 784], [0i8; 784]);
    let mut correct = 0;
    for i in 0..test.len() {
        let mut label = [0usize];
        test.fill(&[i], &mut x, &mut label);
        q.quantize_input(bytemuck::cast_ref(&x), &mut xq);
        correct += usize::from(q.predict(&xq, &mut ws) == label[0]);
    }
    correct as f64 / test.len() as f64
}

fn schedule(lr: f32, epochs: usize, steps: usize) -> Warmup<CosineLr> {
    Warmup {
        steps: steps / 2,
        then: CosineLr {
            base: lr,
            min: 0.0,
            total_steps: epochs * steps - steps / 2,
        },
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let (data, dir) = args.data.load()?;
    println!(
        "MNIST from {}: {} training, {} test images",
        dir.display(),
        data.train.len(),
        data.test.len()
    );
    println!("{}", TinyMnist::SUMMARY);
    let steps = data.train.len() / B;
    let mut trainer = Trainer::<TinyMnist, _, _, _, B>::new(
        TinyMnist::new_boxed(args.seed),
        Adam::new(args.lr),
        schedule(args.lr, args.epochs, steps),
        SoftmaxCrossEntropy,
    )
    .seed(args.seed);
    let shifted = Shifted {
        data: &data.train,
        rng: std::cell::RefCell::new(staticnet::Rng::new(args.seed)),
    };
    for epoch in 1..=args.epochs {
        let loss = trainer.train_epoch(&shifted, |_| Control::Continue)?;
        let acc = trainer.evaluate(&data.test)?.metric;
        println!("epoch {epoch}: loss {loss:.4}, test accuracy {acc:.4}");
    }
    let float = trainer.evaluate(&data.test)?.metric;
    let calib = calibrate::<TinyMnist, _, B, { TinyMnistQ::TENSORS.len() }>(
        &trainer.net,
        &data.train,
        2000,
        Range::MinMax,
    )?;
    let mut q = TinyMnistQ::quantize(&trainer.net, &calib)?;
    let ptq = int8_accuracy(&q, &data.test);
    println!("{}", TinyMnistQ::SUMMARY);
    println!("float {float:.4}; int8 with 4-bit dense weights after training {ptq:.4}");
    if args.qat_epochs > 0 {
        let mut net = TinyMnist::zeroed_boxed();
        *net = *trainer.net;
        let lr = args.lr / 10.0;
        let mut qat = Trainer::<TinyMnist, _, _, _, B>::new(
            net,
            Adam::new(lr),
            schedule(lr, args.qat_epochs, steps),
            SoftmaxCrossEntropy,
        )
        .seed(args.seed)
        .qat(&q.qat_ranges(), 8);
        for epoch in 1..=args.qat_epochs {
            let loss = qat.train_epoch(&shifted, |_| Control::Continue)?;
            let acc = qat.evaluate(&data.test)?.metric;
            println!("QAT epoch {epoch}: loss {loss:.4}, fake-quantised test accuracy {acc:.4}");
        }
        q = TinyMnistQ::quantize(&qat.net, &calib)?;
        println!("int8 after QAT: {:.4}", int8_accuracy(&q, &data.test));
    }
    println!(
        "int8 network: {} bytes ({} of weights); workspace {} bytes",
        TinyMnistQ::BYTES,
        TinyMnistQ::WEIGHT_BYTES,
        TinyMnistQWorkspace::BYTES
    );
    let path = args.out.join("tiny_mnist_int8.bin");
    weights::save_int8_file(&q, &path)?;
    println!("saved {}", path.display());
    Ok(())
}

fn main() -> ExitCode {
    report(run(&Args::parse()))
}
