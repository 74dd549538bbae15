//! Acceptance tests: the example networks learn MNIST.
//!
//! By default on the slice the repository ships (`data/mnist`: the first
//! 10,000 training and 2,000 test images), with thresholds for that slice:
//! each is the accuracy measured on it (seed 42) less a margin that covers the
//! spread over seeds and kernel paths (AVX-512, AVX2 and portable sum in other
//! orders, so training follows another trajectory), and is far above chance
//! (10%), so a wrong gradient or a broken kernel fails. On 2,000 test images
//! one image is 0.05 points.
//!
//! The full-set tests (60,000 + 10,000 images) are `#[ignore]`d: run them with
//! `MNIST_DIR=DIR cargo test --release --test mnist_accuracy -- --ignored`;
//! they fail, not pass, when `MNIST_DIR` is missing. `.ci/run` runs them.

mod mnist_data;
mod zoo;

use mnist_data::{full_set_dir, SLICE_DIR};
use staticnet::data::mnist::Mnist;
use staticnet::optim::{Adam, AdamW, Constant, CosineLr, Optimizer, Sgd};
use staticnet::train::{Control, SoftmaxCrossEntropy, Trainer};
use staticnet::Network;
use std::path::Path;
use zoo::nets::{LeNet, Mlp};

staticnet::network! {
    struct SeqMnist {
        input: [28, 28],
        lstm(128, sequence = false),
        dense(10),
    }
}

staticnet::network! {
    struct Vit {
        input: [1, 28, 28],
        patchify(7),
        dense(64),
        pos_embedding,
        residual { layernorm, multihead_attention(4) },
        residual { layernorm, dense(128), gelu, dense(64) },
        residual { layernorm, multihead_attention(4) },
        residual { layernorm, dense(128), gelu, dense(64) },
        layernorm,
        mean_pool,
        dense(10),
    }
}

/// The data set in `dir`, checked to have `train` and `test` images.
fn load(dir: &Path, train: usize, test: usize) -> Mnist {
    let data = Mnist::load(dir).unwrap_or_else(|e| panic!("MNIST in {}: {e}", dir.display()));
    assert_eq!(
        data.train.len(),
        train,
        "training images in {}",
        dir.display()
    );
    assert_eq!(data.test.len(), test, "test images in {}", dir.display());
    data
}

/// Trains `N` for `epochs` at batch 32 from seed `seed` (initial weights and
/// shuffling) with the optimizer `make(base_lr)` and a cosine decay to 0;
/// returns the test accuracy after the last epoch.
fn train_with<N: Network, O: Optimizer + Clone + std::fmt::Debug>(
    data: &Mnist,
    epochs: usize,
    seed: u64,
    base_lr: f32,
    make: impl Fn(f32) -> O,
) -> f32 {
    let schedule = CosineLr {
        base: base_lr,
        min: 0.0,
        total_steps: epochs * data.train.len() / 32,
    };
    let mut trainer = Trainer::<N, _, _, _, 32>::new(
        N::new_boxed(seed),
        make(base_lr),
        schedule,
        SoftmaxCrossEntropy,
    )
    .seed(seed);
    let mut acc = 0.0;
    for epoch in 1..=epochs {
        let loss = trainer
            .train_epoch(&data.train, |_| Control::Continue)
            .unwrap();
        acc = trainer.evaluate(&data.test).unwrap().metric as f32;
        println!("epoch {epoch}: loss {loss:.4}, test accuracy {acc:.4}");
    }
    acc
}

/// SGD with momentum 0.9, lr 0.05 with cosine decay.
fn sgd(lr: f32) -> Sgd {
    Sgd::new(lr).with_momentum(0.9)
}

fn slice() -> Mnist {
    load(Path::new(SLICE_DIR), 10_000, 2_000)
}

fn full_set() -> Mnist {
    load(&full_set_dir(), 60_000, 10_000)
}

