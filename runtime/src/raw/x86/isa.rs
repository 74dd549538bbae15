//! The proof tokens and CPU feature detection.
//!
//! [`Avx2`] (AVX2 + FMA) and [`Avx512`] (AVX-512F + AVX2 + FMA) are zero-sized
//! values that can only be made here, and only when the CPU has the features:
//! detected at run time with `std` (cached in one `AtomicU8`, so dispatch is a
//! relaxed load), or known at compile time from `target_feature` without it.
//! Holding a token is the proof the `#[target_feature]` entry points need.
//!
//! The int8 product has two more AVX-512 levels, AVX-512BW (`vpmaddwd` on
//! 512 bits, byte masks) and AVX512_VNNI (`vpdpbusd`): an [`Avx512`] token
//! also carries which of them the CPU has ([`Int8`]), and hands out their
//! proof tokens [`Avx512Bw`] and [`Avx512Vnni`]. They are a field of the
//! AVX-512 token, not instruction sets of their own, as only the int8
//! product uses them: `dispatch!` keeps three arms and the f32 kernels one
//! AVX-512 copy.
//!
//! The token also carries the [`Schedule`] of its f32 matrix products, chosen
//! per microarchitecture from CPUID: [`Schedule::Packed`] on Intel cores
//! (vendor `GenuineIntel`, family 6: Skylake-X and later, whose AVX-512 cores
//! have two full 512-bit FMA ports), [`Schedule::InPlace`] everywhere else
//! (AMD's Zen 4 issues a 512-bit FMA as two 256-bit halves, and the in-place
//! tiles were tuned there). Built with `--cfg staticnet_packed_gemm` (in
//! `RUSTFLAGS`), every AVX-512 CPU takes the packed schedule, so that the
//! whole test suite runs it on an AMD machine (a flag rather than an
//! environment variable: no value can be invalid, and nothing is read at
//! run time).

use crate::kernels::isa::Isa;
use core::sync::atomic::{AtomicU8, Ordering};

/// Proof that the CPU supports AVX2 and FMA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Avx2(());

/// Proof that the CPU supports AVX-512F, AVX2 and FMA, and the int8
/// extensions in the field (only the ones it has); the schedule of its f32
/// products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Avx512(Int8, Schedule);

/// How the f32 matrix products of an [`Avx512`] token are tiled (the shapes
/// are in `super::gemm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Schedule {
    /// The operands read in place (dot-product `nt` tiles, 4x4 `outer`
    /// tiles): tuned on Zen 4; every CPU but Intel's.
    InPlace,
    /// `nt` as outer products over a packed panel of `B`, 12-row `outer`
    /// tiles: for Intel cores with two 512-bit FMA ports.
    Packed,
}

/// The AVX-512 int8 extensions beyond AVX-512F, in order: each level has
/// the ones below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Int8 {
    /// Neither: the int8 product runs its AVX2 path.
    None,
    /// AVX-512BW.
    Bw,
    /// AVX-512BW and AVX512_VNNI.
    Vnni,
}

/// Proof that the CPU supports AVX-512BW, AVX-512F, AVX2 and FMA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Avx512Bw(());

/// Proof that the CPU supports AVX512_VNNI, AVX-512BW, AVX-512F, AVX2 and
/// FMA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Avx512Vnni(());

const UNKNOWN: u8 = 0;
const PORTABLE: u8 = 1;
const AVX2: u8 = 2;
const AVX512: u8 = 3;
/// The level of [`LEVEL`] is its low bits, the [`Int8`] of an `AVX512`
/// level these flags.
const LEVEL_MASK: u8 = 0x0f;
const BW: u8 = 0x10;
const VNNI: u8 = 0x20;
/// The [`Schedule::Packed`] flag of an `AVX512` level.
const PACKED: u8 = 0x40;

/// The best level this CPU supports (with its int8 flags), or `UNKNOWN`
/// before the first detection. Only [`detect`] writes it, with a value it
/// has checked.
static LEVEL: AtomicU8 = AtomicU8::new(UNKNOWN);

#[inline]
fn detected() -> u8 {
    match LEVEL.load(Ordering::Relaxed) {
        UNKNOWN => detect(),
        detected => detected,
    }
}

#[inline]
fn level() -> u8 {
    detected() & LEVEL_MASK
}

/// The int8 extensions of an `AVX512` level.
#[inline]
fn int8() -> Int8 {
    let flags = detected();
    if flags & VNNI != 0 {
        Int8::Vnni
    } else if flags & BW != 0 {
        Int8::Bw
    } else {
        Int8::None
    }
}

/// The schedule of an `AVX512` level.
#[inline]
fn schedule() -> Schedule {
    if detected() & PACKED != 0 {
        Schedule::Packed
    } else {
        Schedule::InPlace
    }
}

