//! The int8 product on Cortex-M4/M7 (`thumbv7em`): the DSP extension's
//! `SXTB16` and `SMLAD`, as CMSIS-NN's `arm_nn_vec_mat_mult_t_s8` uses them.
//! Four int8 of a row are loaded as one word; `SXTB16` sign-extends bytes 0
//! and 2 into the two halves of a register, `SXTB16 ..., ROR #8` bytes 1 and
//! 3; `SMLAD` adds both halfword products to an accumulator. `x` and the
//! weights go through the same permutation, so the pairs match. The words of
//! `x` are extended once and shared by three rows (then one row at a time
//! for the last `rows % 3`); the last `n % 4` columns are multiplied one by
//! one. Words are read at any alignment (`LDR`; Cortex-M4/M7 allow it, and
//! LLVM itself emits unaligned `LDR`s for this target).
//!
//! Bit for bit the portable sum: each product of two int8 is exact in i32,
//! a pair sums to at most 2 * 16384 (no overflow in the 32-bit adder of
//! `SMLAD`), and `SMLAD`'s accumulation wraps modulo 2^32 like
//! `wrapping_add` (it only sets the sticky Q flag, which nothing reads).
//! Integer addition is associative modulo 2^32, so the order is free.
//!
//! Compiled when `build.rs` sets `staticnet_arm_dsp`: the target is
//! `thumbv7em-*`, or the target features include `dsp` (the latter is only
//! visible on nightly; stable Rust hides Arm's unstable target features from
//! `cfg`). If the DSP instructions were not available, the assembler would
//! refuse them at build time ("instruction requires: dsp"), so a binary never
//! holds them for a core without them.

use core::arch::asm;

/// `sum_i a[i] * b[i]` over the last `n % 4` columns, wrapping.
#[inline(always)]
fn tail(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).fold(0i32, |s, (&a, &b)| {
        s.wrapping_add(i32::from(a) * i32::from(b))
    })
}

/// One step of [`rows3`]: a word of `x` and of each of the three rows, 12
/// multiply-accumulates (4 loads, 8 `SXTB16`, 6 `SMLAD`); `px` and `pw`
/// move on by 4.
macro_rules! step3 {
    () => {
        concat!(
            "ldr {xo}, [{px}], #4\n",
            "sxtb16 {xe}, {xo}\n",
            "sxtb16 {xo}, {xo}, ror #8\n",
            "ldr {t}, [{pw}, {n}]\n",
            "sxtb16 {u}, {t}\n",
            "smlad {s1}, {xe}, {u}, {s1}\n",
            "sxtb16 {t}, {t}, ror #8\n",
            "smlad {s1}, {xo}, {t}, {s1}\n",
            "ldr {t}, [{pw}, {n}, lsl #1]\n",
            "sxtb16 {u}, {t}\n",
            "smlad {s2}, {xe}, {u}, {s2}\n",
            "sxtb16 {t}, {t}, ror #8\n",
            "smlad {s2}, {xo}, {t}, {s2}\n",
            "ldr {t}, [{pw}], #4\n",
            "sxtb16 {u}, {t}\n",
            "smlad {s0}, {xe}, {u}, {s0}\n",
            "sxtb16 {t}, {t}, ror #8\n",
            "smlad {s0}, {xo}, {t}, {s0}\n",
        )
    };
}

/// `s[r] += x[..body] . w[r * n..][..body]` for the three rows at `w`, `w +
/// n`, `w + 2n`: each word of `x` is extended once for the three rows. One
/// loop in assembly, so that the eleven registers it needs (three sums,
/// the two extended words of `x`, two temporaries, the pointers, the stride
/// and the end) stay in registers; compiled from Rust, LLVM spills some.
/// Two steps per iteration; an odd number of steps enters at the second.
#[inline(always)]
fn rows3(x: &[i8], w: &[i8], n: usize, body: usize, s: &mut [i32; 3]) {
    assert!(body.is_multiple_of(4) && body <= x.len() && body <= n && w.len() >= 2 * n + body);
    if body == 0 {
        return;
    }
    let end = x[body..].as_ptr();
    let [mut s0, mut s1, mut s2] = *s;
    // SAFETY: `body / 4 >= 1` steps run (checked above; entering at label 3
    // when their number is odd, so `px` reaches `end` exactly), reading the
    // words `px[4k..4k + 4]` for `4k < body <= x.len()` (inside `x`), and
    // `pw[4k..]`, `pw[n + 4k..]`, `pw[2n + 4k..]` four bytes each, all
    // below `2n + body <= w.len()` (asserted): inside `w`. Cortex-M4/M7
    // execute `LDR` at any alignment (unaligned trapping is off unless a
    // program sets `CCR.UNALIGN_TRP`, which none of ours does; `LDRD`/`LDM`,
    // which always need alignment, are not used). Only registers named as
    // operands and the flags are written; no stack; memory is only read.
    unsafe {
        asm!(
            "sub {t}, {end}, {px}",
            "tst {t}, #4",
            "bne 3f",
            "2:",
            step3!(),
            "3:",
            step3!(),
            "cmp {px}, {end}",
            "bne 2b",
            px = inout(reg) x.as_ptr() => _,
            pw = inout(reg) w.as_ptr() => _,
            n = in(reg) n,
            end = in(reg) end,
            s0 = inout(reg) s0,
            s1 = inout(reg) s1,
            s2 = inout(reg) s2,
            xe = out(reg) _,
            xo = out(reg) _,
            t = out(reg) _,
            u = out(reg) _,
            options(readonly, nostack),
        );
    }
    *s = [s0, s1, s2];
}

