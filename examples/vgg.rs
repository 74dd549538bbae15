//! VGG-16 (13 convolutions with batch norm, 3x32x32 input, as for CIFAR-10) and
//! a smaller VGG-style network: declared, then one training-mode forward and
//! backward at batch 2 and one inference on the main thread. Used to measure
//! build time (`touch examples/vgg.rs && time cargo build --release --example vgg`)
//! and to show that nothing large goes through the stack.
//!
//! `cargo run --release --example vgg` (no options; `--help` says so)

use clap::Parser;
use staticnet::{Mode, Network, Rng};
use std::time::Instant;

staticnet::network! {
    /// VGG-16 with batch norm for 32x32 inputs (configuration "D").
    pub struct Vgg16 {
        input: [3, 32, 32],
        conv2d(64, 3, padding = 1), batchnorm, relu,
        conv2d(64, 3, padding = 1), batchnorm, relu,
        maxpool2d(2),
        conv2d(128, 3, padding = 1), batchnorm, relu,
        conv2d(128, 3, padding = 1), batchnorm, relu,
        maxpool2d(2),
        conv2d(256, 3, padding = 1), batchnorm, relu,
        conv2d(256, 3, padding = 1), batchnorm, relu,
        conv2d(256, 3, padding = 1), batchnorm, relu,
        maxpool2d(2),
        conv2d(512, 3, padding = 1), batchnorm, relu,
        conv2d(512, 3, padding = 1), batchnorm, relu,
        conv2d(512, 3, padding = 1), batchnorm, relu,
        maxpool2d(2),
        conv2d(512, 3, padding = 1), batchnorm, relu,
        conv2d(512, 3, padding = 1), batchnorm, relu,
        conv2d(512, 3, padding = 1), batchnorm, relu,
        maxpool2d(2),
        flatten,
        dense(512), relu,
        dropout(0.5),
        dense(10),
    }
}

staticnet::network! {
    /// A small VGG-style network: three blocks of two convolutions.
    pub struct VggSmall {
        input: [3, 32, 32],
        conv2d(16, 3, padding = 1), batchnorm, relu,
        conv2d(16, 3, padding = 1), batchnorm, relu,
        maxpool2d(2),
        conv2d(32, 3, padding = 1), batchnorm, relu,
        conv2d(32, 3, padding = 1), batchnorm, relu,
        maxpool2d(2),
        conv2d(64, 3, padding = 1), batchnorm, relu,
        conv2d(64, 3, padding = 1), batchnorm, relu,
        maxpool2d(2),
        flatten,
        dense(128), relu,
        dense(10),
    }
}

fn run<N: Network>(name: &str) {
    let mut net = N::new_boxed(1);
    let mut grads = N::zeroed_boxed();
    let mut cache = N::new_cache::<2>();
    let mut x: Box<[N::Input; 2]> = bytemuck::zeroed_box();
    let mut rng = Rng::new(2);
    staticnet::flat_mut(&mut *x)
        .iter_mut()
        .for_each(|v| *v = rng.uniform());
    let mut gy: Box<[N::Output; 2]> = bytemuck::zeroed_box();
    staticnet::flat_mut(&mut *gy).fill(0.1);
    let start = Instant::now();
    net.forward_batch(&x, &mut cache, Mode::Train);
    net.update_buffers(&cache);
    net.backward(&x, &mut cache, &gy, &mut grads, None);
    let train = start.elapsed();
    let mut ws = N::new_workspace();
    let start = Instant::now();
    let y = net.forward(&x[0], &mut ws);
    let infer = start.elapsed();
    assert!(staticnet::flat(y).iter().all(|v| v.is_finite()));
    assert!(grads.params().iter().all(|v| v.is_finite()));
    println!(
        "{name}: {} parameters ({:.1} MB), cache for batch 2 {:.1} MB; forward+backward at batch 2 {:.1} ms, inference {:.1} ms",
        N::PARAMS,
        N::PARAMS as f64 * 4e-6,
        std::mem::size_of::<N::Cache<2>>() as f64 * 1e-6,
        train.as_secs_f64() * 1e3,
        infer.as_secs_f64() * 1e3,
    );
}

/// Declares VGG-16 and a small VGG-style network and times one training
/// step and one inference of each.
#[derive(Parser)]
struct Args {}

fn main() {
    let Args {} = Args::parse();
    println!("{}", Vgg16::SUMMARY);
    run::<Vgg16>("VGG-16");
    run::<VggSmall>("small VGG");
}
