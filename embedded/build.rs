//! Host side of the embedded tests: picks the linker memory map for the
//! target, then trains the networks of `src/nets.rs` on the host (the same
//! declarations, the same loop) and writes into `OUT_DIR` their weights files
//! (embedded in flash by the guest with `include_weights!`), test inputs and
//! the host's outputs, which the guest compares against.

use staticnet::data::mnist::{Mnist, Split};
use staticnet::optim::{CosineLr, Sgd};
use staticnet::train::{Control, SoftmaxCrossEntropy, Trainer};
use staticnet::{weights, Network, Rng};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

include!("src/nets.rs");

/// The LeNet-5 PyTorch trained and `staticnet-import` wrote (the README's
/// ONNX walk-through), with its weights in place.
mod onnx {
    include!("../examples/onnx/lenet_mnist.rs");
}

/// Adam steps of the sine network whose weights the inference test embeds.
const SINE_STEPS_TRAINED: usize = 4000;
/// Adam steps of the on-device training test (the host runs the same).
const SINE_STEPS_DEVICE: usize = 500;
/// Test inputs carried in the binaries.
const SINE_POINTS: usize = 16;
const MLP_IMAGES: usize = 32;
const LENET_IMAGES: usize = 16;
const TINY_IMAGES: usize = 32;

fn bits(v: &[f32]) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("0x{:08x}", x.to_bits())).collect();
    format!("[{}]", items.join(", "))
}

/// Trains sine for `steps` from `init(SINE_INIT_SEED)`; returns the network
/// and the mean loss of the last 20 steps.
fn train_sine(steps: usize) -> (Box<Sine>, f32) {
    let mut net = Sine::new_boxed(SINE_INIT_SEED);
    let mut grads = Sine::zeroed_boxed();
    let mut cache = Sine::new_cache::<SINE_BATCH>();
    let mut moments: Box<[Sine; 2]> = bytemuck::zeroed_box();
    let mut rng = Rng::new(SINE_DATA_SEED);
    let loss = sine_train(
        &mut net,
        &mut grads,
        &mut cache,
        &mut moments,
        &mut rng,
        steps,
        20,
    );
    (net, loss)
}

/// One epoch of SGD (momentum 0.9, cosine from 0.05) on `train`, batch 32,
/// initial weights and shuffling from `seed`.
fn train_classifier<N: Network>(train: &Split, seed: u64) -> Box<N> {
    train_from(N::new_boxed(seed), train, 0.05, seed)
}

/// One epoch of SGD (momentum 0.9, cosine from `lr`) from `net`'s weights.
fn train_from<N: Network>(net: Box<N>, train: &Split, lr: f32, seed: u64) -> Box<N> {
    let schedule = CosineLr {
        base: lr,
        min: 0.0,
        total_steps: train.len() / 32,
    };
    let opt = Sgd::new(schedule.base).with_momentum(0.9);
    let mut trainer =
        Trainer::<N, _, _, _, 32>::new(net, opt, schedule, SoftmaxCrossEntropy).seed(seed);
    if let Err(e) = trainer.train_epoch(train, |_| Control::Continue) {
        // A build script reports by failing; the message names the step.
        panic!("training {}: {e}", std::any::type_name::<N>());
    }
    trainer.net
}

