//! The proof token [`Neon`] and its detection.
//!
//! NEON (Advanced SIMD) is part of the aarch64 baseline, so every aarch64
//! target Rust ships has it; it is still detected, as the x86 features are:
//! at run time with `std` (`is_aarch64_feature_detected!`, which caches its
//! answer), from `target_feature` at compile time without.
//!
//! Built with `--cfg staticnet_portable` (in `RUSTFLAGS`), the token is never
//! made and the single-sample dense layer takes its portable loop: every
//! kernel runs its portable path, to measure what NEON gains
//! (`docs/performance.md`).

use crate::kernels::isa::Isa;

/// Proof that the CPU supports NEON (Advanced SIMD with `f32` lanes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Neon(());

impl Neon {
    /// The token, if the CPU supports NEON.
    #[inline]
    pub(crate) fn new() -> Option<Self> {
        #[cfg(any(feature = "std", test))]
        let neon = std::arch::is_aarch64_feature_detected!("neon");
        #[cfg(not(any(feature = "std", test)))]
        let neon = cfg!(target_feature = "neon");
        (neon && !cfg!(staticnet_portable)).then_some(Self(()))
    }
}

/// The fastest instruction set this CPU supports, with its proof token.
#[inline]
pub(crate) fn best_isa() -> Isa {
    Neon::new().map_or(Isa::Portable, Isa::Neon)
}
