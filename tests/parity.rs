//! Parity with PyTorch: the same fourteen networks built in PyTorch by
//! `scripts/pytorch_parity.py` (which says how to run it), whose fixtures in
//! `tests/fixtures/parity/` are committed; this test only reads them. Four
//! are feed-forward (dense, activations, convolutions, pooling, batch norm),
//! four recurrent (`nn.LSTM`, `nn.GRU`, `nn.RNN` with tanh and ReLU, stacked,
//! every step or the last, dense layers per step, `nn.Embedding` on token ids),
//! two Transformers (patches, learned positions, pre-norm `residual` blocks,
//! `nn.LayerNorm`, `nn.MultiheadAttention` as self-attention with and without
//! a causal mask, GELU MLPs, mean pooling, per-step logits on token ids),
//! one of `nn.RMSNorm` (`Rms`: three eps values, per step, in a residual
//! block, on a vector), one of the activations of small mobile models
//! (`Mobile`: `nn.ReLU6`, `nn.Hardswish`, `nn.Hardsigmoid` and ONNX's
//! `HardSigmoid(alpha, beta)`, `nn.SiLU`, `nn.GELU(approximate="tanh")`,
//! with dense weights scaled so that every piece is reached), and one of
//! padded pooling (`Padded`: `nn.MaxPool2d` with padding after tanh, so
//! that some windows hold only negative values, `nn.AvgPool2d` with
//! `count_include_pad` true and false, then `nn.LogSoftmax`), and one of
//! `nn.PReLU` (`Slopes`: a slope per channel of an image, per feature of a
//! vector, and one for all).
//!
//! For each network: the PyTorch `state_dict` is loaded with the strict
//! safetensors import, then staticnet's inference output (`Mode::Infer`, batch
//! and single-sample), training output (`Mode::Train`, batch norm on batch
//! statistics), every parameter gradient and the input gradient (`backward`
//! with PyTorch's random `grad_output`), and batch norm's running statistics
//! after `update_buffers` are compared with PyTorch's, tensor by tensor, shapes
//! included. Token ids (Chars, Gpt) have no gradient: PyTorch gives none, so the
//! fixture has no `grad_input`, and staticnet's input gradient is instead
//! checked to be exactly zero (what `embedding` writes).
//!
//! Tolerance: per tensor, `max_i |ours_i - torch_i| / max_i |torch_i|` (the
//! error relative to the tensor's largest magnitude, so that entries that
//! cancel to nearly zero are not judged by their own tiny size) must be at
//! most 1e-5 (`TOL`). The reference is computed by PyTorch in float64 on
//! exactly the float32 weights and inputs staticnet sees, then rounded to
//! float32 (an error of 6e-8 of itself), so what is measured is staticnet's
//! float32 arithmetic. 1e-5 holds for every tensor, LeNet's convolution
//! gradients (sums of hundreds to thousands of terms) included, so no
//! tensor gets a looser bound. Worst errors measured (torch 2.15.0 fixtures;
//! printed per network and kind with `--nocapture`):
//!
//! | network | outputs | input gradient | parameter gradients | running statistics |
//! |---|---|---|---|---|
//! | Mlp | 5.5e-8 | 1.5e-7 | 2.0e-7 | - |
//! | Vision | 4.4e-8 | 1.2e-7 | 2.0e-7 | 7.5e-8 |
//! | Signal | 9.1e-8 | 3.0e-8 | 1.1e-7 | - |
//! | Lenet | 1.1e-7 | 2.4e-7 | 3.5e-7 | - |
//! | Lstm | 7.1e-8 | 1.1e-7 | 2.3e-7 | - |
//! | Gru | 2.0e-7 | 2.1e-7 | 2.8e-7 | - |
//! | Rnn | 1.2e-7 | 3.7e-8 | 2.0e-7 | - |
//! | Chars | 6.6e-8 | zero (checked) | 1.8e-7 | - |
//! | Vit | 7.9e-8 | 1.3e-7 | 3.3e-7 | - |
//! | Gpt | 9.5e-8 | zero (checked) | 3.4e-7 | - |
//! | Rms | 1.3e-7 | 1.5e-7 | 1.9e-7 | - |
//! | Mobile | 2.7e-7 | 4.5e-7 | 8.3e-7 | - |
//! | Padded | 5.9e-8 | 7.5e-8 | 2.0e-7 | - |
//! | Slopes | 7.6e-8 | 9.7e-8 | 7.3e-7 | - |
//!
//! so 1e-5 leaves a margin of about 30 (12 for Mobile, whose scaled weights
//! make larger sums) while still failing on small
//! semantic differences: `leaky_relu(0.11)` for `0.1` or a batch norm `eps`
//! of 1e-3 for 1e-5 give output errors of 2e-5 and gradient errors of 1e-3
//! to 1e-2; `rmsnorm`'s default eps of 1e-5 instead of `f32::EPSILON` gives
//! gradient errors of 3.7e-5; the exact `gelu` for Mobile's tanh form gives
//! output errors of 5.2e-5 and gradient errors of 3e-4; `Padded`'s second
//! average pool counting its padding gives output errors of 4e-2.
//!
//! One tensor is zero in exact arithmetic: Vision's `conv2d0.bias` gradient
//! (a bias followed by a training-mode batch norm, which subtracts the batch
//! mean). PyTorch's float64 value is rounding noise (3e-17) and ours float32
//! noise (2e-8), so the relative error to its own magnitude is meaningless
//! (5e8). A reference tensor whose largest magnitude is at most 1e-12
//! (`ZERO`) of the largest of its kind in the network is judged against that
//! largest instead (reported as `(zero)`; measured 6.5e-9), with the same
//! `TOL`.

