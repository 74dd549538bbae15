//! A NEON kernel (aarch64 baseline, no detection) for one sample of a small
//! dense layer (compiled only when `target_feature = "neon"`), with the
//! bits of the portable loop.

use crate::raw::fits;
use core::arch::aarch64::*;

/// `y[o] = bias[o] + x . weight[o]` for one sample of a small dense layer
/// (`weight` is `[out][inp]`), in NEON, which every aarch64 CPU has: no
/// detection, no `#[target_feature]` call, so it inlines into the generated
/// `forward` and specialises to its literal sizes (as `dense_small_sse2` on
/// x86-64). Four rows at a time, one 4-lane accumulator each, reduced by a
/// transpose into one vector.
///
/// The bits are those of `dense::small_portable`: per lane `acc += x * w`
/// (a multiply, then an add: no FMA), each row's lanes summed as `(l0 + l2)
/// + (l1 + l3)`, then the leftover `inp % 4` products added one by one,
/// then the bias (`0.0` without one) plus the sum.
#[inline(always)]
pub(crate) fn dense_small_neon(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    inp: usize,
    out: usize,
) {
    assert!(x.len() >= inp && y.len() >= out && fits(weight.len(), out, inp));
    let (x, y) = (&x[..inp], &mut y[..out]);
    let bias = bias.map(|b| &b[..out]);
    let split = inp - inp % 4;
    let mut o = 0;
    while o + 4 <= out {
        let rows = &weight[o * inp..(o + 4) * inp];
        // SAFETY: NEON is enabled at compile time (the `cfg` above), and
        // `dots` reads `x[..split]` and rows `0..4` of `rows`, `4 * inp`
        // long, up to `split <= inp` in each.
        let s = unsafe { dots4(x.as_ptr(), rows.as_ptr(), inp, split) };
        let mut sums = [0.0f32; 4];
        // SAFETY: `sums` holds four `f32`s.
        unsafe { vst1q_f32(sums.as_mut_ptr(), s) };
        for (r, s) in sums.iter_mut().enumerate() {
            let row = &rows[r * inp..][..inp];
            for (&xv, &wv) in x[split..].iter().zip(&row[split..]) {
                *s += xv * wv;
            }
        }
        for (r, (yo, s)) in y[o..o + 4].iter_mut().zip(sums).enumerate() {
            *yo = bias.map_or(0.0, |b| b[o + r]) + s;
        }
        o += 4;
    }
    for (o, yo) in y.iter_mut().enumerate().skip(o) {
        let row = &weight[o * inp..][..inp];
        // SAFETY: NEON is enabled, and `dot1` reads `x[..split]` and
        // `row[..split]`, `split <= inp`.
        let mut s = unsafe { dot1(x.as_ptr(), row.as_ptr(), split) };
        for (&xv, &wv) in x[split..].iter().zip(&row[split..]) {
            s += xv * wv;
        }
        *yo = bias.map_or(0.0, |b| b[o]) + s;
    }
}

/// Lane `r`: the four-lane dot product of `x[..split]` with row `r` of the
/// four rows of length `k` at `w`, each reduced as `(l0 + l2) + (l1 + l3)`.
///
/// # Safety
/// NEON is enabled; `split` is a multiple of 4; `x[..split]` and the first
/// `split` elements of the rows at `w + r * k`, `r < 4`, are readable.
#[inline(always)]
unsafe fn dots4(x: *const f32, w: *const f32, k: usize, split: usize) -> float32x4_t {
    let mut a = [vdupq_n_f32(0.0); 4];
    let mut p = 0;
    while p < split {
        let xv = vld1q_f32(x.add(p));
        for (r, a) in a.iter_mut().enumerate() {
            *a = vaddq_f32(*a, vmulq_f32(xv, vld1q_f32(w.add(r * k + p))));
        }
        p += 4;
    }
    // [a0 l0+l2, a1 l0+l2, a0 l1+l3, a1 l1+l3], and the same for a2, a3.
    let s01 = vaddq_f32(vzip1q_f32(a[0], a[1]), vzip2q_f32(a[0], a[1]));
    let s23 = vaddq_f32(vzip1q_f32(a[2], a[3]), vzip2q_f32(a[2], a[3]));
    vaddq_f32(
        vcombine_f32(vget_low_f32(s01), vget_low_f32(s23)),
        vcombine_f32(vget_high_f32(s01), vget_high_f32(s23)),
    )
}

/// The four-lane dot product of `x[..split]` with `w[..split]`, reduced as
/// `(l0 + l2) + (l1 + l3)`.
///
/// # Safety
/// NEON is enabled; `split` is a multiple of 4; `x[..split]` and
/// `w[..split]` are readable.
#[inline(always)]
unsafe fn dot1(x: *const f32, w: *const f32, split: usize) -> f32 {
    let mut a = vdupq_n_f32(0.0);
    let mut p = 0;
    while p < split {
        a = vaddq_f32(a, vmulq_f32(vld1q_f32(x.add(p)), vld1q_f32(w.add(p))));
        p += 4;
    }
    // [l0 + l2, l1 + l3, ..]
    let t = vaddq_f32(a, vextq_f32::<2>(a, a));
    vgetq_lane_f32::<0>(t) + vgetq_lane_f32::<1>(t)
}
