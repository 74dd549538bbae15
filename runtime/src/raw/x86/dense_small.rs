//! An SSE2 kernel (x86-64 baseline, no detection) for one sample of a
//! small dense layer (compiled only when `target_feature = "sse2"`).

use super::fits;
use core::arch::x86_64::*;

/// `y[o] = bias[o] + x . weight[o]` for one sample of a small dense layer
/// (`weight` is `[out][inp]`), in SSE2, which every x86-64 CPU has: no
/// detection, no `#[target_feature]` call, so it inlines into the generated
/// `forward` and specialises to its literal sizes. Four rows at a time, one
/// 4-lane accumulator each, the four sums transposed into one vector. The
/// portable loop shapes tried (1, 2, 4 or 8 rows at a time, 4 or 8 lanes,
/// outer-product form) measured slower on the 1-16-16-1 network's forward
/// (W5, see `docs/performance.md`), as the compiler vectorised the 16x16
/// layer across rows with scalar gathers, or reduced each row on its own.
#[inline(always)]
pub(crate) fn dense_small_sse2(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    inp: usize,
    out: usize,
) {
    assert!(x.len() >= inp && y.len() >= out && fits(weight.len(), out, inp));
    let bias = bias.map(|b| &b[..out]);
    let mut o = 0;
    while o + 4 <= out {
        // SAFETY: SSE2 is enabled at compile time (the `cfg` above). Rows
        // `o .. o + 4 <= out` of `weight` end at `(o + 4) * inp <= out * inp
        // <= weight.len()`, and `sse2_dots` reads `x[..inp]`, `x.len() >=
        // inp`, both checked by the assert above.
        let mut s = unsafe { sse2_dots::<4>(x.as_ptr(), weight.as_ptr().add(o * inp), inp) };
        if let Some(b) = bias {
            // SAFETY: `b[o..o + 4]` is in bounds, `b.len() == out >= o + 4`.
            s = unsafe { _mm_add_ps(s, _mm_loadu_ps(b.as_ptr().add(o))) };
        }
        // SAFETY: `y[o..o + 4]` is in bounds, `y.len() >= out >= o + 4`.
        unsafe { _mm_storeu_ps(y.as_mut_ptr().add(o), s) };
        o += 4;
    }
    while o < out {
        // SAFETY: as above, for the one row `o < out`.
        let s = unsafe {
            _mm_cvtss_f32(sse2_dots::<1>(
                x.as_ptr(),
                weight.as_ptr().add(o * inp),
                inp,
            ))
        };
        y[o] = s + bias.map_or(0.0, |b| b[o]);
        o += 1;
    }
}

/// The dot products of `x[..k]` with the `R` (1 or 4) rows of length `k` at
/// `w`, in the first `R` lanes.
///
/// # Safety
/// SSE2 is enabled; `x[..k]` and `w[..R * k]` are readable.
#[inline(always)]
unsafe fn sse2_dots<const R: usize>(x: *const f32, w: *const f32, k: usize) -> __m128 {
    let mut a = [_mm_setzero_ps(); R];
    let mut p = 0;
    while p + 4 <= k {
        let xv = _mm_loadu_ps(x.add(p));
        for r in 0..R {
            a[r] = _mm_add_ps(a[r], _mm_mul_ps(xv, _mm_loadu_ps(w.add(r * k + p))));
        }
        p += 4;
    }
    let mut s = if R == 4 {
        // Transpose-reduce: lane r = the sum of the lanes of a[r].
        let s01 = _mm_add_ps(_mm_unpacklo_ps(a[0], a[1]), _mm_unpackhi_ps(a[0], a[1]));
        let s23 = _mm_add_ps(_mm_unpacklo_ps(a[2], a[3]), _mm_unpackhi_ps(a[2], a[3]));
        _mm_add_ps(_mm_movelh_ps(s01, s23), _mm_movehl_ps(s23, s01))
    } else {
        let v = _mm_add_ps(a[0], _mm_movehl_ps(a[0], a[0]));
        _mm_add_ss(v, _mm_shuffle_ps::<1>(v, v))
    };
    if p < k {
        let mut t = [0.0f32; 4];
        for r in 0..R {
            for q in p..k {
                t[r] += *x.add(q) * *w.add(r * k + q);
            }
        }
        s = _mm_add_ps(s, _mm_loadu_ps(t.as_ptr()));
    }
    s
}
