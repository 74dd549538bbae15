//! Helpers shared by the integration tests: whole-network gradient checks.
#![allow(dead_code)]

use staticnet::{Mode, Network, Rng};

/// A loss over a batch's flat outputs: returns the loss, writes d loss / d output.
pub type LossFn<'a> = &'a dyn Fn(&[f32], &mut [f32]) -> f32;

/// Random inputs in [-1, 1).
pub fn random_batch<N: Network, const B: usize>(seed: u64) -> Box<[N::Input; B]> {
    let mut x: Box<[N::Input; B]> = bytemuck::zeroed_box();
    let mut rng = Rng::new(seed);
    for v in staticnet::flat_mut(&mut *x) {
        *v = rng.uniform() * 2.0 - 1.0;
    }
    x
}

fn loss_at<N: Network, const B: usize>(
    net: &N,
    x: &[N::Input; B],
    cache: &mut N::Cache<B>,
    reseed: &dyn Fn(&mut N::Cache<B>),
    loss: LossFn<'_>,
) -> f64 {
    reseed(cache);
    let out = net.forward_batch(x, cache, Mode::Train);
    let mut g = vec![0.0f32; N::OUTPUT_LEN * B];
    f64::from(loss(staticnet::flat(out), &mut g))
}

/// Checks `backward` (parameter and input gradients) of `net` against central
/// finite differences of the loss, in f32 with step `h`: a coordinate passes if
/// `|fd - analytic| <= atol + rtol * |analytic|`. A kink (ReLU) crossed at
/// distance `d < h` makes the central difference err by `jump (h - d) / 2h`
/// and the one-sided differences disagree by twice that, so coordinates whose
/// one-sided differences disagree by more than 2 tolerances are skipped as
/// kinks; at most 5% may be. Smooth points disagree by about `h f''`, far
/// below that with h = 1e-3.
pub fn check_gradients<N: Network, const B: usize>(
    net: &mut N,
    x: &mut [N::Input; B],
    reseed: &dyn Fn(&mut N::Cache<B>),
    loss: LossFn<'_>,
    h: f32,
    rtol: f64,
    atol: f64,
) {
    check(net, x, reseed, loss, (h, rtol, atol), true);
}

/// [`check_gradients`] for networks on token ids (`embedding` first): the
/// parameters only, since ids are not differentiable (and `backward`'s input
/// gradient is zero, checked here).
pub fn check_param_gradients<N: Network, const B: usize>(
    net: &mut N,
    x: &mut [N::Input; B],
    loss: LossFn<'_>,
    h: f32,
    rtol: f64,
    atol: f64,
) {
    check(
        net,
        x,
        &|_: &mut N::Cache<B>| {},
        loss,
        (h, rtol, atol),
        false,
    );
}

fn check<N: Network, const B: usize>(
    net: &mut N,
    x: &mut [N::Input; B],
    reseed: &dyn Fn(&mut N::Cache<B>),
    loss: LossFn<'_>,
    (h, rtol, atol): (f32, f64, f64),
    check_input: bool,
) {
    let mut cache = N::new_cache::<B>();
    reseed(&mut cache);
    let out = net.forward_batch(x, &mut cache, Mode::Train);
    let mut gy = vec![0.0f32; N::OUTPUT_LEN * B];
    loss(staticnet::flat(out), &mut gy);
    let gy_arr: Box<[N::Output; B]> = {
        let mut b: Box<[N::Output; B]> = bytemuck::zeroed_box();
        staticnet::flat_mut(&mut *b).copy_from_slice(&gy);
        b
    };
    let mut grads = N::zeroed_boxed();
    // Garbage first: backward must overwrite, not accumulate.
    grads.params_mut().fill(f32::NAN);
    let mut gx: Box<[N::Input; B]> = bytemuck::zeroed_box();
    staticnet::flat_mut(&mut *gx).fill(f32::NAN);
    net.backward(x, &mut cache, &gy_arr, &mut grads, Some(&mut gx));

    let mut checked = 0usize;
    let mut skipped = 0usize;
    let mut judge = |what: &str, i: usize, an: f32, f0: f64, fp: f64, fm: f64| {
        let an = f64::from(an);
        let h = f64::from(h);
        let fd = (fp - fm) / (2.0 * h);
        let tol = atol + rtol * an.abs();
        let one_sided = ((fp - f0) / h - (f0 - fm) / h).abs();
        if one_sided > 2.0 * tol {
            skipped += 1;
            return;
        }
        checked += 1;
        assert!(
            (fd - an).abs() <= tol,
            "{what}[{i}]: analytic {an}, finite difference {fd} (h {h}, tol {tol})"
        );
    };
    let f0 = loss_at(net, x, &mut cache, reseed, loss);
    for i in 0..N::PARAMS {
        let orig = net.params()[i];
        net.params_mut()[i] = orig + h;
        let fp = loss_at(net, x, &mut cache, reseed, loss);
        net.params_mut()[i] = orig - h;
        let fm = loss_at(net, x, &mut cache, reseed, loss);
        net.params_mut()[i] = orig;
        judge("param", i, grads.params()[i], f0, fp, fm);
    }
    if !check_input {
        assert!(staticnet::flat(&*gx).iter().all(|&g| g == 0.0));
    }
    for i in (0..N::INPUT_LEN * B).filter(|_| check_input) {
        let orig = staticnet::flat(x)[i];
        staticnet::flat_mut(x)[i] = orig + h;
        let fp = loss_at(net, x, &mut cache, reseed, loss);
        staticnet::flat_mut(x)[i] = orig - h;
        let fm = loss_at(net, x, &mut cache, reseed, loss);
        staticnet::flat_mut(x)[i] = orig;
        judge("input", i, staticnet::flat(&*gx)[i], f0, fp, fm);
    }
    let total = checked + skipped;
    println!("{checked} coordinates checked, {skipped} skipped as kinks");
    assert!(total > 0);
    assert!(
        skipped * 20 <= total,
        "{skipped} of {total} coordinates sit on kinks; the check is not meaningful"
    );
}

/// `forward` (one sample, workspace) equals `forward_batch` in inference mode.
pub fn single_matches_batch<N: Network, const B: usize>(seed: u64) {
    let net = N::new_boxed(seed);
    let x = random_batch::<N, B>(seed + 100);
    single_matches_batch_on(&*net, &x);
}

/// [`single_matches_batch`] for a given network and batch.
pub fn single_matches_batch_on<N: Network, const B: usize>(net: &N, x: &[N::Input; B]) {
    let mut cache = N::new_cache::<B>();
    let batch = *net.forward_batch(x, &mut cache, Mode::Infer);
    let mut ws = N::new_workspace();
    for (xi, yi) in x.iter().zip(batch.iter()) {
        let y = net.forward(xi, &mut ws);
        for (u, v) in staticnet::flat(y).iter().zip(staticnet::flat(yi)) {
            assert!((u - v).abs() <= 1e-5 * (1.0 + v.abs()), "{u} vs {v}");
        }
    }
}
