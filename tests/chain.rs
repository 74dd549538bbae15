//! Chained networks: the gradient through `b(a(x))` (both networks'
//! parameters and the input) against central finite differences in f32, for
//! a dense pair and a convolutional pair joined on a feature map.

mod common;

use common::random_batch;
use staticnet::{chain_backward, chain_forward, loss, Feeds, Mode, Network};

staticnet::network! {
    struct Enc { input: [5], dense(4), tanh, dense(3) }
}
staticnet::network! {
    struct Dec { input: [3], dense(4), sigmoid, dense(5) }
}
staticnet::network! {
    /// Ends on a feature map `[2, 3, 3]`.
    struct ConvA { input: [1, 5, 5], conv2d(2, 3), tanh }
}
staticnet::network! {
    /// Starts on that feature map.
    struct ConvB { input: [2, 3, 3], conv2d(3, 2), sigmoid, flatten, dense(2) }
}

/// Loss of the chain: MSE against a fixed target.
fn chain_loss<A: Feeds<B>, B: Network, const N: usize>(
    a: &A,
    b: &B,
    x: &[A::Input; N],
    grad: Option<&mut [B::Output; N]>,
) -> f64 {
    let (mut ca, mut cb) = (A::new_cache::<N>(), B::new_cache::<N>());
    let out = chain_forward(a, b, x, &mut ca, &mut cb, Mode::Train);
    let out = staticnet::flat(out);
    let target: Vec<f32> = (0..out.len())
        .map(|i| (i as f32 * 0.7).cos() * 0.5)
        .collect();
    let mut g = vec![0.0f32; out.len()];
    let l = loss::mse(out, &target, &mut g);
    if let Some(grad) = grad {
        staticnet::flat_mut(grad).copy_from_slice(&g);
    }
    f64::from(l)
}

fn check_chain<A: Feeds<B>, B: Network, const N: usize>(seed: u64) {
    let (mut a, mut b) = (A::new_boxed(seed), B::new_boxed(seed + 1));
    let mut x = random_batch::<A, N>(seed + 2);
    let mut gy: Box<[B::Output; N]> = bytemuck::zeroed_box();
    chain_loss(&*a, &*b, &x, Some(&mut gy));
    let (mut ca, mut cb) = (A::new_cache::<N>(), B::new_cache::<N>());
    chain_forward(&*a, &*b, &x, &mut ca, &mut cb, Mode::Train);
    let (mut ga, mut gb) = (A::zeroed_boxed(), B::zeroed_boxed());
    let mut joint: Box<[A::Output; N]> = bytemuck::zeroed_box();
    let mut gx: Box<[A::Input; N]> = bytemuck::zeroed_box();
    chain_backward(
        &*a,
        &*b,
        &x,
        &mut ca,
        &mut cb,
        &gy,
        (&mut *ga, &mut *gb),
        &mut joint,
        Some(&mut gx),
    );
    let h = 1e-3f32;
    let judge = |what: &str, i: usize, analytic: f32, fp: f64, fm: f64| {
        let fd = (fp - fm) / (2.0 * f64::from(h));
        let an = f64::from(analytic);
        assert!(
            (fd - an).abs() <= 2e-3 + 2e-2 * an.abs(),
            "{what}[{i}]: analytic {an}, finite difference {fd}"
        );
    };
    for i in 0..A::PARAMS {
        let orig = a.params()[i];
        a.params_mut()[i] = orig + h;
        let fp = chain_loss(&*a, &*b, &x, None);
        a.params_mut()[i] = orig - h;
        let fm = chain_loss(&*a, &*b, &x, None);
        a.params_mut()[i] = orig;
        judge("first network", i, ga.params()[i], fp, fm);
    }
    for i in 0..B::PARAMS {
        let orig = b.params()[i];
        b.params_mut()[i] = orig + h;
        let fp = chain_loss(&*a, &*b, &x, None);
        b.params_mut()[i] = orig - h;
        let fm = chain_loss(&*a, &*b, &x, None);
        b.params_mut()[i] = orig;
        judge("second network", i, gb.params()[i], fp, fm);
    }
    for i in 0..A::INPUT_LEN * N {
        let orig = staticnet::flat(&*x)[i];
        staticnet::flat_mut(&mut *x)[i] = orig + h;
        let fp = chain_loss(&*a, &*b, &x, None);
        staticnet::flat_mut(&mut *x)[i] = orig - h;
        let fm = chain_loss(&*a, &*b, &x, None);
        staticnet::flat_mut(&mut *x)[i] = orig;
        judge("input", i, staticnet::flat(&*gx)[i], fp, fm);
    }
}

#[test]
fn gradient_flows_through_a_dense_chain() {
    check_chain::<Enc, Dec, 3>(1);
}

#[test]
fn gradient_flows_through_a_conv_chain() {
    check_chain::<ConvA, ConvB, 2>(4);
}