/// `s += x[..body] . w[..body]`, one row.
#[inline(always)]
fn rows1(x: &[i8], w: &[i8], body: usize, s: &mut i32) {
    assert!(body.is_multiple_of(4) && body <= x.len() && body <= w.len());
    if body == 0 {
        return;
    }
    let end = x[body..].as_ptr();
    let mut s0 = *s;
    // SAFETY: as in `rows3`, with one row: the words `px[4k..]` and
    // `pw[4k..]` for `4k < body`, inside `x` and `w` (asserted).
    unsafe {
        asm!(
            "2:",
            "ldr {xo}, [{px}], #4",
            "ldr {t}, [{pw}], #4",
            "sxtb16 {xe}, {xo}",
            "sxtb16 {u}, {t}",
            "smlad {s0}, {xe}, {u}, {s0}",
            "sxtb16 {xo}, {xo}, ror #8",
            "sxtb16 {t}, {t}, ror #8",
            "smlad {s0}, {xo}, {t}, {s0}",
            "cmp {px}, {end}",
            "bne 2b",
            px = inout(reg) x.as_ptr() => _,
            pw = inout(reg) w.as_ptr() => _,
            end = in(reg) end,
            s0 = inout(reg) s0,
            xe = out(reg) _,
            xo = out(reg) _,
            t = out(reg) _,
            u = out(reg) _,
            options(readonly, nostack),
        );
    }
    *s = s0;
}

/// `acc[o] = acc[o] + sum_i x[i] * w[o * n + i]` for `n = x.len() > 0`,
/// wrapping: the same contract as the portable path of
/// `quant::gemv::gemv_i8` (whose caller checks the lengths).
pub(crate) fn gemv_i8_dsp(x: &[i8], w: &[i8], acc: &mut [i32]) {
    let n = x.len();
    let body = n & !3;
    let xt = &x[body..];
    let mut accs = acc.chunks_exact_mut(3);
    let mut blocks = w.chunks_exact(3 * n);
    for (a, wb) in (&mut accs).zip(&mut blocks) {
        let mut s = [0i32; 3];
        rows3(x, wb, n, body, &mut s);
        for (r, (a, s)) in a.iter_mut().zip(s).enumerate() {
            *a = a
                .wrapping_add(s)
                .wrapping_add(tail(xt, &wb[r * n + body..(r + 1) * n]));
        }
    }
    let (accs, w) = (accs.into_remainder(), blocks.remainder());
    for (a, r) in accs.iter_mut().zip(w.chunks_exact(n)) {
        let mut s = 0i32;
        rows1(x, r, body, &mut s);
        *a = a.wrapping_add(s).wrapping_add(tail(xt, &r[body..]));
    }
}

/// One step of [`dot4_dsp`]: a word of the weight row (four int8,
/// extended by `SXTB16` into its even and odd pairs) against the four
/// pixels' int16 pairs of the same four columns (two words each, one
/// `LDRD`), 16 multiply-accumulates in 15 instructions.
macro_rules! step1x4 {
    () => {
        concat!(
            "ldr {t}, [{pw}], #4\n",
            "sxtb16 {e}, {t}\n",
            "sxtb16 {t}, {t}, ror #8\n",
            "ldrd {a}, {b}, [{px}], #8\n",
            "smlad {s0}, {e}, {a}, {s0}\n",
            "smlad {s0}, {t}, {b}, {s0}\n",
            "ldrd {a}, {b}, [{px}], #8\n",
            "smlad {s1}, {e}, {a}, {s1}\n",
            "smlad {s1}, {t}, {b}, {s1}\n",
            "ldrd {a}, {b}, [{px}], #8\n",
            "smlad {s2}, {e}, {a}, {s2}\n",
            "smlad {s2}, {t}, {b}, {s2}\n",
            "ldrd {a}, {b}, [{px}], #8\n",
            "smlad {s3}, {e}, {a}, {s3}\n",
            "smlad {s3}, {t}, {b}, {s3}\n",
        )
    };
}

