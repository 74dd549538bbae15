//! Optimizers and learning-rate schedules, with PyTorch's semantics.
//!
//! An optimizer updates the flat parameter view
//! ([`Network::params_mut`](crate::Network::params_mut)) from the flat gradient
//! view, in one loop over the elements. Its per-parameter state lives outside
//! it, in a caller-provided `&mut [f32]` of
//! [`state_slots`](Optimizer::state_slots)` * params.len()` zeros, so that
//! nothing allocates and the state can be a `static` or saved with the
//! network. The scalar hyper-parameters (and Adam's step counter) live in the
//! optimizer value.
//!
//! ```
//! use staticnet_runtime::optim::{Optimizer, Sgd};
//! let mut params = [1.0f32, -2.0];
//! let mut state = [0.0f32; 2]; // 1 slot (momentum) x 2 parameters
//! let mut opt = Sgd::new(0.1).with_momentum(0.9);
//! assert_eq!(opt.state_slots(), 1);
//! opt.step(&mut params, &[0.5, 0.25], &mut state);
//! assert!((params[0] - 0.95).abs() < 1e-6 && (params[1] + 2.025).abs() < 1e-6);
//! ```

use crate::math;

/// A first-order optimizer over a flat parameter slice.
pub trait Optimizer {
    /// `f32` slots of optimizer state per parameter (plain SGD: 0, SGD with
    /// momentum: 1, Adam: 2).
    fn state_slots(&self) -> usize;

    /// One step: updates `params` in place from `grads`.
    ///
    /// `state.len() == state_slots() * params.len()`, laid out slot-major
    /// (`state[0..n]` is the first slot of every parameter, e.g. the first
    /// moment, `state[n..2n]` the second), all zeros before the first step.
    fn step(&mut self, params: &mut [f32], grads: &[f32], state: &mut [f32]);

    /// The current learning rate.
    fn lr(&self) -> f32;

    /// Sets the learning rate, e.g. from an [`LrSchedule`] before each step.
    fn set_lr(&mut self, lr: f32);

    /// `Some(lr)` if a step is `p -= lr * g` on every parameter and the
    /// caller asked for it to be fused into the backward pass
    /// ([`Sgd::fused`]); training loops then call
    /// [`Network::backward_sgd`](crate::Network::backward_sgd) instead of
    /// `backward` and [`step`](Optimizer::step). `None` by default.
    fn fused_lr(&self) -> Option<f32> {
        None
    }

    /// Steps taken, for optimizers whose update depends on it (Adam's bias
    /// correction); 0 for the others. Checkpoints save it.
    fn counter(&self) -> u64 {
        0
    }

    /// Restores [`counter`](Optimizer::counter) (a checkpoint resuming).
    fn set_counter(&mut self, steps: u64) {
        let _ = steps;
    }
}

/// Stochastic gradient descent, as `torch.optim.SGD` with `dampening = 0`:
///
/// ```text
/// g = grad + weight_decay * p
/// b = momentum * b + g                            (if momentum != 0)
/// d = g + momentum * b   if nesterov,   else b    (d = g without momentum)
/// p = p - lr * d
/// ```
///
/// The momentum buffer starts at zero, so the first step sets `b = g` exactly
/// as PyTorch does. Changing `momentum` between 0 and non-zero changes
/// [`state_slots`](Optimizer::state_slots), hence the state layout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    /// Learning rate.
    pub lr: f32,
    /// Momentum factor (0 disables the momentum buffer).
    pub momentum: f32,
    /// Nesterov momentum (needs `momentum > 0`).
    pub nesterov: bool,
    /// L2 penalty added to the gradient: `g += weight_decay * p`.
    pub weight_decay: f32,
    /// Fuse the step into the backward pass when it is plain SGD (no
    /// momentum, no weight decay): see [`Sgd::fused`].
    pub fused: bool,
}

impl Sgd {
    /// Plain SGD: no momentum, no weight decay.
    pub const fn new(lr: f32) -> Self {
        Self {
            lr,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            fused: false,
        }
    }

