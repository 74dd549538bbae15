//! The kernels against the f64 definition and finite differences, on
//! every instruction set.

use super::*;
use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
use std::vec::Vec;

/// PyTorch's output size, or `None` when the dilated kernel does not fit.
fn out_size(len: usize, k: usize, stride: usize, pad: usize, dil: usize) -> Option<usize> {
    (len + 2 * pad)
        .checked_sub(dil * (k - 1) + 1)
        .map(|v| v / stride + 1)
}

/// A geometry from `(in_c, out_c, groups)` and `(h, w)` pairs of input
/// size, kernel, stride, padding and dilation; `None` if it is invalid.
fn geom(
    (in_c, out_c, groups): (usize, usize, usize),
    (in_h, in_w): (usize, usize),
    (k_h, k_w): (usize, usize),
    (stride_h, stride_w): (usize, usize),
    (pad_h, pad_w): (usize, usize),
    (dil_h, dil_w): (usize, usize),
) -> Option<Conv2dGeom> {
    Some(Conv2dGeom {
        in_c,
        in_h,
        in_w,
        out_c,
        out_h: out_size(in_h, k_h, stride_h, pad_h, dil_h)?,
        out_w: out_size(in_w, k_w, stride_w, pad_w, dil_w)?,
        k_h,
        k_w,
        stride_h,
        stride_w,
        pad_h,
        pad_w,
        dil_h,
        dil_w,
        groups,
    })
}

