//! The trainer and its checkpoints: resuming is exact (an MLP with Adam, a
//! CNN with batch norm and dropout, and mid-epoch), a checkpoint of another
//! architecture, optimizer or a damaged file is a typed error that changes
//! nothing, a non-finite step keeps the last good parameters, early stopping
//! stops, and a training step allocates nothing.

mod alloc_count;
mod mnist_data;

use staticnet::data::{Dataset, Samples};
use staticnet::optim::{Adam, Constant, CosineLr, Sgd, Warmup};
use staticnet::train::checkpoint::CheckpointError;
use staticnet::train::{Control, Mse, NonFinite, SoftmaxCrossEntropy, TrainError, Trainer};
use staticnet::{Network, Rng};
use std::path::Path;

staticnet::network! {
    pub struct Mlp { input: [12], dense(16), relu, dense(3) }
}

staticnet::network! {
    pub struct Cnn {
        input: [1, 8, 8],
        conv2d(4, 3), batchnorm, relu,
        maxpool2d(2),
        flatten,
        dropout(0.3),
        dense(3),
    }
}

staticnet::network! {
    pub struct Wider { input: [12], dense(17), relu, dense(3) }
}

/// `n` random samples of `len` inputs with labels `0..3` that depend on
/// them (so training learns something).
fn data(n: usize, len: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let x: Vec<f32> = (0..n * len).map(|_| rng.normal()).collect();
    let y = x
        .chunks(len)
        .map(|s| usize::from(s[0] > 0.0) + usize::from(s[1] > 0.5))
        .collect();
    (x, y)
}

type Sched = Warmup<CosineLr>;

fn schedule() -> Sched {
    Warmup {
        steps: 5,
        then: CosineLr {
            base: 0.01,
            min: 0.0,
            total_steps: 40,
        },
    }
}

fn mlp_trainer() -> Trainer<Mlp, Adam, Sched, SoftmaxCrossEntropy, 8> {
    Trainer::new(
        Mlp::new_boxed(3),
        Adam::new(0.01),
        schedule(),
        SoftmaxCrossEntropy,
    )
    .seed(9)
}

fn cnn_trainer() -> Trainer<Cnn, Sgd, Sched, SoftmaxCrossEntropy, 8> {
    let opt = Sgd::new(0.01).with_momentum(0.9);
    Trainer::new(Cnn::new_boxed(4), opt, schedule(), SoftmaxCrossEntropy).seed(9)
}

fn bits(net: &impl Network) -> Vec<u32> {
    net.state().iter().map(|v| v.to_bits()).collect()
}

fn no_events(_: &staticnet::train::Event) -> Control {
    Control::Continue
}

/// Two epochs straight against one epoch, a checkpoint file, a new trainer
/// (as a new process would build it) resumed from the file, one more epoch.
fn resume_is_exact<N: Network, O, L>(make: impl Fn() -> Trainer<N, O, Sched, L, 8>, len: usize)
where
    O: staticnet::optim::Optimizer + Clone + std::fmt::Debug,
    L: staticnet::train::Loss<Target = usize>,
{
    let (x, y) = data(100, len, 1);
    let set = Samples::new(&x, len, &y).unwrap();
    let mut straight = make();
    straight.fit(&set, Some(&set), 2, no_events).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.ckpt");
    let mut first = make().checkpoint_to(&path);
    first.fit(&set, Some(&set), 1, no_events).unwrap();
    drop(first);
    let mut second = make();
    second.resume(&path).unwrap();
    assert_eq!(second.progress().epoch, 1);
    second.fit(&set, Some(&set), 2, no_events).unwrap();

    assert_eq!(bits(&*straight.net), bits(&*second.net));
    let state = |t: &Trainer<N, O, Sched, L, 8>| -> Vec<u32> {
        t.optimizer_state().iter().map(|v| v.to_bits()).collect()
    };
    assert_eq!(state(&straight), state(&second));
    assert_eq!(straight.progress(), second.progress());
    assert_ne!(
        bits(&*straight.net),
        bits(&*make().net),
        "training changed nothing"
    );
}

#[test]
fn mlp_with_adam_resumes_bit_for_bit() {
    resume_is_exact(mlp_trainer, 12);
}

