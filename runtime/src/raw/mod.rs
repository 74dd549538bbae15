//! Every `unsafe` block of staticnet lives under this module (the workspace
//! denies `unsafe_code` elsewhere). Each block carries a `// SAFETY:` proof.
//!
//! - `pod`: `param_block!`, which declares the const-generic parameter blocks
//!   of [`crate::layers`] with their `Pod` impls (bytemuck's derive cannot
//!   check padding of generic structs).
//! - `embed`: a weights file in read-only memory viewed as a network.
//! - `pool` (feature `std`): the worker threads of [`crate::threads`] and the
//!   hand-off of a borrowed job to them.
//! - `x86`: AVX2/FMA and AVX-512 kernels behind runtime (with `std`) or
//!   compile-time feature detection, and an SSE2 (x86-64 baseline) kernel for
//!   small single-sample dense layers.
//! - `simd` (x86-64 and aarch64): the f32 matrix products written once over
//!   a vector register type, instantiated by `x86` and `aarch64`.
//! - `aarch64`: NEON kernels (the matrix products, a small single-sample
//!   dense layer), detected at run time with `std`.
//! - `arm_dsp` (Cortex-M4/M7, `cfg(staticnet_arm_dsp)` from `build.rs`): the
//!   int8 product with the DSP extension's `SXTB16` and `SMLAD`.
//! - `arm_vfp` (Arm with a hard-float FPU, `cfg(staticnet_arm_vfp)` from
//!   `build.rs`): the f32 dot products of the dense layers, `VLDMIA` and
//!   `VMLA.F32` over two rows at a time.
#![allow(unsafe_code, reason = "the one module allowed to hold unsafe code")]

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(staticnet_arm_dsp)]
mod arm_dsp;
#[cfg(staticnet_arm_vfp)]
mod arm_vfp;
mod embed;
mod pod;
#[cfg(any(feature = "std", test))]
mod pool;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod simd;
// AVX-512 intrinsics are stable since Rust 1.89, the workspace's `rust-version`.
#[cfg(target_arch = "x86_64")]
mod x86;

#[cfg(all(
    target_arch = "aarch64",
    target_feature = "neon",
    not(staticnet_portable)
))]
pub(crate) use aarch64::dense_small_neon;
#[cfg(target_arch = "aarch64")]
pub(crate) use aarch64::{best_isa, Neon};
#[cfg(staticnet_arm_dsp)]
pub(crate) use arm_dsp::{dot4_dsp, gemv_i8_dsp, widen4};
#[cfg(staticnet_arm_vfp)]
pub(crate) use arm_vfp::lanes2_vfp;
pub use embed::{embedded, Aligned};
pub(crate) use pod::{param_block, zeroed};
#[cfg(any(feature = "std", test))]
pub(crate) use pool::{ensure_workers, run as pool_run, PARALLEL_JOBS};
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) use x86::dense_small_sse2;
#[cfg(target_arch = "x86_64")]
pub(crate) use x86::prefetch;
#[cfg(all(target_arch = "x86_64", any(test, feature = "std")))]
pub(crate) use x86::Int8;
#[cfg(all(target_arch = "x86_64", test))]
pub(crate) use x86::Schedule;
#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{best_isa, gather_words, Avx2, Avx512, Pool2x2, Words};

/// `C[m][n] = A[m][k] * B[k][n]` by `matrixmultiply::sgemm`, with explicit
/// strides (`rs*` between rows, `cs*` between columns): the test oracle.
#[cfg(test)]
pub(crate) fn sgemm_oracle(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    (rsa, csa): (usize, usize),
    b: &[f32],
    (rsb, csb): (usize, usize),
    c: &mut [f32],
) {
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| (rows - 1) * rs + (cols - 1) * cs;
    assert!(m > 0 && k > 0 && n > 0);
    assert!(last(m, k, rsa, csa) < a.len() && last(k, n, rsb, csb) < b.len());
    assert!(c.len() >= m * n);
    // SAFETY: the asserts bound the largest offset `sgemm` reads from `a`
    // (`(m-1)*rsa + (k-1)*csa`) and `b`, and `c` holds `m * n` elements in
    // row-major order (`rsc = n`, `csc = 1`); with `beta = 0`, `c` is only
    // written. The strides fit in `isize` since they index live slices.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// `rows * cols <= len`, without overflow.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub(crate) fn fits(len: usize, rows: usize, cols: usize) -> bool {
    rows.checked_mul(cols).is_some_and(|need| need <= len)
}