    /// Asks for the step to be fused into the backward pass, as
    /// `torch.optim.SGD(fused=True)`:
    /// [`Network::backward_sgd`](crate::Network::backward_sgd) subtracts `lr` times each dense weight
    /// gradient as the product leaves the registers, so the gradient is
    /// never stored and read back (measured faster on the MNIST MLP, see
    /// `docs/performance.md`). The parameters get the same bits as unfused; the gradient buffer no
    /// longer holds every gradient. Only plain SGD fuses: with momentum or
    /// weight decay [`fused_lr`](Optimizer::fused_lr) is `None` and the step
    /// runs after the backward pass.
    pub const fn fused(mut self) -> Self {
        self.fused = true;
        self
    }

    /// Sets the momentum factor.
    pub const fn with_momentum(mut self, momentum: f32) -> Self {
        self.momentum = momentum;
        self
    }

    /// Switches to Nesterov momentum.
    pub const fn with_nesterov(mut self) -> Self {
        self.nesterov = true;
        self
    }

    /// Sets the L2 weight decay.
    pub const fn with_weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl Optimizer for Sgd {
    fn state_slots(&self) -> usize {
        usize::from(self.momentum != 0.0)
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32], state: &mut [f32]) {
        debug_assert_eq!(params.len(), grads.len());
        debug_assert_eq!(state.len(), self.state_slots() * params.len());
        debug_assert!(
            !self.nesterov || self.momentum > 0.0,
            "nesterov needs momentum > 0"
        );
        let opt = *self;
        // Elementwise: split over the kernel threads (`crate::threads`) when
        // there are enough parameters (the same bits on any thread count).
        let parts = crate::threads::parts(params.len() * 8, params.len() / 4096);
        // Plain SGD is bound by memory bandwidth once the parameters outgrow
        // L1; 512-bit registers take the 784-128-10 step from 11.4 to 9.5 µs.
        crate::raw::split_update(parts, params, grads, state, &|params, grads, state| {
            crate::kernels::vectorized(
                #[inline(always)]
                || sgd_update(&opt, params, grads, state),
            );
        });
    }

    fn lr(&self) -> f32 {
        self.lr
    }

    fn set_lr(&mut self, lr: f32) {
        self.lr = lr;
    }

    fn fused_lr(&self) -> Option<f32> {
        let plain = self.momentum == 0.0 && self.weight_decay == 0.0;
        (self.fused && plain).then_some(self.lr)
    }
}

/// A plain SGD step, `p -= lr * g` (the bits of `Sgd::new(lr).step`), for
/// generated [`Network::backward_sgd`](crate::Network::backward_sgd) code.
#[inline]
pub fn sgd_step(params: &mut [f32], grads: &[f32], lr: f32) {
    Sgd::new(lr).step(params, grads, &mut []);
}

/// One piece of an [`Sgd`] step (`state` empty without momentum), inlined
/// into [`crate::kernels::vectorized`]'s wide-register function.
#[inline(always)]
fn sgd_update(opt: &Sgd, params: &mut [f32], grads: &[f32], state: &mut [f32]) {
    let Sgd {
        lr,
        momentum,
        nesterov,
        weight_decay,
        ..
    } = *opt;
    // As PyTorch, no decay term at all without weight decay (`0 * inf`
    // would make an infinite parameter NaN).
    let decay = weight_decay != 0.0;
    if momentum == 0.0 && !decay {
        for (p, &g) in params.iter_mut().zip(grads) {
            *p -= lr * g;
        }
    } else if momentum == 0.0 {
        for (p, &g) in params.iter_mut().zip(grads) {
            *p -= lr * (g + weight_decay * *p);
        }
    } else {
        for ((p, &g), b) in params.iter_mut().zip(grads).zip(state) {
            let g = if decay { g + weight_decay * *p } else { g };
            *b = math::flush_subnormal(momentum * *b + g);
            *p -= lr * if nesterov { g + momentum * *b } else { *b };
        }
    }
}