// The shipped slice: `cargo test` runs these. Each threshold is the lowest
// accuracy measured over seeds 42, 1 and 2 (AVX-512 path) less 1.3 to 2.6
// points, so another kernel path's trajectory passes and a broken one does
// not. Measured with the trainer's seeded shuffling (`Trainer::seed`). The
// former `Classifier` shuffled with `Rng::new(seed)`; fed that order, the
// trainer gives its accuracies exactly (MLP 93.30/93.85/94.40, LeNet
// 97.00/97.30/97.40, LSTM 92.25/92.05/91.85, ViT 90.55/91.15/87.85), so the
// change is the order alone.

/// 784-128-10 MLP, 5 epochs: measured 93.65% (seed 42), 93.90, 93.75.
const MLP_SLICE: f32 = 0.92;
/// LeNet-5, 3 epochs: measured 97.25%, 95.85, 96.70.
const LENET_SLICE: f32 = 0.945;
/// LSTM over the 28 rows, 3 epochs: measured 91.00%, 92.85, 92.85.
const LSTM_SLICE: f32 = 0.895;
/// Vision Transformer, 4 epochs: measured 90.65%, 90.30, 88.60.
const VIT_SLICE: f32 = 0.86;

#[test]
fn mlp_on_the_slice() {
    let acc = train_with::<Mlp, _>(&slice(), 5, 42, 0.05, sgd);
    assert!(acc >= MLP_SLICE, "test accuracy {acc}");
}

#[test]
fn lenet_on_the_slice() {
    let acc = train_with::<LeNet, _>(&slice(), 3, 42, 0.05, sgd);
    assert!(acc >= LENET_SLICE, "test accuracy {acc}");
}

#[test]
fn lstm_over_rows_on_the_slice() {
    let acc = train_with::<SeqMnist, _>(&slice(), 3, 42, 2e-3, Adam::new);
    assert!(acc >= LSTM_SLICE, "test accuracy {acc}");
}

#[test]
fn vision_transformer_on_the_slice() {
    let acc = train_with::<Vit, _>(&slice(), 4, 42, 1e-3, AdamW::new);
    assert!(acc >= VIT_SLICE, "test accuracy {acc}");
}

#[test]
fn training_is_bit_identical_for_the_same_seed() {
    let mut data = slice();
    data.train.truncate(2_000);
    let run = || {
        let opt = Sgd::new(0.05).with_momentum(0.9);
        let mut trainer = Trainer::<Mlp, _, _, _, 32>::new(
            Mlp::new_boxed(7),
            opt,
            Constant(0.05),
            SoftmaxCrossEntropy,
        )
        .seed(7);
        trainer
            .train_epoch(&data.train, |_| Control::Continue)
            .unwrap();
        trainer.net
    };
    let (a, b) = (run(), run());
    assert_eq!(a.params(), b.params());
    assert_ne!(
        a.params(),
        Mlp::new_boxed(7).params(),
        "training changed nothing"
    );
}

// The full set (`MNIST_DIR`): `.ci/run` runs these with `--ignored`.

#[test]
#[ignore = "needs the full MNIST set in MNIST_DIR; .ci/run runs it"]
fn mlp_reaches_97_5_percent_on_full_mnist() {
    let acc = train_with::<Mlp, _>(&full_set(), 5, 42, 0.05, sgd);
    assert!(acc >= 0.975, "test accuracy {acc}");
}

#[test]
#[ignore = "needs the full MNIST set in MNIST_DIR; .ci/run runs it"]
fn lenet_reaches_98_5_percent_on_full_mnist() {
    let acc = train_with::<LeNet, _>(&full_set(), 2, 42, 0.05, sgd);
    assert!(acc >= 0.985, "test accuracy {acc}");
}

#[test]
#[ignore = "needs the full MNIST set in MNIST_DIR; .ci/run runs it"]
fn lstm_over_rows_reaches_97_percent_on_full_mnist() {
    let acc = train_with::<SeqMnist, _>(&full_set(), 2, 42, 2e-3, Adam::new);
    assert!(acc >= 0.97, "test accuracy {acc}");
}

#[test]
#[ignore = "needs the full MNIST set in MNIST_DIR; .ci/run runs it"]
fn vision_transformer_reaches_97_percent_on_full_mnist() {
    let acc = train_with::<Vit, _>(&full_set(), 3, 42, 1e-3, AdamW::new);
    assert!(acc >= 0.97, "test accuracy {acc}");
}
