//! Single-precision matrix products over row-major slices, without allocation.
//!
//! | function  | computes                        | used for                         |
//! |-----------|---------------------------------|----------------------------------|
//! | [`gemm_nt`] | `C[m][n] = A[m][k] * B[n][k]^T` | dense forward (`x * W^T`)        |
//! | [`gemm_tn`] | `C[m][n] = A[k][m]^T * B[k][n]` | weight gradient (`gy^T * x`)     |
//! | [`gemm_nn`] | `C[m][n] = A[m][k] * B[k][n]`   | input gradient (`gy * W`)        |
//!
//! A crate-private variant of `gemm_nn` (`gemm_nn_rows_with`) finds the rows
//! of `B` through a `Rows` grid of offsets instead of a row stride, so that a
//! convolution reads its unfolded input in place.
//!
//! [`Store`] says whether `C` is overwritten or added to. The sizes of a
//! `network!` are small enough (a few hundred KiB of weights at most) that the
//! kernels read their operands in place, with no packing: `gemm_nt` in
//! dot-product form (tiles of rows of `A` times rows of `B`, vectorised along
//! `k`), the other two in outer-product form (broadcast an element of `A`,
//! stream a row of `B`).
//!
//! Each call dispatches, with one relaxed atomic load, to the fastest path the
//! CPU has: AVX-512F or AVX2+FMA on x86-64, NEON on aarch64 (`crate::raw`,
//! detected at run time with the `std` feature, at compile time from
//! `target_feature` without), or portable safe Rust that the compiler
//! auto-vectorises, used on every other target. Results differ from a naive loop only by the order of summation.
//!
//! ```
//! use staticnet_runtime::kernels::gemm::{gemm_nt, Store};
//! let a = [1.0, 2.0, 3.0, 4.0]; // [2][2]
//! let b = [1.0, 0.0, 1.0, 1.0, 0.0, 2.0]; // [3][2]
//! let mut c = [0.0; 6]; // [2][3]
//! gemm_nt(&a, &b, &mut c, 2, 3, 2, Store::Overwrite);
//! assert_eq!(c, [1.0, 3.0, 4.0, 3.0, 7.0, 8.0]);
//! ```

use super::isa::{dispatch, Isa, Kernels};

/// What a product does with the previous contents of `C`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// `C = product` (the previous contents, even NaN, are never read).
    Overwrite,
    /// `C += product`.
    Accumulate,
}

/// What the outer-product kernels do with an element `c` of `C` and its
/// product `s`: a [`Store`], or the fused SGD step of a weight gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Out {
    /// `c = s`.
    Set,
    /// `c = c + s`.
    Add,
    /// `c = c - lr * s`: the bits of storing `s`, then `Sgd::step`.
    Descend(f32),
}

impl From<Store> for Out {
    #[inline]
    fn from(store: Store) -> Self {
        match store {
            Store::Overwrite => Out::Set,
            Store::Accumulate => Out::Add,
        }
    }
}

/// Where the rows of a `B[k][n]` operand start in its slice: row `p`, counted
/// as `(i0, i1, i2)` in a `[d0][d1][d2]` grid (`dims`), starts at `i0 s0 + i1
/// s1 + i2 s2` (`strides`). Rows may overlap: a convolution reads its im2col
/// matrix in place from the (padded) input this way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rows {
    /// The grid `[d0, d1, d2]`; `k = d0 d1 d2`.
    pub(crate) dims: [usize; 3],
    /// The offset of one step along each axis of the grid.
    pub(crate) strides: [usize; 3],
}

impl Rows {
    /// The rows of a contiguous `B[k][n]`.
    #[inline]
    pub(crate) const fn dense(k: usize, n: usize) -> Self {
        Self {
            dims: [1, 1, k],
            strides: [0, 0, n],
        }
    }

    /// Rows in all, `d0 d1 d2` (callers keep it small; saturates).
    #[inline]
    pub(crate) fn k(&self) -> usize {
        let [d0, d1, d2] = self.dims;
        d0.saturating_mul(d1).saturating_mul(d2)
    }

    /// A cursor at row 0, to walk the row starts in order without divisions.
    #[inline]
    pub(crate) const fn cursor(&self) -> RowCursor {
        RowCursor {
            rows: *self,
            at: [0, 0, 0],
            offset: 0,
        }
    }

    /// The start of row `p` (the grid index in `[d0][d1][d2]` order).
    #[cfg(test)]
    pub(crate) fn offset(&self, p: usize) -> usize {
        let [_, d1, d2] = self.dims;
        let [s0, s1, s2] = self.strides;
        (p / (d1 * d2)) * s0 + (p / d2 % d1) * s1 + (p % d2) * s2
    }

    /// One past the last element that rows of length `n` read: the largest
    /// row start plus `n`, or `None` on overflow or without rows.
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64", test))]
    pub(crate) fn span(&self, n: usize) -> Option<usize> {
        let mut end = n;
        for (&d, &s) in self.dims.iter().zip(&self.strides) {
            end = end.checked_add(d.checked_sub(1)?.checked_mul(s)?)?;
        }
        Some(end)
    }
}

