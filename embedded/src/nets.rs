// The networks and the training run shared by the guest (`src/lib.rs`) and
// the host reference (`build.rs`), which `include!` this file, so both sides
// compile the same declarations and the same loop.

staticnet::network! {
    /// The 1-16-16-1 sine regressor of the published MCU comparisons. Its
    /// weights live in flash, so its RAM is the workspace: at most 1 KiB.
    #[budget(workspace = 1024)]
    #[staticnet(quantize)]
    pub struct Sine {
        input: [1],
        dense(16), relu,
        dense(16), relu,
        dense(1),
    }
}

staticnet::network! {
    /// The 784-128-10 MNIST classifier of the foundation issue.
    #[staticnet(quantize)]
    pub struct Mlp {
        input: [784],
        dense(128), relu,
        dense(10),
    }
}

staticnet::network! {
    /// LeNet-5 of the convolution issue.
    #[staticnet(quantize)]
    pub struct LeNet {
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
    /// The smallest MNIST classifier here: three strided convolutions and
    /// one dense layer, about 11K parameters, for the microcontroller with
    /// 16 KB of flash and 4 KB of RAM (dense weights 4-bit in its int8
    /// form). Its int8 form is trained by `examples/tiny_mnist.rs`; `build.rs`
    /// trains the f32 network of the `tiny` test (it fits the Cortex-M0).
    #[staticnet(quantize(dense_bits = 4))]
    pub struct TinyMnist {
        input: [1, 28, 28],
        conv2d(6, 5, stride = 2, padding = 2), relu,
        conv2d(16, 3, stride = 2, padding = 1), relu,
        conv2d(32, 3, stride = 2, padding = 1), relu,
        flatten,
        dropout(0.25),
        dense(10),
    }
}

/// Batch size of sine training.
pub const SINE_BATCH: usize = 8;
/// Seed of the initial weights of on-device training.
pub const SINE_INIT_SEED: u64 = 2;
/// Seed of the training data.
pub const SINE_DATA_SEED: u64 = 7;
/// Adam's learning rate.
pub const SINE_LR: f32 = 0.01;

/// One batch of `x` uniform in [0, 2 pi), `y = sin x`, from `rng`.
pub fn sine_batch(
    rng: &mut staticnet::Rng,
    x: &mut [[f32; 1]; SINE_BATCH],
    y: &mut [[f32; 1]; SINE_BATCH],
) {
    for (xi, yi) in x.iter_mut().zip(y.iter_mut()) {
        xi[0] = rng.uniform() * core::f32::consts::TAU;
        yi[0] = staticnet::math::sin(xi[0]);
    }
}

/// `steps` Adam steps on fresh batches; returns the mean loss of the last
/// `window` steps. Nothing is allocated: every buffer is the caller's.
pub fn sine_train(
    net: &mut Sine,
    grads: &mut Sine,
    cache: &mut SineCache<SINE_BATCH>,
    moments: &mut [Sine; 2],
    rng: &mut staticnet::Rng,
    steps: usize,
    window: usize,
) -> f32 {
    use staticnet::optim::Optimizer;
    use staticnet::Network;
    let mut opt = staticnet::optim::Adam::new(SINE_LR);
    let (mut x, mut y) = ([[0.0f32; 1]; SINE_BATCH], [[0.0f32; 1]; SINE_BATCH]);
    let mut grad_out = [[0.0f32; 1]; SINE_BATCH];
    let mut recent = 0.0;
    for step in 0..steps {
        sine_batch(rng, &mut x, &mut y);
        let out = net.forward_batch(&x, cache, staticnet::Mode::Train);
        let l = staticnet::loss::mse(
            staticnet::flat(out),
            staticnet::flat(&y),
            staticnet::flat_mut(&mut grad_out),
        );
        if step + window >= steps {
            recent += l / window as f32;
        }
        net.backward(&x, cache, &grad_out, grads, None);
        opt.step(net.params_mut(), grads.params(), staticnet::flat_mut(moments));
    }
    recent
}
