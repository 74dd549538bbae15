//! Regression of sin(x) on [0, 2 pi) with the 1-16-16-1 network of
//! TensorFlow Lite Micro's "hello world".
//!
//! `cargo run --release --example sine` (no options; `--help` says so)

use clap::Parser;
use staticnet::optim::{Adam, Optimizer};
use staticnet::{flat, flat_mut, loss, Mode, Network, Rng};

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

/// Fits sin(x) on [0, 2 pi) with a 1-16-16-1 network.
#[derive(Parser)]
struct Args {}

fn main() {
    let Args {} = Args::parse();
    let mut net = Sine::new_boxed(1);
    let mut grads = Sine::zeroed_boxed();
    let mut cache = Sine::new_cache::<B>();
    let mut opt = Adam::new(0.01);
    let mut state = vec![0.0; opt.state_slots() * Sine::PARAMS];
    let mut rng = Rng::new(2);
    let mut x = [[0.0f32; 1]; B];
    let mut y = [[0.0f32; 1]; B];
    let mut grad_out = [[0.0f32; 1]; B];
    println!("{}", Sine::SUMMARY);
    for step in 0..=3000 {
        for (xi, yi) in x.iter_mut().zip(y.iter_mut()) {
            xi[0] = rng.uniform() * std::f32::consts::TAU;
            yi[0] = xi[0].sin();
        }
        let out = net.forward_batch(&x, &mut cache, Mode::Train);
        let l = loss::mse(flat(out), flat(&y), flat_mut(&mut grad_out));
        net.backward(&x, &mut cache, &grad_out, &mut grads, None);
        opt.step(net.params_mut(), grads.params(), &mut state);
        if step % 500 == 0 {
            println!("step {step:4}: mse {l:.5}");
        }
    }
    let mut ws = Sine::new_workspace();
    let mut worst = 0.0f32;
    for i in 0..100 {
        let x = i as f32 / 100.0 * std::f32::consts::TAU;
        let err = (net.forward(&[x], &mut ws)[0] - x.sin()).abs();
        worst = worst.max(err);
    }
    println!("max |error| on a 100-point grid: {worst:.4}");
}
