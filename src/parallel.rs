//! Data-parallel training on several threads (feature `std`): each step,
//! `T` threads each run forward and backward on their own `B` samples of a
//! global batch of `T * B`, with their own cache and gradients; one thread
//! then sums the gradients in thread order (so a run is deterministic for a
//! given thread count), divides by `T` and takes the optimizer step.
//!
//! Threads are started once per epoch and synchronise with a barrier; a step
//! allocates nothing (`tests/parallel.rs` counts). Batch norm, if any,
//! normalises each thread's `B` samples on their own (as PyTorch's DDP
//! without `SyncBatchNorm`), and the running statistics follow thread 0.

use crate::data::Dataset;
use crate::optim::{LrSchedule, Optimizer};
use crate::train::{Loss, NonFinite, TrainError};
use crate::{flat, flat_mut, Mode, Network, Rng};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::boxed::Box;
use std::sync::{Mutex, RwLock};
use std::vec;
use std::vec::Vec;

/// A barrier that spins: steps are tens of microseconds, about what
/// waking a sleeping thread costs, so waiting threads do not sleep (each
/// thread has its own core in data-parallel training).
struct SpinBarrier {
    threads: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    fn new(threads: usize) -> Self {
        SpinBarrier {
            threads,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
        }
    }

    fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.threads {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
        } else {
            let mut spins = 0u32;
            while self.generation.load(Ordering::Acquire) == generation {
                spins = spins.wrapping_add(1);
                if spins.is_multiple_of(1024) {
                    std::thread::yield_now();
                } else {
                    core::hint::spin_loop();
                }
            }
        }
    }
}

/// One thread's share of a step.
struct Worker<N: Network, L: Loss, const B: usize> {
    grads: Box<N>,
    cache: Box<N::Cache<B>>,
    x: Box<[N::Input; B]>,
    grad_out: Box<[N::Output; B]>,
    targets: Box<[L::Target; B]>,
    loss: f32,
    /// What went wrong in this share (a bad target, a non-finite loss).
    bad: Option<TrainError>,
}

impl<N: Network, L: Loss, const B: usize> Worker<N, L, B>
where
    L::Target: core::fmt::Debug,
{
    fn new() -> Self {
        Worker {
            grads: N::zeroed_boxed(),
            cache: N::new_cache::<B>(),
            x: bytemuck::zeroed_box(),
            grad_out: bytemuck::zeroed_box(),
            targets: bytemuck::zeroed_box(),
            loss: 0.0,
            bad: None,
        }
    }

    /// Forward and backward on `indices`; gradients into `self.grads`.
    fn compute<D: Dataset<Target = L::Target>>(
        &mut self,
        net: &N,
        loss: &L,
        data: &D,
        indices: &[usize],
        step: usize,
    ) {
        // A failed step's error was taken from the first worker only: the
        // others' are stale and go here, before this share is judged.
        self.bad = None;
        data.fill(indices, flat_mut(&mut *self.x), &mut self.targets[..]);
        if let Err(e) = crate::train::check_targets(loss, &self.targets[..], indices, N::OUTPUT_LEN)
        {
            self.bad = Some(e);
            return;
        }
        let out = net.forward_batch(&self.x, &mut self.cache, Mode::Train);
        self.loss = loss.loss(flat(out), &self.targets[..], flat_mut(&mut *self.grad_out));
        if !self.loss.is_finite() {
            let what = NonFinite::Loss;
            self.bad = Some(TrainError::NonFinite { step, what });
            return;
        }
        net.backward(
            &self.x,
            &mut self.cache,
            &self.grad_out,
            &mut self.grads,
            None,
        );
    }
}

/// A network trained on `threads` threads of `B` samples each, on any
/// [`Dataset`] with any [`Loss`].
pub struct ParallelTrainer<N: Network, L: Loss, const B: usize> {
    /// The parameters being trained.
    pub net: Box<N>,
    /// What is minimised.
    pub loss: L,
    /// Optimizer state.
    pub state: Vec<f32>,
    /// Optimizer steps taken so far.
    pub step: usize,
    workers: Vec<Worker<N, L, B>>,
    order: Vec<usize>,
}

