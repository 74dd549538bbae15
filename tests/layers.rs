//! Every check over the table of test networks (`tests/zoo/`): a row per
//! network, the checks it takes, and a test per check named `<row>::<check>`
//! (`cargo test --test layers vision::`). A new layer kind is covered by
//! putting it in a zoo network; a new network by adding a row.
//!
//! - `gradients(B)`: every parameter (and input, unless token ids) gradient
//!   of a batch of `B` against central finite differences in f32 (h = 1e-3,
//!   tolerance 2e-3 + 2e-2 |g|, kinks skipped, at most 5%).
//! - `single(B)`: `forward` on each sample equals `forward_batch` (inference).
//! - `alloc`: forward (both modes), backward (with and without input
//!   gradient), buffer updates, clipping, SGD/Adam/AdamW steps, and binary
//!   weights save/load allocate nothing, at batch 1 and 32.
//! - `weights`: the binary format and safetensors round-trip every value bit
//!   for bit, and the manifest's offsets tile the state.

mod alloc_count;
mod common;
mod zoo;

use alloc_count::allocations;
use common::check_gradients;
use staticnet::optim::{Adam, AdamW, Optimizer, Sgd};
use staticnet::weights::{self, safetensors as st};
use staticnet::{loss, Mode, Network};
use zoo::*;

macro_rules! check {
    ($net:ty, gradients($b:literal)) => {
        #[test]
        fn gradients() {
            super::gradients::<$net, $b>();
        }
    };
    ($net:ty, single($b:literal)) => {
        #[test]
        fn single_sample_matches_batch() {
            super::single::<$net, $b>();
        }
    };
    ($net:ty, alloc) => {
        #[test]
        fn does_not_allocate() {
            super::no_alloc::<$net>();
        }
    };
    ($net:ty, weights) => {
        #[test]
        fn weights_round_trip() {
            super::weights_round_trip::<$net>();
        }
    };
}

macro_rules! table {
    ($($row:ident: $net:ident => [$($check:ident $(($b:literal))?),* $(,)?];)*) => {
        $(mod $row {
            $(check!(super::$net, $check $(($b))?);)*
        })*
    };
}

table! {
    smooth: Smooth => [gradients(3), single(5), alloc, weights];
    kinked: Kinked => [gradients(3), single(5), alloc, weights];
    mobile: Mobile => [gradients(3), single(5), alloc, weights];
    regress: Regress => [gradients(3), single(1), alloc, weights];
    binary: Binary => [gradients(3), single(65), alloc, weights];
    probs: Probs => [gradients(3), single(3), alloc, weights];
    deep: Deep => [single(33), alloc, weights];
    vision: Vision => [gradients(3), single(4), alloc, weights];
    signal: Signal => [gradients(3), single(3), alloc, weights];
    dilated: Dilated => [gradients(3), single(1), alloc, weights];
    conv: Conv => [gradients(2), single(3), alloc, weights];
    every: Every => [gradients(2), single(3), alloc, weights];
    padded: Padded => [gradients(3), single(3), alloc, weights];
    seq: Seq => [gradients(4), single(3), alloc, weights];
    pooled: Pooled => [gradients(3), single(2), alloc, weights];
    lstm_last: LstmLast => [gradients(3), single(3), alloc, weights];
    gru_stack: GruStack => [gradients(2), single(2), alloc, weights];
    rnn_seq: RnnSeq => [gradients(3), single(4), alloc, weights];
    rnn_relu: RnnRelu => [gradients(1), single(1), alloc, weights];
    chars: Chars => [gradients(2), single(2), alloc, weights];
    recurrent: Recurrent => [gradients(2), single(3), alloc, weights];
    tiny_vit: TinyVit => [gradients(2), single(3), alloc, weights];
    norms: Norms => [gradients(3), single(3), alloc, weights];
    slopes: Slopes => [gradients(3), single(3), alloc, weights];
    tiny_gpt: TinyGpt => [gradients(2), single(2), alloc, weights];
    transformer: Transformer => [gradients(2), single(2), alloc, weights];
    sine: Sine => [gradients(3), single(7), alloc, weights];
}

/// Finite differences on a batch of `B` (parameters only for token ids,
/// whose input gradient must be zero).
fn gradients<N: Row, const B: usize>() {
    let mut net = N::new_boxed(1);
    let mut x = row_input::<N, B>(11);
    let reseed = |c: &mut N::Cache<B>| N::reseed(c);
    let loss = |out: &[f32], g: &mut [f32]| row_loss::<N>(out, g);
    if N::VOCAB.is_some() {
        common::check_param_gradients(&mut *net, &mut x, &loss, 1e-3, 2e-2, 2e-3);
    } else {
        check_gradients(&mut *net, &mut x, &reseed, &loss, 1e-3, 2e-2, 2e-3);
    }
}

