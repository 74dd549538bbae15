//! Weights in and out: tensor names and shapes are PyTorch's; every
//! malformed or mismatched file gives the typed error that names the problem;
//! weights embedded with `include_weights!` are used in place. (Every test
//! network's round trip is a row of `tests/layers.rs`.)

mod zoo;

use staticnet::weights::{self, safetensors as st, LoadError, Mismatch, SaveError};
use staticnet::Network;
use zoo::{assert_same, filled, Every, Recurrent, Sine, Transformer};

#[test]
fn tensor_names_and_shapes_are_pytorch_state_dict() {
    let names: Vec<(String, Vec<usize>)> = Every::ARCH
        .tensors
        .iter()
        .map(|t| (st::tensor_name(t), t.shape.to_vec()))
        .collect();
    let expected: Vec<(&str, &[usize])> = vec![
        ("conv2d0.weight", &[4, 2, 3, 3]),
        ("conv2d0.bias", &[4]),
        ("batchnorm0.weight", &[4]),
        ("batchnorm0.bias", &[4]),
        ("conv2d1.weight", &[4, 2, 3, 3]),
        ("dense0.weight", &[6, 16]),
        ("dense0.bias", &[6]),
        ("batchnorm1.weight", &[6]),
        ("batchnorm1.bias", &[6]),
        ("dense1.weight", &[5, 6]),
        ("head.weight", &[4, 5]),
        ("head.bias", &[4]),
        ("dense3.weight", &[3, 4]),
        ("dense3.bias", &[3]),
        ("batchnorm0.running_mean", &[4]),
        ("batchnorm0.running_var", &[4]),
        ("batchnorm0.num_batches_tracked", &[]),
        ("batchnorm1.running_mean", &[6]),
        ("batchnorm1.running_var", &[6]),
        ("batchnorm1.num_batches_tracked", &[]),
    ];
    let expected: Vec<(String, Vec<usize>)> = expected
        .into_iter()
        .map(|(n, s)| (n.to_string(), s.to_vec()))
        .collect();
    assert_eq!(names, expected);

    let names: Vec<(String, Vec<usize>)> = Recurrent::ARCH
        .tensors
        .iter()
        .map(|t| (st::tensor_name(t), t.shape.to_vec()))
        .collect();
    let expected: Vec<(&str, &[usize])> = vec![
        ("embedding0.weight", &[9, 4]),
        ("lstm0.weight_ih_l0", &[20, 4]),
        ("lstm0.weight_hh_l0", &[20, 5]),
        ("lstm0.bias_ih_l0", &[20]),
        ("lstm0.bias_hh_l0", &[20]),
        ("gru0.weight_ih_l0", &[12, 5]),
        ("gru0.weight_hh_l0", &[12, 4]),
        ("gru0.bias_ih_l0", &[12]),
        ("gru0.bias_hh_l0", &[12]),
        ("rnn0.weight_ih_l0", &[3, 4]),
        ("rnn0.weight_hh_l0", &[3, 3]),
        ("rnn0.bias_ih_l0", &[3]),
        ("rnn0.bias_hh_l0", &[3]),
        ("dense0.weight", &[2, 3]),
        ("dense0.bias", &[2]),
    ];
    let expected: Vec<(String, Vec<usize>)> = expected
        .into_iter()
        .map(|(n, s)| (n.to_string(), s.to_vec()))
        .collect();
    assert_eq!(names, expected);

    let names: Vec<String> = Transformer::ARCH
        .tensors
        .iter()
        .map(st::tensor_name)
        .collect();
    assert_eq!(
        names,
        [
            "dense0.weight",
            "dense0.bias",
            "pos_embedding0.weight",
            "layernorm0.weight",
            "layernorm0.bias",
            "multihead_attention0.in_proj_weight",
            "multihead_attention0.in_proj_bias",
            "multihead_attention0.out_proj.weight",
            "multihead_attention0.out_proj.bias",
            "layernorm1.weight",
            "layernorm1.bias",
            "dense1.weight",
            "dense1.bias",
        ]
    );

    // The file itself: dtypes as PyTorch's, the counter an int64 scalar.
    let bytes = st::to_bytes(&*filled::<Every>(5)).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let counter = file.tensor("batchnorm1.num_batches_tracked").unwrap();
    assert_eq!(counter.dtype(), safetensors::Dtype::I64);
    assert_eq!(counter.data(), &7i64.to_le_bytes());
    assert_eq!(
        file.tensor("dense0.weight").unwrap().dtype(),
        safetensors::Dtype::F32
    );
}

