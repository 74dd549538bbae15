//! Training (feature `std`): one [`Trainer`] generic over the network, the
//! data set ([`Dataset`]), the loss ([`Loss`]), the optimizer and the
//! learning-rate schedule. Epochs of shuffled mini-batches of `B` from a
//! seed, gradient clipping, evaluation with the loss's metric, early stopping
//! on a patience, a callback per step and per epoch (the library prints
//! nothing), a typed error on a non-finite loss or gradient that keeps the
//! last good parameters, and checkpoints that resume bit for bit
//! ([`checkpoint`]).
//!
//! Buffers are allocated once, in [`Trainer::new`]; steps allocate nothing.
//!
//! ```
//! staticnet::network! { struct Xor { input: [2], dense(8), tanh, dense(2) } }
//! use staticnet::data::Samples;
//! use staticnet::optim::{Adam, Constant};
//! use staticnet::train::{Control, SoftmaxCrossEntropy, Trainer};
//! use staticnet::Network;
//!
//! let inputs = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
//! let labels = [0usize, 1, 1, 0];
//! let data = Samples::new(&inputs, 2, &labels).unwrap();
//! let mut t = Trainer::<Xor, _, _, _, 4>::new(
//!     Xor::new_boxed(1), Adam::new(0.05), Constant(0.05), SoftmaxCrossEntropy);
//! let report = t.fit(&data, Some(&data), 200, |_| Control::Continue).unwrap();
//! assert_eq!(report.last.unwrap().metric, 1.0); // accuracy on the four
//! ```

pub mod checkpoint;
mod losses;

pub use losses::{BceWithLogits, Loss, Metric, Mse, SequenceCrossEntropy, SoftmaxCrossEntropy};

use crate::data::Dataset;
use crate::optim::{clip_grad_norm, LrSchedule, Optimizer};
use crate::quant::qat::{Qat as QatNet, Ranges};
use crate::weights::TensorInfo;
use crate::{flat, flat_mut, Mode, Network, Rng};
use core::fmt;
use std::boxed::Box;
use std::format;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

/// Where training stands: what a checkpoint restores.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Epochs completed.
    pub epoch: usize,
    /// Batches done in the current epoch (0 between epochs).
    pub batch: usize,
    /// Optimizer steps taken in all (the schedule's clock).
    pub step: usize,
    /// The best validation metric so far (`None` before the first).
    pub best: Option<f64>,
    /// Epochs since the best one (early stopping's count).
    pub since_best: usize,
    /// Early stopping has stopped training.
    pub stopped: bool,
}

/// A loss and its metric over a data set ([`Trainer::evaluate`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean loss per sample.
    pub loss: f64,
    /// The loss's [`Metric`], averaged over samples.
    pub metric: f64,
}

/// What the callback of [`Trainer::fit`] hears about.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// After each optimizer step.
    Step {
        /// Epoch, from 0.
        epoch: usize,
        /// Batches done in this epoch.
        batch: usize,
        /// Batches per epoch.
        batches: usize,
        /// The batch's mean loss.
        loss: f32,
        /// The learning rate of the step.
        lr: f32,
    },
    /// After each epoch (and its evaluation).
    Epoch {
        /// Epochs done.
        epoch: usize,
        /// Mean training loss over the epoch's batches.
        train_loss: f64,
        /// On the validation set, when there is one.
        validation: Option<Evaluation>,
        /// The validation metric improved on the best so far.
        improved: bool,
    },
}

/// The callback's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop after this step or epoch (checkpointing first if asked to).
    Stop,
}

/// What [`Trainer::fit`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    /// Epochs completed in all (earlier runs of a resumed training included).
    pub epochs: usize,
    /// Early stopping ended it.
    pub early_stopped: bool,
    /// The last epoch's validation (or `None` without a validation set).
    pub last: Option<Evaluation>,
    /// The best validation metric and the epoch (from 1) that reached it.
    pub best: Option<(f64, usize)>,
}

