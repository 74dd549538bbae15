//! `#[staticnet(quantize)]`: the generated int8 network. Every int8
//! operation in one network (convolution with a folded batch norm and a
//! fused ReLU, grouped convolution, max and padded average pooling, a
//! residual sum, leaky ReLU, global average pooling, dense with fused
//! ReLU6, a standalone clamp, dropout, softmax left out) agrees with the
//! float network on calibrated data; files round-trip and every damage is
//! a typed error; inference allocates nothing.

use staticnet::quant::calib::Range;
use staticnet::quant::file::{self, Quantized};
use staticnet::weights::LoadError;
use staticnet::{Mode, Network, Rng};
mod counting;
mod zoo;

staticnet::network! {
    #[staticnet(quantize)]
    struct Every {
        input: [3, 11, 9],
        conv2d(6, 3, padding = 1), batchnorm, relu,
        conv2d(6, 3, padding = 1, groups = 3), leaky_relu(0.1),
        maxpool2d(2),
        residual { conv2d(6, 3, padding = 1), relu },
        avgpool2d(3, stride = 1, padding = 1),
        global_avgpool,
        dense(17), relu6,
        dropout(0.2),
        dense(5), relu,
        dense(4),
        softmax,
    }
}

staticnet::network! {
    #[staticnet(quantize)]
    struct Mlp { input: [20], dense(31), relu, dense(7) }
}

/// Float inputs in [-1, 2).
fn inputs<const N: usize>(rng: &mut Rng) -> Box<[[f32; N]]> {
    (0..64)
        .map(|_| std::array::from_fn(|_| rng.uniform() * 3.0 - 1.0))
        .collect()
}

/// A float network with trained-looking batch-norm statistics, its int8
/// form calibrated on `x`, and the largest output difference in output steps.
fn every() -> (Box<Every>, Box<EveryQ>, Vec<[f32; 297]>) {
    let mut rng = Rng::new(7);
    let mut net = Every::new_boxed(3);
    for c in 0..6 {
        net.batchnorm0.weight[c] = 0.5 + rng.uniform();
        net.batchnorm0.bias[c] = rng.uniform() - 0.5;
        net.batchnorm0_stats.running_mean[c] = rng.uniform() - 0.5;
        net.batchnorm0_stats.running_var[c] = 0.5 + rng.uniform();
    }
    let x: Vec<[f32; 297]> = (0..96)
        .map(|_| std::array::from_fn(|_| rng.uniform() * 3.0 - 1.0))
        .collect();
    let mut calib = EveryQ::calibration(Range::MinMax);
    let mut cache = Every::new_cache::<32>();
    for _ in 0..calib.passes() {
        for batch in x.chunks_exact(32) {
            let b: Box<[[[[f32; 9]; 11]; 3]; 32]> =
                Box::new(std::array::from_fn(|i| bytemuck::cast(batch[i])));
            net.observe(&b, &mut cache, &mut calib);
        }
        calib.next_pass();
    }
    let mut q = Box::new(EveryQ::ZEROED);
    q.quantize_from(&net, &calib).unwrap();
    (net, q, x)
}

#[test]
fn every_int8_operation_follows_the_float_network() {
    let (net, q, x) = every();
    let mut ws = Every::new_workspace();
    let mut qws = Box::new(EveryQWorkspace::ZEROED);
    // The logits: the float network's input to softmax.
    let s_out = q.scale[EveryQ::TENSORS.len() - 1];
    let mut worst = 0f32;
    let mut agree = 0;
    let mut cache = Every::new_cache::<1>();
    for xi in &x {
        let xin: [[[f32; 9]; 11]; 3] = bytemuck::cast(*xi);
        let mut xq = [0i8; 297];
        q.quantize_input(&xin, &mut xq);
        let yq = q.forward(&xq, &mut qws);
        net.forward_batch(&[xin], &mut cache, Mode::Infer);
        let logits = &cache.dense2[0];
        let real = q.dequantize_output(yq);
        for (a, b) in real.iter().zip(logits) {
            worst = worst.max((a - b).abs() / s_out);
        }
        let best = |v: &[f32]| (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b });
        agree += usize::from(best(&real) == best(logits));
        let _ = net.forward(&xin, &mut ws);
    }
    // Eleven layers of rounding, and the output's range is narrow next to
    // the earlier tensors' (global pooling of random features): the error
    // is a few steps of the earlier tensors, within 10% of the output's
    // 255-step range. Each operation alone is within 2 steps (below).
    println!(
        "largest difference {worst} steps of {s_out}, {agree} of {} classes agree",
        x.len()
    );
    assert!(worst <= 25.5, "largest difference {worst} steps of {s_out}");
    assert!(
        agree >= x.len() * 8 / 10,
        "{agree} of {} classes agree",
        x.len()
    );
}

