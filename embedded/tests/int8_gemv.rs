//! The int8 product every quantised layer runs on (`quant::gemv::gemv_i8`,
//! the Cortex-M4 DSP path on `thumbv7em`, the portable loop elsewhere)
//! against a scalar loop on the device, bit for bit: deterministic
//! pseudo-random int8 data at odd sizes, rows starting at unaligned
//! addresses, all -128 (the largest products) with accumulators that wrap.
//! One 784x128 product (the MLP's first layer in int8) is between the
//! instruction-count markers.
#![no_std]
#![no_main]

use staticnet::__private::rt::quant::gemv::gemv_i8;
use staticnet_embedded::{bench_end, bench_start, entry, exit, print, print_u32};

staticnet_embedded::hard_fault_exits!();

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    print("int8_gemv: panic\n");
    exit(1)
}

const N: usize = 784;
const ROWS: usize = 128;
/// Extra bytes, so that a product can start 0 to 3 bytes into the arrays.
const SLACK: usize = 4;

/// `len` pseudo-random int8 values (a 32-bit LCG, the high byte), made at
/// compile time: the arrays lie in flash.
const fn lcg<const L: usize>(seed: u32) -> [i8; L] {
    let mut out = [0i8; L];
    let mut s = seed;
    let mut i = 0;
    while i < L {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        out[i] = (s >> 24) as u8 as i8;
        i += 1;
    }
    out
}

static W: [i8; N * ROWS + SLACK] = lcg(0x5eed_0001);
static X: [i8; N + SLACK] = lcg(0x5eed_0002);

/// The scalar reference: one product at a time, wrapping.
#[inline(never)]
fn scalar(x: &[i8], w: &[i8], acc: &mut [i32]) {
    let n = x.len();
    for (o, a) in acc.iter_mut().enumerate() {
        for i in 0..n {
            *a = a.wrapping_add(i32::from(x[i]) * i32::from(w[o * n + i]));
        }
    }
}

/// `gemv_i8` and [`scalar`] from the same accumulators; true when equal.
fn check(x: &[i8], w: &[i8], start: i32) -> bool {
    let rows = w.len() / x.len();
    let mut got = [0i32; ROWS];
    let mut want = [0i32; ROWS];
    for (o, (g, w)) in got.iter_mut().zip(want.iter_mut()).enumerate() {
        *g = start.wrapping_add(o as i32);
        *w = *g;
    }
    // `wsum` is unused on Cortex-M; pass the right length.
    let wsum = [0i32; ROWS];
    gemv_i8(
        core::hint::black_box(x),
        core::hint::black_box(w),
        &wsum[..rows],
        &mut got[..rows],
    );
    scalar(x, w, &mut want[..rows]);
    got[..rows] == want[..rows]
}

#[entry]
fn main() -> ! {
    let (mut passed, mut failed) = (0u32, 0u32);
    let mut record = |ok: bool, what: &str, n: usize, rows: usize, off: usize| {
        if ok {
            passed += 1;
        } else {
            failed += 1;
            print("FAIL ");
            print(what);
            print(" n=");
            print_u32(n as u32);
            print(" rows=");
            print_u32(rows as u32);
            print(" offset=");
            print_u32(off as u32);
            print("\n");
        }
    };

    // Pseudo-random data at odd sizes; x and w start 0..3 bytes off alignment.
    for n in [1usize, 2, 3, 4, 5, 7, 8, 17, 63, 784] {
        for rows in [1usize, 2, 3, 4, 5, 10, 128] {
            for off in 0..4 {
                let (xo, wo) = (off, (off * 3 + 1) % 4);
                let ok = check(&X[xo..xo + n], &W[wo..wo + n * rows], -1000);
                record(ok, "random", n, rows, off);
            }
        }
    }

    // The extremes: -128 * -128 everywhere (pairs sum to 32768, one past
    // i16::MAX), and accumulators that wrap past i32::MAX.
    let mut xm = [-128i8; N + SLACK];
    let mut wm = [-128i8; N * 4 + SLACK];
    for n in [1usize, 3, 5, 17, 63, 784] {
        for rows in [1usize, 3, 4] {
            for off in [0usize, 1, 3] {
                let (x, w) = (&xm[off..off + n], &wm[off..off + n * rows]);
                record(check(x, w, i32::MAX - 5), "min", n, rows, off);
                record(check(x, w, i32::MIN), "min", n, rows, off);
            }
        }
    }
    // -128 against 127: the most negative products.
    wm.iter_mut().for_each(|v| *v = 127);
    xm[..7].copy_from_slice(&[-128, 127, -128, 0, 1, -1, -128]);
    for n in [1usize, 3, 5, 17, 63, 784] {
        for rows in [1usize, 3, 4] {
            record(
                check(&xm[..n], &wm[1..1 + n * rows], i32::MIN + 3),
                "max",
                n,
                rows,
                1,
            );
        }
    }

    // The measured product: 784x128, 100,352 multiply-accumulates.
    let mut acc = [0i32; ROWS];
    let wsum = [0i32; ROWS];
    bench_start();
    gemv_i8(
        core::hint::black_box(&X[..N]),
        core::hint::black_box(&W[..N * ROWS]),
        &wsum,
        &mut acc,
    );
    bench_end();
    let mut want = [0i32; ROWS];
    scalar(&X[..N], &W[..N * ROWS], &mut want);
    record(acc == want, "bench", N, ROWS, 0);

    print("int8_gemv: ");
    print_u32(passed);
    print(" passed, ");
    print_u32(failed);
    print(" failed\n");
    exit(if failed == 0 { 0 } else { 1 })
}
