//! Stride-1 convolution tiles with the output channels in the vector lanes
//! (`crate::kernels::conv2d::lanes`): every output position is computed
//! once (no padded columns, unlike the wide product), and the weight
//! gradient sums over positions into registers (no horizontal sums).
//!
//! One sample and group, one block of `S::W` output channels. The input `x`
//! is `[cin][hp][wp]` (padded already), the taps are `(c, kh, kw)` in
//! PyTorch's order, and the matrices with a lane dimension are row-major
//! with rows of `ld` floats (`ld` = the group's output channels; the block
//! is a column offset the caller applies to the pointer).
//!
//! - [`forward`]: `R x T` output positions (`R` rows of `T` consecutive
//!   columns) in `R T` accumulators; per tap, one load of the transposed
//!   weights and `R T` broadcasts of the input.
//! - [`wgrad`]: the `KH x KW` taps of one input channel in `KH KW`
//!   accumulators; per output position, one load of the transposed output
//!   gradient and `KH KW` broadcasts of the input.

use super::Simd;
use crate::kernels::conv2d::LanesGeom;

/// `out[(r T + t) W ..][..W]` = `sum_{c, kh, kw} x[c][oh + r + kh][t0 + t +
/// kw] * wt[((c kh_n + kh) kw_n + kw) ld ..][..W]`, in that order of taps,
/// for `r < R`, `t < T`.
///
/// # Safety
/// The CPU has the features of `S`; `oh + R - 1 + kh_n - 1 < hp`, `t0 + T -
/// 1 + kw_n - 1 < wp`, `x` holds `cin hp wp` floats, `wt` holds `(cin kh_n
/// kw_n - 1) ld + W` floats, `out` holds `R T W`.
#[inline(always)]
pub(in crate::raw) unsafe fn forward<S: Simd, const R: usize, const T: usize>(
    x: *const f32,
    wt: *const f32,
    ld: usize,
    g: &LanesGeom,
    oh: usize,
    t0: usize,
    out: *mut f32,
) {
    let mut acc = [[S::zero(); T]; R];
    let plane = g.hp * g.wp;
    let mut w = wt;
    for c in 0..g.cin {
        for kh in 0..g.kh {
            let row = x.add(c * plane + (oh + kh) * g.wp + t0);
            for kw in 0..g.kw {
                let wv = S::load(w);
                w = w.add(ld);
                for (r, acc) in acc.iter_mut().enumerate() {
                    let p = row.add(r * g.wp + kw);
                    for (t, a) in acc.iter_mut().enumerate() {
                        *a = S::fma(S::splat(*p.add(t)), wv, *a);
                    }
                }
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        for (t, a) in acc.iter().enumerate() {
            S::store(out.add((r * T + t) * S::W), *a);
        }
    }
}

/// `acc[((c KH + kh) KW + kw) ld ..][..W] += sum_{oh, ow} x[c][oh +
/// kh][ow + kw] * gyt[(oh out_w + ow) ld ..][..W]`, positions in row-major
/// order, for every `c < cin`.
///
/// # Safety
/// The CPU has the features of `S`; `g.kh == KH`, `g.kw == KW`, `out_h +
/// KH - 1 <= hp`, `out_w + KW - 1 <= wp`, `x` holds `cin hp wp` floats,
/// `gyt` holds `(out_h out_w - 1) ld + W`, `acc` holds `(cin KH KW - 1) ld
/// + W`.
#[inline(always)]
pub(in crate::raw) unsafe fn wgrad<S: Simd, const KH: usize, const KW: usize>(
    x: *const f32,
    gyt: *const f32,
    ld: usize,
    g: &LanesGeom,
    acc: *mut f32,
) {
    debug_assert!(g.kh == KH && g.kw == KW);
    let plane = g.hp * g.wp;
    for c in 0..g.cin {
        let at = acc.add(c * KH * KW * ld);
        let mut v = [[S::zero(); KW]; KH];
        for (kh, v) in v.iter_mut().enumerate() {
            for (kw, v) in v.iter_mut().enumerate() {
                *v = S::load(at.add((kh * KW + kw) * ld));
            }
        }
        let mut gp = gyt;
        for oh in 0..g.out_h {
            let row = x.add(c * plane + oh * g.wp);
            for ow in 0..g.out_w {
                let gv = S::load(gp);
                gp = gp.add(ld);
                for (kh, v) in v.iter_mut().enumerate() {
                    let p = row.add(kh * g.wp + ow);
                    for (kw, v) in v.iter_mut().enumerate() {
                        *v = S::fma(S::splat(*p.add(kw)), gv, *v);
                    }
                }
            }
        }
        for (kh, v) in v.iter().enumerate() {
            for (kw, v) in v.iter().enumerate() {
                S::store(at.add((kh * KW + kw) * ld), *v);
            }
        }
    }
}

/// `gxp[c][kh wp + kw + q] += sum_{oc < ocg} w[oc k + (c KH + kh) KW + kw]
/// gyw[oc len + q]` for every `c < cin`, `kh < KH`, `kw < KW`, `q < len`
/// (`k = cin KH KW`, `len = wide_len`): the input gradient from the wide
/// output gradient, with no unfolded gradient in memory.
///
/// Tiles of the `KW` taps of one kernel row times `NR` vectors of columns
/// (then single vectors, then a partial one), each summed over the output
/// channels. Tap `kw`'s sums belong `kw` floats further on, so the tile
/// shifts them into place in registers (`Simd::shift`) and adds them up,
/// and each vector of `gxp` is read and written once per kernel row: `NR`
/// vectors a tile, the last `KW - 1` lanes carried into the next tile.
/// (Adding each tap's row at its own offset measured half an FMA a cycle:
/// every load overlapped the previous row's store by all but one float.)
///
/// # Safety
/// The CPU has the features of `S`, `S::W >= KW`; `g.kh == KH`, `g.kw ==
/// KW`, `out_h + KH - 1 <= hp`, `out_w + KW - 1 <= wp`, `len = (out_h - 1)
/// wp + out_w`; `w` holds `ocg k` floats, `gyw` `ocg len`, `gxp` `cin hp
/// wp`.
#[inline(always)]
pub(in crate::raw) unsafe fn dgrad<S: Simd, const KH: usize, const KW: usize, const NR: usize>(
    w: *const f32,
    gyw: *const f32,
    ocg: usize,
    g: &LanesGeom,
    gxp: *mut f32,
) {
    let len = (g.out_h - 1) * g.wp + g.out_w;
    let k = g.cin * KH * KW;
    for c in 0..g.cin {
        for kh in 0..KH {
            let wr = w.add((c * KH + kh) * KW);
            let out = gxp.add(c * g.hp * g.wp + kh * g.wp);
            let mut carry = S::zero();
            let mut q = 0;
            while q + NR * S::W <= len {
                let tile = dgrad_sums::<S, KW, NR, false>(wr, k, gyw.add(q), len, ocg, 0);
                carry = dgrad_add::<S, KW, NR>(&tile, carry, out.add(q), NR * S::W);
                q += NR * S::W;
            }
            while q + S::W <= len {
                let tile = dgrad_sums::<S, KW, 1, false>(wr, k, gyw.add(q), len, ocg, 0);
                carry = dgrad_add::<S, KW, 1>(&tile, carry, out.add(q), S::W);
                q += S::W;
            }
            if q < len {
                let tile = dgrad_sums::<S, KW, 1, true>(wr, k, gyw.add(q), len, ocg, len - q);
                let cols = (len - q + KW - 1).min(S::W);
                carry = dgrad_add::<S, KW, 1>(&tile, carry, out.add(q), cols);
                q += S::W;
            }
            // The carry's lanes below `KW - 1` past the last column written
            // (`q` rounded up to a vector): what remains of the row's sums.
            let rest = (len + KW - 1).saturating_sub(q);
            if rest > 0 {
                let at = out.add(q);
                S::store_part(at, rest, S::add(S::load_part(at, rest), carry));
            }
        }
    }
}

/// `[kw][j]`: `sum_oc wr[oc k + kw] gyw[oc len + j W ..][..W]` (with
/// `PART`, `NR = 1` and the lanes past `part` zero).
#[inline(always)]
unsafe fn dgrad_sums<S: Simd, const KW: usize, const NR: usize, const PART: bool>(
    wr: *const f32,
    k: usize,
    gyw: *const f32,
    len: usize,
    ocg: usize,
    part: usize,
) -> [[S::V; NR]; KW] {
    let mut s = [[S::zero(); NR]; KW];
    let mut gv = [S::zero(); NR];
    for oc in 0..ocg {
        let row = gyw.add(oc * len);
        for (j, gv) in gv.iter_mut().enumerate() {
            *gv = if PART {
                S::load_part(row, part)
            } else {
                S::load(row.add(j * S::W))
            };
        }
        let wo = wr.add(oc * k);
        for (kw, s) in s.iter_mut().enumerate() {
            let wv = S::splat(*wo.add(kw));
            for (s, &gv) in s.iter_mut().zip(&gv) {
                *s = S::fma(wv, gv, *s);
            }
        }
    }
    s
}

/// Adds a tile's sums to `out[..cols]` (`cols <= NR W`; vector `j` of the
/// output takes row `kw`'s vector `j` shifted up `kw` lanes, the top of
/// vector `j - 1` below, and `carry` in vector 0) and returns the new carry:
/// the top `kw` lanes of each row's last vector, in lanes `0..KW - 1`.
#[inline(always)]
unsafe fn dgrad_add<S: Simd, const KW: usize, const NR: usize>(
    s: &[[S::V; NR]; KW],
    carry: S::V,
    out: *mut f32,
    cols: usize,
) -> S::V {
    let zero = S::zero();
    for j in 0..NR {
        let mut v = s[0][j];
        for (kw, row) in s.iter().enumerate().skip(1) {
            let below = if j == 0 { zero } else { row[j - 1] };
            v = S::add(v, S::shift(below, row[j], S::W - kw));
        }
        if j == 0 {
            v = S::add(v, carry);
        }
        let at = out.add(j * S::W);
        let n = cols.saturating_sub(j * S::W).min(S::W);
        if n == S::W {
            S::store(at, S::add(S::load(at), v));
        } else if n > 0 {
            S::store_part(at, n, S::add(S::load_part(at, n), v));
        }
    }
    let mut next = zero;
    for (kw, row) in s.iter().enumerate().skip(1) {
        next = S::add(next, S::shift(row[NR - 1], zero, S::W - kw));
    }
    next
}
