//! `lstm(hidden)`: PyTorch's `nn.LSTM` cell, gates in PyTorch's order
//! `i, f, g, o`: `c_t = f c_{t-1} + i g`, `h_t = o tanh(c_t)`. The engine is
//! `recurrent.rs`; forward and backward of the cell side by side here.

use super::recurrent::Cell;
use super::sigmoid::sigmoid;
use crate::math::tanh;

/// The LSTM cell (4 gates, cell state `c`, saves the 4 activations).
#[derive(Clone, Copy, Debug)]
pub struct Lstm;

impl Cell for Lstm {
    const GATES: usize = 4;
    const STATE: usize = 1;
    const SAVE: usize = 4;

    fn forward(
        hid: usize,
        xw: &[f32],
        hw: &[f32],
        _h_prev: &[f32],
        c_prev: &[f32],
        h: &mut [f32],
        c: &mut [f32],
        save: &mut [f32],
    ) {
        for j in 0..hid {
            let i = sigmoid(xw[j] + hw[j]);
            let f = sigmoid(xw[hid + j] + hw[hid + j]);
            let g = tanh(xw[2 * hid + j] + hw[2 * hid + j]);
            let o = sigmoid(xw[3 * hid + j] + hw[3 * hid + j]);
            c[j] = f * c_prev[j] + i * g;
            h[j] = o * tanh(c[j]);
            save[j] = i;
            save[hid + j] = f;
            save[2 * hid + j] = g;
            save[3 * hid + j] = o;
        }
    }

    fn backward(
        hid: usize,
        save: &[f32],
        _h_prev: &[f32],
        _h: &[f32],
        c_prev: &[f32],
        c: &[f32],
        dh: &mut [f32],
        dc: &mut [f32],
        dxw: &mut [f32],
        dhw: &mut [f32],
    ) {
        for j in 0..hid {
            let (i, f, g, o) = (save[j], save[hid + j], save[2 * hid + j], save[3 * hid + j]);
            let tc = tanh(c[j]);
            let dct = dc[j] + dh[j] * o * (1.0 - tc * tc);
            let d = [
                dct * g * i * (1.0 - i),
                dct * c_prev[j] * f * (1.0 - f),
                dct * i * (1.0 - g * g),
                dh[j] * tc * o * (1.0 - o),
            ];
            for (k, v) in d.into_iter().enumerate() {
                dxw[k * hid + j] = v;
                dhw[k * hid + j] = v;
            }
            dc[j] = dct * f;
            dh[j] = 0.0;
        }
    }
}
