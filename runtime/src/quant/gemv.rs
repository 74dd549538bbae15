//! The integer product every int8 layer runs on: `acc[o] += sum_i x[i] *
//! w[o][i]` over int8 rows, in int32. The one place the instruction set of
//! the int8 path is chosen; the portable loop is the reference the others
//! must equal bit for bit (integer sums are exact, and wrap identically in
//! any order).
//!
//! The paths are the `Kernels::gemv_i8` of each instruction set (the
//! crate's ISA tokens), chosen once per call by `Isa::best`: the portable
//! loop here, AVX2, AVX-512BW and AVX512_VNNI in `crate::raw` (x86-64).

use crate::kernels::isa::{dispatch, Isa, Kernels};

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
    dispatch!(Isa::best(), |t| t.gemv_i8(x, w, wsum, acc));
}

/// One path of [`gemv_i8`] by name, for the `kernels` benchmark: not part
/// of the API.
#[doc(hidden)]
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug)]
pub struct Path(Isa);

#[cfg(feature = "std")]
impl Path {
    /// The path of `name`, if this CPU has it: `portable`, `avx2`, `avx512`
    /// (its best), `avx512bw`, `avx512vnni`.
    pub fn named(name: &str) -> Option<Self> {
        Isa::named(name).map(Path)
    }

    /// [`gemv_i8`] on this path.
    pub fn run(self, x: &[i8], w: &[i8], wsum: &[i32], acc: &mut [i32]) {
        let n = x.len();
        assert!(w.len() == n * acc.len() && wsum.len() == acc.len() && n > 0);
        dispatch!(self.0, |t| t.gemv_i8(x, w, wsum, acc));
    }
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

    /// Every instruction set this CPU has against the portable loop, bit
    /// for bit: odd lengths around the vector widths (16, 32, 64 bytes),
    /// row counts around the row tiles (4, 8), random bytes with -128 and
    /// 127 forced in, rows of -128, and accumulators that wrap.
    #[test]
    fn every_isa_equals_the_portable_loop_bit_for_bit() {
        const NS: [usize; 13] = [1, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 784];
        let mut rng = crate::Rng::new(5);
        let byte = |rng: &mut crate::Rng| (rng.below(256) as i32 - 128) as i8;
        let isas = Isa::available();
        let mut wrapped = 0;
        for n in NS {
            for rows in (1..=9).chain([128]) {
                let mut x: std::vec::Vec<i8> = (0..n).map(|_| byte(&mut rng)).collect();
                let mut w: std::vec::Vec<i8> = (0..n * rows).map(|_| byte(&mut rng)).collect();
                x[0] = -128;
                x[n - 1] = if n > 1 { 127 } else { -128 };
                w[0] = -128;
                w[n * rows - 1] = 127;
                // Row 1 (when there is one) all -128: the largest
                // products where `x` is -128.
                if rows > 1 {
                    w[n..2 * n].fill(-128);
                }
                let wsum: std::vec::Vec<i32> = w
                    .chunks_exact(n)
                    .map(|row| row.iter().map(|&v| i32::from(v)).sum())
                    .collect();
                let start: std::vec::Vec<i32> = (0..rows)
                    .map(|o| match o % 3 {
                        0 => i32::MAX - rng.below(1000) as i32,
                        1 => i32::MIN + rng.below(1000) as i32,
                        _ => rng.below(u32::MAX as usize) as i32,
                    })
                    .collect();
                let mut want = start.clone();
                portable(&x, &w, &mut want);
                for (o, (&want, &s)) in want.iter().zip(&start).enumerate() {
                    let wide = i64::from(s)
                        + w[o * n..][..n]
                            .iter()
                            .zip(&x)
                            .map(|(&w, &x)| i64::from(w) * i64::from(x))
                            .sum::<i64>();
                    assert_eq!(want, wide as i32, "portable, n={n} row {o}");
                    wrapped += usize::from(i64::from(want) != wide);
                }
                for &isa in &isas {
                    let mut acc = start.clone();
                    dispatch!(isa, |t| t.gemv_i8(&x, &w, &wsum, &mut acc));
                    assert_eq!(acc, want, "{isa:?}, n={n}, rows={rows}");
                }
                let mut acc = start.clone();
                gemv_i8(&x, &w, &wsum, &mut acc);
                assert_eq!(acc, want, "best, n={n}, rows={rows}");
            }
        }
        // Accumulators near `i32::MAX` and `i32::MIN` did wrap.
        assert!(wrapped > 100, "{wrapped} wrapped");
    }

    #[test]
    #[should_panic(expected = "gemv_i8")]
    fn mismatched_lengths_panic() {
        gemv_i8(&[1, 2], &[1, 2, 3], &[0], &mut [0]);
    }
}