mod zoo;

use safetensors::{Dtype, SafeTensors};
use staticnet::{weights::safetensors as st, Mode, Network};
use std::fmt::Write as _;
// The zoo's networks whose PyTorch twins the script builds.
use zoo::{Padded, Signal, Slopes, TinyVit, Vision};

staticnet::network! {
    /// Every activation, a bias-free dense layer, softmax.
    struct Mlp {
        input: [20],
        dense(16), relu,
        dense(12), leaky_relu(0.1),
        dense(9), gelu,
        dense(7), sigmoid,
        dense(5), tanh,
        dense(4, bias = false), softmax,
    }
}

staticnet::network! {
    /// LeNet-5 as in `examples/mnist_cnn.rs`.
    struct Lenet {
        input: [1, 28, 28],
        conv2d(6, 5, padding = 2), relu, maxpool2d(2),
        conv2d(16, 5), relu, maxpool2d(2),
        flatten,
        dense(120), relu,
        dense(84), relu,
        dense(10),
    }
}

staticnet::network! {
    /// Stacked LSTMs: every step of the first into the second, whose last
    /// step goes to a dense layer.
    struct Lstm {
        input: [6, 5],
        lstm(7),
        lstm(4, sequence = false),
        dense(3),
    }
}

staticnet::network! {
    /// GRU returning every step, then a dense layer and tanh on each step.
    struct Gru {
        input: [5, 3],
        gru(6),
        dense(2), tanh,
    }
}

staticnet::network! {
    /// Elman RNNs: ReLU over every step, then tanh returning the last step.
    struct Rnn {
        input: [4, 3],
        rnn(5, relu = true),
        rnn(3, sequence = false),
    }
}

staticnet::network! {
    /// Token ids, embedding, LSTM, per-step logits.
    struct Chars {
        input: tokens[7],
        embedding(11, 4),
        lstm(6),
        dense(11),
    }
}