/// Walks the row starts of a [`Rows`] grid in order (row `p` after `p`
/// calls of [`RowCursor::next_offset`]), with additions only.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowCursor {
    rows: Rows,
    at: [usize; 3],
    offset: usize,
}

impl RowCursor {
    /// The start of the current row; moves to the next one. Past the last
    /// row the offsets are meaningless (never used: callers stop at `k`).
    #[inline(always)]
    pub(crate) fn next_offset(&mut self) -> usize {
        let here = self.offset;
        let ([_, d1, d2], [s0, s1, s2]) = (self.rows.dims, self.rows.strides);
        self.at[2] += 1;
        self.offset = self.offset.wrapping_add(s2);
        if self.at[2] == d2 {
            self.at[2] = 0;
            self.at[1] += 1;
            self.offset = self
                .offset
                .wrapping_sub(d2.wrapping_mul(s2))
                .wrapping_add(s1);
            if self.at[1] == d1 {
                self.at[1] = 0;
                self.at[0] += 1;
                self.offset = self
                    .offset
                    .wrapping_sub(d1.wrapping_mul(s1))
                    .wrapping_add(s0);
            }
        }
        here
    }
}

/// `C[m][n] (+)= A[m][k] * B[n][k]^T`: both operands row-major along `k`.
pub fn gemm_nt(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize, store: Store) {
    gemm_nt_with(Isa::best(), a, b, c, m, n, k, store);
}

/// `C[m][n] (+)= A[k][m]^T * B[k][n]`.
pub fn gemm_tn(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize, store: Store) {
    gemm_tn_with(Isa::best(), a, b, c, m, n, k, store);
}

/// `C[m][n] (+)= A[m][k] * B[k][n]`.
pub fn gemm_nn(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize, store: Store) {
    gemm_nn_with(Isa::best(), a, b, c, m, n, k, store);
}

/// [`gemm_nt`] on the given path.
#[inline]
pub(crate) fn gemm_nt_with(
    isa: Isa,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    m: usize,
    n: usize,
    k: usize,
    store: Store,
) {
    debug_assert_eq!(a.len(), m * k, "gemm_nt: a is [m][k]");
    debug_assert_eq!(b.len(), n * k, "gemm_nt: b is [n][k]");
    debug_assert_eq!(c.len(), m * n, "gemm_nt: c is [m][n]");
    let acc = store == Store::Accumulate;
    if m == 0 || n == 0 {
        return;
    }
    if k <= 1 {
        // A rank-one (or empty) update has no dot product to vectorise; `B`
        // is then a contiguous vector along `n` (the `1 -> n` dense layer).
        return portable::rank1(a, b, c, n, k, acc);
    }
    dispatch!(isa, |t| t.nt(a, b, c, m, n, k, acc));
}

/// [`gemm_tn`] on the given path.
#[inline]
pub(crate) fn gemm_tn_with(
    isa: Isa,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    m: usize,
    n: usize,
    k: usize,
    store: Store,
) {
    debug_assert_eq!(a.len(), k * m, "gemm_tn: a is [k][m]");
    debug_assert_eq!(b.len(), k * n, "gemm_tn: b is [k][n]");
    debug_assert_eq!(c.len(), m * n, "gemm_tn: c is [m][n]");
    gemm_outer_with(isa, a, (1, m), b, c, m, n, k, store);
}

/// [`gemm_nn`] on the given path.
#[inline]
pub(crate) fn gemm_nn_with(
    isa: Isa,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    m: usize,
    n: usize,
    k: usize,
    store: Store,
) {
    debug_assert_eq!(a.len(), m * k, "gemm_nn: a is [m][k]");
    debug_assert_eq!(b.len(), k * n, "gemm_nn: b is [k][n]");
    debug_assert_eq!(c.len(), m * n, "gemm_nn: c is [m][n]");
    gemm_outer_with(isa, a, (k, 1), b, c, m, n, k, store);
}

/// `C[m][n] (+)= A[m][k] * B[k][n]` with row `p` of `B` at
/// `b[rows.offset(p)..][..n]` and `k = rows.k()` ([`Rows`]).
pub(crate) fn gemm_nn_rows_with(
    isa: Isa,
    a: &[f32],
    b: &[f32],
    rows: Rows,
    c: &mut [f32],
    m: usize,
    n: usize,
    store: Store,
) {
    let k = rows.k();
    debug_assert_eq!(a.len(), m * k, "gemm_nn_rows: a is [m][k]");
    debug_assert_eq!(c.len(), m * n, "gemm_nn_rows: c is [m][n]");
    if m == 0 || n == 0 {
        return;
    }
    dispatch!(isa, |t| t.nn_rows(a, b, rows, c, m, n, store));
}

