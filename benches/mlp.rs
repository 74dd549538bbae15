//! The multilayer-perceptron workloads (definitions, method and latest
//! figures in `docs/performance.md`):
//!
//! - W1: the MLP 784-128-10 (ReLU) with random weights, batch-1 forward,
//!   on one thread (`W1/f32`) and with its product split over 2 kernel
//!   threads; and its int8 form (`W1/int8`: `MlpQ`, the same weights
//!   quantised after a min/max calibration on 64 random inputs, the input
//!   quantised once outside the timed loop).
//! - W5: the MLP 1-16-16-1 (ReLU), batch-1 forward (the shape of TensorFlow
//!   Lite Micro's "hello world").
//! - W2: training the 784-128-10 MLP with softmax cross-entropy and plain
//!   SGD, lr 0.1, batch 32: one step, and one shuffled epoch of the MNIST
//!   training set, unfused and fused (`Sgd::fused`), on one thread, on 2
//!   kernel threads, and data-parallel (2 threads of 16 samples).
//!
//! `cargo bench --bench mlp` (W2's epoch reads the full set from
//! `MNIST_DIR`, else the slice in `data/mnist`, whose epoch is 10,000 images
//! instead of 60,000; the benchmark's name says which).

mod data;

use criterion::{criterion_group, criterion_main, Criterion};
use staticnet::data::Samples;
use staticnet::optim::{Constant, Sgd};
use staticnet::parallel::ParallelTrainer;
use staticnet::quant::calib::Range;
use staticnet::quantize::calibrate;
use staticnet::train::{Control, SoftmaxCrossEntropy, Trainer};
use staticnet::{Network, Rng};
use std::hint::black_box;
use std::time::Duration;

/// The 784-128-10 MLP (W1, W2) and the 1-16-16-1 sine network (W5), as the
/// embedded crate declares them.
#[allow(
    dead_code,
    reason = "the sine training helpers are the embedded tests'"
)]
mod nets {
    include!("../embedded/src/nets.rs");
}
use nets::{Mlp, MlpQ, MlpQWorkspace, Sine as Tiny};

fn w1(c: &mut Criterion) {
    let net = Mlp::new_boxed(1);
    let mut ws = Mlp::new_workspace();
    let mut x = [0.0f32; 784];
    let mut rng = Rng::new(2);
    x.iter_mut().for_each(|v| *v = rng.uniform());
    let mut group = c.benchmark_group("W1");
    group.bench_function("f32", |b| {
        b.iter(|| {
            let y = net.forward(black_box(&x), &mut ws);
            black_box(y[0])
        })
    });
    // The same weights in int8 (TensorFlow Lite's scheme), calibrated
    // (min/max) on 64 random inputs drawn like `x`.
    let calib_x: Vec<f32> = (0..64 * 784).map(|_| rng.uniform()).collect();
    let labels = [0usize; 64];
    let data = Samples::new(&calib_x, 784, &labels).expect("64 inputs of 784");
    let calib = calibrate::<Mlp, _, 32, { MlpQ::TENSORS.len() }>(&net, &data, 64, Range::MinMax)
        .expect("a calibration");
    let mut q = Box::new(MlpQ::ZEROED);
    q.quantize_from(&net, &calib).expect("a quantised network");
    let mut qws = Box::new(MlpQWorkspace::ZEROED);
    let mut xq = [0i8; 784];
    q.quantize_input(&x, &mut xq);
    group.bench_function("int8", |b| {
        b.iter(|| {
            let y = q.forward(black_box(&xq), &mut qws);
            black_box(y[0])
        })
    });
    group.finish();
    // The same call with its product split over two threads.
    staticnet::threads::set_threads(2);
    c.bench_function("W1 mlp 784-128-10 batch-1 forward, 2 kernel threads", |b| {
        b.iter(|| {
            let y = net.forward(black_box(&x), &mut ws);
            black_box(y[0])
        })
    });
    staticnet::threads::set_threads(1);
}

