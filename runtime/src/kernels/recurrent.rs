//! The shared engine of the recurrent layers (`rnn.rs`, `lstm.rs`, `gru.rs`
//! hold the cells): PyTorch's `nn.RNN`/`nn.LSTM`/`nn.GRU` (one layer, one
//! direction, `batch_first`) over `x: [B][T][F]`, hidden size `H`, `G` gates.
//!
//! Forward: the input projections of every step at once,
//! `xw = x W_ih^T + b_ih` (`[B*T][G*H]`, one GEMM); then per step the
//! recurrent projection of the whole batch, `hw = h_{t-1} W_hh^T + b_hh`
//! (`[B][G*H]`, one GEMM on gathered rows), and the cell. Every step's hidden
//! state (and cell state), and what the cell saves, stay in the buffers for
//! backpropagation through time.
//!
//! Backward, last step first: the cell turns `dh_t` (from the output and
//! from step `t+1`) into the gradients of its two projections, `dxw_t` and
//! `dhw_t`; `dh_{t-1} = dhw_t W_hh` (one GEMM per step). Then the weight
//! gradients over all steps: `dW_ih = dxw^T x`, `dW_hh = dhw^T h_prev`, the
//! biases as column sums, and `dx = dxw W_ih`.

use super::gemm::{gemm_nn, gemm_nt, gemm_tn, Store};

use crate::raw::param_block;

param_block! {
    /// Parameters of `rnn`, `lstm` and `gru` (`GH` = gates x hidden, `F` input
    /// features, `H` hidden): PyTorch's one-layer `nn.RNN`/`nn.LSTM`/`nn.GRU`.
    pub struct Recurrent<const GH: usize, const F: usize, const H: usize> {
        /// `[G*H][F]`, gates stacked in PyTorch's order.
        pub weight_ih_l0: [[f32; F]; GH],
        /// `[G*H][H]`.
        pub weight_hh_l0: [[f32; H]; GH],
        /// `[G*H]`.
        pub bias_ih_l0: [f32; GH],
        /// `[G*H]`.
        pub bias_hh_l0: [f32; GH],
    }
}

/// A recurrent cell: what happens to one sample at one step.
pub trait Cell {
    /// Gates per hidden unit (rows of `W_ih` are `G * H`).
    const GATES: usize;
    /// Extra state per hidden unit carried between steps (LSTM's `c`).
    const STATE: usize;
    /// Values per hidden unit a step saves for backward.
    const SAVE: usize;

    /// From `xw`, `hw` (`[G*H]`), `h_prev` and `s_prev`, writes `h`, `s` and
    /// `save`.
    fn forward(
        hidden: usize,
        xw: &[f32],
        hw: &[f32],
        h_prev: &[f32],
        s_prev: &[f32],
        h: &mut [f32],
        s: &mut [f32],
        save: &mut [f32],
    );

    /// From `dh` (the full gradient of `h_t`) and `ds` (of `s_t`), writes
    /// `dxw` and `dhw` (`[G*H]`), then replaces `dh` with the direct part of
    /// the gradient of `h_{t-1}` (without the `W_hh` path) and `ds` with the
    /// gradient of `s_{t-1}`.
    fn backward(
        hidden: usize,
        save: &[f32],
        h_prev: &[f32],
        h: &[f32],
        s_prev: &[f32],
        s: &[f32],
        dh: &mut [f32],
        ds: &mut [f32],
        dxw: &mut [f32],
        dhw: &mut [f32],
    );
}

/// Sizes of a recurrent layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecurrentGeom {
    /// Time steps `T`.
    pub steps: usize,
    /// Input features `F`.
    pub input: usize,
    /// Hidden size `H`.
    pub hidden: usize,
    /// Output every step's `h` (`[T][H]`) or only the last (`[H]`).
    pub sequence: bool,
}

