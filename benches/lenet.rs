//! The LeNet-5 workloads (definitions, method and latest figures in
//! `docs/performance.md`). LeNet-5: conv 1->6 k5 pad 2, ReLU, maxpool 2,
//! conv 6->16 k5, ReLU, maxpool 2, flatten 400, dense 120, ReLU, dense 84,
//! ReLU, dense 10.
//!
//! - W4: batch-1 forward with random weights (`W4/f32`), and its int8 form
//!   (`W4/int8`: `LeNetQ`, the same weights quantised after a min/max
//!   calibration on 64 random inputs, the input quantised once outside the
//!   timed loop).
//! - W3: training throughput, softmax cross-entropy and plain SGD lr 0.05,
//!   batch 32, over 12,800 samples (400 steps) of a shuffled MNIST epoch, on
//!   one thread and data-parallel (2 threads of 16 samples).
//!
//! `cargo bench --bench lenet` (W3 reads the full set from `MNIST_DIR`, else
//! the slice in `data/mnist`).

mod data;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use staticnet::data::Samples;
use staticnet::optim::{Constant, Sgd};
use staticnet::parallel::ParallelTrainer;
use staticnet::quant::calib::Range;
use staticnet::quantize::calibrate;
use staticnet::train::{SoftmaxCrossEntropy, Trainer};
use staticnet::{Network, Rng};
use std::hint::black_box;
use std::time::Duration;

/// LeNet-5 (W3, W4), as the embedded crate declares it.
#[allow(
    dead_code,
    reason = "the sine training helpers are the embedded tests'"
)]
mod nets {
    include!("../embedded/src/nets.rs");
}
use nets::{LeNet, LeNetQ, LeNetQWorkspace};

fn w4(c: &mut Criterion) {
    let net = LeNet::new_boxed(1);
    let mut ws = LeNet::new_workspace();
    let mut x = [[[0.0f32; 28]; 28]; 1];
    let mut rng = Rng::new(2);
    staticnet::flat_mut(&mut x)
        .iter_mut()
        .for_each(|v| *v = rng.uniform());
    let mut group = c.benchmark_group("W4");
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
    let calib =
        calibrate::<LeNet, _, 32, { LeNetQ::TENSORS.len() }>(&net, &data, 64, Range::MinMax)
            .expect("a calibration");
    let mut q = Box::new(LeNetQ::ZEROED);
    q.quantize_from(&net, &calib).expect("a quantised network");
    let mut qws = Box::new(LeNetQWorkspace::ZEROED);
    let mut xq = [0i8; 784];
    q.quantize_input(&x, &mut xq);
    group.bench_function("int8", |b| {
        b.iter(|| {
            let y = q.forward(black_box(&xq), &mut qws);
            black_box(y[0])
        })
    });
    group.finish();
}

fn w3(c: &mut Criterion) {
    let data = data::mnist();
    let lr = Constant(0.05);
    let mut trainer = Trainer::<LeNet, _, _, _, 32>::new(
        LeNet::new_boxed(1),
        Sgd::new(0.05),
        lr,
        SoftmaxCrossEntropy,
    );
    let mut rng = Rng::new(3);
    let mut order: Vec<usize> = (0..data.train.len()).collect();
    rng.shuffle(&mut order);
    let mut group = c.benchmark_group("W3");
    group.throughput(Throughput::Elements(12_800));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function(
        "W3 lenet training 12800 samples (sgd 0.05, batch 32)",
        |b| {
            b.iter(|| {
                for batch in order[..12_800].chunks_exact(32) {
                    let batch = batch.try_into().expect("chunks of 32");
                    let loss = trainer.train_step(&data.train, batch);
                    black_box(loss.expect("a finite step"));
                }
            })
        },
    );
    // Two threads of 16 (global batch 32) over the first 12,800 images (an
    // epoch of the truncated set: the parallel loop shuffles itself).
    let mut subset = data.train.clone();
    subset.truncate(12_800);
    let mut opt2 = Sgd::new(0.05);
    let mut par =
        ParallelTrainer::<LeNet, _, 16>::new(LeNet::new_boxed(1), &opt2, SoftmaxCrossEntropy, 2);
    let mut rng2 = Rng::new(3);
    group.bench_function(
        "W3 lenet training 12800 samples (sgd 0.05, 2 threads x 16)",
        |b| {
            b.iter(|| {
                let loss = par.train_epoch(&subset, &mut opt2, &lr, &mut rng2, |_, _| {});
                black_box(loss.expect("finite steps"))
            })
        },
    );
    group.finish();
}

criterion_group!(benches, w4, w3);
criterion_main!(benches);