impl<N: Network + Send + Sync, L: Loss + Sync, const B: usize> ParallelTrainer<N, L, B>
where
    N::Cache<B>: Send,
    N::Input: Send,
    N::Output: Send,
    L::Target: Send + core::fmt::Debug,
{
    /// Wraps `net` for training on `threads` threads (at least 1) with `opt`
    /// (which sizes the state) and `loss`.
    pub fn new(net: Box<N>, opt: &impl Optimizer, loss: L, threads: usize) -> Self {
        ParallelTrainer {
            net,
            loss,
            state: vec![0.0; opt.state_slots() * N::PARAMS],
            step: 0,
            workers: (0..threads.max(1)).map(|_| Worker::new()).collect(),
            order: Vec::new(),
        }
    }

    /// Threads (and per-thread batches) per step.
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// One epoch over `data` in an order shuffled by `rng`, in steps of
    /// `threads * B` samples (a last partial step is dropped). Calls
    /// `progress(steps_done, loss)` after each step; returns the mean loss.
    /// A bad target or a non-finite loss or gradient stops the epoch with
    /// the error, before the step it would have spoiled.
    pub fn train_epoch<D: Dataset<Target = L::Target> + Sync>(
        &mut self,
        data: &D,
        opt: &mut (impl Optimizer + Send),
        schedule: &(impl LrSchedule + Sync),
        rng: &mut Rng,
        mut progress: impl FnMut(usize, f32),
    ) -> Result<f32, TrainError> {
        if data.input_len() != N::INPUT_LEN {
            return Err(TrainError::InputLen {
                network: N::INPUT_LEN,
                data: data.input_len(),
            });
        }
        let threads = self.workers.len();
        self.order.clear();
        self.order.extend(0..data.len());
        rng.shuffle(&mut self.order);
        let per_step = threads * B;
        let steps = self.order.len() / per_step;
        let order = &self.order;
        let net = RwLock::new(&mut *self.net);
        let cells: Vec<Mutex<&mut Worker<N, L, B>>> =
            self.workers.iter_mut().map(Mutex::new).collect();
        let barrier = SpinBarrier::new(threads);
        let (state, step) = (&mut self.state, &mut self.step);
        let mut total = 0.0f64;
        let (abort, mut failure) = (AtomicBool::new(false), None);
        let share = |t: usize, k: usize| &order[k * per_step + t * B..][..B];
        let step0 = *step;
        let loss = &self.loss;
        let compute = |t: usize, k: usize| {
            let net = net.read().expect("no thread panicked");
            let mut w = cells[t].lock().expect("no thread panicked");
            w.compute(&net, loss, data, share(t, k), step0 + k);
        };
        std::thread::scope(|s| {
            for t in 1..threads {
                let (compute, barrier, abort) = (&compute, &barrier, &abort);
                s.spawn(move || {
                    for k in 0..steps {
                        compute(t, k);
                        barrier.wait();
                        barrier.wait();
                        if abort.load(Ordering::Acquire) {
                            break;
                        }
                    }
                });
            }
            for k in 0..steps {
                compute(0, k);
                barrier.wait();
                // Thread 0 reduces and steps while the others wait.
                let bad = cells
                    .iter()
                    .find_map(|c| c.lock().expect("no thread panicked").bad.take());
                if let Some(e) = bad {
                    failure = Some(e);
                    abort.store(true, Ordering::Release);
                    barrier.wait();
                    break;
                }
                let mut first = cells[0].lock().expect("no thread panicked");
                let mut l = first.loss;
                for cell in &cells[1..] {
                    let other = cell.lock().expect("no thread panicked");
                    l += other.loss;
                    for (a, &b) in first
                        .grads
                        .params_mut()
                        .iter_mut()
                        .zip(other.grads.params())
                    {
                        *a += b;
                    }
                }
                let scale = 1.0 / threads as f32;
                first
                    .grads
                    .params_mut()
                    .iter_mut()
                    .for_each(|g| *g *= scale);
                if let Some((tensor, index)) =
                    crate::train::first_non_finite::<N>(first.grads.params())
                {
                    let what = NonFinite::Gradient { tensor, index };
                    failure = Some(TrainError::NonFinite { step: *step, what });
                    abort.store(true, Ordering::Release);
                    drop(first);
                    barrier.wait();
                    break;
                }
                let mut net = net.write().expect("no thread panicked");
                net.update_buffers(&first.cache);
                opt.set_lr(schedule.lr(*step));
                opt.step(net.params_mut(), first.grads.params(), state);
                *step += 1;
                drop((net, first));
                let l = l * scale;
                total += f64::from(l);
                progress(k + 1, l);
                barrier.wait();
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(if steps == 0 {
            0.0
        } else {
            (total / steps as f64) as f32
        })
    }
}
