//! `maxpool2d(k, stride, padding)`: PyTorch's `nn.MaxPool2d` with
//! `ceil_mode=False`, on NCHW batches.
//!
//! Shapes: `x` is `[batch][channels][in_h][in_w]`, `y` is
//! `[batch][channels][out_h][out_w]` with `out = (in + 2 pad - k) / stride +
//! 1` (the macro checks the geometry). Padding is `-inf`, as PyTorch's: a
//! padded element never wins, and since padding is at most half the window,
//! every window holds at least one input element. The backward pass
//! recomputes which element of each window was the maximum from `x` and `y`,
//! so no index tensor is kept.
//!
//! Without padding, 2x2 windows of stride 2 take a specialised (SIMD) path
//! and other geometries a generic loop; padded geometries take a scalar loop
//! over each window's in-bounds part.
//!
//! ```
//! use staticnet_runtime::kernels::maxpool2d::{maxpool2d_forward, Pool2dGeom};
//! let g = Pool2dGeom {
//!     channels: 1, in_h: 2, in_w: 3, out_h: 1, out_w: 2,
//!     k_h: 2, k_w: 2, stride_h: 1, stride_w: 1, pad_h: 0, pad_w: 0,
//! };
//! let x = [1.0, 5.0, 2.0, //
//!          4.0, 3.0, 6.0];
//! let mut y = [0.0; 2];
//! maxpool2d_forward(&x, &mut y, 1, &g);
//! assert_eq!(y, [5.0, 6.0]);
//! ```

use super::isa::{dispatch, Isa, Kernels};
use core::ops::Range;

/// The geometry of a 2-D pooling layer, shared by [`maxpool2d`](self) and
/// [`avgpool2d`](super::avgpool2d).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dGeom {
    /// Channels, pooled independently.
    pub channels: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Output height, `(in_h + 2 pad_h - k_h) / stride_h + 1`.
    pub out_h: usize,
    /// Output width, `(in_w + 2 pad_w - k_w) / stride_w + 1`.
    pub out_w: usize,
    /// Window height.
    pub k_h: usize,
    /// Window width.
    pub k_w: usize,
    /// Vertical step between windows.
    pub stride_h: usize,
    /// Horizontal step between windows.
    pub stride_w: usize,
    /// Rows of padding above and below the input, at most `k_h / 2`
    /// (PyTorch's limit); 0 for the unpadded paths.
    pub pad_h: usize,
    /// Columns of padding left and right of the input, at most `k_w / 2`.
    pub pad_w: usize,
}

impl Pool2dGeom {
    /// Values in one input plane, `in_h * in_w`.
    pub(crate) fn in_plane(&self) -> usize {
        self.in_h * self.in_w
    }

    /// Values in one output plane, `out_h * out_w`.
    pub(crate) fn out_plane(&self) -> usize {
        self.out_h * self.out_w
    }

    /// Debug-checks the geometry (windows non-empty and inside the padded
    /// input, padding at most half the window, output sizes as PyTorch's)
    /// and the lengths of an input-shaped and an output-shaped slice.
    pub(crate) fn debug_check(&self, batch: usize, in_len: usize, out_len: usize) {
        debug_assert!(self.k_h >= 1 && self.k_w >= 1 && self.stride_h >= 1 && self.stride_w >= 1);
        debug_assert!(
            2 * self.pad_h <= self.k_h && 2 * self.pad_w <= self.k_w,
            "{self:?}"
        );
        let (padded_h, padded_w) = (self.in_h + 2 * self.pad_h, self.in_w + 2 * self.pad_w);
        debug_assert!(self.k_h <= padded_h && self.k_w <= padded_w, "{self:?}");
        debug_assert_eq!(self.out_h, (padded_h - self.k_h) / self.stride_h + 1);
        debug_assert_eq!(self.out_w, (padded_w - self.k_w) / self.stride_w + 1);
        debug_assert_eq!(in_len, batch * self.channels * self.in_plane());
        debug_assert_eq!(out_len, batch * self.channels * self.out_plane());
    }

    /// Whether the geometry has padding, which the scalar padded paths take.
    pub(crate) fn is_padded(&self) -> bool {
        self.pad_h != 0 || self.pad_w != 0
    }

