//! An autoencoder on MNIST: a dense encoder (784 -> 128 -> 32) and decoder
//! (32 -> 128 -> 784) declared as two networks and trained as one through
//! `chain_forward`/`chain_backward`, with binary cross-entropy on the pixels.
//! Reports the test reconstruction error and writes a PNG of test digits
//! (top rows) against their reconstructions (bottom rows).
//!
//! ```text
//! cargo run --release --example autoencoder -- --data ../shared/data/mnist --out docs/images
//! ```
//! Options (`--help` lists them): `--data DIR` (default `MNIST_DIR`, else the
//! slice in data/mnist), `--epochs N` (5), `--seed S` (42), `--out DIR` (the
//! system's temporary directory; it must exist).

mod common;

use clap::Parser;
use common::cli::ResultExt;
use common::images;
use staticnet::data::mnist::Split;
use staticnet::optim::{Adam, Optimizer};
use staticnet::{chain_backward, chain_forward, loss, Mode, Network, Rng};
use std::error::Error;
use std::process::ExitCode;

staticnet::network! {
    pub struct Encoder { input: [784], dense(128), relu, dense(32) }
}
staticnet::network! {
    /// Logits of the pixels; `sigmoid` of them is the picture.
    pub struct Decoder { input: [32], dense(128), relu, dense(784) }
}

const B: usize = 64;

/// Everything one training step needs, allocated once.
pub struct Trainer {
    pub enc: Box<Encoder>,
    pub dec: Box<Decoder>,
    grads: (Box<Encoder>, Box<Decoder>),
    caches: (Box<EncoderCache<B>>, Box<DecoderCache<B>>),
    joint: Box<[[f32; 32]; B]>,
    x: Box<[[f32; 784]; B]>,
    g: Box<[[f32; 784]; B]>,
    opt: Adam,
    state: (Vec<f32>, Vec<f32>),
}

impl Trainer {
    pub fn new(seed: u64) -> Self {
        let opt = Adam::new(1e-3);
        Trainer {
            enc: Encoder::new_boxed(seed),
            dec: Decoder::new_boxed(seed + 1),
            grads: (Encoder::zeroed_boxed(), Decoder::zeroed_boxed()),
            caches: (Encoder::new_cache(), Decoder::new_cache()),
            joint: bytemuck::zeroed_box(),
            x: bytemuck::zeroed_box(),
            g: bytemuck::zeroed_box(),
            state: (
                vec![0.0; opt.state_slots() * Encoder::PARAMS],
                vec![0.0; opt.state_slots() * Decoder::PARAMS],
            ),
            opt,
        }
    }

    /// One Adam step on the images at `indices`; returns the BCE per pixel.
    pub fn step(&mut self, data: &Split, indices: &[usize]) -> f32 {
        let mut labels = [0usize; B];
        data.fill_batch(indices, staticnet::flat_mut(&mut *self.x), &mut labels);
        let (ce, cd) = (&mut *self.caches.0, &mut *self.caches.1);
        let out = chain_forward(&*self.enc, &*self.dec, &self.x, ce, cd, Mode::Train);
        let l = loss::bce_with_logits(
            staticnet::flat(out),
            staticnet::flat(&*self.x),
            staticnet::flat_mut(&mut *self.g),
        );
        chain_backward(
            &*self.enc,
            &*self.dec,
            &self.x,
            ce,
            cd,
            &self.g,
            (&mut *self.grads.0, &mut *self.grads.1),
            &mut self.joint,
            None,
        );
        self.opt.step(
            self.enc.params_mut(),
            self.grads.0.params(),
            &mut self.state.0,
        );
        self.opt.step(
            self.dec.params_mut(),
            self.grads.1.params(),
            &mut self.state.1,
        );
        l
    }

    /// Reconstruction of one image, pixels in [0, 1].
    pub fn reconstruct(&self, image: &[f32; 784]) -> Vec<f32> {
        let (mut we, mut wd) = (Encoder::new_workspace(), Decoder::new_workspace());
        let code = *self.enc.forward(image, &mut we);
        self.dec
            .forward(&code, &mut wd)
            .iter()
            .map(|&v| staticnet::kernels::sigmoid::sigmoid(v))
            .collect()
    }
}

/// Mean squared error per pixel of the reconstructions of `data`.
fn test_mse(t: &Trainer, data: &Split) -> f32 {
    let mut x = [0.0f32; 784];
    let mut total = 0.0f64;
    for i in 0..data.len() {
        data.fill_batch(&[i], &mut x, &mut [0]);
        let r = t.reconstruct(&x);
        total += r
            .iter()
            .zip(&x)
            .map(|(a, b)| f64::from((a - b) * (a - b)))
            .sum::<f64>()
            / 784.0;
    }
    (total / data.len() as f64) as f32
}

/// Trains a dense autoencoder on MNIST and writes a PNG of reconstructions.
#[derive(Parser)]
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
    let (data, _) = args.train.data.load()?;
    let mut t = Trainer::new(args.train.seed);
    let mut rng = Rng::new(args.train.seed);
    println!(
        "test MSE per pixel before training: {:.4}",
        test_mse(&t, &data.test)
    );
    let start = std::time::Instant::now();
    for epoch in 1..=args.train.epochs {
        let mut order: Vec<usize> = (0..data.train.len()).collect();
        rng.shuffle(&mut order);
        let mut total = 0.0;
        let batches = order.len() / B;
        for chunk in order.chunks_exact(B) {
            total += t.step(&data.train, chunk);
        }
        println!(
            "epoch {epoch}: training BCE {:.4} per pixel, test MSE {:.4} per pixel",
            total / batches as f32,
            test_mse(&t, &data.test)
        );
    }
    println!("training time: {:.1} s", start.elapsed().as_secs_f64());
    let mut x = [0.0f32; 784];
    let (mut originals, mut recons) = (Vec::new(), Vec::new());
    for i in 0..20 {
        data.test.fill_batch(&[i], &mut x, &mut [0]);
        originals.push(x.to_vec());
        recons.push(t.reconstruct(&x));
    }
    let grid: Vec<Vec<f32>> = originals[..10]
        .iter()
        .chain(&recons[..10])
        .chain(&originals[10..])
        .chain(&recons[10..])
        .cloned()
        .collect();
    let path = args.out.join("autoencoder.png");
    images::save_grid(&path, &grid, 10, 2)
        .context(|| format!("cannot write `{}`", path.display()))?;
    println!(
        "wrote {} (rows 1 and 3: test digits; rows 2 and 4: reconstructions)",
        path.display()
    );
    Ok(())
}

#[test]
fn reconstruction_loss_falls() {
    let data = staticnet::data::mnist::Mnist::load(common::cli::shipped_mnist_dir()).unwrap();
    let mut t = Trainer::new(1);
    let indices: Vec<usize> = (0..B).collect();
    let first = t.step(&data.train, &indices);
    let mut last = first;
    for s in 1..60 {
        let idx: Vec<usize> = (s * B..(s + 1) * B).collect();
        last = t.step(&data.train, &idx);
    }
    println!("BCE per pixel: first batch {first:.4}, after 60 steps {last:.4}");
    assert!(last < 0.6 * first, "{first} -> {last}");
}