/// `forward` of each sample equals the inference-mode batch forward.
fn single<N: Row, const B: usize>() {
    let net = N::new_boxed(2);
    let x = row_input::<N, B>(12);
    common::single_matches_batch_on(&*net, &x);
}

/// One of everything a training step and inference do, at batch `B`; the
/// number of allocations it made.
fn train_step<N: Row, const B: usize>(net: &mut N) -> usize {
    let x = row_input::<N, B>(13);
    let mut cache = N::new_cache::<B>();
    let mut grads = N::zeroed_boxed();
    let mut gy: Box<[N::Output; B]> = bytemuck::zeroed_box();
    let mut gx = N::new_batch::<B>();
    let mut ws = N::new_workspace();
    let labels = [N::OUTPUT_LEN / 2; B];
    let mut sgd = Sgd::new(0.1)
        .with_momentum(0.9)
        .with_nesterov()
        .with_weight_decay(1e-4);
    let mut adam = Adam::new(1e-3);
    let mut adamw = AdamW::new(1e-3);
    let mut s1 = vec![0.0f32; N::PARAMS * sgd.state_slots()];
    let mut s2 = vec![0.0f32; N::PARAMS * adam.state_slots()];
    let mut s3 = vec![0.0f32; N::PARAMS * adamw.state_slots()];
    let input0: N::Input = x[0];
    allocations(|| {
        let _ = net.forward(&input0, &mut ws);
        for mode in [Mode::Infer, Mode::Train] {
            let _ = net.forward_batch(&x, &mut cache, mode);
            net.update_buffers(&cache);
            let out = net.forward_batch(&x, &mut cache, mode);
            loss::softmax_cross_entropy(
                staticnet::flat(out),
                &labels[..],
                N::OUTPUT_LEN,
                staticnet::flat_mut(&mut *gy),
            );
            net.backward(&x, &mut cache, &gy, &mut grads, Some(&mut gx));
            net.backward(&x, &mut cache, &gy, &mut grads, None);
            staticnet::optim::clip_grad_norm(grads.params_mut(), 1.0);
            sgd.step(net.params_mut(), grads.params(), &mut s1);
            adam.step(net.params_mut(), grads.params(), &mut s2);
            adamw.step(net.params_mut(), grads.params(), &mut s3);
        }
    })
}

/// Binary save and load into caller buffers, and the error path; the
/// number of allocations they made.
fn save_load<N: Network>(net: &N) -> usize {
    let mut buf = vec![0u8; weights::encoded_len::<N>()];
    let mut copy = N::zeroed_boxed();
    let mut bad = buf.clone();
    allocations(|| {
        let n = weights::save(net, &mut buf).expect("save");
        weights::load(&buf[..n], &mut *copy).expect("load");
        bad.copy_from_slice(&buf);
        bad[n - 1] ^= 1;
        assert!(weights::load(&bad, &mut *copy).is_err());
        assert!(weights::check_const(&bad[..40], &N::ARCH).is_err());
    })
}

fn no_alloc<N: Row>() {
    let mut net = N::new_boxed(0);
    assert_eq!(train_step::<N, 1>(&mut net), 0, "batch 1");
    assert_eq!(train_step::<N, 32>(&mut net), 0, "batch 32");
    assert_eq!(save_load(&*N::new_boxed(1)), 0, "save and load");
}

fn weights_round_trip<N: Row>() {
    let net = filled::<N>(3);
    let bytes = weights::to_vec(&*net).unwrap();
    assert_eq!(bytes.len(), weights::encoded_len::<N>());
    let mut copy = N::zeroed_boxed();
    weights::load(&bytes, &mut *copy).unwrap();
    assert_same(&*net, &*copy);

    let bytes = st::to_bytes(&*net).unwrap();
    let mut copy = N::zeroed_boxed();
    let report = st::load(&bytes, &mut *copy).unwrap();
    assert_eq!(report.loaded.len(), N::ARCH.tensors.len());
    assert_same(&*net, &*copy);

    let arch = &N::ARCH;
    assert_eq!(arch.params(), N::PARAMS);
    assert_eq!(arch.buffers(), N::BUFFERS);
    let mut offset = 0;
    for t in arch.tensors {
        assert_eq!(t.offset, offset, "{}.{}", t.layer, t.attr);
        offset += t.len();
    }
    assert_eq!(offset, N::PARAMS + N::BUFFERS);
    assert_eq!(arch.input.iter().product::<usize>(), N::INPUT_LEN);
}

#[test]
fn the_counter_counts() {
    // The allocation checks could not fail if the allocator did not count.
    let n = allocations(|| {
        let v: Vec<u8> = Vec::with_capacity(16);
        std::hint::black_box(v);
    });
    assert_eq!(n, 1);
}
