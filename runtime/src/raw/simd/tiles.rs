//! The matrix-product micro-kernels, generic over [`Simd`] and inlined
//! into the `#[target_feature]` functions that [`super::gemm`]'s
//! `instances!` generates per token: the dot-product form (`nt`, and `gemv`
//! for one row of `A`) and the outer-product form (`outer`).

use super::{reduce, Simd};
use crate::kernels::gemm::{Out, Rows};

/// `C[m][n] (+)= A[m][k] * B[n][k]^T`, row `j` of `B` where `rows` puts it
/// (from `b`), row `i` of `C` at `c + i * ldc`: tiles of `MR` rows of `A` by
/// `NR` rows of `B`, then the leftover rows and columns.
#[inline(always)]
pub(in crate::raw) unsafe fn nt<S: Simd, const MR: usize, const NR: usize>(
    a: *const f32,
    b: *const f32,
    rows: Rows,
    c: *mut f32,
    ldc: usize,
    m: usize,
    n: usize,
    k: usize,
    acc: bool,
) {
    let mut i = 0;
    while i + MR <= m {
        nt_row::<S, MR, NR>(a.add(i * k), b, rows, c.add(i * ldc), ldc, n, k, acc);
        i += MR;
    }
    // The leftover rows in tiles of 3, 2 or 1 rows: every tile streams all
    // of `B` once, so one row at a time would read it `m % MR` times.
    while i < m {
        let (a, c) = (a.add(i * k), c.add(i * ldc));
        i += match m - i {
            1 => nt_row::<S, 1, NR>(a, b, rows, c, ldc, n, k, acc),
            2 => nt_row::<S, 2, NR>(a, b, rows, c, ldc, n, k, acc),
            _ => nt_row::<S, 3, NR>(a, b, rows, c, ldc, n, k, acc),
        };
    }
}

/// `MR` rows of `C`: every column, `NR` at a time. Returns `MR`.
#[inline(always)]
unsafe fn nt_row<S: Simd, const MR: usize, const NR: usize>(
    a: *const f32,
    b: *const f32,
    rows: Rows,
    c: *mut f32,
    ldc: usize,
    n: usize,
    k: usize,
    acc: bool,
) -> usize {
    let mut cursor = rows.cursor();
    let mut j = 0;
    while j + NR <= n {
        let mut brows = [b; NR];
        for row in &mut brows {
            *row = b.add(cursor.next_offset());
        }
        nt_tile::<S, MR, NR>(a, brows, c.add(j), ldc, k, acc);
        j += NR;
    }
    while j < n {
        nt_tile::<S, MR, 1>(a, [b.add(cursor.next_offset())], c.add(j), ldc, k, acc);
        j += 1;
    }
    MR
}

/// The `MR x NR` block of `C` at `c` (row stride `ldc`): `MR` dot products
/// of rows of `a` with the `NR` rows at `b`, each of length `k`.
#[inline(always)]
unsafe fn nt_tile<S: Simd, const MR: usize, const NR: usize>(
    a: *const f32,
    b: [*const f32; NR],
    c: *mut f32,
    ldc: usize,
    k: usize,
    acc: bool,
) {
    let mut s = [[S::zero(); NR]; MR];
    let mut bv = [S::zero(); NR];
    let mut p = 0;
    while p + S::W <= k {
        for j in 0..NR {
            bv[j] = S::load(b[j].add(p));
        }
        for i in 0..MR {
            let av = S::load(a.add(i * k + p));
            for j in 0..NR {
                s[i][j] = S::fma(av, bv[j], s[i][j]);
            }
        }
        p += S::W;
    }
    if p < k {
        let len = k - p;
        for j in 0..NR {
            bv[j] = S::load_part(b[j].add(p), len);
        }
        for i in 0..MR {
            let av = S::load_part(a.add(i * k + p), len);
            for j in 0..NR {
                s[i][j] = S::fma(av, bv[j], s[i][j]);
            }
        }
    }
    for i in 0..MR {
        let sums = reduce::<S, NR>(&s[i]);
        for j in 0..NR {
            let cp = c.add(i * ldc + j);
            *cp = if acc { *cp + sums[j] } else { sums[j] };
        }
    }
}

/// `c[n] (+)= B[n][k] * a[k]` (`nt` with `m = 1`): `NR` rows of `B` at a
/// time, two accumulators per row (two vectors of each row per step).
///
/// With `SHIFT` the loads of `B` are aligned to the vector width (see
/// [`gemv_tile`]), and the sums do not depend on it: a
/// `Box`ed parameter block is only 4-byte aligned, and unaligned 512-bit loads
/// streaming from L2 split a cache line every time, which measured slower on
/// the 784x128 layer (see `docs/performance.md`).
/// Software prefetching measured slower still once the loads are aligned
/// (the L2 streamer keeps up), and so did 1, 2 or 4 rows at a time.
#[inline(always)]
pub(in crate::raw) unsafe fn gemv<S: Simd, const NR: usize, const SHIFT: bool>(
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    n: usize,
    k: usize,
    acc: bool,
) {
    let mut j = 0;
    while j + NR <= n {
        gemv_tile::<S, NR, SHIFT>(a, b.add(j * k), c.add(j), k, acc);
        j += NR;
    }
    while j < n {
        gemv_tile::<S, 1, SHIFT>(a, b.add(j * k), c.add(j), k, acc);
        j += 1;
    }
}