/// `C[m][n] (+)= A[m][k] * B[n][k]^T` with row `j` of `B` at
/// `b[rows.offset(j)..][..k]` and `n = rows.k()` ([`Rows`]): a convolution's
/// weight gradient reads its unfolded input in place this way.
pub(crate) fn gemm_nt_rows_with(
    isa: Isa,
    a: &[f32],
    b: &[f32],
    rows: Rows,
    c: &mut [f32],
    m: usize,
    k: usize,
    store: Store,
) {
    let n = rows.k();
    debug_assert_eq!(a.len(), m * k, "gemm_nt_rows: a is [m][k]");
    debug_assert_eq!(c.len(), m * n, "gemm_nt_rows: c is [m][n]");
    let acc = store == Store::Accumulate;
    if m == 0 || n == 0 {
        return;
    }
    dispatch!(isa, |t| t.nt_rows(a, b, rows, c, m, k, acc));
}

/// `C[m][n] (+)= sum_{p < k} A(i, p) * B[p][n]` with `A(i, p) = a[i * rsa +
/// p * csa]`: [`gemm_nn`] and [`gemm_tn`] with any strides for `A`, such as
/// a block of columns of a transposed matrix.
pub(crate) fn gemm_outer_with(
    isa: Isa,
    a: &[f32],
    (rsa, csa): (usize, usize),
    b: &[f32],
    c: &mut [f32],
    m: usize,
    n: usize,
    k: usize,
    store: impl Into<Out>,
) {
    debug_assert!(m == 0 || k == 0 || (m - 1) * rsa + (k - 1) * csa < a.len());
    debug_assert_eq!(b.len(), k * n, "gemm_outer: b is [k][n]");
    debug_assert_eq!(c.len(), m * n, "gemm_outer: c is [m][n]");
    let out = store.into();
    if m == 0 || n == 0 {
        return;
    }
    dispatch!(isa, |t| t.outer(a, (rsa, csa), b, c, m, n, k, out));
}

/// `C[m][n] -= lr * A[k][m]^T * B[k][n]`: an SGD step on `C` with the
/// product as its gradient, which is never stored (the bits of
/// [`gemm_tn`] into a gradient, then `c -= lr * g`).
pub(crate) fn gemm_tn_descend_with(
    isa: Isa,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    m: usize,
    n: usize,
    k: usize,
    lr: f32,
) {
    debug_assert_eq!(a.len(), k * m, "gemm_tn: a is [k][m]");
    gemm_outer_with(isa, a, (1, m), b, c, m, n, k, Out::Descend(lr));
}

/// The safe path: fixed-size accumulator arrays and exact chunks, which the
/// compiler turns into the target's vector instructions (or plain FPU code).
/// Callers guarantee `n > 0` and the slice lengths.
pub(crate) mod portable {
    /// Lanes of one accumulator (two SSE registers, one AVX register).
    const L: usize = 8;

    /// `C[i][j] (+)= sum_{p < k} a[i][p] * b[j][p]` for `k <= 1`.
    pub(crate) fn rank1(a: &[f32], b: &[f32], c: &mut [f32], n: usize, k: usize, acc: bool) {
        for (i, crow) in c.chunks_exact_mut(n).enumerate() {
            let ai = if k == 1 { a[i] } else { 0.0 };
            let b = &b[..n * k];
            if acc {
                crow.iter_mut().zip(b).for_each(|(c, &b)| *c += ai * b);
            } else if k == 1 {
                crow.iter_mut().zip(b).for_each(|(c, &b)| *c = ai * b);
            } else {
                crow.fill(0.0);
            }
        }
    }

    /// Rows of `B` per pass, sharing each load of `x`: four, or two on Arm
    /// with a hard-float FPU, whose 32 single-precision registers hold the
    /// `2 x L` lane sums of two rows beside `x` and a row's values (see
    /// `crate::raw::lanes2_vfp`). The bits do not depend on it: each row's
    /// sum is computed alone, in the order of [`dots`].
    #[cfg(not(staticnet_arm_vfp))]
    const ROWS: usize = 4;
    #[cfg(staticnet_arm_vfp)]
    const ROWS: usize = 2;

