//! A generative adversarial network on MNIST: a dense generator (64 noise
//! values -> 256 -> 784, tanh) and discriminator (784 -> 256 -> 1 logit)
//! trained adversarially with binary cross-entropy (the non-saturating
//! generator loss). The generator's gradient comes through the
//! discriminator with `chain_backward`. Writes a PNG grid of samples from a
//! fixed noise batch every few epochs and a PNG plot of both losses.
//!
//! ```text
//! cargo run --release --example gan -- --data ../shared/data/mnist --out docs/images
//! ```
//! Options (`--help` lists them): `--data DIR` (default `MNIST_DIR`, else the
//! slice in data/mnist), `--epochs N` (30), `--seed S` (42), `--every N` (10):
//! a grid of samples every N epochs and after the last, `--out DIR` (the
//! system's temporary directory; it must exist).

mod common;

use clap::Parser;
use common::cli::{positive, ResultExt};
use common::images;
use staticnet::data::mnist::Split;
use staticnet::optim::{Adam, Optimizer};
use staticnet::{chain_backward, chain_forward, loss, Mode, Network, Rng};
use std::error::Error;
use std::process::ExitCode;

const NOISE: usize = 64;
const B: usize = 64;
/// The discriminator sees real and fake images in one batch.
const B2: usize = 2 * B;

staticnet::network! {
    /// Noise to an image in [-1, 1].
    pub struct Generator { input: [64], dense(256), leaky_relu(0.2), dense(784), tanh }
}
staticnet::network! {
    /// Image to a real-vs-fake logit.
    pub struct Discriminator { input: [784], dense(256), leaky_relu(0.2), dense(1) }
}

pub struct Gan {
    pub g: Box<Generator>,
    pub d: Box<Discriminator>,
    grads_g: Box<Generator>,
    grads_d: Box<Discriminator>,
    cache_g: Box<GeneratorCache<B>>,
    cache_d: Box<DiscriminatorCache<B2>>,
    cache_dg: Box<DiscriminatorCache<B>>,
    z: Box<[[f32; NOISE]; B]>,
    both: Box<[[f32; 784]; B2]>,
    targets: Box<[[f32; 1]; B2]>,
    gd: Box<[[f32; 1]; B2]>,
    gg: Box<[[f32; 1]; B]>,
    joint: Box<[[f32; 784]; B]>,
    opt: Adam,
    state: (Vec<f32>, Vec<f32>),
    rng: Rng,
}

impl Gan {
    pub fn new(seed: u64) -> Self {
        let opt = Adam::new(2e-4).with_betas(0.5, 0.999);
        let mut targets: Box<[[f32; 1]; B2]> = bytemuck::zeroed_box();
        targets[..B].iter_mut().for_each(|t| t[0] = 1.0);
        Gan {
            g: Generator::new_boxed(seed),
            d: Discriminator::new_boxed(seed + 1),
            grads_g: Generator::zeroed_boxed(),
            grads_d: Discriminator::zeroed_boxed(),
            cache_g: Generator::new_cache(),
            cache_d: Discriminator::new_cache(),
            cache_dg: Discriminator::new_cache(),
            z: bytemuck::zeroed_box(),
            both: bytemuck::zeroed_box(),
            targets,
            gd: bytemuck::zeroed_box(),
            gg: bytemuck::zeroed_box(),
            joint: bytemuck::zeroed_box(),
            state: (
                vec![0.0; opt.state_slots() * Generator::PARAMS],
                vec![0.0; opt.state_slots() * Discriminator::PARAMS],
            ),
            opt,
            rng: Rng::new(seed + 2),
        }
    }

    fn noise(&mut self) {
        for v in staticnet::flat_mut(&mut *self.z) {
            *v = self.rng.normal();
        }
    }

    /// One discriminator step and one generator step; returns their losses.
    pub fn step(&mut self, data: &Split, indices: &[usize]) -> (f32, f32) {
        // Discriminator: real images (scaled to [-1, 1]) labelled 1, fakes 0.
        data.fill_batch(
            indices,
            bytemuck::cast_slice_mut::<[f32; 784], f32>(&mut self.both[..B]),
            &mut [0; B],
        );
        bytemuck::cast_slice_mut::<[f32; 784], f32>(&mut self.both[..B])
            .iter_mut()
            .for_each(|v| *v = *v * 2.0 - 1.0);
        self.noise();
        let fake = self
            .g
            .forward_batch(&self.z, &mut self.cache_g, Mode::Train);
        self.both[B..].copy_from_slice(fake);
        let logits = self
            .d
            .forward_batch(&self.both, &mut self.cache_d, Mode::Train);
        let d_loss = loss::bce_with_logits(
            staticnet::flat(logits),
            staticnet::flat(&*self.targets),
            staticnet::flat_mut(&mut *self.gd),
        );
        self.d.backward(
            &self.both,
            &mut self.cache_d,
            &self.gd,
            &mut self.grads_d,
            None,
        );
        self.opt.step(
            self.d.params_mut(),
            self.grads_d.params(),
            &mut self.state.1,
        );

        // Generator: fresh fakes labelled 1, the gradient through the discriminator.
        self.noise();
        let logits = chain_forward(
            &*self.g,
            &*self.d,
            &self.z,
            &mut self.cache_g,
            &mut self.cache_dg,
            Mode::Train,
        );
        let g_loss = loss::bce_with_logits(
            staticnet::flat(logits),
            bytemuck::cast_slice::<[f32; 1], f32>(&self.targets[..B]),
            staticnet::flat_mut(&mut *self.gg),
        );
        chain_backward(
            &*self.g,
            &*self.d,
            &self.z,
            &mut self.cache_g,
            &mut self.cache_dg,
            &self.gg,
            (&mut *self.grads_g, &mut *self.grads_d),
            &mut self.joint,
            None,
        );
        self.opt.step(
            self.g.params_mut(),
            self.grads_g.params(),
            &mut self.state.0,
        );
        (d_loss, g_loss)
    }

