//! The trainer with each kind of target and loss: a user's own loss, MSE
//! regression, multi-label BCE, next-token windows; evaluation against a
//! hand computation (a last partial batch included); the data-parallel
//! trainer on an in-memory data set, and after a failed epoch; gradient
//! clipping's effect on one step.

use staticnet::data::{Dataset, Samples, Windows};
use staticnet::optim::{Adam, Constant, Sgd};
use staticnet::parallel::ParallelTrainer;
use staticnet::train::{
    BceWithLogits, Control, Event, Loss, Metric, Mse, SequenceCrossEntropy, SoftmaxCrossEntropy,
    Trainer,
};
use staticnet::{flat, flat_mut, loss, Mode, Network, Rng};

staticnet::network! {
    pub struct Reg { input: [3], dense(16), tanh, dense(2) }
}

/// Inputs in [-1, 1)^3, targets `[x0 + x1, x1 * x2]`.
fn regression(n: usize, seed: u64) -> (Vec<f32>, Vec<[f32; 2]>) {
    let mut rng = Rng::new(seed);
    let x: Vec<f32> = (0..3 * n).map(|_| rng.uniform() * 2.0 - 1.0).collect();
    let y = x.chunks(3).map(|s| [s[0] + s[1], s[1] * s[2]]).collect();
    (x, y)
}

fn quiet(_: &Event) -> Control {
    Control::Continue
}

/// Mean absolute error, a loss the library does not have: its gradient is
/// `sign(out - target) / n`; metric: the same mean absolute error.
#[derive(Debug)]
struct L1;

impl Loss for L1 {
    type Target = [f32; 2];
    const METRIC: Metric = Metric {
        name: "mae",
        higher_is_better: false,
    };

    fn check(&self, out_len: usize) -> Result<(), &'static str> {
        if out_len == 2 {
            Ok(())
        } else {
            Err("two outputs expected")
        }
    }

    fn loss(&self, out: &[f32], targets: &[[f32; 2]], grad: &mut [f32]) -> f32 {
        let t: &[f32] = bytemuck::cast_slice(targets);
        let n = out.len() as f32;
        let mut total = 0.0;
        for ((g, &o), &t) in grad.iter_mut().zip(out).zip(t) {
            total += (o - t).abs();
            *g = (o - t).signum() / n;
        }
        total / n
    }

    fn metric(&self, out: &[f32], targets: &[[f32; 2]]) -> f64 {
        let t: &[f32] = bytemuck::cast_slice(targets);
        out.iter()
            .zip(t)
            .map(|(&o, &t)| f64::from((o - t).abs()))
            .sum::<f64>()
            / 2.0
    }
}

#[test]
fn a_users_own_loss_trains() {
    let (x, y) = regression(512, 1);
    let set = Samples::new(&x, 3, &y).unwrap();
    let mut t =
        Trainer::<Reg, _, _, _, 32>::new(Reg::new_boxed(2), Adam::new(0.01), Constant(0.01), L1)
            .seed(3);
    let before = t.evaluate(&set).unwrap().metric;
    let report = t.fit(&set, Some(&set), 30, quiet).unwrap();
    let after = report.last.unwrap().metric;
    assert!(after < before / 3.0, "mae {before} -> {after}");
}

#[test]
fn mse_regression_and_its_metric() {
    let (x, y) = regression(512, 4);
    let set = Samples::new(&x, 3, &y).unwrap();
    let mut t = Trainer::<Reg, _, _, _, 32>::new(
        Reg::new_boxed(5),
        Adam::new(0.01),
        Constant(0.01),
        Mse::<2>,
    );
    let report = t.fit(&set, Some(&set), 40, quiet).unwrap();
    let e = report.last.unwrap();
    assert!(e.metric < 0.01, "{e:?}");
    // For MSE the metric is the loss.
    assert!(
        (e.metric - e.loss).abs() <= 1e-6 * e.loss.max(1e-12),
        "{e:?}"
    );
}

