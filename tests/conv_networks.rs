//! Batch norm in convolutional networks: running statistics, folding, and
//! buffers kept out of the parameters. (Gradients, single-sample against
//! batch, allocation and weights checks are rows of `tests/layers.rs`.)

mod common;
mod zoo;

use common::random_batch;
use staticnet::{Mode, Network, Rng};
use zoo::{Dilated, Vision};

#[test]
fn batchnorm_statistics_update_and_fold() {
    let mut net = Vision::new_boxed(8);
    assert_eq!(Vision::BUFFERS, 4 + 4 + 1);
    assert_eq!(net.state().len(), Vision::PARAMS + Vision::BUFFERS);
    assert!(net.batchnorm0_stats.running_var.iter().all(|&v| v == 1.0));
    let mut x = random_batch::<Vision, 16>(9);
    // Shift the input so that the batch statistics are far from (0, 1).
    staticnet::flat_mut(&mut *x)
        .iter_mut()
        .for_each(|v| *v = 3.0 * *v + 2.0);
    let mut cache = Vision::new_cache::<16>();
    for _ in 0..50 {
        net.forward_batch(&x, &mut cache, Mode::Train);
        net.update_buffers(&cache);
    }
    let stats = net.batchnorm0_stats;
    assert_eq!(stats.num_batches_tracked, [50.0]);
    // After 50 updates with momentum 0.1 the running mean is within 1% of the batch mean.
    for (rm, m) in stats.running_mean.iter().zip(&cache.batchnorm0_mean) {
        assert!((rm - m).abs() <= 0.01 * m.abs().max(1.0), "{rm} vs {m}");
    }
    // Training and inference now agree roughly (same statistics, unbiased vs biased variance).
    let train = *net.forward_batch(&x, &mut cache, Mode::Train);
    let infer = *net.forward_batch(&x, &mut cache, Mode::Infer);
    for (a, b) in staticnet::flat(&train).iter().zip(staticnet::flat(&infer)) {
        assert!((a - b).abs() < 0.05, "{a} vs {b}");
    }
    // Folding keeps inference outputs.
    let mut folded = net.clone();
    folded.fold_batchnorm();
    assert_ne!(folded.conv2d0.weight, net.conv2d0.weight);
    let mut cache2 = Vision::new_cache::<16>();
    let after = *folded.forward_batch(&x, &mut cache2, Mode::Infer);
    for (a, b) in staticnet::flat(&infer).iter().zip(staticnet::flat(&after)) {
        assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

#[test]
fn params_exclude_buffers() {
    let mut net = Dilated::new_boxed(4);
    let n = Dilated::PARAMS;
    assert_eq!(n, 2 * 9 + 2 + 2 * 3 + 3 + 3 * 2 + 3 + 1);
    net.params_mut().fill(0.5);
    assert!(net.batchnorm0_stats.running_var.iter().all(|&v| v == 1.0));
    let _ = Rng::new(0);
}