// ---- binary format errors ----

fn sine_bytes() -> Vec<u8> {
    weights::to_vec(&*Sine::new_boxed(42)).unwrap()
}

/// Recomputes the checksum after a deliberate edit, so that the check
/// after the checksum is what fails.
fn reseal(bytes: &mut [u8]) {
    let crc = weights::crc32(&bytes[16..]);
    bytes[12..16].copy_from_slice(&crc.to_le_bytes());
}

fn load_err<N: Network>(bytes: &[u8]) -> LoadError {
    let mut net = N::new_boxed(1);
    let before = net.state().to_vec();
    let err = weights::load(bytes, &mut *net).unwrap_err();
    assert_eq!(
        net.state(),
        &before[..],
        "a failed load changed the network"
    );
    err
}

#[test]
fn another_architecture_names_the_difference() {
    staticnet::network! {
        struct Narrow { input: [1], dense(16), tanh, dense(8), tanh, dense(1) }
    }
    let err = load_err::<Narrow>(&sine_bytes());
    assert_eq!(
        err.to_string(),
        "architecture differs: layer dense1: `weight` expected [8, 16], file has [16, 16]"
    );
    assert!(matches!(
        err,
        LoadError::Mismatch(Mismatch::TensorShape {
            layer: "dense1",
            attr: "weight",
            ..
        })
    ));

    staticnet::network! {
        struct Relu { input: [1], dense(16), relu, dense(16), tanh, dense(1) }
    }
    assert_eq!(
        load_err::<Relu>(&sine_bytes()).to_string(),
        "architecture differs: layer 1: expected name `relu0`, file has `tanh0`"
    );

    staticnet::network! {
        struct Named { input: [1], first: dense(16), tanh, dense(16), tanh, dense(1) }
    }
    assert_eq!(
        load_err::<Named>(&sine_bytes()).to_string(),
        "architecture differs: tensor 0: expected `first.weight`, file has `dense0.weight`"
    );

    staticnet::network! {
        struct Deeper { input: [1], dense(16), tanh, dense(16), tanh, dense(1), dense(1) }
    }
    assert_eq!(
        load_err::<Deeper>(&sine_bytes()).to_string(),
        "architecture differs: expected 8 tensors, file has 6"
    );

    staticnet::network! { struct Strided { input: [1, 6], conv1d(2, 2, stride = 2), flatten, dense(1) } }
    staticnet::network! { struct Dilated { input: [1, 6], conv1d(2, 2, dilation = 3), flatten, dense(1) } }
    let strided = weights::to_vec(&*Strided::new_boxed(1)).unwrap();
    assert_eq!(
        load_err::<Dilated>(&strided).to_string(),
        "architecture differs: layer conv1d0: expected `kernel=(1, 2), stride=(1, 1), \
         padding=(0, 0), dilation=(1, 3), groups=1, bias=true`, file has `kernel=(1, 2), \
         stride=(1, 2), padding=(0, 0), dilation=(1, 1), groups=1, bias=true`"
    );

    staticnet::network! { struct Wide { input: [1, 4], flatten, dense(2) } }
    staticnet::network! { struct Tall { input: [4, 1], flatten, dense(2) } }
    let wide = weights::to_vec(&*Wide::new_boxed(1)).unwrap();
    assert_eq!(
        load_err::<Tall>(&wide).to_string(),
        "architecture differs: input: expected [4, 1], file has [1, 4]"
    );
}

