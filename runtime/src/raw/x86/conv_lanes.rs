//! The AVX-512 convolution tiles with 16 output channels in the lanes
//! (`crate::raw::simd::lanes`, used by `crate::kernels::conv2d::lanes`):
//! the safe entry points check the lengths once per call.
//!
//! Tile shapes: forward `R x T` positions with `T` the first of 12, 10, 8
//! dividing `out_w` and `R = 2, 2, 3` (24, 20, 24 accumulators), a last
//! row at a time; weight gradient all `5 x 5` (25 accumulators) or `3 x 3`
//! taps of one input channel.

use super::isa::Avx512;
use crate::kernels::conv2d::LanesGeom;
use crate::raw::fits;
use crate::raw::simd::lanes;
use crate::raw::simd::packed::Transpose;
use core::arch::x86_64::*;

/// The rows past a tile's `T` in a transpose.
static ZERO: [f32; 16] = [0.0; 16];

/// The largest forward tile, in positions.
const MAX_TILE: usize = 24;

impl Avx512 {
    /// `y[oc][oh][ow] = act(bias[oc] + sum_{c, kh, kw} x[c][oh + kh][ow +
    /// kw] wt[(c, kh, kw)][oc])` for one sample and group of `ocg` output
    /// channels (`y` is `[ocg][out_h][out_w]`, `wt` `[tap][ocg]`).
    pub(super) fn lanes_forward(
        self,
        x: &[f32],
        wt: &[f32],
        bias: Option<&[f32]>,
        relu: bool,
        y: &mut [f32],
        ocg: usize,
        g: &LanesGeom,
    ) {
        let taps = g.cin * g.kh * g.kw;
        let t = g.tile_width().expect("a forward tile for out_w");
        assert!(g.is_valid() && ocg.is_multiple_of(16));
        assert!(fits(x.len(), g.cin, g.hp * g.wp) && fits(wt.len(), taps, ocg));
        assert!(fits(y.len(), ocg, g.out_h * g.out_w));
        assert!(bias.is_none_or(|b| b.len() >= ocg));
        // SAFETY: `self` proves AVX-512F. See `forward_all`: every tile
        // reads `x` below `cin hp wp`, `wt` below `taps ocg`, and writes its
        // stack buffer, all checked above.
        unsafe {
            match t {
                12 => forward_all::<2, 12>(x, wt, bias, relu, y, ocg, g),
                10 => forward_all::<2, 10>(x, wt, bias, relu, y, ocg, g),
                _ => forward_all::<3, 8>(x, wt, bias, relu, y, ocg, g),
            }
        }
    }

    /// `acc[(c, kh, kw)][oc] += sum_{oh, ow} x[c][oh + kh][ow + kw]
    /// gyt[(oh, ow)][oc]` for one sample and group of `ocg` output channels.
    pub(super) fn lanes_wgrad(
        self,
        x: &[f32],
        gyt: &[f32],
        acc: &mut [f32],
        ocg: usize,
        g: &LanesGeom,
    ) {
        assert!(g.is_valid() && g.has_wgrad_tile() && ocg.is_multiple_of(16));
        assert!(fits(x.len(), g.cin, g.hp * g.wp));
        assert!(fits(gyt.len(), g.out_h * g.out_w, ocg));
        assert!(fits(acc.len(), g.cin * g.kh * g.kw, ocg));
        // SAFETY: `self` proves AVX-512F. Each block `b < ocg` of 16 lanes
        // reads `gyt[q ocg + b..][..16]`, `q < out_h out_w`, and reads and
        // writes `acc[tap ocg + b..][..16]`, `tap < cin kh kw`, all below
        // the lengths checked above (`b + 16 <= ocg`); `x` is read at
        // `(c hp + oh + kh) wp + ow + kw < cin hp wp` (`is_valid`), and the
        // tile's `KH, KW` are `g`'s.
        unsafe { wgrad_all(x.as_ptr(), gyt.as_ptr(), acc.as_mut_ptr(), ocg, g) }
    }
}

impl Avx512 {
    /// `gxp[c][kh wp + kw + q] += sum_oc w[oc][(c, kh, kw)] gyw[oc][q]` for
    /// one sample and group (`crate::raw::simd::lanes::dgrad`).
    pub(super) fn lanes_dgrad(
        self,
        w: &[f32],
        gyw: &[f32],
        gxp: &mut [f32],
        ocg: usize,
        g: &LanesGeom,
    ) {
        let len = (g.out_h - 1) * g.wp + g.out_w;
        assert!(g.is_valid() && g.has_wgrad_tile());
        assert!(fits(w.len(), ocg, g.cin * g.kh * g.kw) && fits(gyw.len(), ocg, len));
        assert!(fits(gxp.len(), g.cin, g.hp * g.wp));
        // SAFETY: `self` proves AVX-512F; `dgrad` reads `w` below `ocg k`,
        // `gyw` below `ocg len` (masked past `len`), and reads and writes
        // `gxp[c hp wp + kh wp + kw + q]`, `q < len`, which is below `cin
        // hp wp` (`is_valid`: `(kh + out_h - 1) wp + kw + out_w <= hp
        // wp`); all checked above, and `KH, KW` are `g`'s.
        unsafe { dgrad_all(w.as_ptr(), gyw.as_ptr(), gxp.as_mut_ptr(), ocg, g) }
    }