/// Per-sample buffer sizes, in `f32`s, for a cell `C`.
impl RecurrentGeom {
    /// `xw`, `dxw`, `dhw`: `T * G * H`.
    pub const fn proj_len(&self, gates: usize) -> usize {
        self.steps * gates * self.hidden
    }
    /// Every step's hidden state, `h_{-1} = 0` first: `(T + 1) * H`.
    pub const fn states_len(&self) -> usize {
        (self.steps + 1) * self.hidden
    }
    /// The output: `T * H` or `H`.
    pub const fn output_len(&self) -> usize {
        if self.sequence {
            self.steps * self.hidden
        } else {
            self.hidden
        }
    }
    /// Scratch of single-sample inference ([`recurrent_infer`]) for a cell
    /// with `gates`, `state` and `save` per unit.
    pub const fn infer_scratch_len(&self, gates: usize, state: usize, save: usize) -> usize {
        let h = self.hidden;
        self.steps * gates * h
            + (self.steps + 1) * h * (1 + state)
            + self.steps * save * h
            + gates * h
    }
}

/// The buffers of a batch, each `B` samples of the per-sample sizes: the
/// training cache holds them.
pub struct Buffers<'a> {
    /// `[B][T][G*H]` input projections.
    pub xw: &'a mut [f32],
    /// `[B][T+1][H]` hidden states.
    pub h: &'a mut [f32],
    /// `[B][T+1][S*H]` cell states (empty without).
    pub s: &'a mut [f32],
    /// `[B][T][SAVE*H]` what the cell saves (empty without).
    pub save: &'a mut [f32],
    /// `[B][H]` gathered rows.
    pub hbuf: &'a mut [f32],
    /// `[B][G*H]` gathered rows.
    pub gbuf: &'a mut [f32],
}

/// Backward-only buffers, `B` samples each.
pub struct GradBuffers<'a> {
    /// `[B][T][G*H]`.
    pub dxw: &'a mut [f32],
    /// `[B][T][G*H]`.
    pub dhw: &'a mut [f32],
    /// `[B][H]` running gradient of `h`.
    pub dh: &'a mut [f32],
    /// `[B][S*H]` running gradient of the cell state (empty without).
    pub ds: &'a mut [f32],
}

/// The weights: PyTorch's `weight_ih_l0 [G*H][F]`, `weight_hh_l0 [G*H][H]`,
/// `bias_ih_l0`, `bias_hh_l0 [G*H]`.
#[derive(Clone, Copy)]
pub struct Weights<'a> {
    /// `[G*H][F]`.
    pub w_ih: &'a [f32],
    /// `[G*H][H]`.
    pub w_hh: &'a [f32],
    /// `[G*H]`.
    pub b_ih: Option<&'a [f32]>,
    /// `[G*H]`.
    pub b_hh: Option<&'a [f32]>,
}

fn add_bias(rows: &mut [f32], bias: Option<&[f32]>, n: usize) {
    if let Some(b) = bias {
        for row in rows.chunks_exact_mut(n) {
            for (r, &bv) in row.iter_mut().zip(b) {
                *r += bv;
            }
        }
    }
}

