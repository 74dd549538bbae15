//! `residual { layers... }`: the block's output is its input plus what its
//! layers compute. The closing half adds the kept input back (forward); the
//! opening half adds the gradient that went around the block to the one that
//! came through it (backward). Both are one elementwise sum.

/// `out = a + b`, elementwise (all three the same length).
pub fn residual_add(a: &[f32], b: &[f32], out: &mut [f32]) {
    debug_assert!(a.len() == out.len() && b.len() == out.len());
    for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
        *o = a + b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// Each output is the f32 sum of its two inputs (exactly rounded, so an
    /// f64 sum rounded to f32 is the reference), at odd sizes.
    #[test]
    fn sums_elementwise() {
        for n in [1, 3, 63, 65] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.91).cos() / 7.0).collect();
            let mut out = vec![f32::NAN; n];
            residual_add(&a, &b, &mut out);
            for i in 0..n {
                assert_eq!(out[i], (f64::from(a[i]) + f64::from(b[i])) as f32, "n={n} i={i}");
            }
        }
    }
}