/// One network per int8 operation, random weights, calibrated (min/max)
/// on 64 inputs in [-1, 2): the int8 outputs within 2 output steps of the
/// float network's on those inputs.
macro_rules! one_op {
    ($name:ident, $q:ident, $ws:ident, $n:expr, $decl:tt, $last:ident) => {
        staticnet::network! { #[staticnet(quantize)] struct $name $decl }
        #[test]
        fn $last() {
            let mut rng = Rng::new(7);
            let net = $name::new_boxed(3);
            let x: Vec<[f32; $n]> = (0..64)
                .map(|_| std::array::from_fn(|_| rng.uniform() * 3.0 - 1.0))
                .collect();
            let mut calib = $q::calibration(Range::MinMax);
            let mut cache = $name::new_cache::<64>();
            let b: Box<[<$name as Network>::Input; 64]> =
                Box::new(std::array::from_fn(|i| bytemuck::cast(x[i])));
            net.observe(&b, &mut cache, &mut calib);
            calib.next_pass();
            let q = $q::quantize(&net, &calib).unwrap();
            let mut qws = Box::new($ws::ZEROED);
            net.forward_batch(&b, &mut cache, Mode::Infer);
            let out = <$name as Network>::cached_output(&cache);
            let t = $q::TENSORS.len() - 1;
            let s = q.scale[t];
            let mut worst = 0f32;
            for i in 0..64 {
                let mut xq = [0i8; $n];
                q.quantize_input(&b[i], &mut xq);
                let y = q.dequantize_output(q.forward(&xq, &mut qws));
                for (a, f) in y.iter().zip(staticnet::flat(&out[i])) {
                    worst = worst.max((a - f).abs() / s);
                }
            }
            assert!(worst <= 2.0, "{}: {worst} steps of {s}", stringify!($name));
        }
    };
}
one_op!(P1, P1Q, P1QWorkspace, 12, { input: [12], dense(7) }, int8_dense);
one_op!(P2, P2Q, P2QWorkspace, 12, { input: [12], dense(7), relu }, int8_dense_relu);
one_op!(P3, P3Q, P3QWorkspace, 48, { input: [3, 4, 4], conv2d(5, 3, padding = 1) }, int8_conv2d_padded);
one_op!(P4, P4Q, P4QWorkspace, 48, { input: [3, 4, 4], conv2d(6, 3, padding = 1, groups = 3) }, int8_conv2d_grouped);
one_op!(P5, P5Q, P5QWorkspace, 48, { input: [3, 4, 4], maxpool2d(2) }, int8_maxpool2d);
one_op!(P6, P6Q, P6QWorkspace, 48, { input: [3, 4, 4], avgpool2d(3, stride = 1, padding = 1) }, int8_avgpool2d_padded);
one_op!(P7, P7Q, P7QWorkspace, 48, { input: [3, 4, 4], global_avgpool }, int8_global_avgpool);
one_op!(P8, P8Q, P8QWorkspace, 12, { input: [12], leaky_relu(0.1) }, int8_leaky_relu);
one_op!(P9, P9Q, P9QWorkspace, 12, { input: [12], residual { dense(12), relu } }, int8_residual);
one_op!(P10, P10Q, P10QWorkspace, 12, { input: [12], dense(9), relu6 }, int8_dense_relu6);
one_op!(P11, P11Q, P11QWorkspace, 48, { input: [3, 4, 4], conv2d(4, 3, padding = 1), batchnorm, relu }, int8_conv2d_batchnorm_relu);

#[test]
fn files_round_trip_and_damage_is_a_typed_error() {
    let (_, q, _) = every();
    let mut buf = vec![0u8; file::encoded_len::<EveryQ>()];
    assert_eq!(file::save(&*q, &mut buf).unwrap(), buf.len());
    let mut back = Box::new(EveryQ::ZEROED);
    file::load(&buf, &mut *back).unwrap();
    assert_eq!(bytemuck::bytes_of(&*back), bytemuck::bytes_of(&*q));
    // Truncated, bad magic, bad version, flipped body bit.
    assert_eq!(
        file::load(&buf[..10], &mut *back),
        Err(LoadError::TooShort { len: 10 })
    );
    let mut bad = buf.clone();
    bad[0] ^= 1;
    assert_eq!(file::load(&bad, &mut *back), Err(LoadError::BadMagic));
    let mut bad = buf.clone();
    bad[8] = 2;
    assert_eq!(
        file::load(&bad, &mut *back),
        Err(LoadError::Version { found: 2 })
    );
    let mut bad = buf.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x40;
    assert!(matches!(
        file::load(&bad, &mut *back),
        Err(LoadError::Checksum { .. })
    ));
    assert!(matches!(
        file::load(&buf[..buf.len() - 4], &mut *back),
        Err(LoadError::Length { .. })
    ));
    // Another network's file.
    let mlp = MlpQ::ZEROED;
    let mut other = vec![0u8; file::encoded_len::<MlpQ>()];
    file::save(&mlp, &mut other).unwrap();
    assert!(matches!(
        file::load(&other, &mut *back),
        Err(LoadError::Fingerprint { .. })
    ));
    // A valid checksum over invalid values: a zero point out of range, and
    // a row sum that is not its row's sum.
    let mut broken = *q;
    broken.zero[2] = 300;
    file::save(&broken, &mut buf).unwrap();
    let err = file::load(&buf, &mut *back).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layer activations: a zero point outside [-128, 127]"
    );
    let mut broken = *q;
    broken.dense0_weight[3][4] = broken.dense0_weight[3][4].wrapping_add(1);
    file::save(&broken, &mut buf).unwrap();
    assert_eq!(
        file::load(&buf, &mut *back).unwrap_err().to_string(),
        "layer dense0: a row sum that is not its weights' sum"
    );
    // Nothing was written by the failed loads.
    assert_eq!(bytemuck::bytes_of(&*back), bytemuck::bytes_of(&*q));
    assert!(q.validate().is_ok());
}

