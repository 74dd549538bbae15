//! Kernels over flat slices, one file per layer kind (named by its keyword),
//! `<op>_forward` and `<op>_backward` side by side. Shapes are arguments; lengths are
//! `debug_assert!`ed; no kernel allocates or fails.

/// Declares every kind's kernel module (`<keyword>.rs`), as the list of kinds
/// (`staticnet-kinds`) names them.
macro_rules! kernel_modules {
    ($($kind:ident $({ $($block:ident),+ })?,)*) => {
        $(pub mod $kind;)*
    };
}

staticnet_kinds::for_each_kind!(kernel_modules);

// Shared by several kinds.
pub mod gemm;
pub(crate) mod isa;
pub mod recurrent;

/// Runs an elementwise kernel `f(x, y)` (output `i` computed from input `i`
/// alone) with its output over its input: `buf` is copied in chunks of 64
/// floats to the stack, and `f` writes each chunk back. The single-sample
/// forward runs activations so, and its workspace then needs one buffer
/// less for them. The bits are those of `f` on the whole slice.
///
/// ```
/// let mut v = [-1.0, 2.0, -3.0];
/// staticnet_runtime::kernels::in_place(&mut v, staticnet_runtime::kernels::relu::relu_forward);
/// assert_eq!(v, [0.0, 2.0, 0.0]);
/// ```
#[inline]
pub fn in_place(buf: &mut [f32], mut f: impl FnMut(&[f32], &mut [f32])) {
    let mut tmp = [0.0f32; 64];
    for chunk in buf.chunks_mut(64) {
        let x = &mut tmp[..chunk.len()];
        x.copy_from_slice(chunk);
        f(x, chunk);
    }
}

/// `max(a, b)` as a `const fn`: generated code sizes the shared kernel scratch
/// with it from the kernels' own `scratch_len` functions.
pub const fn max_len(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// Calls `f` compiled for the widest vector instructions this CPU has
/// (AVX-512F or AVX2 on x86-64, detected as for [`gemm`]; elsewhere `f` as
/// it is). For elementwise loops outside the matrix kernels (optimizer
/// steps, input conversion): written as plain loops in an
/// `#[inline(always)]` closure (calling only `#[inline(always)]`
/// functions), they vectorise with 512-bit registers where the portable
/// build, x86-64's SSE2 baseline, has 128-bit ones. Without the attribute
/// LLVM may keep a large closure out of line, compiled for the baseline. The
/// results are bit-identical: only the register width changes.
///
/// ```
/// let (mut p, g) = ([1.0f32; 100], [0.5f32; 100]);
/// staticnet_runtime::kernels::vectorized(
///     #[inline(always)]
///     || p.iter_mut().zip(&g).for_each(|(p, &g)| *p -= 0.1 * g),
/// );
/// assert_eq!(p[99], 1.0 - 0.1 * 0.5);
/// ```
#[inline]
pub fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    isa::dispatch!(isa::Isa::best(), |t| isa::Kernels::vectorized(t, f))
}

/// Asks the CPU to start loading `data` into its caches (a hint: on x86-64
/// one prefetch per cache line, elsewhere nothing). A training loop calls it
/// on the next batch's inputs so that their cache misses overlap the
/// current step.
#[inline]
pub fn prefetch(data: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    crate::raw::prefetch(data);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// The sum of `x` in 16 interleaved partial sums (lane `l` adds `x[16 i +
/// l]`), combined pairwise at the end: the compiler vectorises it, where a
/// sequential `iter().sum()` is one dependent addition per element (it was
/// half of LeNet's first-layer backward pass, in its bias gradient).
pub fn sum(x: &[f32]) -> f32 {
    const L: usize = 16;
    let mut acc = [0.0f32; L];
    let chunks = x.chunks_exact(L);
    let tail = chunks.remainder();
    for c in chunks {
        for l in 0..L {
            acc[l] += c[l];
        }
    }
    let mut width = L;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] += acc[l + width];
        }
    }
    tail.iter().fold(acc[0], |s, &v| s + v)
}

#[cfg(test)]
mod tests {
    use crate::testutil::random_vec;

    /// Every remainder length, against an f64 sum (relative 1e-6 of the sum
    /// of magnitudes: f32 sums of at most 1,000 values).
    #[test]
    fn sum_matches_f64() {
        for n in (0..70).chain([255, 256, 257, 1000]) {
            let x = random_vec(n as u64, n);
            let want: f64 = x.iter().map(|&v| f64::from(v)).sum();
            let scale: f64 = x.iter().map(|&v| f64::from(v).abs()).sum::<f64>() + 1e-30;
            let got = f64::from(super::sum(&x));
            assert!((got - want).abs() <= 1e-6 * scale, "n={n}: {got} vs {want}");
        }
    }
}