fn w5(c: &mut Criterion) {
    let net = Tiny::new_boxed(1);
    let mut ws = Tiny::new_workspace();
    c.bench_function("W5 mlp 1-16-16-1 batch-1 forward", |b| {
        b.iter(|| {
            let y = net.forward(black_box(&[0.5]), &mut ws);
            black_box(y[0])
        })
    });
}

fn w2(c: &mut Criterion) {
    let data = data::mnist();
    let lr = Constant(0.1);
    let mut trainer =
        Trainer::<Mlp, _, _, _, 32>::new(Mlp::new_boxed(1), Sgd::new(0.1), lr, SoftmaxCrossEntropy)
            .seed(3);
    let batch: [usize; 32] = std::array::from_fn(|i| i);
    c.bench_function("W2 mlp training step batch 32", |b| {
        b.iter(|| {
            black_box(
                trainer
                    .train_step(&data.train, &batch)
                    .expect("a finite step"),
            )
        })
    });
    let mut group = c.benchmark_group("W2 epoch");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    let epoch = |trainer: &mut Trainer<Mlp, Sgd, Constant, SoftmaxCrossEntropy, 32>| {
        let loss = trainer.train_epoch(&data.train, |_| Control::Continue);
        black_box(loss.expect("finite steps"))
    };
    group.bench_function(
        format!(
            "W2 mlp one epoch of {} (sgd 0.1, batch 32)",
            data.train.len()
        ),
        |b| b.iter(|| epoch(&mut trainer)),
    );
    // The same steps (bit for bit) with the SGD step fused into the backward
    // pass (`Sgd::fused`): the same network and trainer, its optimizer
    // swapped (plain SGD has no state to carry over). Fusing needs the
    // gradient check before the step off (`keep_last_good(false)`; the
    // parameters are still checked after it).
    trainer.opt = Sgd::new(0.1).fused();
    trainer = trainer.keep_last_good(false);
    group.bench_function(
        format!(
            "W2 mlp one epoch of {} (fused sgd 0.1, batch 32)",
            data.train.len()
        ),
        |b| b.iter(|| epoch(&mut trainer)),
    );
    // One batch of 32, its products and SGD step split over two threads.
    staticnet::threads::set_threads(2);
    trainer.opt = Sgd::new(0.1);
    trainer = trainer.keep_last_good(true);
    group.bench_function(
        "W2 mlp one epoch (sgd 0.1, batch 32, 2 kernel threads)",
        |b| b.iter(|| epoch(&mut trainer)),
    );
    trainer.opt = Sgd::new(0.1).fused();
    trainer = trainer.keep_last_good(false);
    group.bench_function(
        "W2 mlp one epoch (fused sgd 0.1, batch 32, 2 kernel threads)",
        |b| b.iter(|| epoch(&mut trainer)),
    );
    staticnet::threads::set_threads(1);
    // Two threads of 16 samples: the same global batch of 32.
    let mut opt2 = Sgd::new(0.1);
    let mut par =
        ParallelTrainer::<Mlp, _, 16>::new(Mlp::new_boxed(1), &opt2, SoftmaxCrossEntropy, 2);
    let mut rng2 = Rng::new(3);
    group.bench_function(
        format!(
            "W2 mlp one epoch of {} (sgd 0.1, batch 32 = 2 threads x 16)",
            data.train.len()
        ),
        |b| {
            b.iter(|| {
                let loss = par.train_epoch(&data.train, &mut opt2, &lr, &mut rng2, |_, _| {});
                black_box(loss.expect("finite steps"))
            })
        },
    );
    group.finish();
    let test = trainer.evaluate(&data.test).expect("a finite evaluation");
    println!("test accuracy after the W2 runs: {:.4}", test.metric);
}

criterion_group!(benches, w1, w5, w2);
criterion_main!(benches);