/// Where a non-finite value appeared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NonFinite {
    /// The batch's loss.
    Loss,
    /// The network's output (before the loss).
    Output,
    /// The gradient of a parameter tensor (`dense1.weight`), at a flat
    /// index inside it.
    Gradient {
        /// `<layer>.<attr>`.
        tensor: String,
        /// Index in the tensor.
        index: usize,
    },
    /// A parameter after the step: the gradients were finite (or not
    /// checked: a fused step, [`Trainer::keep_last_good`]) but the update
    /// overflowed or brought a non-finite value. That step's parameters are
    /// *not* restored.
    Parameter {
        /// `<layer>.<attr>`.
        tensor: String,
        /// Index in the tensor.
        index: usize,
    },
}

/// Why training stopped with an error. The network holds the parameters of
/// the last good step in every case but [`NonFinite::Parameter`].
#[derive(Debug)]
pub enum TrainError {
    /// A non-finite value at `step` (counting from 0); nothing was updated.
    NonFinite {
        /// The step that failed.
        step: usize,
        /// The first non-finite tensor.
        what: NonFinite,
    },
    /// The data set's samples are not the network's input size.
    InputLen {
        /// `f32`s the network takes.
        network: usize,
        /// `f32`s per sample of the data set.
        data: usize,
    },
    /// The data set has fewer samples than one batch.
    TooFewSamples {
        /// Samples in the data set.
        len: usize,
        /// The batch size.
        batch: usize,
    },
    /// The loss does not fit the network's output.
    Loss {
        /// The loss's type.
        loss: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A sample's target is not one the loss takes (a label past the
    /// classes).
    Target {
        /// The sample's index in the data set.
        sample: usize,
        /// The target, formatted.
        target: String,
    },
    /// The data set is not the one the resumed epoch was shuffled for.
    DataLen {
        /// Samples in the epoch's order.
        expected: usize,
        /// Samples in the data set given.
        found: usize,
    },
    /// Saving a checkpoint failed (the previous checkpoint file is intact).
    Checkpoint(checkpoint::CheckpointError),
    /// Settings that cannot work together (`patience` without a validation
    /// set, `checkpoint_every` without `checkpoint_to`): what is missing.
    Config(&'static str),
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::NonFinite { step, what } => {
                write!(f, "step {step}: ")?;
                match what {
                    NonFinite::Loss => write!(f, "the loss is not finite"),
                    NonFinite::Output => write!(f, "the network's output is not finite"),
                    NonFinite::Gradient { tensor, index } => {
                        write!(f, "the gradient of `{tensor}` is not finite (at index {index})")
                    }
                    NonFinite::Parameter { tensor, index } => {
                        return write!(
                            f,
                            "`{tensor}` is not finite after the step (at index {index}); \
                             the parameters are those of the failed step"
                        )
                    }
                }?;
                write!(f, "; the parameters of the last good step are kept")
            }
            TrainError::InputLen { network, data } => write!(
                f,
                "the network takes {network} inputs per sample, the data set has {data}"
            ),
            TrainError::TooFewSamples { len, batch } => write!(
                f,
                "the data set has {len} samples, fewer than one batch of {batch}"
            ),
            TrainError::Loss { loss, reason } => write!(f, "{loss}: {reason}"),
            TrainError::Target { sample, target } => write!(
                f,
                "sample {sample}: target {target} does not fit the loss (a label past the classes?)"
            ),
            TrainError::DataLen { expected, found } => write!(
                f,
                "the epoch being resumed was shuffled over {expected} samples, the data set has {found}"
            ),
            TrainError::Checkpoint(e) => write!(f, "checkpoint: {e}"),
            TrainError::Config(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Checkpoint(e) => Some(e),
            _ => None,
        }
    }
}

/// A network with everything training needs: optimizer and its state,
/// schedule, loss, batch buffers, shuffling, progress.
pub struct Trainer<N: Network, O, S, L: Loss, const B: usize> {
    /// The parameters being trained.
    pub net: Box<N>,
    /// The optimizer (its learning rate is set from the schedule each step).
    pub opt: O,
    /// The learning rate per step.
    pub schedule: S,
    /// What is minimised.
    pub loss: L,
    progress: Progress,
    clip: Option<f32>,
    patience: Option<usize>,
    keep_last_good: bool,
    checkpoint: Option<checkpoint::Policy>,
    state: Vec<f32>,
    order: Vec<usize>,
    shuffle: Rng,
    grads: Box<N>,
    cache: Box<N::Cache<B>>,
    ws: Box<N::Workspace>,
    x: Box<[N::Input; B]>,
    targets: Box<[L::Target; B]>,
    grad_out: Box<[N::Output; B]>,
    qat: Option<Qat<N>>,
}

/// Quantisation-aware training's state ([`Trainer::qat`]): the network
/// whose weights are rounded for each step, and how to round them.
struct Qat<N> {
    shadow: Box<N>,
    round: fn(&mut N, u32),
    bits: u32,
}

impl<N, O, S, L, const B: usize> Trainer<N, O, S, L, B>
where
    N: Network,
    O: Optimizer + Clone + fmt::Debug,
    S: LrSchedule + fmt::Debug,
    L: Loss,
    L::Target: fmt::Debug,
{
    /// Trains `net` with `opt` (whose state it sizes), `schedule` and
    /// `loss`; shuffling and dropout seeded from 0 until [`seed`](Self::seed).
    pub fn new(net: Box<N>, opt: O, schedule: S, loss: L) -> Self {
        let mut t = Trainer {
            net,
            state: vec![0.0; opt.state_slots() * N::PARAMS],
            opt,
            schedule,
            loss,
            progress: Progress {
                epoch: 0,
                batch: 0,
                step: 0,
                best: None,
                since_best: 0,
                stopped: false,
            },
            clip: None,
            patience: None,
            keep_last_good: true,
            checkpoint: None,
            order: Vec::new(),
            shuffle: Rng::new(0),
            grads: N::zeroed_boxed(),
            cache: N::new_cache::<B>(),
            ws: N::new_workspace(),
            x: bytemuck::zeroed_box(),
            targets: bytemuck::zeroed_box(),
            grad_out: bytemuck::zeroed_box(),
            qat: None,
        };
        t.reseed(0);
        t
    }

    fn reseed(&mut self, seed: u64) {
        self.shuffle = Rng::stream(seed, 0);
        *N::cache_rng(&mut self.cache) = Rng::stream(seed, 1);
    }

    /// Seeds the shuffling and the dropout masks (two streams of `seed`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.reseed(seed);
        self
    }