/// Forward over a batch of `batch` sequences; `y` is `[B][T][H]` or `[B][H]`.
pub fn recurrent_forward<C: Cell>(
    x: &[f32],
    w: Weights<'_>,
    y: &mut [f32],
    buf: Buffers<'_>,
    batch: usize,
    g: &RecurrentGeom,
) {
    let (t_len, f, h) = (g.steps, g.input, g.hidden);
    let (gh, sh, ch) = (C::GATES * h, C::STATE * h, C::SAVE * h);
    debug_assert_eq!(x.len(), batch * t_len * f, "recurrent_forward: x");
    debug_assert_eq!(y.len(), batch * g.output_len(), "recurrent_forward: y");
    debug_assert_eq!(buf.xw.len(), batch * t_len * gh, "recurrent_forward: xw");
    debug_assert_eq!(buf.h.len(), batch * (t_len + 1) * h, "recurrent_forward: h");
    debug_assert_eq!(
        buf.s.len(),
        batch * (t_len + 1) * sh,
        "recurrent_forward: s"
    );
    debug_assert_eq!(
        buf.save.len(),
        batch * t_len * ch,
        "recurrent_forward: save"
    );

    gemm_nt(x, w.w_ih, buf.xw, batch * t_len, gh, f, Store::Overwrite);
    add_bias(buf.xw, w.b_ih, gh);
    for b in 0..batch {
        buf.h[b * (t_len + 1) * h..][..h].fill(0.0);
        buf.s[b * (t_len + 1) * sh..][..sh].fill(0.0);
    }
    for t in 0..t_len {
        for b in 0..batch {
            let at = (b * (t_len + 1) + t) * h;
            buf.hbuf[b * h..(b + 1) * h].copy_from_slice(&buf.h[at..at + h]);
        }
        gemm_nt(buf.hbuf, w.w_hh, buf.gbuf, batch, gh, h, Store::Overwrite);
        add_bias(buf.gbuf, w.b_hh, gh);
        for b in 0..batch {
            let (hp, hc) = buf.h[(b * (t_len + 1) + t) * h..][..2 * h].split_at_mut(h);
            let (sp, sc) = buf.s[(b * (t_len + 1) + t) * sh..][..2 * sh].split_at_mut(sh);
            C::forward(
                h,
                &buf.xw[(b * t_len + t) * gh..][..gh],
                &buf.gbuf[b * gh..][..gh],
                hp,
                sp,
                hc,
                sc,
                &mut buf.save[(b * t_len + t) * ch..][..ch],
            );
        }
    }
    for b in 0..batch {
        let hs = &buf.h[(b * (t_len + 1) + 1) * h..][..t_len * h];
        if g.sequence {
            y[b * t_len * h..][..t_len * h].copy_from_slice(hs);
        } else {
            y[b * h..][..h].copy_from_slice(&hs[(t_len - 1) * h..]);
        }
    }
}

/// Backward after [`recurrent_forward`] with the same buffers; overwrites the
/// weight gradients (`gw` in the layout of `w`) and, when given, `gx`.
pub fn recurrent_backward<C: Cell>(
    x: &[f32],
    w: Weights<'_>,
    gy: &[f32],
    gw_ih: &mut [f32],
    gw_hh: &mut [f32],
    gb: Option<(&mut [f32], &mut [f32])>,
    gx: Option<&mut [f32]>,
    buf: Buffers<'_>,
    grad: GradBuffers<'_>,
    batch: usize,
    g: &RecurrentGeom,
) {
    let (t_len, f, h) = (g.steps, g.input, g.hidden);
    let (gh, sh, ch) = (C::GATES * h, C::STATE * h, C::SAVE * h);
    debug_assert_eq!(gy.len(), batch * g.output_len(), "recurrent_backward: gy");
    grad.dh.fill(0.0);
    grad.ds.fill(0.0);
    for t in (0..t_len).rev() {
        for b in 0..batch {
            let dh = &mut grad.dh[b * h..][..h];
            let from_y = if g.sequence {
                Some(&gy[(b * t_len + t) * h..][..h])
            } else if t == t_len - 1 {
                Some(&gy[b * h..][..h])
            } else {
                None
            };
            if let Some(gyt) = from_y {
                for (d, &v) in dh.iter_mut().zip(gyt) {
                    *d += v;
                }
            }
            let hs = &buf.h[(b * (t_len + 1) + t) * h..][..2 * h];
            let ss = &buf.s[(b * (t_len + 1) + t) * sh..][..2 * sh];
            C::backward(
                h,
                &buf.save[(b * t_len + t) * ch..][..ch],
                &hs[..h],
                &hs[h..],
                &ss[..sh],
                &ss[sh..],
                dh,
                &mut grad.ds[b * sh..][..sh],
                &mut grad.dxw[(b * t_len + t) * gh..][..gh],
                &mut grad.dhw[(b * t_len + t) * gh..][..gh],
            );
            buf.gbuf[b * gh..][..gh].copy_from_slice(&grad.dhw[(b * t_len + t) * gh..][..gh]);
        }
        if t > 0 {
            gemm_nn(buf.gbuf, w.w_hh, grad.dh, batch, h, gh, Store::Accumulate);
        }
    }
    gemm_tn(grad.dxw, x, gw_ih, gh, f, batch * t_len, Store::Overwrite);
    for b in 0..batch {
        let store = if b == 0 {
            Store::Overwrite
        } else {
            Store::Accumulate
        };
        let dhw = &grad.dhw[b * t_len * gh..][..t_len * gh];
        let hprev = &buf.h[b * (t_len + 1) * h..][..t_len * h];
        gemm_tn(dhw, hprev, gw_hh, gh, h, t_len, store);
    }
    if let Some((gb_ih, gb_hh)) = gb {
        gb_ih.fill(0.0);
        gb_hh.fill(0.0);
        for (row_x, row_h) in grad.dxw.chunks_exact(gh).zip(grad.dhw.chunks_exact(gh)) {
            for ((a, &dx), (c, &dhv)) in
                gb_ih.iter_mut().zip(row_x).zip(gb_hh.iter_mut().zip(row_h))
            {
                *a += dx;
                *c += dhv;
            }
        }
    }
    if let Some(gx) = gx {
        gemm_nn(grad.dxw, w.w_ih, gx, batch * t_len, f, gh, Store::Overwrite);
    }
}

