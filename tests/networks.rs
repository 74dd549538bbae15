//! Whole generated networks: gradients against finite differences (every
//! activation and every loss), single-sample against batch forward,
//! initialisation determinism, constants.

mod common;

use common::{check_gradients, random_batch, single_matches_batch};
use staticnet::{loss, Mode, Network, Rng};

staticnet::network! {
    /// Smooth activations, ends in softmax: checked with `loss::cross_entropy`.
    struct Smooth {
        input: [5],
        dense(7), tanh,
        dense(6, bias = false), sigmoid,
        out: dense(4),
        softmax,
    }
}

staticnet::network! {
    /// Rank-2 input, flatten, ReLU, dropout, leaky ReLU: `softmax_cross_entropy`.
    struct Kinked {
        input: [2, 3],
        flatten,
        dense(9), relu,
        dropout(0.25),
        dense(5), leaky_relu(0.1),
        dense(3),
    }
}

staticnet::network! {
    /// GELU regression: `mse`.
    struct Regress {
        input: [4],
        dense(8), gelu,
        dense(3),
    }
}

staticnet::network! {
    /// Binary classifier: `bce_with_logits`.
    struct Binary {
        input: [3],
        dense(5), relu,
        dense(1),
    }
}

const LABELS: [usize; 3] = [2, 0, 1];

fn no_reseed<C>(_: &mut C) {}

#[test]
fn smooth_network_gradients_match_finite_differences() {
    let mut net = Smooth::new_boxed(1);
    let mut x = random_batch::<Smooth, 3>(10);
    let ce = |p: &[f32], g: &mut [f32]| loss::cross_entropy(p, &LABELS, 4, g);
    check_gradients(&mut *net, &mut x, &no_reseed, &ce, 1e-3, 2e-2, 2e-3);
}

#[test]
fn kinked_network_gradients_match_finite_differences() {
    let mut net = Kinked::new_boxed(2);
    let mut x = random_batch::<Kinked, 3>(20);
    // The same dropout mask for every evaluation.
    let reseed = |c: &mut KinkedCache<3>| c.rng = Rng::new(7);
    let ce = |p: &[f32], g: &mut [f32]| loss::softmax_cross_entropy(p, &LABELS, 3, g);
    check_gradients(&mut *net, &mut x, &reseed, &ce, 1e-3, 2e-2, 2e-3);
}

#[test]
fn regression_network_gradients_match_finite_differences() {
    let mut net = Regress::new_boxed(3);
    let mut x = random_batch::<Regress, 3>(30);
    let target: Vec<f32> = (0..9).map(|i| (i as f32 * 0.37).sin()).collect();
    let mse = |p: &[f32], g: &mut [f32]| loss::mse(p, &target, g);
    check_gradients(&mut *net, &mut x, &no_reseed, &mse, 1e-3, 2e-2, 2e-3);
}

#[test]
fn binary_network_gradients_match_finite_differences() {
    let mut net = Binary::new_boxed(4);
    let mut x = random_batch::<Binary, 3>(40);
    let t = [1.0f32, 0.0, 1.0];
    let bce = |p: &[f32], g: &mut [f32]| loss::bce_with_logits(p, &t, g);
    check_gradients(&mut *net, &mut x, &no_reseed, &bce, 1e-3, 2e-2, 2e-3);
}

#[test]
fn single_sample_forward_matches_batch() {
    single_matches_batch::<Smooth, 5>(1);
    single_matches_batch::<Kinked, 5>(2);
    single_matches_batch::<Regress, 1>(3);
    single_matches_batch::<Binary, 65>(4);
}

#[test]
fn init_is_deterministic_and_seed_dependent() {
    let a = Kinked::new_boxed(9);
    let b = Kinked::new_boxed(9);
    let c = Kinked::new_boxed(10);
    assert_eq!(a.params(), b.params());
    assert_ne!(a.params(), c.params());
    // Weights are not all zero; biases are.
    assert!(a.dense0.weight.iter().flatten().any(|&w| w != 0.0));
    assert!(a.dense0.bias.iter().all(|&b| b == 0.0));
}

#[test]
fn constants_describe_the_network() {
    assert_eq!(Kinked::PARAMS, 6 * 9 + 9 + 9 * 5 + 5 + 5 * 3 + 3);
    assert_eq!(Kinked::INPUT_LEN, 6);
    assert_eq!(Kinked::OUTPUT_LEN, 3);
    assert_eq!(Smooth::PARAMS, 5 * 7 + 7 + 7 * 6 + 6 * 4 + 4);
    let summary = Kinked::SUMMARY;
    assert!(summary.contains("flatten0 (flatten)"), "{summary}");
    assert!(summary.contains("[2, 3]"), "{summary}");
    assert!(
        summary.contains(&format!("total params: {}", Kinked::PARAMS)),
        "{summary}"
    );
    assert!(Smooth::SUMMARY.contains("out (dense)"));
    assert_eq!(std::mem::size_of::<Kinked>(), Kinked::PARAMS * 4);
}

#[test]
fn dropout_is_identity_in_inference_and_masks_in_training() {
    let net = Kinked::new_boxed(5);
    let x = random_batch::<Kinked, 64>(6);
    let mut cache = Kinked::new_cache::<64>();
    net.forward_batch(&x, &mut cache, Mode::Infer);
    assert_eq!(cache.dropout0, cache.relu0);
    cache.rng = Rng::new(1);
    net.forward_batch(&x, &mut cache, Mode::Train);
    let flat_in = staticnet::flat(&cache.relu0);
    let flat_out = staticnet::flat(&cache.dropout0);
    let dropped = flat_in
        .iter()
        .zip(flat_out)
        .filter(|(a, b)| **a != 0.0 && **b == 0.0)
        .count();
    let live = flat_in.iter().filter(|a| **a != 0.0).count();
    let rate = dropped as f64 / live as f64;
    assert!((0.15..0.35).contains(&rate), "drop rate {rate}");
    for (a, b) in flat_in.iter().zip(flat_out) {
        assert!(*b == 0.0 || (b - a / 0.75).abs() <= 1e-6 * a.abs().max(1.0));
    }
}