    /// Clips the gradients' global L2 norm to `max_norm` before each step
    /// ([`clip_grad_norm`]); a fused SGD step is then run unfused.
    pub fn clip_grad_norm(mut self, max_norm: f32) -> Self {
        self.clip = Some(max_norm);
        self
    }

    /// Whether a step whose gradients are not finite is refused before it
    /// changes anything (the default, `true`). The check reads the
    /// gradients once per step; it needs them stored, so a fused SGD step
    /// ([`Sgd::fused`](crate::optim::Sgd::fused)) runs unfused, with the
    /// same bits. `false` lets the fused step run fused, unchecked before.
    /// Either way the parameters are checked after each step, and a
    /// non-finite one is an error ([`NonFinite::Parameter`]) that leaves
    /// that step's parameters: no NaN goes unreported.
    pub fn keep_last_good(mut self, keep: bool) -> Self {
        self.keep_last_good = keep;
        self
    }

    /// Quantisation-aware training from here on: each step runs forward and
    /// backward on a copy of the network whose weights are rounded to their
    /// per-channel symmetric `bits`-bit grid (`2..=8`), with every activation
    /// the int8 network stores fake-quantised to `ranges` (usually
    /// `<Name>Q::qat_ranges` of a post-training quantisation, frozen), and
    /// steps [`net`](Self::net), the float weights, with those gradients
    /// (the straight-through estimator). [`evaluate`](Self::evaluate) then
    /// measures the fake-quantised network. A fused SGD step runs unfused.
    /// Quantise [`net`](Self::net) with the same calibration afterwards.
    pub fn qat<const T: usize>(mut self, ranges: &Ranges<T>, bits: u32) -> Self
    where
        N: QatNet<T>,
    {
        *N::ranges(&mut self.cache) = *ranges;
        self.qat = Some(Qat {
            shadow: N::zeroed_boxed(),
            round: <N as QatNet<T>>::fake_quantize_weights,
            bits,
        });
        self
    }

