//! Data-parallel training: two threads of 16 samples take the same steps as
//! one thread of 32 (up to the order of the gradient sums), a run is
//! bit-for-bit deterministic for a given thread count, and a step allocates
//! nothing (only starting the threads, once per epoch, does).

use staticnet::data::mnist::Mnist;
use staticnet::optim::{Constant, Sgd};
use staticnet::parallel::ParallelTrainer;
use staticnet::train::{SoftmaxCrossEntropy, Trainer};
use staticnet::{Network, Rng};
mod counting;
mod mnist_data;

staticnet::network! {
    struct Mlp { input: [784], dense(64), relu, dense(10) }
}

fn data(n: usize) -> staticnet::data::mnist::Split {
    let mut train = Mnist::load(mnist_data::SLICE_DIR).unwrap().train;
    train.truncate(n);
    train
}

fn parallel_run(threads: usize, n: usize) -> (Box<Mlp>, f32) {
    let train = data(n);
    let mut opt = Sgd::new(0.1).with_momentum(0.9);
    let mut t =
        ParallelTrainer::<Mlp, _, 16>::new(Mlp::new_boxed(3), &opt, SoftmaxCrossEntropy, threads);
    let loss = t
        .train_epoch(
            &train,
            &mut opt,
            &Constant(0.1),
            &mut Rng::new(4),
            |_, _| {},
        )
        .unwrap();
    (t.net, loss)
}

/// The allocation counter counts the whole process: the tests of this file
/// take turns, or one would count the other's allocations.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn two_threads_take_the_steps_of_one_batch_of_32() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (par, par_loss) = parallel_run(2, 640);
    let train = data(640);
    let opt = Sgd::new(0.1).with_momentum(0.9);
    let mut one = Trainer::<Mlp, _, _, _, 32>::new(
        Mlp::new_boxed(3),
        opt,
        Constant(0.1),
        SoftmaxCrossEntropy,
    );
    // The order the parallel epoch shuffles with `Rng::new(4)`, in steps of
    // one batch of 32 (the trainer's own epochs shuffle from its seed).
    let mut order: Vec<usize> = (0..train.len()).collect();
    Rng::new(4).shuffle(&mut order);
    let mut total = 0.0f64;
    for batch in order.chunks_exact(32) {
        total += f64::from(one.train_step(&train, batch.try_into().unwrap()).unwrap());
    }
    let loss = (total / (order.len() / 32) as f64) as f32;
    assert!(
        (loss - par_loss).abs() <= 1e-5 * loss.abs(),
        "{loss} vs {par_loss}"
    );
    let worst = par
        .params()
        .iter()
        .zip(one.net.params())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!("20 steps: mean loss {loss}, worst parameter difference {worst:e}");
    assert!(worst <= 1e-5, "{worst}");
}

#[test]
fn runs_are_deterministic_and_steps_do_not_allocate() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (a, _) = parallel_run(2, 320);
    let (b, _) = parallel_run(2, 320);
    assert_eq!(
        bytemuck::cast_slice::<f32, u32>(a.params()),
        bytemuck::cast_slice::<f32, u32>(b.params())
    );
    // The same epoch setup with 10 and with 40 steps: equal allocation counts.
    let train = data(1280);
    let count = |n: usize| {
        let mut subset = train.clone();
        subset.truncate(n);
        let mut opt = Sgd::new(0.1);
        let mut t =
            ParallelTrainer::<Mlp, _, 16>::new(Mlp::new_boxed(3), &opt, SoftmaxCrossEntropy, 2);
        let mut rng = Rng::new(4);
        let mut epoch = |rng: &mut Rng| {
            t.train_epoch(&subset, &mut opt, &Constant(0.1), rng, |_, _| {})
                .unwrap()
        };
        // A first epoch warms up whatever the runtime allocates lazily.
        epoch(&mut rng);
        let before = counting::allocations();
        epoch(&mut rng);
        counting::allocations() - before
    };
    let (short, long) = (count(320), count(1280));
    println!("allocations per epoch: {short} (10 steps), {long} (40 steps)");
    assert_eq!(short, long);
}