/// Adam, as `torch.optim.Adam` (`amsgrad = false`), with L2 weight decay
/// added to the gradient. At step `t` (from 1):
///
/// ```text
/// g = grad + weight_decay * p
/// m = m + (1 - beta1) (g - m)                 (slot 0)
/// v = beta2 v + (1 - beta2) g^2               (slot 1)
/// p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adam {
    /// Learning rate.
    pub lr: f32,
    /// Decay of the first moment (PyTorch default 0.9).
    pub beta1: f32,
    /// Decay of the second moment (PyTorch default 0.999).
    pub beta2: f32,
    /// Added to the denominator (PyTorch default 1e-8).
    pub eps: f32,
    /// L2 penalty added to the gradient (default 0). See [`AdamW`] for the
    /// decoupled form.
    pub weight_decay: f32,
    /// Steps taken so far (PyTorch's `state["step"]`), for the bias
    /// correction. Save it with the state to resume training.
    pub steps: u32,
}

impl Adam {
    /// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight
    /// decay.
    pub const fn new(lr: f32) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            steps: 0,
        }
    }

    /// Sets the moment decays.
    pub const fn with_betas(mut self, beta1: f32, beta2: f32) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Sets the denominator's epsilon.
    pub const fn with_eps(mut self, eps: f32) -> Self {
        self.eps = eps;
        self
    }

    /// Sets the L2 weight decay.
    pub const fn with_weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl Optimizer for Adam {
    fn state_slots(&self) -> usize {
        2
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32], state: &mut [f32]) {
        self.steps = self.steps.saturating_add(1);
        adam_step(self, self.weight_decay, params, grads, state);
    }

    fn lr(&self) -> f32 {
        self.lr
    }

    fn set_lr(&mut self, lr: f32) {
        self.lr = lr;
    }

    fn counter(&self) -> u64 {
        u64::from(self.steps)
    }

    fn set_counter(&mut self, steps: u64) {
        self.steps = u32::try_from(steps).unwrap_or(u32::MAX);
    }
}

/// AdamW, as `torch.optim.AdamW`: [`Adam`] without L2 in the gradient, and
/// the weight decay decoupled, applied to the parameters before the update:
/// `p = p - lr * weight_decay * p`. Default weight decay 0.01.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamW {
    /// The Adam part; its `weight_decay` is ignored (keep it 0).
    pub adam: Adam,
    /// Decoupled weight decay (PyTorch default 0.01).
    pub weight_decay: f32,
}

impl AdamW {
    /// AdamW with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight
    /// decay 0.01.
    pub const fn new(lr: f32) -> Self {
        Self {
            adam: Adam::new(lr),
            weight_decay: 0.01,
        }
    }

    /// Sets the moment decays.
    pub const fn with_betas(mut self, beta1: f32, beta2: f32) -> Self {
        self.adam = self.adam.with_betas(beta1, beta2);
        self
    }

    /// Sets the denominator's epsilon.
    pub const fn with_eps(mut self, eps: f32) -> Self {
        self.adam = self.adam.with_eps(eps);
        self
    }

    /// Sets the decoupled weight decay.
    pub const fn with_weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl Optimizer for AdamW {
    fn state_slots(&self) -> usize {
        2
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32], state: &mut [f32]) {
        if self.weight_decay != 0.0 {
            let keep = 1.0 - self.adam.lr * self.weight_decay;
            for p in params.iter_mut() {
                *p *= keep;
            }
        }
        self.adam.steps = self.adam.steps.saturating_add(1);
        adam_step(&self.adam, 0.0, params, grads, state);
    }

    fn lr(&self) -> f32 {
        self.adam.lr
    }

    fn set_lr(&mut self, lr: f32) {
        self.adam.lr = lr;
    }

    fn counter(&self) -> u64 {
        self.adam.counter()
    }

    fn set_counter(&mut self, steps: u64) {
        self.adam.set_counter(steps);
    }
}