    /// The network forward and backward run on: [`net`](Self::net), or
    /// under [`qat`](Self::qat) its copy with rounded weights.
    fn forward_net(&mut self) -> &N {
        match &mut self.qat {
            Some(q) => {
                *q.shadow = *self.net;
                (q.round)(&mut q.shadow, q.bits);
                &q.shadow
            }
            None => &self.net,
        }
    }

    /// Stops [`fit`](Self::fit) after `epochs` epochs without a better
    /// validation metric.
    pub fn patience(mut self, epochs: usize) -> Self {
        self.patience = Some(epochs);
        self
    }

    /// Where training stands.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The optimizer's per-parameter state (moments).
    pub fn optimizer_state(&self) -> &[f32] {
        &self.state
    }

    /// Checks the data set and loss against the network, and the settings.
    fn check<D: Dataset<Target = L::Target>>(&self, data: &D) -> Result<(), TrainError> {
        if self.checkpoint.as_ref().is_some_and(|p| p.lacks_path()) {
            return Err(TrainError::Config(
                "checkpoint_every needs checkpoint_to: there is no file to write",
            ));
        }
        if data.input_len() != N::INPUT_LEN {
            return Err(TrainError::InputLen {
                network: N::INPUT_LEN,
                data: data.input_len(),
            });
        }
        self.loss
            .check(N::OUTPUT_LEN)
            .map_err(|reason| TrainError::Loss {
                loss: core::any::type_name::<L>(),
                reason,
            })
    }

    /// Fills the batch buffers from `indices` and checks the targets.
    fn fill<D: Dataset<Target = L::Target>>(
        &mut self,
        data: &D,
        indices: &[usize],
    ) -> Result<(), TrainError> {
        let n = indices.len();
        data.fill(
            indices,
            &mut flat_mut(&mut *self.x)[..n * N::INPUT_LEN],
            &mut self.targets[..n],
        );
        check_targets(&self.loss, &self.targets[..n], indices, N::OUTPUT_LEN)
    }

    /// One optimizer step on the samples `indices` of `data` (exactly `B`);
    /// returns the batch's mean loss. On a non-finite loss, output or
    /// gradient nothing is updated and the error names it.
    pub fn train_step<D: Dataset<Target = L::Target>>(
        &mut self,
        data: &D,
        indices: &[usize; B],
    ) -> Result<f32, TrainError> {
        self.check(data)?;
        self.step(data, indices)
    }

