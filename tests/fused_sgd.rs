//! `Sgd::fused`: training with the SGD step inside the backward pass
//! (`Network::backward_sgd`) takes bit-for-bit the steps of `backward` then
//! `Sgd::step`, for dense layers (fused into their weight-gradient product)
//! and for every other kind (stepped after their own backward pass), and a
//! fused step allocates nothing.

use staticnet::data::mnist::Split;
use staticnet::optim::{Constant, Optimizer, Sgd};
use staticnet::train::{SoftmaxCrossEntropy, Trainer};
use staticnet::Network;
mod counting;

staticnet::network! {
    struct Mlp { input: [784], dense(65), relu, dense(10, bias = false) }
}

staticnet::network! {
    struct Cnn {
        input: [1, 28, 28],
        conv2d(3, 5, padding = 2), batchnorm, relu, maxpool2d(2),
        conv2d(4, 3), relu, maxpool2d(2),
        flatten, dense(33), tanh, dense(10),
    }
}

/// 96 random 28x28 "images" with random labels.
fn data() -> Split {
    let mut x = 12_345u32;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    Split {
        images: (0..96 * 784).map(|_| next() as u8).collect(),
        labels: (0..96).map(|_| (next() % 10) as u8).collect(),
        rows: 28,
        cols: 28,
    }
}

/// Trains 9 steps of 32 with `opt`; the parameters (and buffers), and the
/// allocations of the last 8 steps.
fn train<N: Network>(opt: Sgd) -> (Vec<u32>, usize) {
    let data = data();
    let lr = Constant(opt.lr);
    // `keep_last_good(false)`: a fused optimizer then runs fused (with the
    // default gradient check it would run unfused).
    let mut t = Trainer::<N, _, _, _, 32>::new(N::new_boxed(7), opt, lr, SoftmaxCrossEntropy)
        .keep_last_good(false);
    let batches: Vec<[usize; 32]> = (0..9)
        .map(|s| std::array::from_fn(|i| (s * 32 + i) % 96))
        .collect();
    t.train_step(&data, &batches[0]).unwrap();
    let before = counting::allocations();
    for batch in &batches[1..] {
        t.train_step(&data, batch).unwrap();
    }
    let allocations = counting::allocations() - before;
    let state = t.net.state().iter().map(|v| v.to_bits()).collect();
    (state, allocations)
}

fn same_steps<N: Network>() {
    let (unfused, _) = train::<N>(Sgd::new(0.05));
    let (fused, allocations) = train::<N>(Sgd::new(0.05).fused());
    let start: Vec<u32> = N::new_boxed(7)
        .state()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    let moved = unfused.iter().zip(&start).filter(|(a, b)| a != b).count();
    assert!(moved * 2 > N::PARAMS, "training moved only {moved} values");
    let differ = fused.iter().zip(&unfused).filter(|(a, b)| a != b).count();
    assert_eq!(
        differ, 0,
        "{differ} values differ between fused and unfused"
    );
    assert_eq!(allocations, 0, "fused steps allocated");
}

#[test]
fn fused_sgd_takes_the_same_steps() {
    assert_eq!(Sgd::new(0.1).fused_lr(), None);
    assert_eq!(Sgd::new(0.1).fused().fused_lr(), Some(0.1));
    assert_eq!(Sgd::new(0.1).with_momentum(0.9).fused().fused_lr(), None);
    assert_eq!(
        Sgd::new(0.1).with_weight_decay(1e-4).fused().fused_lr(),
        None
    );
    same_steps::<Mlp>();
    same_steps::<Cnn>();
}
