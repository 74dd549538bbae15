//! The safe entry points of the matrix products (slice lengths checked,
//! work split over the kernel threads) and their `#[target_feature]`
//! functions, both generated per token from one body (`instances!`).

/// The safe entry points of one token: check the slice lengths, then call the
/// `#[target_feature]` functions (`$nt`, `$outer`).
macro_rules! entry_points {
    ($token:ty, $nt:ident, $outer:ident) => {
        impl $token {
            /// `C[m][n] (+)= A[m][k] * B[n][k]^T`.
            #[inline]
            pub(super) fn gemm_nt(
                self,
                a: &[f32],
                b: &[f32],
                c: &mut [f32],
                m: usize,
                n: usize,
                k: usize,
                acc: bool,
            ) {
                assert!(
                    $crate::raw::fits(a.len(), m, k)
                        && $crate::raw::fits(b.len(), n, k)
                        && $crate::raw::fits(c.len(), m, n)
                );
                // Columns split in multiples of 8, the widest tile of rows of
                // `B` (so every element is summed as on one thread).
                let parts = $crate::threads::parts(m * n * k, n / 8);
                let (a, b, c) = (
                    $crate::raw::Shared::new(a.as_ptr()),
                    $crate::raw::Shared::new(b.as_ptr()),
                    $crate::raw::Shared::new(c.as_mut_ptr()),
                );
                $crate::threads::par(parts, &|t| {
                    let (j0, j1) = $crate::threads::range(n, parts, t, 8);
                    let (a, b, c) = (a.get().cast_const(), b.get().cast_const(), c.get());
                    // SAFETY: `self` proves the CPU features of `$nt`. `nt`
                    // reads rows `i < m` of `a` at `i * k .. i * k + k`,
                    // within `m * k <= a.len()`; rows `j0 <= j < j1 <= n` of
                    // `b` within `n * k <= b.len()`; writes `c[i * n + j]`,
                    // `i < m`, `j0 <= j < j1`, within `m * n <= c.len()`, all
                    // checked above (`b` is only read through `Shared`). The
                    // parts' column ranges are disjoint, so no element of
                    // `c` is written by two threads.
                    unsafe { $nt(a, b.add(j0 * k), None, c.add(j0), n, m, j1 - j0, k, acc) }
                });
            }

            /// `C[m][n] (+)= A[m][k] * B[n][k]^T` with row `j` of `B` at
            /// `b[rows.offset(j)..][..k]`, `n = rows.k()`.
            #[inline]
            pub(super) fn gemm_nt_rows(
                self,
                a: &[f32],
                b: &[f32],
                rows: $crate::kernels::gemm::Rows,
                c: &mut [f32],
                m: usize,
                k: usize,
                acc: bool,
            ) {
                let n = rows.k();
                assert!($crate::raw::fits(a.len(), m, k) && $crate::raw::fits(c.len(), m, n));
                assert!(n == 0 || rows.span(k).is_some_and(|end| end <= b.len()));
                // SAFETY: `self` proves the CPU features of `$nt`. Rows `i <
                // m` of `a` are read at `i * k .. i * k + k`, within `m * k <=
                // a.len()`; row `j < n` of `B` at `b[rows.offset(j) + p]`, `p
                // < k`, below `rows.span(k)` (the largest offset plus `k`,
                // computed without overflow) `<= b.len()`; `c[i * n + j]` is
                // below `m * n <= c.len()`. All checked above.
                unsafe {
                    $nt(
                        a.as_ptr(),
                        b.as_ptr(),
                        Some(rows),
                        c.as_mut_ptr(),
                        n,
                        m,
                        n,
                        k,
                        acc,
                    )
                }
            }

            /// `C[m][n] (+)= sum_p A(i, p) * B[p][n]` with `A(i, p) = a[i *
            /// rsa + p * csa]`, `p < k`.
            #[inline]
            pub(super) fn gemm_outer(
                self,
                a: &[f32],
                (rsa, csa): (usize, usize),
                b: &[f32],
                c: &mut [f32],
                m: usize,
                n: usize,
                k: usize,
                out: $crate::kernels::gemm::Out,
            ) {
                let last_a = (m.max(1) - 1)
                    .checked_mul(rsa)
                    .zip((k.max(1) - 1).checked_mul(csa))
                    .and_then(|(i, p)| i.checked_add(p));
                assert!(m == 0 || k == 0 || last_a.is_some_and(|last| last < a.len()));
                assert!($crate::raw::fits(b.len(), k, n) && $crate::raw::fits(c.len(), m, n));
                // Rows split in multiples of 12 (the row tiles of both paths;
                // each element is summed in the same order for any split).
                let parts = $crate::threads::parts(m * n * k, m / 12);
                let (a, b, c) = (
                    $crate::raw::Shared::new(a.as_ptr()),
                    $crate::raw::Shared::new(b.as_ptr()),
                    $crate::raw::Shared::new(c.as_mut_ptr()),
                );
                $crate::threads::par(parts, &|t| {
                    let (i0, i1) = $crate::threads::range(m, parts, t, 12);
                    let (a, b, c) = (a.get().cast_const(), b.get().cast_const(), c.get());
                    // SAFETY: `self` proves the CPU features of `$outer`.
                    // `outer` reads `a[i * rsa + p * csa]`, `i0 <= i < i1 <=
                    // m`, `p < k`, at most `(m - 1) rsa + (k - 1) csa <
                    // a.len()` (checked without overflow above; nothing is
                    // read when `m` or `k` is 0); `b[p * n + j]` below `k * n
                    // <= b.len()`; writes rows `i0 .. i1` of `c`, below `m * n
                    // <= c.len()` (`a` and `b` are only read through
                    // `Shared`). The parts' row ranges are disjoint.
                    unsafe {
                        $outer(
                            a.add(i0 * rsa),
                            rsa,
                            csa,
                            b,
                            c.add(i0 * n),
                            i1 - i0,
                            n,
                            $crate::kernels::gemm::Rows::dense(k, n),
                            out,
                        )
                    }
                });
            }

            /// `C[m][n] (+)= A[m][k] * B[k][n]` with row `p` of `B` at
            /// `b[rows.offset(p)..][..n]`, `k = rows.k()`.
            #[inline]
            pub(super) fn gemm_nn_rows(
                self,
                a: &[f32],
                b: &[f32],
                rows: $crate::kernels::gemm::Rows,
                c: &mut [f32],
                m: usize,
                n: usize,
                out: $crate::kernels::gemm::Out,
            ) {
                let k = rows.k();
                assert!($crate::raw::fits(a.len(), m, k) && $crate::raw::fits(c.len(), m, n));
                assert!(k == 0 || rows.span(n).is_some_and(|end| end <= b.len()));
                // SAFETY: `self` proves the CPU features of `$outer`. `a` and
                // `c` are read and written as in `gemm_nn`, within `m * k <=
                // a.len()` and `m * n <= c.len()`. Row `p < k` of `B` is read
                // at `b[rows.offset(p) + j]`, `j < n`, below `rows.span(n)`
                // (the largest offset plus `n`, computed without overflow) `<=
                // b.len()`; with `k == 0` no row is read. All checked above.
                unsafe {
                    $outer(
                        a.as_ptr(),
                        k,
                        1,
                        b.as_ptr(),
                        c.as_mut_ptr(),
                        m,
                        n,
                        rows,
                        out,
                    )
                }
            }
        }
    };
}