    /// The in-bounds part of the window of output `(oh, ow)`: its input rows
    /// and columns, never empty (padding is at most half the window).
    pub(crate) fn window(&self, oh: usize, ow: usize) -> (Range<usize>, Range<usize>) {
        // The window is `[o s, o s + k)` in padded coordinates.
        let clip = |o: usize, s: usize, k: usize, pad: usize, len: usize| {
            (o * s).saturating_sub(pad)..(o * s + k).saturating_sub(pad).min(len)
        };
        (
            clip(oh, self.stride_h, self.k_h, self.pad_h, self.in_h),
            clip(ow, self.stride_w, self.k_w, self.pad_w, self.in_w),
        )
    }
}

/// `y` = the maximum of each window (NaN if the window holds one, as
/// PyTorch); padding is `-inf`, so the maximum of the window's in-bounds
/// part.
pub fn maxpool2d_forward(x: &[f32], y: &mut [f32], batch: usize, g: &Pool2dGeom) {
    g.debug_check(batch, x.len(), y.len());
    if g.is_padded() {
        forward_padded(x, y, g);
    } else if g.is_2x2() {
        forward_2x2(Isa::best(), x, y, g);
    } else {
        forward_generic(x, y, g);
    }
}

impl Pool2dGeom {
    /// Whether the windows are 2x2 and tile the input (stride 2, no
    /// padding), the common `maxpool2d(2)`, which has a specialised path.
    fn is_2x2(&self) -> bool {
        self.k_h == 2
            && self.k_w == 2
            && self.stride_h == 2
            && self.stride_w == 2
            && !self.is_padded()
    }

    /// The AVX-512 kernels' view: every plane of the batch.
    #[cfg(target_arch = "x86_64")]
    pub(crate) fn as_2x2(&self, x_len: usize) -> crate::raw::Pool2x2 {
        crate::raw::Pool2x2 {
            planes: x_len / self.in_plane().max(1),
            in_h: self.in_h,
            in_w: self.in_w,
            out_h: self.out_h,
            out_w: self.out_w,
        }
    }
}

/// One step of the scan of a window: `v` replaces the running maximum `m`
/// if it is larger, or the first NaN. The result of a scan is the first
/// NaN of the window, else its first maximum, so any grouping of the scan
/// that keeps the window's order gives the same bits.
#[inline(always)]
fn pick(m: f32, v: f32) -> f32 {
    #[allow(clippy::eq_op)] // `x != x` is a branch-free `is_nan`.
    let take = v > m || (v != v && m == m);
    if take {
        v
    } else {
        m
    }
}

/// [`maxpool2d_forward`] for 2x2 windows with stride 2: each output is
/// `pick(pick(a, b), pick(c, d))` of its window `[a b; c d]` (the same bits
/// as [`forward_generic`]); on AVX-512, 16 windows at a time
/// ([`Kernels::maxpool2x2_forward`]).
fn forward_2x2(isa: Isa, x: &[f32], y: &mut [f32], g: &Pool2dGeom) {
    dispatch!(isa, |t| t.maxpool2x2_forward(x, y, g));
}

/// [`forward_2x2`] in safe Rust, read with no index arithmetic from two rows
/// of `x`.
pub(crate) fn forward_2x2_portable(x: &[f32], y: &mut [f32], g: &Pool2dGeom) {
    let (in_w, out_w) = (g.in_w, g.out_w);
    let planes = x
        .chunks_exact(g.in_plane())
        .zip(y.chunks_exact_mut(g.out_plane()));
    for (x, y) in planes {
        for (rows, yr) in x.chunks_exact(2 * in_w).zip(y.chunks_exact_mut(out_w)) {
            let (r0, r1) = rows.split_at(in_w);
            let (r0, r1) = (&r0[..2 * out_w], &r1[..2 * out_w]);
            for ((y, a), b) in yr
                .iter_mut()
                .zip(r0.chunks_exact(2))
                .zip(r1.chunks_exact(2))
            {
                *y = pick(pick(a[0], a[1]), pick(b[0], b[1]));
            }
        }
    }
}

/// [`maxpool2d_forward`] for any geometry.
fn forward_generic(x: &[f32], y: &mut [f32], g: &Pool2dGeom) {
    let planes = x
        .chunks_exact(g.in_plane())
        .zip(y.chunks_exact_mut(g.out_plane()));
    for (x, y) in planes {
        for oh in 0..g.out_h {
            for ow in 0..g.out_w {
                let (h0, w0) = (oh * g.stride_h, ow * g.stride_w);
                let mut m = x[h0 * g.in_w + w0];
                for row in x[h0 * g.in_w..].chunks(g.in_w).take(g.k_h) {
                    for &v in &row[w0..w0 + g.k_w] {
                        // The first maximum wins; a NaN, once found, stays.
                        m = pick(m, v);
                    }
                }
                y[oh * g.out_w + ow] = m;
            }
        }
    }
}