    /// Images for fixed noise, pixels in [0, 1].
    pub fn samples(&self, noise: &[[f32; NOISE]]) -> Vec<Vec<f32>> {
        let mut ws = Generator::new_workspace();
        noise
            .iter()
            .map(|z| {
                self.g
                    .forward(z, &mut ws)
                    .iter()
                    .map(|v| (v + 1.0) / 2.0)
                    .collect()
            })
            .collect()
    }
}

/// Trains a generative adversarial network on MNIST and writes PNGs of
/// samples and of the losses.
#[derive(Parser)]
#[command(mut_arg("epochs", |a| a.default_value("30")))]
struct Args {
    #[command(flatten)]
    train: common::TrainArgs,
    /// Write a grid of samples every N epochs (and after the last)
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = positive)]
    every: usize,
    #[command(flatten)]
    out: common::cli::OutArgs,
}

fn main() -> ExitCode {
    common::cli::report(run(&Args::parse()))
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let (data, _) = args.train.data.load()?;
    let (epochs, every) = (args.train.epochs, args.every);
    let mut gan = Gan::new(args.train.seed);
    let mut rng = Rng::new(args.train.seed);
    let mut fixed = Rng::new(7);
    let noise: Vec<[f32; NOISE]> = (0..64)
        .map(|_| core::array::from_fn(|_| fixed.normal()))
        .collect();
    let (mut d_curve, mut g_curve) = (Vec::new(), Vec::new());
    let (mut d_acc, mut g_acc, mut n) = (0.0, 0.0, 0);
    let start = std::time::Instant::now();
    for epoch in 1..=epochs {
        let mut order: Vec<usize> = (0..data.train.len()).collect();
        rng.shuffle(&mut order);
        let (mut d_sum, mut g_sum, batches) = (0.0, 0.0, order.len() / B);
        for chunk in order.chunks_exact(B) {
            let (d, g) = gan.step(&data.train, chunk);
            d_sum += d / batches as f32;
            g_sum += g / batches as f32;
            (d_acc, g_acc, n) = (d_acc + d, g_acc + g, n + 1);
            if n == 50 {
                d_curve.push(d_acc / 50.0);
                g_curve.push(g_acc / 50.0);
                (d_acc, g_acc, n) = (0.0, 0.0, 0);
            }
        }
        println!("epoch {epoch}: discriminator loss {d_sum:.3}, generator loss {g_sum:.3}");
        if epoch % every == 0 || epoch == epochs {
            let path = args.out.join(format!("gan_epoch_{epoch:02}.png"));
            images::save_grid(&path, &gan.samples(&noise), 8, 2)
                .context(|| format!("cannot write `{}`", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    println!("training time: {:.1} s", start.elapsed().as_secs_f64());
    let path = args.out.join("gan_losses.png");
    images::plot_losses(
        &path,
        "GAN losses (means over 50 steps)",
        50,
        &[("discriminator", &d_curve), ("generator", &g_curve)],
    )
    .context(|| format!("cannot write `{}`", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

#[test]
fn discriminator_loss_falls() {
    // Early training: the discriminator learns to tell real from fake, so its
    // loss falls from about 2 ln 2 / 2 = 0.69 per image; the generator's
    // gradient, through the discriminator, stays finite.
    let data = staticnet::data::mnist::Mnist::load(common::cli::shipped_mnist_dir()).unwrap();
    let mut gan = Gan::new(1);
    let losses: Vec<(f32, f32)> = (0..150)
        .map(|s| {
            let idx: Vec<usize> = (s * B..(s + 1) * B).collect();
            gan.step(&data.train, &idx)
        })
        .collect();
    let mean = |r: &[(f32, f32)]| r.iter().map(|l| l.0).sum::<f32>() / r.len() as f32;
    let (first, last) = (mean(&losses[..10]), mean(&losses[140..]));
    println!("discriminator loss: first 10 steps {first:.3}, last 10 of 150 {last:.3}");
    assert!(last < first - 0.05, "{first} -> {last}");
    assert!(losses.iter().all(|l| l.1.is_finite()));
    assert!(gan.g.params().iter().all(|v| v.is_finite()));
}