/// The `#[target_feature]` functions of one token, from one body, and its
/// safe entry points (`entry_points!`): `$nt` runs `gemv` with `$gemv`
/// rows of `B` at a time for a vector (`m = 1`, dense rows), else `nt` in
/// `$nt_mr x $nt_nr` tiles; `$outer` runs `outer` in `$o_mr x $o_nr`
/// tiles (rows x vectors).
macro_rules! instances {
    (
        $token:ty,
        $features:literal,
        $nt:ident: gemv $gemv:literal,tile $nt_mr:literal x $nt_nr:literal;
        $outer:ident: tile $o_mr:literal x $o_nr:literal
    ) => {
        /// # Safety
        /// The kernel contract (module docs), for the token's features.
        #[target_feature(enable = $features)]
        unsafe fn $nt(
            a: *const f32,
            b: *const f32,
            rows: Option<$crate::kernels::gemm::Rows>,
            c: *mut f32,
            ldc: usize,
            m: usize,
            n: usize,
            k: usize,
            acc: bool,
        ) {
            match rows {
                None if m == 1 => {
                    $crate::raw::simd::tiles::gemv::<$token, $gemv, false>(a, b, c, n, k, acc)
                }
                rows => $crate::raw::simd::tiles::nt::<$token, $nt_mr, $nt_nr>(
                    a,
                    b,
                    rows.unwrap_or($crate::kernels::gemm::Rows::dense(n, k)),
                    c,
                    ldc,
                    m,
                    n,
                    k,
                    acc,
                ),
            }
        }

        /// # Safety
        /// The kernel contract (module docs), for the token's features.
        #[target_feature(enable = $features)]
        unsafe fn $outer(
            a: *const f32,
            rsa: usize,
            csa: usize,
            b: *const f32,
            c: *mut f32,
            m: usize,
            n: usize,
            rows: $crate::kernels::gemm::Rows,
            out: $crate::kernels::gemm::Out,
        ) {
            $crate::raw::simd::tiles::outer::<$token, $o_mr, $o_nr>(
                a, rsa, csa, b, c, m, n, rows, out,
            );
        }

        $crate::raw::simd::gemm::entry_points!($token, $nt, $outer);
    };
}
pub(in crate::raw) use {entry_points, instances};