/// [`maxpool2d_forward`] with padding, scalar: the scan of
/// [`forward_generic`] over each window's in-bounds part (a `-inf` padding
/// element could not replace the running maximum).
fn forward_padded(x: &[f32], y: &mut [f32], g: &Pool2dGeom) {
    let planes = x
        .chunks_exact(g.in_plane())
        .zip(y.chunks_exact_mut(g.out_plane()));
    for (x, y) in planes {
        for oh in 0..g.out_h {
            for ow in 0..g.out_w {
                let (rows, cols) = g.window(oh, ow);
                let mut m = x[rows.start * g.in_w + cols.start];
                for h in rows {
                    for &v in &x[h * g.in_w..][cols.clone()] {
                        m = pick(m, v);
                    }
                }
                y[oh * g.out_w + ow] = m;
            }
        }
    }
}

/// Routes each `gy` to the first element of its window equal to the forward
/// output `y` (the first maximum, as PyTorch; a NaN output goes to the
/// window's first NaN; padding never gets one). Overwrites `gx`; where windows overlap
/// (`stride < k`) the contributions add up, and elements in no window get 0.
pub fn maxpool2d_backward(
    x: &[f32],
    y: &[f32],
    gy: &[f32],
    gx: &mut [f32],
    batch: usize,
    g: &Pool2dGeom,
) {
    g.debug_check(batch, x.len(), y.len());
    g.debug_check(batch, gx.len(), gy.len());
    if g.is_padded() {
        backward_padded(x, y, gy, gx, g);
    } else if g.is_2x2() {
        backward_2x2(Isa::best(), x, y, gy, gx, g, false);
    } else {
        backward_generic(x, y, gy, gx, g);
    }
}

/// [`maxpool2d_backward`] followed by the backward pass of the `relu`
/// before the pool, whose output is `x`: `gx` where `x > 0`, else `0.0`
/// (`relu::relu_backward(x, gx, gx)`, the same bits). The training
/// backward of a network calls it for a `relu` followed by `maxpool2d`,
/// whose own backward then does nothing. On the 2x2 path the ReLU decides
/// per window (`y > 0`, the window's maximum being the element that gets
/// the gradient), with no pass over `gx`.
pub fn maxpool2d_backward_relu(
    x: &[f32],
    y: &[f32],
    gy: &[f32],
    gx: &mut [f32],
    batch: usize,
    g: &Pool2dGeom,
) {
    g.debug_check(batch, x.len(), y.len());
    g.debug_check(batch, gx.len(), gy.len());
    if g.is_2x2() && !g.is_padded() {
        return backward_2x2(Isa::best(), x, y, gy, gx, g, true);
    }
    maxpool2d_backward(x, y, gy, gx, batch, g);
    for (gx, &x) in gx.iter_mut().zip(x) {
        *gx = if x > 0.0 { *gx } else { 0.0 };
    }
}

/// [`maxpool2d_backward`] for 2x2 windows with stride 2 (no overlap: each
/// window's first hit gets `0 + gy`, the same bits as [`backward_generic`]);
/// on AVX-512, 16 windows at a time, or two rows a vector for rows of at
/// most 8 windows (a row of LeNet's 5 windows on its own measured slower
/// than the scalar loop; see `docs/performance.md`). With `relu`, a window
/// whose maximum is not above 0 gets `0.0` (see
/// [`maxpool2d_backward_relu`]).
fn backward_2x2(
    isa: Isa,
    x: &[f32],
    y: &[f32],
    gy: &[f32],
    gx: &mut [f32],
    g: &Pool2dGeom,
    relu: bool,
) {
    dispatch!(isa, |t| t.maxpool2x2_backward(x, y, gy, gx, g, relu));
}