/// Calls `f(y, x, w)` with flat indices for every term of the definition
/// `y[b][oc][oh][ow] += w[oc][ic][kh][kw] * x[b][ic'][ih][iw]`, skipping
/// the taps that fall into the padding.
fn for_each_term(batch: usize, g: &Conv2dGeom, mut f: impl FnMut(usize, usize, usize)) {
    let (cg, ocg) = (g.in_c / g.groups, g.out_c / g.groups);
    for b in 0..batch {
        for oc in 0..g.out_c {
            for oh in 0..g.out_h {
                for ow in 0..g.out_w {
                    let yi = ((b * g.out_c + oc) * g.out_h + oh) * g.out_w + ow;
                    for ic in 0..cg {
                        for kh in 0..g.k_h {
                            for kw in 0..g.k_w {
                                let ih = (oh * g.stride_h + kh * g.dil_h).checked_sub(g.pad_h);
                                let iw = (ow * g.stride_w + kw * g.dil_w).checked_sub(g.pad_w);
                                let (Some(ih), Some(iw)) = (ih, iw) else {
                                    continue;
                                };
                                if ih >= g.in_h || iw >= g.in_w {
                                    continue;
                                }
                                let c = oc / ocg * cg + ic;
                                let xi = ((b * g.in_c + c) * g.in_h + ih) * g.in_w + iw;
                                let wi = ((oc * cg + ic) * g.k_h + kh) * g.k_w + kw;
                                f(yi, xi, wi);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The definition, in f64.
fn forward_ref(
    x: &[f64],
    w: &[f64],
    bias: Option<&[f64]>,
    batch: usize,
    g: &Conv2dGeom,
) -> Vec<f64> {
    let p = g.out_h * g.out_w;
    let mut y: Vec<f64> = (0..batch * g.out_c * p)
        .map(|i| bias.map_or(0.0, |b| b[i / p % g.out_c]))
        .collect();
    for_each_term(batch, g, |yi, xi, wi| y[yi] += w[wi] * x[xi]);
    y
}

/// The exact adjoint of [`forward_ref`], in f64: `(gx, gw, gb)`.
fn backward_ref(
    x: &[f64],
    w: &[f64],
    gy: &[f64],
    batch: usize,
    g: &Conv2dGeom,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut gx, mut gw) = (std::vec![0.0; x.len()], std::vec![0.0; w.len()]);
    for_each_term(batch, g, |yi, xi, wi| {
        gx[xi] += gy[yi] * w[wi];
        gw[wi] += gy[yi] * x[xi];
    });
    let p = g.out_h * g.out_w;
    let mut gb = std::vec![0.0; g.out_c];
    for (i, &d) in gy.iter().enumerate() {
        gb[i / p % g.out_c] += d;
    }
    (gx, gw, gb)
}

/// Random `(x, weight, bias, gy)` for a geometry.
fn data(batch: usize, g: &Conv2dGeom) -> [Vec<f32>; 4] {
    let k = g.in_c / g.groups * g.k_h * g.k_w;
    [
        random_vec(30, batch * g.in_c * g.in_h * g.in_w),
        random_vec(31, g.out_c * k),
        random_vec(32, g.out_c),
        random_vec(33, batch * g.out_c * g.out_h * g.out_w),
    ]
}

/// Forward (with and without bias) and backward against the f64
/// definition and its exact adjoint, on one path, with NaN preloaded in
/// `y`, every gradient and the scratch (of exactly `scratch_len` for the
/// forward pass, `train_scratch_len` for the backward pass).
/// Tolerance rtol 1e-5, atol 1e-5: f32 sums of at most 192 products of
/// values in [-1, 1) (150 per output, 3 x 64 per weight gradient), as in
/// gemm's tests.
fn check(isa: Isa, batch: usize, g: &Conv2dGeom) {
    let [x, w, b, gy] = data(batch, g);
    let (x64, w64, b64, gy64) = (to_f64(&x), to_f64(&w), to_f64(&b), to_f64(&gy));
    let mut scratch = std::vec![f32::NAN; g.scratch_len()];
    let (rtol, atol) = (1e-5, 1e-5);
    for bias in [None, Some(&b[..])] {
        let mut y = std::vec![f32::NAN; gy.len()];
        forward_with(isa, &x, &w, bias, &mut y, &mut scratch, batch, g);
        let want = forward_ref(&x64, &w64, bias.map(|_| &b64[..]), batch, g);
        let what = std::format!("y {isa:?} batch={batch} bias={} {g:?}", bias.is_some());
        assert_close(&what, &y, &want, rtol, atol);
        // With the ReLU fused: the bits of the forward pass, then `relu`.
        let mut fused = std::vec![f32::NAN; gy.len()];
        super::forward_act(isa, &x, &w, bias, &mut fused, &mut scratch, batch, g, true);
        crate::kernels::relu::relu_in_place(&mut y);
        let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&fused), bits(&y), "relu fused: {what}");
    }
    let mut scratch = std::vec![f32::NAN; g.train_scratch_len()];
    let (want_gx, want_gw, want_gb) = backward_ref(&x64, &w64, &gy64, batch, g);
    let mut gw = std::vec![f32::NAN; w.len()];
    let mut gb = std::vec![f32::NAN; b.len()];
    let mut gx = std::vec![f32::NAN; x.len()];
    backward_with(
        isa,
        &x,
        &w,
        &gy,
        &mut gw,
        Some(&mut gb),
        Some(&mut gx),
        &mut scratch,
        batch,
        g,
    );
    let what = std::format!("{isa:?} batch={batch} {g:?}");
    assert_close(&std::format!("gx {what}"), &gx, &want_gx, rtol, atol);
    assert_close(&std::format!("gw {what}"), &gw, &want_gw, rtol, atol);
    assert_close(&std::format!("gb {what}"), &gb, &want_gb, rtol, atol);
    // Without the optional gradients, `gw` is the same.
    let mut gw2 = std::vec![f32::NAN; w.len()];
    backward_with(
        isa,
        &x,
        &w,
        &gy,
        &mut gw2,
        None,
        None,
        &mut scratch,
        batch,
        g,
    );
    assert_eq!(gw, gw2, "gw without gb, gx: {what}");
}

/// (in_c, out_c, groups): single channel, plain, grouped both ways,
/// depthwise, depthwise with a channel multiplier.
const CHANNELS: [(usize, usize, usize); 7] = [
    (1, 1, 1),
    (3, 4, 1),
    (1, 6, 1),
    (4, 6, 2),
    (6, 4, 2),
    (4, 4, 4),
    (3, 6, 3),
];

/// Every combination of input size, kernel, stride, padding and dilation
/// that fits, each with every channel configuration at batch 1 and 3.
#[test]
fn matches_reference_on_every_geometry() {
    let mut count = 0;
    for isa in Isa::available() {
        for size in [(1, 1), (3, 3), (7, 8), (8, 3)] {
            for k in [(1, 1), (2, 2), (3, 3), (5, 5), (2, 3)] {
                for stride in [(1, 1), (2, 2), (3, 3), (2, 1)] {
                    for pad in [(0, 0), (1, 1), (2, 2), (0, 1), (2, 0)] {
                        for dil in [(1, 1), (2, 2), (1, 2)] {
                            for ch in CHANNELS {
                                let Some(g) = geom(ch, size, k, stride, pad, dil) else {
                                    continue;
                                };
                                for batch in [1, 3] {
                                    check(isa, batch, &g);
                                    count += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(count > 1000, "{count} geometries");
}

/// The direct convolution of bare-metal targets (`direct.rs`, compiled and
/// run here too) against the portable product, bit for bit, and the f64
/// definition: odd sizes and widths that take its blocks of 8, 4 and 1
/// columns and its checked edge columns, every kernel it specialises and
/// others, strides, padding, dilation, groups, batch 1 and 3.
#[test]
fn direct_equals_the_portable_product() {
    let mut count = 0;
    for size in [(1, 1), (3, 3), (7, 8), (8, 3), (5, 21), (28, 28)] {
        for k in [(1, 1), (3, 3), (5, 5), (2, 3), (3, 2)] {
            for stride in [(1, 1), (2, 2), (1, 2), (2, 1), (3, 3)] {
                for pad in [(0, 0), (1, 1), (2, 2), (0, 1)] {
                    for dil in [(1, 1), (2, 2)] {
                        for ch in CHANNELS {
                            let Some(g) = geom(ch, size, k, stride, pad, dil) else {
                                continue;
                            };
                            for batch in [1, 3] {
                                let [x, w, b, _] = data(batch, &g);
                                let len = batch * g.out_c * g.out_h * g.out_w;
                                let mut scratch = std::vec![f32::NAN; g.train_scratch_len()];
                                for bias in [None, Some(&b[..])] {
                                    let (mut got, mut want) =
                                        (std::vec![f32::NAN; len], std::vec![f32::NAN; len]);
                                    super::direct::forward_all(&x, &w, bias, &mut got, &g);
                                    forward_with(
                                        Isa::Portable,
                                        &x,
                                        &w,
                                        bias,
                                        &mut want,
                                        &mut scratch,
                                        batch,
                                        &g,
                                    );
                                    let what = std::format!("direct batch={batch} {g:?}");
                                    let bits = |v: &[f32]| {
                                        v.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                                    };
                                    assert_eq!(bits(&got), bits(&want), "{what}");
                                    let b64 = to_f64(&b);
                                    let want = forward_ref(
                                        &to_f64(&x),
                                        &to_f64(&w),
                                        bias.map(|_| &b64[..]),
                                        batch,
                                        &g,
                                    );
                                    assert_close(&what, &got, &want, 1e-5, 1e-5);
                                }
                                count += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(count > 1000, "{count} geometries");
}

/// Each feature on its own and together: stride, padding, dilation,
/// groups, depthwise, non-square everything, pointwise, LeNet's layers.
fn fd_cases() -> [Conv2dGeom; 10] {
    [
        geom((2, 3, 1), (5, 5), (3, 3), (1, 1), (0, 0), (1, 1)),
        geom((2, 3, 1), (7, 7), (3, 3), (2, 2), (0, 0), (1, 1)),
        geom((2, 3, 1), (5, 5), (3, 3), (1, 1), (1, 1), (1, 1)),
        geom((2, 3, 1), (7, 7), (3, 3), (1, 1), (0, 0), (2, 2)),
        geom((4, 6, 2), (5, 5), (3, 3), (1, 1), (1, 1), (1, 1)),
        geom((3, 3, 3), (6, 6), (3, 3), (2, 2), (1, 1), (1, 1)),
        geom((3, 2, 1), (7, 8), (2, 3), (2, 1), (1, 2), (2, 1)),
        geom((3, 4, 1), (3, 5), (1, 1), (1, 1), (0, 0), (1, 1)),
        geom((1, 6, 1), (8, 8), (5, 5), (1, 1), (2, 2), (1, 1)),
        geom((6, 4, 2), (7, 7), (5, 5), (1, 1), (0, 0), (1, 1)),
    ]
    .map(Option::unwrap)
}

/// Every gradient against central finite differences of the f64
/// definition. It is linear in each argument, so the differences are
/// exact up to f64 rounding; rtol 1e-4, atol 1e-5 cover the f32 kernels.
#[test]
fn backward_matches_finite_differences() {
    for isa in Isa::available() {
        for g in fd_cases() {
            let batch = 2;
            let [x, w, b, gy] = data(batch, &g);
            let (x64, w64, b64) = (to_f64(&x), to_f64(&w), to_f64(&b));
            let mut gw = std::vec![f32::NAN; w.len()];
            let mut gb = std::vec![f32::NAN; b.len()];
            let mut gx = std::vec![f32::NAN; x.len()];
            let mut scratch = std::vec![f32::NAN; g.train_scratch_len()];
            backward_with(
                isa,
                &x,
                &w,
                &gy,
                &mut gw,
                Some(&mut gb),
                Some(&mut gx),
                &mut scratch,
                batch,
                &g,
            );
            let what = std::format!("{isa:?} {g:?}");
            let fd = fd_vjp(|x| forward_ref(x, &w64, Some(&b64), batch, &g), &x, &gy);
            assert_close(&std::format!("gx {what}"), &gx, &fd, 1e-4, 1e-5);
            let fd = fd_vjp(|w| forward_ref(&x64, w, Some(&b64), batch, &g), &w, &gy);
            assert_close(&std::format!("gw {what}"), &gw, &fd, 1e-4, 1e-5);
            let fd = fd_vjp(|b| forward_ref(&x64, &w64, Some(b), batch, &g), &b, &gy);
            assert_close(&std::format!("gb {what}"), &gb, &fd, 1e-4, 1e-5);
        }
    }
}

/// The public entry points (the default path) at LeNet-5's two layers.
#[test]
fn public_functions_match_reference() {
    let lenet = [
        geom((1, 6, 1), (28, 28), (5, 5), (1, 1), (2, 2), (1, 1)).unwrap(),
        geom((6, 16, 1), (14, 14), (5, 5), (1, 1), (0, 0), (1, 1)).unwrap(),
    ];
    for g in &lenet {
        let batch = 3;
        let [x, w, b, gy] = data(batch, g);
        let (x64, w64, b64, gy64) = (to_f64(&x), to_f64(&w), to_f64(&b), to_f64(&gy));
        let mut scratch = std::vec![f32::NAN; g.train_scratch_len()];
        let mut y = std::vec![f32::NAN; gy.len()];
        conv2d_forward(&x, &w, Some(&b), &mut y, &mut scratch, batch, g);
        let want = forward_ref(&x64, &w64, Some(&b64), batch, g);
        assert_close(&std::format!("y {g:?}"), &y, &want, 1e-5, 1e-5);
        let (want_gx, want_gw, want_gb) = backward_ref(&x64, &w64, &gy64, batch, g);
        let mut gw = std::vec![f32::NAN; w.len()];
        let mut gb = std::vec![f32::NAN; b.len()];
        let mut gx = std::vec![f32::NAN; x.len()];
        conv2d_backward(
            &x,
            &w,
            &gy,
            &mut gw,
            Some(&mut gb),
            Some(&mut gx),
            &mut scratch,
            batch,
            g,
        );
        // The weight gradient sums 3 x 784 products: atol 1e-4 (gemm's
        // tolerance for sums of that length).
        assert_close(&std::format!("gx {g:?}"), &gx, &want_gx, 1e-5, 1e-5);
        assert_close(&std::format!("gw {g:?}"), &gw, &want_gw, 1e-5, 1e-4);
        assert_close(&std::format!("gb {g:?}"), &gb, &want_gb, 1e-5, 1e-4);
    }
}

/// Geometries of the output-channels-in-lanes path (`lanes.rs`): groups of
/// 16, 32 and 48 output channels, every forward tile width (12, 10, 8 and their
/// multiples), odd row counts (a last row on its own), both weight-gradient
/// tiles (5x5, 3x3) and a kernel without one (2x3: forward only), padding.
fn lanes_cases() -> Vec<Conv2dGeom> {
    [
        // LeNet-5's conv2.
        geom((6, 16, 1), (14, 14), (5, 5), (1, 1), (0, 0), (1, 1)),
        geom((3, 16, 1), (9, 12), (3, 3), (1, 1), (1, 1), (1, 1)),
        geom((2, 32, 1), (7, 20), (5, 5), (1, 1), (2, 2), (1, 1)),
        geom((4, 32, 2), (11, 10), (3, 3), (1, 1), (0, 1), (1, 1)),
        geom((1, 16, 1), (5, 16), (3, 3), (1, 1), (1, 1), (1, 1)),
        geom((3, 16, 1), (6, 10), (2, 3), (1, 1), (0, 1), (1, 1)),
        geom((2, 48, 1), (12, 28), (5, 5), (1, 1), (0, 0), (1, 1)),
        // Wide rows of 80 (a multiple of 16: the input gradient's carry is
        // all that is left) and of 94 (a partial vector of 14, whose sums
        // spill past it).
        geom((2, 16, 1), (10, 14), (5, 5), (1, 1), (0, 0), (1, 1)),
        geom((2, 16, 1), (11, 14), (5, 5), (1, 1), (0, 0), (1, 1)),
    ]
    .into_iter()
    .map(Option::unwrap)
    .collect()
}

/// The lanes path against the f64 definition and finite differences: on
/// every instruction set through its own functions (the portable tiles of
/// tokens without lanes included), and through the public dispatch, which
/// must choose it on AVX-512 for these geometries.
#[test]
fn lanes_path_matches_reference() {
    let lenet = lanes_cases()[0];
    assert!(lanes::backward_fits(&lenet, 16, lenet.train_scratch_len()));
    for g in lanes_cases() {
        for isa in Isa::available() {
            let has = lanes::forward_applies(isa, &g, g.scratch_len());
            let back = lanes::backward_applies(isa, &g, g.train_scratch_len());
            #[cfg(target_arch = "x86_64")]
            if matches!(isa, Isa::Avx512(_)) {
                assert!(has, "the forward pass takes the lanes path: {g:?}");
                let fits = lanes::backward_fits(&g, 16, g.train_scratch_len());
                assert_eq!(back, fits, "the backward pass: {g:?}");
            }
            if matches!(isa, Isa::Portable) {
                assert!(!has && !back, "no lanes on the portable path");
            }
            let backward = lanes::backward_fits(&g, 16, g.train_scratch_len());
            for batch in [1, 3] {
                check(isa, batch, &g);
                let [x, w, b, gy] = data(batch, &g);
                let (x64, w64, b64, gy64) = (to_f64(&x), to_f64(&w), to_f64(&b), to_f64(&gy));
                let mut scratch = std::vec![f32::NAN; g.train_scratch_len()];
                let mut y = std::vec![f32::NAN; gy.len()];
                lanes::forward(isa, &x, &w, Some(&b), &mut y, &mut scratch, &g, false);
                let want = forward_ref(&x64, &w64, Some(&b64), batch, &g);
                let what = std::format!("lanes {isa:?} batch={batch} {g:?}");
                assert_close(&std::format!("y {what}"), &y, &want, 1e-5, 1e-5);
                if !backward {
                    continue;
                }
                let (want_gx, want_gw, _) = backward_ref(&x64, &w64, &gy64, batch, &g);
                let mut gw = std::vec![f32::NAN; w.len()];
                let mut gx = std::vec![f32::NAN; x.len()];
                let gxs = Some(&mut gx[..]);
                lanes::backward(isa, &x, &w, &gy, &mut gw, gxs, &mut scratch, &g);
                assert_close(&std::format!("gx {what}"), &gx, &want_gx, 1e-5, 1e-5);
                assert_close(&std::format!("gw {what}"), &gw, &want_gw, 1e-5, 1e-4);
                if batch == 3 && w.len() <= 512 {
                    let fd = fd_vjp(|w| forward_ref(&x64, w, Some(&b64), batch, &g), &w, &gy);
                    assert_close(&std::format!("fd gw {what}"), &gw, &fd, 1e-4, 1e-4);
                }
            }
        }
    }
}
