//! A variational autoencoder on MNIST: the encoder's last layer holds the
//! mean and log-variance heads of an 8-dimensional latent code (16 outputs),
//! `z = mu + eps * exp(logvar / 2)` with `eps` from a seeded generator (the
//! reparameterisation trick), the decoder maps `z` to pixel logits. Loss:
//! binary cross-entropy summed over pixels plus the KL divergence to N(0, I),
//! per image. The gradient reaches the encoder through the decoder's input
//! gradient. Writes a PNG of samples from the prior and a PNG of a latent
//! traversal (each row moves one latent dimension from -3 to 3).
//!
//! ```text
//! cargo run --release --example vae -- --data ../shared/data/mnist --out docs/images
//! ```
//! Options (`--help` lists them): `--data DIR` (default `MNIST_DIR`, else the
//! slice in data/mnist), `--epochs N` (10), `--seed S` (42), `--out DIR` (the
//! system's temporary directory; it must exist).

mod common;

use clap::Parser;
use common::cli::ResultExt;
use common::images;
use staticnet::data::mnist::Split;
use staticnet::kernels::sigmoid::sigmoid;
use staticnet::optim::{Adam, Optimizer};
use staticnet::{loss, math, Mode, Network, Rng};
use std::error::Error;
use std::process::ExitCode;

const LATENT: usize = 8;
const B: usize = 64;

staticnet::network! {
    /// Mean (first 8) and log-variance (last 8) of q(z | x).
    pub struct Encoder { input: [784], dense(256), relu, dense(16) }
}
staticnet::network! {
    /// Pixel logits of p(x | z).
    pub struct Decoder { input: [8], dense(256), relu, dense(784) }
}

pub struct Vae {
    pub enc: Box<Encoder>,
    pub dec: Box<Decoder>,
    grads: (Box<Encoder>, Box<Decoder>),
    caches: (Box<EncoderCache<B>>, Box<DecoderCache<B>>),
    x: Box<[[f32; 784]; B]>,
    eps: Box<[[f32; LATENT]; B]>,
    z: Box<[[f32; LATENT]; B]>,
    dz: Box<[[f32; LATENT]; B]>,
    dh: Box<[[f32; 16]; B]>,
    g: Box<[[f32; 784]; B]>,
    opt: Adam,
    state: (Vec<f32>, Vec<f32>),
    rng: Rng,
}

impl Vae {
    pub fn new(seed: u64) -> Self {
        let opt = Adam::new(1e-3);
        Vae {
            enc: Encoder::new_boxed(seed),
            dec: Decoder::new_boxed(seed + 1),
            grads: (Encoder::zeroed_boxed(), Decoder::zeroed_boxed()),
            caches: (Encoder::new_cache(), Decoder::new_cache()),
            x: bytemuck::zeroed_box(),
            eps: bytemuck::zeroed_box(),
            z: bytemuck::zeroed_box(),
            dz: bytemuck::zeroed_box(),
            dh: bytemuck::zeroed_box(),
            g: bytemuck::zeroed_box(),
            state: (
                vec![0.0; opt.state_slots() * Encoder::PARAMS],
                vec![0.0; opt.state_slots() * Decoder::PARAMS],
            ),
            opt,
            rng: Rng::new(seed + 2),
        }
    }