/// Host logits of the first `n` test images, single-sample forward as the guest.
fn logits<N: Network>(net: &N, test: &Split, n: usize) -> Vec<f32> {
    let mut ws = N::new_workspace();
    let mut x: Box<N::Input> = bytemuck::zeroed_box();
    let mut out = Vec::new();
    for i in 0..n {
        test.fill_batch(&[i], staticnet::flat_mut(&mut *x), &mut [0]);
        out.extend_from_slice(staticnet::flat(net.forward(&x, &mut ws)));
    }
    out
}

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let target = std::env::var("TARGET").unwrap();
    let memory = if target.starts_with("thumbv8m") {
        "link/memory-an505.x"
    } else if target.starts_with("thumbv6m") {
        "link/memory-microbit.x"
    } else if target.starts_with("riscv32") {
        "link/memory-riscv.x"
    } else {
        "link/memory-mps2.x"
    };
    std::fs::copy(memory, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    // Here, not in rustflags, so that a RUSTFLAGS override keeps it.
    println!("cargo:rustc-link-arg=-Tlink.x");
    println!("cargo:rerun-if-changed=link");
    println!("cargo:rerun-if-changed=src/nets.rs");
    println!("cargo:rerun-if-changed=build.rs");

    let mut rs = String::new();

    // Sine: trained weights for inference, and the on-device training reference.
    let (sine, loss) = train_sine(SINE_STEPS_TRAINED);
    weights::save_file(&*sine, out.join("sine.bin")).unwrap();
    let xs: Vec<f32> = (0..SINE_POINTS)
        .map(|i| (i as f32 + 0.5) / SINE_POINTS as f32 * core::f32::consts::TAU)
        .collect();
    let mut ws = Sine::new_workspace();
    let ys: Vec<f32> = xs.iter().map(|&x| sine.forward(&[x], &mut ws)[0]).collect();
    writeln!(
        rs,
        "/// Sine test inputs.\npub const SINE_X: [u32; {SINE_POINTS}] = {};",
        bits(&xs)
    )
    .unwrap();
    writeln!(
        rs,
        "/// The host's outputs for them.\npub const SINE_Y: [u32; {SINE_POINTS}] = {};",
        bits(&ys)
    )
    .unwrap();
    writeln!(rs, "/// Host loss after {SINE_STEPS_TRAINED} steps.\npub const SINE_TRAINED_LOSS: u32 = 0x{:08x};", loss.to_bits()).unwrap();
    let (device, device_loss) = train_sine(SINE_STEPS_DEVICE);
    weights::save_file(&*device, out.join("sine_device_host.bin")).unwrap();
    writeln!(rs, "/// Steps of the on-device training run.\npub const SINE_DEVICE_STEPS: usize = {SINE_STEPS_DEVICE};").unwrap();
    writeln!(rs, "/// The host's loss (last 20 steps) for that run.\npub const SINE_DEVICE_HOST_LOSS: u32 = 0x{:08x};", device_loss.to_bits()).unwrap();
    let init_loss = train_sine(20).1;
    writeln!(rs, "/// The host's loss over the first 20 steps.\npub const SINE_INITIAL_LOSS: u32 = 0x{:08x};", init_loss.to_bits()).unwrap();

    // MNIST: the repository's slice, one epoch each.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist");
    println!("cargo:rerun-if-changed={}", dir.display());
    let data = Mnist::load(&dir).unwrap();
    let images: Vec<u8> = (0..MLP_IMAGES.max(LENET_IMAGES).max(TINY_IMAGES))
        .flat_map(|i| data.test.image(i).to_vec())
        .collect();
    std::fs::write(out.join("mnist_test.bin"), &images).unwrap();
    let labels: Vec<String> = (0..MLP_IMAGES.max(LENET_IMAGES).max(TINY_IMAGES))
        .map(|i| data.test.labels[i].to_string())
        .collect();
    writeln!(rs, "/// Labels of the test images in `mnist_test.bin`.\npub const MNIST_LABELS: [u8; {}] = [{}];", labels.len(), labels.join(", ")).unwrap();

    let mlp = train_classifier::<Mlp>(&data.train, 42);
    weights::save_file(&*mlp, out.join("mlp.bin")).unwrap();
    let l = logits(&*mlp, &data.test, MLP_IMAGES);
    writeln!(
        rs,
        "/// Host logits of the MLP.\npub const MLP_LOGITS: [u32; {}] = {};",
        l.len(),
        bits(&l)
    )
    .unwrap();
    writeln!(rs, "pub const MLP_IMAGES: usize = {MLP_IMAGES};").unwrap();

    let lenet = train_classifier::<LeNet>(&data.train, 42);
    weights::save_file(&*lenet, out.join("lenet.bin")).unwrap();
    let l = logits(&*lenet, &data.test, LENET_IMAGES);
    writeln!(
        rs,
        "/// Host logits of LeNet-5.\npub const LENET_LOGITS: [u32; {}] = {};",
        l.len(),
        bits(&l)
    )
    .unwrap();
    writeln!(rs, "pub const LENET_IMAGES: usize = {LENET_IMAGES};").unwrap();

    // The tiny classifier in f32 (its int8 form, trained longer, is committed).
    let tiny_f32 = train_classifier::<TinyMnist>(&data.train, 42);
    weights::save_file(&*tiny_f32, out.join("tiny.bin")).unwrap();
    let l = logits(&*tiny_f32, &data.test, TINY_IMAGES);
    writeln!(
        rs,
        "/// Host logits of the tiny classifier in f32.\npub const TINY_LOGITS: [u32; {}] = {};",
        l.len(),
        bits(&l)
    )
    .unwrap();
    writeln!(rs, "pub const TINY_IMAGES: usize = {TINY_IMAGES};").unwrap();

    // The imported LeNet-5 as committed, and fine-tuned one epoch here (as
    // examples/onnx_finetune does, on the slice).
    println!("cargo:rerun-if-changed=../examples/onnx");
    let l = logits(onnx::LENET_MNIST, &data.test, LENET_IMAGES);
    writeln!(
        rs,
        "/// Host logits of the imported LeNet-5.\npub const ONNX_LENET_LOGITS: [u32; {}] = {};",
        l.len(),
        bits(&l)
    )
    .unwrap();
    let mut imported = onnx::LeNet::zeroed_boxed();
    *imported = *onnx::LENET_MNIST;
    let tuned = train_from(imported, &data.train, 0.01, 42);
    weights::save_file(&*tuned, out.join("lenet_onnx_finetuned.bin")).unwrap();
    let l = logits(&*tuned, &data.test, LENET_IMAGES);
    writeln!(rs, "/// Host logits of the imported LeNet-5 fine-tuned one epoch.\npub const ONNX_LENET_TUNED_LOGITS: [u32; {}] = {};", l.len(), bits(&l)).unwrap();

    int8(&out, &mut rs, &sine, &mlp, &lenet, &data);
    tiny(&out, &mut rs, &data);

    std::fs::write(out.join("expected.rs"), rs).unwrap();
}

