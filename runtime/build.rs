//! Sets `staticnet_arm_dsp` when the target has the Arm DSP extension
//! (`SXTB16`, `SMLAD`), for the int8 product (`src/raw/arm_dsp.rs`).
//! Stable Rust hides Arm's target features from `cfg` (they are unstable),
//! so the target's name decides: `thumbv7em-*` (Cortex-M4/M7) always has the
//! extension. A `dsp` in the target features (visible on nightly, e.g. a
//! Cortex-M33 built with `-C target-feature=+dsp`) counts too.
//!
//! Sets `staticnet_arm_vfp` when the target is 32-bit Arm with the
//! hard-float ABI (`eabihf`: an FPU with the 32 single-precision registers
//! `s0`-`s31`, `VLDM` and `VMLA.F32`), for the f32 dot products
//! (`src/raw/arm_vfp.rs`).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-check-cfg=cfg(staticnet_arm_dsp)");
    println!("cargo:rustc-check-cfg=cfg(staticnet_arm_vfp)");
    // `RUSTFLAGS="--cfg staticnet_portable"` keeps aarch64 on its portable
    // kernels (`src/raw/aarch64/isa.rs`), to measure what NEON gains.
    println!("cargo:rustc-check-cfg=cfg(staticnet_portable)");
    // `RUSTFLAGS="--cfg staticnet_packed_gemm"` gives every AVX-512 CPU the
    // f32 products of Intel cores (`src/raw/x86/isa.rs`), to test them here.
    println!("cargo:rustc-check-cfg=cfg(staticnet_packed_gemm)");
    let target = std::env::var("TARGET").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let dsp = target.starts_with("thumbv7em-") || features.split(',').any(|f| f == "dsp");
    if arch == "arm" && dsp {
        println!("cargo:rustc-cfg=staticnet_arm_dsp");
    }
    let abi = std::env::var("CARGO_CFG_TARGET_ABI").unwrap_or_default();
    if arch == "arm" && abi == "eabihf" {
        println!("cargo:rustc-cfg=staticnet_arm_vfp");
    }
}