/// [`backward_2x2`] in safe Rust.
pub(crate) fn backward_2x2_portable(
    x: &[f32],
    y: &[f32],
    gy: &[f32],
    gx: &mut [f32],
    g: &Pool2dGeom,
    relu: bool,
) {
    let (in_w, out_w) = (g.in_w, g.out_w);
    let planes = x
        .chunks_exact(g.in_plane())
        .zip(gx.chunks_exact_mut(g.in_plane()))
        .zip(y.chunks_exact(g.out_plane()))
        .zip(gy.chunks_exact(g.out_plane()));
    for (((x, gx), y), gy) in planes {
        gx.fill(0.0);
        let rows = x
            .chunks_exact(2 * in_w)
            .zip(gx.chunks_exact_mut(2 * in_w))
            .zip(y.chunks_exact(out_w).zip(gy.chunks_exact(out_w)));
        for ((xr, gxr), (yr, gyr)) in rows {
            let (x0, x1) = xr.split_at(in_w);
            let (g0, g1) = gxr.split_at_mut(in_w);
            let windows = x0[..2 * out_w]
                .chunks_exact(2)
                .zip(x1[..2 * out_w].chunks_exact(2))
                .zip(g0[..2 * out_w].chunks_exact_mut(2))
                .zip(g1[..2 * out_w].chunks_exact_mut(2))
                .zip(yr.iter().zip(gyr));
            for ((((a, b), ga), gb), (&m, &d)) in windows {
                #[allow(clippy::eq_op)] // `x != x` is a branch-free `is_nan`.
                let hit = |v: f32| v == m || (v != v && m != m);
                let passes = !relu || m > 0.0;
                let d = if passes { 0.0 + d } else { 0.0 };
                if hit(a[0]) {
                    ga[0] = d;
                } else if hit(a[1]) {
                    ga[1] = d;
                } else if hit(b[0]) {
                    gb[0] = d;
                } else if hit(b[1]) {
                    gb[1] = d;
                } else {
                    debug_assert!(false, "maxpool2d: y = {m} not in its window");
                }
            }
        }
    }
}

/// [`maxpool2d_backward`] for any geometry.
fn backward_generic(x: &[f32], y: &[f32], gy: &[f32], gx: &mut [f32], g: &Pool2dGeom) {
    let planes = x
        .chunks_exact(g.in_plane())
        .zip(gx.chunks_exact_mut(g.in_plane()))
        .zip(y.chunks_exact(g.out_plane()))
        .zip(gy.chunks_exact(g.out_plane()));
    for (((x, gx), y), gy) in planes {
        gx.fill(0.0);
        for oh in 0..g.out_h {
            for ow in 0..g.out_w {
                let (h0, w0) = (oh * g.stride_h, ow * g.stride_w);
                let o = oh * g.out_w + ow;
                let m = y[o];
                let hit = |v: f32| v == m || (v.is_nan() && m.is_nan());
                let found = (h0..h0 + g.k_h)
                    .flat_map(|h| (w0..w0 + g.k_w).map(move |w| h * g.in_w + w))
                    .find(|&i| hit(x[i]));
                debug_assert!(found.is_some(), "maxpool2d: y[{o}] = {m} not in its window");
                if let Some(i) = found {
                    gx[i] += gy[o];
                }
            }
        }
    }
}

