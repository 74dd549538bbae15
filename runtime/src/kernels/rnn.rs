//! `rnn(hidden, nonlinearity = tanh | relu)`: PyTorch's `nn.RNN` cell,
//! `h_t = act(x W_ih + b_ih + h_{t-1} W_hh + b_hh)`. The engine is
//! `recurrent.rs`.

use super::recurrent::Cell;
use crate::math::tanh;

/// The Elman cell with `tanh`.
#[derive(Clone, Copy, Debug)]
pub struct RnnTanh;

/// The Elman cell with ReLU.
#[derive(Clone, Copy, Debug)]
pub struct RnnRelu;

impl Cell for RnnTanh {
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
            h[j] = tanh(xw[j] + hw[j]);
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
            let da = dh[j] * (1.0 - h[j] * h[j]);
            dxw[j] = da;
            dhw[j] = da;
            dh[j] = 0.0;
        }
    }
}

impl Cell for RnnRelu {
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
            h[j] = (xw[j] + hw[j]).max(0.0);
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
            let da = if h[j] > 0.0 { dh[j] } else { 0.0 };
            dxw[j] = da;
            dhw[j] = da;
            dh[j] = 0.0;
        }
    }
}