/// Single-sample inference with buffers carved from `scratch`
/// ([`RecurrentGeom::infer_scratch_len`] floats).
pub fn recurrent_infer<C: Cell>(
    x: &[f32],
    w: Weights<'_>,
    y: &mut [f32],
    scratch: &mut [f32],
    g: &RecurrentGeom,
) {
    let (t_len, h) = (g.steps, g.hidden);
    let (gh, sh, ch) = (C::GATES * h, C::STATE * h, C::SAVE * h);
    let (xw, rest) = scratch.split_at_mut(t_len * gh);
    let (hs, rest) = rest.split_at_mut((t_len + 1) * h);
    let (s, rest) = rest.split_at_mut((t_len + 1) * sh);
    let (save, rest) = rest.split_at_mut(t_len * ch);
    let (gbuf, _) = rest.split_at_mut(gh);
    recurrent_forward_one::<C>(x, w, y, xw, hs, s, save, gbuf, g);
}

/// [`recurrent_forward`] for one sample without the gather copy.
fn recurrent_forward_one<C: Cell>(
    x: &[f32],
    w: Weights<'_>,
    y: &mut [f32],
    xw: &mut [f32],
    hs: &mut [f32],
    s: &mut [f32],
    save: &mut [f32],
    gbuf: &mut [f32],
    g: &RecurrentGeom,
) {
    let (t_len, f, h) = (g.steps, g.input, g.hidden);
    let (gh, sh, ch) = (C::GATES * h, C::STATE * h, C::SAVE * h);
    gemm_nt(x, w.w_ih, xw, t_len, gh, f, Store::Overwrite);
    add_bias(xw, w.b_ih, gh);
    hs[..h].fill(0.0);
    s[..sh].fill(0.0);
    for t in 0..t_len {
        gemm_nt(&hs[t * h..][..h], w.w_hh, gbuf, 1, gh, h, Store::Overwrite);
        add_bias(gbuf, w.b_hh, gh);
        let (hp, hc) = hs[t * h..][..2 * h].split_at_mut(h);
        let (sp, sc) = s[t * sh..][..2 * sh].split_at_mut(sh);
        C::forward(
            h,
            &xw[t * gh..][..gh],
            gbuf,
            hp,
            sp,
            hc,
            sc,
            &mut save[t * ch..][..ch],
        );
    }
    if g.sequence {
        y.copy_from_slice(&hs[h..]);
    } else {
        y.copy_from_slice(&hs[t_len * h..]);
    }
}

