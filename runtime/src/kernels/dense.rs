//! `dense(out)`: PyTorch's `nn.Linear(inp, out)` on a batch.
//!
//! Shapes: `x` is `[batch][inp]`, `weight` is `[out][inp]` (PyTorch's layout),
//! `bias` is `[out]`, `y` is `[batch][out]`. Both passes are matrix products
//! from [`gemm`](super::gemm); the backward pass overwrites every gradient it
//! is given.
//!
//! ```
//! use staticnet_runtime::kernels::dense::dense_forward;
//! let x = [1.0, 2.0]; // [1][2]
//! let weight = [1.0, 1.0, 0.5, -1.0]; // [2][2]
//! let mut y = [0.0; 2];
//! dense_forward(&x, &weight, Some(&[0.0, 10.0]), &mut y, 1, 2, 2);
//! assert_eq!(y, [3.0, 8.5]);
//! ```

use super::gemm::{gemm_nn_with, gemm_nt_with, gemm_tn_descend_with, gemm_tn_with, Store};
use super::isa::Isa;

use crate::raw::param_block;

param_block! {
    /// Parameters of `dense(O)` on an input of `I` features: PyTorch's
    /// `nn.Linear(I, O)`, `weight` is `[out][in]`.
    pub struct Dense<const I: usize, const O: usize> {
        /// `[out][in]`
        pub weight: [[f32; I]; O],
        /// `[out]`
        pub bias: [f32; O],
    }

    /// Parameters of `dense(O, bias = false)`.
    pub struct DenseNoBias<const I: usize, const O: usize> {
        /// `[out][in]`
        pub weight: [[f32; I]; O],
    }
}

/// The geometry of a dense layer, as [`Conv2dGeom`](super::conv2d::Conv2dGeom)
/// is a convolution's: `x` is `[batch][inp]`, `weight` `[out][inp]`, `bias`
/// `[out]`, `y` `[batch][out]`. The public functions take `inp` and `out`
/// as plain arguments (generated code passes literals); the passes below
/// them take the geometry, as the convolution's do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DenseGeom {
    /// Input features.
    pub(crate) inp: usize,
    /// Output features.
    pub(crate) out: usize,
}

impl DenseGeom {
    /// Weights, `out * inp`.
    const fn weight_len(&self) -> usize {
        self.out * self.inp
    }

    /// Debug-checks the lengths of an input-shaped, a weight-shaped and an
    /// output-shaped slice for `batch` samples (`what`: the pass, for the
    /// message).
    #[inline]
    fn debug_check(&self, what: &str, x: &[f32], weight: &[f32], y: &[f32], batch: usize) {
        debug_assert_eq!(x.len(), batch * self.inp, "{what}: x is [batch][inp]");
        debug_assert_eq!(
            weight.len(),
            self.weight_len(),
            "{what}: weight is [out][inp]"
        );
        debug_assert_eq!(y.len(), batch * self.out, "{what}: y (gy) is [batch][out]");
    }
}

/// `y[b][o] = bias[o] + sum_i x[b][i] * weight[o][i]`.
///
/// One sample through a layer of at most `SMALL` (1024) weights runs inline in
/// plain loops (see `small_forward`); everything else goes through the
/// matrix product of the best instruction set.
#[inline]
pub fn dense_forward(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    batch: usize,
    inp: usize,
    out: usize,
) {
    if batch == 1 && inp.saturating_mul(out) <= SMALL {
        small_forward(x, weight, bias, y, inp, out);
    } else {
        dispatch_forward(x, weight, bias, y, batch, inp, out);
    }
}

/// [`dense_forward`] followed by a ReLU (`relu::relu`) over `y`: the
/// single-sample forward of a network calls it for a dense layer followed by
/// `relu`, which then does nothing (the same bits as the two layers).
#[inline(always)]
pub fn dense_forward_relu(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    batch: usize,
    inp: usize,
    out: usize,
) {
    dense_forward(x, weight, bias, y, batch, inp, out);
    super::relu::relu_in_place(y);
}

/// The largest `inp * out` that [`dense_forward`] computes inline for one
/// sample. Below it the call into the SIMD kernels (a relaxed load, an
/// indirect `#[target_feature]` call, the length checks) costs more than the
/// arithmetic (measured on the 1-16-16-1 network's forward, see
/// `docs/performance.md`).
const SMALL: usize = 1024;

/// [`dense_forward`] through the matrix-product kernels, out of line.
fn dispatch_forward(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    batch: usize,
    inp: usize,
    out: usize,
) {
    forward_with(
        Isa::best(),
        x,
        weight,
        bias,
        y,
        batch,
        &DenseGeom { inp, out },
    );
}

