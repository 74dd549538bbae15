//! Every `unsafe` block of staticnet lives under this module (the workspace
//! denies `unsafe_code` elsewhere). Each block carries a `// SAFETY:` proof.
//!
//! - [`pod`]: `Pod` for the const-generic parameter blocks of [`crate::layers`]
//!   (bytemuck's derive cannot check padding of generic structs).
//! - `embed`: a weights file in read-only memory viewed as a network.
//! - `x86`: AVX2/FMA and AVX-512 kernels behind runtime (with `std`) or
//!   compile-time feature detection, and an SSE2 (x86-64 baseline) kernel for
//!   small single-sample dense layers.
#![allow(unsafe_code, reason = "the one module allowed to hold unsafe code")]

mod embed;
mod pod;
// AVX-512 intrinsics are stable since Rust 1.89, the workspace's `rust-version`.
#[cfg(target_arch = "x86_64")]
mod x86;

pub use embed::{embedded, Aligned};
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) use x86::dense_small_sse2;
#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{best_isa, Avx2, Avx512, Pool2x2};

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
