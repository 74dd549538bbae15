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