#[test]
fn int8_inference_allocates_nothing() {
    let (_, q, x) = every();
    let mut ws = Box::new(EveryQWorkspace::ZEROED);
    let mut xq = [0i8; 297];
    let xin: [[[f32; 9]; 11]; 3] = bytemuck::cast(x[0]);
    q.quantize_input(&xin, &mut xq);
    let before = counting::allocations();
    let mut s = 0usize;
    for _ in 0..10 {
        s += q.predict(&xq, &mut ws);
    }
    assert_eq!(counting::allocations() - before, 0);
    assert!(s < 40);
}

#[test]
fn calibration_errors_name_the_tensor() {
    let mut rng = Rng::new(1);
    let mut net = Mlp::new_boxed(1);
    let calib = MlpQ::calibration(Range::Percentile(99.9));
    assert_eq!(
        MlpQ::quantize(&net, &calib).unwrap_err().to_string(),
        "`input` was not calibrated: run every calibration pass over at least one sample"
    );
    let x = inputs::<20>(&mut rng);
    let mut calib = MlpQ::calibration(Range::Mse);
    let mut cache = Mlp::new_cache::<64>();
    let batch: Box<[[f32; 20]; 64]> = Box::new(std::array::from_fn(|i| x[i]));
    for _ in 0..calib.passes() {
        net.observe(&batch, &mut cache, &mut calib);
        calib.next_pass();
    }
    assert!(MlpQ::quantize(&net, &calib).is_ok());
    net.dense1.weight[2][3] = f32::NAN;
    assert_eq!(
        MlpQ::quantize(&net, &calib).unwrap_err().to_string(),
        "`dense1` holds a NaN or an infinity"
    );
    assert!(
        MlpQ::SUMMARY.contains("weights 31x20 + relu0"),
        "{}",
        MlpQ::SUMMARY
    );
    assert_eq!(MlpQ::WEIGHT_BYTES, 31 * 20 + 7 * 31);
    assert_eq!(MlpQ::PARAMS, <Mlp as Network>::PARAMS);
}

mod mnist_data;