/// `NR` dot products of `a[k]` with the rows of `B` at `b`, each summed by
/// its elements' indices, whatever the address of `b`: vector `v` (elements
/// `v W .. v W + W`) into the accumulator `v % 2`, lane by lane, a partial
/// last vector into the second; then the two added and the lanes summed.
/// (Summing from the first aligned address instead made the last bits
/// depend on where the weights sit.) With `SHIFT` and rows a whole
/// number of vectors long, the weights stream through aligned loads, each
/// vector shifted into place from two of them ([`shifted`]); the loads of
/// `a` are unaligned, but `a` is reread for every row and stays in L1.
#[inline(always)]
unsafe fn gemv_tile<S: Simd, const NR: usize, const SHIFT: bool>(
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    k: usize,
    acc: bool,
) {
    let mut s0 = [S::zero(); NR];
    let mut s1 = [S::zero(); NR];
    let (w, nb) = (S::W, k / S::W);
    let m = (b.addr() / 4) % w;
    if SHIFT && m != 0 && k.is_multiple_of(w) && nb >= 3 {
        shifted::<S, NR>(a, b, k, m, &mut s0, &mut s1);
    } else {
        let mut v = 0;
        while v + 2 <= nb {
            let a0 = S::load(a.add(v * w));
            let a1 = S::load(a.add(v * w + w));
            for j in 0..NR {
                s0[j] = S::fma(a0, S::load(b.add(j * k + v * w)), s0[j]);
                s1[j] = S::fma(a1, S::load(b.add(j * k + v * w + w)), s1[j]);
            }
            v += 2;
        }
        if v < nb {
            let a0 = S::load(a.add(v * w));
            for j in 0..NR {
                s0[j] = S::fma(a0, S::load(b.add(j * k + v * w)), s0[j]);
            }
        }
    }
    let p = nb * w;
    if p < k {
        let len = k - p;
        let a1 = S::load_part(a.add(p), len);
        for j in 0..NR {
            s1[j] = S::fma(a1, S::load_part(b.add(j * k + p), len), s1[j]);
        }
    }
    for j in 0..NR {
        s0[j] = S::add(s0[j], s1[j]);
    }
    let sums = reduce::<S, NR>(&s0);
    for j in 0..NR {
        let cp = c.add(j);
        *cp = if acc { *cp + sums[j] } else { sums[j] };
    }
}

/// The whole vectors of [`gemv_tile`] when every row starts `m > 0` floats
/// past a vector boundary (`k = nb W`, `nb >= 3`): vector `v` of a row is
/// lanes `m..W` of the aligned vector at `v W - m` and lanes `0..m` of the
/// next one, so each aligned vector is loaded once and shifted into two.
/// The first and last vectors of a row, whose aligned neighbours lie outside
/// it, are loaded unaligned. The same sums as the unaligned loads give.
///
/// # Safety
/// As `gemv_tile`'s: `a[..k]` and the `NR` rows `b[j k .. j k + k]`
/// readable; `m` is `b`'s offset in floats past a vector boundary, `k` a
/// multiple of `W` of at least `3 W`.
#[inline(always)]
unsafe fn shifted<S: Simd, const NR: usize>(
    a: *const f32,
    b: *const f32,
    k: usize,
    m: usize,
    s0: &mut [S::V; NR],
    s1: &mut [S::V; NR],
) {
    let (w, last) = (S::W, k / S::W - 1);
    // Every aligned load below reads `r + t W - m .. r + t W - m + W` for
    // `1 <= t <= last`, inside the row `r .. r + last W + W`.
    let mut carry = [S::zero(); NR];
    let a0 = S::load(a);
    for j in 0..NR {
        let r = b.add(j * k);
        s0[j] = S::fma(a0, S::load(r), s0[j]);
        carry[j] = S::load(r.add(w - m));
    }
    // Vectors `v` (odd, into `s1`) and `v + 1` (even, into `s0`) while the
    // aligned vector after `v + 1` is inside the row (`v + 2 <= last`).
    let mut v = 1;
    while v + 2 <= last {
        let a1 = S::load(a.add(v * w));
        let a0 = S::load(a.add(v * w + w));
        for j in 0..NR {
            let r = b.add(j * k);
            let n1 = S::load(r.add(v * w + w - m));
            let n2 = S::load(r.add(v * w + 2 * w - m));
            s1[j] = S::fma(a1, S::shift(carry[j], n1, m), s1[j]);
            s0[j] = S::fma(a0, S::shift(n1, n2, m), s0[j]);
            carry[j] = n2;
        }
        v += 2;
    }
    if v < last {
        // `v` odd; the aligned vector after it is `last`'s, inside the row.
        let a1 = S::load(a.add(v * w));
        for j in 0..NR {
            let n1 = S::load(b.add(j * k + v * w + w - m));
            s1[j] = S::fma(a1, S::shift(carry[j], n1, m), s1[j]);
        }
        v += 1;
    }
    debug_assert_eq!(v, last);
    let al = S::load(a.add(last * w));
    for j in 0..NR {
        let bl = S::load(b.add(j * k + last * w));
        if last % 2 == 0 {
            s0[j] = S::fma(al, bl, s0[j]);
        } else {
            s1[j] = S::fma(al, bl, s1[j]);
        }
    }
}

