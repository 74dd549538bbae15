//! `gru(hidden)`: PyTorch's `nn.GRU` cell, gates in PyTorch's order
//! `r, z, n`: `n = tanh(x W_in + b_in + r (h W_hn + b_hn))`,
//! `h_t = (1 - z) n + z h_{t-1}`. The engine is `recurrent.rs`.

use super::recurrent::Cell;
use super::sigmoid::sigmoid;
use crate::math::tanh;

/// The GRU cell (3 gates, no extra state; saves `r`, `z`, `n` and the
/// recurrent part of `n`'s pre-activation).
#[derive(Clone, Copy, Debug)]
pub struct Gru;

impl Cell for Gru {
    const GATES: usize = 3;
    const STATE: usize = 0;
    const SAVE: usize = 4;

    fn forward(
        hid: usize,
        xw: &[f32],
        hw: &[f32],
        h_prev: &[f32],
        _s_prev: &[f32],
        h: &mut [f32],
        _s: &mut [f32],
        save: &mut [f32],
    ) {
        for j in 0..hid {
            let r = sigmoid(xw[j] + hw[j]);
            let z = sigmoid(xw[hid + j] + hw[hid + j]);
            let hn = hw[2 * hid + j];
            let n = tanh(xw[2 * hid + j] + r * hn);
            h[j] = (1.0 - z) * n + z * h_prev[j];
            save[j] = r;
            save[hid + j] = z;
            save[2 * hid + j] = n;
            save[3 * hid + j] = hn;
        }
    }

    fn backward(
        hid: usize,
        save: &[f32],
        h_prev: &[f32],
        _h: &[f32],
        _s_prev: &[f32],
        _s: &[f32],
        dh: &mut [f32],
        _ds: &mut [f32],
        dxw: &mut [f32],
        dhw: &mut [f32],
    ) {
        for j in 0..hid {
            let (r, z, n, hn) = (save[j], save[hid + j], save[2 * hid + j], save[3 * hid + j]);
            let d = dh[j];
            let dan = d * (1.0 - z) * (1.0 - n * n);
            let dar = dan * hn * r * (1.0 - r);
            let daz = d * (h_prev[j] - n) * z * (1.0 - z);
            dxw[j] = dar;
            dxw[hid + j] = daz;
            dxw[2 * hid + j] = dan;
            dhw[j] = dar;
            dhw[hid + j] = daz;
            dhw[2 * hid + j] = dan * r;
            dh[j] = d * z;
        }
    }
}
