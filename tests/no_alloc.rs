//! `forward`, `forward_batch`, `backward` and optimizer steps call no
//! allocator, at batch sizes 1 and 32: a counting `#[global_allocator]` that
//! counts only on the thread under test.
#![allow(unsafe_code, reason = "a GlobalAlloc impl is unsafe by definition")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use staticnet::optim::{Adam, AdamW, Optimizer, Sgd};
use staticnet::{loss, Mode, Network};

struct Counting;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the counter
// is a const-initialised thread-local `Cell` without destructor, which never
// allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how many allocations it made on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    ARMED.with(|a| a.set(true));
    f();
    ARMED.with(|a| a.set(false));
    COUNT.with(Cell::get)
}

staticnet::network! {
    struct Mlp {
        input: [784],
        dense(128), relu,
        dropout(0.1),
        dense(64), gelu,
        dense(32), tanh,
        dense(16), sigmoid,
        dense(16), leaky_relu(0.1),
        dense(10),
    }
}

staticnet::network! {
    struct Probs {
        input: [2, 3],
        flatten,
        dense(4, bias = false),
        softmax,
    }
}

staticnet::network! {
    struct Conv {
        input: [3, 16, 16],
        conv2d(6, 3, padding = 1, stride = 2), batchnorm, relu,
        conv2d(6, 3, groups = 3, dilation = 2, bias = false),
        maxpool2d(2, stride = 1),
        avgpool2d(2),
        dropout(0.2),
        flatten,
        dense(8), batchnorm,
        dense(4),
    }
}

staticnet::network! {
    struct Signal {
        input: [2, 16],
        conv1d(4, 3, stride = 2, padding = 1),
        global_avgpool,
        dense(3),
    }
}

staticnet::network! {
    struct Recurrent {
        input: [6, 3],
        lstm(5),
        gru(4),
        rnn(3, sequence = false),
        dense(2),
    }
}

staticnet::network! {
    struct Tokens {
        input: tokens[5],
        embedding(9, 4),
        lstm(6),
        dense(9),
    }
}

staticnet::network! {
    struct Vit {
        input: [1, 8, 8],
        patchify(4),
        dense(8),
        pos_embedding,
        residual { layernorm, multihead_attention(2, causal = true) },
        residual { layernorm, dense(12), gelu, dense(8) },
        layernorm,
        mean_pool,
        dense(3),
    }
}