/// One streaming step: consumes `x_t` (`[F]`), updates the state `h`
/// (`[H]`) and `s` (`[S*H]`) in place and writes `y = h_t`. `scratch` holds
/// `(2 * G + S + SAVE) * H` floats.
pub fn recurrent_step<C: Cell>(
    x: &[f32],
    w: Weights<'_>,
    h: &mut [f32],
    s: &mut [f32],
    y: &mut [f32],
    scratch: &mut [f32],
    g: &RecurrentGeom,
) {
    let (f, hid) = (g.input, g.hidden);
    let (gh, sh, ch) = (C::GATES * hid, C::STATE * hid, C::SAVE * hid);
    let (xw, rest) = scratch.split_at_mut(gh);
    let (hw, rest) = rest.split_at_mut(gh);
    let (s_new, rest) = rest.split_at_mut(sh);
    let (save, _) = rest.split_at_mut(ch);
    gemm_nt(x, w.w_ih, xw, 1, gh, f, Store::Overwrite);
    add_bias(xw, w.b_ih, gh);
    gemm_nt(h, w.w_hh, hw, 1, gh, hid, Store::Overwrite);
    add_bias(hw, w.b_hh, gh);
    C::forward(hid, xw, hw, h, s, y, s_new, save);
    h.copy_from_slice(y);
    s.copy_from_slice(s_new);
}

/// Scratch of [`recurrent_step`].
pub const fn step_scratch_len(gates: usize, state: usize, save: usize, hidden: usize) -> usize {
    (2 * gates + state + save) * hidden
}

#[cfg(test)]
mod tests {
    use super::super::gru::Gru;
    use super::super::lstm::Lstm;
    use super::super::rnn::{RnnRelu, RnnTanh};
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
    use std::vec;
    use std::vec::Vec;

    fn sig(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    /// Which cell a reference computes.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Kind {
        Lstm,
        Gru,
        RnnTanh,
        RnnRelu,
    }

    impl Kind {
        fn gates(self) -> usize {
            match self {
                Kind::Lstm => 4,
                Kind::Gru => 3,
                _ => 1,
            }
        }
    }

    /// `p` = `x [B][T][F]`, then `w_ih [G*H][F]`, `w_hh [G*H][H]`, `b_ih`, `b_hh`:
    /// the f64 reference straight from PyTorch's documented equations.
    fn reference(kind: Kind, p: &[f64], batch: usize, g: &RecurrentGeom) -> Vec<f64> {
        let (t_len, f, h) = (g.steps, g.input, g.hidden);
        let gh = kind.gates() * h;
        let (x, rest) = p.split_at(batch * t_len * f);
        let (w_ih, rest) = rest.split_at(gh * f);
        let (w_hh, rest) = rest.split_at(gh * h);
        let (b_ih, b_hh) = rest.split_at(gh);
        let mut y = Vec::new();
        for b in 0..batch {
            let (mut hs, mut cs) = (vec![0.0; h], vec![0.0; h]);
            for t in 0..t_len {
                let xt = &x[(b * t_len + t) * f..][..f];
                let xw: Vec<f64> = (0..gh)
                    .map(|r| b_ih[r] + (0..f).map(|k| w_ih[r * f + k] * xt[k]).sum::<f64>())
                    .collect();
                let hw: Vec<f64> = (0..gh)
                    .map(|r| b_hh[r] + (0..h).map(|k| w_hh[r * h + k] * hs[k]).sum::<f64>())
                    .collect();
                let mut next = vec![0.0; h];
                for j in 0..h {
                    next[j] = match kind {
                        Kind::Lstm => {
                            let i = sig(xw[j] + hw[j]);
                            let fg = sig(xw[h + j] + hw[h + j]);
                            let gg = (xw[2 * h + j] + hw[2 * h + j]).tanh();
                            let o = sig(xw[3 * h + j] + hw[3 * h + j]);
                            cs[j] = fg * cs[j] + i * gg;
                            o * cs[j].tanh()
                        }
                        Kind::Gru => {
                            let r = sig(xw[j] + hw[j]);
                            let z = sig(xw[h + j] + hw[h + j]);
                            let n = (xw[2 * h + j] + r * hw[2 * h + j]).tanh();
                            (1.0 - z) * n + z * hs[j]
                        }
                        Kind::RnnTanh => (xw[j] + hw[j]).tanh(),
                        Kind::RnnRelu => (xw[j] + hw[j]).max(0.0),
                    };
                }
                hs = next;
                if g.sequence || t == t_len - 1 {
                    y.extend_from_slice(&hs);
                }
            }
        }
        y
    }