/// `y[o] = bias[o] + x . weight[o]` for one sample, inlined into the caller
/// so that the literal sizes of a generated network specialise it: SSE2 on
/// x86-64, NEON on aarch64 (`crate::raw`), else [`small_portable`]. With `inp < 4` there is
/// no dot product to vectorise, and the portable loop vectorises along `out`.
#[inline(always)]
fn small_forward(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    inp: usize,
    out: usize,
) {
    debug_assert_eq!(x.len(), inp, "dense_forward: x is [1][inp]");
    debug_assert_eq!(
        weight.len(),
        out * inp,
        "dense_forward: weight is [out][inp]"
    );
    debug_assert_eq!(y.len(), out, "dense_forward: y is [1][out]");
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if inp >= 4 {
        return crate::raw::dense_small_sse2(x, weight, bias, y, inp, out);
    }
    // The bits of `small_portable`, four rows at a time.
    #[cfg(all(
        target_arch = "aarch64",
        target_feature = "neon",
        not(staticnet_portable)
    ))]
    if inp >= 4 {
        return crate::raw::dense_small_neon(x, weight, bias, y, inp, out);
    }
    small_portable(x, weight, bias, y, inp, out);
}

/// [`small_forward`] in plain loops that the compiler vectorises for the
/// target: a dot product per row, with four partial sums along `inp`.
#[inline(always)]
fn small_portable(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    inp: usize,
    out: usize,
) {
    const L: usize = 4;
    let (x, y) = (&x[..inp], &mut y[..out]);
    let bias = bias.map(|b| &b[..out]);
    if inp == 0 {
        match bias {
            Some(b) => y.copy_from_slice(b),
            None => y.fill(0.0),
        }
        return;
    }
    let xs = x.chunks_exact(L);
    let (xt, split) = (xs.remainder(), inp - inp % L);
    for (o, (yo, row)) in y.iter_mut().zip(weight.chunks_exact(inp)).enumerate() {
        let mut acc = [0.0f32; L];
        for (xv, wv) in xs.clone().zip(row.chunks_exact(L)) {
            for l in 0..L {
                acc[l] += xv[l] * wv[l];
            }
        }
        let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
        for (&xv, &wv) in xt.iter().zip(&row[split..]) {
            s += xv * wv;
        }
        *yo = bias.map_or(0.0, |b| b[o]) + s;
    }
}

/// Gradients of [`dense_forward`] given `gy = dL/dy`, each overwritten:
/// `gw[o][i] = sum_b gy[b][o] * x[b][i]`, `gb[o] = sum_b gy[b][o]` and
/// `gx[b][i] = sum_o gy[b][o] * weight[o][i]`. `gx` is `None` for a first
/// layer, whose input needs no gradient.
pub fn dense_backward(
    x: &[f32],
    weight: &[f32],
    gy: &[f32],
    gw: &mut [f32],
    gb: Option<&mut [f32]>,
    gx: Option<&mut [f32]>,
    batch: usize,
    inp: usize,
    out: usize,
) {
    let g = DenseGeom { inp, out };
    backward_with(Isa::best(), x, weight, gy, gw, gb, gx, batch, &g);
}

/// [`dense_backward`] fused with a plain SGD step (`p -= lr * g`): `gx`
/// from the weights before the step, then the bias and the weights stepped
/// in place. The weight gradient is never stored: each tile of the product
/// `gy^T x` is subtracted from the weights as it leaves the registers, which
/// saves writing it and reading it back (for the 784-128-10 layer, 400 KB
/// each way per step). The same bits as `dense_backward` then
/// `Sgd::new(lr).step`.
pub fn dense_backward_sgd(
    x: &[f32],
    weight: &mut [f32],
    bias: Option<&mut [f32]>,
    gy: &[f32],
    gx: Option<&mut [f32]>,
    batch: usize,
    inp: usize,
    out: usize,
    lr: f32,
) {
    let g = DenseGeom { inp, out };
    backward_sgd_with(Isa::best(), x, weight, bias, gy, gx, batch, &g, lr);
}

