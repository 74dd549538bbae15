//! Acceptance tests on the full MNIST set (`MNIST_DIR`, else
//! `../shared/data/mnist` beside the repository): the 784-128-10 MLP reaches at
//! least 97.5% test accuracy within 5 epochs, LeNet-5 at least 98.5% within 2,
//! the row-by-row LSTM of `examples/seq_mnist.rs` at least 97% within 2, the
//! Vision Transformer of `examples/vit_mnist.rs` at least 97% within 3.

use staticnet::data::mnist::Mnist;
use staticnet::optim::{Adam, AdamW, CosineLr, Optimizer, Sgd};
use staticnet::train::Classifier;
use staticnet::{Network, Rng};
use std::path::PathBuf;

staticnet::network! {
    struct Mlp {
        input: [784],
        dense(128), relu,
        dense(10),
    }
}

fn full_set_dir() -> PathBuf {
    std::env::var_os("MNIST_DIR").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/mnist")),
        PathBuf::from,
    )
}

/// SGD with momentum 0.9, lr 0.05 with cosine decay, batch 32, seed 42, on
/// the full set; returns the test accuracy after the last epoch.
fn train_on_full_set<N: Network>(epochs: usize) -> f32 {
    train_with::<N, _>(epochs, 0.05, |lr| Sgd::new(lr).with_momentum(0.9))
}

/// [`train_on_full_set`] with the optimizer `make(base_lr)`.
fn train_with<N: Network, O: Optimizer>(
    epochs: usize,
    base_lr: f32,
    make: impl Fn(f32) -> O,
) -> f32 {
    let data = Mnist::load(full_set_dir()).expect("the full MNIST set (set MNIST_DIR)");
    assert_eq!(data.train.len(), 60_000);
    assert_eq!(data.test.len(), 10_000);
    let schedule = CosineLr {
        base: base_lr,
        min: 0.0,
        total_steps: epochs * 60_000 / 32,
    };
    let mut opt = make(base_lr);
    let mut trainer = Classifier::<N, 32>::new(N::new_boxed(42), &opt);
    let mut rng = Rng::new(42);
    let mut acc = 0.0;
    for epoch in 1..=epochs {
        let loss = trainer.train_epoch(&data.train, &mut opt, &schedule, &mut rng, |_, _| {});
        acc = trainer.accuracy(&data.test);
        println!("epoch {epoch}: loss {loss:.4}, test accuracy {acc:.4}");
    }
    acc
}

#[test]
fn mlp_reaches_97_5_percent_on_full_mnist() {
    let acc = train_on_full_set::<Mlp>(5);
    assert!(acc >= 0.975, "test accuracy {acc}");
}

staticnet::network! {
    struct LeNet {
        input: [1, 28, 28],
        conv2d(6, 5, padding = 2), relu, maxpool2d(2),
        conv2d(16, 5), relu, maxpool2d(2),
        flatten,
        dense(120), relu,
        dense(84), relu,
        dense(10),
    }
}

#[test]
fn lenet_reaches_98_5_percent_on_full_mnist() {
    let acc = train_on_full_set::<LeNet>(2);
    assert!(acc >= 0.985, "test accuracy {acc}");
}

#[test]
fn training_is_bit_identical_for_the_same_seed() {
    let mut data = Mnist::load(Mnist::default_dir()).expect("the MNIST slice in data/mnist");
    data.train.truncate(2_000);
    let run = || {
        let mut opt = Sgd::new(0.05).with_momentum(0.9);
        let mut trainer = Classifier::<Mlp, 32>::new(Mlp::new_boxed(7), &opt);
        let mut rng = Rng::new(7);
        trainer.train_epoch(
            &data.train,
            &mut opt,
            &staticnet::optim::Constant(0.05),
            &mut rng,
            |_, _| {},
        );
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

staticnet::network! {
    struct SeqMnist {
        input: [28, 28],
        lstm(128, sequence = false),
        dense(10),
    }
}

#[test]
fn lstm_over_rows_reaches_97_percent_on_full_mnist() {
    let acc = train_with::<SeqMnist, _>(2, 2e-3, Adam::new);
    assert!(acc >= 0.97, "test accuracy {acc}");
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

#[test]
fn vision_transformer_reaches_97_percent_on_full_mnist() {
    let acc = train_with::<Vit, _>(3, 1e-3, AdamW::new);
    assert!(acc >= 0.97, "test accuracy {acc}");
}