/// The Adam update at step `adam.steps` (already incremented), with `l2`
/// added to the gradient as `g + l2 * p`.
fn adam_step(adam: &Adam, l2: f32, params: &mut [f32], grads: &[f32], state: &mut [f32]) {
    let n = params.len();
    debug_assert_eq!(grads.len(), n);
    debug_assert_eq!(state.len(), 2 * n);
    let Adam {
        lr,
        beta1,
        beta2,
        eps,
        ..
    } = *adam;
    // `powf` (within an ulp) rather than `powi` (error growing with the step).
    let t = adam.steps as f32;
    let step_size = lr / (1.0 - math::powf(beta1, t));
    let bias2_sqrt = math::sqrt(1.0 - math::powf(beta2, t));
    let (m, v) = state.split_at_mut(n);
    for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(m).zip(v) {
        let g = g + l2 * *p;
        *m = math::flush_subnormal(*m + (1.0 - beta1) * (g - *m));
        *v = math::flush_subnormal(beta2 * *v + (1.0 - beta2) * g * g);
        *p -= step_size * *m / (math::sqrt(*v) / bias2_sqrt + eps);
    }
}

/// A learning rate as a function of the step (or epoch) index, from 0.
pub trait LrSchedule {
    /// The learning rate at `step`.
    fn lr(&self, step: usize) -> f32;
}

/// The same rate at every step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant(pub f32);

impl LrSchedule for Constant {
    fn lr(&self, _step: usize) -> f32 {
        self.0
    }
}

/// `base * gamma^floor(step / step_size)`, as `torch.optim.lr_scheduler.StepLR`.
/// A `step_size` of 0 never decays.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepLr {
    /// Rate of the first `step_size` steps.
    pub base: f32,
    /// Steps between decays.
    pub step_size: usize,
    /// Factor applied at each decay.
    pub gamma: f32,
}

impl LrSchedule for StepLr {
    fn lr(&self, step: usize) -> f32 {
        let decays = step.checked_div(self.step_size).unwrap_or(0);
        self.base * math::powi(self.gamma, u32::try_from(decays).unwrap_or(u32::MAX))
    }
}

/// Cosine annealing from `base` at step 0 to `min` at `total_steps`, then
/// `min`: `min + (base - min) (1 + cos(pi step / total_steps)) / 2`, as
/// `torch.optim.lr_scheduler.CosineAnnealingLR` with `T_max = total_steps`
/// (without its restarts past the end).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineLr {
    /// Rate at step 0.
    pub base: f32,
    /// Rate from `total_steps` on.
    pub min: f32,
    /// Length of the annealing.
    pub total_steps: usize,
}

impl LrSchedule for CosineLr {
    fn lr(&self, step: usize) -> f32 {
        if step >= self.total_steps {
            return self.min;
        }
        let progress = step as f32 / self.total_steps as f32;
        self.min
            + (self.base - self.min) * 0.5 * (1.0 + math::cos(core::f32::consts::PI * progress))
    }
}

/// Linear warm-up, then `then`: at step `s < steps` the rate is
/// `then.lr(0) * (s + 1) / steps` (rising to the base rate, never 0), from
/// `steps` on `then.lr(s - steps)`, so `then` starts when the warm-up ends
/// (give a [`CosineLr`] the steps after the warm-up as `total_steps`).
/// `steps == 0` is `then` alone.
///
/// ```
/// use staticnet_runtime::optim::{CosineLr, LrSchedule, Warmup};
/// let s = Warmup { steps: 4, then: CosineLr { base: 0.1, min: 0.0, total_steps: 10 } };
/// assert_eq!(s.lr(0), 0.025);
/// assert_eq!(s.lr(3), 0.1);
/// assert_eq!(s.lr(4), 0.1);
/// assert_eq!(s.lr(14), 0.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Warmup<S> {
    /// Steps of the warm-up.
    pub steps: usize,
    /// The schedule after it.
    pub then: S,
}

impl<S: LrSchedule> LrSchedule for Warmup<S> {
    fn lr(&self, step: usize) -> f32 {
        if step < self.steps {
            self.then.lr(0) * ((step + 1) as f32 / self.steps as f32)
        } else {
            self.then.lr(step - self.steps)
        }
    }
}

