//! `nt` in outer-product form over a packed panel of `B`, for cores with two
//! full-width FMA ports (Intel's AVX-512 cores; see `crate::raw::x86::gemm`).
//!
//! The dot-product tiles of [`super::tiles`] read `MR + NR` vectors per `MR
//! NR` FMAs straight from the operands' rows and stream all of `B` once per
//! `MR` rows of `A`; at two FMAs a cycle that is more than L2 delivers. Here
//! a block of up to `2 W` rows of `B` and [`KC`] of its columns is transposed
//! into a panel on the stack (`Bp[p][j] = B[j][p]`, 16 KiB with AVX-512, held
//! in L1), and tiles of `MR` rows of `C` by the panel's width accumulate
//! `A[i][p] Bp[p][..]` over `p`: per step `NV` loads of the panel and `MR`
//! broadcasts from `A` for `MR NV` FMAs. `B` is read from memory once per
//! call.
//!
//! Each element of `C` is one chain of FMAs over `p` in order, from `0` (or
//! from `C` with `acc`), whatever the tiling or the thread split: between
//! blocks of `KC` the chain's value waits in `C`, which stores it exactly.

use super::Simd;
use crate::kernels::gemm::Rows;
use core::mem::MaybeUninit;

/// A [`Simd`] type that transposes a square block of `W x W`.
pub(in crate::raw) trait Transpose: Simd {
    /// Writes `dst[p * ldd + j] = rows[j][p]` for `j, p < W` (`rows.len() ==
    /// W`).
    ///
    /// # Safety
    /// The CPU has the features of `Self`; each `rows[j]` is readable for `W`
    /// elements, `dst` writable at those offsets.
    unsafe fn transpose(rows: &[*const f32], dst: *mut f32, ldd: usize);
}

/// Columns of `B` (the depth `k`) per packed block: `KC x 2W` f32, 16 KiB
/// with AVX-512, beside a 12-row strip of `A` (6 KiB) in a 32 KiB L1.
const KC: usize = 128;
/// The widest panel, `2 W` for `W <= 16`.
const NMAX: usize = 32;

/// The packed block, aligned to a cache line so that every load of a panel
/// row is aligned.
#[repr(C, align(64))]
struct Panel([f32; KC * NMAX]);

/// `C[m][n] (+)= A[m][k] * B[n][k]^T`, row `j` of `B` where `rows` puts it
/// (from `b`), row `i` of `C` at `c + i * ldc`: panels of `2 W` rows of `B`
/// (of `W` when at most `W` are left), tiles of `MR` rows of `A`.
///
/// # Safety
/// The kernel contract of `super`, for `S`: rows `i < m` of `a` readable at
/// `i k .. i k + k`, row `j < n` of `B` at `b + offset(j)` for `k` elements,
/// `c[i ldc + j]` writable for `i < m`, `j < n`; `2 W <= 32`.
#[inline(always)]
pub(in crate::raw) unsafe fn nt<S: Transpose, const MR: usize>(
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
    if k == 0 {
        for i in 0..m {
            for j in 0..n {
                if !acc {
                    *c.add(i * ldc + j) = 0.0;
                }
            }
        }
        return;
    }
    let mut panel = MaybeUninit::<Panel>::uninit();
    let bp = panel.as_mut_ptr().cast::<f32>();
    let mut cursor = rows.cursor();
    let mut j = 0;
    while j < n {
        let nb = (n - j).min(2 * S::W);
        let mut brows = [b; NMAX];
        for row in &mut brows[..nb] {
            *row = b.add(cursor.next_offset());
        }
        let block = Block {
            a,
            c: c.add(j),
            ldc,
            m,
            k,
            nb,
            acc,
        };
        if nb > S::W {
            block.run::<S, MR, 2>(&brows[..nb], bp);
        } else {
            block.run::<S, MR, 1>(&brows[..nb], bp);
        }
        j += nb;
    }
}

/// The columns of `C` of one panel: `nb` of them, at `c`.
struct Block {
    a: *const f32,
    c: *mut f32,
    ldc: usize,
    m: usize,
    k: usize,
    nb: usize,
    acc: bool,
}

