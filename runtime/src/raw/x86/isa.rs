//! The proof tokens and CPU feature detection.
//!
//! [`Avx2`] (AVX2 + FMA) and [`Avx512`] (AVX-512F + AVX2 + FMA) are zero-sized
//! values that can only be made here, and only when the CPU has the features:
//! detected at run time with `std` (cached in one `AtomicU8`, so dispatch is a
//! relaxed load), or known at compile time from `target_feature` without it.
//! Holding a token is the proof the `#[target_feature]` entry points need.

use crate::kernels::isa::Isa;
use core::sync::atomic::{AtomicU8, Ordering};

/// Proof that the CPU supports AVX2 and FMA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Avx2(());

/// Proof that the CPU supports AVX-512F, AVX2 and FMA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Avx512(());

const UNKNOWN: u8 = 0;
const PORTABLE: u8 = 1;
const AVX2: u8 = 2;
const AVX512: u8 = 3;

/// The best level this CPU supports, or `UNKNOWN` before the first detection.
/// Only [`detect`] writes it, with a value it has checked.
static LEVEL: AtomicU8 = AtomicU8::new(UNKNOWN);

#[inline]
fn level() -> u8 {
    match LEVEL.load(Ordering::Relaxed) {
        UNKNOWN => detect(),
        level => level,
    }
}

#[cold]
fn detect() -> u8 {
    #[cfg(any(feature = "std", test))]
    let (avx512f, avx2, fma) = (
        std::is_x86_feature_detected!("avx512f"),
        std::is_x86_feature_detected!("avx2"),
        std::is_x86_feature_detected!("fma"),
    );
    #[cfg(not(any(feature = "std", test)))]
    let (avx512f, avx2, fma) = (
        cfg!(target_feature = "avx512f"),
        cfg!(target_feature = "avx2"),
        cfg!(target_feature = "fma"),
    );
    let level = match (avx512f, avx2 && fma) {
        (true, true) => AVX512,
        (false, true) => AVX2,
        _ => PORTABLE,
    };
    LEVEL.store(level, Ordering::Relaxed);
    level
}

/// The fastest instruction set this CPU supports, with its proof token.
#[inline]
pub(crate) fn best_isa() -> Isa {
    match level() {
        AVX512 => Isa::Avx512(Avx512(())),
        AVX2 => Isa::Avx2(Avx2(())),
        _ => Isa::Portable,
    }
}

impl Avx2 {
    /// The token, if the CPU supports AVX2 and FMA.
    #[cfg(test)]
    pub(crate) fn new() -> Option<Self> {
        (level() >= AVX2).then_some(Self(()))
    }
}

impl Avx512 {
    /// The token, if the CPU supports AVX-512F, AVX2 and FMA.
    #[cfg(test)]
    pub(crate) fn new() -> Option<Self> {
        (level() >= AVX512).then_some(Self(()))
    }
}

/// Generates `vectorized` on a token: `f` runs inside a `#[target_feature]`
/// function, so that the loops inlined into it compile for those features.
macro_rules! vectorized {
    ($token:ty, $features:literal) => {
        impl $token {
            /// Calls `f` from a function compiled with this token's
            /// features. `f` and the `#[inline(always)]` functions it calls
            /// inline into it and vectorise with its registers (LLVM inlines
            /// code without target features into code with more). Rust never
            /// contracts `a * b + c` into an FMA, so the results are the bits
            /// `f` gives anywhere else.
            #[inline]
            pub(super) fn run_vectorized<R>(self, f: impl FnOnce() -> R) -> R {
                #[target_feature(enable = $features)]
                unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
                    f()
                }
                // SAFETY: the token proves that the CPU has the features
                // `run` is compiled with; `run` only calls `f`, safe code.
                unsafe { run(f) }
            }
        }
    };
}

vectorized!(Avx2, "avx2,fma");
vectorized!(Avx512, "avx512f,avx2,fma");
