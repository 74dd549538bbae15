//! The scalar reference of each int8 layer, written as TensorFlow Lite's
//! reference kernels compute it (the zero point subtracted inside the
//! loop): what every faster path must equal bit for bit. Tests use it;
//! the fast paths are in the other files of this folder.

use super::Multiplier;

/// A quantised dense layer, TFLite's `FullyConnected` for int8:
/// `y[o] = clamp(zp_y + M_o (sum_i (x[i] - zp_x) w[o][i] + bias[o]))`, with
/// `w: [out][in]` symmetric per output channel and `M_o` its multiplier.
/// The reference every faster int8 dense kernel must equal bit for bit.
pub fn dense_i8(
    x: &[i8],
    zp_x: i32,
    w: &[i8],
    bias: &[i32],
    mult: &[Multiplier],
    zp_y: i32,
    (lo, hi): (i32, i32),
    y: &mut [i8],
) {
    let (n_in, n_out) = (x.len(), y.len());
    debug_assert_eq!(w.len(), n_in * n_out);
    for (o, y) in y.iter_mut().enumerate() {
        let row = &w[o * n_in..][..n_in];
        let acc = row.iter().zip(x).fold(bias[o], |acc, (&w, &x)| {
            acc.wrapping_add((i32::from(x) - zp_x) * i32::from(w))
        });
        *y = mult[o].apply(acc).saturating_add(zp_y).clamp(lo, hi) as i8;
    }
}

/// The quantisation of one int8 layer's input, weights and output:
/// `zp_x`, `zp_y` the zero points, `mult` one [`Multiplier`] per output
/// channel, `(lo, hi)` the clamp of the output (the activation's range).
#[derive(Clone, Copy, Debug)]
pub struct Requant<'a> {
    /// Zero point of the input.
    pub zp_x: i32,
    /// Zero point of the output.
    pub zp_y: i32,
    /// One multiplier per output channel.
    pub mult: &'a [Multiplier],
    /// Output clamp, within `[-128, 127]`.
    pub clamp: (i32, i32),
}