    fn buffers<C: Cell>(batch: usize, g: &RecurrentGeom) -> [Vec<f32>; 10] {
        let (t, h) = (g.steps, g.hidden);
        let gh = C::GATES * h;
        [
            vec![f32::NAN; batch * t * gh],
            vec![f32::NAN; batch * (t + 1) * h],
            vec![f32::NAN; batch * (t + 1) * C::STATE * h],
            vec![f32::NAN; batch * t * C::SAVE * h],
            vec![f32::NAN; batch * h],
            vec![f32::NAN; batch * gh],
            vec![f32::NAN; batch * t * gh],
            vec![f32::NAN; batch * t * gh],
            vec![f32::NAN; batch * h],
            vec![f32::NAN; batch * C::STATE * h],
        ]
    }

    fn check<C: Cell>(kind: Kind, batch: usize, g: RecurrentGeom, seed: u64) {
        let (t, f, h) = (g.steps, g.input, g.hidden);
        let gh = C::GATES * h;
        let x = random_vec(seed, batch * t * f);
        let scale = |v: Vec<f32>, s: f32| -> Vec<f32> { v.into_iter().map(|a| a * s).collect() };
        let w_ih = scale(random_vec(seed + 1, gh * f), 0.7);
        let w_hh = scale(random_vec(seed + 2, gh * h), 0.7);
        let b_ih = scale(random_vec(seed + 3, gh), 0.3);
        let b_hh = scale(random_vec(seed + 4, gh), 0.3);
        let w = Weights {
            w_ih: &w_ih,
            w_hh: &w_hh,
            b_ih: Some(&b_ih),
            b_hh: Some(&b_hh),
        };
        let [mut xw, mut hs, mut s, mut save, mut hbuf, mut gbuf, mut dxw, mut dhw, mut dh, mut ds] =
            buffers::<C>(batch, &g);
        let mut y = vec![f32::NAN; batch * g.output_len()];
        recurrent_forward::<C>(
            &x,
            w,
            &mut y,
            Buffers {
                xw: &mut xw,
                h: &mut hs,
                s: &mut s,
                save: &mut save,
                hbuf: &mut hbuf,
                gbuf: &mut gbuf,
            },
            batch,
            &g,
        );
        let mut p = to_f64(&x);
        for part in [&w_ih, &w_hh, &b_ih, &b_hh] {
            p.extend(to_f64(part));
        }
        let what = std::format!("{kind:?} batch {batch} {g:?}");
        assert_close(&what, &y, &reference(kind, &p, batch, &g), 1e-5, 1e-6);

        // Single-sample inference from scratch agrees.
        if batch == 1 {
            let mut scratch = vec![f32::NAN; g.infer_scratch_len(C::GATES, C::STATE, C::SAVE)];
            let mut y1 = vec![f32::NAN; g.output_len()];
            recurrent_infer::<C>(&x, w, &mut y1, &mut scratch, &g);
            assert_eq!(y1, y, "{what}: infer");
        }

        let gy = random_vec(seed + 5, y.len());
        let (mut gw_ih, mut gw_hh) = (vec![f32::NAN; gh * f], vec![f32::NAN; gh * h]);
        let (mut gb_ih, mut gb_hh) = (vec![f32::NAN; gh], vec![f32::NAN; gh]);
        let mut gx = vec![f32::NAN; x.len()];
        recurrent_backward::<C>(
            &x,
            w,
            &gy,
            &mut gw_ih,
            &mut gw_hh,
            Some((&mut gb_ih, &mut gb_hh)),
            Some(&mut gx),
            Buffers {
                xw: &mut xw,
                h: &mut hs,
                s: &mut s,
                save: &mut save,
                hbuf: &mut hbuf,
                gbuf: &mut gbuf,
            },
            GradBuffers {
                dxw: &mut dxw,
                dhw: &mut dhw,
                dh: &mut dh,
                ds: &mut ds,
            },
            batch,
            &g,
        );
        let all: Vec<f32> = [&x, &w_ih, &w_hh, &b_ih, &b_hh]
            .into_iter()
            .flat_map(|v| v.iter().copied())
            .collect();
        let want = fd_vjp(|ps| reference(kind, ps, batch, &g), &all, &gy);
        let mut at = 0;
        for (name, got) in [
            ("gx", &gx),
            ("gw_ih", &gw_ih),
            ("gw_hh", &gw_hh),
            ("gb_ih", &gb_ih),
            ("gb_hh", &gb_hh),
        ] {
            let n = got.len();
            assert_close(
                &std::format!("{what} {name}"),
                got,
                &want[at..at + n],
                1e-3,
                1e-4,
            );
            at += n;
        }
    }