/// `C[m][n] (+)= sum_p A(i, p) * B[p][n]` with `A(i, p) = a[i * rsa + p * csa]`
/// and row `p < rows.k()` of `B` at `b + rows.offset(p)`: column blocks of
/// `NR` vectors, then single vectors, then a partial one.
#[inline(always)]
pub(in crate::raw) unsafe fn outer<S: Simd, const MR: usize, const NR: usize>(
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    c: *mut f32,
    m: usize,
    n: usize,
    rows: Rows,
    out: Out,
) {
    let mut j = 0;
    while j + NR * S::W <= n {
        outer_col::<S, MR, NR, false>(a, rsa, csa, b.add(j), c.add(j), m, n, rows, 0, out);
        j += NR * S::W;
    }
    while j + S::W <= n {
        outer_col::<S, MR, 1, false>(a, rsa, csa, b.add(j), c.add(j), m, n, rows, 0, out);
        j += S::W;
    }
    if j < n {
        outer_col::<S, MR, 1, true>(a, rsa, csa, b.add(j), c.add(j), m, n, rows, n - j, out);
    }
}

/// One column block of `C`: every row, `MR` at a time.
#[inline(always)]
unsafe fn outer_col<S: Simd, const MR: usize, const NR: usize, const PART: bool>(
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    c: *mut f32,
    m: usize,
    n: usize,
    rows: Rows,
    len: usize,
    out: Out,
) {
    let mut i = 0;
    while i + MR <= m {
        outer_tile::<S, MR, NR, PART>(a.add(i * rsa), csa, b, c.add(i * n), n, rows, rsa, len, out);
        i += MR;
    }
    // The leftover rows in tiles of 3, 2 or 1 rows (each tile streams its
    // columns of `B` once).
    while i < m {
        let (a, c) = (a.add(i * rsa), c.add(i * n));
        i += match m - i {
            1 => outer_tile::<S, 1, NR, PART>(a, csa, b, c, n, rows, rsa, len, out),
            2 => outer_tile::<S, 2, NR, PART>(a, csa, b, c, n, rows, rsa, len, out),
            _ => outer_tile::<S, 3, NR, PART>(a, csa, b, c, n, rows, rsa, len, out),
        };
    }
}

/// The `MR x NR`-vector block of `C` at `c` (row stride `n`): `sum_p A(i, p)
/// * B[p][..]`, row `p` of `B` where `rows` puts it (from `b`). With `PART`, `NR` is 1 and the
/// block is the first `len < W` columns. Returns `MR`.
#[inline(always)]
unsafe fn outer_tile<S: Simd, const MR: usize, const NR: usize, const PART: bool>(
    a: *const f32,
    csa: usize,
    b: *const f32,
    c: *mut f32,
    n: usize,
    rows: Rows,
    rsa: usize,
    len: usize,
    out: Out,
) -> usize {
    let mut s = [[S::zero(); NR]; MR];
    let mut bv = [S::zero(); NR];
    let ([d0, d1, d2], [s0, s1, s2]) = (rows.dims, rows.strides);
    let mut p = 0;
    for i0 in 0..d0 {
        for i1 in 0..d1 {
            let base = b.add(i0 * s0 + i1 * s1);
            for i2 in 0..d2 {
                let brow = base.add(i2 * s2);
                for j in 0..NR {
                    bv[j] = if PART {
                        S::load_part(brow, len)
                    } else {
                        S::load(brow.add(j * S::W))
                    };
                }
                let ap = a.add(p * csa);
                p += 1;
                for i in 0..MR {
                    let av = S::splat(*ap.add(i * rsa));
                    for j in 0..NR {
                        s[i][j] = S::fma(av, bv[j], s[i][j]);
                    }
                }
            }
        }
    }
    for i in 0..MR {
        let crow = c.add(i * n);
        for j in 0..NR {
            let cp = crow.add(j * S::W);
            let old = || {
                if PART {
                    S::load_part(cp, len)
                } else {
                    S::load(cp)
                }
            };
            let v = match out {
                Out::Set => s[i][j],
                Out::Add => S::add(old(), s[i][j]),
                // `c - lr s`, the bits of an SGD step on the stored product.
                Out::Descend(lr) => S::sub(old(), S::mul(S::splat(lr), s[i][j])),
            };
            if PART {
                S::store_part(cp, len, v);
            } else {
                S::store(cp, v);
            }
        }
    }
    MR
}