    fn step<D: Dataset<Target = L::Target>>(
        &mut self,
        data: &D,
        indices: &[usize],
    ) -> Result<f32, TrainError> {
        let step = self.progress.step;
        let bad = |what| TrainError::NonFinite { step, what };
        self.fill(data, indices)?;
        self.forward_net();
        let net: &N = match &self.qat {
            Some(q) => &q.shadow,
            None => &self.net,
        };
        let out = net.forward_batch(&self.x, &mut self.cache, Mode::Train);
        if !flat(out).iter().all(|v| v.is_finite()) {
            return Err(bad(NonFinite::Output));
        }
        let l = self
            .loss
            .loss(flat(out), &self.targets[..], flat_mut(&mut *self.grad_out));
        if !l.is_finite() {
            return Err(bad(NonFinite::Loss));
        }
        let lr = self.schedule.lr(step);
        self.opt.set_lr(lr);
        let fused = self
            .opt
            .fused_lr()
            .filter(|_| self.clip.is_none() && !self.keep_last_good && self.qat.is_none());
        if let Some(lr) = fused {
            // `Sgd::fused`: the step inside the backward pass, no gradient
            // stored to check before it; the parameters are checked after.
            self.net.backward_sgd(
                &self.x,
                &mut self.cache,
                &self.grad_out,
                &mut self.grads,
                lr,
            );
        } else {
            let net: &N = match &self.qat {
                Some(q) => &q.shadow,
                None => &self.net,
            };
            net.backward(
                &self.x,
                &mut self.cache,
                &self.grad_out,
                &mut self.grads,
                None,
            );
            if let Some((tensor, index)) = first_non_finite::<N>(self.grads.params()) {
                return Err(bad(NonFinite::Gradient { tensor, index }));
            }
            if let Some(max) = self.clip {
                clip_grad_norm(self.grads.params_mut(), max);
            }
            self.opt
                .step(self.net.params_mut(), self.grads.params(), &mut self.state);
        }
        // A finite step can still overflow (a learning rate near f32::MAX):
        // reported, never silent.
        if let Some((tensor, index)) = first_non_finite::<N>(self.net.params()) {
            return Err(bad(NonFinite::Parameter { tensor, index }));
        }
        // Batch norm's running statistics, once the step is known good.
        self.net.update_buffers(&self.cache);
        self.progress.step += 1;
        Ok(l)
    }

    /// Trains the rest of the current epoch (all of it between epochs) in an
    /// order shuffled from the seed; a last partial batch is dropped.
    /// `on_step` hears each step and may stop the epoch early (it then
    /// resumes where it stopped). Returns the mean loss of the batches run.
    pub fn train_epoch<D: Dataset<Target = L::Target>>(
        &mut self,
        data: &D,
        mut on_step: impl FnMut(&Event) -> Control,
    ) -> Result<f64, TrainError> {
        self.check(data)?;
        let (len, batches) = (data.len(), data.len() / B);
        if batches == 0 {
            return Err(TrainError::TooFewSamples { len, batch: B });
        }
        if self.progress.batch == 0 {
            self.order.clear();
            self.order.extend(0..len);
            self.shuffle.shuffle(&mut self.order);
        } else if self.order.len() != len {
            return Err(TrainError::DataLen {
                expected: self.order.len(),
                found: len,
            });
        }
        let order = core::mem::take(&mut self.order);
        let result = self.run_batches(data, &order, batches, &mut on_step);
        self.order = order;
        result
    }

    fn run_batches<D: Dataset<Target = L::Target>>(
        &mut self,
        data: &D,
        order: &[usize],
        batches: usize,
        on_step: &mut impl FnMut(&Event) -> Control,
    ) -> Result<f64, TrainError> {
        let (mut total, mut ran) = (0.0f64, 0usize);
        while self.progress.batch < batches {
            let b = self.progress.batch;
            if let Some(next) = order.get((b + 1) * B..(b + 2) * B) {
                data.prefetch(next);
            }
            let l = self.step(data, &order[b * B..(b + 1) * B])?;
            self.progress.batch += 1;
            total += f64::from(l);
            ran += 1;
            let event = Event::Step {
                epoch: self.progress.epoch,
                batch: self.progress.batch,
                batches,
                loss: l,
                lr: self.opt.lr(),
            };
            if let Some(policy) = &self.checkpoint {
                if policy.due(self.progress.step) {
                    self.save_due()?;
                }
            }
            if on_step(&event) == Control::Stop {
                return Ok(total / ran as f64);
            }
        }
        self.progress.batch = 0;
        self.progress.epoch += 1;
        Ok(if ran == 0 { 0.0 } else { total / ran as f64 })
    }

