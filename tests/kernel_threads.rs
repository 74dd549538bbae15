//! Products split over kernel threads (`staticnet::threads`): training an
//! MLP on two threads takes bit-for-bit the steps of one thread, and after
//! the threads are started a step allocates nothing on any thread. One test
//! in its own binary, as it sets the process-wide thread count and counts
//! every allocation of the process.

use staticnet::data::mnist::Mnist;
use staticnet::optim::{Constant, Sgd};
use staticnet::train::{SoftmaxCrossEntropy, Trainer};
use staticnet::Network;
use zoo::nets::Mlp;
mod counting;
mod mnist_data;
mod zoo;

/// Trains 20 steps of 32 on `threads` kernel threads; the parameters, and
/// the allocations made by the last 19 steps (the first starts the threads).
fn run(threads: usize) -> (Box<Mlp>, usize, usize) {
    let train = Mnist::load(mnist_data::SLICE_DIR).unwrap().train;
    let opt = Sgd::new(0.1).with_momentum(0.9);
    let mut t = Trainer::<Mlp, _, _, _, 32>::new(
        Mlp::new_boxed(5),
        opt,
        Constant(0.1),
        SoftmaxCrossEntropy,
    );
    let batches: Vec<[usize; 32]> = (0..20)
        .map(|s| std::array::from_fn(|i| s * 32 + i))
        .collect();
    let threads = staticnet::threads::set_threads(threads);
    t.train_step(&train, &batches[0]).unwrap();
    let before = counting::allocations();
    for batch in &batches[1..] {
        t.train_step(&train, batch).unwrap();
    }
    let allocations = counting::allocations() - before;
    staticnet::threads::set_threads(1);
    (t.net, allocations, threads)
}

#[test]
fn two_kernel_threads_take_the_same_steps_and_do_not_allocate() {
    let (one, _, _) = run(1);
    let jobs = staticnet::threads::split_jobs();
    let (two, allocations, threads) = run(2);
    // 19 steps x (forward, weight gradient, SGD step) split (at least), where
    // this process may use two CPUs.
    if threads == 2 {
        let split = staticnet::threads::split_jobs() - jobs;
        assert!(split >= 57, "only {split} products ran on two threads");
    }
    let bits = |n: &Mlp| n.params().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&two), bits(&one), "two threads changed the result");
    assert_eq!(allocations, 0, "steps on two threads allocated");
    let moved = one
        .params()
        .iter()
        .zip(Mlp::new_boxed(5).params())
        .filter(|(a, b)| a != b)
        .count();
    // (MNIST's border pixels are always 0: their weights get no gradient.)
    assert!(moved > 50_000, "training changed only {moved} parameters");
}