/// The columns of four receptive fields for [`dot4_dsp`]: `patches` holds
/// four int8 rows of `k4` (a multiple of 4) at `j * k4`; for each group of
/// four columns `4q..4q + 4` and each row `j`, `cols` gets (32 bytes per
/// group) the two words `SXTB16` makes of the row's word: the int16 pairs
/// `(x[4q], x[4q + 2])` and `(x[4q + 1], x[4q + 3])`, the order in which
/// `dot4_dsp` pairs them with a weight word. `cols` must be word-aligned
/// (`STRD`).
pub(crate) fn widen4(patches: &[i8], k4: usize, cols: &mut [i8]) {
    assert!(
        k4 > 0
            && k4.is_multiple_of(4)
            && patches.len() >= 4 * k4
            && cols.len() >= 8 * k4
            && (cols.as_ptr() as usize).is_multiple_of(4)
    );
    let end = patches[k4..].as_ptr();
    // SAFETY: `k4 / 4 >= 1` iterations (asserted); iteration `q` reads the
    // words at `p = patches + 4q` plus `0`, `k4`, `2 k4`, `3 k4`, all below
    // `4 k4 <= patches.len()`, and writes the 32 bytes `cols[32q..32q + 32]`,
    // below `8 k4 <= cols.len()`; `p` reaches `end = patches + k4` after the
    // last. `LDR` takes any alignment on Cortex-M4/M7; `STRD` needs a word
    // address, which `cols` is (asserted) and `d` stays (steps of 8). Only
    // registers named as operands and the flags are written; no stack.
    unsafe {
        asm!(
            "2:",
            "ldr {t}, [{p}]",
            "sxtb16 {a}, {t}",
            "sxtb16 {b}, {t}, ror #8",
            "strd {a}, {b}, [{d}], #8",
            "ldr {t}, [{p}, {k}]",
            "sxtb16 {a}, {t}",
            "sxtb16 {b}, {t}, ror #8",
            "strd {a}, {b}, [{d}], #8",
            "ldr {t}, [{p}, {k}, lsl #1]",
            "sxtb16 {a}, {t}",
            "sxtb16 {b}, {t}, ror #8",
            "strd {a}, {b}, [{d}], #8",
            "ldr {t}, [{p}, {k3}]",
            "sxtb16 {a}, {t}",
            "sxtb16 {b}, {t}, ror #8",
            "strd {a}, {b}, [{d}], #8",
            "add {p}, {p}, #4",
            "cmp {p}, {end}",
            "bne 2b",
            p = inout(reg) patches.as_ptr() => _,
            d = inout(reg) cols.as_mut_ptr() => _,
            k = in(reg) k4,
            k3 = in(reg) 3 * k4,
            end = in(reg) end,
            t = out(reg) _,
            a = out(reg) _,
            b = out(reg) _,
            options(nostack),
        );
    }
}

/// `acc[j] += sum_i w[i] * x_j[i]` over `i < k4` for the four receptive
/// fields `x_j` that [`widen4`] laid out in `cols`: one output channel at
/// four pixels, each weight word extended once for the four (CMSIS-NN's
/// `arm_nn_mat_mult_kernel_s8_s16` shares its words between two channels
/// and two pixels; one channel and four pixels need fewer registers, 11,
/// and fewer instructions, 15 per 16 multiply-accumulates). `w` is read
/// from its start, `k4` bytes (a multiple of 4); the sums wrap.
pub(crate) fn dot4_dsp(cols: &[i8], w: &[i8], k4: usize, acc: &mut [i32; 4]) {
    assert!(
        k4 > 0
            && k4.is_multiple_of(4)
            && w.len() >= k4
            && cols.len() >= 8 * k4
            && (cols.as_ptr() as usize).is_multiple_of(4)
    );
    let end = cols[8 * k4..].as_ptr();
    let [mut s0, mut s1, mut s2, mut s3] = *acc;
    // SAFETY: `k4 / 4 >= 1` steps run (asserted; entering at label 3 when
    // their number, `(end - pc) / 32`, is odd, so `pc` reaches `end`
    // exactly); step `q` reads the word `w[4q..4q + 4]`, inside `w` (`4q +
    // 4 <= k4 <= w.len()`), and `cols[32q..32q + 32]` by four `LDRD`, inside
    // `cols` (`32q + 32 <= 8 k4`). `LDR` takes any alignment on Cortex-M4/M7;
    // `LDRD` needs a word address: `cols` is one (asserted) and `pc` moves
    // by 8. Only registers named as operands and the flags are written; no
    // stack; memory is only read.
    unsafe {
        asm!(
            "sub {t}, {end}, {px}",
            "tst {t}, #32",
            "bne 3f",
            "2:",
            step1x4!(),
            "3:",
            step1x4!(),
            "cmp {px}, {end}",
            "bne 2b",
            px = inout(reg) cols.as_ptr() => _,
            pw = inout(reg) w.as_ptr() => _,
            end = in(reg) end,
            s0 = inout(reg) s0,
            s1 = inout(reg) s1,
            s2 = inout(reg) s2,
            s3 = inout(reg) s3,
            t = out(reg) _,
            e = out(reg) _,
            a = out(reg) _,
            b = out(reg) _,
            options(readonly, nostack),
        );
    }
    *acc = [s0, s1, s2, s3];
}