#[test]
fn cnn_with_batchnorm_and_dropout_resumes_bit_for_bit() {
    resume_is_exact(cnn_trainer, 64);
}

/// Stopped by the callback after 5 steps of the first epoch (checkpointed
/// then), resumed mid-epoch in a new trainer: the same bits as straight.
#[test]
fn resume_mid_epoch_is_exact() {
    let (x, y) = data(100, 12, 2);
    let set = Samples::new(&x, 12, &y).unwrap();
    let mut straight = mlp_trainer();
    straight
        .fit(&set, None::<&Samples<'_, usize>>, 2, no_events)
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mid.ckpt");
    let mut first = mlp_trainer().checkpoint_to(&path).checkpoint_every(3);
    let mut steps = 0;
    first
        .fit(&set, None::<&Samples<'_, usize>>, 2, |e| {
            steps += usize::from(matches!(e, staticnet::train::Event::Step { .. }));
            if steps == 5 {
                Control::Stop
            } else {
                Control::Continue
            }
        })
        .unwrap();
    assert_eq!(first.progress().batch, 5);
    let mut second = mlp_trainer();
    second.resume(&path).unwrap();
    assert_eq!((second.progress().epoch, second.progress().batch), (0, 5));
    // The epoch being resumed was shuffled over these 100 samples: another
    // data set is a typed error, and changes nothing.
    let mut third = mlp_trainer();
    third.resume(&path).unwrap();
    let other = Samples::new(&x[..12 * 90], 12, &y[..90]).unwrap();
    let e = third.train_epoch(&other, no_events).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the epoch being resumed was shuffled over 100 samples, the data set has 90"
    );
    assert_eq!(third.progress().batch, 5);
    second
        .fit(&set, None::<&Samples<'_, usize>>, 2, no_events)
        .unwrap();
    assert_eq!(bits(&*straight.net), bits(&*second.net));
}

fn saved(dir: &Path) -> std::path::PathBuf {
    let (x, y) = data(40, 12, 3);
    let set = Samples::new(&x, 12, &y).unwrap();
    let path = dir.join("a.ckpt");
    let mut t = mlp_trainer().checkpoint_to(&path);
    t.fit(&set, None::<&Samples<'_, usize>>, 1, no_events)
        .unwrap();
    path
}

#[test]
fn another_architecture_is_a_typed_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    let mut t = Trainer::<Wider, _, _, _, 8>::new(
        Wider::new_boxed(3),
        Adam::new(0.01),
        schedule(),
        SoftmaxCrossEntropy,
    );
    let before = bits(&*t.net);
    let e = t.resume(&path).unwrap_err();
    assert!(matches!(e, CheckpointError::Architecture { .. }), "{e}");
    assert!(e.to_string().contains("layer dense0"), "{e}");
    assert_eq!(bits(&*t.net), before);
    assert_eq!(t.progress().step, 0);
}