    /// The mean loss and metric over every sample of `data`, in inference
    /// mode (full batches, then one sample at a time).
    pub fn evaluate<D: Dataset<Target = L::Target>>(
        &mut self,
        data: &D,
    ) -> Result<Evaluation, TrainError> {
        self.check(data)?;
        let (mut loss, mut metric) = (0.0f64, 0.0f64);
        let mut indices = [0usize; B];
        // Under QAT every sample goes through the batch forward pass (which
        // fake-quantises), the last batch padded by repeating its first.
        let full = if self.qat.is_some() {
            data.len()
        } else {
            data.len() / B * B
        };
        self.forward_net();
        for start in (0..full).step_by(B.max(1)) {
            let k = B.min(full - start);
            for (j, i) in indices.iter_mut().enumerate() {
                *i = start + if j < k { j } else { 0 };
            }
            self.fill(data, &indices)?;
            let net: &N = match &self.qat {
                Some(q) => &q.shadow,
                None => &self.net,
            };
            let out = net.forward_batch(&self.x, &mut self.cache, Mode::Infer);
            let out = &flat(out)[..k * N::OUTPUT_LEN];
            let grad = &mut flat_mut(&mut *self.grad_out)[..k * N::OUTPUT_LEN];
            let l = self.loss.loss(out, &self.targets[..k], grad);
            loss += f64::from(l) * k as f64;
            metric += self.loss.metric(out, &self.targets[..k]);
        }
        for i in full..data.len() {
            self.fill(data, &[i])?;
            let out = self.net.forward(&self.x[0], &mut self.ws);
            let grad = &mut flat_mut(&mut *self.grad_out)[..N::OUTPUT_LEN];
            loss += f64::from(self.loss.loss(flat(out), &self.targets[..1], grad));
            metric += self.loss.metric(flat(out), &self.targets[..1]);
        }
        let n = data.len().max(1) as f64;
        Ok(Evaluation {
            loss: loss / n,
            metric: metric / n,
        })
    }

    /// Trains until `epochs` epochs are done (counting those of a resumed
    /// run), early stopping, or the callback says stop: each epoch trains
    /// on `train`, evaluates on `validation` if given, updates the early
    /// stopping count, tells `on_event`, and writes the checkpoint if one
    /// is configured ([`checkpoint_to`](Self::checkpoint_to)).
    pub fn fit<D, V>(
        &mut self,
        train: &D,
        validation: Option<&V>,
        epochs: usize,
        mut on_event: impl FnMut(&Event) -> Control,
    ) -> Result<FitReport, TrainError>
    where
        D: Dataset<Target = L::Target>,
        V: Dataset<Target = L::Target>,
    {
        if self.patience.is_some() && validation.is_none() {
            return Err(TrainError::Config(
                "patience needs a validation set to watch: fit(.., Some(&validation), ..)",
            ));
        }
        let mut last = None;
        let mut best_epoch = None;
        while self.progress.epoch < epochs && !self.progress.stopped {
            let mut stop = false;
            let train_loss = self.train_epoch(train, |e| {
                let c = on_event(e);
                stop |= c == Control::Stop;
                c
            })?;
            if stop {
                self.save_due()?;
                break;
            }
            let validation = match validation {
                Some(v) => Some(self.evaluate(v)?),
                None => None,
            };
            let improved = validation.is_some_and(|v| self.record(v.metric));
            if improved {
                best_epoch = Some(self.progress.epoch);
            }
            last = validation;
            let c = on_event(&Event::Epoch {
                epoch: self.progress.epoch,
                train_loss,
                validation,
                improved,
            });
            self.save_due()?;
            if c == Control::Stop {
                break;
            }
        }
        Ok(FitReport {
            epochs: self.progress.epoch,
            early_stopped: self.progress.stopped,
            last,
            best: self.progress.best.zip(best_epoch),
        })
    }

