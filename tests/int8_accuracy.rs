//! Acceptance tests of the int8 networks on MNIST: post-training
//! quantisation (min/max ranges on 1,000 training images) within 0.5
//! points of the float network's test accuracy, quantisation-aware
//! training (one epoch) within 0.2, for the MLP and LeNet-5; and the
//! committed tiny classifier (`examples/tiny/`, dense weights 4-bit).
//!
//! On the slice the repository ships by default; the full-set tests are
//! `#[ignore]`d (`MNIST_DIR=DIR cargo test --release --test int8_accuracy --
//! --ignored`; they fail, not pass, when `MNIST_DIR` is missing) and
//! `.ci/run` runs them.

mod mnist_data;
mod zoo;

use mnist_data::{full_set_dir, SLICE_DIR};
use staticnet::data::mnist::{Mnist, Split};
use staticnet::data::Dataset;
use staticnet::optim::{CosineLr, Sgd};
use staticnet::quant::calib::Range;
use staticnet::quantize::calibrate;
use staticnet::train::{Control, SoftmaxCrossEntropy, Trainer};
use staticnet::Network;
use std::path::Path;
use zoo::nets::{LeNet, LeNetQ, LeNetQWorkspace, Mlp, MlpQ, MlpQWorkspace};
use zoo::nets::{TinyMnistQ, TinyMnistQWorkspace};

/// Trains `N` for `epochs` (SGD, momentum 0.9, cosine from `lr`) from
/// `net`; `qat` sets quantisation-aware training.
fn train<N: Network>(
    net: Box<N>,
    data: &Split,
    epochs: usize,
    lr: f32,
    qat: impl FnOnce(
        Trainer<N, Sgd, CosineLr, SoftmaxCrossEntropy, 32>,
    ) -> Trainer<N, Sgd, CosineLr, SoftmaxCrossEntropy, 32>,
) -> Box<N> {
    let schedule = CosineLr {
        base: lr,
        min: 0.0,
        total_steps: epochs * data.len() / 32,
    };
    let t = Trainer::new(
        net,
        Sgd::new(lr).with_momentum(0.9),
        schedule,
        SoftmaxCrossEntropy,
    )
    .seed(42);
    let mut t = qat(t);
    for _ in 0..epochs {
        t.train_epoch(data, |_| Control::Continue).unwrap();
    }
    t.net
}

/// Float test accuracy.
fn float_accuracy<N: Network<Output = [f32; 10]>>(net: &N, test: &Split) -> f64 {
    let mut ws = N::new_workspace();
    let mut x: Box<N::Input> = bytemuck::zeroed_box();
    let mut correct = 0;
    for i in 0..test.len() {
        let mut label = [0usize];
        test.fill(&[i], staticnet::flat_mut(&mut *x), &mut label);
        correct += usize::from(staticnet::loss::argmax(net.forward(&x, &mut ws)) == label[0]);
    }
    correct as f64 / test.len() as f64
}

/// Int8 test accuracy of `$q` (one image at a time, integer forward).
macro_rules! int8_accuracy {
    ($q:expr, $ws:ty, $test:expr) => {{
        let (q, test): (_, &Split) = ($q, $test);
        let mut ws = Box::new(<$ws>::ZEROED);
        let (mut x, mut xq) = ([0f32; 784], [0i8; 784]);
        let mut correct = 0usize;
        for i in 0..test.len() {
            let mut label = [0usize];
            test.fill(&[i], &mut x, &mut label);
            q.quantize_input(bytemuck::cast_ref(&x), &mut xq);
            correct += usize::from(q.predict(&xq, &mut ws) == label[0]);
        }
        correct as f64 / test.len() as f64
    }};
}

/// Trains `$net` in float, quantises it, fine-tunes it with QAT; asserts
/// PTQ within 0.5 points and QAT within 0.2 of float.
macro_rules! ptq_and_qat {
    ($data:expr, $net:ty, $q:ty, $ws:ty, $epochs:expr) => {{
        let data: &Mnist = $data;
        let net = train(<$net>::new_boxed(42), &data.train, $epochs, 0.05, |t| t);
        let float = float_accuracy(&*net, &data.test);
        let calib = calibrate::<$net, _, 32, { <$q>::TENSORS.len() }>(
            &net,
            &data.train,
            1000,
            Range::MinMax,
        )
        .unwrap();
        let q = Box::new(<$q>::quantize(&net, &calib).unwrap());
        let ptq = int8_accuracy!(&*q, $ws, &data.test);
        let mut copy = <$net>::zeroed_boxed();
        *copy = *net;
        let tuned = train(copy, &data.train, 1, 0.001, |t| t.qat(&q.qat_ranges(), 8));
        let qat = Box::new(<$q>::quantize(&tuned, &calib).unwrap());
        let qat = int8_accuracy!(&*qat, $ws, &data.test);
        println!(
            "{}: float {float:.4}, int8 PTQ {ptq:.4}, int8 QAT {qat:.4}",
            stringify!($net)
        );
        assert!(ptq >= float - 0.005, "PTQ {ptq} vs float {float}");
        assert!(qat >= float - 0.002, "QAT {qat} vs float {float}");
    }};
}

fn slice() -> Mnist {
    Mnist::load(Path::new(SLICE_DIR)).unwrap()
}

fn full_set() -> Mnist {
    let dir = full_set_dir();
    Mnist::load(&dir).unwrap_or_else(|e| panic!("MNIST in {}: {e}", dir.display()))
}

/// The committed tiny classifier's int8 test accuracy.
fn tiny_accuracy(test: &Split) -> f64 {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/tiny/tiny_mnist_int8.bin"
    );
    let mut q = Box::new(TinyMnistQ::ZEROED);
    staticnet::weights::load_int8_file(path, &mut *q).unwrap();
    int8_accuracy!(&*q, TinyMnistQWorkspace, test)
}

#[test]
fn mlp_int8_on_the_slice() {
    ptq_and_qat!(&slice(), Mlp, MlpQ, MlpQWorkspace, 3);
}

#[test]
fn tiny_int8_on_the_slice() {
    // The slice's 2,000 test images are the first of the full test set.
    let acc = tiny_accuracy(&slice().test);
    println!("tiny int8 on the slice: {acc:.4}");
    assert!(acc >= 0.985, "{acc}");
}

#[test]
#[ignore = "needs the full MNIST set in MNIST_DIR; .ci/run runs it"]
fn mlp_int8_on_full_mnist() {
    ptq_and_qat!(&full_set(), Mlp, MlpQ, MlpQWorkspace, 5);
}

#[test]
#[ignore = "needs the full MNIST set in MNIST_DIR; .ci/run runs it"]
fn lenet_int8_on_full_mnist() {
    ptq_and_qat!(&full_set(), LeNet, LeNetQ, LeNetQWorkspace, 2);
}

#[test]
#[ignore = "needs the full MNIST set in MNIST_DIR; .ci/run runs it"]
fn tiny_int8_reaches_99_percent_on_full_mnist() {
    let acc = tiny_accuracy(&full_set().test);
    println!("tiny int8 on the full test set: {acc:.4}");
    assert!(acc >= 0.99, "{acc}");
}
