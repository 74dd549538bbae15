//! The integer product every int8 layer runs on: `acc[o] += sum_i x[i] *
//! w[o][i]` over int8 rows, in int32. The one place the instruction set of
//! the int8 path is chosen; the portable loop is the reference the others
//! must equal bit for bit (integer sums are exact, and wrap identically in
//! any order).

/// `acc[o] = acc[o] + sum_i x[i] * w[o * n + i]` for `n = x.len()`,
/// wrapping. `wsum[o]` is the sum of row `o`, for paths that offset `x` to
/// unsigned values (`vpdpbusd`). Panics if `w` is not `acc.len()` rows of
/// `n` or `wsum` is not one per row.
#[inline]
pub fn gemv_i8(x: &[i8], w: &[i8], wsum: &[i32], acc: &mut [i32]) {
    let n = x.len();
    assert!(
        w.len() == n * acc.len() && wsum.len() == acc.len(),
        "gemv_i8: {} weights and {} row sums for {} rows of {n}",
        w.len(),
        wsum.len(),
        acc.len()
    );
    if n == 0 {
        return;
    }
    // Cortex-M4/M7: the DSP extension's dual 16-bit multiply-accumulate.
    #[cfg(staticnet_arm_dsp)]
    crate::raw::gemv_i8_dsp(x, w, acc);
    #[cfg(not(staticnet_arm_dsp))]
    portable(x, w, acc);
}

/// The portable path: one row at a time, four independent sums so the
/// compiler can vectorise without reassociating (integer sums are exact
/// anyway).
#[cfg_attr(
    staticnet_arm_dsp,
    allow(dead_code, reason = "the DSP path replaces it on Cortex-M4/M7")
)]
pub(crate) fn portable(x: &[i8], w: &[i8], acc: &mut [i32]) {
    let n = x.len();
    for (acc, row) in acc.iter_mut().zip(w.chunks_exact(n)) {
        *acc = acc.wrapping_add(dot(x, row));
    }
}

/// `sum_i a[i] * b[i]`, wrapping.
#[inline]
#[cfg_attr(
    staticnet_arm_dsp,
    allow(dead_code, reason = "the DSP path replaces it on Cortex-M4/M7")
)]
pub(crate) fn dot(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).fold(0i32, |s, (&a, &b)| {
        s.wrapping_add(i32::from(a) * i32::from(b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemv_equals_a_wide_sum_at_odd_sizes_and_extremes() {
        let mut rng = crate::Rng::new(21);
        for (n, rows) in [
            (1, 1),
            (3, 5),
            (17, 3),
            (63, 7),
            (64, 1),
            (65, 9),
            (784, 11),
        ] {
            let mut x = [0i8; 784];
            let mut w = [0i8; 784 * 11];
            for v in x[..n].iter_mut() {
                *v = (rng.below(256) as i32 - 128) as i8;
            }
            for v in w[..n * rows].iter_mut() {
                *v = (rng.below(256) as i32 - 128) as i8;
            }
            // The extremes: -128 * -128 summed, the largest products.
            x[0] = -128;
            w[0] = -128;
            let wsum: [i32; 11] =
                core::array::from_fn(|o| (0..n).map(|i| i32::from(w[o * n + i])).sum());
            let mut acc = [7i32; 11];
            gemv_i8(&x[..n], &w[..n * rows], &wsum[..rows], &mut acc[..rows]);
            for (o, &a) in acc[..rows].iter().enumerate() {
                let want: i64 = 7
                    + (0..n)
                        .map(|i| i64::from(x[i]) * i64::from(w[o * n + i]))
                        .sum::<i64>();
                assert_eq!(i64::from(a), want, "n={n} row {o}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "gemv_i8")]
    fn mismatched_lengths_panic() {
        gemv_i8(&[1, 2], &[1, 2, 3], &[0], &mut [0]);
    }
}
