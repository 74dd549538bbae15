//! A `no_std` crate that uses a generated network end to end: statics
//! initialised in place, inference, a training step with backward and Adam.
//! CI builds it for `thumbv7em-none-eabihf`, proving the whole path links
//! without `std` or an allocator.
#![no_std]

use staticnet::optim::{Adam, Optimizer};
use staticnet::{loss, Mode, Network};

staticnet::network! {
    /// The 1-16-16-1 sine regressor.
    pub struct Sine {
        input: [1],
        dense(16), relu,
        dense(16), relu,
        dense(1),
    }
}

/// Everything training needs, in one place, zero-initialised (`.bss`).
pub struct State {
    /// Parameters.
    pub net: Sine,
    /// Gradients.
    pub grads: Sine,
    /// Adam's two moments.
    pub moments: [Sine; 2],
    /// Activations of a batch of 8.
    pub cache: SineCache<8>,
    /// Single-sample scratch.
    pub ws: SineWorkspace,
}

impl State {
    /// All zeros; call [`State::init`] before use.
    pub const ZEROED: State = State {
        net: Sine::ZEROED,
        grads: Sine::ZEROED,
        moments: [Sine::ZEROED; 2],
        cache: SineCache::ZEROED,
        ws: SineWorkspace::ZEROED,
    };

    /// The program's one training state, zero-initialised in `.bss` and
    /// handed out without `unsafe`: `Some` on the first call, `None` after.
    pub fn take() -> Option<&'static mut State> {
        staticnet::singleton!(State)
    }

    /// Initialises the parameters in place.
    pub fn init(&mut self, seed: u64) {
        self.net.init(seed);
    }

    /// One inference.
    pub fn predict(&mut self, x: f32) -> f32 {
        self.net.forward(&[x], &mut self.ws)[0]
    }

    /// One Adam step on a batch of 8; returns the loss.
    pub fn train_step(&mut self, opt: &mut Adam, x: &[[f32; 1]; 8], y: &[[f32; 1]; 8]) -> f32 {
        let out = self.net.forward_batch(x, &mut self.cache, Mode::Train);
        let mut grad = [[0.0f32; 1]; 8];
        let l = loss::mse(
            staticnet::flat(out),
            staticnet::flat(y),
            staticnet::flat_mut(&mut grad),
        );
        self.net
            .backward(x, &mut self.cache, &grad, &mut self.grads, None);
        let state = staticnet::flat_mut(&mut self.moments);
        opt.step(self.net.params_mut(), self.grads.params(), state);
        l
    }
}

staticnet::network! {
    /// The tanh sine network of `tests/fixtures/sine.bin`.
    pub struct SineTanh {
        input: [1],
        dense(16), tanh,
        dense(16), tanh,
        dense(1),
    }
}

/// Weights in flash: the fixture embedded and used in place, checked against
/// `SineTanh` while compiling.
pub static FLASH: &SineTanh =
    staticnet::include_weights!(SineTanh, "../../tests/fixtures/sine.bin");

/// Inference straight from the embedded weights.
pub fn predict_from_flash(x: f32, ws: &mut SineTanhWorkspace) -> f32 {
    FLASH.forward(&[x], ws)[0]
}

/// The workspace for [`predict_from_flash`], in its own static (`None` after
/// the first call).
pub fn flash_workspace() -> Option<&'static mut SineTanhWorkspace> {
    staticnet::singleton!(SineTanhWorkspace)
}

/// A second copy of the parameters in RAM, from `Network::ZEROED`.
pub fn ram_copy() -> Option<&'static mut SineTanh> {
    staticnet::singleton!(SineTanh)
}

/// Saves the parameters into a caller's buffer and loads them back, without
/// an allocator; returns the bytes written, or `None` if either step failed.
pub fn save_and_reload(net: &SineTanh, copy: &mut SineTanh, buf: &mut [u8]) -> Option<usize> {
    let n = staticnet::weights::save(net, buf).ok()?;
    staticnet::weights::load(&buf[..n], copy).ok()?;
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statics_are_handed_out_once() {
        let state = State::take().unwrap();
        assert!(State::take().is_none());
        state.init(1);
        let mut opt = Adam::new(0.01);
        let l = state.train_step(&mut opt, &[[0.5]; 8], &[[0.25]; 8]);
        assert!(l.is_finite() && state.predict(0.5).is_finite());

        let (ws, copy) = (flash_workspace().unwrap(), ram_copy().unwrap());
        assert!(flash_workspace().is_none() && ram_copy().is_none());
        let mut buf = [0u8; 4096];
        assert!(save_and_reload(FLASH, copy, &mut buf).is_some());
        let y = predict_from_flash(0.5, ws);
        assert_eq!(y.to_bits(), copy.forward(&[0.5], ws)[0].to_bits());
    }
}