/// [`maxpool2d_backward`] with padding, scalar: [`backward_generic`] over
/// each window's in-bounds part.
fn backward_padded(x: &[f32], y: &[f32], gy: &[f32], gx: &mut [f32], g: &Pool2dGeom) {
    let planes = x
        .chunks_exact(g.in_plane())
        .zip(gx.chunks_exact_mut(g.in_plane()))
        .zip(y.chunks_exact(g.out_plane()))
        .zip(gy.chunks_exact(g.out_plane()));
    for (((x, gx), y), gy) in planes {
        gx.fill(0.0);
        for oh in 0..g.out_h {
            for ow in 0..g.out_w {
                let (rows, cols) = g.window(oh, ow);
                let o = oh * g.out_w + ow;
                let m = y[o];
                let hit = |v: f32| v == m || (v.is_nan() && m.is_nan());
                let found = rows
                    .flat_map(|h| cols.clone().map(move |w| h * g.in_w + w))
                    .find(|&i| hit(x[i]));
                debug_assert!(found.is_some(), "maxpool2d: y[{o}] = {m} not in its window");
                if let Some(i) = found {
                    gx[i] += gy[o];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, distinct_vec, fd_vjp, pool2d_cases, pool2d_reference};
    use crate::testutil::{random_vec, to_f64};

    fn reference(x: &[f64], batch: usize, g: &Pool2dGeom) -> std::vec::Vec<f64> {
        pool2d_reference(x, batch, g, Some(f64::NEG_INFINITY), |w| {
            w.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        })
    }

    #[test]
    fn matches_reference_and_finite_differences() {
        // Distinct inputs 2 / n apart (no ties; FD step 1e-6 never changes the
        // argmax). Forward exact; backward rtol 1e-5, atol 1e-6 (FD of a
        // piecewise-linear function is exact up to rounding).
        for (seed, (batch, g)) in pool2d_cases().into_iter().enumerate() {
            let (n_in, n_out) = (
                batch * g.channels * g.in_plane(),
                batch * g.channels * g.out_plane(),
            );
            let x = distinct_vec(seed as u64, n_in);
            let gy = random_vec(1000 + seed as u64, n_out);
            let mut y = std::vec![f32::NAN; n_out];
            maxpool2d_forward(&x, &mut y, batch, &g);
            let what = std::format!("maxpool2d batch {batch} {g:?}");
            assert_close(&what, &y, &reference(&to_f64(&x), batch, &g), 0.0, 0.0);
            let mut gx = std::vec![f32::NAN; n_in];
            maxpool2d_backward(&x, &y, &gy, &mut gx, batch, &g);
            let want = fd_vjp(|xs| reference(xs, batch, &g), &x, &gy);
            assert_close(&(what + " backward"), &gx, &want, 1e-5, 1e-6);
        }
    }

    /// `maxpool2d_backward_relu` is `maxpool2d_backward` then
    /// `relu_backward` over the pool's input, bit for bit, on the 2x2 path
    /// (LeNet's pools) and the others (3x3, stride 1, padded).
    #[test]
    fn the_fused_relu_backward_is_the_two_passes() {
        let cases = [(2, 28, 2, 2, 0), (3, 10, 2, 2, 0), (2, 9, 3, 2, 0), (1, 7, 3, 1, 1)];
        let mut changed = false;
        for (channels, size, k, stride, pad) in cases {
            let out = (size + 2 * pad - k) / stride + 1;
            let g = Pool2dGeom {
                channels,
                in_h: size,
                in_w: size,
                out_h: out,
                out_w: out,
                k_h: k,
                k_w: k,
                stride_h: stride,
                stride_w: stride,
                pad_h: pad,
                pad_w: pad,
            };
            let batch = 2;
            let (n_in, n_out) = (batch * channels * g.in_plane(), batch * channels * g.out_plane());
            // ReLU outputs: zeros (ties) and positive values.
            let mut rng = crate::Rng::new(11);
            let x: std::vec::Vec<f32> = (0..n_in).map(|_| (rng.uniform() - 0.5).max(0.0)).collect();
            let gy: std::vec::Vec<f32> = (0..n_out).map(|_| rng.uniform() - 0.5).collect();
            let mut y = std::vec![0.0; n_out];
            maxpool2d_forward(&x, &mut y, batch, &g);
            let mut pooled = std::vec![f32::NAN; n_in];
            maxpool2d_backward(&x, &y, &gy, &mut pooled, batch, &g);
            let mut want = std::vec![f32::NAN; n_in];
            crate::kernels::relu::relu_backward(&x, &pooled, &mut want);
            let mut gx = std::vec![f32::NAN; n_in];
            maxpool2d_backward_relu(&x, &y, &gy, &mut gx, batch, &g);
            let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<std::vec::Vec<_>>();
            assert_eq!(bits(&gx), bits(&want), "{g:?}");
            assert!(want.iter().any(|&v| v != 0.0), "{g:?}: gradients");
            changed |= pooled != want;
        }
        assert!(changed, "some window's maximum is 0, so the ReLU matters");
    }

    #[test]
    fn the_2x2_path_matches_the_generic_one_bit_for_bit() {
        // Odd and even sizes; values from a small set with ties, signed
        // zeros and NaNs (of two payloads), so the order of the scan shows.
        let vals = [
            1.0,
            -1.0,
            0.0,
            -0.0,
            2.0,
            f32::NAN,
            f32::from_bits(0x7fc0_0001),
        ];
        for (batch, channels, in_h, in_w) in [
            (1, 1, 2, 2),
            (2, 3, 5, 7),
            (1, 2, 9, 4),
            (3, 1, 28, 28),
            (2, 2, 10, 10),
            (1, 1, 3, 65),
            (1, 2, 4, 66),
            (1, 1, 2, 3),
            (1, 3, 14, 14),
            (1, 1, 6, 16),
            (2, 1, 7, 17),
        ] {
            let g = Pool2dGeom {
                channels,
                in_h,
                in_w,
                out_h: in_h / 2,
                out_w: in_w / 2,
                k_h: 2,
                k_w: 2,
                stride_h: 2,
                stride_w: 2,
                pad_h: 0,
                pad_w: 0,
            };
            let (n_in, n_out) = (
                batch * channels * g.in_plane(),
                batch * channels * g.out_plane(),
            );
            let mut rng = crate::Rng::new(7);
            let x: std::vec::Vec<f32> = (0..n_in)
                .map(|_| vals[(rng.uniform() * 7.0) as usize % 7])
                .collect();
            let gy: std::vec::Vec<f32> = (0..n_out)
                .map(|_| vals[(rng.uniform() * 7.0) as usize % 7])
                .collect();
            let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<std::vec::Vec<_>>();
            let mut want = std::vec![0.0; n_out];
            forward_generic(&x, &mut want, &g);
            let mut want_gx = std::vec![f32::NAN; n_in];
            backward_generic(&x, &want, &gy, &mut want_gx, &g);
            for isa in Isa::available() {
                let mut y = std::vec![f32::NAN; n_out];
                forward_2x2(isa, &x, &mut y, &g);
                assert_eq!(bits(&y), bits(&want), "{isa:?} {g:?}");
                let mut gx = std::vec![f32::NAN; n_in];
                backward_2x2(isa, &x, &y, &gy, &mut gx, &g, false);
                assert_eq!(bits(&gx), bits(&want_gx), "{isa:?} {g:?} backward");
                // With the ReLU before the pool fused in: its backward pass
                // over the pool's, bit for bit.
                let mut want_relu = std::vec![f32::NAN; n_in];
                crate::kernels::relu::relu_backward(&x, &want_gx, &mut want_relu);
                let mut gx = std::vec![f32::NAN; n_in];
                backward_2x2(isa, &x, &y, &gy, &mut gx, &g, true);
                assert_eq!(bits(&gx), bits(&want_relu), "{isa:?} {g:?} relu");
            }
        }
    }

    #[test]
    fn ties_go_to_the_first_maximum_and_nan_propagates() {
        let g = Pool2dGeom {
            channels: 1,
            in_h: 2,
            in_w: 3,
            out_h: 1,
            out_w: 2,
            k_h: 2,
            k_w: 2,
            stride_h: 1,
            stride_w: 1,
            pad_h: 0,
            pad_w: 0,
        };
        let x = [1.0, 7.0, f32::NAN, 7.0, 7.0, 0.0];
        let mut y = [0.0; 2];
        maxpool2d_forward(&x, &mut y, 1, &g);
        assert_eq!(y[0], 7.0);
        assert!(y[1].is_nan());
        let mut gx = [f32::NAN; 6];
        maxpool2d_backward(&x, &y, &[1.0, 10.0], &mut gx, 1, &g);
        assert_eq!(gx, [0.0, 1.0, 10.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn padding_never_wins_and_ties_go_to_the_first_maximum() {
        // 3x3 windows, stride 2, padding 1 on a 3x3 input: four windows, each
        // a 2x2 corner of the input. All-negative values (a zero padding
        // would win), with ties and a NaN.
        let g = Pool2dGeom {
            channels: 1,
            in_h: 3,
            in_w: 3,
            out_h: 2,
            out_w: 2,
            k_h: 3,
            k_w: 3,
            stride_h: 2,
            stride_w: 2,
            pad_h: 1,
            pad_w: 1,
        };
        let x = [-5.0, -1.0, f32::NAN, -1.0, -2.0, -3.0, -4.0, -6.0, -4.0];
        let mut y = [0.0; 4];
        maxpool2d_forward(&x, &mut y, 1, &g);
        assert_eq!(y[..1], [-1.0]);
        assert!(y[1].is_nan());
        assert_eq!(y[2..], [-1.0, -2.0]);
        let mut gx = [f32::NAN; 9];
        maxpool2d_backward(&x, &y, &[1.0, 10.0, 100.0, 1000.0], &mut gx, 1, &g);
        assert_eq!(gx, [0.0, 1.0, 10.0, 100.0, 1000.0, 0.0, 0.0, 0.0, 0.0]);
    }
}