/// [`dense_backward_sgd`] on the given path.
#[inline]
fn backward_sgd_with(
    isa: Isa,
    x: &[f32],
    weight: &mut [f32],
    bias: Option<&mut [f32]>,
    gy: &[f32],
    gx: Option<&mut [f32]>,
    batch: usize,
    g: &DenseGeom,
    lr: f32,
) {
    let DenseGeom { inp, out } = *g;
    g.debug_check("dense_backward", x, weight, gy, batch);
    if let Some(gx) = gx {
        gemm_nn_with(isa, gy, weight, gx, batch, inp, out, Store::Overwrite);
    }
    if let Some(bias) = bias {
        debug_assert_eq!(bias.len(), out, "dense_backward: bias is [out]");
        // Each sum in `dense_backward`'s order, from 0, sample after sample,
        // in stack blocks of 64 outputs (vectorised across them).
        const BLOCK: usize = 64;
        for (j, bb) in bias.chunks_mut(BLOCK).enumerate() {
            let mut sums = [0.0f32; BLOCK];
            let sums = &mut sums[..bb.len()];
            for row in gy.chunks_exact(out) {
                let row = &row[j * BLOCK..][..bb.len()];
                sums.iter_mut().zip(row).for_each(|(g, &d)| *g += d);
            }
            bb.iter_mut().zip(&*sums).for_each(|(b, &g)| *b -= lr * g);
        }
    }
    gemm_tn_descend_with(isa, gy, x, weight, out, inp, batch, lr);
}

/// [`dense_forward`] on the given path.
#[inline]
fn forward_with(
    isa: Isa,
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    batch: usize,
    g: &DenseGeom,
) {
    let DenseGeom { inp, out } = *g;
    g.debug_check("dense_forward", x, weight, y, batch);
    let store = match bias {
        Some(bias) if out > 0 => {
            debug_assert_eq!(bias.len(), out, "dense_forward: bias is [out]");
            y.chunks_exact_mut(out)
                .for_each(|row| row.copy_from_slice(bias));
            Store::Accumulate
        }
        _ => Store::Overwrite,
    };
    gemm_nt_with(isa, x, weight, y, batch, out, inp, store);
}