impl Block {
    /// Packs each block of [`KC`] columns of the `nb <= NV W` rows `brows`
    /// into `bp` (rows of `NV W`, zeros past `nb`), then runs every row
    /// tile of `C` over it.
    #[inline(always)]
    unsafe fn run<S: Transpose, const MR: usize, const NV: usize>(
        &self,
        brows: &[*const f32],
        bp: *mut f32,
    ) {
        let mut p0 = 0;
        while p0 < self.k {
            let kc = (self.k - p0).min(KC);
            pack::<S, NV>(brows, p0, kc, bp);
            let load = self.acc || p0 > 0;
            let mut i = 0;
            while i < self.m {
                let (a, c) = (self.a.add(i * self.k + p0), self.c.add(i * self.ldc));
                let args = (a, self.k, bp.cast_const(), kc, c, self.ldc, self.nb, load);
                // The leftover rows in tiles of 8, 4, then 3, 2 or 1.
                i += match self.m - i {
                    r if r >= MR => tile::<S, MR, NV>(args),
                    r if r >= 8 => tile::<S, 8, NV>(args),
                    r if r >= 4 => tile::<S, 4, NV>(args),
                    3 => tile::<S, 3, NV>(args),
                    2 => tile::<S, 2, NV>(args),
                    _ => tile::<S, 1, NV>(args),
                };
            }
            p0 += kc;
        }
    }
}

/// `bp[p * NV W + j] = brows[j][p0 + p]` for `p < kc`, `j < brows.len()`,
/// and `0` for `brows.len() <= j < NV W`: whole `W x W` blocks transposed
/// in registers, the edges one element at a time.
#[inline(always)]
unsafe fn pack<S: Transpose, const NV: usize>(
    brows: &[*const f32],
    p0: usize,
    kc: usize,
    bp: *mut f32,
) {
    let (w, ld, nb) = (S::W, NV * S::W, brows.len());
    let (whole_rows, whole_cols) = (nb - nb % w, kc - kc % w);
    for j0 in (0..whole_rows).step_by(w) {
        let group = &brows[j0..j0 + w];
        let mut rows = [brows[0]; NMAX];
        for p in (0..whole_cols).step_by(w) {
            for (row, &src) in rows.iter_mut().zip(group) {
                *row = src.add(p0 + p);
            }
            S::transpose(&rows[..w], bp.add(p * ld + j0), ld);
        }
        for p in whole_cols..kc {
            for (jj, &src) in group.iter().enumerate() {
                *bp.add(p * ld + j0 + jj) = *src.add(p0 + p);
            }
        }
    }
    for p in 0..kc {
        for j in whole_rows..ld {
            *bp.add(p * ld + j) = if j < nb { *brows[j].add(p0 + p) } else { 0.0 };
        }
    }
}

/// One tile's operands: `A` at `a` (row stride `lda`), the panel at `bp`
/// (`kc` rows of `NV W`), `C` at `c` (row stride `ldc`, `nb` valid
/// columns), and whether `C` holds the chains' values so far.
type TileArgs = (
    *const f32,
    usize,
    *const f32,
    usize,
    *mut f32,
    usize,
    usize,
    bool,
);

/// `C[i][..nb] = (C[i][..nb] if load else 0) + sum_p A[i][p] Bp[p][..nb]`
/// for `i < MR`, each element one FMA chain in the order of `p`. Returns
/// `MR`.
#[inline(always)]
unsafe fn tile<S: Simd, const MR: usize, const NV: usize>(
    (a, lda, bp, kc, c, ldc, nb, load): TileArgs,
) -> usize {
    // Lanes of vector `v` that are columns of `C`: `W`, fewer, or none.
    let lanes = |v: usize| nb.saturating_sub(v * S::W).min(S::W);
    let mut s = [[S::zero(); NV]; MR];
    if load {
        for (i, row) in s.iter_mut().enumerate() {
            for (v, acc) in row.iter_mut().enumerate() {
                let cp = c.add(i * ldc + v * S::W);
                *acc = match lanes(v) {
                    0 => S::zero(),
                    len if len == S::W => S::load(cp),
                    len => S::load_part(cp, len),
                };
            }
        }
    }
    for p in 0..kc {
        step::<S, MR, NV>(&mut s, a, lda, bp, p);
    }
    for (i, row) in s.iter().enumerate() {
        for (v, &acc) in row.iter().enumerate() {
            let cp = c.add(i * ldc + v * S::W);
            match lanes(v) {
                0 => {}
                len if len == S::W => S::store(cp, acc),
                len => S::store_part(cp, len, acc),
            }
        }
    }
    MR
}

/// `s[i][v] += A[i][p] Bp[p][v W..]`: `NV` loads, `MR` broadcasts.
#[inline(always)]
unsafe fn step<S: Simd, const MR: usize, const NV: usize>(
    s: &mut [[S::V; NV]; MR],
    a: *const f32,
    lda: usize,
    bp: *const f32,
    p: usize,
) {
    let mut bv = [S::zero(); NV];
    for (v, b) in bv.iter_mut().enumerate() {
        *b = S::load(bp.add(p * NV * S::W + v * S::W));
    }
    for (i, row) in s.iter_mut().enumerate() {
        let av = S::splat(*a.add(i * lda + p));
        for (acc, &b) in row.iter_mut().zip(&bv) {
            *acc = S::fma(av, b, *acc);
        }
    }
}