/// Whether CPUID names an Intel core of family 6 (every Intel core with
/// AVX-512: Skylake-X, Cascade Lake, Ice Lake, Sapphire Rapids and later),
/// or the build forces the packed schedule (module docs).
fn packed_schedule() -> bool {
    use core::arch::x86_64::__cpuid;
    // CPUID leaf 0 is the vendor ("GenuineIntel" in EBX, EDX, ECX), leaf 1
    // the family (EAX bits 8-11, plus bits 20-27 when those are 15).
    // SAFETY: `cpuid` is part of the x86-64 baseline and leaves 0 and 1
    // exist on every CPU; the intrinsic has no other precondition (it is a
    // safe function in newer Rust, an `unsafe fn` at the MSRV).
    #[allow(unused_unsafe, reason = "an `unsafe fn` at the MSRV, 1.89")]
    let (vendor, eax) = unsafe { (__cpuid(0), __cpuid(1).eax) };
    let intel = (vendor.ebx, vendor.edx, vendor.ecx)
        == (
            u32::from_le_bytes(*b"Genu"),
            u32::from_le_bytes(*b"ineI"),
            u32::from_le_bytes(*b"ntel"),
        );
    let family = match (eax >> 8) & 0xf {
        0xf => 0xf + ((eax >> 20) & 0xff),
        family => family,
    };
    cfg!(staticnet_packed_gemm) || (intel && family == 6)
}

#[cold]
fn detect() -> u8 {
    #[cfg(any(feature = "std", test))]
    let (avx512f, avx2, fma, bw, vnni) = (
        std::is_x86_feature_detected!("avx512f"),
        std::is_x86_feature_detected!("avx2"),
        std::is_x86_feature_detected!("fma"),
        std::is_x86_feature_detected!("avx512bw"),
        std::is_x86_feature_detected!("avx512vnni"),
    );
    #[cfg(not(any(feature = "std", test)))]
    let (avx512f, avx2, fma, bw, vnni) = (
        cfg!(target_feature = "avx512f"),
        cfg!(target_feature = "avx2"),
        cfg!(target_feature = "fma"),
        cfg!(target_feature = "avx512bw"),
        cfg!(target_feature = "avx512vnni"),
    );
    let level = match (avx512f, avx2 && fma) {
        (true, true) => {
            AVX512
                | if packed_schedule() { PACKED } else { 0 }
                | match (bw, vnni) {
                    (true, true) => BW | VNNI,
                    (true, false) => BW,
                    // VNNI without BW (no such CPU is known) is left unused:
                    // the VNNI path needs BW's byte masks.
                    (false, _) => 0,
                }
        }
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
        AVX512 => Isa::Avx512(Avx512(int8(), schedule())),
        AVX2 => Isa::Avx2(Avx2(())),
        _ => Isa::Portable,
    }
}

impl Avx2 {
    /// The token, if the CPU supports AVX2 and FMA.
    #[cfg(any(test, feature = "std"))]
    pub(crate) fn new() -> Option<Self> {
        (level() >= AVX2).then_some(Self(()))
    }
}

impl Avx512 {
    /// The token, if the CPU supports AVX-512F, AVX2 and FMA, with the int8
    /// extensions it has up to `most` (below them, to test or measure the
    /// paths of a lesser CPU).
    #[cfg(any(test, feature = "std"))]
    pub(crate) fn new(most: Int8) -> Option<Self> {
        (level() >= AVX512).then(|| Self(int8().min(most), schedule()))
    }

    /// The same token with the products of `schedule` (to test or measure
    /// either on any AVX-512 CPU: both need only AVX-512F).
    #[cfg(test)]
    pub(crate) fn with_schedule(self, schedule: Schedule) -> Self {
        Self(self.0, schedule)
    }

    /// The schedule of this token's f32 products.
    #[inline]
    pub(crate) fn schedule(self) -> Schedule {
        self.1
    }

    /// The int8 extensions this token proves.
    #[cfg(any(test, feature = "std"))]
    #[inline]
    pub(crate) fn int8(self) -> Int8 {
        self.0
    }

    /// The AVX2 token: AVX-512 as this token proves it includes AVX2 and FMA.
    #[inline]
    pub(super) fn avx2(self) -> Avx2 {
        Avx2(())
    }

    /// The AVX-512BW token, if this token proves it.
    #[inline]
    pub(super) fn bw(self) -> Option<Avx512Bw> {
        (self.0 >= Int8::Bw).then_some(Avx512Bw(()))
    }

    /// The AVX512_VNNI token, if this token proves it.
    #[inline]
    pub(super) fn vnni(self) -> Option<Avx512Vnni> {
        (self.0 >= Int8::Vnni).then_some(Avx512Vnni(()))
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
