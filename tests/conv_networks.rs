//! Whole convolutional networks: gradients against finite differences through
//! conv2d (stride, padding, non-square kernels, groups, depthwise), conv1d
//! (dilation), pooling, batch norm; single-sample against batch forward; batch
//! norm's running statistics and folding.

mod common;

use common::{check_gradients, random_batch, single_matches_batch};
use staticnet::{loss, Mode, Network, Rng};

staticnet::network! {
    /// Every 2-d feature: padding, batch norm, stride, non-square kernel,
    /// groups, overlapping max pooling, depthwise 1x1, average pooling.
    struct Vision {
        input: [2, 7, 6],
        conv2d(4, 3, padding = 1),
        batchnorm,
        tanh,
        conv2d(4, (2, 3), stride = 2, groups = 2),
        maxpool2d(2, stride = 1),
        conv2d(4, 1, groups = 4),
        sigmoid,
        avgpool2d((2, 1)),
        flatten,
        dense(3),
    }
}

staticnet::network! {
    /// 1-d: stride, padding, dilation, groups, global average pooling.
    struct Signal {
        input: [3, 9],
        conv1d(4, 3, stride = 2, padding = 1, dilation = 2),
        relu,
        conv1d(2, 2, groups = 2, bias = false),
        global_avgpool,
        dense(2),
    }
}

staticnet::network! {
    /// Dilated 2-d kernel, GELU, global pooling, batch norm after dense.
    struct Dilated {
        input: [1, 8, 8],
        conv2d(2, 3, dilation = 2, stride = (1, 2)),
        gelu,
        global_avgpool,
        dense(3), batchnorm, relu,
        dense(1),
    }
}

const LABELS: [usize; 3] = [2, 0, 1];

fn no_reseed<C>(_: &mut C) {}

#[test]
fn vision_network_gradients_match_finite_differences() {
    let mut net = Vision::new_boxed(1);
    let mut x = random_batch::<Vision, 3>(11);
    let ce = |p: &[f32], g: &mut [f32]| loss::softmax_cross_entropy(p, &LABELS, 3, g);
    check_gradients(&mut *net, &mut x, &no_reseed, &ce, 1e-3, 2e-2, 2e-3);
}

#[test]
fn signal_network_gradients_match_finite_differences() {
    let mut net = Signal::new_boxed(2);
    let mut x = random_batch::<Signal, 3>(12);
    let target = [0.5f32, -0.25, 1.0, 0.0, -1.0, 0.75];
    let mse = |p: &[f32], g: &mut [f32]| loss::mse(p, &target, g);
    check_gradients(&mut *net, &mut x, &no_reseed, &mse, 1e-3, 2e-2, 2e-3);
}

#[test]
fn dilated_network_gradients_match_finite_differences() {
    let mut net = Dilated::new_boxed(3);
    let mut x = random_batch::<Dilated, 3>(13);
    let t = [1.0f32, 0.0, 1.0];
    let bce = |p: &[f32], g: &mut [f32]| loss::bce_with_logits(p, &t, g);
    check_gradients(&mut *net, &mut x, &no_reseed, &bce, 1e-3, 2e-2, 2e-3);
}

#[test]
fn single_sample_forward_matches_batch() {
    single_matches_batch::<Vision, 4>(5);
    single_matches_batch::<Signal, 3>(6);
    single_matches_batch::<Dilated, 1>(7);
}

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