    /// One Adam step; returns (reconstruction, KL), per image.
    pub fn step(&mut self, data: &Split, indices: &[usize]) -> (f32, f32) {
        data.fill_batch(indices, staticnet::flat_mut(&mut *self.x), &mut [0; B]);
        let h = *self
            .enc
            .forward_batch(&self.x, &mut self.caches.0, Mode::Train);
        let mut kl = 0.0;
        for b in 0..B {
            for j in 0..LATENT {
                let (mu, lv) = (h[b][j], h[b][LATENT + j]);
                self.eps[b][j] = self.rng.normal();
                self.z[b][j] = mu + self.eps[b][j] * math::exp(0.5 * lv);
                kl += -0.5 * (1.0 + lv - mu * mu - math::exp(lv)) / B as f32;
            }
        }
        let logits = self
            .dec
            .forward_batch(&self.z, &mut self.caches.1, Mode::Train);
        // Mean BCE over B * 784 values, times 784: summed over pixels, mean over images.
        let recon = 784.0
            * loss::bce_with_logits(
                staticnet::flat(logits),
                staticnet::flat(&*self.x),
                staticnet::flat_mut(&mut *self.g),
            );
        staticnet::flat_mut(&mut *self.g)
            .iter_mut()
            .for_each(|v| *v *= 784.0);
        self.dec.backward(
            &self.z,
            &mut self.caches.1,
            &self.g,
            &mut self.grads.1,
            Some(&mut self.dz),
        );
        for b in 0..B {
            for j in 0..LATENT {
                let (mu, lv) = (h[b][j], h[b][LATENT + j]);
                let dz = self.dz[b][j];
                self.dh[b][j] = dz + mu / B as f32;
                self.dh[b][LATENT + j] = dz * 0.5 * self.eps[b][j] * math::exp(0.5 * lv)
                    + 0.5 * (math::exp(lv) - 1.0) / B as f32;
            }
        }
        self.enc.backward(
            &self.x,
            &mut self.caches.0,
            &self.dh,
            &mut self.grads.0,
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
        (recon, kl)
    }

    /// The decoder's picture of `z`, pixels in [0, 1].
    pub fn decode(&self, z: &[f32; LATENT]) -> Vec<f32> {
        let mut ws = Decoder::new_workspace();
        self.dec
            .forward(z, &mut ws)
            .iter()
            .map(|&v| sigmoid(v))
            .collect()
    }
}

/// Trains a variational autoencoder on MNIST and writes PNGs of samples
/// and of a latent traversal.
#[derive(Parser)]
#[command(mut_arg("epochs", |a| a.default_value("10")))]
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
    let mut vae = Vae::new(args.train.seed);
    let mut rng = Rng::new(args.train.seed);
    let start = std::time::Instant::now();
    for epoch in 1..=args.train.epochs {
        let mut order: Vec<usize> = (0..data.train.len()).collect();
        rng.shuffle(&mut order);
        let (mut recon, mut kl, batches) = (0.0, 0.0, order.len() / B);
        for chunk in order.chunks_exact(B) {
            let (r, k) = vae.step(&data.train, chunk);
            recon += r / batches as f32;
            kl += k / batches as f32;
        }
        println!(
            "epoch {epoch}: reconstruction {recon:.1} + KL {kl:.1} = {:.1} nats per image",
            recon + kl
        );
    }
    println!("training time: {:.1} s", start.elapsed().as_secs_f64());

    let mut samples = Vec::new();
    let mut prior = Rng::new(7);
    for _ in 0..64 {
        let z: [f32; LATENT] = core::array::from_fn(|_| prior.normal());
        samples.push(vae.decode(&z));
    }
    let path = args.out.join("vae_samples.png");
    images::save_grid(&path, &samples, 8, 2)
        .context(|| format!("cannot write `{}`", path.display()))?;
    println!("wrote {} (64 samples from N(0, I))", path.display());
    let mut traversal = Vec::new();
    for dim in 0..LATENT {
        for k in 0..11 {
            let mut z = [0.0f32; LATENT];
            z[dim] = -3.0 + 0.6 * k as f32;
            traversal.push(vae.decode(&z));
        }
    }
    let path = args.out.join("vae_traversal.png");
    images::save_grid(&path, &traversal, 11, 2)
        .context(|| format!("cannot write `{}`", path.display()))?;
    println!(
        "wrote {} (row d: latent dimension d from -3 to 3, the others 0)",
        path.display()
    );
    Ok(())
}

#[test]
fn loss_falls() {
    let data = staticnet::data::mnist::Mnist::load(common::cli::shipped_mnist_dir()).unwrap();
    let mut vae = Vae::new(1);
    let idx = |s: usize| -> Vec<usize> { (s * B..(s + 1) * B).collect() };
    let (r0, k0) = vae.step(&data.train, &idx(0));
    let mut last = (r0, k0);
    for s in 1..80 {
        last = vae.step(&data.train, &idx(s % 150));
    }
    println!(
        "loss per image: first batch {:.1}, after 80 steps {:.1}",
        r0 + k0,
        last.0 + last.1
    );
    assert!(last.0 + last.1 < 0.6 * (r0 + k0));
}