    /// `C[m][n] (+)= A[m][k] * B[n][k]^T`, `k >= 1`, row `j` of `B` at
    /// `b[rows.offset(j)..][..k]`: [`ROWS`] rows of `B` at a time.
    pub(crate) fn nt(
        a: &[f32],
        b: &[f32],
        rows: super::Rows,
        c: &mut [f32],
        n: usize,
        k: usize,
        acc: bool,
    ) {
        for (x, crow) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
            let mut cursor = rows.cursor();
            let mut row = || &b[cursor.next_offset()..][..k];
            let mut cols = crow.chunks_exact_mut(ROWS);
            for cs in &mut cols {
                let sums = dots_block(core::array::from_fn(|_| row()), x);
                for (c, s) in cs.iter_mut().zip(sums) {
                    *c = if acc { *c + s } else { s };
                }
            }
            for c in cols.into_remainder() {
                let [s] = dots([row()], x);
                *c = if acc { *c + s } else { s };
            }
        }
    }

    /// [`dots`] of [`ROWS`] rows.
    #[cfg(not(staticnet_arm_vfp))]
    #[inline(always)]
    fn dots_block(rows: [&[f32]; ROWS], x: &[f32]) -> [f32; ROWS] {
        dots(rows, x)
    }

    /// [`dots`] of [`ROWS`] rows, the lane sums in `VLDMIA`/`VMLA.F32`
    /// assembly (the same bits).
    #[cfg(staticnet_arm_vfp)]
    #[inline(always)]
    fn dots_block(rows: [&[f32]; ROWS], x: &[f32]) -> [f32; ROWS] {
        let rows = rows.map(|r| &r[..x.len()]);
        finish(crate::raw::lanes2_vfp(rows, x), rows, x)
    }

    /// The dot products of `x` with each of `rows` (all of `x`'s length):
    /// [`L`] lane sums over the whole chunks of `L` ([`lanes`]), added
    /// pairwise, then the last `x.len() % L` products one by one
    /// ([`finish`]).
    #[inline(always)]
    fn dots<const R: usize>(rows: [&[f32]; R], x: &[f32]) -> [f32; R] {
        let rows = rows.map(|r| &r[..x.len()]);
        finish(lanes(rows, x), rows, x)
    }

    /// `[r][l] = sum_p x[p L + l] * rows[r][p L + l]` over the whole chunks
    /// of `L`, in the order of `p`, from 0.
    #[inline(always)]
    fn lanes<const R: usize>(rows: [&[f32]; R], x: &[f32]) -> [[f32; L]; R] {
        let mut acc = [[0.0f32; L]; R];
        for (p, xv) in x.chunks_exact(L).enumerate() {
            for (acc, row) in acc.iter_mut().zip(rows) {
                let w = &row[p * L..p * L + L];
                for l in 0..L {
                    acc[l] += xv[l] * w[l];
                }
            }
        }
        acc
    }

    /// Each row's lane sums `acc[r]` added pairwise, then the products of
    /// the last `x.len() % L` columns in order.
    #[inline(always)]
    fn finish<const R: usize>(acc: [[f32; L]; R], rows: [&[f32]; R], x: &[f32]) -> [f32; R] {
        let start = x.len() - x.len() % L;
        core::array::from_fn(|r| {
            let v = &acc[r];
            let mut s = ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
            for (&xv, &w) in x[start..].iter().zip(&rows[r][start..]) {
                s += xv * w;
            }
            s
        })
    }

    /// `C[i][..] (+)= sum_p a[i][p] * B[p][..]`, row `p` of `B` placed by `rows`.
    pub(crate) fn outer_rows(
        a: &[f32],
        b: &[f32],
        rows: super::Rows,
        c: &mut [f32],
        n: usize,
        acc: bool,
    ) {
        let ([d0, d1, d2], [s0, s1, s2]) = (rows.dims, rows.strides);
        let k = rows.k();
        for (i, crow) in c.chunks_exact_mut(n).enumerate() {
            if !acc {
                crow.fill(0.0);
            }
            let mut ap = a[i * k..][..k].iter();
            for i0 in 0..d0 {
                for i1 in 0..d1 {
                    for i2 in 0..d2 {
                        let brow = &b[i0 * s0 + i1 * s1 + i2 * s2..][..n];
                        let av = ap.next().copied().unwrap_or(0.0);
                        for (c, &b) in crow.iter_mut().zip(brow) {
                            *c += av * b;
                        }
                    }
                }
            }
        }
    }

    /// `C[i][..] (+)= sum_p A(i, p) * B[p][..]` with `A(i, p) = a[i * rs + p * cs]`
    /// (`Out::Descend`: the sums in a stack block of columns, then the step).
    pub(crate) fn outer(
        a: &[f32],
        (rs, cs): (usize, usize),
        b: &[f32],
        c: &mut [f32],
        n: usize,
        k: usize,
        out: super::Out,
    ) {
        /// Columns per block of sums for `Out::Descend`.
        const BLOCK: usize = 64;
        for (i, crow) in c.chunks_exact_mut(n).enumerate() {
            let lr = match out {
                super::Out::Set => {
                    crow.fill(0.0);
                    None
                }
                super::Out::Add => None,
                super::Out::Descend(lr) => Some(lr),
            };
            let Some(lr) = lr else {
                for (p, brow) in b.chunks_exact(n).take(k).enumerate() {
                    let ap = a[i * rs + p * cs];
                    for (c, &b) in crow.iter_mut().zip(brow) {
                        *c += ap * b;
                    }
                }
                continue;
            };
            for (j, cblock) in crow.chunks_mut(BLOCK).enumerate() {
                let mut sums = [0.0f32; BLOCK];
                let sums = &mut sums[..cblock.len()];
                for (p, brow) in b.chunks_exact(n).take(k).enumerate() {
                    let ap = a[i * rs + p * cs];
                    let brow = &brow[j * BLOCK..][..cblock.len()];
                    for (s, &b) in sums.iter_mut().zip(brow) {
                        *s += ap * b;
                    }
                }
                for (c, &s) in cblock.iter_mut().zip(&*sums) {
                    *c -= lr * s;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, random_vec, to_f64};
    use std::vec::Vec;

    /// A `Rows` grid, for the test tables.
    fn grid(dims: [usize; 3], strides: [usize; 3]) -> Rows {
        Rows { dims, strides }
    }

    /// Sizes that reach every remainder path: a single element, less than one
    /// vector, exactly one AVX-512 vector, one less and one more than four.
    const SIZES: [usize; 5] = [1, 3, 16, 63, 65];

    /// `C[i][j] = sum_p A(i, p) * B(p, j)` in f64, `A(i, p) = a[i*rsa + p*csa]`.
    fn reference(
        a: &[f32],
        (rsa, csa): (usize, usize),
        b: &[f32],
        (rsb, csb): (usize, usize),
        (m, n, k): (usize, usize, usize),
    ) -> Vec<f64> {
        let (a, b) = (to_f64(a), to_f64(b));
        let mut c = std::vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k)
                    .map(|p| a[i * rsa + p * csa] * b[p * rsb + j * csb])
                    .sum();
            }
        }
        c
    }

    /// Which product, and its operand strides in `reference` form.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Variant {
        Nt,
        Tn,
        Nn,
    }

    impl Variant {
        fn strides(self, m: usize, n: usize, k: usize) -> ((usize, usize), (usize, usize)) {
            match self {
                Variant::Nt => ((k, 1), (1, k)),
                Variant::Tn => ((1, m), (n, 1)),
                Variant::Nn => ((k, 1), (n, 1)),
            }
        }

        fn run(
            self,
            isa: Isa,
            a: &[f32],
            b: &[f32],
            c: &mut [f32],
            mnk: (usize, usize, usize),
            store: Store,
        ) {
            let (m, n, k) = mnk;
            match self {
                Variant::Nt => gemm_nt_with(isa, a, b, c, m, n, k, store),
                Variant::Tn => gemm_tn_with(isa, a, b, c, m, n, k, store),
                Variant::Nn => gemm_nn_with(isa, a, b, c, m, n, k, store),
            }
        }
    }

    /// Tolerance: f32 sums of `k` products of values in [-1, 1) in another
    /// order than the f64 reference; for `k <= 65` the rounding error stays
    /// far below `1e-5 + 1e-5 |c|`, for `k = 784` below `1e-4` absolute.
    fn tolerance(k: usize) -> (f64, f64) {
        if k <= 65 {
            (1e-5, 1e-5)
        } else {
            (1e-5, 1e-4)
        }
    }

    /// Checks one variant at one size on one path, overwriting a NaN-filled
    /// `C` and accumulating onto a random one.
    fn check(variant: Variant, isa: Isa, mnk: (usize, usize, usize)) {
        let (m, n, k) = mnk;
        let a = random_vec(1, m * k);
        let b = random_vec(2, k * n);
        let (sa, sb) = variant.strides(m, n, k);
        let want = reference(&a, sa, &b, sb, mnk);
        let (rtol, atol) = tolerance(k);
        let what = std::format!("{variant:?} {isa:?} m={m} n={n} k={k}");

        let mut c = std::vec![f32::NAN; m * n];
        variant.run(isa, &a, &b, &mut c, mnk, Store::Overwrite);
        assert_close(&std::format!("{what} overwrite"), &c, &want, rtol, atol);

        let c0 = random_vec(3, m * n);
        let mut c = c0.clone();
        variant.run(isa, &a, &b, &mut c, mnk, Store::Accumulate);
        let want: Vec<f64> = want
            .iter()
            .zip(&c0)
            .map(|(w, &c)| w + f64::from(c))
            .collect();
        assert_close(&std::format!("{what} accumulate"), &c, &want, rtol, atol);
    }

    fn check_all_sizes(variant: Variant) {
        for isa in Isa::available() {
            for m in SIZES {
                for n in SIZES {
                    for k in SIZES {
                        check(variant, isa, (m, n, k));
                    }
                }
            }
            // The MNIST layer (forward: m = batch, n = out, k = in), the
            // weight gradient (m = out, n = in, k = batch), and vectors.
            check(variant, isa, (32, 128, 784));
            check(variant, isa, (32, 10, 128));
            check(variant, isa, (128, 784, 32));
            check(variant, isa, (10, 128, 32));
            check(variant, isa, (1, 128, 784));
            check(variant, isa, (1, 784, 128));
        }
    }

    /// A vector times a matrix (`m = 1`, the batch-1 dense layer) gives the same
    /// bits wherever the matrix sits: its rows copied to every float offset of
    /// a 64-byte line (the reduction order is the elements', not the
    /// addresses'), on every path, against an f64 reference too.
    #[test]
    fn vector_product_bits_do_not_depend_on_the_address() {
        let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for (n, k) in [
            (1, 16),
            (8, 48),
            (9, 49),
            (3, 64),
            (128, 784),
            (120, 400),
            (84, 120),
            (5, 3),
            (16, 17),
        ] {
            let (a, b) = (random_vec(40, k), random_vec(41, n * k));
            let want: Vec<f64> = (0..n)
                .map(|j| {
                    (0..k)
                        .map(|p| f64::from(a[p]) * f64::from(b[j * k + p]))
                        .sum()
                })
                .collect();
            for isa in Isa::available() {
                let mut first = None;
                for off in 0..16 {
                    let mut buf = std::vec![0.0f32; n * k + 16];
                    buf[off..off + n * k].copy_from_slice(&b);
                    let mut c = std::vec![f32::NAN; n];
                    gemm_nt_with(
                        isa,
                        &a,
                        &buf[off..off + n * k],
                        &mut c,
                        1,
                        n,
                        k,
                        Store::Overwrite,
                    );
                    let what = std::format!("{isa:?} n={n} k={k} offset {off}");
                    assert_close(&what, &c, &want, 1e-5, 1e-5);
                    match &first {
                        None => first = Some(bits(&c)),
                        Some(first) => assert_eq!(&bits(&c), first, "{what}"),
                    }
                }
            }
        }
    }

    #[test]
    fn nt_matches_reference() {
        check_all_sizes(Variant::Nt);
    }

    #[test]
    fn tn_matches_reference() {
        check_all_sizes(Variant::Tn);
    }

    #[test]
    fn nn_matches_reference() {
        check_all_sizes(Variant::Nn);
    }

    #[test]
    fn nn_rows_matches_nn_on_the_gathered_rows() {
        // Overlapping rows (an im2col matrix read in place) at odd sizes, and
        // the dense layout; against `gemm_nn` (portable) on a copy of the rows.
        let cases = [
            (grid([3, 5, 5], [14 * 14, 14, 1]), 3 * 14 * 14, 136, 16),
            (grid([1, 5, 5], [0, 32, 1]), 32 * 32, 892, 6),
            (grid([2, 3, 2], [40, 9, 2]), 80, 17, 5),
            (grid([1, 1, 7], [0, 0, 65]), 7 * 65, 65, 3),
            (grid([2, 1, 3], [20, 0, 1]), 40, 1, 1),
            (grid([1, 0, 3], [0, 0, 1]), 4, 4, 2),
        ];
        for (seed, (rows, b_len, n, m)) in cases.into_iter().enumerate() {
            let k = rows.k();
            assert!(rows.span(n).is_none_or(|end| end <= b_len));
            let a = random_vec(seed as u64, m * k);
            let b = random_vec(100 + seed as u64, b_len);
            let gathered: Vec<f32> = (0..k)
                .flat_map(|p| b[rows.offset(p)..][..n].iter().copied())
                .collect();
            let mut want = std::vec![0.0; m * n];
            gemm_nn_with(
                Isa::Portable,
                &a,
                &gathered,
                &mut want,
                m,
                n,
                k,
                Store::Overwrite,
            );
            for isa in Isa::available() {
                let what = std::format!("{isa:?} {rows:?} m={m} n={n}");
                let mut c = std::vec![f32::NAN; m * n];
                gemm_nn_rows_with(isa, &a, &b, rows, &mut c, m, n, Store::Overwrite);
                let (rtol, atol) = tolerance(k);
                assert_close(&what, &c, &to_f64(&want), rtol, atol);
                gemm_nn_rows_with(isa, &a, &b, rows, &mut c, m, n, Store::Accumulate);
                let twice: Vec<f64> = want.iter().map(|&v| 2.0 * f64::from(v)).collect();
                assert_close(&(what + " accumulate"), &c, &twice, rtol, atol);
            }
        }
    }

    /// `gemm_nt_rows` (B's rows placed by a grid, overlapping) against
    /// `gemm_nt` on the gathered rows, on every path, at odd sizes.
    #[test]
    fn nt_rows_matches_nt_on_the_gathered_rows() {
        let cases = [
            // LeNet conv2's weight gradient (6 channels, 5x5, 14 wide).
            (grid([6, 5, 5], [196, 14, 1]), 6 * 196, 136, 16),
            (grid([1, 5, 5], [0, 32, 1]), 32 * 32, 892, 6),
            (grid([2, 3, 2], [40, 9, 2]), 80, 17, 5),
            (grid([1, 1, 65], [0, 0, 3]), 65 * 3 + 63, 63, 3),
            (grid([3, 1, 1], [7, 0, 0]), 21, 1, 1),
            (grid([1, 1, 1], [0, 0, 0]), 65, 65, 65),
        ];
        for (seed, (rows, b_len, k, m)) in cases.into_iter().enumerate() {
            let n = rows.k();
            assert!(rows.span(k).is_some_and(|end| end <= b_len));
            let a = random_vec(seed as u64, m * k);
            let b = random_vec(200 + seed as u64, b_len);
            let gathered: Vec<f32> = (0..n)
                .flat_map(|j| b[rows.offset(j)..][..k].iter().copied())
                .collect();
            let want = reference(&a, (k, 1), &gathered, (1, k), (m, n, k));
            for isa in Isa::available() {
                let what = std::format!("{isa:?} {rows:?} m={m} k={k}");
                let (rtol, atol) = tolerance(k);
                let mut c = std::vec![f32::NAN; m * n];
                gemm_nt_rows_with(isa, &a, &b, rows, &mut c, m, k, Store::Overwrite);
                assert_close(&what, &c, &want, rtol, atol);
                gemm_nt_rows_with(isa, &a, &b, rows, &mut c, m, k, Store::Accumulate);
                let twice: Vec<f64> = want.iter().map(|&v| 2.0 * v).collect();
                assert_close(&(what + " accumulate"), &c, &twice, rtol, 2.0 * atol);
            }
        }
    }

    /// `gemm_outer` with `A` a block of columns of a transposed matrix (as
    /// the convolution's input gradient reads it) and with plain strides.
    #[test]
    fn outer_with_strides_matches_reference() {
        for isa in Isa::available() {
            for (m, n, k) in [
                (25, 136, 16),
                (25, 892, 6),
                (1, 1, 1),
                (3, 65, 63),
                (65, 3, 1),
            ] {
                // A(i, p) = a[off + i + p * lda]: columns off.. of a [k][lda].
                let (lda, off) = (m + 7, 5);
                let a = random_vec(8, k * lda + off);
                let b = random_vec(9, k * n);
                let want = reference(&a[off..], (1, lda), &b, (n, 1), (m, n, k));
                let (rtol, atol) = tolerance(k);
                let what = std::format!("{isa:?} m={m} n={n} k={k}");
                let mut c = std::vec![f32::NAN; m * n];
                gemm_outer_with(
                    isa,
                    &a[off..],
                    (1, lda),
                    &b,
                    &mut c,
                    m,
                    n,
                    k,
                    Store::Overwrite,
                );
                assert_close(&what, &c, &want, rtol, atol);
                gemm_outer_with(
                    isa,
                    &a[off..],
                    (1, lda),
                    &b,
                    &mut c,
                    m,
                    n,
                    k,
                    Store::Accumulate,
                );
                let twice: Vec<f64> = want.iter().map(|&v| 2.0 * v).collect();
                assert_close(&(what + " accumulate"), &c, &twice, rtol, 2.0 * atol);
            }
        }
    }

    #[test]
    fn zero_sizes_are_no_ops_or_zero() {
        for isa in Isa::available() {
            for variant in [Variant::Nt, Variant::Tn, Variant::Nn] {
                let mut c = std::vec![f32::NAN; 6];
                variant.run(isa, &[], &[], &mut c, (2, 3, 0), Store::Overwrite);
                assert_eq!(c, [0.0; 6], "{variant:?} {isa:?}: k = 0 overwrites with 0");
                let b = [1.0; 12];
                variant.run(isa, &[], &b, &mut [], (0, 3, 4), Store::Overwrite);
            }
        }
    }

    /// The vector-times-matrix path (`m = 1`) aligns its loads of `B` with a
    /// partial first vector: every start offset of `B` (and of `A`) within a
    /// 64-byte line, with `k` a multiple of the vector width or not.
    #[test]
    fn nt_vector_at_every_alignment() {
        for isa in Isa::available() {
            for (n, k) in [
                (1, 1),
                (3, 5),
                (9, 16),
                (9, 17),
                (17, 40),
                (10, 128),
                (9, 784),
            ] {
                let a0 = random_vec(6, k + 16);
                let b0 = random_vec(7, n * k + 16);
                for off in 0..16 {
                    let (a, b) = (&a0[off / 3..off / 3 + k], &b0[off..off + n * k]);
                    let want = reference(a, (k, 1), b, (1, k), (1, n, k));
                    let mut c = std::vec![f32::NAN; n];
                    gemm_nt_with(isa, a, b, &mut c, 1, n, k, Store::Overwrite);
                    let (rtol, atol) = tolerance(k);
                    let what = std::format!("{isa:?} n={n} k={k} offset={off}");
                    assert_close(&what, &c, &want, rtol, atol);
                }
            }
        }
    }

    /// Split over 2 and 3 threads (`crate::threads`), the products give the
    /// same bits as on one thread, on every path, at sizes above the split
    /// threshold with odd remainders.
    #[test]
    fn threads_give_the_same_bits() {
        let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let jobs = crate::threads::split_jobs;
        let jobs_before = jobs();
        for isa in Isa::available() {
            for (variant, (m, n, k)) in [
                (Variant::Nt, (32, 128, 784)),
                (Variant::Nt, (1, 128, 784)),
                (Variant::Nt, (5, 65, 400)),
                (Variant::Tn, (128, 784, 32)),
                (Variant::Tn, (63, 65, 33)),
                (Variant::Nn, (32, 784, 128)),
            ] {
                let a = random_vec(10, m * k);
                let b = random_vec(11, k * n);
                let c0 = random_vec(12, m * n);
                let run = |threads: usize, store: Store| {
                    crate::threads::set_threads(threads);
                    let mut c = c0.clone();
                    variant.run(isa, &a, &b, &mut c, (m, n, k), store);
                    crate::threads::set_threads(1);
                    c
                };
                for store in [Store::Overwrite, Store::Accumulate] {
                    let one = bits(&run(1, store));
                    for threads in [2, 3] {
                        let what =
                            std::format!("{variant:?} {isa:?} {m}x{n}x{k} {store:?} {threads}");
                        assert_eq!(bits(&run(threads, store)), one, "{what}");
                    }
                }
                // The fused SGD step of a weight gradient (`Out::Descend`).
                if variant == Variant::Tn {
                    let descend = |threads: usize| {
                        crate::threads::set_threads(threads);
                        let mut c = c0.clone();
                        gemm_tn_descend_with(isa, &a, &b, &mut c, m, n, k, 0.3);
                        crate::threads::set_threads(1);
                        bits(&c)
                    };
                    let one = descend(1);
                    for threads in [2, 3] {
                        let what = std::format!("descend {isa:?} {m}x{n}x{k} {threads}");
                        assert_eq!(descend(threads), one, "{what}");
                    }
                }
            }
        }
        // The x86 paths split (a job only runs serially while another test's
        // job holds the pool, so most of these ran on threads).
        let cpus = std::thread::available_parallelism().map_or(1, |c| c.get());
        if Isa::available().len() > 1 && cpus > 1 {
            assert!(jobs() > jobs_before, "no product ran on several threads");
        }
    }

    /// The fused SGD step of a weight gradient (`gemm_tn_descend_with`)
    /// takes the bits of the product stored, then `p -= lr * g`, on every
    /// path (both AVX-512 schedules included), at the W2 and odd sizes.
    #[test]
    fn descend_gives_the_bits_of_product_then_step() {
        let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for isa in Isa::available() {
            for (m, n, k) in [(128, 784, 32), (10, 128, 32), (63, 65, 33), (1, 3, 1)] {
                let a = random_vec(13, k * m);
                let b = random_vec(14, k * n);
                let w = random_vec(15, m * n);
                let mut g = std::vec![0.0; m * n];
                gemm_tn_with(isa, &a, &b, &mut g, m, n, k, Store::Overwrite);
                let mut unfused = w.clone();
                for (p, g) in unfused.iter_mut().zip(&g) {
                    *p -= 0.3 * g;
                }
                let mut fused = w.clone();
                gemm_tn_descend_with(isa, &a, &b, &mut fused, m, n, k, 0.3);
                let what = std::format!("{isa:?} {m}x{n}x{k}");
                assert_eq!(bits(&fused), bits(&unfused), "{what}");
            }
        }
    }

    /// Every AVX-512 CPU runs both f32 schedules in these tests (the packed
    /// one of Intel cores and the in-place one), so neither goes untested.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn both_avx512_schedules_are_tested() {
        use crate::raw::Schedule;
        let schedules: Vec<Schedule> = Isa::available()
            .into_iter()
            .filter_map(|isa| match isa {
                Isa::Avx512(t) => Some(t.schedule()),
                _ => None,
            })
            .collect();
        if !schedules.is_empty() {
            assert!(schedules.contains(&Schedule::Packed));
            assert!(schedules.contains(&Schedule::InPlace));
        }
    }

    /// `matrixmultiply` agrees at the large sizes (a second, independent oracle).
    #[test]
    fn matches_matrixmultiply() {
        for isa in Isa::available() {
            for (variant, (m, n, k)) in [
                (Variant::Nt, (32, 128, 784)),
                (Variant::Nt, (1, 128, 784)),
                (Variant::Tn, (128, 784, 32)),
                (Variant::Nn, (32, 784, 128)),
            ] {
                let a = random_vec(4, m * k);
                let b = random_vec(5, k * n);
                let (sa, sb) = variant.strides(m, n, k);
                let mut want = std::vec![0.0f32; m * n];
                crate::raw::sgemm_oracle(m, k, n, &a, sa, &b, sb, &mut want);
                let mut got = std::vec![f32::NAN; m * n];
                variant.run(isa, &a, &b, &mut got, (m, n, k), Store::Overwrite);
                let (rtol, atol) = tolerance(k);
                assert_close(
                    &std::format!("{variant:?} {isa:?} vs sgemm"),
                    &got,
                    &to_f64(&want),
                    rtol,
                    2.0 * atol,
                );
            }
        }
    }
}
