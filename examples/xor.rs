//! XOR: the smallest problem a linear model cannot solve.
//!
//! `cargo run --release --example xor` (no options; `--help` says so)

use clap::Parser;
use staticnet::optim::{Optimizer, Sgd};
use staticnet::{flat, flat_mut, loss, Mode, Network};

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

fn main() {
    let Args {} = Args::parse();
    let x = [[0.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let t = [0.0f32, 1.0, 1.0, 0.0];
    let mut net = Xor::new_boxed(7);
    let mut grads = Xor::zeroed_boxed();
    let mut cache = Xor::new_cache::<4>();
    let mut opt = Sgd::new(0.5).with_momentum(0.9);
    let mut state = vec![0.0; opt.state_slots() * Xor::PARAMS];
    let mut grad_out = [[0.0f32; 1]; 4];
    for step in 0..=500 {
        let out = net.forward_batch(&x, &mut cache, Mode::Train);
        let l = loss::bce_with_logits(flat(out), &t, flat_mut(&mut grad_out));
        net.backward(&x, &mut cache, &grad_out, &mut grads, None);
        opt.step(net.params_mut(), grads.params(), &mut state);
        if step % 100 == 0 {
            println!("step {step:3}: loss {l:.5}");
        }
    }
    let mut ws = Xor::new_workspace();
    let mut correct = 0;
    for (xi, ti) in x.iter().zip(t) {
        let logit = net.forward(xi, &mut ws)[0];
        let p = 1.0 / (1.0 + (-logit).exp());
        println!("{xi:?} -> {p:.4} (target {ti})");
        correct += usize::from((p > 0.5) == (ti > 0.5));
    }
    println!("correct: {correct}/4");
}