/// 37 samples at batch 8: four batches and five single samples, against
/// the loss and accuracy computed here from `forward`.
#[test]
fn evaluation_matches_a_hand_computation() {
    staticnet::network! { pub struct Cls { input: [3], dense(5), relu, dense(3) } }
    let (x, _) = regression(37, 6);
    let labels: Vec<usize> = (0..37).map(|i| i % 3).collect();
    let set = Samples::new(&x, 3, &labels).unwrap();
    let mut t = Trainer::<Cls, _, _, _, 8>::new(
        Cls::new_boxed(7),
        Sgd::new(0.1),
        Constant(0.1),
        SoftmaxCrossEntropy,
    );
    let got = t.evaluate(&set).unwrap();
    let mut ws = Cls::new_workspace();
    let (mut total, mut right) = (0.0f64, 0usize);
    for i in 0..37 {
        let input: [f32; 3] = x[3 * i..3 * i + 3].try_into().unwrap();
        let out = t.net.forward(&input, &mut ws);
        let mut g = [0.0f32; 3];
        total += f64::from(loss::softmax_cross_entropy(
            flat(out),
            &[labels[i]],
            3,
            &mut g,
        ));
        right += usize::from(loss::argmax(out) == labels[i]);
    }
    assert!(
        (got.loss - total / 37.0).abs() < 1e-5,
        "{got:?} vs {}",
        total / 37.0
    );
    assert_eq!(got.metric, right as f64 / 37.0);
}

/// Two labels per sample (`x0 > 0`, `x1 > x2`): multi-label BCE learns
/// both.
#[test]
fn multi_label_bce() {
    let (x, _) = regression(512, 8);
    let y: Vec<[f32; 2]> = x
        .chunks(3)
        .map(|s| {
            [
                f32::from(u8::from(s[0] > 0.0)),
                f32::from(u8::from(s[1] > s[2])),
            ]
        })
        .collect();
    let set = Samples::new(&x, 3, &y).unwrap();
    let mut t = Trainer::<Reg, _, _, _, 32>::new(
        Reg::new_boxed(9),
        Adam::new(0.01),
        Constant(0.01),
        BceWithLogits::<2>,
    );
    let report = t.fit(&set, Some(&set), 30, quiet).unwrap();
    assert!(report.last.unwrap().metric > 0.95, "{report:?}");
    // A target outside [0, 1] is refused, naming the sample.
    let mut bad = y.clone();
    bad[40] = [0.0, 2.0];
    let set = Samples::new(&x, 3, &bad).unwrap();
    let e = t.evaluate(&set).unwrap_err();
    assert!(
        e.to_string().starts_with("sample 40: target [0.0, 2.0]"),
        "{e}"
    );
}

/// Next-token prediction on a repeating sequence: the model learns it.
#[test]
fn windows_and_sequence_cross_entropy() {
    staticnet::network! {
        pub struct Next { input: tokens[6], embedding(5, 8), lstm(16), dense(5) }
    }
    let tokens: Vec<u32> = (0..400).map(|i| [0, 1, 2, 3, 4, 2][i % 6]).collect();
    let set = Windows::<6>::new(&tokens, 1, 5).unwrap();
    assert_eq!(set.len(), 394);
    let mut t = Trainer::<Next, _, _, _, 16>::new(
        Next::new_boxed(1),
        Adam::new(0.02),
        Constant(0.02),
        SequenceCrossEntropy::<6>,
    );
    let before = t.evaluate(&set).unwrap();
    let report = t.fit(&set, Some(&set), 8, quiet).unwrap();
    let after = report.last.unwrap();
    // After a 2 the next token is 3 or 0: at most 5 of 6 steps are
    // predictable from the previous token alone; the LSTM sees more.
    assert!(after.metric > 0.9, "{before:?} -> {after:?}");
}

/// The data-parallel trainer on the in-memory data set: the loss falls.
#[test]
fn parallel_trainer_takes_any_dataset() {
    let (x, y) = regression(512, 10);
    let set = Samples::new(&x, 3, &y).unwrap();
    let opt0 = Adam::new(0.01);
    let mut p = ParallelTrainer::<Reg, _, 16>::new(Reg::new_boxed(11), &opt0, Mse::<2>, 2);
    let mut opt = opt0;
    let mut rng = Rng::new(12);
    let first = p
        .train_epoch(&set, &mut opt, &Constant(0.01), &mut rng, |_, _| {})
        .unwrap();
    let mut last = first;
    for _ in 0..20 {
        last = p
            .train_epoch(&set, &mut opt, &Constant(0.01), &mut rng, |_, _| {})
            .unwrap();
    }
    assert!(last < first / 5.0, "{first} -> {last}");
    // A data set of another input size is a typed error.
    let wrong = Samples::new(&x[..4 * 100], 4, &y[..100]).unwrap();
    let e = p
        .train_epoch(&wrong, &mut opt, &Constant(0.01), &mut rng, |_, _| {})
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the network takes 3 inputs per sample, the data set has 4"
    );
}