/// [`dense_backward`] on the given path.
#[inline]
fn backward_with(
    isa: Isa,
    x: &[f32],
    weight: &[f32],
    gy: &[f32],
    gw: &mut [f32],
    gb: Option<&mut [f32]>,
    gx: Option<&mut [f32]>,
    batch: usize,
    g: &DenseGeom,
) {
    let DenseGeom { inp, out } = *g;
    g.debug_check("dense_backward", x, weight, gy, batch);
    gemm_tn_with(isa, gy, x, gw, out, inp, batch, Store::Overwrite);
    if let Some(gb) = gb {
        debug_assert_eq!(gb.len(), out, "dense_backward: gb is [out]");
        gb.fill(0.0);
        for row in gy.chunks_exact(out.max(1)) {
            gb.iter_mut().zip(row).for_each(|(g, &d)| *g += d);
        }
    }
    if let Some(gx) = gx {
        gemm_nn_with(isa, gy, weight, gx, batch, inp, out, Store::Overwrite);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
    use std::vec::Vec;

    const SIZES: [usize; 5] = [1, 3, 16, 63, 65];

    fn geom(inp: usize, out: usize) -> DenseGeom {
        DenseGeom { inp, out }
    }

    /// `y = x W^T + b` in f64.
    fn forward_ref(
        x: &[f64],
        w: &[f64],
        b: Option<&[f64]>,
        batch: usize,
        inp: usize,
        out: usize,
    ) -> Vec<f64> {
        let mut y = std::vec![0.0; batch * out];
        for s in 0..batch {
            for o in 0..out {
                let dot: f64 = (0..inp).map(|i| x[s * inp + i] * w[o * inp + i]).sum();
                y[s * out + o] = dot + b.map_or(0.0, |b| b[o]);
            }
        }
        y
    }

    /// Tolerance: f32 sums of `inp` (forward, `gx`: `out`; `gw`, `gb`:
    /// `batch`) products in [-1, 1), compared with f64 sums; see gemm's tests.
    fn tol(k: usize) -> (f64, f64) {
        if k <= 65 {
            (1e-5, 1e-5)
        } else {
            (1e-5, 1e-4)
        }
    }

    /// Forward and backward against f64 references at one size on one path,
    /// with NaN preloaded in every output buffer.
    fn check(isa: Isa, batch: usize, inp: usize, out: usize) {
        let what = std::format!("{isa:?} batch={batch} inp={inp} out={out}");
        let x = random_vec(10, batch * inp);
        let w = random_vec(11, out * inp);
        let b = random_vec(12, out);
        let gy = random_vec(13, batch * out);
        let (x64, w64, b64, gy64) = (to_f64(&x), to_f64(&w), to_f64(&b), to_f64(&gy));

        for bias in [None, Some(&b[..])] {
            let mut y = std::vec![f32::NAN; batch * out];
            forward_with(isa, &x, &w, bias, &mut y, batch, &geom(inp, out));
            let want = forward_ref(&x64, &w64, bias.map(|_| &b64[..]), batch, inp, out);
            let (rtol, atol) = tol(inp);
            let what = std::format!("y {what} bias={}", bias.is_some());
            assert_close(&what, &y, &want, rtol, atol);
            // With the ReLU fused (on the best path, as `dense_forward`):
            // the bits of the forward pass, then `relu`.
            if isa == Isa::best() {
                let mut fused = std::vec![f32::NAN; batch * out];
                dense_forward_relu(&x, &w, bias, &mut fused, batch, inp, out);
                let mut y = std::vec![f32::NAN; batch * out];
                dense_forward(&x, &w, bias, &mut y, batch, inp, out);
                let some = batch * out >= 16;
                assert!(!some || y.iter().any(|&v| v < 0.0), "{what}: no negative output");
                super::super::relu::relu_in_place(&mut y);
                let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&fused), bits(&y), "relu fused: {what}");
            }
            // The single-sample paths of `dense_forward`, at every size
            // (whatever `SMALL` is), independent of `isa`.
            if batch == 1 {
                let mut y = std::vec![f32::NAN; out];
                small_portable(&x, &w, bias, &mut y, inp, out);
                assert_close(
                    &std::format!("{what} small_portable"),
                    &y,
                    &want,
                    rtol,
                    atol,
                );
                let mut y = std::vec![f32::NAN; out];
                small_forward(&x, &w, bias, &mut y, inp, out);
                assert_close(&std::format!("{what} small_forward"), &y, &want, rtol, atol);
                // The NEON kernel keeps the portable order and roundings.
                #[cfg(all(
                    target_arch = "aarch64",
                    target_feature = "neon",
                    not(staticnet_portable)
                ))]
                {
                    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    let mut neon = std::vec![f32::NAN; out];
                    crate::raw::dense_small_neon(&x, &w, bias, &mut neon, inp, out);
                    let mut portable = std::vec![f32::NAN; out];
                    small_portable(&x, &w, bias, &mut portable, inp, out);
                    assert_eq!(bits(&neon), bits(&portable), "{what} NEON small");
                }
                let mut y = std::vec![f32::NAN; out];
                dense_forward(&x, &w, bias, &mut y, 1, inp, out);
                assert_close(&std::format!("{what} dense_forward"), &y, &want, rtol, atol);
            }
        }

        let mut gw = std::vec![f32::NAN; out * inp];
        let mut gb = std::vec![f32::NAN; out];
        let mut gx = std::vec![f32::NAN; batch * inp];
        backward_with(
            isa,
            &x,
            &w,
            &gy,
            &mut gw,
            Some(&mut gb),
            Some(&mut gx),
            batch,
            &geom(inp, out),
        );
        let mut want_gw = std::vec![0.0; out * inp];
        let mut want_gb = std::vec![0.0; out];
        let mut want_gx = std::vec![0.0; batch * inp];
        for s in 0..batch {
            for o in 0..out {
                let g = gy64[s * out + o];
                want_gb[o] += g;
                for i in 0..inp {
                    want_gw[o * inp + i] += g * x64[s * inp + i];
                    want_gx[s * inp + i] += g * w64[o * inp + i];
                }
            }
        }
        let (rtol, atol) = tol(batch);
        assert_close(&std::format!("gw {what}"), &gw, &want_gw, rtol, atol);
        assert_close(&std::format!("gb {what}"), &gb, &want_gb, rtol, atol);
        let (rtol, atol) = tol(out);
        assert_close(&std::format!("gx {what}"), &gx, &want_gx, rtol, atol);

        // Without the optional gradients, `gw` is still overwritten.
        let mut gw2 = std::vec![f32::NAN; out * inp];
        backward_with(
            isa,
            &x,
            &w,
            &gy,
            &mut gw2,
            None,
            None,
            batch,
            &geom(inp, out),
        );
        assert_eq!(gw, gw2, "gw without gb, gx: {what}");
    }

    #[test]
    fn matches_reference_at_every_size() {
        for isa in Isa::available() {
            for batch in SIZES {
                for inp in SIZES {
                    for out in SIZES {
                        check(isa, batch, inp, out);
                    }
                }
            }
            check(isa, 1, 784, 128);
            check(isa, 32, 784, 128);
            check(isa, 32, 128, 10);
            // The single-sample layers of the sine network and LeNet-5.
            check(isa, 1, 16, 16);
            check(isa, 1, 84, 10);
            check(isa, 1, 400, 120);
        }
    }

    /// The fused SGD step gives the bits of the backward pass followed by
    /// `Sgd::step` (weights, bias and `gx`), on every path, at every size,
    /// with and without the bias and `gx`.
    #[test]
    fn backward_sgd_matches_backward_then_step() {
        use crate::optim::{Optimizer, Sgd};
        let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let sizes = SIZES
            .iter()
            .map(|&s| (s, s + 1, s))
            .chain([(32, 784, 128), (3, 65, 63)]);
        for isa in Isa::available() {
            for (batch, inp, out) in sizes.clone() {
                let what = std::format!("{isa:?} batch={batch} inp={inp} out={out}");
                let x = random_vec(30, batch * inp);
                let w = random_vec(31, out * inp);
                let b = random_vec(32, out);
                let gy = random_vec(33, batch * out);
                let lr = 0.37;
                for with in [false, true] {
                    // Unfused: gradients, then one SGD step on weight, bias.
                    let (mut gw, mut gb) = (std::vec![0.0; out * inp], std::vec![0.0; out]);
                    let mut gx = std::vec![f32::NAN; batch * inp];
                    let (gbo, gxo) = if with {
                        (Some(&mut gb[..]), Some(&mut gx[..]))
                    } else {
                        (None, None)
                    };
                    backward_with(isa, &x, &w, &gy, &mut gw, gbo, gxo, batch, &geom(inp, out));
                    let (mut want_w, mut want_b) = (w.clone(), b.clone());
                    Sgd::new(lr).step(&mut want_w, &gw, &mut []);
                    if with {
                        Sgd::new(lr).step(&mut want_b, &gb, &mut []);
                    }
                    // Fused.
                    let (mut got_w, mut got_b) = (w.clone(), b.clone());
                    let mut got_gx = std::vec![f32::NAN; batch * inp];
                    let (bo, gxo) = if with {
                        (Some(&mut got_b[..]), Some(&mut got_gx[..]))
                    } else {
                        (None, None)
                    };
                    backward_sgd_with(
                        isa,
                        &x,
                        &mut got_w,
                        bo,
                        &gy,
                        gxo,
                        batch,
                        &geom(inp, out),
                        lr,
                    );
                    assert_eq!(bits(&got_w), bits(&want_w), "weight {what} {with}");
                    assert_eq!(bits(&got_b), bits(&want_b), "bias {what} {with}");
                    assert_eq!(bits(&got_gx), bits(&gx), "gx {what} {with}");
                }
            }
        }
    }

    /// Every gradient against central finite differences of the f64 forward.
    /// The forward is linear in each argument, so the differences are exact
    /// up to f64 rounding (~1e-10); the tolerance, rtol 1e-4 and atol 1e-5,
    /// covers the f32 kernels.
    #[test]
    fn backward_matches_finite_differences() {
        for isa in Isa::available() {
            for (batch, inp, out) in [(1, 1, 1), (3, 5, 4), (2, 17, 3), (4, 16, 16), (5, 33, 9)] {
                let x = random_vec(20, batch * inp);
                let w = random_vec(21, out * inp);
                let b = random_vec(22, out);
                let gy = random_vec(23, batch * out);
                let (x64, w64, b64) = (to_f64(&x), to_f64(&w), to_f64(&b));
                let mut gw = std::vec![f32::NAN; out * inp];
                let mut gb = std::vec![f32::NAN; out];
                let mut gx = std::vec![f32::NAN; batch * inp];
                backward_with(
                    isa,
                    &x,
                    &w,
                    &gy,
                    &mut gw,
                    Some(&mut gb),
                    Some(&mut gx),
                    batch,
                    &geom(inp, out),
                );

                let what = std::format!("{isa:?} batch={batch} inp={inp} out={out}");
                let fd = fd_vjp(
                    |x| forward_ref(x, &w64, Some(&b64), batch, inp, out),
                    &x,
                    &gy,
                );
                assert_close(&std::format!("gx {what}"), &gx, &fd, 1e-4, 1e-5);
                let fd = fd_vjp(
                    |w| forward_ref(&x64, w, Some(&b64), batch, inp, out),
                    &w,
                    &gy,
                );
                assert_close(&std::format!("gw {what}"), &gw, &fd, 1e-4, 1e-5);
                let fd = fd_vjp(
                    |b| forward_ref(&x64, &w64, Some(b), batch, inp, out),
                    &b,
                    &gy,
                );
                assert_close(&std::format!("gb {what}"), &gb, &fd, 1e-4, 1e-5);
            }
        }
    }
}
