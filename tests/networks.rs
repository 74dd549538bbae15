//! Whole generated networks: initialisation determinism, constants, dropout.
//! (Gradients, single-sample against batch, allocation and weights checks
//! of every test network are rows of `tests/layers.rs`.)

mod common;
mod zoo;

use common::random_batch;
use staticnet::{Mode, Network, Rng};
use zoo::{Kinked, Smooth};

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
