//! Pooling in int8, input and output at the same scale and zero point (as
//! TFLite requires of its int8 `MaxPool2D`, `AveragePool2D` and `Mean`):
//! the maximum needs no arithmetic, the average rounds half away from zero
//! as TFLite's reference kernels do.

use crate::kernels::maxpool2d::Pool2dGeom;

/// The maximum of each window's in-bounds part (padding never wins, as
/// PyTorch's `-inf` padding and TFLite's `SAME` pooling).
pub fn maxpool(x: &[i8], y: &mut [i8], g: &Pool2dGeom) {
    assert!(
        x.len() == g.channels * g.in_plane() && y.len() == g.channels * g.out_plane(),
        "int8 maxpool2d: lengths do not fit {g:?}"
    );
    if (g.k_h, g.k_w, g.stride_h, g.stride_w, g.pad_h, g.pad_w) == (2, 2, 2, 2, 0, 0) {
        return maxpool_2x2(x, y, g);
    }
    for (x, y) in x
        .chunks_exact(g.in_plane())
        .zip(y.chunks_exact_mut(g.out_plane()))
    {
        for oh in 0..g.out_h {
            for ow in 0..g.out_w {
                let (rows, cols) = g.window(oh, ow);
                let mut m = i8::MIN;
                for h in rows {
                    for &v in &x[h * g.in_w..][cols.clone()] {
                        m = m.max(v);
                    }
                }
                y[oh * g.out_w + ow] = m;
            }
        }
    }
}

/// [`maxpool`] with 2x2 windows at stride 2 and no padding (the common
/// case): each output is the maximum of two pairs of adjacent inputs, with
/// no window arithmetic.
fn maxpool_2x2(x: &[i8], y: &mut [i8], g: &Pool2dGeom) {
    for (x, y) in x
        .chunks_exact(g.in_plane())
        .zip(y.chunks_exact_mut(g.out_plane()))
    {
        for (oh, y) in y.chunks_exact_mut(g.out_w).enumerate() {
            let r0 = &x[2 * oh * g.in_w..][..2 * g.out_w];
            let r1 = &x[(2 * oh + 1) * g.in_w..][..2 * g.out_w];
            for ((y, a), b) in y.iter_mut().zip(r0.chunks_exact(2)).zip(r1.chunks_exact(2)) {
                *y = a[0].max(a[1]).max(b[0].max(b[1]));
            }
        }
    }
}

/// `round(sum / count)`, ties away from zero (TFLite's integer average).
#[inline]
pub fn rounded_div(sum: i32, count: i32) -> i32 {
    if sum >= 0 {
        (sum + count / 2) / count
    } else {
        (sum - count / 2) / count
    }
}

/// The average of each window. Without `count_include_pad` (TFLite's only
/// form) it is the in-bounds values' average; with it, padded positions
/// count as the zero point `zp` (a real 0) and the divisor is the window.
pub fn avgpool(x: &[i8], y: &mut [i8], g: &Pool2dGeom, count_include_pad: bool, zp: i32) {
    assert!(
        x.len() == g.channels * g.in_plane() && y.len() == g.channels * g.out_plane(),
        "int8 avgpool2d: lengths do not fit {g:?}"
    );
    let window = (g.k_h * g.k_w) as i32;
    for (x, y) in x
        .chunks_exact(g.in_plane())
        .zip(y.chunks_exact_mut(g.out_plane()))
    {
        for oh in 0..g.out_h {
            for ow in 0..g.out_w {
                let (rows, cols) = g.window(oh, ow);
                let inside = (rows.len() * cols.len()) as i32;
                let mut sum = 0i32;
                for h in rows {
                    for &v in &x[h * g.in_w..][cols.clone()] {
                        sum += i32::from(v);
                    }
                }
                let count = if count_include_pad {
                    sum += (window - inside) * zp;
                    window
                } else {
                    inside
                };
                y[oh * g.out_w + ow] = rounded_div(sum, count).clamp(-128, 127) as i8;
            }
        }
    }
}