#[test]
fn another_optimizer_or_schedule_is_a_typed_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    let mut t = Trainer::<Mlp, _, _, _, 8>::new(
        Mlp::new_boxed(3),
        Adam::new(0.01).with_betas(0.8, 0.999),
        schedule(),
        SoftmaxCrossEntropy,
    );
    let before = bits(&*t.net);
    let e = t.resume(&path).unwrap_err();
    match &e {
        CheckpointError::Mismatch {
            field,
            file,
            trainer,
            ..
        } => {
            assert_eq!(*field, "optimizer");
            assert!(
                file.contains("beta1: 0.9") && trainer.contains("beta1: 0.8"),
                "{e}"
            );
        }
        other => panic!("expected a mismatch, got {other}"),
    }
    assert_eq!(bits(&*t.net), before);
    let mut t = Trainer::<Mlp, _, _, _, 8>::new(
        Mlp::new_boxed(3),
        Adam::new(0.01),
        Constant(0.01),
        SoftmaxCrossEntropy,
    );
    let e = t.resume(&path).unwrap_err();
    assert!(
        matches!(
            e,
            CheckpointError::Mismatch {
                field: "schedule",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn damaged_or_foreign_files_are_typed_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    let good = std::fs::read(&path).unwrap();
    let mut t = mlp_trainer();
    let before = bits(&*t.net);
    let cases: [(&str, Vec<u8>); 4] = [
        ("a flipped bit", {
            let mut b = good.clone();
            let k = b.len() / 2;
            b[k] ^= 0x10;
            b
        }),
        ("truncated", good[..good.len() - 7].to_vec()),
        ("empty", Vec::new()),
        (
            "a weights file",
            staticnet::weights::to_vec(&*Mlp::new_boxed(1)).unwrap(),
        ),
    ];
    for (what, bytes) in cases {
        std::fs::write(&path, &bytes).unwrap();
        let e = t.resume(&path).unwrap_err();
        assert!(matches!(e, CheckpointError::Corrupt { .. }), "{what}: {e}");
        assert!(e.to_string().contains("a.ckpt"), "{what}: {e}");
        assert_eq!(bits(&*t.net), before, "{what}");
    }
    let e = t.resume(dir.path().join("missing.ckpt")).unwrap_err();
    assert!(matches!(e, CheckpointError::Io { .. }), "{e}");
}

/// A sample whose input is infinite: the loss is not finite, the step is
/// refused, the parameters are those of the step before.
#[test]
fn a_non_finite_step_is_an_error_and_keeps_the_last_good_parameters() {
    let (mut x, y) = data(16, 12, 4);
    let set = Samples::new(&x, 12, &y).unwrap();
    let mut t = mlp_trainer();
    let first: [usize; 8] = core::array::from_fn(|i| i);
    t.train_step(&set, &first).unwrap();
    let good = bits(&*t.net);
    x[8 * 12 + 3] = f32::INFINITY;
    let set = Samples::new(&x, 12, &y).unwrap();
    let second: [usize; 8] = core::array::from_fn(|i| 8 + i);
    let e = t.train_step(&set, &second).unwrap_err();
    assert!(
        matches!(
            e,
            TrainError::NonFinite {
                step: 1,
                what: NonFinite::Output
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("step 1"), "{e}");
    assert_eq!(bits(&*t.net), good);
    assert_eq!(t.progress().step, 1);
}

/// The largest learning rate overflows the step although the gradients are
/// finite: reported after the step, naming the tensor, unfused (the
/// default, which checks the gradients) and fused (`keep_last_good(false)`).
#[test]
fn an_overflowing_step_is_reported() {
    let (x, y) = data(16, 12, 5);
    // Inputs of about 100: gradients above 1, which times f32::MAX overflow.
    let x: Vec<f32> = x.iter().map(|v| v * 100.0).collect();
    let set = Samples::new(&x, 12, &y).unwrap();
    for keep in [true, false] {
        let mut t = Trainer::<Mlp, _, _, _, 8>::new(
            Mlp::new_boxed(3),
            Sgd::new(f32::MAX).fused(),
            Constant(f32::MAX),
            SoftmaxCrossEntropy,
        )
        .keep_last_good(keep);
        let first: [usize; 8] = core::array::from_fn(|i| i);
        let e = t.train_step(&set, &first).unwrap_err();
        match &e {
            TrainError::NonFinite {
                step: 0,
                what: NonFinite::Parameter { tensor, .. },
            } => assert!(tensor.starts_with("dense"), "{e}"),
            other => panic!("keep {keep}: expected a non-finite parameter, got {other}"),
        }
        assert!(e.to_string().contains("after the step"), "{e}");
    }
}

/// Unfused, a gradient that overflows while output and loss are finite
/// (weights 0, inputs 1e25, targets 1e18: loss 1e36, weight gradient
/// -2e43): refused before the step, the tensor named.
#[test]
fn a_non_finite_gradient_is_named() {
    let mut r = Trainer::<staticnet_one::One, _, _, _, 8>::new(
        staticnet_one::One::new_boxed(1),
        Sgd::new(0.1),
        Constant(0.1),
        Mse::<1>,
    );
    r.net.params_mut().fill(0.0);
    let (xs, targets) = (vec![1e25f32; 8], vec![[1e18f32]; 8]);
    let set = Samples::new(&xs, 1, &targets).unwrap();
    let e = r
        .train_step(&set, &core::array::from_fn(|i| i))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "step 0: the gradient of `dense0.weight` is not finite (at index 0); \
         the parameters of the last good step are kept"
    );
    assert!(r.net.params().iter().all(|&v| v == 0.0));
}

mod staticnet_one {
    staticnet::network! { pub struct One { input: [1], dense(1) } }
}

#[test]
fn mistakes_in_data_are_typed_errors() {
    let (x, mut y) = data(16, 12, 6);
    let set = Samples::new(&x, 12, &y).unwrap();
    let mut t = cnn_trainer();
    let e = t.evaluate(&set).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the network takes 64 inputs per sample, the data set has 12"
    );
    y[5] = 3;
    let set = Samples::new(&x, 12, &y).unwrap();
    let e = mlp_trainer().evaluate(&set).unwrap_err();
    assert!(matches!(e, TrainError::Target { sample: 5, .. }), "{e}");
    let none = None::<&Samples<'_, usize>>;
    let set = Samples::new(&x, 12, &y[..16]).unwrap();
    let e = mlp_trainer()
        .patience(3)
        .fit(&set, none, 1, no_events)
        .unwrap_err();
    assert!(
        e.to_string().starts_with("patience needs a validation set"),
        "{e}"
    );
    let e = mlp_trainer()
        .checkpoint_every(2)
        .fit(&set, none, 1, no_events)
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("checkpoint_every needs checkpoint_to"),
        "{e}"
    );
    let few = Samples::new(&x[..12 * 7], 12, &y[..7]).unwrap();
    let e = mlp_trainer()
        .fit(&few, None::<&Samples<'_, usize>>, 1, no_events)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the data set has 7 samples, fewer than one batch of 8"
    );
}

/// Labels that are noise: the validation accuracy stops improving and
/// patience 2 ends training long before 200 epochs.
#[test]
fn early_stopping_stops() {
    let (x, _) = data(64, 12, 7);
    let mut rng = Rng::new(8);
    let noise: Vec<usize> = (0..64).map(|_| (rng.next_u64() % 3) as usize).collect();
    let set = Samples::new(&x, 12, &noise).unwrap();
    let val_x: Vec<f32> = x.iter().map(|v| -v).collect();
    let val = Samples::new(&val_x, 12, &noise).unwrap();
    let mut t = mlp_trainer().patience(2);
    let report = t.fit(&set, Some(&val), 200, no_events).unwrap();
    assert!(report.early_stopped, "{report:?}");
    assert!(report.epochs < 200);
    let (_, best_epoch) = report.best.unwrap();
    assert_eq!(report.epochs, best_epoch + 2, "{report:?}");
}

/// A training step, after the first, allocates nothing: in-memory data and
/// MNIST (its shipped slice).
#[test]
fn training_steps_do_not_allocate() {
    let (x, y) = data(64, 12, 9);
    let set = Samples::new(&x, 12, &y).unwrap();
    let mut t = mlp_trainer().clip_grad_norm(1.0);
    t.train_epoch(&set, no_events).unwrap();
    let n = alloc_count::allocations(|| {
        t.train_epoch(&set, no_events).unwrap();
    });
    assert_eq!(n, 0, "an epoch of in-memory data allocated {n} times");

    staticnet::network! { pub struct Digits { input: [784], dense(32), relu, dense(10) } }
    let mnist = staticnet::data::mnist::Mnist::load(mnist_data::SLICE_DIR).unwrap();
    assert!(mnist.train.len() >= 64);
    let mut t = Trainer::<Digits, _, _, _, 32>::new(
        Digits::new_boxed(1),
        Sgd::new(0.05).fused(),
        Constant(0.05),
        SoftmaxCrossEntropy,
    );
    let first: [usize; 32] = core::array::from_fn(|i| i);
    t.train_step(&mnist.train, &first).unwrap();
    let second: [usize; 32] = core::array::from_fn(|i| 32 + i);
    let n = alloc_count::allocations(|| {
        t.train_step(&mnist.train, &second).unwrap();
    });
    assert_eq!(n, 0, "an MNIST step allocated {n} times");
    assert!(mnist.train.input_len() == 784);
}