fn train_step<N: Network, const B: usize>(net: &mut N) -> usize {
    let x: Box<[N::Input; B]> = bytemuck::zeroed_box();
    let mut cache = N::new_cache::<B>();
    let mut grads = N::zeroed_boxed();
    let mut gy: Box<[N::Output; B]> = bytemuck::zeroed_box();
    let mut gx: Box<[N::Input; B]> = bytemuck::zeroed_box();
    let mut ws = N::new_workspace();
    let labels = [1usize; B];
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
            let out = net.forward_batch(&x, &mut cache, mode);
            let _ = out;
            net.update_buffers(&cache);
            let out = net.forward_batch(&x, &mut cache, mode);
            let classes = N::OUTPUT_LEN;
            loss::softmax_cross_entropy(
                staticnet::flat(out),
                &labels[..],
                classes,
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

#[test]
fn training_and_inference_do_not_allocate() {
    let mut mlp = Mlp::new_boxed(0);
    assert_eq!(train_step::<Mlp, 1>(&mut mlp), 0, "Mlp, batch 1");
    assert_eq!(train_step::<Mlp, 32>(&mut mlp), 0, "Mlp, batch 32");
    let mut probs = Probs::new_boxed(0);
    assert_eq!(train_step::<Probs, 1>(&mut probs), 0, "Probs, batch 1");
    assert_eq!(train_step::<Probs, 32>(&mut probs), 0, "Probs, batch 32");
    let mut conv = Conv::new_boxed(0);
    assert_eq!(train_step::<Conv, 1>(&mut conv), 0, "Conv, batch 1");
    assert_eq!(train_step::<Conv, 32>(&mut conv), 0, "Conv, batch 32");
    let mut rec = Recurrent::new_boxed(0);
    assert_eq!(
        train_step::<Recurrent, 1>(&mut rec),
        0,
        "Recurrent, batch 1"
    );
    assert_eq!(
        train_step::<Recurrent, 32>(&mut rec),
        0,
        "Recurrent, batch 32"
    );
    let mut tok = Tokens::new_boxed(0);
    assert_eq!(train_step::<Tokens, 1>(&mut tok), 0, "Tokens, batch 1");
    assert_eq!(train_step::<Tokens, 32>(&mut tok), 0, "Tokens, batch 32");
    let mut stream = TokensStream::ZEROED;
    assert_eq!(
        allocations(|| {
            for t in 0..5 {
                let _ = tok.step(&[t as f32], &mut stream);
            }
            stream.reset();
        }),
        0,
        "Tokens, streaming"
    );
    let mut vit = Vit::new_boxed(0);
    assert_eq!(train_step::<Vit, 1>(&mut vit), 0, "Vit, batch 1");
    assert_eq!(train_step::<Vit, 32>(&mut vit), 0, "Vit, batch 32");
    let mut signal = Signal::new_boxed(0);
    assert_eq!(train_step::<Signal, 1>(&mut signal), 0, "Signal, batch 1");
    assert_eq!(train_step::<Signal, 32>(&mut signal), 0, "Signal, batch 32");
}

#[test]
fn the_counter_counts() {
    // The check above could not fail if the allocator did not count.
    let n = allocations(|| {
        let v: Vec<u8> = Vec::with_capacity(16);
        std::hint::black_box(v);
    });
    assert_eq!(n, 1);
}

fn save_load<N: Network>(net: &N) -> usize {
    let mut buf = vec![0u8; staticnet::weights::encoded_len::<N>()];
    let mut copy = N::zeroed_boxed();
    let mut bad = buf.clone();
    allocations(|| {
        let n = staticnet::weights::save(net, &mut buf).expect("save");
        staticnet::weights::load(&buf[..n], &mut *copy).expect("load");
        // The error path too: a corrupted copy.
        bad.copy_from_slice(&buf);
        bad[n - 1] ^= 1;
        assert!(staticnet::weights::load(&bad, &mut *copy).is_err());
        assert!(staticnet::weights::check_const(&bad[..40], &N::ARCH).is_err());
    })
}

#[test]
fn binary_weights_save_and_load_do_not_allocate() {
    assert_eq!(save_load(&*Mlp::new_boxed(1)), 0, "Mlp");
    assert_eq!(save_load(&*Conv::new_boxed(1)), 0, "Conv");
    assert_eq!(save_load(&*Signal::new_boxed(1)), 0, "Signal");
}

staticnet::network! {
    struct Enc { input: [784], dense(32), relu, dense(8) }
}
staticnet::network! {
    struct Dec { input: [8], dense(32), relu, dense(784) }
}

#[test]
fn chained_networks_do_not_allocate() {
    let (enc, dec) = (Enc::new_boxed(1), Dec::new_boxed(2));
    let (mut ce, mut cd) = (Enc::new_cache::<16>(), Dec::new_cache::<16>());
    let (mut ge, mut gd) = (Enc::zeroed_boxed(), Dec::zeroed_boxed());
    let x: Box<[[f32; 784]; 16]> = bytemuck::zeroed_box();
    let gy: Box<[[f32; 784]; 16]> = bytemuck::zeroed_box();
    let mut joint: Box<[[f32; 8]; 16]> = bytemuck::zeroed_box();
    let mut gx: Box<[[f32; 784]; 16]> = bytemuck::zeroed_box();
    let n = allocations(|| {
        staticnet::chain_forward(&*enc, &*dec, &x, &mut ce, &mut cd, Mode::Train);
        staticnet::chain_backward(
            &*enc,
            &*dec,
            &x,
            &mut ce,
            &mut cd,
            &gy,
            (&mut *ge, &mut *gd),
            &mut joint,
            Some(&mut gx),
        );
    });
    assert_eq!(n, 0);
}
