//! `maxpool2d(k, stride)`: PyTorch's `nn.MaxPool2d` with padding 0 and
//! `ceil_mode=False`, on NCHW batches.
//!
//! Shapes: `x` is `[batch][channels][in_h][in_w]`, `y` is
//! `[batch][channels][out_h][out_w]` with `out = (in - k) / stride + 1`, so
//! every window lies inside the input (the macro checks the geometry). The
//! backward pass recomputes which element of each window was the maximum from
//! `x` and `y`, so no index tensor is kept.
//!
//! ```
//! use staticnet_runtime::kernels::maxpool2d::{maxpool2d_forward, Pool2dGeom};
//! let g = Pool2dGeom {
//!     channels: 1, in_h: 2, in_w: 3, out_h: 1, out_w: 2,
//!     k_h: 2, k_w: 2, stride_h: 1, stride_w: 1,
//! };
//! let x = [1.0, 5.0, 2.0, //
//!          4.0, 3.0, 6.0];
//! let mut y = [0.0; 2];
//! maxpool2d_forward(&x, &mut y, 1, &g);
//! assert_eq!(y, [5.0, 6.0]);
//! ```

use super::isa::{dispatch, Isa, Kernels};

/// The geometry of a 2-D pooling layer without padding, shared by
/// [`maxpool2d`](self) and [`avgpool2d`](super::avgpool2d).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dGeom {
    /// Channels, pooled independently.
    pub channels: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Output height, `(in_h - k_h) / stride_h + 1`.
    pub out_h: usize,
    /// Output width, `(in_w - k_w) / stride_w + 1`.
    pub out_w: usize,
    /// Window height.
    pub k_h: usize,
    /// Window width.
    pub k_w: usize,
    /// Vertical step between windows.
    pub stride_h: usize,
    /// Horizontal step between windows.
    pub stride_w: usize,
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

    /// Debug-checks the geometry (windows non-empty and inside the input,
    /// output sizes as PyTorch's) and the lengths of an input-shaped and an
    /// output-shaped slice.
    pub(crate) fn debug_check(&self, batch: usize, in_len: usize, out_len: usize) {
        debug_assert!(self.k_h >= 1 && self.k_w >= 1 && self.stride_h >= 1 && self.stride_w >= 1);
        debug_assert!(self.k_h <= self.in_h && self.k_w <= self.in_w, "{self:?}");
        debug_assert_eq!(self.out_h, (self.in_h - self.k_h) / self.stride_h + 1);
        debug_assert_eq!(self.out_w, (self.in_w - self.k_w) / self.stride_w + 1);
        debug_assert_eq!(in_len, batch * self.channels * self.in_plane());
        debug_assert_eq!(out_len, batch * self.channels * self.out_plane());
    }
}

/// `y` = the maximum of each window (NaN if the window holds one, as
/// PyTorch).
pub fn maxpool2d_forward(x: &[f32], y: &mut [f32], batch: usize, g: &Pool2dGeom) {
    g.debug_check(batch, x.len(), y.len());
    if g.is_2x2() {
        forward_2x2(Isa::best(), x, y, g);
    } else {
        forward_generic(x, y, g);
    }
}

impl Pool2dGeom {
    /// Whether the windows are 2x2 and tile the input (stride 2), the common
    /// `maxpool2d(2)`, which has a specialised path.
    fn is_2x2(&self) -> bool {
        self.k_h == 2 && self.k_w == 2 && self.stride_h == 2 && self.stride_w == 2
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

/// Routes each `gy` to the first element of its window equal to the forward
/// output `y` (the first maximum, as PyTorch; a NaN output goes to the
/// window's first NaN). Overwrites `gx`; where windows overlap
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
    if g.is_2x2() {
        backward_2x2(Isa::best(), x, y, gy, gx, g);
    } else {
        backward_generic(x, y, gy, gx, g);
    }
}

/// [`maxpool2d_backward`] for 2x2 windows with stride 2 (no overlap: each
/// window's first hit gets `0 + gy`, the same bits as [`backward_generic`]);
/// on AVX-512, 16 windows at a time when rows have at least 8 windows (on
/// LeNet's 5-window rows the scalar loop measured faster, on its 14-window
/// rows slower; see `docs/performance.md`).
fn backward_2x2(isa: Isa, x: &[f32], y: &[f32], gy: &[f32], gx: &mut [f32], g: &Pool2dGeom) {
    dispatch!(isa, |t| t.maxpool2x2_backward(x, y, gy, gx, g));
}

/// [`backward_2x2`] in safe Rust.
pub(crate) fn backward_2x2_portable(
    x: &[f32],
    y: &[f32],
    gy: &[f32],
    gx: &mut [f32],
    g: &Pool2dGeom,
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
                let d = 0.0 + d;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, distinct_vec, fd_vjp, pool2d_cases, pool2d_reference};
    use crate::testutil::{random_vec, to_f64};

    fn reference(x: &[f64], batch: usize, g: &Pool2dGeom) -> std::vec::Vec<f64> {
        pool2d_reference(x, batch, g, |w| {
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
                backward_2x2(isa, &x, &y, &gy, &mut gx, &g);
                assert_eq!(bits(&gx), bits(&want_gx), "{isa:?} {g:?} backward");
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
}
