//! A training loop for classifiers (feature `std`), generic over every
//! generated network: shuffled mini-batches of `B`, softmax cross-entropy on
//! the logits, any [`Optimizer`] and [`LrSchedule`]. Buffers are allocated
//! once in [`Classifier::new`]; steps allocate nothing.

use crate::data::mnist::Split;
use crate::optim::{LrSchedule, Optimizer};
use crate::{flat, flat_mut, loss, Mode, Network, Rng};
use std::boxed::Box;
use std::vec;
use std::vec::Vec;

/// A network with everything one training step needs.
pub struct Classifier<N: Network, const B: usize> {
    /// The parameters being trained.
    pub net: Box<N>,
    /// Gradients of the last step (with a fused optimizer,
    /// [`Sgd::fused`](crate::optim::Sgd::fused), only those of the layers
    /// that do not fuse their step: the dense weights' are never stored).
    pub grads: Box<N>,
    /// Activations of the last batch.
    pub cache: Box<N::Cache<B>>,
    /// Optimizer state (`Optimizer::state_slots` copies of the parameters).
    pub state: Vec<f32>,
    /// Optimizer steps taken so far (the schedule's clock).
    pub step: usize,
    x: Box<[N::Input; B]>,
    grad_out: Box<[N::Output; B]>,
    labels: [usize; B],
    order: Vec<usize>,
    ws: Box<N::Workspace>,
}

impl<N: Network, const B: usize> Classifier<N, B> {
    /// Wraps `net` for training with `opt` (which sizes the optimizer state).
    pub fn new(net: Box<N>, opt: &impl Optimizer) -> Self {
        Classifier {
            net,
            grads: N::zeroed_boxed(),
            cache: N::new_cache::<B>(),
            state: vec![0.0; opt.state_slots() * N::PARAMS],
            step: 0,
            x: bytemuck::zeroed_box(),
            grad_out: bytemuck::zeroed_box(),
            labels: [0; B],
            order: Vec::new(),
            ws: N::new_workspace(),
        }
    }

    fn check(data: &Split) {
        assert_eq!(
            data.rows * data.cols,
            N::INPUT_LEN,
            "the network takes {} inputs, the images have {}x{} pixels",
            N::INPUT_LEN,
            data.rows,
            data.cols
        );
    }

    /// One optimizer step on the samples `indices` (exactly `B` of them);
    /// returns the batch's mean loss.
    pub fn train_batch(
        &mut self,
        data: &Split,
        indices: &[usize],
        opt: &mut impl Optimizer,
        schedule: &impl LrSchedule,
    ) -> f32 {
        data.fill_batch(indices, flat_mut(&mut *self.x), &mut self.labels);
        let out = self
            .net
            .forward_batch(&self.x, &mut self.cache, Mode::Train);
        let l = loss::softmax_cross_entropy(
            flat(out),
            &self.labels,
            N::OUTPUT_LEN,
            flat_mut(&mut *self.grad_out),
        );
        // Batch norm's running statistics (a no-op without batch norm).
        self.net.update_buffers(&self.cache);
        opt.set_lr(schedule.lr(self.step));
        if let Some(lr) = opt.fused_lr() {
            // `Sgd::fused`: the step inside the backward pass, same bits.
            self.net.backward_sgd(
                &self.x,
                &mut self.cache,
                &self.grad_out,
                &mut self.grads,
                lr,
            );
        } else {
            self.net.backward(
                &self.x,
                &mut self.cache,
                &self.grad_out,
                &mut self.grads,
                None,
            );
            opt.step(self.net.params_mut(), self.grads.params(), &mut self.state);
        }
        self.step += 1;
        l
    }

    /// One epoch over `data` in an order shuffled by `rng` (a last partial
    /// batch is dropped). Calls `progress(batches_done, loss)` after each
    /// batch; returns the mean loss.
    pub fn train_epoch(
        &mut self,
        data: &Split,
        opt: &mut impl Optimizer,
        schedule: &impl LrSchedule,
        rng: &mut Rng,
        mut progress: impl FnMut(usize, f32),
    ) -> f32 {
        Self::check(data);
        self.order.clear();
        self.order.extend(0..data.len());
        rng.shuffle(&mut self.order);
        let order = core::mem::take(&mut self.order);
        let mut total = 0.0f64;
        let mut batches = 0usize;
        let mut chunks = order.chunks_exact(B).peekable();
        while let Some(chunk) = chunks.next() {
            // The next batch's images load while this step computes.
            if let Some(next) = chunks.peek() {
                data.prefetch(next);
            }
            let l = self.train_batch(data, chunk, opt, schedule);
            total += f64::from(l);
            batches += 1;
            progress(batches, l);
        }
        self.order = order;
        if batches == 0 {
            0.0
        } else {
            (total / batches as f64) as f32
        }
    }

    /// Fraction of `data` classified correctly (inference mode).
    pub fn accuracy(&mut self, data: &Split) -> f32 {
        Self::check(data);
        let mut correct = 0usize;
        let indices: Vec<usize> = (0..data.len()).collect();
        let mut chunks = indices.chunks_exact(B);
        for chunk in chunks.by_ref() {
            data.fill_batch(chunk, flat_mut(&mut *self.x), &mut self.labels);
            let out = self
                .net
                .forward_batch(&self.x, &mut self.cache, Mode::Infer);
            for (y, &label) in out.iter().zip(&self.labels) {
                correct += usize::from(loss::argmax(flat(y)) == label);
            }
        }
        for &i in chunks.remainder() {
            let mut label = [0usize];
            data.fill_batch(&[i], flat_mut(&mut self.x[0]), &mut label);
            let y = self.net.forward(&self.x[0], &mut self.ws);
            correct += usize::from(loss::argmax(flat(y)) == label[0]);
        }
        correct as f32 / data.len().max(1) as f32
    }
}
