//! Test helpers shared by every kernel test: seeded random data, central
//! finite differences in f64, and closeness assertions with stated tolerances.

use std::vec::Vec;

/// Deterministic uniform values in `[-1, 1)`.
pub fn random_vec(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = crate::Rng::new(seed);
    (0..n).map(|_| rng.uniform() * 2.0 - 1.0).collect()
}

/// Widens to f64.
pub fn to_f64(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| f64::from(v)).collect()
}

/// Central finite differences `(f(x + h e_i) - f(x - h e_i)) / 2h` of a scalar
/// function, in f64.
pub fn numeric_grad(f: impl Fn(&[f64]) -> f64, x: &[f64], h: f64) -> Vec<f64> {
    let mut xp = x.to_vec();
    (0..x.len())
        .map(|i| {
            let orig = xp[i];
            xp[i] = orig + h;
            let fp = f(&xp);
            xp[i] = orig - h;
            let fm = f(&xp);
            xp[i] = orig;
            (fp - fm) / (2.0 * h)
        })
        .collect()
}

/// The gradient of `L(x) = sum_j gy_j * forward(x)_j` by central finite
/// differences (h = 1e-6 in f64), where `forward` is an f64 reference. Compare
/// a kernel's `backward(x, gy)` against this.
pub fn fd_vjp(forward: impl Fn(&[f64]) -> Vec<f64>, x: &[f32], gy: &[f32]) -> Vec<f64> {
    let gy = to_f64(gy);
    numeric_grad(
        |xs| forward(xs).iter().zip(&gy).map(|(y, g)| y * g).sum(),
        &to_f64(x),
        1e-6,
    )
}

/// Asserts `|got - want| <= atol + rtol * |want|` elementwise, naming the first
/// offending index.
#[track_caller]
pub fn assert_close(what: &str, got: &[f32], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (f64::from(g) - w).abs();
        assert!(
            err <= atol + rtol * w.abs(),
            "{what}[{i}]: got {g}, want {w} (err {err:e}, rtol {rtol:e}, atol {atol:e})"
        );
    }
}

/// Moves every element within `1e-3` of one of the `kinks` (points where the
/// function is not differentiable, e.g. ReLU's 0) to `kink + 1e-3`, so that
/// central differences with `h = 1e-6` never straddle a kink.
pub fn avoid_kinks(x: &mut [f32], kinks: &[f32]) {
    for v in x {
        for &k in kinks {
            if (*v - k).abs() < 1e-3 {
                *v = k + 1e-3;
            }
        }
    }
}

/// Checks an elementwise activation on sizes 1, 3, 63, 65 with inputs uniform
/// in `[-scale, scale)` (moved off `kinks` by [`avoid_kinks`]):
/// - `forward(x, y)` against the scalar f64 `reference`, rtol 1e-5, atol 1e-6;
/// - `backward(x, y, gy, gx)` (given both the input and the kernel's output,
///   so input- and output-based backward passes fit) against [`fd_vjp`] of the
///   reference, rtol 1e-4, atol 1e-5.
#[track_caller]
pub fn check_elementwise(
    name: &str,
    scale: f32,
    kinks: &[f32],
    reference: impl Fn(f64) -> f64,
    forward: impl Fn(&[f32], &mut [f32]),
    backward: impl Fn(&[f32], &[f32], &[f32], &mut [f32]),
) {
    for (seed, n) in [1usize, 3, 63, 65].into_iter().enumerate() {
        let mut x = random_vec(seed as u64, n);
        x.iter_mut().for_each(|v| *v *= scale);
        avoid_kinks(&mut x, kinks);
        let gy = random_vec(100 + seed as u64, n);
        let mut y = std::vec![f32::NAN; n];
        forward(&x, &mut y);
        let want: Vec<f64> = to_f64(&x).into_iter().map(&reference).collect();
        let what = std::format!("{name}, n = {n}");
        assert_close(&what, &y, &want, 1e-5, 1e-6);
        let mut gx = std::vec![f32::NAN; n];
        backward(&x, &y, &gy, &mut gx);
        let want = fd_vjp(|xs| xs.iter().map(|&v| reference(v)).collect(), &x, &gy);
        assert_close(&(what + " backward"), &gx, &want, 1e-4, 1e-5);
    }
}