/// A quantised 2-d convolution, TFLite's int8 `Conv2D` (and, with groups
/// equal to channels, `DepthwiseConv2D`) on `[C][H][W]`: padding reads the
/// input's zero point (a real 0), weights `[out][C/groups][k_h][k_w]`
/// symmetric per output channel, an int32 bias per output channel. The
/// reference faster int8 convolutions must equal bit for bit.
pub fn conv2d_i8(
    x: &[i8],
    w: &[i8],
    bias: &[i32],
    g: &crate::kernels::conv2d::Conv2dGeom,
    q: Requant<'_>,
    y: &mut [i8],
) {
    let (cin_g, cout_g) = (g.in_c / g.groups, g.out_c / g.groups);
    debug_assert_eq!(x.len(), g.in_c * g.in_h * g.in_w);
    debug_assert_eq!(w.len(), g.out_c * cin_g * g.k_h * g.k_w);
    debug_assert_eq!(y.len(), g.out_c * g.out_h * g.out_w);
    for o in 0..g.out_c {
        let group = o / cout_g;
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let mut acc = bias[o];
                for ci in 0..cin_g {
                    let c = group * cin_g + ci;
                    for ky in 0..g.k_h {
                        for kx in 0..g.k_w {
                            let iy = (oy * g.stride_h + ky * g.dil_h) as isize - g.pad_h as isize;
                            let ix = (ox * g.stride_w + kx * g.dil_w) as isize - g.pad_w as isize;
                            let inside = (0..g.in_h as isize).contains(&iy)
                                && (0..g.in_w as isize).contains(&ix);
                            if !inside {
                                // A padded element is the zero point: x - zp_x = 0.
                                continue;
                            }
                            let xv =
                                i32::from(x[(c * g.in_h + iy as usize) * g.in_w + ix as usize])
                                    - q.zp_x;
                            let wv = i32::from(w[((o * cin_g + ci) * g.k_h + ky) * g.k_w + kx]);
                            acc = acc.wrapping_add(xv * wv);
                        }
                    }
                }
                let v = q.mult[o].apply(acc).saturating_add(q.zp_y);
                y[(o * g.out_h + oy) * g.out_w + ox] = v.clamp(q.clamp.0, q.clamp.1) as i8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::{asymmetric_params, quantize_symmetric};

    /// A float convolution on the dequantised values, for comparison.
    fn conv_f32(
        x: &[f32],
        w: &[f32],
        g: &crate::kernels::conv2d::Conv2dGeom,
        o: usize,
        oy: usize,
        ox: usize,
    ) -> f32 {
        let (cin_g, cout_g) = (g.in_c / g.groups, g.out_c / g.groups);
        let mut acc = 0.0;
        for ci in 0..cin_g {
            let c = (o / cout_g) * cin_g + ci;
            for ky in 0..g.k_h {
                for kx in 0..g.k_w {
                    let iy = (oy * g.stride_h + ky * g.dil_h) as isize - g.pad_h as isize;
                    let ix = (ox * g.stride_w + kx * g.dil_w) as isize - g.pad_w as isize;
                    if (0..g.in_h as isize).contains(&iy) && (0..g.in_w as isize).contains(&ix) {
                        acc += x[(c * g.in_h + iy as usize) * g.in_w + ix as usize]
                            * w[((o * cin_g + ci) * g.k_h + ky) * g.k_w + kx];
                    }
                }
            }
        }
        acc
    }

    #[test]
    fn conv2d_i8_matches_the_float_convolution_of_its_dequantised_values() {
        use crate::kernels::conv2d::Conv2dGeom;
        // Odd sizes, stride, padding, dilation; then depthwise (groups = channels).
        let geoms = [
            Conv2dGeom {
                in_c: 3,
                in_h: 9,
                in_w: 7,
                out_c: 5,
                out_h: 5,
                out_w: 4,
                k_h: 3,
                k_w: 3,
                stride_h: 2,
                stride_w: 2,
                pad_h: 1,
                pad_w: 1,
                dil_h: 1,
                dil_w: 1,
                groups: 1,
            },
            Conv2dGeom {
                in_c: 4,
                in_h: 7,
                in_w: 7,
                out_c: 4,
                out_h: 7,
                out_w: 7,
                k_h: 3,
                k_w: 3,
                stride_h: 1,
                stride_w: 1,
                pad_h: 2,
                pad_w: 2,
                dil_h: 2,
                dil_w: 2,
                groups: 4,
            },
        ];
        let mut rng = crate::Rng::new(5);
        for g in &geoms {
            let cin_g = g.in_c / g.groups;
            let mut xq = [0i8; 256];
            let mut wq = [0i8; 256];
            let (nx, nw, ny) = (
                g.in_c * g.in_h * g.in_w,
                g.out_c * cin_g * g.k_h * g.k_w,
                g.out_c * g.out_h * g.out_w,
            );
            let (s_x, zp_x) = asymmetric_params(-1.0, 2.0);
            for v in &mut xq[..nx] {
                *v = (rng.below(256) as i32 - 128) as i8;
            }
            let mut s_w = [0f32; 8];
            let mut wf = [0f32; 256];
            for v in &mut wf[..nw] {
                *v = rng.normal() * 0.3;
            }
            let per = cin_g * g.k_h * g.k_w;
            for o in 0..g.out_c {
                s_w[o] = quantize_symmetric(&wf[o * per..][..per], &mut wq[o * per..][..per]);
            }
            // Real values the integers stand for.
            let xr: [f32; 256] = core::array::from_fn(|i| s_x * (i32::from(xq[i]) - zp_x) as f32);
            let wr: [f32; 256] = core::array::from_fn(|i| {
                if i < nw {
                    s_w[i / per] * f32::from(wq[i])
                } else {
                    0.0
                }
            });
            let (s_y, zp_y) = asymmetric_params(-4.0, 4.0);
            let mult: [Multiplier; 8] = core::array::from_fn(|o| {
                Multiplier::new(f64::from(s_x) * f64::from(s_w[o]) / f64::from(s_y))
            });
            let bias = [0i32; 8];
            let mut y = [0i8; 256];
            let q = Requant {
                zp_x,
                zp_y,
                mult: &mult,
                clamp: (-128, 127),
            };
            conv2d_i8(&xq[..nx], &wq[..nw], &bias, g, q, &mut y[..ny]);
            for o in 0..g.out_c {
                for oy in 0..g.out_h {
                    for ox in 0..g.out_w {
                        let want = conv_f32(&xr, &wr, g, o, oy, ox)
                            .clamp(s_y * (-128 - zp_y) as f32, s_y * (127 - zp_y) as f32);
                        let got =
                            s_y * (i32::from(y[(o * g.out_h + oy) * g.out_w + ox]) - zp_y) as f32;
                        // Exact integer products; only the final rescale rounds.
                        assert!(
                            (got - want).abs() <= 0.5 * s_y + 1e-4,
                            "{g:?} ({o}, {oy}, {ox}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn dense_i8_equals_a_wide_reference_and_approximates_f32() {
        let mut rng = crate::Rng::new(11);
        let (n_in, n_out) = (37, 13);
        let w: [f32; 37 * 13] = core::array::from_fn(|_| rng.normal() * 0.2);
        let xf: [f32; 37] = core::array::from_fn(|_| rng.uniform() * 4.0 - 1.0);
        let (s_x, zp_x) = asymmetric_params(-1.0, 3.0);
        let mut x = [0i8; 37];
        for (q, &v) in x.iter_mut().zip(&xf) {
            *q = (libm::roundf(v / s_x) as i32 + zp_x).clamp(-128, 127) as i8;
        }
        let mut wq = [0i8; 37 * 13];
        let mut s_w = [0f32; 13];
        for o in 0..n_out {
            s_w[o] = quantize_symmetric(&w[o * n_in..][..n_in], &mut wq[o * n_in..][..n_in]);
        }
        // Output range from the f32 result.
        let yf: [f32; 13] =
            core::array::from_fn(|o| (0..n_in).map(|i| w[o * n_in + i] * xf[i]).sum());
        let (lo, hi) = yf
            .iter()
            .fold((0.0f32, 0.0f32), |(l, h), &v| (l.min(v), h.max(v)));
        let (s_y, zp_y) = asymmetric_params(lo, hi);
        let bias = [0i32; 13];
        let mult: [Multiplier; 13] = core::array::from_fn(|o| {
            Multiplier::new(f64::from(s_x) * f64::from(s_w[o]) / f64::from(s_y))
        });
        let mut y = [0i8; 13];
        dense_i8(&x, zp_x, &wq, &bias, &mult, zp_y, (-128, 127), &mut y);
        for o in 0..n_out {
            // The same arithmetic in i64, step by step.
            let acc: i64 = (0..n_in)
                .map(|i| (i64::from(x[i]) - i64::from(zp_x)) * i64::from(wq[o * n_in + i]))
                .sum();
            let want = (i64::from(mult[o].apply(acc as i32)) + i64::from(zp_y)).clamp(-128, 127);
            assert_eq!(i64::from(y[o]), want, "output {o}");
            // And the real value within a few steps of the output scale.
            let real = s_y * (i32::from(y[o]) - zp_y) as f32;
            assert!(
                (real - yf[o]).abs() <= 4.0 * s_y + 0.02 * yf[o].abs(),
                "output {o}: {real} vs {}",
                yf[o]
            );
        }
    }
}
