//! The single-precision dot products of the dense layers on Arm cores with
//! a hard-float FPU (`cfg(staticnet_arm_vfp)` from `build.rs`: Cortex-M4F,
//! M7, M33 with FPU). Two rows of the weights share each load of `x`; their
//! `2 x 8` lane sums stay in `s16`-`s31` for the whole row, and each load is
//! one `VLDMIA` of eight registers: per eight columns, three loads and 16
//! `VMLA.F32` (21 instructions per 16 multiply-adds with the loop's two).
//! Compiled from Rust, LLVM loads one value per instruction and spills
//! accumulators (3.6 instructions per multiply-add).
//!
//! Bit for bit the portable lanes (`kernels::gemm::portable`): lane `l` of
//! a row is `((0 + x[l] w[l]) + x[8 + l] w[8 + l]) + ...`, one `VMLA.F32`
//! per term, which rounds the product, then the sum, as `acc += x * w`
//! does in Rust (`VMLA` is not fused; `VFMA` would be).

use core::arch::asm;

/// `[r][l] = sum_p x[8p + l] * rows[r][8p + l]` for `p < x.len() / 8`, the
/// lane sums of the whole chunks of eight, each in the order of `p`, from
/// `+0.0`. Panics if a row is shorter than those chunks.
#[inline(always)]
pub(crate) fn lanes2_vfp(rows: [&[f32]; 2], x: &[f32]) -> [[f32; 8]; 2] {
    let chunks = x.len() / 8;
    let [r0, r1] = rows;
    assert!(r0.len() >= 8 * chunks && r1.len() >= 8 * chunks);
    let mut a = [[0.0f32; 8]; 2];
    if chunks == 0 {
        return a;
    }
    // SAFETY: the loop runs `chunks >= 1` times (checked above; `subs`
    // counts down to 0), each time reading eight f32 at `px`, `p0` and `p1`
    // and moving each on by 32 bytes: `x[8p..8p + 8]`, `r0[8p..8p + 8]` and
    // `r1[8p..8p + 8]` for `p < chunks`, inside the three slices (`8 chunks
    // <= x.len()`, asserted for the rows). The sums are read from and
    // written back to `a`, 16 f32 (64 bytes, `VLDMIA`/`VSTMIA` of 16
    // registers) that this function owns. `VLDMIA`/`VSTMIA` need word
    // alignment, which every `f32` has. The registers written are operands
    // or declared clobbers (`s0`-`s31`; the compiler saves the callee-saved
    // `s16`-`s31` where the ABI asks), and the flags; no stack.
    //
    // The sums go through memory, not `inout("s16")` operands: stable
    // Rust's `sreg` operands require the `vfp2` feature (double precision),
    // which the single-precision FPU of the Cortex-M4F lacks; clobbers are
    // accepted.
    unsafe {
        asm!(
            "vldmia {pa}, {{s16-s31}}",
            "2:",
            "vldmia {px}!, {{s0-s7}}",
            "vldmia {p0}!, {{s8-s15}}",
            "vmla.f32 s16, s0, s8",
            "vmla.f32 s17, s1, s9",
            "vmla.f32 s18, s2, s10",
            "vmla.f32 s19, s3, s11",
            "vmla.f32 s20, s4, s12",
            "vmla.f32 s21, s5, s13",
            "vmla.f32 s22, s6, s14",
            "vmla.f32 s23, s7, s15",
            "vldmia {p1}!, {{s8-s15}}",
            "vmla.f32 s24, s0, s8",
            "vmla.f32 s25, s1, s9",
            "vmla.f32 s26, s2, s10",
            "vmla.f32 s27, s3, s11",
            "vmla.f32 s28, s4, s12",
            "vmla.f32 s29, s5, s13",
            "vmla.f32 s30, s6, s14",
            "vmla.f32 s31, s7, s15",
            "subs {n}, {n}, #1",
            "bne 2b",
            "vstmia {pa}, {{s16-s31}}",
            pa = in(reg) a.as_mut_ptr(),
            px = inout(reg) x.as_ptr() => _,
            p0 = inout(reg) r0.as_ptr() => _,
            p1 = inout(reg) r1.as_ptr() => _,
            n = inout(reg) chunks => _,
            out("s0") _, out("s1") _, out("s2") _, out("s3") _,
            out("s4") _, out("s5") _, out("s6") _, out("s7") _,
            out("s8") _, out("s9") _, out("s10") _, out("s11") _,
            out("s12") _, out("s13") _, out("s14") _, out("s15") _,
            out("s16") _, out("s17") _, out("s18") _, out("s19") _,
            out("s20") _, out("s21") _, out("s22") _, out("s23") _,
            out("s24") _, out("s25") _, out("s26") _, out("s27") _,
            out("s28") _, out("s29") _, out("s30") _, out("s31") _,
            options(nostack),
        );
    }
    a
}