/// A random permutation of `n` distinct values evenly spaced `2 / n` apart in
/// `[-1, 1)`: inputs without ties whose gaps dwarf the finite-difference step,
/// for kernels that pick an element (max pooling).
pub fn distinct_vec(seed: u64, n: usize) -> Vec<f32> {
    let mut x: Vec<f32> = (0..n).map(|i| (2 * i) as f32 / n as f32 - 1.0).collect();
    crate::Rng::new(seed).shuffle(&mut x);
    x
}

/// Every 2-D pooling case tested, as `(batch, geometry)`: batch and channels
/// 1 and 3; inputs 1, 3, 7, 8 high and wide; kernels 1x1, 2x2, 3x3, 2x3,
/// 3x5; strides 1, 2, 3 and (1, 2) (so windows overlap, tile, skip elements
/// and leave a remainder); padding 0, 1, (1, 0), (0, 1) and (1, 2) where at
/// most half the window (PyTorch's limit); only windows that fit the padded
/// input.
pub fn pool2d_cases() -> Vec<(usize, crate::kernels::maxpool2d::Pool2dGeom)> {
    let mut cases = Vec::new();
    for (batch, channels) in [(1, 1), (3, 1), (1, 3), (3, 3)] {
        for (in_h, in_w) in [(1, 1), (3, 3), (3, 7), (8, 3), (7, 8), (8, 8)] {
            for (k_h, k_w) in [(1, 1), (2, 2), (3, 3), (2, 3), (3, 5)] {
                for (stride_h, stride_w) in [(1, 1), (2, 2), (3, 3), (1, 2)] {
                    for (pad_h, pad_w) in [(0, 0), (1, 1), (1, 0), (0, 1), (1, 2)] {
                        let (padded_h, padded_w) = (in_h + 2 * pad_h, in_w + 2 * pad_w);
                        if k_h > padded_h || k_w > padded_w || 2 * pad_h > k_h || 2 * pad_w > k_w {
                            continue;
                        }
                        let g = crate::kernels::maxpool2d::Pool2dGeom {
                            channels,
                            in_h,
                            in_w,
                            out_h: (padded_h - k_h) / stride_h + 1,
                            out_w: (padded_w - k_w) / stride_w + 1,
                            k_h,
                            k_w,
                            stride_h,
                            stride_w,
                            pad_h,
                            pad_w,
                        };
                        cases.push((batch, g));
                    }
                }
            }
        }
    }
    cases
}

/// Naive 2-D pooling of NCHW `x` in f64: `reduce` maps each window's values
/// (row by row) to its output. A padding element is `pad` in the window
/// (`-inf` for max pooling, 0 for average pooling counting it), or left out
/// of it if `None` (average pooling not counting it).
pub fn pool2d_reference(
    x: &[f64],
    batch: usize,
    g: &crate::kernels::maxpool2d::Pool2dGeom,
    pad: Option<f64>,
    reduce: impl Fn(&[f64]) -> f64,
) -> Vec<f64> {
    let mut y = Vec::new();
    for plane in 0..batch * g.channels {
        for oh in 0..g.out_h {
            for ow in 0..g.out_w {
                let mut window = Vec::new();
                for kh in 0..g.k_h {
                    for kw in 0..g.k_w {
                        // Padded coordinates, then input ones if in bounds.
                        let (h, w) = (oh * g.stride_h + kh, ow * g.stride_w + kw);
                        let h = h.checked_sub(g.pad_h).filter(|&h| h < g.in_h);
                        let w = w.checked_sub(g.pad_w).filter(|&w| w < g.in_w);
                        match (h, w, pad) {
                            (Some(h), Some(w), _) => {
                                window.push(x[(plane * g.in_h + h) * g.in_w + w])
                            }
                            (_, _, Some(v)) => window.push(v),
                            (_, _, None) => {}
                        }
                    }
                }
                y.push(reduce(&window));
            }
        }
    }
    y
}