staticnet::network! {
    /// A tiny causal (GPT-style) Transformer on token ids: embedding, learned
    /// positions, two pre-norm residual blocks (masked self-attention, then a
    /// GELU MLP), a final layer norm, per-step logits.
    struct Gpt {
        input: tokens[6],
        embedding(9, 8),
        pos_embedding,
        residual { layernorm, multihead_attention(2, causal = true) },
        residual { layernorm, dense(16), gelu, dense(8) },
        layernorm,
        dense(9),
    }
}

staticnet::network! {
    /// RMS norm (default, `1e-5` and `1e-3` eps) on every step of a sequence,
    /// inside a residual block with a GELU MLP, and on a vector.
    struct Rms {
        input: [4, 6],
        dense(8),
        rmsnorm,
        residual { rmsnorm(eps = 1e-5), dense(8), gelu },
        mean_pool,
        rmsnorm(eps = 1e-3),
        dense(3),
    }
}

staticnet::network! {
    /// The activations of small mobile models: ReLU6, hard swish, hard
    /// sigmoid (PyTorch's defaults, then ONNX-style `alpha` and `beta`), SiLU,
    /// tanh-approximate GELU. The script scales the dense weights so that
    /// every piece of the piecewise activations is reached.
    struct Mobile {
        input: [10],
        dense(16), relu6,
        dense(16), hardswish,
        dense(12), hardsigmoid,
        dense(12), silu,
        dense(9), gelu(approximate = "tanh"),
        dense(8), hardsigmoid(alpha = 0.2, beta = 0.4),
        dense(4),
    }
}

/// Largest error allowed, relative to the reference tensor's largest
/// magnitude (see the module documentation).
const TOL: f64 = 1e-5;

/// A reference tensor whose largest magnitude is at most this fraction of
/// the largest of its kind is zero in exact arithmetic: what is left is
/// float64 rounding (about 1e-16 relative).
const ZERO: f64 = 1e-12;

/// The fixture `tests/fixtures/parity/<file>`; a missing one fails the test.
fn fixture(file: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/parity/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{path}: {e} (regenerate with `python scripts/pytorch_parity.py`)")
    })
}