/// A raw pointer that may cross threads: a kernel split over threads cuts
/// one output into disjoint blocks, one per part, and each part writes only
/// its own block (argued at each use).
#[derive(Clone, Copy)]
pub(crate) struct Shared(*mut f32);

impl Shared {
    pub(crate) fn new(p: *const f32) -> Self {
        Shared(p.cast_mut())
    }

    /// The address (a method, so that closures capture the whole `Shared`).
    pub(crate) fn get(self) -> *mut f32 {
        self.0
    }
}

// SAFETY: `Shared` carries an address only; every use derives disjoint
// blocks from it for the parts of one job, so no two threads touch one
// element, and the job ends before the borrow it came from.
unsafe impl Sync for Shared {}

/// An elementwise update of a piece of parameters, gradients and state.
pub(crate) type Update<'a> = &'a (dyn Fn(&mut [f32], &[f32], &mut [f32]) + Sync);

/// Calls `f` on `parts` pieces of `(p, g, s)`, cut at the same points (in
/// multiples of 64 elements), in parallel ([`crate::threads::par`]): an
/// elementwise update of parameters `p` from gradients `g` with state `s`
/// (empty, or one value per parameter).
pub(crate) fn split_update(parts: usize, p: &mut [f32], g: &[f32], s: &mut [f32], f: Update<'_>) {
    let n = p.len();
    assert!(g.len() == n && (s.is_empty() || s.len() == n));
    let with_state = !s.is_empty();
    let (pp, gp, sp) = (
        Shared::new(p.as_mut_ptr()),
        Shared::new(g.as_ptr()),
        Shared::new(s.as_mut_ptr()),
    );
    crate::threads::par(parts, &|t| {
        let (lo, hi) = crate::threads::range(n, parts, t, 64);
        // SAFETY: `lo <= hi <= n` (`range`), and `p`, `g` (and `s` when
        // not empty) hold `n` elements (asserted), so each piece is in
        // bounds; the pieces of the parts are disjoint, so the `&mut`
        // pieces of `p` and `s` never alias, and `g` is only read. The
        // borrows of `p`, `g`, `s` outlive the job (`par` returns after
        // every part).
        let (pt, gt, st) = unsafe {
            (
                core::slice::from_raw_parts_mut(pp.get().add(lo), hi - lo),
                core::slice::from_raw_parts(gp.get().add(lo).cast_const(), hi - lo),
                if with_state {
                    core::slice::from_raw_parts_mut(sp.get().add(lo), hi - lo)
                } else {
                    &mut []
                },
            )
        };
        f(pt, gt, st);
    });
}

/// Calls `f(i, chunk)` for every `chunk_len`-long chunk `i` of `data`, the
/// chunks shared out in `parts` runs of consecutive chunks, in parallel
/// ([`crate::threads::par`]).
pub(crate) fn split_chunks(
    parts: usize,
    data: &mut [f32],
    chunk_len: usize,
    f: &(dyn Fn(usize, &mut [f32]) + Sync),
) {
    assert!(chunk_len > 0 && data.len().is_multiple_of(chunk_len));
    let chunks = data.len() / chunk_len;
    let base = Shared::new(data.as_mut_ptr());
    crate::threads::par(parts, &|t| {
        let (lo, hi) = crate::threads::range(chunks, parts, t, 1);
        for i in lo..hi {
            // SAFETY: `i < chunks`, so chunk `i` lies inside `data`
            // (asserted a whole number of chunks); the parts' runs of chunks
            // are disjoint, so no two `&mut` chunks alias; `data` outlives
            // the job (`par` returns after every part).
            let chunk = unsafe {
                core::slice::from_raw_parts_mut(base.get().add(i * chunk_len), chunk_len)
            };
            f(i, chunk);
        }
    });
}