/// Quantisation-aware training learns through the rounding: on the MNIST
/// slice, the MLP trained one epoch in float loses accuracy when its
/// weights are rounded to 2 bits (3 values per channel); one epoch of
/// `Trainer::qat` at 2 bits recovers most of it, and the steps change the
/// float weights, not the rounded copy.
#[test]
fn qat_recovers_what_rounding_the_weights_loses() {
    use staticnet::data::mnist::Mnist;
    use staticnet::optim::{CosineLr, Sgd};
    use staticnet::train::{Control, SoftmaxCrossEntropy, Trainer};
    use zoo::nets::{Mlp as MnistMlp, MlpQ as MnistMlpQ};
    let data = Mnist::load(std::path::Path::new(mnist_data::SLICE_DIR)).unwrap();
    let steps = data.train.len() / 32;
    let schedule = CosineLr {
        base: 0.05,
        min: 0.0,
        total_steps: steps,
    };
    let mut t = Trainer::<MnistMlp, _, _, _, 32>::new(
        MnistMlp::new_boxed(42),
        Sgd::new(0.05).with_momentum(0.9),
        schedule,
        SoftmaxCrossEntropy,
    )
    .seed(42);
    t.train_epoch(&data.train, |_| Control::Continue).unwrap();
    let float = t.evaluate(&data.test).unwrap().metric;
    let calib = staticnet::quantize::calibrate::<MnistMlp, _, 32, { MnistMlpQ::TENSORS.len() }>(
        &t.net,
        &data.train,
        1000,
        Range::MinMax,
    )
    .unwrap();
    let q = MnistMlpQ::quantize(&t.net, &calib).unwrap();
    let schedule = CosineLr {
        base: 0.01,
        min: 0.0,
        total_steps: steps,
    };
    let mut qat = Trainer::<MnistMlp, _, _, _, 32>::new(
        t.net.clone(),
        Sgd::new(0.01).with_momentum(0.9),
        schedule,
        SoftmaxCrossEntropy,
    )
    .seed(42)
    .qat(&q.qat_ranges(), 2);
    let rounded = qat.evaluate(&data.test).unwrap().metric;
    qat.train_epoch(&data.train, |_| Control::Continue).unwrap();
    let tuned = qat.evaluate(&data.test).unwrap().metric;
    println!("float {float:.4}, 2-bit weights {rounded:.4}, after one QAT epoch {tuned:.4}");
    assert!(
        rounded < float - 0.02,
        "rounding to 2 bits costs: {rounded} vs {float}"
    );
    assert!(tuned > rounded + 0.02, "QAT recovers: {tuned} vs {rounded}");
    // The float weights moved off the 2-bit grid: they are what was stepped.
    let mut grid = qat.net.clone();
    grid.fake_quantize_weights(2);
    assert_ne!(grid.params(), qat.net.params());
}

staticnet::network! {
    #[staticnet(quantize(dense_bits = 4))]
    struct Mlp4 { input: [20], dense(33), relu, dense(7) }
}

staticnet::network! {
    #[staticnet(quantize(dense_bits = 2))]
    struct Mlp2 { input: [20], dense(33), relu, dense(7) }
}

/// Dense weights packed 4 and 2 bits per value: the int8 network follows
/// the float network whose weights are rounded to the same grid, its file
/// round-trips, and a damaged packed row is a typed error.
#[test]
fn packed_dense_weights_follow_the_rounded_float_network() {
    macro_rules! check {
        ($net:ty, $q:ty, $ws:ty, $bits:expr) => {{
            let mut rng = Rng::new(5);
            let mut net = <$net>::new_boxed(9);
            net.fake_quantize_weights($bits);
            let x = inputs::<20>(&mut rng);
            let batch: Box<[[f32; 20]; 64]> = Box::new(std::array::from_fn(|i| x[i]));
            let mut calib = <$q>::calibration(Range::MinMax);
            let mut cache = <$net>::new_cache::<64>();
            net.observe(&batch, &mut cache, &mut calib);
            calib.next_pass();
            let q = <$q>::quantize(&net, &calib).unwrap();
            let b = $bits as usize;
            assert_eq!(
                <$q>::WEIGHT_BYTES,
                33 * (20 * b).div_ceil(8) + 7 * (33 * b).div_ceil(8)
            );
            let out = net.forward_batch(&batch, &mut cache, Mode::Infer);
            let s = q.scale[3];
            let mut ws = <$ws>::ZEROED;
            let mut worst = 0f32;
            for i in 0..64 {
                let mut xq = [0i8; 20];
                q.quantize_input(&batch[i], &mut xq);
                let y = q.dequantize_output(q.forward(&xq, &mut ws));
                for (a, b) in y.iter().zip(&out[i]) {
                    worst = worst.max((a - b).abs() / s);
                }
            }
            assert!(worst <= 2.0, "{} bits: {worst} steps", $bits);
            let mut buf = vec![0u8; file::encoded_len::<$q>()];
            file::save(&q, &mut buf).unwrap();
            let mut back = <$q>::ZEROED;
            file::load(&buf, &mut back).unwrap();
            assert_eq!(bytemuck::bytes_of(&back), bytemuck::bytes_of(&q));
            let mut broken = q;
            broken.dense1_weight[2][1] ^= 0x01;
            file::save(&broken, &mut buf).unwrap();
            assert_eq!(
                file::load(&buf, &mut back).unwrap_err().to_string(),
                "layer dense1: a row sum that is not its weights' sum"
            );
            assert!(
                <$q>::SUMMARY.contains(&format!("weights {}-bit 33x20", $bits)),
                "{}",
                <$q>::SUMMARY
            );
        }};
    }
    check!(Mlp4, Mlp4Q, Mlp4QWorkspace, 4u32);
    check!(Mlp2, Mlp2Q, Mlp2QWorkspace, 2u32);
}