/// The f32 tensor `name` of `file`, checked to have `shape`.
fn tensor(file: &SafeTensors<'_>, name: &str, shape: &[usize]) -> Vec<f32> {
    let view = file
        .tensor(name)
        .unwrap_or_else(|e| panic!("fixture tensor `{name}`: {e}"));
    assert_eq!(view.dtype(), Dtype::F32, "fixture tensor `{name}`");
    assert_eq!(view.shape(), shape, "fixture tensor `{name}`: shape");
    view.data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// `max_i |ours_i|`, in f64.
fn max_abs(values: &[f32]) -> f64 {
    values.iter().fold(0.0, |m, &v| m.max(f64::from(v).abs()))
}

/// One tensor compared: kind, name, ours, PyTorch's.
struct Pair {
    kind: &'static str,
    name: String,
    ours: Vec<f32>,
    torch: Vec<f32>,
}

/// Collects every comparison of one network, then reports and asserts.
struct Compare {
    network: &'static str,
    pairs: Vec<Pair>,
}

impl Compare {
    fn check(&mut self, kind: &'static str, name: &str, ours: &[f32], torch: &[f32]) {
        assert_eq!(ours.len(), torch.len(), "{name}");
        self.pairs.push(Pair {
            kind,
            name: name.to_string(),
            ours: ours.to_vec(),
            torch: torch.to_vec(),
        });
    }

    /// Each tensor's error relative to its own largest magnitude, or, for a
    /// tensor that is zero in exact arithmetic (see the module
    /// documentation), to the largest magnitude of its kind; prints the worst
    /// error per kind and fails on any above `TOL`.
    fn finish(self) {
        let kind_scale = |kind: &str| {
            self.pairs
                .iter()
                .filter(|p| p.kind == kind)
                .fold(0.0f64, |m, p| m.max(max_abs(&p.torch)))
        };
        // (kind as reported, name, relative error)
        let mut results: Vec<(String, &str, f64)> = Vec::new();
        for p in &self.pairs {
            let (own, of_kind) = (max_abs(&p.torch), kind_scale(p.kind));
            let (kind, scale) = if own <= ZERO * of_kind {
                (format!("{} (zero)", p.kind), of_kind)
            } else {
                (p.kind.to_string(), own)
            };
            let worst = p.ours.iter().zip(&p.torch).fold(0.0f64, |m, (&o, &t)| {
                m.max((f64::from(o) - f64::from(t)).abs())
            });
            let finite = p.ours.iter().all(|v| v.is_finite());
            let err = if finite && scale > 0.0 {
                worst / scale
            } else {
                f64::INFINITY
            };
            results.push((kind, &p.name, err));
        }
        let mut report = format!("{}: worst relative error per kind:", self.network);
        let mut reported: Vec<&str> = Vec::new();
        for (kind, _, _) in &results {
            if reported.contains(&kind.as_str()) {
                continue;
            }
            reported.push(kind);
            let (_, name, err) = results
                .iter()
                .filter(|(k, _, _)| k == kind)
                .max_by(|a, b| a.2.total_cmp(&b.2))
                .expect("a result of this kind");
            write!(report, "\n  {kind:<18} {err:.2e} ({name})").unwrap();
        }
        println!("{report}");
        let failed: Vec<String> = results
            .iter()
            .filter(|(_, _, e)| e.is_nan() || *e > TOL)
            .map(|(_, n, e)| format!("`{n}`: {e:.3e}"))
            .collect();
        assert!(
            failed.is_empty(),
            "{}: relative error above {TOL:e}: {}",
            self.network,
            failed.join(", ")
        );
    }
}

/// Loads `<name>.weights.safetensors` into `N` and compares everything in
/// `<name>.io.safetensors` (batch size `B`).
fn parity<N: Network, const B: usize>(name: &'static str) {
    let mut net = N::zeroed_boxed();
    let report = st::load(&fixture(&format!("{name}.weights.safetensors")), &mut *net)
        .unwrap_or_else(|e| panic!("{name}.weights.safetensors: {e}"));
    assert_eq!(report.loaded.len(), N::ARCH.tensors.len());

    let io_bytes = fixture(&format!("{name}.io.safetensors"));
    let io = SafeTensors::deserialize(&io_bytes)
        .unwrap_or_else(|e| panic!("{name}.io.safetensors: {e}"));
    let with_batch = |shape: &[usize]| [&[B][..], shape].concat();
    let in_shape = with_batch(N::ARCH.input);
    let out_shape = with_batch(N::ARCH.layers.last().expect("a layer").output);
    let mut cmp = Compare {
        network: name,
        pairs: Vec::new(),
    };

    // Every `grad.*` and `after.*` tensor of the fixture is one the network has.
    for (file_name, _) in io.iter() {
        let known = match file_name.split_once('.') {
            Some(("grad", t)) => N::ARCH
                .tensors
                .iter()
                .any(|i| i.trainable && st::tensor_name(i) == t),
            Some(("after", t)) => N::ARCH
                .tensors
                .iter()
                .any(|i| !i.trainable && st::tensor_name(i) == t),
            _ => [
                "input",
                "eval_output",
                "train_output",
                "grad_output",
                "grad_input",
            ]
            .contains(&file_name),
        };
        assert!(
            known,
            "{name}.io.safetensors: unexpected tensor `{file_name}`"
        );
    }

    let mut x: Box<[N::Input; B]> = bytemuck::zeroed_box();
    staticnet::flat_mut(&mut *x).copy_from_slice(&tensor(&io, "input", &in_shape));
    // Token input (`input: tokens[T]`, always followed by `embedding`): the
    // fixture's ids, carried as f32, are integers below the vocabulary size.
    let tokens = N::ARCH.layers[0].kind == "embedding";
    if tokens {
        let vocab = N::ARCH.tensors[0].shape[0];
        assert!(
            staticnet::flat(&*x)
                .iter()
                .all(|&id| id >= 0.0 && id.fract() == 0.0 && (id as usize) < vocab),
            "{name}: token ids"
        );
    }
    let mut cache = N::new_cache::<B>();

    // Inference: running statistics, batch and single-sample.
    let eval = tensor(&io, "eval_output", &out_shape);
    let ours = staticnet::flat(net.forward_batch(&x, &mut cache, Mode::Infer)).to_vec();
    cmp.check("output", "eval_output (forward_batch)", &ours, &eval);
    let mut ws = N::new_workspace();
    let mut single = Vec::with_capacity(eval.len());
    for xi in x.iter() {
        single.extend_from_slice(staticnet::flat(net.forward(xi, &mut ws)));
    }
    cmp.check("output", "eval_output (forward)", &single, &eval);

    // Training: batch statistics, then backward.
    let ours = staticnet::flat(net.forward_batch(&x, &mut cache, Mode::Train)).to_vec();
    cmp.check(
        "output",
        "train_output",
        &ours,
        &tensor(&io, "train_output", &out_shape),
    );
    let mut gy: Box<[N::Output; B]> = bytemuck::zeroed_box();
    staticnet::flat_mut(&mut *gy).copy_from_slice(&tensor(&io, "grad_output", &out_shape));
    let mut grads = N::zeroed_boxed();
    grads.params_mut().fill(f32::NAN); // backward must overwrite
    let mut gx: Box<[N::Input; B]> = bytemuck::zeroed_box();
    staticnet::flat_mut(&mut *gx).fill(f32::NAN);
    net.backward(&x, &mut cache, &gy, &mut grads, Some(&mut *gx));
    if tokens {
        // Token ids have no gradient: PyTorch gives none (the fixture has no
        // `grad_input`), staticnet fills the requested one with zeros.
        assert!(
            io.tensor("grad_input").is_err(),
            "{name}: token input has no grad_input"
        );
        assert!(
            staticnet::flat(&*gx).iter().all(|&g| g == 0.0),
            "{name}: input gradient of token ids not zero"
        );
    } else {
        cmp.check(
            "grad_input",
            "grad_input",
            staticnet::flat(&*gx),
            &tensor(&io, "grad_input", &in_shape),
        );
    }
    for t in N::ARCH.tensors.iter().filter(|t| t.trainable) {
        let tname = format!("grad.{}", st::tensor_name(t));
        let ours = &grads.state()[t.offset..t.offset + t.len()];
        cmp.check("param grad", &tname, ours, &tensor(&io, &tname, t.shape));
    }

    // Running statistics after that one training step.
    net.update_buffers(&cache);
    for t in N::ARCH.tensors.iter().filter(|t| !t.trainable) {
        let tname = format!("after.{}", st::tensor_name(t));
        let ours = &net.state()[t.offset..t.offset + t.len()];
        cmp.check("buffer", &tname, ours, &tensor(&io, &tname, t.shape));
    }
    cmp.finish();
}

/// One test per network, `matches_pytorch::<fixture>`: a new layer kind
/// joins by a network in `scripts/pytorch_parity.py` and a row here.
macro_rules! parity_table {
    ($($fixture:ident: $net:ident, batch $b:literal;)*) => {
        mod matches_pytorch {
            $(#[test]
            fn $fixture() {
                super::parity::<super::$net, $b>(stringify!($fixture));
            })*
        }
    };
}

parity_table! {
    mlp: Mlp, batch 3;
    vision: Vision, batch 3;
    signal: Signal, batch 3;
    lenet: Lenet, batch 2;
    lstm: Lstm, batch 3;
    gru: Gru, batch 3;
    rnn: Rnn, batch 3;
    chars: Chars, batch 3;
    vit: TinyVit, batch 3;
    gpt: Gpt, batch 3;
    rms: Rms, batch 3;
    mobile: Mobile, batch 3;
    padded: Padded, batch 3;
    slopes: Slopes, batch 3;
}