/// Scales `grads` in place so that their global L2 norm is at most
/// `max_norm`, and returns the norm before clipping. As
/// `torch.nn.utils.clip_grad_norm_`: when the norm exceeds `max_norm`, every
/// gradient is multiplied by `max_norm / (norm + 1e-6)`.
pub fn clip_grad_norm(grads: &mut [f32], max_norm: f32) -> f32 {
    let norm = math::sqrt(grads.iter().map(|&g| g * g).sum());
    let scale = max_norm / (norm + 1e-6);
    if scale < 1.0 {
        for g in grads.iter_mut() {
            *g *= scale;
        }
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `opt` from `p0` through the given gradients (one parameter) and
    /// returns the parameter after each step.
    fn trajectory(opt: &mut impl Optimizer, p0: f32, grads: &[f32]) -> std::vec::Vec<f32> {
        let mut p = [p0];
        let mut state = std::vec![0.0; opt.state_slots()];
        grads
            .iter()
            .map(|&g| {
                opt.step(&mut p, &[g], &mut state);
                p[0]
            })
            .collect()
    }

    #[track_caller]
    fn assert_steps(got: &[f32], want: &[f64], tol: f64) {
        crate::testutil::assert_close("trajectory", got, want, 0.0, tol);
    }

    /// Split over 3 threads, a step over many parameters (plain and with
    /// Nesterov momentum and weight decay) gives the same bits as on one.
    #[test]
    fn sgd_on_threads_gives_the_same_bits() {
        let n = 100_003;
        let grads = crate::testutil::random_vec(1, n);
        for opt in [
            Sgd::new(0.1),
            Sgd::new(0.05)
                .with_momentum(0.9)
                .with_nesterov()
                .with_weight_decay(1e-3),
        ] {
            let run = |threads: usize| {
                crate::threads::set_threads(threads);
                let (mut opt, mut p) = (opt, crate::testutil::random_vec(2, n));
                let mut state = std::vec![0.0; opt.state_slots() * n];
                for _ in 0..3 {
                    opt.step(&mut p, &grads, &mut state);
                }
                crate::threads::set_threads(1);
                (p, state)
            };
            let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<std::vec::Vec<_>>();
            let ((p1, s1), (p3, s3)) = (run(1), run(3));
            assert_eq!(bits(&p1), bits(&p3), "{opt:?}");
            assert_eq!(bits(&s1), bits(&s3), "{opt:?}");
        }
    }

    /// A step over 1,003 parameters at once (vectorised with the widest
    /// registers the CPU has) gives the bits of steps on one parameter at a
    /// time (scalar code), in each of SGD's three loops, and with infinite
    /// parameters: without weight decay `inf - lr g` stays infinite.
    #[test]
    fn sgd_vectorised_gives_the_bits_of_scalar_steps() {
        let n = 1_003;
        let grads = crate::testutil::random_vec(3, n);
        let mut p0 = crate::testutil::random_vec(4, n);
        p0[7] = f32::INFINITY;
        for opt in [
            Sgd::new(0.1),
            Sgd::new(0.1).with_weight_decay(1e-2),
            Sgd::new(0.05).with_momentum(0.9).with_nesterov(),
        ] {
            let slots = opt.state_slots();
            let (mut all, mut one) = (opt, opt);
            let (mut p, mut state) = (p0.clone(), std::vec![0.25; slots * n]);
            let (mut q, mut qstate) = (p0.clone(), state.clone());
            for _ in 0..3 {
                all.step(&mut p, &grads, &mut state);
                for i in 0..n {
                    let s = &mut qstate[i * slots..][..slots];
                    one.step(&mut q[i..=i], &grads[i..=i], s);
                }
            }
            let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<std::vec::Vec<_>>();
            assert_eq!(bits(&p), bits(&q), "{opt:?}");
            assert_eq!(bits(&state), bits(&qstate), "{opt:?}");
            assert_eq!(p[7].is_infinite(), opt.weight_decay == 0.0, "{opt:?}");
        }
    }

    #[test]
    fn sgd_plain() {
        // p - lr g: 1 - 0.1 * 0.5 = 0.95, then 0.95 - 0.1 * (-1) = 1.05.
        assert_steps(
            &trajectory(&mut Sgd::new(0.1), 1.0, &[0.5, -1.0]),
            &[0.95, 1.05],
            1e-7,
        );
        assert_eq!(Sgd::new(0.1).state_slots(), 0);
    }

    #[test]
    fn sgd_momentum() {
        // lr 0.1, momentum 0.9, g = 1: b = 1, 1.9, 2.71;
        // p = 1 - 0.1 = 0.9, 0.9 - 0.19 = 0.71, 0.71 - 0.271 = 0.439.
        let mut opt = Sgd::new(0.1).with_momentum(0.9);
        assert_eq!(opt.state_slots(), 1);
        assert_steps(
            &trajectory(&mut opt, 1.0, &[1.0; 3]),
            &[0.9, 0.71, 0.439],
            1e-6,
        );
    }

    #[test]
    fn sgd_nesterov() {
        // g = 1: b = 1, d = 1 + 0.9 * 1 = 1.9, p = 1 - 0.19 = 0.81;
        //        b = 1.9, d = 1 + 0.9 * 1.9 = 2.71, p = 0.81 - 0.271 = 0.539.
        let mut opt = Sgd::new(0.1).with_momentum(0.9).with_nesterov();
        assert_steps(&trajectory(&mut opt, 1.0, &[1.0; 2]), &[0.81, 0.539], 1e-6);
    }

    #[test]
    fn sgd_weight_decay() {
        // Zero gradient, wd 0.1, lr 0.1: p *= 1 - 0.01 each step: 0.99, 0.9801.
        let mut opt = Sgd::new(0.1).with_weight_decay(0.1);
        assert_steps(&trajectory(&mut opt, 1.0, &[0.0; 2]), &[0.99, 0.9801], 1e-7);
        // With momentum 0.5: g = 0.1 p; b = 0.1, p = 0.99; g = 0.099,
        // b = 0.05 + 0.099 = 0.149, p = 0.99 - 0.0149 = 0.9751.
        let mut opt = Sgd::new(0.1).with_momentum(0.5).with_weight_decay(0.1);
        assert_steps(&trajectory(&mut opt, 1.0, &[0.0; 2]), &[0.99, 0.9751], 1e-7);
    }

    #[test]
    fn adam_bias_correction() {
        // lr 0.1, p = 1, g = 0.5, -0.25, 0.125.
        // t=1: m = 0.05, v = 2.5e-4; m/(1-0.9) = 0.5, v/(1-0.999) = 0.25,
        //      p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.9 (bias correction makes
        //      the first step lr * sign(g)).
        // t=2: m = 0.02, v = 3.1225e-4; m^ = 0.02/0.19, v^ = 3.1225e-4/0.001999,
        //      p = 0.9 - 0.1 * 0.105263 / 0.395225 = 0.873366.
        // t=3: m = 0.0305, v = 3.2756275e-4, p = 0.839323.
        let mut opt = Adam::new(0.1);
        let got = trajectory(&mut opt, 1.0, &[0.5, -0.25, 0.125]);
        assert_steps(&got, &[0.9, 0.873_366_298_7, 0.839_323_384_9], 2e-6);
        assert_eq!(opt.steps, 3);
        // A tiny gradient still moves the first step by about lr.
        let got = trajectory(&mut Adam::new(0.1), 1.0, &[1e-3]);
        assert_steps(&got, &[1.0 - 0.1 * 1e-3 / (1e-3 + 1e-8)], 1e-6);
    }

    #[test]
    fn adam_l2_weight_decay() {
        // wd 0.1 adds 0.1 p to the gradient: g = 0.6, then -0.25 + 0.09 = -0.16.
        let mut opt = Adam::new(0.1).with_weight_decay(0.1);
        let got = trajectory(&mut opt, 1.0, &[0.5, -0.25]);
        assert_steps(&got, &[0.9, 0.854_441_367_5], 2e-6);
    }

    #[test]
    fn adamw_decoupled_decay() {
        // lr 0.1, wd 0.1, p = 2: p = 2 * 0.99 = 1.98, minus the Adam step 0.1
        // -> 1.88; p = 1.88 * 0.99 = 1.8612, minus 0.026634 -> 1.834566.
        let mut opt = AdamW::new(0.1).with_weight_decay(0.1);
        let got = trajectory(&mut opt, 2.0, &[0.5, -0.25]);
        assert_steps(&got, &[1.88, 1.834_566_298_7], 2e-6);
        assert_eq!(AdamW::new(0.1).weight_decay, 0.01);
        // The Adam part is untouched by decay when p = 0.
        let got = trajectory(&mut AdamW::new(0.1), 0.0, &[0.5]);
        assert_steps(&got, &[-0.1], 1e-6);
    }

    #[test]
    fn set_lr_takes_effect() {
        let mut opt = Sgd::new(0.1);
        opt.set_lr(0.5);
        assert_eq!(opt.lr(), 0.5);
        assert_steps(&trajectory(&mut opt, 1.0, &[1.0]), &[0.5], 0.0);
        let mut opt = AdamW::new(0.1);
        opt.set_lr(0.2);
        assert_eq!((opt.lr(), opt.adam.lr), (0.2, 0.2));
    }

    #[test]
    fn schedules_at_specific_steps() {
        assert_eq!(Constant(0.3).lr(1_000_000), 0.3);
        let s = StepLr {
            base: 0.1,
            step_size: 10,
            gamma: 0.5,
        };
        let got = [0, 9, 10, 19, 25].map(|t| s.lr(t));
        assert_steps(&got, &[0.1, 0.1, 0.05, 0.05, 0.025], 1e-8);
        assert_eq!(
            StepLr {
                base: 0.1,
                step_size: 0,
                gamma: 0.5
            }
            .lr(100),
            0.1
        );
        let c = CosineLr {
            base: 1.0,
            min: 0.1,
            total_steps: 100,
        };
        // min + 0.9 (1 + cos(pi t / 100)) / 2 at t = 0, 25, 50, 100, 200.
        let got = [0, 25, 50, 100, 200].map(|t| c.lr(t));
        let want = [1.0, 0.1 + 0.9 * 0.853_553_390_6, 0.55, 0.1, 0.1];
        assert_steps(&got, &want, 1e-6);
        assert_eq!(
            CosineLr {
                base: 1.0,
                min: 0.0,
                total_steps: 0
            }
            .lr(0),
            0.0
        );
    }

    #[test]
    fn clip_grad_norm_on_a_known_vector() {
        let mut g = [3.0, 0.0, -4.0];
        assert_eq!(clip_grad_norm(&mut g, 1.0), 5.0);
        assert_steps(&g, &[0.6, 0.0, -0.8], 1e-6);
        let mut g = [3.0, 0.0, -4.0];
        assert_eq!(clip_grad_norm(&mut g, 10.0), 5.0);
        assert_eq!(g, [3.0, 0.0, -4.0]);
    }

    #[test]
    fn decaying_state_never_goes_subnormal() {
        // One gradient, then zeros: the momentum / Adam moments decay
        // geometrically through the subnormal range, where x86 is ~100x slower.
        let normal_or_zero = |s: &[f32]| s.iter().all(|v| *v == 0.0 || v.is_normal());
        let mut sgd = Sgd::new(0.1).with_momentum(0.9);
        let mut adam = Adam::new(0.1);
        let (mut p1, mut s1) = ([1.0f32; 4], [0.0f32; 4]);
        let (mut p2, mut s2) = ([1.0f32; 4], [0.0f32; 8]);
        let mut reached_zero = false;
        for step in 0..3000 {
            let g = if step == 0 { [1e-3f32; 4] } else { [0.0; 4] };
            sgd.step(&mut p1, &g, &mut s1);
            adam.step(&mut p2, &g, &mut s2);
            assert!(
                normal_or_zero(&s1) && normal_or_zero(&s2),
                "step {step}: {s1:?} {s2:?}"
            );
            reached_zero |= s1.iter().all(|v| *v == 0.0);
        }
        assert!(reached_zero, "momentum never decayed to 0: {s1:?}");
    }
}