#[test]
fn damaged_files_give_typed_errors() {
    let good = sine_bytes();

    assert_eq!(
        load_err::<Sine>(&good[..20]),
        LoadError::TooShort { len: 20 }
    );
    assert_eq!(
        load_err::<Sine>(&good[..20]).to_string(),
        "file is 20 bytes, shorter than the 48-byte header"
    );
    assert_eq!(load_err::<Sine>(&[]), LoadError::TooShort { len: 0 });

    let mut bad = good.clone();
    bad[0] = b'X';
    assert_eq!(load_err::<Sine>(&bad), LoadError::BadMagic);

    let mut bad = good.clone();
    bad[8] = 2;
    assert_eq!(load_err::<Sine>(&bad), LoadError::Version { found: 2 });
    assert_eq!(
        load_err::<Sine>(&bad).to_string(),
        "format version 2, this build reads version 1"
    );

    let n = good.len();
    assert_eq!(
        load_err::<Sine>(&good[..n - 1]),
        LoadError::Length {
            expected: n as u64,
            found: n - 1
        }
    );
    let mut longer = good.clone();
    longer.extend_from_slice(&[0; 4]);
    assert_eq!(
        load_err::<Sine>(&longer),
        LoadError::Length {
            expected: n as u64,
            found: n + 4
        }
    );

    // A header claiming about 2^64 values: a length error, nothing allocated.
    let mut huge = good.clone();
    huge[32..40].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    reseal(&mut huge);
    assert!(matches!(
        load_err::<Sine>(&huge),
        LoadError::Length {
            expected: u64::MAX,
            ..
        }
    ));

    // One flipped bit in a weight.
    let mut flipped = good.clone();
    flipped[n - 3] ^= 0x10;
    let err = load_err::<Sine>(&flipped);
    assert!(matches!(err, LoadError::Checksum { .. }), "{err:?}");
    assert!(err
        .to_string()
        .starts_with("checksum mismatch: header has "));

    // A corrupted manifest (with a valid checksum): a rank of 200.
    let mut ranks = good.clone();
    ranks[48..52].copy_from_slice(&200u32.to_le_bytes());
    reseal(&mut ranks);
    assert_eq!(
        load_err::<Sine>(&ranks).to_string(),
        "corrupt header at byte 48: a shape of more than 8 dimensions"
    );
    // A string length running past the header.
    let mut long_name = good.clone();
    long_name[60..64].copy_from_slice(&u32::MAX.to_le_bytes());
    reseal(&mut long_name);
    assert!(matches!(
        load_err::<Sine>(&long_name),
        LoadError::Corrupt { .. }
    ));

    // Unknown flags, odd header length.
    let mut flags = good.clone();
    flags[20] = 1;
    reseal(&mut flags);
    assert!(matches!(
        load_err::<Sine>(&flags),
        LoadError::Corrupt { offset: 20, .. }
    ));
    let mut odd = good.clone();
    odd[16] += 1;
    reseal(&mut odd);
    assert!(matches!(
        load_err::<Sine>(&odd),
        LoadError::Corrupt { offset: 16, .. }
    ));
}

#[test]
fn non_finite_weights_are_reported() {
    let mut net = Sine::new_boxed(42);
    net.dense1.weight[2][3] = f32::NAN;
    let err = weights::to_vec(&*net).unwrap_err();
    assert_eq!(
        err,
        SaveError::NonFinite {
            layer: "dense1",
            attr: "weight",
            index: 2 * 16 + 3
        }
    );
    assert!(st::to_bytes(&*net).is_err());

    // A file carrying an infinity (written by hand, resealed).
    let mut bytes = sine_bytes();
    let header = weights::header_len(&Sine::ARCH);
    let at = header + 4 * (16 + 16 + 5);
    bytes[at..at + 4].copy_from_slice(&f32::INFINITY.to_le_bytes());
    reseal(&mut bytes);
    assert_eq!(
        load_err::<Sine>(&bytes).to_string(),
        "layer dense1: `weight` has a NaN or infinite value at index 5"
    );
}