/// The average over each channel's `spatial` positions (`global_avgpool`).
pub fn global_avgpool(x: &[i8], y: &mut [i8], spatial: usize) {
    assert!(
        spatial >= 1 && x.len() == y.len() * spatial && spatial < 1 << 23,
        "int8 global_avgpool: {} values for {} channels",
        x.len(),
        y.len()
    );
    for (y, x) in y.iter_mut().zip(x.chunks_exact(spatial)) {
        let sum = x.iter().map(|&v| i32::from(v)).sum::<i32>();
        *y = rounded_div(sum, spatial as i32).clamp(-128, 127) as i8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom(c: usize, (h, w): (usize, usize), k: usize, stride: usize, pad: usize) -> Pool2dGeom {
        Pool2dGeom {
            channels: c,
            in_h: h,
            in_w: w,
            out_h: (h + 2 * pad - k) / stride + 1,
            out_w: (w + 2 * pad - k) / stride + 1,
            k_h: k,
            k_w: k,
            stride_h: stride,
            stride_w: stride,
            pad_h: pad,
            pad_w: pad,
        }
    }

    /// The real-valued pooling of the dequantised input, rounded back: what
    /// the integer result must be (ties aside, which the data avoid by
    /// checking within half a step and exactly on non-ties).
    #[test]
    fn pools_agree_with_real_arithmetic() {
        let mut rng = crate::Rng::new(4);
        for g in [
            geom(3, (7, 9), 2, 2, 0),
            geom(2, (6, 8), 2, 2, 0),
            geom(2, (5, 5), 3, 2, 1),
            geom(1, (6, 7), 3, 1, 1),
        ] {
            let x: [i8; 189] = core::array::from_fn(|_| (rng.below(256) as i32 - 128) as i8);
            let x = &x[..g.channels * g.in_plane()];
            let mut y = [0i8; 189];
            let y = &mut y[..g.channels * g.out_plane()];
            maxpool(x, y, &g);
            for c in 0..g.channels {
                for oh in 0..g.out_h {
                    for ow in 0..g.out_w {
                        let (rows, cols) = g.window(oh, ow);
                        let mut m = i8::MIN;
                        for h in rows {
                            for w in cols.clone() {
                                m = m.max(x[c * g.in_plane() + h * g.in_w + w]);
                            }
                        }
                        assert_eq!(y[c * g.out_plane() + oh * g.out_w + ow], m);
                    }
                }
            }
            for (include, zp) in [(false, 0), (true, -7), (true, 100)] {
                avgpool(x, y, &g, include, zp);
                for c in 0..g.channels {
                    for oh in 0..g.out_h {
                        for ow in 0..g.out_w {
                            let (rows, cols) = g.window(oh, ow);
                            let mut sum = 0.0f64;
                            for h in rows.clone() {
                                for w in cols.clone() {
                                    sum += f64::from(x[c * g.in_plane() + h * g.in_w + w]);
                                }
                            }
                            let inside = (rows.len() * cols.len()) as f64;
                            let window = (g.k_h * g.k_w) as f64;
                            let avg = if include {
                                (sum + (window - inside) * f64::from(zp)) / window
                            } else {
                                sum / inside
                            };
                            let got = f64::from(y[c * g.out_plane() + oh * g.out_w + ow]);
                            // Round half away from zero.
                            let want = avg.signum() * (avg.abs() + 0.5).floor();
                            assert_eq!(got, want.clamp(-128.0, 127.0), "{g:?} {avg}");
                        }
                    }
                }
            }
        }
        let x = [1i8, 2, -3, -4, 5, 6, 7, 8, 127];
        let mut y = [0i8; 3];
        global_avgpool(&x, &mut y, 3);
        // 0/3 = 0, 7/3 = 2.33 -> 2, 142/3 = 47.3 -> 47.
        assert_eq!(y, [0, 2, 47]);
        assert_eq!(rounded_div(-3, 2), -2);
        assert_eq!(rounded_div(3, 2), 2);
    }
}