    /// `dst[j rows + i] = src[i cols + j]`, `i < rows`, `j < cols`: blocks
    /// of 16 x 16 in registers, the edges one at a time.
    pub(super) fn transpose(self, src: &[f32], dst: &mut [f32], rows: usize, cols: usize) {
        assert!(fits(src.len(), rows, cols) && fits(dst.len(), rows, cols));
        let (full_r, full_c) = (rows / 16 * 16, cols / 16 * 16);
        for i0 in (0..full_r).step_by(16) {
            for j0 in (0..full_c).step_by(16) {
                let mut at = [src.as_ptr(); 16];
                for (i, at) in at.iter_mut().enumerate() {
                    *at = src[(i0 + i) * cols + j0..][..16].as_ptr();
                }
                let out = &mut dst[j0 * rows + i0..][..15 * rows + 16];
                // SAFETY: `self` proves AVX-512F; each of the 16 rows is a
                // checked 16-float slice of `src`, and the block writes
                // `out[p rows + j]`, `p, j < 16`, inside the checked `out`.
                unsafe { block(&at, out.as_mut_ptr(), rows) };
            }
        }
        for i in 0..rows {
            let from = if i < full_r { full_c } else { 0 };
            for j in from..cols {
                dst[j * rows + i] = src[i * cols + j];
            }
        }
    }
}

/// # Safety
/// AVX-512F; [`Transpose::transpose`]'s contract.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn block(rows: &[*const f32; 16], dst: *mut f32, ldd: usize) {
    <Avx512 as Transpose>::transpose(rows, dst, ldd);
}

/// # Safety
/// AVX-512F; the lengths checked by [`Avx512::lanes_forward`], `R T <=
/// MAX_TILE`, `T` divides `out_w`.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn forward_all<const R: usize, const T: usize>(
    x: &[f32],
    wt: &[f32],
    bias: Option<&[f32]>,
    relu: bool,
    y: &mut [f32],
    ocg: usize,
    g: &LanesGeom,
) {
    let p = g.out_h * g.out_w;
    let mut tile = [[0.0f32; 16]; MAX_TILE];
    for b in (0..ocg).step_by(16) {
        let mut oh = 0;
        while oh < g.out_h {
            let rows = if oh + R <= g.out_h { R } else { 1 };
            for t0 in (0..g.out_w).step_by(T) {
                let out = tile.as_mut_ptr().cast::<f32>();
                // SAFETY (the caller's contract): rows `oh .. oh + rows <=
                // out_h` and columns `t0 .. t0 + T <= out_w` of the output
                // read `x` inside `cin hp wp` (`is_valid`); taps read
                // `wt[tap ocg + b..][..16]`, inside `taps ocg`; the tile
                // writes `rows T <= MAX_TILE` vectors of `tile`.
                if rows == R {
                    lanes::forward::<Avx512, R, T>(
                        x.as_ptr(),
                        wt.as_ptr().add(b),
                        ocg,
                        g,
                        oh,
                        t0,
                        out,
                    );
                } else {
                    lanes::forward::<Avx512, 1, T>(
                        x.as_ptr(),
                        wt.as_ptr().add(b),
                        ocg,
                        g,
                        oh,
                        t0,
                        out,
                    );
                }
                for r in 0..rows {
                    let q = (oh + r) * g.out_w + t0;
                    // SAFETY (the caller's contract): `T <= 12` rows of
                    // `tile` (the rest `ZERO`), each 16 floats, transposed
                    // into `out`, 16 x 16; lanes `t < T` of row `lane` go to
                    // `y[(b + lane) p + q + t]`, `q + T <= p` (rows of
                    // `out_w`, `t0 + T <= out_w`).
                    let mut rows_at = [ZERO.as_ptr(); 16];
                    for (t, at) in rows_at.iter_mut().take(T).enumerate() {
                        *at = tile[r * T + t].as_ptr();
                    }
                    let mut out = [[0.0f32; 16]; 16];
                    <Avx512 as Transpose>::transpose(&rows_at, out.as_mut_ptr().cast(), 16);
                    let mask = ((1u32 << T) - 1) as __mmask16;
                    for (lane, o) in out.iter().enumerate() {
                        let mut v = _mm512_loadu_ps(o.as_ptr());
                        if let Some(bias) = bias {
                            v = _mm512_add_ps(_mm512_set1_ps(bias[b + lane]), v);
                        }
                        if relu {
                            // `max(v, 0)` returns its second operand for a
                            // NaN and for two zeros: `relu::relu`'s bits.
                            v = _mm512_max_ps(v, _mm512_setzero_ps());
                        }
                        let dst = &mut y[(b + lane) * p + q..][..T];
                        _mm512_mask_storeu_ps(dst.as_mut_ptr(), mask, v);
                    }
                }
            }
            oh += rows;
        }
    }
}

/// # Safety
/// AVX-512F; the lengths checked by [`Avx512::lanes_dgrad`].
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn dgrad_all(w: *const f32, gyw: *const f32, gxp: *mut f32, ocg: usize, g: &LanesGeom) {
    match (g.kh, g.kw) {
        (5, 5) => lanes::dgrad::<Avx512, 5, 5, 4>(w, gyw, ocg, g, gxp),
        _ => lanes::dgrad::<Avx512, 3, 3, 4>(w, gyw, ocg, g, gxp),
    }
}

/// # Safety
/// AVX-512F; the lengths checked by [`Avx512::lanes_wgrad`].
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn wgrad_all(x: *const f32, gyt: *const f32, acc: *mut f32, ocg: usize, g: &LanesGeom) {
    for b in (0..ocg).step_by(16) {
        // SAFETY: the caller's contract, for block `b`.
        match (g.kh, g.kw) {
            (5, 5) => lanes::wgrad::<Avx512, 5, 5>(x, gyt.add(b), ocg, g, acc.add(b)),
            _ => lanes::wgrad::<Avx512, 3, 3>(x, gyt.add(b), ocg, g, acc.add(b)),
        }
    }
}