    /// Folds a validation metric into the early-stopping state; whether it
    /// is the best so far.
    fn record(&mut self, metric: f64) -> bool {
        let better = match self.progress.best {
            None => true,
            Some(b) if L::METRIC.higher_is_better => metric > b,
            Some(b) => metric < b,
        };
        if better {
            self.progress.best = Some(metric);
            self.progress.since_best = 0;
        } else {
            self.progress.since_best += 1;
            if self.patience.is_some_and(|p| self.progress.since_best >= p) {
                self.progress.stopped = true;
            }
        }
        better
    }
}

/// `TrainError::Target` for the first of `targets` (of the samples
/// `indices`) that `loss` does not take for outputs of `out_len`.
pub(crate) fn check_targets<L: Loss>(
    loss: &L,
    targets: &[L::Target],
    indices: &[usize],
    out_len: usize,
) -> Result<(), TrainError>
where
    L::Target: fmt::Debug,
{
    match targets
        .iter()
        .zip(indices)
        .find(|(t, _)| !loss.valid(t, out_len))
    {
        Some((t, &i)) => Err(TrainError::Target {
            sample: i,
            target: format!("{t:?}"),
        }),
        None => Ok(()),
    }
}

/// The first non-finite value of `values` (the trainable parameters' layout)
/// as `(<layer>.<attr>, index in the tensor)`. A vectorised pass (every
/// value's exponent bits, OR-ed) first: it reads the values once, at the
/// speed of the cache, and the search runs only when one is found.
pub(crate) fn first_non_finite<N: Network>(values: &[f32]) -> Option<(String, usize)> {
    if all_finite(values) {
        return None;
    }
    let at = values.iter().position(|v| !v.is_finite())?;
    let t: Option<&TensorInfo> = N::ARCH
        .tensors
        .iter()
        .find(|t| t.trainable && (t.offset..t.offset + t.len()).contains(&at));
    Some(match t {
        Some(t) => (format!("{}.{}", t.layer, t.attr), at - t.offset),
        None => ("parameters".to_string(), at),
    })
}

/// Whether no value is infinite or NaN: `x * 0` is `±0` for every finite
/// `x` and NaN for the others, and a NaN stays in a sum, so the sum of
/// `x * 0` in 16 lanes is zero exactly when every value is finite. The
/// loop vectorises (an unsigned max over the bits did not, and was 7x
/// slower on the W2 parameters).
fn all_finite(values: &[f32]) -> bool {
    crate::kernels::vectorized(
        #[inline(always)]
        || {
            let chunks = values.chunks_exact(16);
            let tail = chunks.remainder();
            let mut acc = [0.0f32; 16];
            for c in chunks {
                for l in 0..16 {
                    acc[l] += c[l] * 0.0;
                }
            }
            let tail: f32 = tail.iter().map(|&v| v * 0.0).sum();
            acc.iter().sum::<f32>() + tail == 0.0
        },
    )
}

#[cfg(test)]
mod tests {
    /// Every position of a chunk and of the tail, each kind of non-finite
    /// value, and the largest finite ones.
    #[test]
    fn all_finite_finds_each_non_finite_value() {
        let finite = [f32::MAX, f32::MIN, f32::MIN_POSITIVE, 1e-45, 0.0, -0.0];
        for len in [0, 1, 15, 16, 17, 40] {
            let mut v: std::vec::Vec<f32> = (0..len).map(|i| finite[i % finite.len()]).collect();
            assert!(super::all_finite(&v), "len {len}");
            for at in 0..len {
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -f32::NAN] {
                    let keep = v[at];
                    v[at] = bad;
                    assert!(!super::all_finite(&v), "len {len}, {bad} at {at}");
                    v[at] = keep;
                }
            }
        }
    }
}
