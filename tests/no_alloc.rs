//! Allocation checks outside the table of `tests/layers.rs` (which checks
//! every test network's forward, backward, optimizer steps and weights
//! save/load): streaming steps and chained networks allocate nothing.

mod alloc_count;
mod zoo;

use alloc_count::allocations;
use staticnet::{Mode, Network};
use zoo::{Chars, CharsStream};

#[test]
fn streaming_does_not_allocate() {
    let net = Chars::new_boxed(0);
    let mut stream = CharsStream::ZEROED;
    let n = allocations(|| {
        for t in 0..6 {
            let _ = net.step(&[t as f32], &mut stream);
        }
        stream.reset();
    });
    assert_eq!(n, 0);
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

staticnet::network! {
    /// Per-step log-probabilities: `log_softmax` streams.
    struct Tagger { input: [5, 3], gru(4), dense(3), log_softmax }
}

#[test]
fn streaming_log_softmax_does_not_allocate() {
    let net = Tagger::new_boxed(3);
    let mut stream = TaggerStream::ZEROED;
    let mut out = [0.0f32; 3];
    let n = allocations(|| {
        for t in 0..5 {
            out = *net.step(&[t as f32, 0.5, -1.0], &mut stream);
        }
    });
    assert_eq!(n, 0);
    // Log-probabilities: their exponentials sum to 1.
    let total: f32 = out.iter().map(|v| v.exp()).sum();
    assert!((total - 1.0).abs() < 1e-5, "{out:?}");
}