    #[test]
    fn cells_match_reference_and_finite_differences() {
        let mut seed = 10;
        for (batch, steps, input, hidden) in
            [(1, 1, 1, 1), (2, 3, 5, 3), (3, 4, 2, 7), (1, 5, 3, 4)]
        {
            for sequence in [true, false] {
                let g = RecurrentGeom {
                    steps,
                    input,
                    hidden,
                    sequence,
                };
                check::<Lstm>(Kind::Lstm, batch, g, seed);
                check::<Gru>(Kind::Gru, batch, g, seed + 100);
                check::<RnnTanh>(Kind::RnnTanh, batch, g, seed + 200);
                seed += 1;
            }
        }
    }

    #[test]
    fn relu_cell_matches_reference_and_finite_differences() {
        // Random data keeps pre-activations away from 0 only with high
        // probability; these seeds put none within the FD step of the kink.
        for (seed, g) in [
            (
                40,
                RecurrentGeom {
                    steps: 3,
                    input: 4,
                    hidden: 5,
                    sequence: true,
                },
            ),
            (
                41,
                RecurrentGeom {
                    steps: 2,
                    input: 3,
                    hidden: 3,
                    sequence: false,
                },
            ),
        ] {
            check::<RnnRelu>(Kind::RnnRelu, 2, g, seed);
        }
    }

    #[test]
    fn a_step_at_a_time_equals_the_sequence() {
        let g = RecurrentGeom {
            steps: 5,
            input: 3,
            hidden: 4,
            sequence: true,
        };
        let x = random_vec(1, g.steps * g.input);
        let (w_ih, w_hh) = (random_vec(2, 16 * 3), random_vec(3, 16 * 4));
        let (b_ih, b_hh) = (random_vec(4, 16), random_vec(5, 16));
        let w = Weights {
            w_ih: &w_ih,
            w_hh: &w_hh,
            b_ih: Some(&b_ih),
            b_hh: Some(&b_hh),
        };
        let mut scratch = vec![0.0; g.infer_scratch_len(4, 1, 4)];
        let mut y = vec![0.0; g.output_len()];
        recurrent_infer::<Lstm>(&x, w, &mut y, &mut scratch, &g);
        let (mut h, mut c, mut out) = (vec![0.0; 4], vec![0.0; 4], vec![0.0; 4]);
        let mut step_scratch = vec![0.0; step_scratch_len(4, 1, 4, 4)];
        for t in 0..g.steps {
            recurrent_step::<Lstm>(
                &x[t * 3..][..3],
                w,
                &mut h,
                &mut c,
                &mut out,
                &mut step_scratch,
                &g,
            );
            assert_eq!(out, y[t * 4..][..4], "step {t}");
        }
    }
}