#[test]
fn save_needs_room() {
    let mut small = [0u8; 64];
    assert_eq!(
        weights::save(&*Sine::new_boxed(1), &mut small),
        Err(SaveError::BufferTooSmall {
            needed: weights::encoded_len::<Sine>(),
            found: 64
        })
    );
}

#[test]
fn files_on_disk() {
    let dir = std::env::temp_dir().join(format!("staticnet-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let net = filled::<Every>(9);
    let (bin, sft) = (dir.join("every.bin"), dir.join("every.safetensors"));
    weights::save_file(&*net, &bin).unwrap();
    st::save_file(&*net, &sft).unwrap();
    let (mut a, mut b) = (Every::zeroed_boxed(), Every::zeroed_boxed());
    weights::load_file(&bin, &mut *a).unwrap();
    st::load_file(&sft, &mut *b, st::Options::strict()).unwrap();
    assert_same(&*net, &*a);
    assert_same(&*net, &*b);

    let err = weights::load_file(dir.join("missing.bin"), &mut *a).unwrap_err();
    assert!(matches!(err, weights::FileError::Io { .. }), "{err}");
    let err = weights::load_file(&sft, &mut *a).unwrap_err();
    assert!(err
        .to_string()
        .ends_with("not a staticnet weights file (bad magic number)"));
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- safetensors errors ----

/// A safetensors file of `(name, dtype, shape, bytes)`.
fn st_file(tensors: &[(&str, safetensors::Dtype, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
        .iter()
        .map(|(n, d, s, b)| {
            let v = safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap();
            (n.to_string(), v)
        })
        .collect();
    safetensors::tensor::serialize(views, None).unwrap()
}

fn f32s(n: usize, v: f32) -> Vec<u8> {
    (0..n).flat_map(|_| v.to_le_bytes()).collect()
}

staticnet::network! {
    struct Small { input: [3], dense(2), batchnorm }
}

#[test]
fn safetensors_mismatches_list_every_problem() {
    use safetensors::Dtype::{BF16, F16, F32, F64, I64, U8};
    let bytes = st_file(&[
        ("dense0.weight", F32, vec![2, 4], f32s(8, 0.5)),
        ("batchnorm0.weight", F32, vec![2], f32s(2, 1.0)),
        ("batchnorm0.bias", U8, vec![2], vec![0, 0]),
        ("batchnorm0.running_mean", F32, vec![2], f32s(2, f32::NAN)),
        ("batchnorm0.running_var", F32, vec![2], f32s(2, 1.0)),
        (
            "batchnorm0.num_batches_tracked",
            I64,
            vec![],
            3i64.to_le_bytes().to_vec(),
        ),
        ("extra.weight", F32, vec![1], f32s(1, 0.0)),
    ]);
    let mut net = Small::new_boxed(1);
    let before = net.state().to_vec();
    let err = st::load(&bytes, &mut *net).unwrap_err();
    assert_eq!(net.state(), &before[..]);
    assert_eq!(
        err.to_string(),
        "5 tensor problem(s):\n  \
         tensor `dense0.weight`: expected [2, 3], file has [2, 4]\n  \
         missing tensor `dense0.bias` [2]\n  \
         tensor `batchnorm0.bias`: dtype U8 is not supported (expected F32, F64, F16 or BF16)\n  \
         tensor `batchnorm0.running_mean`: NaN or infinite value at index 0\n  \
         unexpected tensor `extra.weight` [1] (not in the network)"
    );

    // Lenient: extra ignored, missing left as it was; shapes still checked.
    let bytes = st_file(&[
        (
            "dense0.weight",
            F64,
            vec![2, 3],
            (0..6)
                .flat_map(|i| (i as f64 * 0.25).to_le_bytes())
                .collect(),
        ),
        (
            "batchnorm0.weight",
            F16,
            vec![2],
            [0x3c00u16, 0xc000]
                .iter()
                .flat_map(|h| h.to_le_bytes())
                .collect(),
        ),
        (
            "batchnorm0.bias",
            BF16,
            vec![2],
            [0x3f80u16, 0x0001]
                .iter()
                .flat_map(|h| h.to_le_bytes())
                .collect(),
        ),
        (
            "batchnorm0.num_batches_tracked",
            I64,
            vec![],
            3i64.to_le_bytes().to_vec(),
        ),
        ("extra.weight", F32, vec![1], f32s(1, 0.0)),
    ]);
    let mut net = Small::new_boxed(1);
    let before = *net;
    let report = st::load_with(&bytes, &mut *net, st::Options::lenient()).unwrap();
    assert_eq!(report.ignored, ["extra.weight"]);
    assert_eq!(
        report.missing,
        [
            "dense0.bias",
            "batchnorm0.running_mean",
            "batchnorm0.running_var"
        ]
    );
    assert_eq!(net.dense0.weight, [[0.0, 0.25, 0.5], [0.75, 1.0, 1.25]]);
    assert_eq!(net.batchnorm0.weight, [1.0, -2.0]);
    assert_eq!(net.batchnorm0.bias, [1.0, f32::from_bits(1 << 16)]);
    assert_eq!(net.batchnorm0_stats.num_batches_tracked, [3.0]);
    assert_eq!(net.dense0.bias, before.dense0.bias);
    assert!(
        st::load(&bytes, &mut *net).is_err(),
        "strict refuses the same file"
    );

    // A batch counter must be a whole number its f32 storage holds exactly
    // (found by the fuzzer: a negative count did not round-trip).
    let bad_counter = st_file(&[(
        "batchnorm0.num_batches_tracked",
        I64,
        vec![],
        (-4_294_967_296i64).to_le_bytes().to_vec(),
    )]);
    let err = st::load_with(&bad_counter, &mut *net, st::Options::lenient()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 tensor problem(s):\n  tensor `batchnorm0.num_batches_tracked`: a batch counter must be \
         a whole number in [0, 16777216], found -4294967296"
    );

    let err = st::load(b"not a safetensors file", &mut *net).unwrap_err();
    assert!(matches!(err, st::Error::Format(_)), "{err}");
}

// ---- weights in read-only memory ----

/// The committed fixture, `Sine::new_boxed(42)` saved: also a golden test of
/// the format (a change to it must change `VERSION`).
static EMBEDDED: &Sine = staticnet::include_weights!(Sine, "fixtures/sine.bin");
const FIXTURE: &[u8] = include_bytes!("fixtures/sine.bin");

#[test]
fn embedded_weights_are_used_in_place() {
    let fresh = sine_bytes();
    if std::env::var_os("REGENERATE_FIXTURES").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sine.bin"),
            &fresh,
        )
        .unwrap();
    }
    assert!(
        FIXTURE == &fresh[..],
        "tests/fixtures/sine.bin differs from a fresh save: the format changed \
         (bump weights::VERSION) or init did; REGENERATE_FIXTURES=1 rewrites it"
    );
    weights::check::<Sine>(FIXTURE).unwrap();
    assert_eq!(EMBEDDED.state(), Sine::new_boxed(42).state());
    let mut ws = Sine::new_workspace();
    let y = EMBEDDED.forward(&[0.25], &mut ws)[0];
    assert_eq!(y, Sine::new_boxed(42).forward(&[0.25], &mut ws)[0]);
    assert_eq!(EMBEDDED.state().as_ptr() as usize % 16, 0);
}
