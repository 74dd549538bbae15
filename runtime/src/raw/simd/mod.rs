//! The matrix products written once, over a vector register type
//! ([`Simd`]), for every instruction set with one: AVX2 and AVX-512 in
//! `super::x86`, NEON in `super::aarch64`. Each implements [`Simd`] for its
//! token and instantiates [`gemm`]'s `instances!` with its tile shapes.
//!
//! - [`tiles`]: the micro-kernels, dot-product (`nt`, `gemv`) and
//!   outer-product (`outer`) tiles;
//! - [`packed`]: `nt` in outer-product form over a packed panel of `B`
//!   (AVX-512 on Intel cores);
//! - [`lanes`]: stride-1 convolution tiles with the output channels in the
//!   lanes (AVX-512);
//! - [`gemm`]: `instances!`, which makes a token's `#[target_feature]`
//!   functions from the tiles and its safe entry points (slice lengths
//!   checked, work split over the kernel threads).
//!
//! # Kernel contract
//! The micro-kernels are `#[inline(always)]` generic functions over `Simd`,
//! inlined into one `#[target_feature]` entry point per token so that the
//! intrinsics compile with the features on. They are `unsafe fn`s with one
//! contract, argued at each call: the CPU has the features of `S`, and every
//! pointer they offset, read or write stays inside the slice it was derived
//! from (offsets are computed from `m`, `n`, `k`, which the safe wrappers check
//! against the slice lengths once per call). A partial vector at the end of a
//! slice (`load_part`, `store_part`) only touches the lanes below `len`, so it
//! is in bounds too.
//!
//! # Shapes
//! Everything is row-major and contiguous. `nt`: `C[m][n] = A[m][k] * B[n][k]^T`
//! in dot-product form (a tile of rows of `A` times a tile of rows of `B`,
//! vectorised along `k`, horizontal sums at the end). `nn` and `tn`:
//! `C[m][n] = op(A) * B[k][n]` in outer-product form (broadcast one element of
//! `A`, stream a row of `B`). `acc` adds to `C` instead of overwriting it.

pub(super) mod gemm;
// The convolution tiles with output channels in the lanes: AVX-512's.
#[cfg(target_arch = "x86_64")]
pub(super) mod lanes;
// The packed schedule is x86's (Intel cores); NEON keeps the in-place tiles.
#[cfg(target_arch = "x86_64")]
pub(super) mod packed;
pub(super) mod tiles;

/// One vector register type and the few operations the kernels need.
pub(in crate::raw) trait Simd: Copy {
    /// Lanes per vector.
    const W: usize;
    type V: Copy;
    unsafe fn zero() -> Self::V;
    unsafe fn splat(x: f32) -> Self::V;
    unsafe fn load(p: *const f32) -> Self::V;
    /// Loads `len < W` lanes, zero in the others.
    unsafe fn load_part(p: *const f32, len: usize) -> Self::V;
    unsafe fn store(p: *mut f32, v: Self::V);
    /// Stores the first `len < W` lanes.
    unsafe fn store_part(p: *mut f32, len: usize, v: Self::V);
    /// `a * b + c`, one rounding.
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    /// `a - b`.
    unsafe fn sub(a: Self::V, b: Self::V) -> Self::V;
    /// `a * b`.
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// The sum of the lanes.
    unsafe fn hsum(v: Self::V) -> f32;
    /// The sums of the lanes of four vectors.
    unsafe fn hsum4(v: [Self::V; 4]) -> [f32; 4];
    /// Lanes `m..W` of `lo`, then lanes `0..m` of `hi` (`0 < m < W`): the
    /// batch-1 product's aligned stream (`tiles::gemv` with `SHIFT`).
    unsafe fn shift(lo: Self::V, hi: Self::V, m: usize) -> Self::V;
}

/// [`Simd::shift`] through a buffer on the stack (correct for any `W <=
/// 16`; for the types whose `gemv` never shifts).
///
/// # Safety
/// The CPU has the features of `S`; `0 < m < S::W <= 16`.
#[inline(always)]
pub(in crate::raw) unsafe fn shift_through_memory<S: Simd>(lo: S::V, hi: S::V, m: usize) -> S::V {
    debug_assert!(0 < m && m < S::W && S::W <= 16);
    let mut buf = [0.0f32; 32];
    // SAFETY (for the caller's contract): `2 W <= 32` floats are written,
    // and `W` read from `m < W`, all inside `buf`.
    S::store(buf.as_mut_ptr(), lo);
    S::store(buf.as_mut_ptr().add(S::W), hi);
    S::load(buf.as_ptr().add(m))
}

/// `out[j]` = the sum of the lanes of `v[j]`, four at a time.
#[inline(always)]
pub(in crate::raw) unsafe fn reduce<S: Simd, const NR: usize>(v: &[S::V; NR]) -> [f32; NR] {
    let mut out = [0.0; NR];
    let mut j = 0;
    while j + 4 <= NR {
        out[j..j + 4].copy_from_slice(&S::hsum4([v[j], v[j + 1], v[j + 2], v[j + 3]]));
        j += 4;
    }
    while j < NR {
        out[j] = S::hsum(v[j]);
        j += 1;
    }
    out
}

/// The [`Kernels`](crate::kernels::isa::Kernels) methods every SIMD token
/// overrides the same way: the four matrix products, from the tiles of
/// [`gemm`] (x86's AVX2 and AVX-512, aarch64's NEON). With `$alt`, a method
/// of the token that may return another token (with the same entry points),
/// whose products then run instead. The invoking module imports `Out`,
/// `Rows` and `Store` from `crate::kernels::gemm`.
macro_rules! products {
    ($($alt:ident)?) => {
        #[inline]
        fn nt(self, a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize, acc: bool) {
            $crate::raw::simd::on!(self $($alt)?, gemm_nt(a, b, c, m, n, k, acc));
        }

        #[inline]
        fn nt_rows(
            self,
            a: &[f32],
            b: &[f32],
            rows: Rows,
            c: &mut [f32],
            m: usize,
            k: usize,
            acc: bool,
        ) {
            $crate::raw::simd::on!(self $($alt)?, gemm_nt_rows(a, b, rows, c, m, k, acc));
        }

        #[inline]
        fn outer(
            self,
            a: &[f32],
            strides: (usize, usize),
            b: &[f32],
            c: &mut [f32],
            m: usize,
            n: usize,
            k: usize,
            out: Out,
        ) {
            $crate::raw::simd::on!(self $($alt)?, gemm_outer(a, strides, b, c, m, n, k, out));
        }

        #[inline]
        fn nn_rows(
            self,
            a: &[f32],
            b: &[f32],
            rows: Rows,
            c: &mut [f32],
            m: usize,
            n: usize,
            store: Store,
        ) {
            $crate::raw::simd::on!(self $($alt)?, gemm_nn_rows(a, b, rows, c, m, n, store.into()));
        }
    };
}

/// Calls entry point `$f` on token `$t`, or on `$t.$alt()` if that is
/// `Some` (see [`products`]).
macro_rules! on {
    ($t:tt, $f:ident($($arg:expr),*)) => {
        $t.$f($($arg),*)
    };
    ($t:tt $alt:ident, $f:ident($($arg:expr),*)) => {
        match $t.$alt() {
            Some(alt) => alt.$f($($arg),*),
            None => $t.$f($($arg),*),
        }
    };
}
pub(in crate::raw) use {on, products};
