//! One workload run a given number of times, for exact instruction counts
//! under QEMU user mode (`docs/performance.md`, "aarch64"): the difference
//! between two runs' counts over the difference in iterations is the cost of
//! one, start-up and set-up cancelling out.
//!
//! `cargo run --release --example insns -- <workload> <iterations>`, the
//! workloads being `dense1` and `dense32` (a 784x128 dense layer with bias,
//! batch 1 and 32) and `lenet` (LeNet-5's batch-1 forward). Prints a
//! checksum of the outputs, so that nothing is optimised away and runs on
//! two paths can be compared.

use staticnet::kernels::dense::dense_forward;
use staticnet::{Network, Rng};
use std::hint::black_box;

#[allow(
    dead_code,
    reason = "the sine training helpers are the embedded tests'"
)]
mod nets {
    include!("../embedded/src/nets.rs");
}
use nets::LeNet;

fn random(rng: &mut Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.uniform() - 0.5).collect()
}

fn dense(batch: usize, iterations: usize) -> f32 {
    let (inp, out) = (784, 128);
    let mut rng = Rng::new(1);
    let (x, w, b) = (
        random(&mut rng, batch * inp),
        random(&mut rng, out * inp),
        random(&mut rng, out),
    );
    let mut y = vec![0.0; batch * out];
    let mut sum = 0.0;
    for _ in 0..iterations {
        dense_forward(black_box(&x), &w, Some(&b), &mut y, batch, inp, out);
        sum += y.iter().sum::<f32>();
    }
    sum
}

fn lenet(iterations: usize) -> f32 {
    let net = LeNet::new_boxed(1);
    let mut ws = LeNet::new_workspace();
    let mut x = [[[0.0f32; 28]; 28]; 1];
    let mut rng = Rng::new(2);
    staticnet::flat_mut(&mut x)
        .iter_mut()
        .for_each(|v| *v = rng.uniform());
    let mut sum = 0.0;
    for _ in 0..iterations {
        sum += net.forward(black_box(&x), &mut ws).iter().sum::<f32>();
    }
    sum
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (workload, iterations) = match &args[..] {
        [w, n] => match n.parse::<usize>() {
            Ok(n) => (w.as_str(), n),
            Err(e) => return eprintln!("error: iterations `{n}`: {e}"),
        },
        _ => return eprintln!("usage: insns <dense1|dense32|lenet> <iterations>"),
    };
    let sum = match workload {
        "dense1" => dense(1, iterations),
        "dense32" => dense(32, iterations),
        "lenet" => lenet(iterations),
        other => return eprintln!("error: unknown workload `{other}` (dense1, dense32, lenet)"),
    };
    println!("{workload} x{iterations}: checksum {sum:e}");
}