/// `[a, b, ...]` of int8 values.
fn i8s(v: &[i8]) -> String {
    let items: Vec<String> = v.iter().map(i8::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// The int8 networks: each float network quantised (min/max ranges) on
/// calibration data, its file, and the host's int8 outputs for the test
/// inputs (quantised here), which the guest must equal bit for bit.
fn int8(out: &Path, rs: &mut String, sine: &Sine, mlp: &Mlp, lenet: &LeNet, data: &Mnist) {
    use staticnet::quant::calib::Range;
    use staticnet::quantize::calibrate;
    // Sine: 256 points over [0, 2 pi).
    let xs: Vec<f32> = (0..256)
        .map(|i| i as f32 / 256.0 * core::f32::consts::TAU)
        .collect();
    let zeros = vec![0usize; xs.len()];
    let cal = staticnet::data::Samples::new(&xs, 1, &zeros).unwrap();
    let calib =
        calibrate::<Sine, _, 8, { SineQ::TENSORS.len() }>(sine, &cal, 256, Range::MinMax).unwrap();
    let q = SineQ::quantize(sine, &calib).unwrap();
    weights::save_int8_file(&q, out.join("sine_int8.bin")).unwrap();
    let mut ws = SineQWorkspace::ZEROED;
    let (mut qx, mut qy) = (Vec::new(), Vec::new());
    for i in 0..SINE_POINTS {
        let x = (i as f32 + 0.5) / SINE_POINTS as f32 * core::f32::consts::TAU;
        let mut xq = [0i8; 1];
        q.quantize_input(&[x], &mut xq);
        qx.push(xq[0]);
        qy.push(q.forward(&xq, &mut ws)[0]);
    }
    writeln!(
        rs,
        "/// Quantised sine inputs.\npub const SINE_QX: [i8; {SINE_POINTS}] = {};",
        i8s(&qx)
    )
    .unwrap();
    writeln!(
        rs,
        "/// The host's int8 sine outputs.\npub const SINE_QY: [i8; {SINE_POINTS}] = {};",
        i8s(&qy)
    )
    .unwrap();

    // MNIST: calibrated on 1000 training images.
    macro_rules! classifier {
        ($net:expr, $n:ty, $q:ty, $ws:ty, $file:expr, $inputs:expr, $images:expr, $name:expr) => {{
            let calib = calibrate::<$n, _, 32, { <$q>::TENSORS.len() }>(
                $net,
                &data.train,
                1000,
                Range::MinMax,
            )
            .unwrap();
            let mut q: Box<$q> = Box::new(<$q>::ZEROED);
            q.quantize_from($net, &calib).unwrap();
            weights::save_int8_file(&*q, out.join($file)).unwrap();
            let mut ws: Box<$ws> = Box::new(<$ws>::ZEROED);
            let mut x: Box<<$n as Network>::Input> = bytemuck::zeroed_box();
            let (mut inputs, mut outs) = (Vec::new(), Vec::new());
            for i in 0..$images {
                data.test
                    .fill_batch(&[i], staticnet::flat_mut(&mut *x), &mut [0]);
                let mut xq = [0i8; 784];
                q.quantize_input(&x, &mut xq);
                inputs.extend(xq.iter().map(|&v| v as u8));
                outs.extend_from_slice(q.forward(&xq, &mut ws));
            }
            std::fs::write(out.join($inputs), &inputs).unwrap();
            writeln!(
                rs,
                "/// The host's int8 outputs of {}.\npub const {}: [i8; {}] = {};",
                $name,
                $name,
                outs.len(),
                i8s(&outs)
            )
            .unwrap();
        }};
    }
    classifier!(
        mlp,
        Mlp,
        MlpQ,
        MlpQWorkspace,
        "mlp_int8.bin",
        "mlp_test_q.bin",
        MLP_IMAGES,
        "MLP_Q_OUT"
    );
    classifier!(
        lenet,
        LeNet,
        LeNetQ,
        LeNetQWorkspace,
        "lenet_int8.bin",
        "lenet_test_q.bin",
        LENET_IMAGES,
        "LENET_Q_OUT"
    );
}

/// The tiny MNIST classifier as `examples/tiny_mnist.rs` trained and saved
/// it (committed): the host's int8 outputs for the test images, and one
/// image for the footprint binary.
fn tiny(out: &Path, rs: &mut String, data: &Mnist) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tiny/tiny_mnist_int8.bin");
    println!("cargo:rerun-if-changed={}", path.display());
    let mut q = TinyMnistQ::ZEROED;
    if let Err(e) = weights::load_int8_file(&path, &mut q) {
        panic!(
            "{e} (retrain with `cargo run --release --example tiny_mnist -- --out examples/tiny`)"
        );
    }
    let mut ws = TinyMnistQWorkspace::ZEROED;
    let mut x: Box<<TinyMnist as Network>::Input> = bytemuck::zeroed_box();
    let (mut inputs, mut outs) = (Vec::new(), Vec::new());
    for i in 0..MLP_IMAGES {
        data.test
            .fill_batch(&[i], staticnet::flat_mut(&mut *x), &mut [0]);
        let mut xq = [0i8; 784];
        q.quantize_input(&x, &mut xq);
        inputs.extend(xq.iter().map(|&v| v as u8));
        outs.extend_from_slice(q.forward(&xq, &mut ws));
    }
    std::fs::write(out.join("tiny_test_q.bin"), &inputs).unwrap();
    writeln!(
        rs,
        "/// The host's int8 outputs of the tiny classifier.\npub const TINY_Q_OUT: [i8; {}] = {};",
        outs.len(),
        i8s(&outs)
    )
    .unwrap();
}
