//! `rnn(hidden, relu = false)`: PyTorch's `nn.RNN` cell,
//! `h_t = act(x W_ih + b_ih + h_{t-1} W_hh + b_hh)` with `act` tanh or ReLU.
//! The engine is `recurrent.rs`.

use super::recurrent::Cell;
use crate::math::tanh;
use core::marker::PhantomData;

/// The parameters of `rnn`, `lstm` and `gru`, declared with their engine.
pub use super::recurrent::Recurrent;

/// An activation given by its function and its derivative in terms of its
/// output.
pub trait Activation {
    /// `act(a)`.
    fn apply(a: f32) -> f32;
    /// `act'(a)` from `h = act(a)`.
    fn slope(h: f32) -> f32;
}

/// `tanh`, PyTorch's default `nonlinearity`.
#[derive(Clone, Copy, Debug)]
pub struct Tanh;

/// ReLU, `nonlinearity="relu"`.
#[derive(Clone, Copy, Debug)]
pub struct Relu;

impl Activation for Tanh {
    fn apply(a: f32) -> f32 {
        tanh(a)
    }
    fn slope(h: f32) -> f32 {
        1.0 - h * h
    }
}

impl Activation for Relu {
    fn apply(a: f32) -> f32 {
        a.max(0.0)
    }
    fn slope(h: f32) -> f32 {
        if h > 0.0 {
            1.0
        } else {
            0.0
        }
    }
}

/// The Elman cell with activation `A` (one gate, no extra state, saves
/// nothing: backward reads `h_t`).
#[derive(Clone, Copy, Debug)]
pub struct Elman<A>(PhantomData<A>);

/// The Elman cell with `tanh`.
pub type RnnTanh = Elman<Tanh>;

/// The Elman cell with ReLU.
pub type RnnRelu = Elman<Relu>;

impl<A: Activation> Cell for Elman<A> {
    const GATES: usize = 1;
    const STATE: usize = 0;
    const SAVE: usize = 0;

    fn forward(
        hid: usize,
        xw: &[f32],
        hw: &[f32],
        _: &[f32],
        _: &[f32],
        h: &mut [f32],
        _: &mut [f32],
        _: &mut [f32],
    ) {
        for j in 0..hid {
            h[j] = A::apply(xw[j] + hw[j]);
        }
    }

    fn backward(
        hid: usize,
        _: &[f32],
        _: &[f32],
        h: &[f32],
        _: &[f32],
        _: &[f32],
        dh: &mut [f32],
        _: &mut [f32],
        dxw: &mut [f32],
        dhw: &mut [f32],
    ) {
        for j in 0..hid {
            let da = dh[j] * A::slope(h[j]);
            dxw[j] = da;
            dhw[j] = da;
            dh[j] = 0.0;
        }
    }
}