/// A failed parallel epoch leaves no error behind: with every label out of
/// range both threads' shares are refused, and an epoch on good labels
/// afterwards runs (it used to return the other thread's stale error).
#[test]
fn parallel_trainer_recovers_after_a_failed_epoch() {
    staticnet::network! { pub struct Three { input: [3], dense(4), relu, dense(3) } }
    let (x, _) = regression(8, 13);
    let (bad, good) = (vec![5usize; 8], vec![0usize, 1, 2, 0, 1, 2, 0, 1]);
    let opt0 = Sgd::new(0.1);
    let mut p =
        ParallelTrainer::<Three, _, 4>::new(Three::new_boxed(14), &opt0, SoftmaxCrossEntropy, 2);
    let (mut opt, mut rng) = (opt0, Rng::new(15));
    let mut epoch = |labels: &[usize]| {
        let set = Samples::new(&x, 3, labels).unwrap();
        p.train_epoch(&set, &mut opt, &Constant(0.1), &mut rng, |_, _| {})
    };
    let e = epoch(&bad).unwrap_err();
    assert!(e.to_string().contains(": target 5 "), "{e}");
    let loss = epoch(&good).unwrap_or_else(|e| panic!("a stale error: {e}"));
    assert!(loss.is_finite() && loss > 0.0, "{loss}");
}

/// One SGD step under `clip_grad_norm(max)`: with the gradients' norm above
/// `max` the update is the SGD step of the gradients scaled by
/// `max / norm` (gradients, norm and step computed here, in f64); below
/// it the step is the unclipped trainer's, bit for bit. (`max` exactly the
/// norm still scales, by `norm / (norm + 1e-6)`, as in PyTorch; hence 1.001.)
#[test]
fn gradient_clipping_scales_one_step() {
    const LR: f32 = 0.1;
    let (x, y) = regression(8, 16);
    let set = Samples::new(&x, 3, &y).unwrap();
    let indices: [usize; 8] = std::array::from_fn(|i| i);
    let start = Reg::new_boxed(17);

    // The batch's gradients, by hand.
    let mut input = [[0.0f32; 3]; 8];
    flat_mut(&mut input).copy_from_slice(&x);
    let mut cache = Reg::new_cache::<8>();
    let mut grad_out = [[0.0f32; 2]; 8];
    let out = start.forward_batch(&input, &mut cache, Mode::Train);
    Mse::<2>.loss(flat(out), &y, flat_mut(&mut grad_out));
    let mut grads = Reg::zeroed_boxed();
    start.backward(&input, &mut cache, &grad_out, &mut grads, None);
    let g = grads.params();
    let norm = g.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
    assert!(norm > 1e-3, "{norm}");

    // The parameters after one step, clipped at `max` or not at all.
    let step = |max: Option<f32>| {
        let t =
            Trainer::<Reg, _, _, _, 8>::new(start.clone(), Sgd::new(LR), Constant(LR), Mse::<2>);
        let mut t = match max {
            Some(m) => t.clip_grad_norm(m),
            None => t,
        };
        t.train_step(&set, &indices).unwrap();
        t.net
    };

    let max = (norm / 4.0) as f32;
    let clipped = step(Some(max));
    let scale = f64::from(max) / norm;
    let mut worst = 0.0f64;
    for ((&p0, &p1), &g) in start.params().iter().zip(clipped.params()).zip(g) {
        let expected = -f64::from(LR) * f64::from(g) * scale;
        worst = worst.max((f64::from(p1) - f64::from(p0) - expected).abs());
    }
    let biggest = f64::from(LR) * scale * g.iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
    assert!(
        worst <= 1e-4 * biggest,
        "clipped at {max} (norm {norm}): update off by {worst:e}, largest update {biggest:e}"
    );

    let plain = step(None);
    for max in [(1.001 * norm) as f32, (2.0 * norm) as f32] {
        let same = step(Some(max));
        assert_eq!(
            bytemuck::cast_slice::<f32, u32>(same.params()),
            bytemuck::cast_slice::<f32, u32>(plain.params()),
            "clipped at {max} >= norm {norm}"
        );
    }
}
